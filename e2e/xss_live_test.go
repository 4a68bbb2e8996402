package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// TestXSSCorpusInDebatesAndEdits sends the corpus through what TestXSSCorpusNeverRuns
// leaves out: a debate's text (title, description, place, organisers, accessibility,
// speakers' names and roles, agenda topics), an announcement, audience questions as
// asked and as a moderator corrected them, an event's minutes, and edits of proposals
// and comments; then opens the debate's public page, the phone view, the projector and
// the console, the event and the edited proposal in Chromium.
func TestXSSCorpusInDebatesAndEdits(t *testing.T) {
	t.Parallel()
	began := time.Now()
	payloads := xssCorpus(t)
	n := len(payloads)
	corpus := "Notatka ze spotkania (ąćęłńóśźż):\n\n" + strings.Join(payloads, "\n\n") + "\n\nKoniec notatki."
	srv := servertest.Start(t, servertest.Options{Env: map[string]string{"LAWKA_TRUSTED_PROXIES": "127.0.0.1/32"}})
	ctx := t.Context()
	var district int64
	if err := srv.Pool.QueryRow(ctx, `SELECT id FROM neighbourhoods WHERE slug = 'nowa-huta'`).Scan(&district); err != nil {
		t.Fatal(err)
	}
	mod := srv.API(t)
	mod.Login("moderator@example.org", seed.DemoPassword)

	// People whose display names are the payloads ask the questions and write the
	// proposals and comments (each from its own address: the per-address limits are
	// not what this test is about).
	people := make([]*servertest.API, n)
	for i, p := range payloads {
		people[i] = srv.API(t)
		people[i].Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.%d.%d", 113+i/200, 1+i%200))
		email := fmt.Sprintf("xss.live.%d@example.org", i)
		if r := people[i].Do(http.MethodPost, "/api/v1/auth/register", map[string]any{"email": email, "display_name": p,
			"password": "Bardzo-dlugie-haslo-2026", "accept_terms": true}); r.StatusCode != http.StatusCreated {
			t.Fatalf("registering %q: %d %s", p, r.StatusCode, r.Body)
		}
	}
	if _, err := srv.Pool.Exec(ctx, `UPDATE users SET email_confirmed_at = now() WHERE email LIKE 'xss.live.%@example.org'`); err != nil {
		t.Fatal(err)
	}
	for i := range people {
		people[i].Login(fmt.Sprintf("xss.live.%d@example.org", i), "Bardzo-dlugie-haslo-2026")
	}

	debates, questions, events, proposals := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	now := time.Now()
	for i, p := range payloads {
		// A question is 10–300 characters: short payloads get Polish words around them.
		asked := "Pytanie mieszkanki: " + p
		if len([]rune(asked)) > 300 {
			asked = string([]rune(asked)[:300])
		}
		var d struct {
			Debate struct {
				ID    int64 `json:"id"`
				State struct {
					Seq      int64 `json:"seq"`
					Speakers []struct {
						ID int64 `json:"id"`
					} `json:"speakers"`
				} `json:"state"`
			} `json:"debate"`
		}
		r := mod.Do(http.MethodPost, "/api/v1/debates", map[string]any{
			"title": p, "description": corpus, "address": p, "organisers": p, "accessibility": p, "status": "published",
			"starts_at": now.Add(time.Hour).Format(time.RFC3339), "ends_at": now.Add(3 * time.Hour).Format(time.RFC3339),
			"district_ids": []int64{district},
			"speakers":     []map[string]any{{"name": p, "role": p}, {"name": "Jerzy Muzyk", "role": "kandydat (ąę)"}},
			"agenda":       []map[string]any{{"topic": p, "planned_minutes": 20}, {"topic": "Sąsiedztwa", "planned_minutes": 20}},
		})
		if r.StatusCode != http.StatusCreated || json.Unmarshal([]byte(r.Body), &d) != nil || d.Debate.ID == 0 || len(d.Debate.State.Speakers) != 2 {
			t.Fatalf("debate %q: %d %s", p, r.StatusCode, r.Body)
		}
		debates[i] = d.Debate.ID
		seq := d.Debate.State.Seq
		act := func(cmd map[string]any) {
			t.Helper()
			cmd["expected_seq"] = seq
			r := mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/debates/%d/actions", debates[i]), cmd)
			var st struct {
				State struct {
					Seq int64 `json:"seq"`
				} `json:"state"`
			}
			if r.StatusCode != http.StatusOK || json.Unmarshal([]byte(r.Body), &st) != nil {
				t.Fatalf("debate %q, %v: %d %s", p, cmd["action"], r.StatusCode, r.Body)
			}
			seq = st.State.Seq
		}
		act(map[string]any{"action": "start"})
		act(map[string]any{"action": "speaker", "speaker_id": d.Debate.State.Speakers[0].ID})
		act(map[string]any{"action": "announce", "text": p})
		questions[i] = createdID(t, "question", people[i].Do(http.MethodPost, fmt.Sprintf("/api/v1/debates/%d/questions", debates[i]),
			map[string]any{"body": asked}), "question")
		moderate := func(m map[string]any) {
			t.Helper()
			if r := mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/debates/%d/questions/%d/moderation", debates[i], questions[i]), m); r.StatusCode != http.StatusOK {
				t.Fatalf("question %q, %v: %d %s", asked, m["action"], r.StatusCode, r.Body)
			}
		}
		moderate(map[string]any{"action": "approve"})
		moderate(map[string]any{"action": "edit", "body": "Poprawione: " + asked})
		act(map[string]any{"action": "screen", "question_id": questions[i]})

		events[i] = createdID(t, "event "+p, mod.Do(http.MethodPost, "/api/v1/events", map[string]any{
			"kind": "kdo_meeting", "title": "Posiedzenie KDO " + fmt.Sprint(i), "address": "ul. Sąsiedzka 1",
			"neighbourhood_id": district, "status": "published",
			"starts_at": now.Add(time.Duration(24+i) * time.Hour).Format(time.RFC3339),
			"ends_at":   now.Add(time.Duration(26+i) * time.Hour).Format(time.RFC3339)}), "event")
		proposals[i] = createdID(t, "proposal", people[i].Do(http.MethodPost, "/api/v1/proposals", map[string]any{
			"title": "Ławka przy przystanku " + fmt.Sprint(i), "body": "Propozycja mieszkańców Nowej Huty (ąę).",
			"neighbourhood_id": district}), "proposal")
	}
	// Minutes come after an event has begun.
	if _, err := srv.Pool.Exec(ctx, `UPDATE events SET starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour'
		WHERE id = ANY($1)`, events); err != nil {
		t.Fatal(err)
	}
	comments := make([]int64, n)
	for i, p := range payloads {
		if r := mod.Do(http.MethodPut, fmt.Sprintf("/api/v1/events/%d/minutes", events[i]), map[string]any{"minutes": corpus}); r.StatusCode != http.StatusOK {
			t.Fatalf("minutes: %d %s", r.StatusCode, r.Body)
		}
		if r := people[i].Do(http.MethodPatch, fmt.Sprintf("/api/v1/proposals/%d", proposals[i]), map[string]any{
			"title": p, "body": corpus, "neighbourhood_id": district, "location_label": p}); r.StatusCode != http.StatusOK {
			t.Fatalf("editing the proposal to %q: %d %s", p, r.StatusCode, r.Body)
		}
		comments[i] = createdID(t, "comment", people[(i+1)%n].Do(http.MethodPost, fmt.Sprintf("/api/v1/proposals/%d/comments", proposals[i]),
			map[string]any{"body": "Dobry pomysł (ąę).", "stance": "for"}), "comment")
		if r := people[(i+1)%n].Do(http.MethodPatch, fmt.Sprintf("/api/v1/comments/%d", comments[i]), map[string]any{"body": corpus}); r.StatusCode != http.StatusOK {
			t.Fatalf("editing a comment: %d %s", r.StatusCode, r.Body)
		}
	}
	t.Logf("%d payloads stored through debates, questions, minutes and edits in %v", n, time.Since(began).Round(time.Millisecond))

	visitorAPI := srv.API(t)
	for i, p := range payloads {
		checkJSONData(t, "debate", visitorAPI.Do(http.MethodGet, fmt.Sprintf("/api/v1/debates/%d", debates[i]), nil), p)
		checkJSONData(t, "questions", visitorAPI.Do(http.MethodGet, fmt.Sprintf("/api/v1/debates/%d/questions", debates[i]), nil))
		checkJSONData(t, "queue", mod.Do(http.MethodGet, fmt.Sprintf("/api/v1/debates/%d/questions/queue", debates[i]), nil), p)
		checkJSONData(t, "event", visitorAPI.Do(http.MethodGet, fmt.Sprintf("/api/v1/events/%d", events[i]), nil), corpus)
		checkJSONData(t, "edited proposal", visitorAPI.Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d", proposals[i]), nil), p, corpus)
	}

	b := NewBrowser(t)
	visitor := b.NewPersonWithin("visitor", 10*time.Minute)
	staff := b.NewPersonWithin("moderator", 5*time.Minute)
	signIn(t, staff, srv, "moderator@example.org", seed.DemoPassword)
	for i, p := range payloads {
		checkPage(t, visitor, fmt.Sprintf("%s/debaty/%d", srv.URL, debates[i]), p)
		checkPage(t, visitor, fmt.Sprintf("%s/debaty/%d/na-zywo", srv.URL, debates[i]), p)
		checkPage(t, visitor, fmt.Sprintf("%s/debaty/%d/rzutnik", srv.URL, debates[i]))
		checkPage(t, visitor, fmt.Sprintf("%s/wydarzenia/%d", srv.URL, events[i]))
		checkPage(t, visitor, fmt.Sprintf("%s/propozycje/%d", srv.URL, proposals[i]), p)
		if i%4 == 0 {
			checkPage(t, staff, fmt.Sprintf("%s/debaty/%d/konsola", srv.URL, debates[i]), p)
			checkPage(t, visitor, fmt.Sprintf("%s/debaty/%d/archiwum", srv.URL, debates[i]), p)
		}
	}
	checkPage(t, visitor, srv.URL+"/wydarzenia")
	checkPage(t, visitor, srv.URL+"/dzielnice/nowa-huta")
	if got := cspReportCount(t, srv); got != 0 {
		t.Errorf("%d CSP violation report(s) arrived while the pages were shown", got)
	}
	t.Logf("%d payloads, pages checked in %v", n, time.Since(began).Round(time.Millisecond))
}
