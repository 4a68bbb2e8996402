package server_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// TestDebateArchive: after a debate run in Ławka, its archive puts the question that
// went on screen under the agenda item it was answered in, with its moment; lists the
// approved question never shown as unanswered; puts the poll under the item current
// when it opened, with its result; and offers it all as a page, JSON and CSV. The
// seeded 2024 debate, not run in Ławka, has an archive without moments.
func TestDebateArchive(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := upcomingDebate(t, s)
	mod := s.API(t)
	mod.Login("moderator@example.org", seed.DemoPassword)
	resident := s.API(t)
	resident.Login("resident@example.org", seed.DemoPassword)

	step := func(cmd map[string]any) debateState {
		t.Helper()
		_, st := stateOf(t, s, id)
		cmd["expected_seq"] = st.Seq
		r, next := act(t, mod, id, cmd)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%v: %d %s", cmd, r.StatusCode, r.Body)
		}
		return next
	}
	st := step(map[string]any{"action": "start"})
	first := *st.CurrentItemID
	answered := ask(t, resident, id, "Kiedy stanie ławka dialogu przed magistratem?", false)
	unanswered := ask(t, resident, id, "Czy rady dzielnic dostaną lokale na spotkania?", false)
	for _, q := range []int64{answered.ID, unanswered.ID} {
		mustOK(t, moderate(t, mod, id, q, map[string]any{"action": "approve"}))
	}
	step(map[string]any{"action": "screen", "question_id": answered.ID})
	st = step(map[string]any{"action": "next"})
	second := *st.CurrentItemID

	var poll struct {
		Poll struct {
			ID      int64
			Options []struct{ ID int64 }
		}
	}
	r := mod.Do(http.MethodPost, "/api/v1/polls", map[string]any{"question": "Czy ławka ma stanąć na Rynku?", "kind": "single",
		"options": []string{"Tak", "Nie"}, "eligibility": "registered", "debate_id": id})
	r.JSON(t, &poll)
	mustOK(t, mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/open", poll.Poll.ID), nil))
	mustOK(t, resident.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/votes", poll.Poll.ID),
		map[string]any{"option_ids": []int64{poll.Poll.Options[0].ID}}))
	step(map[string]any{"action": "end"})

	var out struct {
		Archive struct {
			Timed bool `json:"timed"`
			Items []struct {
				ID    int64 `json:"id"`
				Spans []struct {
					FromMS int64 `json:"from_ms"`
					ToMS   int64 `json:"to_ms"`
				} `json:"spans"`
				Answered []struct {
					ID       int64 `json:"id"`
					MomentMS int64 `json:"moment_ms"`
				} `json:"questions_answered"`
				Polls []struct {
					ID      int64 `json:"id"`
					Total   int   `json:"total"`
					Options []struct {
						Label string `json:"label"`
						Votes int    `json:"votes"`
					} `json:"options"`
				} `json:"polls"`
			} `json:"items"`
			Unanswered []struct {
				ID int64 `json:"id"`
			} `json:"questions_unanswered"`
		} `json:"archive"`
	}
	r = s.API(t).Do(http.MethodGet, debatePath(id, "/archive"), nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("archive: %d %s", r.StatusCode, r.Body)
	}
	r.JSON(t, &out)
	a := out.Archive
	if !a.Timed || len(a.Items) < 2 || a.Items[0].ID != first || a.Items[1].ID != second {
		t.Fatalf("archive: %s", r.Body)
	}
	if got := a.Items[0].Answered; len(got) != 1 || got[0].ID != answered.ID || got[0].MomentMS < 0 {
		t.Errorf("the first item's answered questions: %+v, want question %d", got, answered.ID)
	}
	if len(a.Items[0].Spans) != 1 || len(a.Items[1].Spans) != 1 || a.Items[1].Spans[0].FromMS != a.Items[0].Spans[0].ToMS ||
		a.Items[1].Spans[0].ToMS < a.Items[1].Spans[0].FromMS {
		t.Errorf("spans: %+v / %+v", a.Items[0].Spans, a.Items[1].Spans)
	}
	found := false
	for _, q := range a.Unanswered {
		found = found || q.ID == unanswered.ID
		if q.ID == answered.ID {
			t.Error("the answered question is listed as unanswered too")
		}
	}
	if !found {
		t.Errorf("question %d is not among the unanswered", unanswered.ID)
	}
	if p := a.Items[1].Polls; len(p) != 1 || p[0].ID != poll.Poll.ID || p[0].Total != 1 || p[0].Options[0].Votes != 1 {
		t.Errorf("the poll under the second item: %+v", p)
	}

	b := s.Browser(t)
	page := b.Get("/debaty/" + strconv.FormatInt(id, 10) + "/archiwum")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "Kiedy stanie ławka dialogu przed magistratem?") ||
		!strings.Contains(page.Body, "Pytania bez odpowiedzi") || !strings.Contains(page.Body, "Czy ławka ma stanąć na Rynku?") {
		t.Errorf("archive page: %d %s", page.StatusCode, page.Title())
	}
	csv := b.Get("/debaty/" + strconv.FormatInt(id, 10) + "/archiwum.csv")
	if !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(csv.Body, "kind,agenda_item,moment_ms,moment,text,who,detail,number\n") ||
		!strings.Contains(csv.Body, "question_answered,") || !strings.Contains(csv.Body, "poll_option,") {
		t.Errorf("archive CSV: %s\n%s", csv.Header.Get("Content-Type"), csv.Body)
	}
	if j := b.Get("/debaty/" + strconv.FormatInt(id, 10) + "/archiwum.json"); !strings.Contains(j.Header.Get("Content-Disposition"), "attachment") ||
		!strings.HasPrefix(j.Body, `{"archive":`) {
		t.Errorf("archive JSON download: %s %.100s", j.Header.Get("Content-Disposition"), j.Body)
	}

	krakow := authzQuery[int64](t, s, `SELECT d.event_id FROM debates d JOIN events e ON e.id = d.event_id
		WHERE e.starts_at::date = '2024-04-27' AND e.kind = 'debate'`)
	r = s.API(t).Do(http.MethodGet, debatePath(krakow, "/archive"), nil)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `"timed":false`) {
		t.Errorf("the 2024 debate's archive: %d %.300s", r.StatusCode, r.Body)
	}
	if page := b.Get("/debaty/" + strconv.FormatInt(krakow, 10) + "/archiwum"); page.StatusCode != http.StatusOK ||
		!strings.Contains(page.Body, "nie prowadzono w Ławce") {
		t.Errorf("the 2024 debate's archive page: %d", page.StatusCode)
	}
}
