package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"lawka/internal/account"
	"lawka/internal/platform/auth"
	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// addAccount makes a confirmed account (not verified, no declaration) with roles.
func addAccount(t *testing.T, s *servertest.Running, email, name string, roles ...string) {
	t.Helper()
	if _, err := account.NewService(s.Pool, account.Deps{}).Create(context.Background(), account.NewUser{Email: email,
		Password: seed.DemoPassword, DisplayName: name, Roles: roles, AcceptTerms: true, EmailConfirmed: true}); err != nil {
		t.Fatal(err)
	}
}

// onAirPoll is the state's poll on air, as the tests look at it.
type onAirPoll struct {
	Poll *struct {
		ID       int64  `json:"id"`
		Question string `json:"question"`
		Status   string `json:"status"`
		Options  []struct {
			ID int64 `json:"id"`
		} `json:"options"`
	} `json:"poll"`
	Eligibility string `json:"eligibility"`
	Seq         int64  `json:"seq"`
}

func pollOnAir(t *testing.T, s *servertest.Running, id int64) onAirPoll {
	t.Helper()
	raw, _ := stateOf(t, s, id)
	var st onAirPoll
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// debatePoll prepares a draft poll for debate id through the polls API.
func debatePoll(t *testing.T, mod *servertest.API, debateID *int64, question string) int64 {
	t.Helper()
	r := mod.Do(http.MethodPost, "/api/v1/polls", map[string]any{"question": question, "kind": "single",
		"options": []string{"Tak", "Nie"}, "eligibility": "open", "debate_id": debateID})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("creating a poll: %d %s", r.StatusCode, r.Body)
	}
	var out struct {
		Poll struct {
			ID int64 `json:"id"`
		} `json:"poll"`
	}
	r.JSON(t, &out)
	return out.Poll.ID
}

func pollStatus(t *testing.T, s *servertest.Running, id int64) string {
	t.Helper()
	return authzQuery[string](t, s, `SELECT status FROM polls WHERE id = $1`, id)
}

// TestDebatePollsFromConsole: the console launches a poll prepared for the debate (it
// opens and goes on air), closes it and takes it off air, each a versioned command: a
// stale one is refused, someone else's console is refused, a poll of no debate or of
// another cannot go on air. A phone following the debate gets the launched poll over
// its websocket, votes in it through the phone view's plain form, and the projector
// shows its result.
func TestDebatePollsFromConsole(t *testing.T) {
	s, id, mod := moderatedDebate(t)
	addAccount(t, s, "inny.moderator@example.org", "Inny Moderator", auth.Moderator)
	pid := debatePoll(t, mod, &id, "Czy przedłużyć debatę o kwadrans?")
	loose := debatePoll(t, mod, nil, "Ankieta bez debaty")
	seq := pollOnAir(t, s, id).Seq

	// A phone follows the debate before the launch.
	phone := mustDial(t, s, "")
	send(t, phone, map[string]any{"type": "subscribe", "rooms": []string{fmt.Sprintf("debate:%d", id)}})
	if m := readMsg(t, phone); m.Type != "subscribed" {
		t.Fatalf("subscribing: %+v", m)
	}
	if m := readMsg(t, phone); m.Type != "debate.state" || strings.Contains(string(m.Data), "kwadrans") {
		t.Fatalf("the snapshot before the launch: %+v", m)
	}

	for _, who := range []string{"resident@example.org", "inny.moderator@example.org"} {
		a := s.API(t)
		a.Login(who, seed.DemoPassword)
		if r, _ := act(t, a, id, map[string]any{"action": "poll_launch", "expected_seq": seq, "poll_id": pid}); r.StatusCode != http.StatusForbidden {
			t.Fatalf("%s launching a poll: %d", who, r.StatusCode)
		}
	}
	refusals := []struct {
		cmd         map[string]any
		status      int
		code, field string
	}{
		{map[string]any{"action": "poll_launch", "expected_seq": seq + 3, "poll_id": pid}, 409, "stale_state", ""},
		{map[string]any{"action": "poll_launch", "expected_seq": seq, "poll_id": loose}, 422, "validation_failed", "poll_id"},
		{map[string]any{"action": "poll_launch", "expected_seq": seq}, 422, "validation_failed", "poll_id"},
		{map[string]any{"action": "poll_close", "expected_seq": seq}, 409, "no_poll", ""},
		{map[string]any{"action": "poll_close", "expected_seq": seq, "poll_id": pid}, 409, "poll_not_open", ""},
	}
	for _, c := range refusals {
		r, _ := act(t, mod, id, c.cmd)
		if r.StatusCode != c.status {
			t.Fatalf("%v: %d %s, want %d", c.cmd, r.StatusCode, r.Body, c.status)
		}
		if code, fields := errorCode(t, r); code != c.code || c.field != "" && fields[c.field] == "" {
			t.Errorf("%v: %s %v, want %s on %q", c.cmd, code, fields, c.code, c.field)
		}
	}
	if st := pollOnAir(t, s, id); st.Poll != nil || st.Seq != seq || pollStatus(t, s, pid) != "draft" || pollStatus(t, s, loose) != "draft" {
		t.Fatalf("refused commands changed something: %+v", st)
	}

	// The launch: the poll opens and is on air, and the phone hears of it.
	if r, _ := act(t, mod, id, map[string]any{"action": "poll_launch", "expected_seq": seq, "poll_id": pid}); r.StatusCode != http.StatusOK {
		t.Fatalf("launching: %d %s", r.StatusCode, r.Body)
	}
	st := pollOnAir(t, s, id)
	if st.Poll == nil || st.Poll.ID != pid || st.Poll.Status != "open" || pollStatus(t, s, pid) != "open" {
		t.Fatalf("after the launch: %+v", st)
	}
	m := readMsg(t, phone)
	var pushed onAirPoll
	if err := json.Unmarshal(m.Data, &pushed); err != nil || m.Type != "debate.state" || pushed.Poll == nil || pushed.Poll.ID != pid ||
		pushed.Poll.Status != "open" || len(pushed.Poll.Options) != 2 {
		t.Fatalf("the phone after the launch: %+v %s", m, m.Data)
	}
	// A phone that joins (or reconnects) now starts from the poll on air.
	late := mustDial(t, s, "")
	send(t, late, map[string]any{"type": "subscribe", "rooms": []string{fmt.Sprintf("debate:%d", id)}})
	if m := readMsg(t, late); m.Type != "subscribed" {
		t.Fatalf("subscribing late: %+v", m)
	}
	if m := readMsg(t, late); m.Type != "debate.state" || !strings.Contains(string(m.Data), `"question":"Czy przedłużyć debatę o kwadrans?"`) {
		t.Fatalf("the snapshot after the launch: %+v %s", m, m.Data)
	}
	if n := authzQuery[int64](t, s, `SELECT count(*) FROM audit_log WHERE action = 'debate.poll_launch' AND target_id = $1`, id); n != 1 {
		t.Fatalf("audit entries of the launch: %d", n)
	}

	// A phone votes through the phone view's plain form; the projector shows the result.
	live := fmt.Sprintf("/debaty/%d/na-zywo", id)
	visitor := s.Browser(t)
	if p := visitor.Get(live); !strings.Contains(p.Body, "kwadrans") || !strings.Contains(p.Body, `name="option_ids"`) {
		t.Fatal("the phone view shows no ballot for the poll on air")
	}
	r := visitor.Post(fmt.Sprintf("/debaty/%d/ankieta", id), url.Values{"poll_id": {strconv.FormatInt(pid, 10)},
		"option_ids": {strconv.FormatInt(st.Poll.Options[0].ID, 10)}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("voting on the phone: %d %s", r.StatusCode, r.Body)
	}
	if n := authzQuery[int64](t, s, `SELECT count(*) FROM ballots WHERE poll_id = $1`, pid); n != 1 {
		t.Fatalf("ballots after the phone's vote: %d", n)
	}
	r = visitor.Post(fmt.Sprintf("/debaty/%d/ankieta", id), url.Values{"poll_id": {strconv.FormatInt(pid, 10)}})
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a ballot with no choice: %d", r.StatusCode)
	}
	r = visitor.Post(fmt.Sprintf("/debaty/%d/ankieta", id), url.Values{"poll_id": {strconv.FormatInt(loose, 10)}})
	if r.StatusCode != http.StatusConflict {
		t.Fatalf("a ballot in a poll not on air: %d", r.StatusCode)
	}
	if p := s.Browser(t).Get(fmt.Sprintf("/debaty/%d/rzutnik", id)); !strings.Contains(p.Body, "kwadrans") ||
		!strings.Contains(p.Body, fmt.Sprintf(`data-live-room="poll:%d"`, pid)) {
		t.Fatal("the projector does not show the poll's result")
	}
	console := s.Browser(t)
	console.SignIn("moderator@example.org", seed.DemoPassword)
	if p := console.Get(fmt.Sprintf("/debaty/%d/konsola", id)); !strings.Contains(p.Body, fmt.Sprintf(`data-live-room="pollwatch:%d"`, pid)) ||
		!strings.Contains(p.Body, `value="poll_close"`) {
		t.Fatal("the console does not show the poll on air with its close button")
	}

	// Closing keeps it on air with its final result; a second close is refused; the
	// phone can no longer vote; taking it off air clears it.
	if r, _ := act(t, mod, id, map[string]any{"action": "poll_close", "expected_seq": st.Seq}); r.StatusCode != http.StatusOK {
		t.Fatalf("closing: %d %s", r.StatusCode, r.Body)
	}
	st = pollOnAir(t, s, id)
	if st.Poll == nil || st.Poll.Status != "closed" || pollStatus(t, s, pid) != "closed" {
		t.Fatalf("after the close: %+v", st)
	}
	if r, _ := act(t, mod, id, map[string]any{"action": "poll_close", "expected_seq": st.Seq}); r.StatusCode != http.StatusConflict {
		t.Fatalf("closing twice: %d", r.StatusCode)
	}
	r = visitor.Post(fmt.Sprintf("/debaty/%d/ankieta", id), url.Values{"poll_id": {strconv.FormatInt(pid, 10)},
		"option_ids": {strconv.FormatInt(st.Poll.Options[1].ID, 10)}})
	if r.StatusCode != http.StatusConflict {
		t.Fatalf("voting after the close: %d", r.StatusCode)
	}
	if r, _ := act(t, mod, id, map[string]any{"action": "poll_hide", "expected_seq": st.Seq}); r.StatusCode != http.StatusOK {
		t.Fatalf("taking off air: %d", r.StatusCode)
	}
	if st = pollOnAir(t, s, id); st.Poll != nil {
		t.Fatalf("after taking it off air: %+v", st)
	}
}

// TestDebatePollOnTheSpot: the console's form writes a poll on the spot and launches
// it; bad input is refused with the form's errors and stores nothing; only the
// debate's moderators may use it.
func TestDebatePollOnTheSpot(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := upcomingDebate(t, s)
	path := fmt.Sprintf("/debaty/%d/konsola", id)
	seeded := authzQuery[int64](t, s, `SELECT count(*) FROM polls WHERE debate_id = $1`, id)
	count := func() int64 {
		return authzQuery[int64](t, s, `SELECT count(*) FROM polls WHERE debate_id = $1`, id) - seeded
	}
	resident := s.Browser(t)
	resident.SignIn("resident@example.org", seed.DemoPassword)
	resident.Get("/")
	if r := resident.Post(path+"/ankiety", url.Values{"question": {"Czy to działa?"}, "kind": {"single"}, "options": {"Tak\nNie"},
		"eligibility": {"open"}}); r.StatusCode != http.StatusForbidden || count() != 0 {
		t.Fatalf("a resident writing a poll: %d", r.StatusCode)
	}
	console := s.Browser(t)
	console.SignIn("moderator@example.org", seed.DemoPassword)
	seq := strconv.FormatInt(pollOnAir(t, s, id).Seq, 10)
	r := console.Submit(path, path+"/ankiety", url.Values{"question": {"Czy to działa?"}, "kind": {"single"}, "options": {"Tylko jedna"},
		"eligibility": {"nobody"}, "launch": {"yes"}, "expected_seq": {seq}})
	if r.StatusCode != http.StatusUnprocessableEntity || count() != 0 || !strings.Contains(r.Body, "Tylko jedna") ||
		!strings.Contains(r.Body, `id="options-error"`) {
		t.Fatalf("a bad poll: %d, %d stored", r.StatusCode, count())
	}
	r = console.Submit(path, path+"/ankiety", url.Values{"question": {"Która sprawa jest najpilniejsza?"}, "kind": {"single"},
		"options": {"Zieleń\nParkingi\n\nŚcieżki rowerowe"}, "eligibility": {"open"}, "results_visibility": {"live"},
		"allow_change": {"yes"}, "launch": {"yes"}, "expected_seq": {seq}})
	if r.StatusCode != http.StatusSeeOther || count() != 1 {
		t.Fatalf("a poll on the spot: %d %s", r.StatusCode, r.Body)
	}
	st := pollOnAir(t, s, id)
	if st.Poll == nil || st.Poll.Question != "Która sprawa jest najpilniejsza?" || st.Poll.Status != "open" || len(st.Poll.Options) != 3 {
		t.Fatalf("the poll on the spot is not on air: %+v", st.Poll)
	}
	// Without JavaScript: the list's buttons close it and launch a prepared one.
	prepared := authzQuery[int64](t, s, `SELECT id FROM polls WHERE debate_id = $1 AND status = 'draft' ORDER BY id LIMIT 1`, id)
	for _, form := range []url.Values{{"action": {"poll_close"}}, {"action": {"poll_launch"}, "poll_id": {strconv.FormatInt(prepared, 10)}}} {
		form.Set("expected_seq", strconv.FormatInt(pollOnAir(t, s, id).Seq, 10))
		if r = console.Submit(path, path, form); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%v through the form: %d", form, r.StatusCode)
		}
	}
	if on := pollOnAir(t, s, id).Poll; on == nil || on.ID != prepared || on.Status != "open" || pollStatus(t, s, st.Poll.ID) != "closed" {
		t.Fatalf("after closing and launching through the forms: %+v", on)
	}
	seq = strconv.FormatInt(pollOnAir(t, s, id).Seq-1, 10)
	// A stale launch keeps the poll written, as a draft in the list.
	r = console.Submit(path, path+"/ankiety", url.Values{"question": {"Czy zrobić przerwę?"}, "kind": {"single"},
		"options": {"Tak\nNie"}, "eligibility": {"open"}, "launch": {"yes"}, "expected_seq": {seq}})
	if r.StatusCode != http.StatusConflict || count() != 2 || pollOnAir(t, s, id).Poll.ID != prepared {
		t.Fatalf("a stale launch of a new poll: %d", r.StatusCode)
	}
}

// TestDebateEligibility: a debate's eligibility (open by default) decides who asks and
// upvotes questions, with the poll rules; a refusal is a 403 whose code says what is
// missing, and the phone view says it instead of offering the form.
func TestDebateEligibility(t *testing.T) {
	s, id, mod := moderatedDebate(t)
	addAccount(t, s, "niezweryfikowana@example.org", "Nowa Mieszkanka")
	fresh := s.API(t)
	fresh.Login("niezweryfikowana@example.org", seed.DemoPassword)
	resident := s.API(t)
	resident.Login("resident@example.org", seed.DemoPassword)
	st := pollOnAir(t, s, id)
	if st.Eligibility != "open" {
		t.Fatalf("the default eligibility: %q", st.Eligibility)
	}
	setTo := func(level string) {
		t.Helper()
		r, _ := act(t, mod, id, map[string]any{"action": "eligibility", "expected_seq": pollOnAir(t, s, id).Seq, "text": level})
		if r.StatusCode != http.StatusOK {
			t.Fatalf("eligibility %s: %d %s", level, r.StatusCode, r.Body)
		}
	}
	if r, _ := act(t, mod, id, map[string]any{"action": "eligibility", "expected_seq": st.Seq, "text": "everyone"}); r.StatusCode != 422 {
		t.Fatalf("an unknown eligibility: %d", r.StatusCode)
	}
	q := ask(t, resident, id, "Czy będzie nagranie z debaty dostępne w sieci?", false)
	if r := moderate(t, mod, id, q.ID, map[string]any{"action": "approve"}); r.StatusCode != http.StatusOK {
		t.Fatalf("approving: %d", r.StatusCode)
	}

	setTo("registered")
	body := map[string]any{"body": "Pytanie od osoby bez konta na sali obrad?"}
	visitor := s.API(t)
	r := visitor.Do(http.MethodPost, debatePath(id, "/questions"), body)
	wantError(t, "a visitor asking", r, http.StatusForbidden, "sign_in_required", "")
	r = visitor.Do(http.MethodPost, questionPath(id, q.ID, "/vote"), nil)
	wantError(t, "a visitor upvoting", r, http.StatusForbidden, "sign_in_required", "")
	page := s.Browser(t).Get(fmt.Sprintf("/debaty/%d/na-zywo", id))
	if !strings.Contains(page.Body, `data-debate-need="sign_in_required"`) || strings.Contains(page.Body, `name="body"`) ||
		strings.Contains(page.Body, fmt.Sprintf("/pytania/%d/glos", q.ID)) {
		t.Fatal("the phone view offers a visitor the forms of a debate for accounts")
	}
	if r := fresh.Do(http.MethodPost, questionPath(id, q.ID, "/vote"), nil); r.StatusCode != http.StatusOK {
		t.Fatalf("an account upvoting: %d %s", r.StatusCode, r.Body)
	}

	setTo("verified")
	r = fresh.Do(http.MethodPost, debatePath(id, "/questions"), body)
	wantError(t, "an unverified account asking", r, http.StatusForbidden, "not_verified", "")
	ask(t, resident, id, "Pytanie od zweryfikowanego mieszkańca dzielnicy?", false)

	setTo("members")
	r = fresh.Do(http.MethodPost, debatePath(id, "/questions"), body)
	wantError(t, "a non-member asking", r, http.StatusForbidden, "not_member", "")
	if n := authzQuery[int64](t, s, `SELECT count(*) FROM debate_questions WHERE event_id = $1 AND body = $2`, id, body["body"]); n != 0 {
		t.Fatalf("refused questions stored: %d", n)
	}
}
