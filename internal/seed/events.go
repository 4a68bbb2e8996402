package seed

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/coalition"
	"lawka/internal/event"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/i18n"
)

// seedEvents adds the coalition's events from the source material — the study visit
// to Wrocław (28–29 June 2024) and the allies' gala (24 October 2024, 11:00) — an online
// information meeting and a KDO meeting, and an upcoming workshop whose few places are
// taken, with a waiting list. Times the material does not give (the end of the gala,
// the hours of the visit) and the invented events are marked as demo.
func seedEvents(ctx context.Context, pool *pgxpool.Pool) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events)`).Scan(&exists); err != nil || exists {
		return err
	}
	var modID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM users WHERE email = 'moderator@example.org'`).Scan(&modID); err != nil {
		return err
	}
	mod := auth.Principal{UserID: modID, Roles: []string{auth.Moderator}}
	svc := event.NewService(pool, event.Deps{Places: seedEventPlaces{pool}})
	district := func(slug string) *int64 {
		var id int64
		if err := pool.QueryRow(ctx, `SELECT id FROM neighbourhoods WHERE slug = $1`, slug).Scan(&id); err != nil {
			return nil
		}
		return &id
	}
	at := func(y int, m time.Month, d, h, min int) string {
		return time.Date(y, m, d, h, min, 0, 0, i18n.Warsaw).Format(time.RFC3339)
	}
	const organisers = "Fundacja BIS, Koalicja na rzecz sąsiedztw"

	visit, err := svc.Create(ctx, mod, event.Input{Kind: "study_visit", Title: "„Krocząca” wizyta studyjna: Wrocław",
		Description: "Dwa dni we Wrocławiu z osobami, które prowadzą miejsca otwarte dla sąsiadów.\n\n" +
			"- spotkanie z Joanną Warecką, koordynatorką Sieci Centrów Aktywności Lokalnej,\n" +
			"- spotkanie z Krzysztofem Zientalem z Wydziału Partycypacji UM Wrocław,\n" +
			"- rozmowy o tym, jak tworzyć miejsca otwarte, jak działać z mieszkańcami, jak zachęcać do aktywności, jak się organizować.\n\n" +
			"Deklarację współpracy można było podpisać także podczas wizyty.\n\n_Godziny wyjazdu i powrotu są przykładowe (demo)._",
		StartsAt: at(2024, time.June, 28, 7, 30), EndsAt: at(2024, time.June, 29, 19, 0), Address: "Wrocław (wyjazd z Krakowa)",
		Accessibility: "Przejazd autokarem; przy zapisie prosimy o informację o potrzebach dostępności.",
		Organisers:    organisers, Status: event.Published})
	if err != nil {
		return err
	}
	gala, err := svc.Create(ctx, mod, event.Input{Kind: "gala", Title: "Gala Sojuszników Sąsiedztw",
		Description: "Spotkanie organizacji, instytucji i osób, które przystąpiły do Koalicji na rzecz sąsiedztw.\n\n" +
			"Podczas Gali można podpisać Deklarację współpracy — osobiście albo w imieniu organizacji.\n\n_Godzina zakończenia i sala są przykładowe (demo)._",
		StartsAt: at(2024, time.October, 24, 11, 0), EndsAt: at(2024, time.October, 24, 14, 0),
		Address: "Kraków, sala podana w zaproszeniu (demo)", Organisers: organisers,
		Accessibility: "Sala na parterze, bez progów; pętla indukcyjna.", Status: event.Published})
	if err != nil {
		return err
	}
	now := time.Now().In(i18n.Warsaw)
	day := func(days, h, min int) string {
		d := now.AddDate(0, 0, days)
		return at(d.Year(), d.Month(), d.Day(), h, min)
	}
	kdo, err := svc.Create(ctx, mod, event.Input{Kind: "kdo_meeting", Title: "Posiedzenie KDO ds. sąsiedztw (demo)",
		Description: "Komisja Dialogu Obywatelskiego ds. sąsiedztw: organizacje działające ze społecznościami lokalnymi w Krakowie.\n\n" +
			"W programie: wspieranie miejsc sąsiedzkich i powstawanie centrów społecznościowych.",
		StartsAt: day(-12, 16, 0), EndsAt: day(-12, 18, 0), Address: "Urząd Miasta Krakowa, pl. Wszystkich Świętych 3–4",
		NeighbourhoodID: district("stare-miasto"), Organisers: "KDO ds. sąsiedztw",
		Accessibility: "Wejście z windą od ul. Franciszkańskiej.", Status: event.Published})
	if err != nil {
		return err
	}
	online, err := svc.Create(ctx, mod, event.Input{Kind: "online_meeting", Title: "Spotkanie informacyjne online: Koalicja na rzecz sąsiedztw",
		Description: "Prowadzą Olga Glińska i Anna Cioch (Fundacja BIS).\n\n" +
			"1. Jak to się zaczęło?\n2. „Krocząca” wizyta studyjna\n3. Deklaracja współpracy\n4. KDO ds. sąsiedztw\n5. Co dalej?\n\n" +
			"Link do spotkania działa kwadrans przed początkiem.",
		StartsAt: day(10, 18, 0), EndsAt: day(10, 19, 30), OnlineURL: "https://meet.example.org/koalicja-spotkanie-informacyjne",
		Accessibility: "Napisy na żywo; nagranie z transkrypcją po spotkaniu.", Organisers: organisers,
		Registration: true, Status: event.Published})
	if err != nil {
		return err
	}
	workshop, err := svc.Create(ctx, mod, event.Input{Kind: "meeting", Title: "Warsztat: jak otworzyć klub sąsiedzki (demo)",
		Description: "Praktyczny warsztat dla osób, które chcą otworzyć miejsce spotkań w swoim sąsiedztwie: lokal, zasady, pierwsze wydarzenia. " +
			"Metoda „Miejsce Aktywności Mieszkańców” Fundacji BIS.\n\nMiejsc jest niewiele — gdy ktoś zrezygnuje, pierwsza osoba z listy rezerwowej dostanie wiadomość.",
		StartsAt: day(7, 17, 0), EndsAt: day(7, 19, 30), Address: "Rynek Podgórski 1, Kraków (demo)", NeighbourhoodID: district("podgorze"),
		Accessibility: "Parter, wejście bez schodów, toaleta dostępna.", Organisers: "Stowarzyszenie Sąsiedzi z Podgórza (demo)",
		Capacity: ptr(4), Registration: true, Status: event.Published})
	if err != nil {
		return err
	}
	// Places for four, two on the waiting list; the demo resident is left free to try.
	for _, email := range []string{"anna.mieszkanka@example.org", "marta.sasiadka@example.org", "advocate@example.org",
		"klub.nowahuta@example.org", "dk.debniki@example.org", "kawiarnia@example.org"} {
		var id int64
		if err := pool.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
			return err
		}
		p := auth.Principal{UserID: id}
		if _, err := svc.Register(ctx, p, workshop.ID); err != nil {
			return err
		}
		if email == "anna.mieszkanka@example.org" || email == "marta.sasiadka@example.org" {
			if _, err := svc.Register(ctx, p, online.ID); err != nil {
				return err
			}
		}
	}
	if _, err := svc.SaveMinutes(ctx, mod, visit.ID, event.MinutesInput{Minutes: "Dużo inspiracji i integracji. " +
		"Najważniejsze wnioski: miejsca otwarte powstają tam, gdzie mieszkańcy współdecydują o programie, a miasto zapewnia lokal i stałą opiekę."}); err != nil {
		return err
	}
	if _, err := svc.SaveMinutes(ctx, mod, gala.ID, event.MinutesInput{Minutes: "Dziękujemy wszystkim sojusznikom! " +
		"Podczas Gali kolejne organizacje podpisały Deklarację współpracy; lista sojuszników jest na stronie [Sojusznicy](/sojusznicy)."}); err != nil {
		return err
	}
	if _, err := svc.SaveMinutes(ctx, mod, kdo.ID, event.MinutesInput{Minutes: "Ustalenia (demo):\n\n" +
		"- wspólny głos Koalicji w sprawie lokali dla organizacji pozarządowych,\n- przegląd pustostanów, które mogą służyć sąsiadom,\n" +
		"- kolejne posiedzenie za miesiąc."}); err != nil {
		return err
	}
	// The Declaration signed on paper at the gala, typed in by the moderator.
	_, err = coalition.NewSignatures(pool, nil, nil, "", nil).RecordPaper(ctx, mod, seedSignable{svc},
		coalition.PaperSigning{FullName: "Zofia Przykładowa", ListPublicly: true, EventID: &gala.ID})
	return err
}

// seedSignable lets the paper signature name its event during seeding.
type seedSignable struct{ svc *event.Service }

func (seedSignable) EventChoices(context.Context) ([]coalition.EventChoice, error) { return nil, nil }

func (e seedSignable) EventExists(ctx context.Context, id int64) (bool, error) {
	return e.svc.Exists(ctx, id)
}

// seedEventPlaces lets the event rules check districts during seeding.
type seedEventPlaces struct{ pool *pgxpool.Pool }

func (p seedEventPlaces) Exists(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := p.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM neighbourhoods WHERE id = $1)`, id).Scan(&ok)
	return ok, err
}

func (seedEventPlaces) DistrictChoices(context.Context) ([]event.Choice, error) { return nil, nil }
