package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/account"
	"lawka/internal/consultation"
	"lawka/internal/neighbourhood"
	"lawka/internal/platform/auth"
)

// demoResidents answer the demo consultations: invented people, each with a home
// district (their online responses are counted there).
var demoResidents = []struct{ email, name, district string }{
	{"kasia.grzegorzki@example.org", "Kasia z Grzegórzek (demo)", "grzegorzki"},
	{"tomek.podgorze@example.org", "Tomek z Podgórza (demo)", "podgorze"},
	{"ola.debniki@example.org", "Ola z Dębnik (demo)", "debniki"},
	{"piotr.nowahuta@example.org", "Piotr z Nowej Huty (demo)", "nowa-huta"},
	{"zosia.krowodrza@example.org", "Zosia z Krowodrzy (demo)", "krowodrza"},
	{"adam.staremiasto@example.org", "Adam ze Starego Miasta (demo)", "stare-miasto"},
	{"ewelina.podgorze@example.org", "Ewelina z Podgórza (demo)", "podgorze"},
	{"marek.debniki@example.org", "Marek z Dębnik (demo)", "debniki"},
	{"helena.nowahuta@example.org", "Helena z Nowej Huty (demo)", "nowa-huta"},
	{"bartek.krowodrza@example.org", "Bartek z Krowodrzy (demo)", "krowodrza"},
	{"iwona.staremiasto@example.org", "Iwona ze Starego Miasta (demo)", "stare-miasto"},
	{"jakub.podgorze@example.org", "Jakub z Podgórza (demo)", "podgorze"},
	{"natalia.debniki@example.org", "Natalia z Dębnik (demo)", "debniki"},
	{"stefan.nowahuta@example.org", "Stefan z Nowej Huty (demo)", "nowa-huta"},
	{"agata.krowodrza@example.org", "Agata z Krowodrzy (demo)", "krowodrza"},
	{"olek.grzegorzki@example.org", "Olek z Grzegórzek (demo)", "grzegorzki"},
	{"dorota.podgorze@example.org", "Dorota z Podgórza (demo)", "podgorze"},
	{"wiktor.debniki@example.org", "Wiktor z Dębnik (demo)", "debniki"},
	{"irena.nowahuta@example.org", "Irena z Nowej Huty (demo)", "nowa-huta"},
	{"michal.krowodrza@example.org", "Michał z Krowodrzy (demo)", "krowodrza"},
	{"lena.staremiasto@example.org", "Lena ze Starego Miasta (demo)", "stare-miasto"},
	{"oksana.podgorze@example.org", "Oksana z Podgórza (demo)", "podgorze"},
	{"pawel.debniki@example.org", "Paweł z Dębnik (demo)", "debniki"},
	{"julia.nowahuta@example.org", "Julia z Nowej Huty (demo)", "nowa-huta"},
}

// roomTexts are free-text answers to the rooms consultation, given by some respondents.
var roomTexts = []string{
	"Prosimy o stałe, niskie stawki dla organizacji, które prowadzą zajęcia bezpłatne dla mieszkańców.",
	"Rezerwacja powinna działać przez internet, z kalendarzem wolnych terminów — dziś trzeba dzwonić kilka razy.",
	"Sale są zamykane o 20:00, a nasi wolontariusze pracują; potrzebujemy wieczorów i sobót.",
	"Dobrze, że zasady są wspólne dla wszystkich domów kultury. Wcześniej każdy liczył inaczej.",
	"Grupy nieformalne też powinny móc wynająć salę, nie tylko stowarzyszenia z KRS.",
	"Winda w naszym domu kultury często nie działa — zasady powinny mówić, co wtedy.",
	"Kaucja 500 zł to dla małej organizacji bariera nie do przejścia.",
	"Proszę dopisać możliwość przechowywania materiałów organizacji między zajęciami.",
	"Spotkania sąsiedzkie raz w miesiącu powinny być bezpłatne.",
	"Za mało informacji po ukraińsku — wielu sąsiadów nie zrozumie regulaminu.",
}

// seedConsultations opens the consultation on renting rooms in cultural centres to NGOs
// (the issue's own example): online responses from demo residents of several districts
// over the last days and forms received on paper, some checked by a second moderator.
// A finished consultation is in the report phase, so its report page has results. The
// demo resident is left free to respond.
func seedConsultations(ctx context.Context, pool *pgxpool.Pool, accounts *account.Service) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM consultations)`).Scan(&exists); err != nil || exists {
		return err
	}
	store := neighbourhood.NewStore(pool)
	districts, err := store.List(ctx)
	if err != nil {
		return err
	}
	district := map[string]int64{}
	for _, d := range districts {
		district[d.Slug] = d.ID
	}
	for _, r := range demoResidents {
		ok, err := accounts.Exists(ctx, r.email)
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		home := district[r.district]
		if _, err := accounts.Create(ctx, account.NewUser{Email: r.email, Password: DemoPassword, DisplayName: r.name,
			NeighbourhoodID: &home, EmailConfirmed: true, Demo: true}); err != nil {
			return fmt.Errorf("resident %s: %w", r.email, err)
		}
	}
	mod, err := principal(ctx, pool, "moderator@example.org", auth.Moderator)
	if err != nil {
		return err
	}
	admin, err := principal(ctx, pool, "admin@example.org", auth.Admin, auth.Moderator)
	if err != nil {
		return err
	}
	rows, err := pool.Query(ctx, `SELECT id FROM users WHERE demo AND email <> 'resident@example.org' AND deleted_at IS NULL
		AND email <> $1 AND blocked_at IS NULL AND email_confirmed_at IS NOT NULL ORDER BY id`, demoSpammer)
	if err != nil {
		return err
	}
	var respondents []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		respondents = append(respondents, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	svc := consultation.NewService(pool, consultation.Deps{Places: seedConsultationPlaces{store}})
	now := time.Now()
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	const day = 24 * time.Hour
	ids := func(slugs ...string) []int64 {
		var out []int64
		for _, s := range slugs {
			out = append(out, district[s])
		}
		return out
	}

	rooms := consultation.Input{Title: "Zasady wynajmu sal w domach kultury organizacjom pozarządowym",
		OrganiserKind: "city", Organiser: "Wydział Kultury i Dziedzictwa Narodowego Urzędu Miasta Krakowa",
		Description: "Miasto proponuje wspólne zasady, na jakich domy kultury wynajmują sale organizacjom pozarządowym i grupom " +
			"sąsiedzkim: stawki, ulgi dla zajęć bezpłatnych, rezerwację przez internet i godziny dostępności.\n\n" +
			"Odpowiedzieć można przez konto w Ławce albo na papierowym formularzu w każdym domu kultury.\n\n" +
			"_Konsultacja przykładowa (demo)._",
		Eligibility: "registered", Status: consultation.Published,
		OpensAt: at(-14 * day), ClosesAt: at(14 * day), ReportAt: at(28 * day),
		DistrictIDs: ids("stare-miasto", "grzegorzki", "krowodrza", "debniki", "podgorze", "nowa-huta"),
		Questions: []consultation.QuestionInput{
			{Kind: consultation.Single, Prompt: "Czy popierasz projekt zasad wynajmu sal?", Required: true,
				Options: []string{"Tak", "Raczej tak", "Raczej nie", "Nie", "Nie mam zdania"}},
			{Kind: consultation.Multiple, Prompt: "Z jakich sal korzysta Twoja organizacja lub grupa?",
				Hint:    "Zaznacz wszystkie, które pasują.",
				Options: []string{"Sala widowiskowa", "Sala warsztatowa", "Sala spotkań do 20 osób", "Pracownia plastyczna lub komputerowa"}},
			{Kind: consultation.Scale, Prompt: "Jak oceniasz proponowane stawki dla organizacji pozarządowych?", Required: true,
				Hint: "1 — zdecydowanie za wysokie, 5 — odpowiednie."},
			{Kind: consultation.Ranking, Prompt: "Co jest dla Ciebie najważniejsze w zasadach wynajmu?",
				Options: []string{"Niska opłata albo bezpłatny dostęp", "Rezerwacja przez internet", "Wieczory i weekendy",
					"Dostępność dla osób z niepełnosprawnościami"}},
			{Kind: consultation.Text, Prompt: "Co jeszcze powinno się znaleźć w zasadach?", MaxLength: ptr(2000)},
		}}
	// The rooms consultation had 14 days behind it: responses spread over them.
	if _, err := seedConsultation(ctx, pool, svc, mod, admin, rooms, respondents, 14, roomTexts, []paperForm{
		{"podgorze", "urna w Centrum Kultury Podgórza (demo)", true},
		{"podgorze", "", true},
		{"nowa-huta", "formularz z Klubu Sąsiedzkiego Osiedle Zgody (demo)", true},
		{"debniki", "", false},
		{"stare-miasto", "przesłany pocztą (demo)", false},
		{"", "bez adresu", true},
		{"krowodrza", "", false},
	}); err != nil {
		return fmt.Errorf("consultation on rooms: %w", err)
	}

	club := consultation.Input{Title: "Godziny otwarcia klubów sąsiedzkich (demo)",
		OrganiserKind: "coalition", Organiser: "Koalicja na rzecz sąsiedztw",
		Description: "Koalicja zapytała mieszkańców, kiedy kluby sąsiedzkie powinny być otwarte i czego w nich brakuje. " +
			"Wyniki trafiły do Komisji Dialogu Obywatelskiego ds. sąsiedztw.\n\n_Konsultacja przykładowa (demo)._",
		Eligibility: "registered", Status: consultation.Published,
		OpensAt: at(-time.Hour), ClosesAt: at(7 * day), ReportAt: at(14 * day),
		DistrictIDs: ids("nowa-huta", "bienczyce", "podgorze"),
		Questions: []consultation.QuestionInput{
			{Kind: consultation.Single, Prompt: "Kiedy klub powinien być otwarty najdłużej?", Required: true,
				Options: []string{"Rano w dni powszednie", "Popołudniami", "Wieczorami", "W weekendy"}},
			{Kind: consultation.Scale, Prompt: "Jak oceniasz obecne godziny otwarcia?", Required: true,
				Hint: "1 — zupełnie nie pasują, 5 — pasują bardzo dobrze."},
			{Kind: consultation.Text, Prompt: "Czego brakuje w Twoim klubie sąsiedzkim?", MaxLength: ptr(1000)},
		}}
	done, err := seedConsultation(ctx, pool, svc, mod, admin, club, respondents[:min(len(respondents), 18)], 0, []string{
		"Miejsca dla dzieci w czasie spotkań dorosłych.",
		"Kawy i herbaty — i kogoś, kto otworzy drzwi po 18:00.",
		"Informacji na tablicy przy wejściu, co się dzieje w tym tygodniu.",
		"Wi-Fi, które działa.",
	}, []paperForm{{"nowa-huta", "urna w klubie (demo)", true}, {"bienczyce", "", true}, {"podgorze", "", false}})
	if err != nil {
		return fmt.Errorf("finished consultation: %w", err)
	}
	// It ran two months ago; the report is out. The responses move with it, day by day.
	club.OpensAt, club.ClosesAt, club.ReportAt = at(-60*day), at(-30*day), at(-23*day)
	if _, err := pool.Exec(ctx, `UPDATE consultation_responses SET created_at = created_at - interval '45 days',
		updated_at = updated_at - interval '45 days', submitted_at = submitted_at - interval '45 days',
		checked_at = checked_at - interval '45 days' WHERE consultation_id = $1`, done.ID); err != nil {
		return err
	}
	if _, err := svc.Edit(ctx, mod, done.ID, club); err != nil {
		return err
	}
	var wifi int64
	if err := pool.QueryRow(ctx, `SELECT a.id FROM consultation_answers a JOIN consultation_responses r ON r.id = a.response_id
		WHERE r.consultation_id = $1 AND a.body IS NOT NULL ORDER BY a.id LIMIT 1`, done.ID).Scan(&wifi); err != nil {
		return err
	}
	return svc.HideAnswer(ctx, mod, done.ID, wifi, "przykład ukrytej odpowiedzi (demo)")
}

// paperForm is a paper response as the demo moderator types it in.
type paperForm struct {
	district, note string
	checked        bool
}

// seedConsultation creates in, has each respondent answer online (answers picked by
// their place in the list, a text from texts for every third), types in the paper
// forms, and spreads the submissions over the last days (0: all of today).
func seedConsultation(ctx context.Context, pool *pgxpool.Pool, svc *consultation.Service, mod, admin auth.Principal,
	in consultation.Input, respondents []int64, days int, texts []string, paper []paperForm) (consultation.Consultation, error) {
	c, err := svc.Create(ctx, mod, in)
	if err != nil {
		return c, err
	}
	answers := func(i int) consultation.Answers {
		out := consultation.Answers{}
		for _, q := range c.Questions {
			n := len(q.Options)
			switch q.Kind {
			case consultation.Single:
				// Most choose the first options, with a long tail.
				v := []int{1, 1, 2, 1, 2, 3, 1, 4, 2, 5, 1, 3}[i%12]
				if v > n {
					v = 1
				}
				out[q.ID] = consultation.Answer{Choices: []int{v}}
			case consultation.Multiple:
				if i%4 != 3 {
					out[q.ID] = consultation.Answer{Choices: []int{1 + i%n, 1 + (i+2)%n}[:1+i%2]}
				}
			case consultation.Scale:
				out[q.ID] = consultation.Answer{Scale: []int{2, 3, 4, 2, 5, 3, 1, 4, 3}[i%9]}
			case consultation.Ranking:
				if i%3 != 2 {
					order := make([]int, n)
					for k := range order {
						order[k] = 1 + (k+i)%n
					}
					out[q.ID] = consultation.Answer{Choices: order}
				}
			case consultation.Text:
				if i%3 == 0 && len(texts) > 0 {
					out[q.ID] = consultation.Answer{Text: texts[(i/3)%len(texts)]}
				}
			}
		}
		return out
	}
	for i, uid := range respondents {
		p := auth.Principal{UserID: uid, Confirmed: true}
		if _, _, err := svc.Save(ctx, p, c.ID, answers(i), nil, true, consultation.Upsert); err != nil {
			return c, fmt.Errorf("response of user %d: %w", uid, err)
		}
	}
	districts := map[string]int64{}
	list, err := neighbourhood.NewStore(pool).List(ctx)
	if err != nil {
		return c, err
	}
	for _, d := range list {
		districts[d.Slug] = d.ID
	}
	for i, f := range paper {
		in := consultation.PaperInput{Answers: answers(i + 5), Note: f.note}
		if id, ok := districts[f.district]; ok {
			in.NeighbourhoodID = &id
		}
		r, err := svc.Paper(ctx, mod, c.ID, in)
		if err != nil {
			return c, fmt.Errorf("paper form %d: %w", i+1, err)
		}
		if f.checked {
			if err := svc.CheckPaper(ctx, admin, c.ID, r.ID); err != nil {
				return c, err
			}
		}
	}
	if days > 0 {
		// Demo only: the service stamps every submission now; spread them over the days the
		// consultation has been open (online ones a few a day, paper ones typed in later).
		if _, err := pool.Exec(ctx, `UPDATE consultation_responses r SET created_at = s.at, updated_at = s.at, submitted_at = s.at,
			checked_at = CASE WHEN r.checked_at IS NOT NULL THEN least(now(), s.at + interval '1 day') END
			FROM (SELECT id, now() - make_interval(days => ($2::int - 1) - (row_number() OVER (ORDER BY id) % $2::int)::int,
				hours => (id % 9)::int) AS at FROM consultation_responses WHERE consultation_id = $1) s
			WHERE r.id = s.id`, c.ID, days); err != nil {
			return c, err
		}
	}
	return c, nil
}

// seedConsultationPlaces lets the consultation rules check districts during seeding.
type seedConsultationPlaces struct{ store *neighbourhood.Store }

func (p seedConsultationPlaces) Exists(ctx context.Context, id int64) (bool, error) {
	return p.store.Exists(ctx, id)
}

func (seedConsultationPlaces) DistrictChoices(context.Context) ([]consultation.Choice, error) {
	return nil, nil
}
