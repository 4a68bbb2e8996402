package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// TestXSSCorpusThroughStaffForms sends the corpus through the staff's own text fields,
// by their forms and JSON bodies: a district's name, a topic's names, proposals and
// comments typed in from paper (with their authors' names), a paper signature's name,
// reasons for blocking a person and rejecting a question; then
// opens every page that shows them in Chromium: nothing runs, no CSP report arrives.
func TestXSSCorpusThroughStaffForms(t *testing.T) {
	t.Parallel()
	payloads := xssCorpus(t)
	srv := servertest.Start(t, servertest.Options{})
	ctx := t.Context()
	scalar := func(sql string, args ...any) int64 {
		t.Helper()
		var v int64
		if err := srv.Pool.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return v
	}
	district := scalar(`SELECT id FROM neighbourhoods WHERE slug = 'bronowice'`)
	admin := srv.Browser(t)
	admin.SignIn("admin@example.org", seed.DemoPassword)
	api := srv.API(t)
	api.Login("admin@example.org", seed.DemoPassword)
	short := func(p string, n int) string { // fields with a length limit get the payload's start
		r := []rune(p)
		return string(r[:min(len(r), n)])
	}
	ok := func(what string, r servertest.Response, want ...int) {
		t.Helper()
		for _, w := range append(want, http.StatusSeeOther, http.StatusOK, http.StatusCreated) {
			if r.StatusCode == w {
				return
			}
		}
		t.Fatalf("%s: %d %.300s", what, r.StatusCode, r.Body)
	}

	// A district renamed to a payload (one at a time: the name shows on the home page).
	renamed := short(payloads[0], 80)
	admin.Get("/admin/dzielnice")
	ok("renaming a district", admin.Post(fmt.Sprintf("/admin/dzielnice/%d", district), url.Values{"name": {renamed}}))

	var proposals, topics []int64
	var blocked []string
	questions := map[int64]int64{}
	asker := srv.API(t)
	asker.Login("resident@example.org", seed.DemoPassword)
	debate := scalar(`SELECT event_id FROM debates WHERE phase = 'scheduled' ORDER BY event_id LIMIT 1`)
	for i, p := range payloads {
		// A topic named with the payload in each language.
		admin.Get("/admin/dzielnice")
		ok("a topic", admin.Post("/admin/tematy", url.Values{"name_pl": {short(p, 60)}, "name_en": {short(p, 60)},
			"name_uk": {short(p, 60)}, "position": {strconv.Itoa(100 + i)}}))
		topics = append(topics, scalar(`SELECT max(id) FROM topics`))
		// A proposal and a comment typed in from paper, their authors named by the payload.
		admin.Get("/admin/propozycje/papier")
		ok("a paper proposal", admin.PostMultipart("/admin/propozycje/papier", url.Values{"paper_author": {short(p, 100)},
			"title": {"Z papieru: " + short(p, 150)}, "body": {"Wniosek złożony na papierze (ąę):\n\n" + p},
			"neighbourhood_id": {strconv.FormatInt(district, 10)}, "location_label": {short(p, 100)}}))
		proposal := scalar(`SELECT max(id) FROM proposals`)
		proposals = append(proposals, proposal)
		admin.Get(fmt.Sprintf("/komentarze/papier?target_type=proposal&target_id=%d", proposal))
		ok("a paper comment", admin.PostMultipart("/komentarze/papier", url.Values{"target_type": {"proposal"},
			"target_id": {strconv.FormatInt(proposal, 10)}, "stance": {"for"}, "body": {"Uwaga z zebrania (ąę): " + p},
			"author_name": {short(p, 100)}}))
		// A paper signature, its signer named by the payload and listed publicly.
		admin.Get("/admin/podpisy/papier")
		ok("a paper signature", admin.PostMultipart("/admin/podpisy/papier", url.Values{"full_name": {short(p, 200)},
			"list_publicly": {"yes"}}), http.StatusUnprocessableEntity)
		// Reasons: a blocked person, a rejected question.
		if i%5 == 0 {
			email := fmt.Sprintf("xss.staff.%d@example.org", i)
			person := srv.API(t)
			person.Header.Set("X-Forwarded-For", fmt.Sprintf("192.0.2.%d", 1+i))
			ok("registering", person.Do(http.MethodPost, "/api/v1/auth/register", map[string]any{"email": email,
				"display_name": fmt.Sprintf("Osoba %d", i), "password": "Bardzo-dlugie-haslo-2026", "accept_terms": true}))
			uid := scalar(`SELECT id FROM users WHERE email = $1`, email)
			ok("blocking", api.Do(http.MethodPost, fmt.Sprintf("/api/v1/admin/users/%d/block", uid), map[string]any{"reason": short(p, 300)}))
			blocked = append(blocked, email)
		}
		if i >= 3 { // three questions a minute per person
			continue
		}
		var q struct{ Question struct{ ID int64 } }
		r := asker.Do(http.MethodPost, fmt.Sprintf("/api/v1/debates/%d/questions", debate), map[string]any{
			"body": fmt.Sprintf("Pytanie %d mieszkanki z Bronowic?", i)})
		if r.StatusCode == http.StatusCreated {
			r.JSON(t, &q)
			ok("rejecting a question", api.Do(http.MethodPost, fmt.Sprintf("/api/v1/debates/%d/questions/%d/moderation", debate, q.Question.ID),
				map[string]any{"action": "reject", "reason": short(p, 300)}))
			questions[q.Question.ID] = int64(i)
		}
	}
	t.Logf("%d payloads through %d topics, %d paper proposals, %d blocked people, %d rejected questions",
		len(payloads), len(topics), len(proposals), len(blocked), len(questions))
	if len(questions) == 0 {
		t.Fatal("no question was asked to reject")
	}
	// A payload the name check refuses is answered 422; most must be stored, or the
	// allies page below proves nothing about them.
	var signed int
	if err := srv.Pool.QueryRow(ctx, `SELECT count(*) FROM signatures WHERE channel = 'paper' AND full_name = ANY($1)`,
		shortAll(payloads, 200)).Scan(&signed); err != nil {
		t.Fatal(err)
	}
	if signed < len(payloads)/2 {
		t.Fatalf("only %d of %d paper signatures stored", signed, len(payloads))
	}

	b := NewBrowser(t)
	visitor := b.NewPersonWithin("visitor", 10*time.Minute)
	staff := b.NewPersonWithin("admin", 5*time.Minute)
	signIn(t, staff, srv, "admin@example.org", seed.DemoPassword)
	checkPage(t, visitor, srv.URL+"/", renamed)
	checkPage(t, visitor, srv.URL+"/dzielnice/bronowice", renamed)
	checkPage(t, visitor, srv.URL+"/propozycje")
	checkPage(t, visitor, srv.URL+"/sojusznicy")
	for i, id := range proposals {
		if i%3 == 0 {
			checkPage(t, visitor, fmt.Sprintf("%s/propozycje/%d", srv.URL, id))
		}
	}
	checkPage(t, staff, srv.URL+"/admin/dzielnice")
	checkPage(t, staff, srv.URL+"/admin/osoby")
	checkPage(t, staff, srv.URL+"/admin/podpisy")
	checkPage(t, staff, fmt.Sprintf("%s/debaty/%d/konsola", srv.URL, debate))
	if got := cspReportCount(t, srv); got != 0 {
		t.Errorf("%d CSP violation report(s) arrived while the pages were shown", got)
	}
}

// shortAll cuts every payload to n runes, as the forms were sent.
func shortAll(payloads []string, n int) []string {
	out := make([]string, len(payloads))
	for i, p := range payloads {
		r := []rune(p)
		out[i] = string(r[:min(len(r), n)])
	}
	return out
}
