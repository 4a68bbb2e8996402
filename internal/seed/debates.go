package seed

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/debate"
	"lawka/internal/event"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/i18n"
	"lawka/internal/poll"
)

// KrakowDebateSpeakers are the participants of "Kraków obywatelski" exactly as the
// source material lists them (with the MP's name spelt Miszalski, as DATA.md says).
var KrakowDebateSpeakers = []string{"poseł Aleksander Miszalski", "prof. Andrzej Kulig", "prof. Stanisław Mazur",
	"dr Łukasz Gibała", "Adam Hareńczyk", "Jerzy Muzyk"}

// KrakowDebateThemes are the three themes of the debate, from the source material.
var KrakowDebateThemes = []string{
	"Dialog obywatelski: włączanie mieszkańców i mieszkanek Krakowa we współdecydowanie o rozwoju miasta",
	"Rola organizacji pozarządowych w politykach miejskich i wyzwania współpracy samorządu z organizacjami pozarządowymi",
	"Rola samorządu w rozwijaniu oddolnej aktywności i współpracy mieszkańców w sąsiedztwach",
}

// seedDebates adds the mayoral candidates' debate "Kraków obywatelski" of 27 April 2024
// — its three themes as the agenda, its six participants as the speakers, finished —
// and an upcoming demo debate. The material gives neither the hour, the hall nor the
// time planned per theme, nor who spoke how long: those are marked demo or left out.
func seedDebates(ctx context.Context, pool *pgxpool.Pool) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM debates)`).Scan(&exists); err != nil || exists {
		return err
	}
	var modID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM users WHERE email = 'moderator@example.org'`).Scan(&modID); err != nil {
		return err
	}
	mod := auth.Principal{UserID: modID, Roles: []string{auth.Moderator}}
	svc := debate.NewService(pool, event.NewService(pool, event.Deps{Places: seedEventPlaces{pool}}), nil, nil)
	svc.Polls = poll.NewService(pool, nil, nil, nil)
	district := func(slug string) int64 {
		var id int64
		_ = pool.QueryRow(ctx, `SELECT id FROM neighbourhoods WHERE slug = $1`, slug).Scan(&id)
		return id
	}
	at := func(t time.Time) string { return t.Format(time.RFC3339) }

	starts := time.Date(2024, time.April, 27, 17, 0, 0, 0, i18n.Warsaw)
	krakow := debate.Input{Title: "Kraków obywatelski — debata kandydatów na Prezydenta Miasta Krakowa",
		Description: "Debata kandydatów na Prezydenta Miasta Krakowa „Kraków obywatelski”, 27.04.2024 r.\n\n" +
			"Przedmiotem debaty była rozmowa o:\n\n" +
			"- **dialogu obywatelskim**, włączaniu mieszkańców i mieszkanek Krakowa we współdecydowanie o rozwoju miasta,\n" +
			"- **roli organizacji pozarządowych** w politykach miejskich, wyzwaniach współpracy samorządu z organizacjami pozarządowymi,\n" +
			"- **roli samorządu** w rozwijaniu oddolnej aktywności i współpracy mieszkańców w **sąsiedztwach**.\n\n" +
			"_Godzina, sala i czas zaplanowany na każdy temat są przykładowe (demo); materiał źródłowy podaje tylko datę._",
		StartsAt: at(starts), EndsAt: at(starts.Add(2 * time.Hour)), Address: "Kraków, sala przykładowa (demo)",
		Organisers: "Fundacja BIS, Koalicja na rzecz sąsiedztw", Status: event.Published}
	for _, name := range KrakowDebateSpeakers {
		krakow.Speakers = append(krakow.Speakers, debate.SpeakerInput{Name: name})
	}
	for _, theme := range KrakowDebateThemes {
		krakow.Agenda = append(krakow.Agenda, debate.ItemInput{Topic: theme, PlannedMinutes: 30})
	}
	d, err := svc.Create(ctx, mod, krakow)
	if err != nil {
		return err
	}
	// Finished: ended at its end, with no time recorded (Ławka did not run it).
	svc.Now = func() time.Time { return starts.Add(2 * time.Hour) }
	zero := int64(0)
	if _, err := svc.Act(ctx, mod, d.ID, debate.Command{Action: debate.ActEnd, ExpectedSeq: &zero}); err != nil {
		return err
	}
	svc.Now = time.Now

	day := time.Now().In(i18n.Warsaw).AddDate(0, 0, 21)
	next := time.Date(day.Year(), day.Month(), day.Day(), 18, 0, 0, 0, i18n.Warsaw)
	upcoming, err := svc.Create(ctx, mod, debate.Input{Title: "Sąsiedztwa w budżecie miasta — debata radnych (demo)",
		Description: "Radni i radne dzielnic rozmawiają z mieszkańcami o tym, ile miasto wydaje na miejsca sąsiedzkie. " +
			"Śledź debatę na telefonie: kod jest na ekranie w sali.\n\n_Wydarzenie, osoby i organizacje są przykładowe (demo)._",
		StartsAt: at(next), EndsAt: at(next.Add(90 * time.Minute)), Address: "Nowohuckie Centrum Kultury, al. Jana Pawła II 232 (demo)",
		StreamURL:     "https://stream.example.org/debata-sasiedztwa",
		Accessibility: "Sala na parterze, tłumaczenie na polski język migowy, pętla indukcyjna (demo).",
		Organisers:    "Koalicja na rzecz sąsiedztw (demo)", Status: event.Published,
		DistrictIDs: []int64{district("nowa-huta"), district("podgorze")},
		Speakers: []debate.SpeakerInput{{Name: "Anna Przykładowa (demo)", Role: "radna Dzielnicy XVIII Nowa Huta (demo)"},
			{Name: "Piotr Testowy (demo)", Role: "radny Dzielnicy XIII Podgórze (demo)"},
			{Name: "Maria Sąsiedzka (demo)", Role: "Klub Sąsiedzki Nowa Huta (demo)"}},
		Agenda: []debate.ItemInput{{Topic: "Lokale na spotkania sąsiedzkie", PlannedMinutes: 25},
			{Topic: "Opłaty za sale dla organizacji pozarządowych", PlannedMinutes: 25},
			{Topic: "Pytania mieszkańców", PlannedMinutes: 30}},
	})
	if err != nil {
		return err
	}
	for _, p := range DemoDebatePolls {
		if _, err := svc.CreatePoll(ctx, mod, upcoming.ID, p); err != nil {
			return err
		}
	}
	return seedDebateQuestions(ctx, pool, upcoming.ID)
}

// DemoDebatePolls are prepared in advance for the demo debate: drafts its console
// launches (the first with G).
var DemoDebatePolls = []poll.New{
	{Question: "Czy lokale sąsiedzkie mają być otwarte także w weekendy? (demo)", Kind: "single",
		Options: []string{"Tak", "Nie", "Nie mam zdania"}, Eligibility: "open"},
	{Question: "Co jest najważniejsze w lokalu na spotkania? (demo)", Kind: "multiple",
		Options: []string{"Dostępność bez barier", "Niska opłata", "Bliskość domu", "Godziny otwarcia"}, Eligibility: "open"},
}

// demoQuestions are audience questions asked ahead of the demo debate: the asker, the
// text, whether anonymous to the public, the status, and who upvoted. The 2024 debate
// gets none: the source material records no audience questions.
var demoQuestions = []struct {
	Asker, Body string
	Anonymous   bool
	Status      string
	Voters      []string
}{
	{"anna.mieszkanka@example.org", "Ile lokali na spotkania sąsiedzkie w Nowej Hucie stoi dziś pustych?", false, debate.Approved,
		[]string{"resident@example.org", "marta.sasiadka@example.org", "advocate@example.org"}},
	{"marta.sasiadka@example.org", "Czy organizacje pozarządowe zapłacą za salę w domu kultury tyle samo co firmy?", true, debate.Approved,
		[]string{"resident@example.org"}},
	{"resident@example.org", "Kiedy rada dzielnicy opublikuje listę lokali do wynajęcia na spotkania?", false, debate.Pending, nil},
}

// seedDebateQuestions adds the demo questions (marked demo) to the upcoming debate.
func seedDebateQuestions(ctx context.Context, pool *pgxpool.Pool, id int64) error {
	for _, q := range demoQuestions {
		var qid int64
		if err := pool.QueryRow(ctx, `INSERT INTO debate_questions (event_id, participant, user_id, body, anonymous, status, demo,
			decided_at) SELECT $1, 'user:' || id, id, $3, $4, $5, true, CASE WHEN $5 = 'pending' THEN NULL ELSE now() END
			FROM users WHERE email = $2 RETURNING id`, id, q.Asker, q.Body, q.Anonymous, q.Status).Scan(&qid); err != nil {
			return err
		}
		if _, err := pool.Exec(ctx, `INSERT INTO debate_question_votes (question_id, participant)
			SELECT $1, 'user:' || id FROM users WHERE email = ANY($2)`, qid, q.Voters); err != nil {
			return err
		}
	}
	_, err := pool.Exec(ctx, `UPDATE debates SET questions_seq = questions_seq + 1 WHERE event_id = $1`, id)
	return err
}
