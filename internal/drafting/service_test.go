package drafting

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/coalition"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db/dbtest"
	"lawka/internal/platform/problem"
)

// consultations reads titles straight from the table (the server adapts the real
// consultation service).
type consultations struct{ pool *pgxpool.Pool }

func (c consultations) CanView(ctx context.Context, _ auth.Principal, id int64) error {
	_, err := c.Title(ctx, id)
	return err
}

func (c consultations) Title(ctx context.Context, id int64) (string, error) {
	var t string
	if err := c.pool.QueryRow(ctx, `SELECT title FROM consultations WHERE id = $1`, id).Scan(&t); err != nil {
		return "", problem.NotFound()
	}
	return t, nil
}

// fixture: two member organisations with one representative each (advocates), a
// third person who advocates for an organisation that is not confirmed, a resident, a
// moderator, and a consultation.
type fixture struct {
	svc                 *Service
	pool                *pgxpool.Pool
	ewa, tomek          auth.Principal // representatives of org1, org2
	unconfirmed         auth.Principal // advocate role, organisation not confirmed
	resident, moderator auth.Principal
	org1, org2          int64
	consultation        int64
}

func setup(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.New(t)
	if err := coalition.NewStore(pool).Seed(ctx); err != nil {
		t.Fatal(err)
	}
	f := fixture{svc: NewService(pool, consultations{pool}), pool: pool}
	user := func(name string, roles ...string) auth.Principal {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, display_name, email_confirmed_at)
			VALUES ($1, 'x', $2, now()) RETURNING id`, strings.ToLower(strings.Fields(name)[0])+"@example.org", name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		for _, r := range roles {
			if _, err := pool.Exec(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, id, r); err != nil {
				t.Fatal(err)
			}
		}
		return auth.Principal{UserID: id, DisplayName: name, Roles: roles, Confirmed: true}
	}
	org := func(name string, rep auth.Principal, status string) int64 {
		var id int64
		if err := pool.QueryRow(ctx, `WITH o AS (INSERT INTO organisations (name, kind) VALUES ($1, 'ngo') RETURNING id),
			m AS (INSERT INTO organisation_members (organisation_id, user_id, role) SELECT id, $2, 'representative' FROM o)
			INSERT INTO signatures (declaration_version_id, user_id, organisation_id, full_name, authority_confirmed, status)
			SELECT (SELECT min(id) FROM declaration_versions), $2, id, $3, true, $4 FROM o RETURNING organisation_id`,
			name, rep.UserID, rep.DisplayName, status).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	f.ewa, f.tomek = user("Ewa Rzeczniczka", auth.Advocate), user("Tomek Rzecznik", auth.Advocate)
	f.unconfirmed = user("Piotr Oczekujący", auth.Advocate)
	f.resident, f.moderator = user("Jan Mieszkaniec"), user("Marek Moderator", auth.Moderator)
	f.org1, f.org2 = org("Sąsiedzi z Podgórza", f.ewa, "confirmed"), org("Klub Osiedle Zgody", f.tomek, "confirmed")
	org("Kawiarnia Pod Ławką", f.unconfirmed, "pending")
	if err := pool.QueryRow(ctx, `INSERT INTO consultations (title, organiser_kind, organiser, eligibility, status, opens_at, closes_at, report_at)
		VALUES ('Zasady wynajmu sal w domach kultury', 'city', 'Wydział Kultury', 'registered', 'published', now() - interval '1 day',
		now() + interval '10 days', now() + interval '20 days') RETURNING id`).Scan(&f.consultation); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f fixture) document(t *testing.T) Document {
	t.Helper()
	d, err := f.svc.Create(context.Background(), f.ewa, f.consultation, NewDocument{Title: "Stanowisko koalicji w sprawie sal",
		Sections: []string{"Wprowadzenie", "Stawki", "Dostępność"}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func code(err error) string {
	if p, ok := problem.As(err); ok {
		return p.Code
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestConcurrentSavesOneWins(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	d := f.document(t)
	sec := d.Sections[1]
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			who := f.ewa
			if i%2 == 1 {
				who = f.tomek
			}
			_, errs[i] = f.svc.Save(ctx, who, d.ID, sec.ID, SectionInput{Title: "Stawki",
				Body: fmt.Sprintf("Wersja %d: stawki dla NGO powinny być niskie.", i), BaseVersion: sec.Version})
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		if err == nil {
			if won >= 0 {
				t.Fatalf("saves %d and %d both won", won, i)
			}
			won = i
		}
	}
	if won < 0 {
		t.Fatalf("no save won: %v", errs)
	}
	winner := fmt.Sprintf("Wersja %d: stawki dla NGO powinny być niskie.", won)
	for i, err := range errs {
		if i == won {
			continue
		}
		var stale *StaleError
		if !errors.As(err, &stale) {
			t.Fatalf("save %d: %v, want a stale version", i, err)
		}
		if p, _ := problem.As(err); p == nil || p.Status != 409 || p.Code != "stale_version" {
			t.Fatalf("save %d: problem %+v, want 409 stale_version", i, p)
		}
		if stale.Current.Body != winner || stale.Current.Version != 2 || !strings.HasPrefix(stale.Yours.Body, fmt.Sprintf("Wersja %d:", i)) {
			t.Fatalf("save %d: both texts %q / %q", i, stale.Current.Body, stale.Yours.Body)
		}
	}
	got, revs, err := f.svc.Revisions(ctx, f.ewa, d.ID, sec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := got.Section(sec.ID); s.Body != winner || s.Version != 2 || len(revs) != 2 {
		t.Fatalf("after the race: %q v%d, %d revisions", s.Body, s.Version, len(revs))
	}
	// The loser saves again on the new version: the merged text is applied.
	merged, err := f.svc.Save(ctx, f.tomek, d.ID, sec.ID, SectionInput{Title: "Stawki", Body: winner + " I stałe.", BaseVersion: 2})
	if err != nil || merged.Version != 3 || merged.Body != winner+" I stałe." {
		t.Fatalf("merged save: %+v, %v", merged, err)
	}
}

func TestBadInputSavesNothing(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	d := f.document(t)
	sec := d.Sections[0]
	cases := []struct {
		name  string
		in    SectionInput
		field string
	}{
		{"empty body", SectionInput{Title: "Wprowadzenie", Body: "  \n ", BaseVersion: 1}, "body"},
		{"overlong body", SectionInput{Title: "Wprowadzenie", Body: strings.Repeat("ż", MaxBody+1), BaseVersion: 1}, "body"},
		{"empty title", SectionInput{Title: " ", Body: "Tekst.", BaseVersion: 1}, "title"},
		{"overlong title", SectionInput{Title: strings.Repeat("a", MaxTitle+1), Body: "Tekst.", BaseVersion: 1}, "title"},
		{"no base version", SectionInput{Title: "Wprowadzenie", Body: "Tekst."}, "base_version"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Save(ctx, f.ewa, d.ID, sec.ID, c.in)
			p, ok := problem.As(err)
			if !ok || p.Status != 422 || p.Fields[c.field] == "" {
				t.Fatalf("got %v, want 422 on %s", err, c.field)
			}
		})
	}
	_, revs, err := f.svc.Revisions(ctx, f.ewa, d.ID, sec.ID)
	if err != nil || len(revs) != 1 {
		t.Fatalf("revisions after bad input: %d, %v", len(revs), err)
	}
}

func TestPermissions(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, f.resident, f.consultation, NewDocument{Title: "Moje stanowisko", Sections: []string{"A"}}); code(err) != "forbidden" {
		t.Fatalf("a resident starts a document: %v", err)
	}
	if _, err := f.svc.Create(ctx, f.unconfirmed, f.consultation, NewDocument{Title: "Moje stanowisko", Sections: []string{"A"}}); code(err) != "forbidden" {
		t.Fatalf("an advocate of an unconfirmed organisation starts a document: %v", err)
	}
	d := f.document(t)
	sec := d.Sections[0]
	in := SectionInput{Title: "Wprowadzenie", Body: "Koalicja przedstawia stanowisko.", BaseVersion: 1}
	for name, p := range map[string]auth.Principal{"resident": f.resident, "unconfirmed": f.unconfirmed, "visitor": {}} {
		if _, err := f.svc.Get(ctx, p, d.ID); code(err) != "not_found" {
			t.Errorf("%s sees a draft: %v", name, err)
		}
		if _, err := f.svc.Save(ctx, p, d.ID, sec.ID, in); code(err) != "not_found" {
			t.Errorf("%s saves a draft: %v", name, err)
		}
	}
	// Another organisation's advocate and a moderator may edit; only the staff and
	// the creator move the workflow; only representatives co-sign.
	if _, err := f.svc.Save(ctx, f.tomek, d.ID, sec.ID, in); err != nil {
		t.Fatalf("an advocate of another member organisation: %v", err)
	}
	// Sections change owner among editors only.
	if err := f.svc.SetOwner(ctx, f.ewa, d.ID, sec.ID, f.tomek.UserID); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.Get(ctx, f.ewa, d.ID); got.Sections[0].Owner == nil || got.Sections[0].Owner.ID != f.tomek.UserID {
		t.Fatalf("owner after the change: %+v", got.Sections[0].Owner)
	}
	for _, who := range []int64{f.resident.UserID, f.unconfirmed.UserID, 0} {
		if err := f.svc.SetOwner(ctx, f.ewa, d.ID, sec.ID, who); code(err) != "validation_failed" {
			t.Errorf("owner %d: %v", who, err)
		}
	}
	if err := f.svc.SetOwner(ctx, f.resident, d.ID, sec.ID, f.resident.UserID); code(err) != "not_found" {
		t.Errorf("a resident gives a section away: %v", err)
	}
	if editors, err := f.svc.Editors(ctx); err != nil || len(editors) != 3 {
		t.Errorf("editors: %+v, %v", editors, err)
	}
	if _, err := f.svc.Move(ctx, f.tomek, d.ID, Review); code(err) != "forbidden" {
		t.Fatalf("a non-creator moves the document: %v", err)
	}
	if _, err := f.svc.Move(ctx, f.ewa, d.ID, Submitted); code(err) != "validation_failed" {
		t.Fatalf("drafting → submitted: %v", err)
	}
	if err := f.svc.Cosign(ctx, f.ewa, d.ID, f.org1); code(err) != "not_in_review" {
		t.Fatalf("co-signing while drafting: %v", err)
	}
	if _, err := f.svc.Move(ctx, f.moderator, d.ID, Review); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Cosign(ctx, f.ewa, d.ID, f.org2); code(err) != "forbidden" {
		t.Fatalf("signing for another's organisation: %v", err)
	}
	if err := f.svc.Cosign(ctx, f.moderator, d.ID, f.org1); code(err) != "forbidden" {
		t.Fatalf("a moderator signs for an organisation: %v", err)
	}
}

func TestCosignaturesConfirmAgainAfterEdit(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	d := f.document(t)
	sec := d.Sections[0]
	if _, err := f.svc.Save(ctx, f.ewa, d.ID, sec.ID, SectionInput{Title: "Wprowadzenie", Body: "Pierwsza wersja.", BaseVersion: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Move(ctx, f.ewa, d.ID, Review); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		p   auth.Principal
		org int64
	}{{f.ewa, f.org1}, {f.tomek, f.org2}} {
		if err := f.svc.Cosign(ctx, s.p, d.ID, s.org); err != nil {
			t.Fatal(err)
		}
	}
	statuses := func() map[int64]string {
		got, err := f.svc.Get(ctx, f.ewa, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]string{}
		for _, c := range got.Cosignatures {
			out[c.OrganisationID] = c.Status
		}
		return out
	}
	if s := statuses(); s[f.org1] != Signed || s[f.org2] != Signed {
		t.Fatalf("after signing: %v", s)
	}
	// Saving the same text again changes nothing and keeps the signatures.
	if _, err := f.svc.Save(ctx, f.tomek, d.ID, sec.ID, SectionInput{Title: "Wprowadzenie", Body: "Pierwsza wersja.", BaseVersion: 2}); err != nil {
		t.Fatal(err)
	}
	if s := statuses(); s[f.org1] != Signed {
		t.Fatalf("an unchanged save reset the signatures: %v", s)
	}
	if _, err := f.svc.Save(ctx, f.tomek, d.ID, sec.ID, SectionInput{Title: "Wprowadzenie", Body: "Druga wersja.", BaseVersion: 2}); err != nil {
		t.Fatal(err)
	}
	if s := statuses(); s[f.org1] != ToConfirm || s[f.org2] != ToConfirm {
		t.Fatalf("after an edit: %v, want both to confirm", s)
	}
	if _, err := f.svc.Move(ctx, f.ewa, d.ID, Approved); code(err) != "cosignatures_to_confirm" {
		t.Fatalf("approving with signatures to confirm: %v", err)
	}
	if err := f.svc.Cosign(ctx, f.ewa, d.ID, f.org1); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Cosign(ctx, f.tomek, d.ID, f.org2); err != nil {
		t.Fatal(err)
	}
	if s := statuses(); s[f.org1] != Signed || s[f.org2] != Signed {
		t.Fatalf("after confirming: %v", s)
	}
	if _, err := f.svc.Move(ctx, f.ewa, d.ID, Approved); err != nil {
		t.Fatal(err)
	}
	// Approved: the text is locked, comments still possible.
	if _, err := f.svc.Save(ctx, f.ewa, d.ID, sec.ID, SectionInput{Title: "Wprowadzenie", Body: "Trzecia.", BaseVersion: 3}); code(err) != "document_locked" {
		t.Fatalf("editing an approved document: %v", err)
	}
	got, err := f.svc.Move(ctx, f.ewa, d.ID, Submitted)
	if err != nil || got.SubmittedAt == nil {
		t.Fatalf("submitting: %+v, %v", got, err)
	}
	// Frozen: every write answers 409 document_frozen; everyone may read it.
	if _, err := f.svc.Save(ctx, f.ewa, d.ID, sec.ID, SectionInput{Title: "Wprowadzenie", Body: "Po terminie.", BaseVersion: 3}); code(err) != "document_frozen" {
		t.Fatalf("editing a submitted document: %v", err)
	}
	if _, err := f.svc.Save(ctx, f.resident, d.ID, sec.ID, SectionInput{Title: "Wprowadzenie", Body: "Po terminie.", BaseVersion: 3}); code(err) != "forbidden" {
		t.Fatalf("a resident edits a submitted document: %v", err)
	}
	if _, err := f.svc.AddSection(ctx, f.ewa, d.ID, "Dodatek"); code(err) != "document_frozen" {
		t.Fatalf("adding a section: %v", err)
	}
	if _, err := f.svc.AddComment(ctx, f.ewa, d.ID, CommentInput{SectionID: sec.ID, Quote: "Druga", Body: "Uwaga"}); code(err) != "document_frozen" {
		t.Fatalf("commenting: %v", err)
	}
	if _, err := f.svc.Move(ctx, f.moderator, d.ID, Review); code(err) != "document_frozen" {
		t.Fatalf("moving back: %v", err)
	}
	if err := f.svc.Cosign(ctx, f.ewa, d.ID, f.org1); code(err) != "document_frozen" {
		t.Fatalf("signing: %v", err)
	}
	e, err := f.svc.Export(ctx, auth.Principal{}, d.ID)
	if err != nil || e.Status != Submitted || len(e.Signatories) != 2 || e.Sections[0].Markdown != "Druga wersja." ||
		e.Consultation != "Zasady wynajmu sal w domach kultury" {
		t.Fatalf("public export: %+v, %v", e, err)
	}
}

func TestCommentsFollowTheirPassage(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	d := f.document(t)
	sec := d.Sections[1]
	text := "Stawki powinny być jednakowe. Kaucja 500 zł jest barierą. Sale wieczorem."
	if _, err := f.svc.Save(ctx, f.ewa, d.ID, sec.ID, SectionInput{Title: "Stawki", Body: text, BaseVersion: 1}); err != nil {
		t.Fatal(err)
	}
	moved, err := f.svc.AddComment(ctx, f.tomek, d.ID, CommentInput{SectionID: sec.ID, Quote: "Kaucja 500 zł", Body: "Podajmy źródło."})
	if err != nil || moved.Start != 30 {
		t.Fatalf("comment: %+v, %v", moved, err)
	}
	gone, err := f.svc.AddComment(ctx, f.tomek, d.ID, CommentInput{SectionID: sec.ID, Quote: "Sale wieczorem", Body: "Do rozwinięcia."})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in    CommentInput
		field string
	}{
		{CommentInput{SectionID: sec.ID, Quote: "tego nie ma w tekście", Body: "?"}, "quote"},
		{CommentInput{SectionID: sec.ID, Quote: "Stawki", Body: " "}, "comment"},
		{CommentInput{SectionID: sec.ID, Quote: "", Body: "Uwaga"}, "quote"},
		{CommentInput{SectionID: 0, Quote: "Stawki", Body: "Uwaga"}, "section_id"},
	} {
		if _, err := f.svc.AddComment(ctx, f.tomek, d.ID, c.in); err == nil || problem.Invalid(nil).Code != code(err) {
			t.Errorf("%+v: %v", c.in, err)
		} else if p, _ := problem.As(err); p.Fields[c.field] == "" {
			t.Errorf("%+v: fields %v, want %s", c.in, p.Fields, c.field)
		}
	}
	// An edit moves the first passage and removes the second.
	edited := "Wstęp: stawki mają znaczenie. Stawki powinny być jednakowe. Kaucja 500 zł jest barierą."
	if _, err := f.svc.Save(ctx, f.ewa, d.ID, sec.ID, SectionInput{Title: "Stawki", Body: edited, BaseVersion: 2}); err != nil {
		t.Fatal(err)
	}
	byID := func() map[int64]Comment {
		list, err := f.svc.Comments(ctx, f.ewa, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]Comment{}
		for _, c := range list {
			out[c.ID] = c
		}
		return out
	}
	got := byID()
	if c := got[moved.ID]; c.Outdated || c.Start != 60 || string([]rune(edited)[c.Start:c.Start+13]) != "Kaucja 500 zł" {
		t.Fatalf("moved comment: %+v", c)
	}
	if c := got[gone.ID]; !c.Outdated || c.Quote != "Sale wieczorem" {
		t.Fatalf("removed passage: %+v", c)
	}
	// Restoring the old text brings the passage back: the comment is attached again.
	if _, err := f.svc.Restore(ctx, f.ewa, d.ID, sec.ID, 2, 3); err != nil {
		t.Fatal(err)
	}
	got = byID()
	if c := got[gone.ID]; c.Outdated || c.Start != 58 {
		t.Fatalf("after restore: %+v", c)
	}
	_, revs, err := f.svc.Revisions(ctx, f.ewa, d.ID, sec.ID)
	if err != nil || len(revs) != 4 || revs[3].Body != text || revs[3].RestoredFrom == nil || *revs[3].RestoredFrom != 2 {
		t.Fatalf("restore is a new revision: %d, %v", len(revs), err)
	}
	if err := f.svc.Resolve(ctx, f.tomek, d.ID, moved.ID); err != nil {
		t.Fatal(err)
	}
	if c := byID()[moved.ID]; c.ResolvedAt == nil {
		t.Fatalf("resolved: %+v", c)
	}
	if list, err := f.svc.Comments(ctx, f.resident, d.ID); err != nil || len(list) != 0 {
		t.Fatalf("a resident reads the comments: %d, %v", len(list), err)
	}
}
