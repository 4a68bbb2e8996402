package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// TestPromiseCorrection: an advocate corrects a logged promise's wording and names the
// speaker the recording later gave; the history keeps the old and new values; a stale,
// empty or unknown-speaker correction is refused and changes nothing; a resident may
// not; the page's form does the same without JavaScript.
func TestPromiseCorrection(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	pid := authzQuery[int64](t, s, `SELECT min(id) FROM promises`)
	path := "/api/v1/promises/" + strconv.FormatInt(pid, 10)
	before := getPromise(t, s, pid)
	speaker := authzQuery[int64](t, s, `SELECT min(id) FROM debate_speakers WHERE event_id = $1`, before.DebateID)
	otherSpeaker := authzQuery[int64](t, s, `SELECT min(id) FROM debate_speakers WHERE event_id <> $1`, before.DebateID)
	advocate, resident := s.API(t), s.API(t)
	advocate.Login("advocate@example.org", seed.DemoPassword)
	resident.Login("resident@example.org", seed.DemoPassword)

	fixed := before.Text + " (poprawione)"
	r := advocate.Do(http.MethodPatch, path, map[string]any{"version": before.Version, "text": fixed, "topic": before.Topic,
		"speaker_id": speaker})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("correcting: %d %s", r.StatusCode, r.Body)
	}
	after := getPromise(t, s, pid)
	if after.Text != fixed || after.SpeakerID == nil || *after.SpeakerID != speaker || after.Version != before.Version+1 {
		t.Fatalf("after the correction: %+v", after)
	}
	var fields []string
	for _, h := range after.History {
		fields = append(fields, h.Field)
		if h.Field == "text" && (h.Old == nil || *h.Old != before.Text || h.New == nil || *h.New != fixed) {
			t.Errorf("the history's text line: %+v", h)
		}
	}
	if got := strings.Join(fields, ","); !strings.Contains(got, "text") || !strings.Contains(got, "speaker") || strings.Contains(got, "topic") {
		t.Errorf("history fields %s: want text and speaker, not the unchanged topic", got)
	}
	refusals := []struct {
		name   string
		body   map[string]any
		status int
		code   string
		field  string
	}{
		{"stale", map[string]any{"version": before.Version, "text": "Inna treść obietnicy"}, 409, "stale_promise", ""},
		{"nothing changed", map[string]any{"version": after.Version, "text": fixed, "topic": after.Topic, "speaker_id": speaker}, 422, "validation_failed", "text"},
		{"another debate's speaker", map[string]any{"version": after.Version, "text": fixed, "speaker_id": otherSpeaker}, 422, "validation_failed", "speaker_id"},
		{"too short", map[string]any{"version": after.Version, "text": "abc"}, 422, "validation_failed", "text"},
	}
	for _, c := range refusals {
		wantError(t, c.name, advocate.Do(http.MethodPatch, path, c.body), c.status, c.code, c.field)
	}
	wantError(t, "a resident", resident.Do(http.MethodPatch, path, map[string]any{"version": after.Version, "text": "Cokolwiek innego"}),
		http.StatusForbidden, "forbidden", "")
	if got := getPromise(t, s, pid); got.Version != after.Version || got.Text != fixed {
		t.Fatalf("a refused correction changed the promise: %+v", got)
	}

	// The page's form: back to the whole debate, without JavaScript.
	b := s.Browser(t)
	b.SignIn("advocate@example.org", seed.DemoPassword)
	page := "/obietnice/" + strconv.FormatInt(pid, 10)
	if r := b.Get(page); !strings.Contains(r.Body, `action="`+page+`/poprawka"`) {
		t.Fatalf("the page offers no correction form")
	}
	r2 := b.Post(page+"/poprawka", url.Values{"version": {strconv.FormatInt(after.Version, 10)}, "text": {fixed},
		"topic": {after.Topic}, "speaker_id": {"none"}})
	if r2.StatusCode != http.StatusSeeOther {
		t.Fatalf("the correction form: %d %s", r2.StatusCode, r2.Title())
	}
	if got := getPromise(t, s, pid); got.SpeakerID != nil {
		t.Errorf("the form did not give the promise back to the whole debate: %+v", got.SpeakerID)
	}
}
