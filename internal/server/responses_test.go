package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// responseFixture is the seeded coalition response (in review, co-signed by two
// organisations) and its sections.
type responseFixture struct {
	id, consultation int64
	sections         []int64
	path             string
}

func seededResponse(t *testing.T, s *servertest.Running) responseFixture {
	t.Helper()
	ctx := context.Background()
	var f responseFixture
	if err := s.Pool.QueryRow(ctx, `SELECT id, consultation_id FROM response_documents ORDER BY id LIMIT 1`).Scan(&f.id, &f.consultation); err != nil {
		t.Fatalf("the seed has no response document: %v", err)
	}
	rows, err := s.Pool.Query(ctx, `SELECT id FROM response_sections WHERE document_id = $1 ORDER BY position`, f.id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		f.sections = append(f.sections, id)
	}
	f.path = fmt.Sprintf("/stanowiska/%d", f.id)
	return f
}

func sectionVersion(t *testing.T, s *servertest.Running, id int64) int {
	t.Helper()
	var v int
	if err := s.Pool.QueryRow(context.Background(), `SELECT version FROM response_sections WHERE id = $1`, id).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func signedInAs(t *testing.T, s *servertest.Running, email string) *servertest.Browser {
	t.Helper()
	b := s.Browser(t)
	b.SignIn(email, seed.DemoPassword)
	return b
}

func TestResponsePagesAndSeed(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	f := seededResponse(t, s)
	if len(f.sections) < 3 {
		t.Fatalf("seeded sections: %v", f.sections)
	}
	ewa := signedInAs(t, s, "advocate@example.org")
	r := ewa.Get(fmt.Sprintf("/konsultacje/%d", f.consultation))
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, f.path) {
		t.Fatalf("consultation page lists no response for an advocate: %d", r.StatusCode)
	}
	r = ewa.Get(f.path)
	for _, want := range []string{"Stawki i ulgi", "Kaucja 500 zł", "Stowarzyszenie Sąsiedzi z Podgórza (demo)",
		"Klub Sąsiedzki Osiedle Zgody (demo)", "Przegląd i podpisy", "data-live-room=\"response:"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("document page lacks %q", want)
		}
	}
	for _, p := range []string{"/historia", fmt.Sprintf("/sekcje/%d/historia", f.sections[0]), fmt.Sprintf("/sekcje/%d", f.sections[0]),
		"/druk", fmt.Sprintf("/sekcje/%d/historia?od=1&do=2", f.sections[0]), "/historia?od=1&do=5"} {
		if r := ewa.Get(f.path + p); r.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d %s", p, r.StatusCode, r.Title())
		}
	}
	// The owner of a section changes on its edit page.
	var tomek int64
	if err := s.Pool.QueryRow(context.Background(), `SELECT id FROM users WHERE email = 'klub.nowahuta@example.org'`).Scan(&tomek); err != nil {
		t.Fatal(err)
	}
	ewa.Get(fmt.Sprintf("%s/sekcje/%d", f.path, f.sections[0]))
	if r := ewa.Post(fmt.Sprintf("%s/sekcje/%d/odpowiada", f.path, f.sections[0]), url.Values{"owner_id": {strconv.FormatInt(tomek, 10)}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("changing the owner: %d %s", r.StatusCode, r.Title())
	}
	if r := ewa.Get(f.path); !strings.Contains(r.Body, "Odpowiada: Tomasz Demo (demo)") {
		t.Error("the new owner is not shown")
	}
	if r := ewa.Get(f.path + "/historia?od=999"); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a bad version to compare: %d", r.StatusCode)
	}
	md := ewa.Get(f.path + "/eksport.md")
	if md.StatusCode != http.StatusOK || !strings.Contains(md.Body, "## Stawki i ulgi") || !strings.Contains(md.Body, "Klub Sąsiedzki Osiedle Zgody (demo) — ") {
		t.Fatalf("markdown export: %d\n%s", md.StatusCode, md.Body)
	}
	// Not submitted: hidden from residents and visitors, listed for nobody but editors.
	resident := signedInAs(t, s, "resident@example.org")
	if r := resident.Get(f.path); r.StatusCode != http.StatusNotFound {
		t.Fatalf("a resident sees a draft response: %d", r.StatusCode)
	}
	if r := s.Browser(t).Get(f.path + "/eksport.md"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("a visitor exports a draft response: %d", r.StatusCode)
	}
	if r := resident.Get(fmt.Sprintf("/konsultacje/%d", f.consultation)); strings.Contains(r.Body, f.path) {
		t.Fatal("a resident sees the draft response listed")
	}
}

// Two advocates edit one section in two browsers: the second save is refused with the
// merge view showing both texts, nothing is lost, the merged text saves; the edit asks
// the co-signers to confirm again, and a representative does.
func TestResponseMergeAndCosignReset(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	f := seededResponse(t, s)
	sec := f.sections[2]
	edit := fmt.Sprintf("%s/sekcje/%d", f.path, sec)
	ewa, tomek := signedInAs(t, s, "advocate@example.org"), signedInAs(t, s, "klub.nowahuta@example.org")
	base := sectionVersion(t, s, sec)
	for _, b := range []*servertest.Browser{ewa, tomek} {
		if r := b.Get(edit); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `name="base_version" value="`+strconv.Itoa(base)+`"`) {
			t.Fatalf("edit form: %d", r.StatusCode)
		}
	}
	first := "Rezerwacja przez internet i telefonicznie. Sale otwarte do 22:00."
	if r := ewa.Post(edit, url.Values{"title": {"Rezerwacja i godziny"}, "body": {first}, "base_version": {strconv.Itoa(base)}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("first save: %d %s", r.StatusCode, r.Title())
	}
	second := "Rezerwacja przez internet. Sale otwarte w soboty."
	r := tomek.Post(edit, url.Values{"title": {"Rezerwacja i godziny"}, "body": {second}, "base_version": {strconv.Itoa(base)}})
	if r.StatusCode != http.StatusConflict {
		t.Fatalf("stale save: %d, want 409", r.StatusCode)
	}
	if !strings.Contains(r.Body, "data-merge-saved>"+first) || !strings.Contains(r.Body, "data-merge-yours>"+second) ||
		!strings.Contains(r.Body, `name="base_version" value="`+strconv.Itoa(base+1)+`"`) || !strings.Contains(r.Body, ">"+second+"</textarea>") {
		t.Fatalf("merge view lacks both texts or the new base:\n%s", r.Body)
	}
	if got := sectionVersion(t, s, sec); got != base+1 {
		t.Fatalf("the stale save changed the section: version %d", got)
	}
	// The first save asked the other organisation's representative to confirm again.
	var asked int
	if err := s.Pool.QueryRow(context.Background(), `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE n.kind = 'response.confirm' AND n.target_id = $1 AND u.email = 'klub.nowahuta@example.org'`, f.id).Scan(&asked); err != nil || asked != 1 {
		t.Fatalf("notifications to confirm again: %d (%v)", asked, err)
	}
	if r := tomek.Get("/powiadomienia"); !strings.Contains(r.Body, "potwierdź podpis ponownie") || !strings.Contains(r.Body, f.path) {
		t.Fatal("the notification is not on the representative's list, linked to the document")
	}
	merged := "Rezerwacja przez internet i telefonicznie. Sale otwarte do 22:00 i w soboty."
	if r := tomek.Post(edit, url.Values{"title": {"Rezerwacja i godziny"}, "body": {merged}, "base_version": {strconv.Itoa(base + 1)}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("merged save: %d %s", r.StatusCode, r.Title())
	}
	page := ewa.Get(f.path)
	if !strings.Contains(page.Body, "sobóty") && !strings.Contains(page.Body, "w soboty.") {
		t.Fatal("the merged text is not on the page")
	}
	if strings.Count(page.Body, "do ponownego potwierdzenia") < 2 {
		t.Fatal("the co-signatures are not marked to confirm again after the edit")
	}
	if !strings.Contains(page.Body, "Potwierdź ponownie w imieniu: Stowarzyszenie Sąsiedzi z Podgórza (demo)") {
		t.Fatal("the representative is not offered to confirm again")
	}
	var org int64
	if err := s.Pool.QueryRow(context.Background(), `SELECT organisation_id FROM organisation_members m JOIN users u ON u.id = m.user_id
		WHERE u.email = 'advocate@example.org' AND m.role = 'representative'`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	if r := ewa.Post(f.path+"/podpisy", url.Values{"organisation_id": {strconv.FormatInt(org, 10)}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirming again: %d", r.StatusCode)
	}
	if page := ewa.Get(f.path); strings.Count(page.Body, "do ponownego potwierdzenia") != 1 {
		t.Fatal("one organisation confirmed, one still to confirm")
	}
	// Bad input: a clear per-field error, nothing saved.
	v := sectionVersion(t, s, sec)
	r = ewa.Post(edit, url.Values{"title": {"Rezerwacja i godziny"}, "body": {"   "}, "base_version": {strconv.Itoa(v)}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#body"`) || !strings.HasPrefix(r.Title(), "Błąd:") {
		t.Fatalf("empty body: %d %s", r.StatusCode, r.Title())
	}
	if sectionVersion(t, s, sec) != v {
		t.Fatal("an empty body was saved")
	}
}

// Many saves of one section on one base version through the API: exactly one 200, the
// others 409 stale_version with the saved text and their own.
func TestResponseConcurrentAPISaves(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	f := seededResponse(t, s)
	sec := f.sections[0]
	base := sectionVersion(t, s, sec)
	path := fmt.Sprintf("/api/v1/responses/%d/sections/%d", f.id, sec)
	const n = 6
	clients := make([]*servertest.API, n)
	for i := range clients {
		clients[i] = s.API(t)
		clients[i].Login([]string{"advocate@example.org", "klub.nowahuta@example.org", "moderator@example.org"}[i%3], seed.DemoPassword)
	}
	results := make([]servertest.Response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = clients[i].Do(http.MethodPut, path, map[string]any{"title": "Wprowadzenie",
				"body": fmt.Sprintf("Tekst numer %d.", i), "base_version": base})
		}()
	}
	wg.Wait()
	winner := -1
	for i, r := range results {
		if r.StatusCode == http.StatusOK {
			if winner >= 0 {
				t.Fatalf("two saves won: %d and %d", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("no save won: %v", results[0].Body)
	}
	for i, r := range results {
		if i == winner {
			continue
		}
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Current struct {
					Body    string `json:"body"`
					Version int    `json:"version"`
				} `json:"current"`
				Yours struct {
					Body string `json:"body"`
				} `json:"yours"`
			} `json:"error"`
		}
		r.JSON(t, &e)
		if r.StatusCode != http.StatusConflict || e.Error.Code != "stale_version" || e.Error.Current.Version != base+1 ||
			e.Error.Current.Body != fmt.Sprintf("Tekst numer %d.", winner) || e.Error.Yours.Body != fmt.Sprintf("Tekst numer %d.", i) {
			t.Fatalf("save %d: %d %s", i, r.StatusCode, r.Body)
		}
	}
	if got := sectionVersion(t, s, sec); got != base+1 {
		t.Fatalf("version after the race: %d, want %d", got, base+1)
	}
}

// A submitted response is frozen and public: every write answers 409 document_frozen
// (403 for someone who could never edit), and its public page shows the text, the
// signatories and the date.
func TestResponseSubmittedIsFrozenAndPublic(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	f := seededResponse(t, s)
	ewa := signedInAs(t, s, "advocate@example.org")
	ewa.Get(f.path)
	for _, to := range []string{"approved", "submitted"} {
		if r := ewa.Post(f.path+"/status", url.Values{"status": {to}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("moving to %s: %d %s", to, r.StatusCode, r.Title())
		}
	}
	visitor := s.Browser(t)
	page := visitor.Get(f.path)
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "Złożono") || !strings.Contains(page.Body, "Klub Sąsiedzki Osiedle Zgody (demo)") ||
		!strings.Contains(page.Body, "Stawki i ulgi") || strings.Contains(page.Body, "Kaucja 500 zł</blockquote>") {
		t.Fatalf("public page: %d", page.StatusCode)
	}
	editor := s.API(t)
	editor.Login("klub.nowahuta@example.org", seed.DemoPassword)
	sec := fmt.Sprintf("/api/v1/responses/%d/sections/%d", f.id, f.sections[0])
	if r := editor.Do(http.MethodPut, sec, map[string]any{"title": "Wprowadzenie", "body": "Po terminie.",
		"base_version": sectionVersion(t, s, f.sections[0])}); r.StatusCode != http.StatusConflict || !strings.Contains(r.Body, "document_frozen") {
		t.Fatalf("saving a submitted response: %d %s", r.StatusCode, r.Body)
	}
	resident := s.API(t)
	resident.Login("resident@example.org", seed.DemoPassword)
	if r := resident.Do(http.MethodPut, sec, map[string]any{"title": "Wprowadzenie", "body": "Po terminie.", "base_version": 1}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a resident saves a submitted response: %d %s", r.StatusCode, r.Body)
	}
	if r := editor.Do(http.MethodPost, fmt.Sprintf("/api/v1/responses/%d/comments", f.id), map[string]any{"section_id": f.sections[0],
		"quote": "Koalicja", "body": "Za późno."}); r.StatusCode != http.StatusConflict || !strings.Contains(r.Body, "document_frozen") {
		t.Fatalf("commenting on a submitted response: %d %s", r.StatusCode, r.Body)
	}
	if r := ewa.Post(f.path+"/status", url.Values{"status": {"review"}}); r.StatusCode != http.StatusConflict {
		t.Fatalf("moving a submitted response back: %d", r.StatusCode)
	}
	if r := visitor.Get(f.path + "/eksport.md"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Złożono:") {
		t.Fatalf("public export: %d\n%s", r.StatusCode, r.Body)
	}
	// The PDF, made in Go with its font embedded (pdfdoc's tests read the letters back).
	pdf := visitor.Get(f.path + "/eksport.pdf")
	if pdf.StatusCode != http.StatusOK || pdf.Header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(pdf.Body, "%PDF-") || !strings.HasSuffix(strings.TrimSpace(pdf.Body), "%%EOF") ||
		!strings.Contains(pdf.Body, "/FontFile2") || !strings.Contains(pdf.Header.Get("Content-Disposition"), ".pdf") {
		t.Fatalf("public PDF: %d %s %q, %d bytes", pdf.StatusCode, pdf.Header.Get("Content-Type"), pdf.Header.Get("Content-Disposition"), len(pdf.Body))
	}
}
