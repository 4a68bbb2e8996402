package seed

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/neighbourhood"
	"lawka/internal/platform/auth"
	"lawka/internal/proposal"
)

// demoProposal is an invented but real-sounding proposal, with where it got to.
type demoProposal struct {
	author, district string
	topics           []string
	title, body      string
	status, answer   string // a staff decision, if any
	supporters       int    // how many demo accounts support it
}

// demoPlaces are real places in Kraków for some of the demo proposals, by title.
var demoPlaces = map[string]struct {
	label    string
	lat, lon float64
}{
	"Ławka dialogu na Rynku Podgórskim":               {"Rynek Podgórski, przy kościele św. Józefa", 50.0440, 19.9490},
	"Lokal po dawnej bibliotece na klub sąsiedzki":    {"os. Kalinowe, Bieńczyce", 50.0870, 20.0230},
	"Zielony skwer zamiast parkingu przy Królewskiej": {"ul. Królewska / ul. Kijowska", 50.0745, 19.9200},
	"Spacery historyczne po Nowej Hucie z seniorami":  {"Plac Centralny im. Ronalda Reagana", 50.0718, 20.0378},
}

var demoProposals = []demoProposal{
	{"resident@example.org", "podgorze", []string{"miejsca-spotkan"}, "Ławka dialogu na Rynku Podgórskim",
		"Proponujemy postawić na Rynku Podgórskim **ławkę dialogu**: miejsce, gdzie raz w miesiącu radni dzielnicy i urzędnicy siadają z mieszkańcami i słuchają.\n\n- stały dzień: pierwsza sobota miesiąca, 11:00–13:00\n- tablica z tematami do rozmowy\n- notatka z każdego spotkania na Ławce (w Ławce!)",
		proposal.UnderReview, "Wydział Komunikacji Społecznej analizuje lokalizację z Zarządem Zieleni Miejskiej. Odpowiemy do końca miesiąca.", 5},
	{"marta.sasiadka@example.org", "bienczyce", []string{"miejsca-spotkan", "lokale-dla-ngo"}, "Lokal po dawnej bibliotece na klub sąsiedzki",
		"Lokal po filii biblioteki przy os. Kalinowym stoi pusty od dwóch lat. Chcemy w nim **klubu sąsiedzkiego** prowadzonego przez organizacje z osiedla: zajęcia dla seniorów, odrabianie lekcji, spotkania rady osiedla.\n\nProsimy o audyt pustostanów w dzielnicy i użyczenie lokalu na 3 lata.",
		proposal.Accepted, "Zarząd Budynków Komunalnych przekaże lokal w użyczenie od marca; umowa z organizacją wybraną w otwartym naborze.", 4},
	{"advocate@example.org", "debniki", []string{"lokale-dla-ngo", "kultura-i-historia"}, "Bezpłatne sale dla NGO w domach kultury",
		"Organizacje pozarządowe płacą dziś za salę w domu kultury tyle co firmy. Proponujemy **bezpłatne sale** dla NGO na działania otwarte dla mieszkańców, do 8 godzin w miesiącu, z prostym formularzem rezerwacji online.",
		"", "", 6},
	{"anna.mieszkanka@example.org", "krowodrza", []string{"zielen"}, "Zielony skwer zamiast parkingu przy Królewskiej",
		"Mały parking przy skrzyżowaniu Królewskiej i Kijowskiej można zamienić w skwer z drzewami, ławkami i poidełkiem. Latem ten fragment ulicy bardzo się nagrzewa.",
		"", "", 3},
	{"resident@example.org", "nowa-huta", []string{"kultura-i-historia", "wlaczanie"}, "Spacery historyczne po Nowej Hucie z seniorami",
		"Seniorzy z osiedla pamiętają budowę Nowej Huty. Proponujemy cykl **spacerów historycznych**, które poprowadzą sami mieszkańcy, nagrywane do archiwum społecznego dzielnicy.",
		proposal.Implemented, "Pierwsze cztery spacery odbyły się we wrześniu; nagrania są w archiwum Ośrodka Kultury im. Norwida.", 2},
	{"marta.sasiadka@example.org", "stare-miasto", []string{"bezpieczenstwo"}, "Lepsze oświetlenie przejścia na Plantach",
		"Przejście przez Planty na wysokości ul. Sienkiewicza jest wieczorem ciemne. Prosimy o dodatkowe latarnie i przycięcie krzewów.",
		proposal.Rejected, "Zarząd Dróg Miasta Krakowa: w tym miejscu obowiązuje projekt oświetlenia zabytkowego Plant; wymiana latarni jest planowana w 2027 r.", 1},
	{"anna.mieszkanka@example.org", "podgorze-duchackie", []string{"wlaczanie", "miejsca-spotkan"}, "Punkt konsultacyjny dla mieszkańców z Ukrainy",
		"Raz w tygodniu punkt w bibliotece, gdzie wolontariusze pomagają w sprawach urzędowych po ukraińsku i po polsku, i gdzie można po prostu porozmawiać przy herbacie.",
		"", "", 2},
}

// seedProposals files the demo proposals, moves some through the workflow with an
// official answer, and has demo accounts support them.
func seedProposals(ctx context.Context, pool *pgxpool.Pool) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM proposals)`).Scan(&exists); err != nil || exists {
		return err
	}
	store := neighbourhood.NewStore(pool)
	districts, err := store.List(ctx)
	if err != nil {
		return err
	}
	topics, err := store.Topics(ctx)
	if err != nil {
		return err
	}
	svc := proposal.NewService(pool, seedPlaces{store}, nil, nil, nil)
	mod, err := principal(ctx, pool, "moderator@example.org", auth.Moderator)
	if err != nil {
		return err
	}
	rows, err := pool.Query(ctx, `SELECT id FROM users WHERE demo OR email LIKE '%@example.org' ORDER BY id`)
	if err != nil {
		return err
	}
	supporters, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	for _, d := range demoProposals {
		author, err := principal(ctx, pool, d.author)
		if err != nil {
			return err
		}
		in := proposal.Input{Title: d.title, Body: d.body}
		if pl, ok := demoPlaces[d.title]; ok {
			in.LocationLabel, in.Latitude, in.Longitude = pl.label, &pl.lat, &pl.lon
		}
		for _, n := range districts {
			if n.Slug == d.district {
				in.NeighbourhoodID = n.ID
			}
		}
		for _, t := range topics {
			for _, slug := range d.topics {
				if t.Slug == slug {
					in.TopicIDs = append(in.TopicIDs, t.ID)
				}
			}
		}
		p, err := svc.Create(ctx, author, in)
		if err != nil {
			return fmt.Errorf("proposal %q: %w", d.title, err)
		}
		for i := 0; i < d.supporters && i < len(supporters); i++ {
			if _, _, err := svc.Support(ctx, auth.Principal{UserID: supporters[i]}, p.ID, true); err != nil {
				return err
			}
		}
		steps := map[string][]string{proposal.UnderReview: {proposal.UnderReview}, proposal.Accepted: {proposal.Accepted},
			proposal.Rejected: {proposal.UnderReview, proposal.Rejected}, proposal.Implemented: {proposal.Accepted, proposal.Implemented}}
		for _, to := range steps[d.status] {
			answer := d.answer
			if to != d.status {
				answer = "Przekazaliśmy propozycję do właściwego wydziału i czekamy na jego stanowisko."
			}
			if _, err := svc.SetStatus(ctx, mod, p.ID, to, answer); err != nil {
				return fmt.Errorf("proposal %q → %s: %w", d.title, to, err)
			}
		}
	}
	return nil
}

func principal(ctx context.Context, pool *pgxpool.Pool, email string, roles ...string) (auth.Principal, error) {
	p := auth.Principal{Roles: roles}
	err := pool.QueryRow(ctx, `SELECT id, display_name FROM users WHERE email = $1`, email).Scan(&p.UserID, &p.DisplayName)
	return p, err
}

// seedPlaces answers the proposal service's questions about districts and topics.
type seedPlaces struct{ store *neighbourhood.Store }

func (s seedPlaces) Exists(ctx context.Context, id int64) (bool, error) {
	return s.store.Exists(ctx, id)
}

func (s seedPlaces) TopicsExist(ctx context.Context, ids []int64) (bool, error) {
	return s.store.TopicsExist(ctx, ids)
}

func (s seedPlaces) DistrictChoices(context.Context) ([]proposal.Choice, error) { return nil, nil }

func (s seedPlaces) DistrictBySlug(context.Context, string) (proposal.Choice, error) {
	return proposal.Choice{}, nil
}

func (s seedPlaces) TopicChoices(context.Context, string) ([]proposal.Choice, error) { return nil, nil }
