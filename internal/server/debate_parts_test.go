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

// TestDebateEditParts: a debate's moderator corrects a speaker's name and adds an agenda
// item after creating the debate; the speaker keeps its id (and so its photo and time);
// a form based on an older version is refused with what was typed kept; the speaker
// who has the floor cannot be removed; a resident cannot open the form. Each refusal
// changes nothing.
func TestDebateEditParts(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := upcomingDebate(t, s)
	page := "/debaty/" + strconv.FormatInt(id, 10) + "/edycja"
	mod := signedInAs(t, s, "moderator@example.org")
	r := mod.Get(page)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("the form: %d", r.StatusCode)
	}
	_, before := stateOf(t, s, id)
	if len(before.Speakers) < 2 || !strings.Contains(r.Body, before.Speakers[0].Name) {
		t.Fatalf("the form does not show the speakers: %+v", before.Speakers)
	}
	modID := scalar[int64](t, s, `SELECT id FROM users WHERE email = 'moderator@example.org'`)
	form := func(speakers, agenda string, seq int64) url.Values {
		return url.Values{"speakers": {speakers}, "agenda": {agenda}, "expected_seq": {strconv.FormatInt(seq, 10)},
			"moderator_ids": {strconv.FormatInt(modID, 10)}}
	}
	var agenda []string
	for _, it := range before.Items {
		agenda = append(agenda, it.Topic+" | 20")
	}
	speakers := []string{"Anna Poprawiona | radna dzielnicy (ąę)"}
	for _, sp := range before.Speakers[1:] {
		speakers = append(speakers, sp.Name+" | "+sp.Role)
	}
	r = mod.Post(page, form(strings.Join(speakers, "\n"), strings.Join(append(agenda, "Pytania z sali | 15"), "\n"), before.Seq))
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving: %d %s", r.StatusCode, r.Title())
	}
	_, after := stateOf(t, s, id)
	if after.Speakers[0].ID != before.Speakers[0].ID || after.Speakers[0].Name != "Anna Poprawiona" ||
		len(after.Items) != len(before.Items)+1 || after.Items[len(after.Items)-1].Topic != "Pytania z sali" || after.Seq != before.Seq+1 {
		t.Fatalf("after saving: %+v", after)
	}

	// Based on the version before: refused, the typed text kept, nothing changed.
	r = mod.Post(page, form("Ktoś Inny | gość", "Jeden punkt | 10", before.Seq))
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.Body, "Ktoś Inny | gość") {
		t.Fatalf("a stale form: %d", r.StatusCode)
	}
	if _, now := stateOf(t, s, id); now.Seq != after.Seq || len(now.Speakers) != len(after.Speakers) {
		t.Fatalf("a stale form changed the debate: %+v", now)
	}

	// The speaker with the floor stays.
	api := s.API(t)
	api.Login("moderator@example.org", seed.DemoPassword)
	if r, _ := act(t, api, id, map[string]any{"action": "start", "expected_seq": after.Seq}); r.StatusCode != http.StatusOK {
		t.Fatalf("start: %d %s", r.StatusCode, r.Body)
	}
	_, live := stateOf(t, s, id)
	if r, _ := act(t, api, id, map[string]any{"action": "speaker", "expected_seq": live.Seq,
		"speaker_id": live.Speakers[len(live.Speakers)-1].ID}); r.StatusCode != http.StatusOK {
		t.Fatalf("speaker: %d %s", r.StatusCode, r.Body)
	}
	_, live = stateOf(t, s, id)
	r = mod.Post(page, form("Anna Poprawiona | radna", strings.Join(append(agenda, "Pytania z sali | 15"), "\n"), live.Seq))
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "ma głos") {
		t.Fatalf("removing the speaker with the floor: %d %s", r.StatusCode, r.Title())
	}
	if _, now := stateOf(t, s, id); len(now.Speakers) != len(live.Speakers) || now.Seq != live.Seq {
		t.Fatalf("a refused form changed the speakers: %+v", now.Speakers)
	}

	resident := signedInAs(t, s, "resident@example.org")
	if r := resident.Get(page); r.StatusCode != http.StatusForbidden {
		t.Errorf("a resident opening the form: %d", r.StatusCode)
	}
}
