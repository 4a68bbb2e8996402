package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"lawka/internal/server/servertest"
)

// TestProposalHistoryShowsWhatChanged: each version on the history page shows the words
// its edit deleted and inserted, marked for the eye and for screen readers, with the
// paragraphs kept; any two versions can be compared (a GET form, so without
// JavaScript); text from either version is never markup; the API gives the same.
func TestProposalHistoryShowsWhatChanged(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	a := s.API(t)
	a.Login("resident@example.org", "lawka-demo-2026")
	district := districtID(t, s, "podgorze")
	texts := []map[string]any{
		{"title": "Stojaki przy rynku", "body": "Prosimy o stojaki na rowery.\n\nRowery stoją przy drzewach."},
		{"title": "Stojaki rowerowe przy rynku", "body": "Prosimy o dziesięć stojaków na rowery.\n\nRowery stoją przy drzewach."},
		{"title": "Stojaki rowerowe przy rynku", "body": "Prosimy o dziesięć stojaków na rowery. <script>alert(1)</script>\n\nRowery stoją przy drzewach."},
	}
	for _, m := range texts {
		m["neighbourhood_id"] = district
	}
	p := newProposal(t, a, texts[0])
	for _, m := range texts[1:] {
		if r := a.Do(http.MethodPatch, fmt.Sprintf("/api/v1/proposals/%d", p.ID), m); r.StatusCode != http.StatusOK {
			t.Fatalf("edit: %d %s", r.StatusCode, r.Body)
		}
	}
	history := fmt.Sprintf("/propozycje/%d/historia", p.ID)
	page := s.Browser(t).Get(history)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("history: %d", page.StatusCode)
	}
	for _, want := range []string{
		// Version 2 against 1: the title gained a word, the body's words changed.
		`<ins><span class="visually-hidden">dodano: </span>rowerowe<span class="visually-hidden"> (koniec dodanego tekstu)</span></ins>`,
		`Prosimy o <del><span class="visually-hidden">usunięto: </span>stojaki<span class="visually-hidden"> (koniec usuniętego tekstu)</span></del>` +
			`<ins><span class="visually-hidden">dodano: </span>dziesięć stojaków<span class="visually-hidden"> (koniec dodanego tekstu)</span></ins> na rowery.</p>`,
		"<p>Rowery stoją przy drzewach.</p>", // the second paragraph, unchanged, its own paragraph
		"Zmiany względem wersji 1", "Zmiany względem wersji 2", "Wersja 3 (obecna)",
		// Version 3 against 2: the script inserted, as text.
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
		`<select class="select" id="od" name="od">`, `<option value="2" selected>`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the history page lacks %s", want)
		}
	}
	if strings.Contains(page.Body, "<script>alert") {
		t.Error("the history page carries the script as markup")
	}

	cmp := s.Browser(t).Get(history + "?od=1&do=3")
	if cmp.StatusCode != http.StatusOK || !strings.Contains(cmp.Body, "Zmiany od wersji 1 do wersji 3") ||
		!strings.Contains(cmp.Body, `id="porownanie"`) || strings.Contains(cmp.Body, "<script>alert") {
		t.Fatalf("comparing versions 1 and 3: %d", cmp.StatusCode)
	}
	if r := s.Browser(t).Get(history + "?od=1&do=9"); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `href="#do"`) || !strings.HasPrefix(r.Title(), "Błąd:") {
		t.Fatalf("comparing with a version that does not exist: %d %q", r.StatusCode, r.Title())
	}

	var diff struct {
		From, To    int
		Title, Body []struct{ Op, Text string }
	}
	r := s.API(t).Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d/diff?from=1&to=2", p.ID), nil)
	r.JSON(t, &diff)
	if r.StatusCode != http.StatusOK || diff.From != 1 || diff.To != 2 || fmt.Sprint(diff.Title) != "[{equal Stojaki } {insert rowerowe } {equal przy rynku}]" {
		t.Fatalf("API diff: %d %s", r.StatusCode, r.Body)
	}
	var revs struct {
		Items []struct {
			Number int
			Title  string
		}
	}
	s.API(t).Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d/revisions", p.ID), nil).JSON(t, &revs)
	if len(revs.Items) != 3 || revs.Items[0].Number != 1 || revs.Items[0].Title != "Stojaki przy rynku" {
		t.Fatalf("API revisions: %+v", revs)
	}
}
