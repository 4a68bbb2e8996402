package seed

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/consultation"
	"lawka/internal/drafting"
	"lawka/internal/platform/auth"
	"lawka/internal/server/wire"
)

// responseSections are the demo response's sections: each text, then (for some) a
// second version by the other organisation's advocate.
var responseSections = []struct{ title, first, second string }{
	{"Wprowadzenie",
		"Koalicja na rzecz sąsiedztw zrzesza organizacje i grupy, które prowadzą bezpłatne zajęcia w domach kultury. " +
			"Popieramy wspólne zasady wynajmu sal i przedstawiamy uwagi naszych członków.",
		"Koalicja na rzecz sąsiedztw zrzesza organizacje i grupy sąsiedzkie, które prowadzą bezpłatne zajęcia w domach kultury " +
			"w sześciu dzielnicach. Popieramy wspólne zasady wynajmu sal i przedstawiamy uwagi naszych członków.\n\n" +
			"_Stanowisko przykładowe (demo)._"},
	{"Stawki i ulgi",
		"- Zajęcia bezpłatne dla mieszkańców: sala bez opłat albo za **stałą, symboliczną stawkę**.\n" +
			"- Kaucja 500 zł to dla małej organizacji bariera nie do przejścia — proponujemy jej zniesienie dla organizacji z historią współpracy.\n" +
			"- Grupy nieformalne powinny mieć te same ulgi co stowarzyszenia.", ""},
	{"Rezerwacja i godziny",
		"Rezerwacja powinna działać przez internet, z kalendarzem wolnych terminów. Sale są dziś zamykane o 20:00, " +
			"a wolontariusze pracują — potrzebujemy wieczorów i sobót.",
		"Rezerwacja powinna działać przez internet, z kalendarzem wolnych terminów, a także telefonicznie dla osób bez internetu. " +
			"Sale są dziś zamykane o 20:00, a wolontariusze pracują — potrzebujemy wieczorów do 22:00 i sobót."},
	{"Dostępność",
		"Zasady powinny mówić, co się dzieje, gdy winda nie działa: zajęcia przenosi się wtedy do sali na parterze bez dodatkowych opłat. " +
			"Regulamin warto przetłumaczyć na ukraiński.", ""},
}

// seedResponses drafts the coalition's response to the rooms consultation: two member
// organisations' advocates write and revise it, one comments on a passage, and both
// organisations co-sign it in review.
func seedResponses(ctx context.Context, pool *pgxpool.Pool) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM response_documents)`).Scan(&exists); err != nil || exists {
		return err
	}
	var consultationID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM consultations WHERE title LIKE 'Zasady wynajmu sal w domach kultury%' ORDER BY id LIMIT 1`).
		Scan(&consultationID); err != nil {
		return err
	}
	ewa, err := principal(ctx, pool, "advocate@example.org", auth.Advocate)
	if err != nil {
		return err
	}
	tomek, err := principal(ctx, pool, "klub.nowahuta@example.org", auth.Advocate)
	if err != nil {
		return err
	}
	svc := drafting.NewService(pool, wire.ResponseConsultations{Svc: consultation.NewService(pool, consultation.Deps{}), Pool: pool})
	var titles []string
	for _, s := range responseSections {
		titles = append(titles, s.title)
	}
	d, err := svc.Create(ctx, ewa, consultationID, drafting.NewDocument{
		Title: "Stanowisko Koalicji na rzecz sąsiedztw w sprawie zasad wynajmu sal (demo)", Sections: titles})
	if err != nil {
		return err
	}
	for i, s := range responseSections {
		sec := d.Sections[i]
		saved, err := svc.Save(ctx, ewa, d.ID, sec.ID, drafting.SectionInput{Title: s.title, Body: s.first, BaseVersion: sec.Version})
		if err != nil {
			return err
		}
		if s.second != "" {
			if _, err := svc.Save(ctx, tomek, d.ID, sec.ID, drafting.SectionInput{Title: s.title, Body: s.second,
				BaseVersion: saved.Version}); err != nil {
				return err
			}
		}
	}
	if _, err := svc.AddComment(ctx, tomek, d.ID, drafting.CommentInput{SectionID: d.Sections[1].ID, Quote: "Kaucja 500 zł",
		Body: "Warto podać, ile organizacji zgłosiło ten problem w ankiecie koalicji."}); err != nil {
		return err
	}
	if _, err := svc.Move(ctx, ewa, d.ID, drafting.Review); err != nil {
		return err
	}
	for _, p := range []auth.Principal{ewa, tomek} {
		orgs, err := svc.Signable(ctx, p)
		if err != nil {
			return err
		}
		for _, o := range orgs {
			if err := svc.Cosign(ctx, p, d.ID, o.ID); err != nil {
				return err
			}
		}
	}
	return nil
}
