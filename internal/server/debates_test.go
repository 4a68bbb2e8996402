package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"lawka/internal/platform/auth"
	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// debateState is the part of a debate's state the tests look at.
type debateState struct {
	Seq              int64  `json:"seq"`
	Phase            string `json:"phase"`
	CurrentItemID    *int64 `json:"current_item_id"`
	CurrentSpeakerID *int64 `json:"current_speaker_id"`
	Announcement     string `json:"announcement"`
	Timer            struct {
		MS    int64   `json:"ms"`
		Since *string `json:"since"`
	} `json:"timer"`
	Items []struct {
		ID    int64  `json:"id"`
		Topic string `json:"topic"`
	} `json:"items"`
	Speakers []struct {
		ID     int64  `json:"id"`
		Name   string `json:"name"`
		Role   string `json:"role"`
		UsedMS int64  `json:"used_ms"`
	} `json:"speakers"`
}

// moderatedDebate starts a server (in parallel with other tests) and returns the seeded
// upcoming debate with an API client signed in as its moderator.
func moderatedDebate(t *testing.T) (*servertest.Running, int64, *servertest.API) {
	t.Helper()
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	mod := s.API(t)
	mod.Login("moderator@example.org", seed.DemoPassword)
	return s, upcomingDebate(t, s), mod
}

// upcomingDebate is the seeded upcoming demo debate (moderated by moderator@example.org).
func upcomingDebate(t *testing.T, s *servertest.Running) int64 {
	t.Helper()
	return authzQuery[int64](t, s, `SELECT d.event_id FROM debates d WHERE d.phase = 'scheduled'
		AND EXISTS (SELECT 1 FROM debate_moderators m JOIN users u ON u.id = m.user_id
			WHERE m.event_id = d.event_id AND u.email = 'moderator@example.org') ORDER BY d.event_id LIMIT 1`)
}

func debatePath(id int64, rest string) string {
	return "/api/v1/debates/" + strconv.FormatInt(id, 10) + rest
}

// act sends one console command through the API.
func act(t *testing.T, a *servertest.API, id int64, cmd map[string]any) (servertest.Response, debateState) {
	t.Helper()
	r := a.Do(http.MethodPost, debatePath(id, "/actions"), cmd)
	var out struct {
		State debateState `json:"state"`
	}
	if r.StatusCode == http.StatusOK {
		r.JSON(t, &out)
	}
	return r, out.State
}

// stateOf reads a debate's state through the API, as raw JSON and decoded.
func stateOf(t *testing.T, s *servertest.Running, id int64) (json.RawMessage, debateState) {
	t.Helper()
	r := s.API(t).Do(http.MethodGet, debatePath(id, ""), nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET debate %d: %d %s", id, r.StatusCode, r.Body)
	}
	var out struct {
		Debate struct {
			State json.RawMessage `json:"state"`
		} `json:"debate"`
	}
	r.JSON(t, &out)
	var st debateState
	if err := json.Unmarshal(out.Debate.State, &st); err != nil {
		t.Fatal(err)
	}
	return out.Debate.State, st
}

func errorCode(t *testing.T, r servertest.Response) (string, map[string]string) {
	t.Helper()
	var e struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	r.JSON(t, &e)
	if e.Error.Message == "" {
		t.Errorf("error %s has no message", e.Error.Code)
	}
	return e.Error.Code, e.Error.Fields
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// TestDebateConsoleCommands: the console's commands move the state one version at a
// time; a stale, unfitting or unknown command is refused with a clear error and leaves
// the state exactly as it was; the console is its moderators' and the admins' alone;
// an ended debate takes nothing more; every applied command is in the audit log.
func TestDebateConsoleCommands(t *testing.T) {
	s, id, mod := moderatedDebate(t)

	// Someone who is not a moderator of this debate: a resident, and a moderator not assigned to it.
	addAccount(t, s, "inny.moderator@example.org", "Inny Moderator", auth.Moderator)
	for _, who := range []string{"resident@example.org", "inny.moderator@example.org"} {
		a := s.API(t)
		a.Login(who, seed.DemoPassword)
		r, _ := act(t, a, id, map[string]any{"action": "start", "expected_seq": 0})
		if r.StatusCode != http.StatusForbidden {
			t.Fatalf("%s starting the debate: %d %s", who, r.StatusCode, r.Body)
		}
	}
	if r, _ := act(t, s.API(t), id, map[string]any{"action": "start", "expected_seq": 0}); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a visitor starting the debate: %d", r.StatusCode)
	}
	raw0, st := stateOf(t, s, id)
	if st.Seq != 0 || st.Phase != "scheduled" || len(st.Items) != 3 || len(st.Speakers) != 3 {
		t.Fatalf("the seeded debate: %+v", st)
	}

	// Refused before anything happened: each leaves the state as it was.
	refusals := []struct {
		cmd         map[string]any
		status      int
		code, field string
	}{
		{map[string]any{"action": "timer_start", "expected_seq": 0}, 409, "not_live", ""},
		{map[string]any{"action": "start", "expected_seq": 3}, 409, "stale_state", ""},
		{map[string]any{"action": "dance", "expected_seq": 0}, 422, "validation_failed", "action"},
		{map[string]any{"action": "start"}, 422, "validation_failed", "expected_seq"},
		{map[string]any{"action": "item", "expected_seq": 0, "item_id": 999999}, 422, "validation_failed", "item_id"},
		{map[string]any{"action": "speaker", "expected_seq": 0, "speaker_id": 999999}, 422, "validation_failed", "speaker_id"},
		{map[string]any{"action": "previous", "expected_seq": 0}, 409, "no_previous_item", ""},
		{map[string]any{"action": "announce", "expected_seq": 0, "text": strings.Repeat("x", 501)}, 422, "validation_failed", "text"},
		{map[string]any{"action": "start", "expected_seq": 0, "extra": 1}, 422, "unknown_field", ""},
	}
	for _, c := range refusals {
		r, _ := act(t, mod, id, c.cmd)
		if r.StatusCode != c.status {
			t.Fatalf("%v: %d %s, want %d", c.cmd, r.StatusCode, r.Body, c.status)
		}
		code, fields := errorCode(t, r)
		if code != c.code || c.field != "" && fields[c.field] == "" {
			t.Errorf("%v: %s %v, want %s on %q", c.cmd, code, fields, c.code, c.field)
		}
		if raw, _ := stateOf(t, s, id); !sameJSON(t, raw, raw0) {
			t.Fatalf("%v changed the state:\n%s\nwas\n%s", c.cmd, raw, raw0)
		}
	}

	// The commands, each based on the version before.
	seq := int64(0)
	step := func(cmd map[string]any) debateState {
		t.Helper()
		cmd["expected_seq"] = seq
		r, st := act(t, mod, id, cmd)
		if r.StatusCode != http.StatusOK || st.Seq != seq+1 {
			t.Fatalf("%v: %d %s", cmd, r.StatusCode, r.Body)
		}
		seq = st.Seq
		return st
	}
	st = step(map[string]any{"action": "start"})
	if st.Phase != "live" || st.CurrentItemID == nil || *st.CurrentItemID != st.Items[0].ID {
		t.Fatalf("after start: %+v", st)
	}
	st = step(map[string]any{"action": "speaker", "speaker_id": st.Speakers[1].ID})
	st = step(map[string]any{"action": "timer_start"})
	if st.Timer.Since == nil {
		t.Fatal("the timer does not run")
	}
	st = step(map[string]any{"action": "next"})
	if *st.CurrentItemID != st.Items[1].ID || st.Timer.Since != nil || *st.CurrentSpeakerID != st.Speakers[1].ID {
		t.Fatalf("after next: %+v", st)
	}
	// The same "next" again, based on the version before it: stale, refused, nothing moves.
	r, _ := act(t, mod, id, map[string]any{"action": "next", "expected_seq": seq - 1})
	if code, _ := errorCode(t, r); r.StatusCode != http.StatusConflict || code != "stale_state" {
		t.Fatalf("a stale next: %d %s", r.StatusCode, r.Body)
	}
	if _, now := stateOf(t, s, id); now.Seq != seq || *now.CurrentItemID != st.Items[1].ID {
		t.Fatalf("a stale next moved the debate: %+v", now)
	}
	st = step(map[string]any{"action": "announce", "text": "  Przerwa kawowa o 19:00  "})
	if st.Announcement != "Przerwa kawowa o 19:00" {
		t.Fatalf("announcement %q", st.Announcement)
	}
	st = step(map[string]any{"action": "pause"})
	st = step(map[string]any{"action": "resume"})
	st = step(map[string]any{"action": "item", "item_id": st.Items[2].ID})
	if r, _ := act(t, mod, id, map[string]any{"action": "next", "expected_seq": seq}); r.StatusCode != http.StatusConflict {
		t.Fatalf("next after the last item: %d", r.StatusCode)
	}
	// An admin runs any debate's console.
	admin := s.API(t)
	admin.Login("admin@example.org", seed.DemoPassword)
	if r, st2 := act(t, admin, id, map[string]any{"action": "end", "expected_seq": seq}); r.StatusCode != http.StatusOK || st2.Phase != "ended" {
		t.Fatalf("the admin ending the debate: %d %s", r.StatusCode, r.Body)
	}
	seq++
	rawEnded, _ := stateOf(t, s, id)
	r, _ = act(t, mod, id, map[string]any{"action": "start", "expected_seq": seq})
	if code, _ := errorCode(t, r); r.StatusCode != http.StatusConflict || code != "debate_ended" {
		t.Fatalf("acting on an ended debate: %d %s", r.StatusCode, r.Body)
	}
	if raw, _ := stateOf(t, s, id); !sameJSON(t, raw, rawEnded) {
		t.Fatal("acting on an ended debate changed it")
	}
	if n := authzQuery[int64](t, s, `SELECT count(*) FROM audit_log WHERE action LIKE 'debate.%' AND action <> 'debate.create' AND target_id = $1`, id); n != seq {
		t.Errorf("%d console actions in the audit log, want %d", n, seq)
	}
	// The fairness summary counts the speaker's time (the timer ran, then the item changed).
	if used := authzQuery[int64](t, s, `SELECT used_ms FROM debate_speakers WHERE id = $1`, st.Speakers[1].ID); used < 0 {
		t.Errorf("speaker time %d", used)
	}
}

// TestDebateConcurrentStaleActions: two moderators press the same button on the same
// version at the same moment, many times over; each time exactly one command is applied
// and the other is refused as stale, and the version grows by one.
func TestDebateConcurrentStaleActions(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := upcomingDebate(t, s)
	mod, admin := s.API(t), s.API(t)
	mod.Login("moderator@example.org", seed.DemoPassword)
	admin.Login("admin@example.org", seed.DemoPassword)
	_, st := stateOf(t, s, id)
	speaker := st.Speakers[0].ID
	// Start, give the floor, then over and over: the timer on and off, and the next or
	// previous item (each possible once, on the version it was based on).
	actions := []map[string]any{{"action": "start"}, {"action": "speaker", "speaker_id": speaker}}
	for i := range 8 {
		actions = append(actions, map[string]any{"action": "timer_start"}, map[string]any{"action": "timer_stop"},
			map[string]any{"action": []string{"next", "previous"}[i%2]})
	}
	seq := int64(0)
	for _, cmd := range actions {
		cmd["expected_seq"] = seq
		var wg sync.WaitGroup
		ready := make(chan struct{})
		codes := make([]int, 2)
		errs := make([]string, 2)
		for i, a := range []*servertest.API{mod, admin} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-ready
				r := a.Do(http.MethodPost, debatePath(id, "/actions"), cmd)
				codes[i] = r.StatusCode
				if r.StatusCode != http.StatusOK {
					errs[i] = r.Body
				}
			}()
		}
		close(ready)
		wg.Wait()
		ok, stale := 0, 0
		for i, c := range codes {
			switch {
			case c == http.StatusOK:
				ok++
			case c == http.StatusConflict && strings.Contains(errs[i], `"stale_state"`):
				stale++
			}
		}
		if ok != 1 || stale != 1 {
			t.Fatalf("%v pressed twice at once: answers %v %v, want one 200 and one 409 stale_state", cmd, codes, errs)
		}
		seq++
		if _, now := stateOf(t, s, id); now.Seq != seq {
			t.Fatalf("after %v the version is %d, want %d", cmd, now.Seq, seq)
		}
	}
	if n := authzQuery[int64](t, s, `SELECT count(*) FROM audit_log WHERE action LIKE 'debate.%' AND action <> 'debate.create' AND target_id = $1`, id); n != seq {
		t.Errorf("%d audited console actions, want %d (each applied once)", n, seq)
	}
}

// TestDebateStateLiveAndAfterReconnect: a phone watching the debate's room gets the
// whole state on subscribe, every change live, and after reconnecting exactly the state
// the console shows; the page, the projector and the join code show the same.
func TestDebateStateLiveAndAfterReconnect(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := upcomingDebate(t, s)
	room := "debate:" + strconv.FormatInt(id, 10)
	mod := s.API(t)
	mod.Login("moderator@example.org", seed.DemoPassword)

	phone := mustDial(t, s, "") // signed out: the audience needs no account
	send(t, phone, map[string]any{"type": "subscribe", "rooms": []string{room}})
	if m := readMsg(t, phone); m.Type != "subscribed" || m.Room != room {
		t.Fatalf("subscribe: %+v", m)
	}
	snap := readMsg(t, phone)
	raw, _ := stateOf(t, s, id)
	if snap.Type != "debate.state" || !sameJSON(t, snap.Data, raw) {
		t.Fatalf("snapshot %s\nwant %s", snap.Data, raw)
	}
	_, st := stateOf(t, s, id)
	var console json.RawMessage
	for seq, cmd := range []map[string]any{{"action": "start"}, {"action": "speaker", "speaker_id": st.Speakers[2].ID},
		{"action": "timer_start"}, {"action": "announce", "text": "Witamy!"}} {
		cmd["expected_seq"] = seq
		r := mod.Do(http.MethodPost, debatePath(id, "/actions"), cmd)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%v: %d %s", cmd, r.StatusCode, r.Body)
		}
		var out struct {
			State json.RawMessage `json:"state"`
		}
		r.JSON(t, &out)
		console = out.State
		m := readMsg(t, phone)
		if m.Type != "debate.state" || !sameJSON(t, m.Data, console) {
			t.Fatalf("live after %v: %+v\nwant %s", cmd, m, console)
		}
	}
	// Reconnect: a new socket's snapshot is the console's state.
	phone.Close()
	again := mustDial(t, s, "")
	send(t, again, map[string]any{"type": "subscribe", "rooms": []string{room}})
	readMsg(t, again) // subscribed
	if m := readMsg(t, again); !sameJSON(t, m.Data, console) {
		t.Fatalf("after reconnecting: %s\nconsole: %s", m.Data, console)
	}
	// Two more phones at once share the snapshot and see the same.
	for range 2 {
		c := mustDial(t, s, "")
		send(t, c, map[string]any{"type": "subscribe", "rooms": []string{room}})
		readMsg(t, c)
		if m := readMsg(t, c); !sameJSON(t, m.Data, console) {
			t.Fatalf("another phone: %s", m.Data)
		}
	}

	// The pages draw the same state without JavaScript.
	b := s.Browser(t)
	for _, page := range []string{"/debaty/%d", "/debaty/%d/na-zywo", "/debaty/%d/rzutnik"} {
		r := b.Get(strings.Replace(page, "%d", strconv.FormatInt(id, 10), 1))
		if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Witamy!") || !strings.Contains(r.Body, st.Speakers[2].Name) ||
			!strings.Contains(r.Body, `data-live-room="`+room+`"`) || !strings.Contains(r.Body, "Lokale na spotkania sąsiedzkie") {
			t.Errorf("%s: %d, does not show the live state", page, r.StatusCode)
		}
	}
	code := authzQuery[string](t, s, `SELECT code FROM debates WHERE event_id = $1`, id)
	r := b.Get("/debaty/" + strconv.FormatInt(id, 10) + "/rzutnik")
	if !strings.Contains(r.Body, code) || !strings.Contains(r.Body, "/kod.svg") || strings.Contains(r.Body, "<button") ||
		strings.Contains(r.Body, "<form") {
		t.Error("the projector does not show the code and QR, or shows controls")
	}
	r = b.Get("/debaty/" + strconv.FormatInt(id, 10) + "/kod.svg")
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(r.Body, "<svg") ||
		!strings.Contains(r.Body, "<title>") {
		t.Errorf("QR: %d %s %.80s", r.StatusCode, r.Header.Get("Content-Type"), r.Body)
	}
	for _, path := range []string{"/d/" + code, "/d/" + strings.ToLower(code), "/d?kod=" + url.QueryEscape(" "+code)} {
		r = b.Get(path)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/debaty/"+strconv.FormatInt(id, 10)+"/na-zywo" {
			t.Errorf("%s: %d → %s", path, r.StatusCode, r.Header.Get("Location"))
		}
	}
	if r = b.Get("/d?kod=QQQQQQ"); r.StatusCode != http.StatusNotFound || !strings.Contains(r.Body, `href="#kod"`) {
		t.Errorf("an unknown code: %d", r.StatusCode)
	}
}

// TestDebateConsoleFormsWithoutJavaScript: the console works with plain forms; a stale
// form shows the console again with the reason and the current state.
func TestDebateConsoleFormsWithoutJavaScript(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := upcomingDebate(t, s)
	page := "/debaty/" + strconv.FormatInt(id, 10) + "/konsola"
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", seed.DemoPassword)
	r := mod.Get(page)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `name="expected_seq" value="0"`) || !strings.Contains(r.Body, "<kbd>N</kbd>") {
		t.Fatalf("console: %d", r.StatusCode)
	}
	r = mod.Post(page, url.Values{"action": {"start"}, "expected_seq": {"0"}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), page) {
		t.Fatalf("start: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	r = mod.Post(page, url.Values{"action": {"next"}, "expected_seq": {"0"}}) // the page before the start
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.Body, "Ktoś inny zmienił już stan debaty") ||
		!strings.Contains(r.Body, `name="expected_seq" value="1"`) {
		t.Fatalf("a stale form: %d", r.StatusCode)
	}
	r = mod.Post(page, url.Values{"action": {"announce"}, "expected_seq": {"1"}, "text": {strings.Repeat("ż", 501)}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#text"`) {
		t.Fatalf("a long announcement: %d", r.StatusCode)
	}
	if _, st := stateOf(t, s, id); st.Seq != 1 || st.Phase != "live" {
		t.Fatalf("state %+v", st)
	}
	resident := s.Browser(t)
	resident.SignIn("resident@example.org", seed.DemoPassword)
	if r = resident.Get(page); r.StatusCode != http.StatusForbidden {
		t.Errorf("a resident opening the console: %d", r.StatusCode)
	}
}

// TestSeededKrakowDebate: "Kraków obywatelski" of 27 April 2024 is in the calendar's
// past, finished, with its three themes and six participants as the material lists them.
func TestSeededKrakowDebate(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := authzQuery[int64](t, s, `SELECT d.event_id FROM debates d JOIN events e ON e.id = d.event_id
		WHERE e.starts_at::date = '2024-04-27' AND e.kind = 'debate'`)
	_, st := stateOf(t, s, id)
	if st.Phase != "ended" || len(st.Items) != 3 || len(st.Speakers) != 6 {
		t.Fatalf("Kraków obywatelski: %+v", st)
	}
	for i, name := range seed.KrakowDebateSpeakers {
		if st.Speakers[i].Name != name || st.Speakers[i].UsedMS != 0 {
			t.Errorf("speaker %d: %+v, want %s with no time recorded", i, st.Speakers[i], name)
		}
	}
	b := s.Browser(t)
	r := b.Get("/debaty/" + strconv.FormatInt(id, 10))
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "poseł Aleksander Miszalski") || strings.Contains(r.Body, "Miszański") ||
		!strings.Contains(r.Body, "nie mierzono") {
		t.Errorf("the debate page: %d", r.StatusCode)
	}
	r = b.Get("/wydarzenia?kind=debate&month=2024-04")
	if !strings.Contains(r.Body, `href="/wydarzenia/`+strconv.FormatInt(id, 10)+`"`) {
		t.Error("the calendar does not list the debate")
	}
	if r = b.Get("/wydarzenia/" + strconv.FormatInt(id, 10)); !strings.Contains(r.Body, `href="/debaty/`+strconv.FormatInt(id, 10)+`"`) {
		t.Error("the event page does not link the debate's page")
	}
	r = s.API(t).Do(http.MethodGet, "/api/v1/debates?when=past", nil)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `"phase":"ended"`) {
		t.Errorf("the API list of past debates: %d %s", r.StatusCode, r.Body)
	}
}

// TestDebateCreateForm: the staff's form refuses bad speakers and agenda lines naming
// the fields and keeping what was typed, then saves the debate with its districts,
// speakers, agenda and moderators; the new debate's page is there at once.
func TestDebateCreateForm(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", seed.DemoPassword)
	district := authzQuery[int64](t, s, `SELECT id FROM neighbourhoods WHERE slug = 'debniki'`)
	admin := authzQuery[int64](t, s, `SELECT id FROM users WHERE email = 'admin@example.org'`)
	resident := authzQuery[int64](t, s, `SELECT id FROM users WHERE email = 'resident@example.org'`)
	form := url.Values{"title": {"Debata o Dębnikach"}, "starts_at": {"2031-03-10"}, "starts_at_time": {"18:00"},
		"ends_at": {"2031-03-10"}, "ends_at_time": {"20:00"}, "address": {"Rondo Grunwaldzkie 1"}, "status": {"published"},
		"speakers": {"Anna Nowak | radna\nX"}, "agenda": {"Zieleń | dwadzieścia"},
		"district_ids": {strconv.FormatInt(district, 10)}, "moderator_ids": {strconv.FormatInt(resident, 10)}}
	r := mod.Submit("/admin/debaty/nowa", "/admin/debaty", form)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Title(), "Błąd:") {
		t.Fatalf("bad form: %d %q", r.StatusCode, r.Title())
	}
	for _, field := range []string{"speakers", "agenda", "moderator_ids"} {
		if !strings.Contains(r.Body, `href="#`+field+`"`) {
			t.Errorf("the error summary does not name %s", field)
		}
	}
	if !strings.Contains(r.Body, "Anna Nowak | radna\nX") || !strings.Contains(r.Body, `value="Debata o Dębnikach"`) {
		t.Error("what the moderator typed was lost")
	}
	form.Set("speakers", "Anna Nowak | radna\nJan Kowalski")
	form.Set("agenda", "Zieleń | 20\nPytania | 15")
	form["moderator_ids"] = []string{strconv.FormatInt(admin, 10)}
	r = mod.Post("/admin/debaty", form)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/debaty/") {
		t.Fatalf("good form: %d %s\n%s", r.StatusCode, r.Header.Get("Location"), authzSnippet(r.Body))
	}
	page := strings.SplitN(r.Header.Get("Location"), "?", 2)[0]
	id, _ := strconv.ParseInt(strings.TrimPrefix(page, "/debaty/"), 10, 64)
	_, st := stateOf(t, s, id)
	if len(st.Speakers) != 2 || st.Speakers[0].Role != "radna" || st.Speakers[1].Role != "" || len(st.Items) != 2 {
		t.Fatalf("saved: %+v", st)
	}
	r = s.Browser(t).Get(page)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Dębniki") || !strings.Contains(r.Body, "Jan Kowalski") {
		t.Errorf("the new debate's page: %d", r.StatusCode)
	}
	// Only the admin chosen moderates it: the moderator who made it does not.
	if r = mod.Get(page + "/konsola"); r.StatusCode != http.StatusForbidden {
		t.Errorf("a moderator not chosen opening the console: %d", r.StatusCode)
	}
}

// TestDebateSpeakerPhotos: a moderator gives a speaker a photo from the debate's page;
// it is in the state (a new version, pushed live) and served to everyone; a PDF is
// refused with the reason and nothing changes; the photo can be removed.
func TestDebateSpeakerPhotos(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := upcomingDebate(t, s)
	_, st := stateOf(t, s, id)
	sp := st.Speakers[0].ID
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", seed.DemoPassword)
	page := "/debaty/" + strconv.FormatInt(id, 10)
	action := page + "/mowcy/" + strconv.FormatInt(sp, 10) + "/zdjecie"
	mod.Get(page)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	r := mod.PostMultipart(action, url.Values{}, servertest.FormFile{Field: "photo", Name: "a.pdf", Content: []byte("%PDF-1.4\n%x\n")})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "JPEG lub PNG") {
		t.Fatalf("a PDF as a photo: %d", r.StatusCode)
	}
	if _, now := stateOf(t, s, id); now.Seq != 0 {
		t.Fatalf("a refused photo changed the state to version %d", now.Seq)
	}
	r = mod.PostMultipart(action, url.Values{}, servertest.FormFile{Field: "photo", Name: "a.png", Content: png})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("a photo: %d %s", r.StatusCode, authzSnippet(r.Body))
	}
	raw, now := stateOf(t, s, id)
	if now.Seq != 1 || !strings.Contains(string(raw), `"photo_url":"`+action+`?v=`) {
		t.Fatalf("after the photo: %s", raw)
	}
	if r = s.Browser(t).Get(action); r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "image/png" {
		t.Errorf("serving the photo: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if r = mod.PostMultipart(action, url.Values{"remove": {"yes"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("removing the photo: %d", r.StatusCode)
	}
	if r = s.Browser(t).Get(action); r.StatusCode != http.StatusNotFound {
		t.Errorf("a removed photo: %d", r.StatusCode)
	}
}

// TestDebateAcrossInstances: two instances behind a balancer; a moderator on each presses
// the same button at once: one command is applied, the phone on either instance gets
// that one state, and a phone that connects afterwards to the other instance gets it too.
func TestDebateAcrossInstances(t *testing.T) {
	t.Parallel()
	a := servertest.Start(t, servertest.Options{})
	b := servertest.Start(t, servertest.Options{Share: a})
	id := upcomingDebate(t, a)
	room := "debate:" + strconv.FormatInt(id, 10)
	phone := mustDial(t, b, "")
	send(t, phone, map[string]any{"type": "subscribe", "rooms": []string{room}})
	readMsg(t, phone) // subscribed
	snap := readMsg(t, phone)
	modA, modB := a.API(t), b.API(t)
	modA.Login("moderator@example.org", seed.DemoPassword)
	modB.Login("admin@example.org", seed.DemoPassword)
	codes := make([]int, 2)
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for i, api := range []*servertest.API{modA, modB} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			codes[i] = api.Do(http.MethodPost, debatePath(id, "/actions"), map[string]any{"action": "start", "expected_seq": 0}).StatusCode
		}()
	}
	close(ready)
	wg.Wait()
	if codes[0]+codes[1] != http.StatusOK+http.StatusConflict {
		t.Fatalf("start pressed on both instances at once: %v", codes)
	}
	m := readMsg(t, phone)
	var st debateState
	if err := json.Unmarshal(m.Data, &st); err != nil || m.Seq != snap.Seq+1 || st.Seq != 1 || st.Phase != "live" {
		t.Fatalf("the phone on instance B: %+v (%v)", m, err)
	}
	later := mustDial(t, a, "")
	send(t, later, map[string]any{"type": "subscribe", "rooms": []string{room}})
	readMsg(t, later)
	if again := readMsg(t, later); !sameJSON(t, again.Data, m.Data) {
		t.Fatalf("a phone joining instance A later: %s\nwant %s", again.Data, m.Data)
	}
}
