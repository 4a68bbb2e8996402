package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// TestXSSCorpusInResponses sends the XSS corpus through a coalition response's fields
// (section titles, section texts in Markdown, quoted passages and comments) and opens
// every page that shows them: nothing runs, no dangerous element or attribute appears,
// and plain-text fields show the payload as sent — while drafting (with the live
// presence script on the page) and once the response is public.
func TestXSSCorpusInResponses(t *testing.T) {
	t.Parallel()
	payloads := xssCorpus(t)
	corpus := "Uwagi koalicji (ąćęłńóśźż):\n\n" + strings.Join(payloads, "\n\n") + "\n\nKoniec."
	srv := servertest.Start(t, servertest.Options{})
	var consultation int64
	if err := srv.Pool.QueryRow(t.Context(), `SELECT consultation_id FROM response_documents ORDER BY id LIMIT 1`).Scan(&consultation); err != nil {
		t.Fatal(err)
	}
	form := srv.Browser(t)
	form.SignIn("advocate@example.org", seed.DemoPassword)
	api := srv.API(t)
	api.Login("advocate@example.org", seed.DemoPassword)
	type doc struct {
		id       int64
		sections []int64
		payloads []string
	}
	var docs []doc
	// Thirty sections at most a document: the corpus is shared out over a few.
	for start := 0; start < len(payloads); start += 25 {
		part := payloads[start:min(start+25, len(payloads))]
		r := form.Submit(fmt.Sprintf("/konsultacje/%d/stanowiska/nowe", consultation), fmt.Sprintf("/konsultacje/%d/stanowiska", consultation),
			url.Values{"title": {"Stanowisko " + part[0]}, "sections": {strings.Join(part, "\n")}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("creating a response: %d %s", r.StatusCode, r.Title())
		}
		d := doc{payloads: part}
		if err := srv.Pool.QueryRow(t.Context(), `SELECT max(id) FROM response_documents`).Scan(&d.id); err != nil {
			t.Fatal(err)
		}
		rows, err := srv.Pool.Query(t.Context(), `SELECT id, title FROM response_sections WHERE document_id = $1 ORDER BY position`, d.id)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var title string
			if err := rows.Scan(&id, &title); err != nil {
				t.Fatal(err)
			}
			if title != part[len(d.sections)] {
				t.Errorf("section title stored as %q, sent %q", title, part[len(d.sections)])
			}
			d.sections = append(d.sections, id)
		}
		rows.Close()
		for i, sec := range d.sections {
			if r := api.Do(http.MethodPut, fmt.Sprintf("/api/v1/responses/%d/sections/%d", d.id, sec),
				map[string]any{"title": part[i], "body": corpus, "base_version": 1}); r.StatusCode != http.StatusOK {
				t.Fatalf("saving a section: %d %s", r.StatusCode, r.Body)
			}
			if r := api.Do(http.MethodPost, fmt.Sprintf("/api/v1/responses/%d/comments", d.id),
				map[string]any{"section_id": sec, "quote": part[i], "body": part[i]}); r.StatusCode != http.StatusCreated {
				t.Fatalf("commenting on %q: %d %s", part[i], r.StatusCode, r.Body)
			}
		}
		docs = append(docs, d)
	}

	b := NewBrowser(t)
	ewa := b.NewPersonWithin("advocate", 5*Timeout)
	signIn(t, ewa, srv, "advocate@example.org", seed.DemoPassword)
	for _, d := range docs {
		path := fmt.Sprintf("%s/stanowiska/%d", srv.URL, d.id)
		checkPage(t, ewa, path, d.payloads...)
		checkPage(t, ewa, path+"/historia", d.payloads[0])
		checkPage(t, ewa, fmt.Sprintf("%s/sekcje/%d/historia?od=1&do=2", path, d.sections[0]))
		checkPage(t, ewa, fmt.Sprintf("%s/sekcje/%d", path, d.sections[0]))
		checkPage(t, ewa, path+"/druk", d.payloads...)
	}
	checkPage(t, ewa, fmt.Sprintf("%s/konsultacje/%d", srv.URL, consultation))

	// Submitted: the public page, to a visitor.
	for _, to := range []string{"review", "approved", "submitted"} {
		form.Get(fmt.Sprintf("/stanowiska/%d", docs[0].id))
		if r := form.Post(fmt.Sprintf("/stanowiska/%d/status", docs[0].id), url.Values{"status": {to}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("moving to %s: %d", to, r.StatusCode)
		}
	}
	visitor := b.NewPersonWithin("visitor", 2*Timeout)
	checkPage(t, visitor, fmt.Sprintf("%s/stanowiska/%d", srv.URL, docs[0].id), docs[0].payloads...)
	checkPage(t, visitor, fmt.Sprintf("%s/stanowiska/%d/druk", srv.URL, docs[0].id), docs[0].payloads...)
	checkPage(t, visitor, fmt.Sprintf("%s/konsultacje/%d", srv.URL, consultation), "Stanowisko "+docs[0].payloads[0])
}
