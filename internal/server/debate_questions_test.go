package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"lawka/internal/platform/realtime"
	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// question is a debate question as the API answers it.
type question struct {
	ID         int64  `json:"id"`
	Body       string `json:"body"`
	Author     string `json:"author"`
	Votes      int    `json:"votes"`
	Starred    bool   `json:"starred"`
	Edited     bool   `json:"edited"`
	Status     string `json:"status"`
	Anonymous  bool   `json:"anonymous"`
	AuthorID   *int64 `json:"author_id"`
	AuthorName string `json:"author_name"`
	Original   string `json:"original"`
	MergedInto *int64 `json:"merged_into"`
}

func questionPath(id, qid int64, rest string) string {
	return debatePath(id, "/questions/"+strconv.FormatInt(qid, 10)+rest)
}

// ask asks a question through the API and fails the test unless it is taken.
func ask(t *testing.T, a *servertest.API, id int64, body string, anonymous bool) question {
	t.Helper()
	r := a.Do(http.MethodPost, debatePath(id, "/questions"), map[string]any{"body": body, "anonymous": anonymous})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("asking %q: %d %s", body, r.StatusCode, r.Body)
	}
	var out struct {
		Question question `json:"question"`
	}
	r.JSON(t, &out)
	return out.Question
}

// moderate sends one moderation action through the API.
func moderate(t *testing.T, a *servertest.API, id, qid int64, m map[string]any) servertest.Response {
	t.Helper()
	return a.Do(http.MethodPost, questionPath(id, qid, "/moderation"), m)
}

// board reads the approved questions as the public sees them.
func board(t *testing.T, s *servertest.Running, id int64, sort string) []question {
	t.Helper()
	r := s.API(t).Do(http.MethodGet, debatePath(id, "/questions?sort="+sort), nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET questions: %d %s", r.StatusCode, r.Body)
	}
	var out struct {
		Items []question `json:"items"`
	}
	r.JSON(t, &out)
	return out.Items
}

// queueOf reads every question as a moderator sees it.
func queueOf(t *testing.T, mod *servertest.API, id int64) map[int64]question {
	t.Helper()
	r := mod.Do(http.MethodGet, debatePath(id, "/questions/queue"), nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET queue: %d %s", r.StatusCode, r.Body)
	}
	var out struct {
		Items []question `json:"items"`
	}
	r.JSON(t, &out)
	m := map[int64]question{}
	for _, q := range out.Items {
		m[q.ID] = q
	}
	return m
}

func votesOf(t *testing.T, s *servertest.Running, qid int64) int64 {
	t.Helper()
	return authzQuery[int64](t, s, `SELECT count(*) FROM debate_question_votes WHERE question_id = $1`, qid)
}

// wantError checks a refusal's status and code (and the field, when named).
func wantError(t *testing.T, what string, r servertest.Response, status int, code, field string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s: %d %s, want %d %s", what, r.StatusCode, r.Body, status, code)
	}
	got, fields := errorCode(t, r)
	if got != code || field != "" && fields[field] == "" {
		t.Errorf("%s: %s %v, want %s on %q", what, got, fields, code, field)
	}
}

// TestDebateQuestionsAskAndModerate: questions wait for a moderator, are anonymous to
// the public but never to moderators; bad input, non-moderators and a finished debate
// are refused with nothing changed; two moderators approving at once approve once;
// edits keep the original; the question on screen is part of the debate's state.
func TestDebateQuestionsAskAndModerate(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := upcomingDebate(t, s)
	mod, admin, resident, member := s.API(t), s.API(t), s.API(t), s.API(t)
	mod.Login("moderator@example.org", seed.DemoPassword)
	admin.Login("admin@example.org", seed.DemoPassword)
	resident.Login("resident@example.org", seed.DemoPassword)
	member.Login("anna.mieszkanka@example.org", seed.DemoPassword)
	residentID := authzQuery[int64](t, s, `SELECT id FROM users WHERE email = 'resident@example.org'`)
	residentName := authzQuery[string](t, s, `SELECT display_name FROM users WHERE email = 'resident@example.org'`)
	// The seeded demo questions: two approved (one anonymous), one waiting; none on the 2024 debate.
	seeded := board(t, s, id, "votes")
	before := len(seeded)
	if before != 2 || seeded[0].Votes != 3 || seeded[1].Author != "" {
		t.Fatalf("the demo debate's seeded questions: %+v", seeded)
	}
	if n := authzQuery[int64](t, s, `SELECT count(*) FROM debate_questions q JOIN debates d ON d.event_id = q.event_id
		WHERE d.phase = 'ended' OR NOT q.demo`); n != 0 {
		t.Fatalf("%d seeded questions outside the demo debate or not marked demo", n)
	}

	// Bad input: nothing is stored.
	count := func() int64 {
		return authzQuery[int64](t, s, `SELECT count(*) FROM debate_questions WHERE event_id = $1`, id)
	}
	n0 := count()
	for _, body := range []string{"", "za krótko", strings.Repeat("ą", 301)} {
		r := resident.Do(http.MethodPost, debatePath(id, "/questions"), map[string]any{"body": body})
		wantError(t, fmt.Sprintf("asking %d characters", len([]rune(body))), r, 422, "validation_failed", "body")
	}
	if n := count(); n != n0 {
		t.Fatalf("refused questions were stored: %d, was %d", n, n0)
	}

	// Anonymous to the public, never to moderators; pending until approved.
	q := ask(t, resident, id, "Czy ławki staną przy każdym przystanku?", true)
	if q.Status != "pending" || q.Author != "" || q.AuthorName != "" || q.AuthorID != nil {
		t.Fatalf("the asker's answer: %+v", q)
	}
	if got := board(t, s, id, "votes"); len(got) != before {
		t.Fatalf("a pending question is on the board: %+v", got)
	}
	qm := queueOf(t, mod, id)[q.ID]
	if qm.Status != "pending" || !qm.Anonymous || qm.AuthorID == nil || *qm.AuthorID != residentID || qm.AuthorName != residentName {
		t.Fatalf("the moderators do not see who asked: %+v", qm)
	}
	r := resident.Do(http.MethodGet, debatePath(id, "/questions/queue"), nil)
	wantError(t, "a resident reading the queue", r, 403, "forbidden", "")

	// A non-moderator moderating, and bad actions: refused, nothing changes.
	wantError(t, "a resident approving", moderate(t, resident, id, q.ID, map[string]any{"action": "approve"}), 403, "forbidden", "")
	wantError(t, "a visitor approving", moderate(t, s.API(t), id, q.ID, map[string]any{"action": "approve"}), 401, "unauthorized", "")
	wantError(t, "reject without a reason", moderate(t, mod, id, q.ID, map[string]any{"action": "reject"}), 422, "validation_failed", "reason")
	wantError(t, "merge into itself", moderate(t, mod, id, q.ID, map[string]any{"action": "merge", "into_id": q.ID}), 422, "validation_failed", "into_id")
	wantError(t, "an unknown action", moderate(t, mod, id, q.ID, map[string]any{"action": "dance"}), 422, "validation_failed", "action")
	wantError(t, "an overlong edit", moderate(t, mod, id, q.ID, map[string]any{"action": "edit", "body": strings.Repeat("x", 301)}), 422, "validation_failed", "body")
	if got := queueOf(t, mod, id)[q.ID]; got.Status != "pending" || got.Starred || got.Body != q.Body {
		t.Fatalf("refused moderation changed the question: %+v", got)
	}

	// Two moderators approve the same questions at the same moment: each once.
	var pending []question
	for i := range 2 {
		pending = append(pending, ask(t, member, id, fmt.Sprintf("Pytanie numer %d o lokale sąsiedzkie?", i), false))
	}
	pending = append(pending, q)
	for _, p := range pending {
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, a := range []*servertest.API{mod, admin} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = a.Do(http.MethodPost, questionPath(id, p.ID, "/moderation"), map[string]any{"action": "approve"}).StatusCode
			}()
		}
		wg.Wait()
		if ok := (codes[0] == 200) != (codes[1] == 200); !ok || codes[0]+codes[1] != 200+409 {
			t.Fatalf("two moderators approving question %d: %v, want one 200 and one 409", p.ID, codes)
		}
		if n := authzQuery[int64](t, s, `SELECT count(*) FROM audit_log WHERE action = 'debate.question_approve'
			AND (details->>'question_id')::bigint = $1`, p.ID); n != 1 {
			t.Fatalf("question %d approved %d times in the audit log", p.ID, n)
		}
	}
	wantError(t, "approving again", moderate(t, mod, id, q.ID, map[string]any{"action": "approve"}), 409, "question_decided", "")

	// On the board, anonymous to the public.
	memberName := authzQuery[string](t, s, `SELECT display_name FROM users WHERE email = 'anna.mieszkanka@example.org'`)
	pub := map[int64]question{}
	for _, b := range board(t, s, id, "time") {
		pub[b.ID] = b
	}
	if p := pub[q.ID]; p.ID == 0 || p.Author != "" || p.AuthorName != "" || p.AuthorID != nil || p.Anonymous {
		t.Fatalf("the public sees the anonymous question as %+v", p)
	}
	if p := pub[pending[0].ID]; p.Author != memberName || p.AuthorID != nil {
		t.Fatalf("the public sees a named question as %+v", p)
	}

	// Edit keeps the original; star.
	if r := moderate(t, mod, id, q.ID, map[string]any{"action": "edit", "body": "Czy ławki staną przy każdym przystanku tramwajowym?"}); r.StatusCode != 200 {
		t.Fatalf("edit: %d %s", r.StatusCode, r.Body)
	}
	if r := moderate(t, admin, id, q.ID, map[string]any{"action": "star"}); r.StatusCode != 200 {
		t.Fatalf("star: %d %s", r.StatusCode, r.Body)
	}
	qm = queueOf(t, mod, id)[q.ID]
	if qm.Body != "Czy ławki staną przy każdym przystanku tramwajowym?" || qm.Original != q.Body || !qm.Starred {
		t.Fatalf("after edit and star: %+v", qm)
	}

	// On screen: part of the state, with its version; a rejected question leaves it.
	_, st := stateOf(t, s, id)
	rr, st2 := act(t, mod, id, map[string]any{"action": "screen", "expected_seq": st.Seq, "question_id": pending[0].ID})
	if rr.StatusCode != 200 || st2.Seq != st.Seq+1 {
		t.Fatalf("screen: %d %s", rr.StatusCode, rr.Body)
	}
	raw, _ := stateOf(t, s, id)
	if !strings.Contains(string(raw), `"on_screen":{"id":`+strconv.FormatInt(pending[0].ID, 10)) {
		t.Fatalf("the state has no question on screen: %s", raw)
	}
	rr, _ = act(t, mod, id, map[string]any{"action": "screen", "expected_seq": st2.Seq, "question_id": 999999})
	wantError(t, "screen an unknown question", rr, 422, "validation_failed", "question_id")
	if r := moderate(t, mod, id, pending[0].ID, map[string]any{"action": "reject", "reason": "Poza tematem debaty"}); r.StatusCode != 200 {
		t.Fatalf("reject: %d %s", r.StatusCode, r.Body)
	}
	raw, st3 := stateOf(t, s, id)
	if !strings.Contains(string(raw), `"on_screen":null`) || st3.Seq != st2.Seq+1 {
		t.Fatalf("a rejected question stays on screen: %s", raw)
	}

	// Post-moderation: new questions appear at once.
	if rr, _ := act(t, mod, id, map[string]any{"action": "post_moderation", "expected_seq": st3.Seq}); rr.StatusCode != 200 {
		t.Fatalf("post_moderation: %d %s", rr.StatusCode, rr.Body)
	}
	if q := ask(t, admin, id, "Pytanie od razu widoczne dla wszystkich?", false); q.Status != "approved" {
		t.Fatalf("post-moderated question: %+v", q)
	}

	// A finished debate takes no questions, votes or moderation.
	ended := authzQuery[int64](t, s, `SELECT event_id FROM debates WHERE phase = 'ended' ORDER BY event_id LIMIT 1`)
	r = resident.Do(http.MethodPost, debatePath(ended, "/questions"), map[string]any{"body": "Czy obietnice zostały spełnione?"})
	wantError(t, "asking in a finished debate", r, 409, "debate_ended", "")
}

// TestDebateQuestionVotes: upvotes from many participants at once are counted exactly;
// one's own question and a second upvote are refused (also when sent at once); an
// upvote can be taken back; merging a duplicate combines the votes without counting
// twice a person who upvoted both; asking is rate-limited.
func TestDebateQuestionVotes(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := upcomingDebate(t, s)
	mod, resident, member := s.API(t), s.API(t), s.API(t)
	mod.Login("moderator@example.org", seed.DemoPassword)
	resident.Login("resident@example.org", seed.DemoPassword)
	member.Login("anna.mieszkanka@example.org", seed.DemoPassword)
	a := ask(t, resident, id, "Gdzie staną nowe ławki w Nowej Hucie?", false)
	b := ask(t, member, id, "Gdzie w Nowej Hucie pojawią się ławki?", false)
	for _, q := range []question{a, b} {
		if r := moderate(t, mod, id, q.ID, map[string]any{"action": "approve"}); r.StatusCode != 200 {
			t.Fatalf("approve: %d %s", r.StatusCode, r.Body)
		}
	}

	// Voting on a pending question: there is none to the public.
	p := ask(t, member, id, "Pytanie, które jeszcze czeka na moderację?", false)
	wantError(t, "upvoting a pending question", resident.Do(http.MethodPost, questionPath(id, p.ID, "/vote"), nil), 404, "not_found", "")

	// Own question, and the same person upvoting at once five times: one counts.
	wantError(t, "upvoting one's own", resident.Do(http.MethodPost, questionPath(id, a.ID, "/vote"), nil), 409, "own_question", "")
	var wg sync.WaitGroup
	codes := make([]int, 5)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = resident.Do(http.MethodPost, questionPath(id, b.ID, "/vote"), nil).StatusCode
		}()
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 409:
			conflicts++
		}
	}
	if ok != 1 || conflicts != 4 || votesOf(t, s, b.ID) != 1 {
		t.Fatalf("five upvotes at once from one account: %v, %d stored", codes, votesOf(t, s, b.ID))
	}
	wantError(t, "upvoting twice", resident.Do(http.MethodPost, questionPath(id, b.ID, "/vote"), nil), 409, "already_voted", "")

	// Many participants without an account at once: each counts once.
	const n = 12
	browsers := make([]*servertest.Browser, n)
	for i := range browsers {
		browsers[i] = s.Browser(t)
		if r := browsers[i].Get(fmt.Sprintf("/debaty/%d/na-zywo", id)); r.StatusCode != 200 {
			t.Fatalf("phone view: %d", r.StatusCode)
		}
	}
	status := make([]int, n)
	for i, br := range browsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status[i] = br.Post(fmt.Sprintf("/debaty/%d/pytania/%d/glos", id, a.ID), url.Values{}).StatusCode
		}()
	}
	wg.Wait()
	for i, c := range status {
		if c != http.StatusSeeOther {
			t.Fatalf("participant %d upvoting: %d", i, c)
		}
	}
	if got := votesOf(t, s, a.ID); got != n {
		t.Fatalf("%d upvotes at once: %d stored", n, got)
	}
	if got := board(t, s, id, "votes"); len(got) == 0 || got[0].ID != a.ID || got[0].Votes != n {
		t.Fatalf("the board by votes: %+v", got)
	}
	// The page marks the upvote; the form takes it back.
	if r := browsers[0].Get(fmt.Sprintf("/debaty/%d/na-zywo", id)); !strings.Contains(r.Body, `aria-pressed="true"`) {
		t.Fatal("the phone view does not show the upvote")
	}
	if r := browsers[0].Post(fmt.Sprintf("/debaty/%d/pytania/%d/glos", id, a.ID), url.Values{"undo": {"yes"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("taking the upvote back: %d", r.StatusCode)
	}
	if got := votesOf(t, s, a.ID); got != n-1 {
		t.Fatalf("after taking one back: %d", got)
	}

	// Merge b into a. b's upvotes: the resident (a's author: not moved onto their own
	// question), browsers[2] (already on a: counted once) and extra (moves).
	if r := browsers[2].Post(fmt.Sprintf("/debaty/%d/pytania/%d/glos", id, b.ID), url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("upvoting b: %d", r.StatusCode)
	}
	extra := s.Browser(t)
	extra.Get(fmt.Sprintf("/debaty/%d/na-zywo", id))
	if r := extra.Post(fmt.Sprintf("/debaty/%d/pytania/%d/glos", id, b.ID), url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("upvoting b: %d", r.StatusCode)
	}
	// a: n-1 participants; b: resident, browsers[2] (also on a), extra (only b).
	if r := moderate(t, mod, id, b.ID, map[string]any{"action": "merge", "into_id": a.ID}); r.StatusCode != 200 {
		t.Fatalf("merge: %d %s", r.StatusCode, r.Body)
	}
	if got := votesOf(t, s, a.ID); got != int64(n-1+1) {
		t.Fatalf("after the merge a has %d upvotes, want %d (browsers[2] once, the author's own not counted)", got, n)
	}
	qm := queueOf(t, mod, id)
	if _, listed := qm[b.ID]; listed {
		t.Error("the merged duplicate is still in the queue")
	}
	if m := authzQuery[string](t, s, `SELECT status || ' ' || merged_into FROM debate_questions WHERE id = $1`, b.ID); m != "merged "+strconv.FormatInt(a.ID, 10) {
		t.Fatalf("the duplicate: %s", m)
	}
	if r := extra.Post(fmt.Sprintf("/debaty/%d/pytania/%d/glos", id, b.ID), url.Values{}); r.StatusCode != http.StatusNotFound {
		t.Fatalf("upvoting a merged question: %d", r.StatusCode)
	}

	// Rate limit: three questions a minute per participant (the member asked b and p).
	ask(t, member, id, "Trzecie pytanie w tej minucie?", false)
	r := member.Do(http.MethodPost, debatePath(id, "/questions"), map[string]any{"body": "Czwarte pytanie w tej minucie?"})
	wantError(t, "a fourth question in a minute", r, 429, "rate_limited", "")
}

// TestDebateQuestionForms: without JavaScript, a phone without an account asks through
// the form (a refused question comes back with the reason and the text), the console
// shows the queue with the author and approves through its form, the phone sees it and
// upvotes it, and the projector shows the question put on screen.
func TestDebateQuestionForms(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := upcomingDebate(t, s)
	live := fmt.Sprintf("/debaty/%d/na-zywo", id)
	phone := s.Browser(t)
	r := phone.Submit(live, fmt.Sprintf("/debaty/%d/pytania", id), url.Values{"body": {"krótko"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "krótko") || !strings.Contains(r.Body, "10") {
		t.Fatalf("a short question: %d", r.StatusCode)
	}
	body := "Czy będzie przerwa na pytania z sali po każdym temacie?"
	r = phone.Post(fmt.Sprintf("/debaty/%d/pytania", id), url.Values{"body": {body}, "anonymous": {"yes"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("asking through the form: %d %s", r.StatusCode, r.Body)
	}
	if r = phone.Get(r.Header.Get("Location")); strings.Contains(r.Body, body) {
		t.Fatal("a pending question is on the phone's board")
	}
	qid := authzQuery[int64](t, s, `SELECT id FROM debate_questions WHERE body = $1 AND participant LIKE 'anon:%' AND anonymous`, body)

	console := s.Browser(t)
	console.SignIn("moderator@example.org", seed.DemoPassword)
	page := console.Get(fmt.Sprintf("/debaty/%d/konsola", id))
	if !strings.Contains(page.Body, body) || !strings.Contains(page.Body, "pytanie-"+strconv.FormatInt(qid, 10)) {
		t.Fatal("the console does not list the waiting question")
	}
	r = console.Post(fmt.Sprintf("/debaty/%d/pytania/%d/moderacja", id, qid), url.Values{"action": {"approve"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("approving through the console: %d", r.StatusCode)
	}
	r = console.Post(fmt.Sprintf("/debaty/%d/pytania/%d/moderacja", id, qid), url.Values{"action": {"approve"}})
	if r.StatusCode != http.StatusConflict {
		t.Fatalf("approving again through the console: %d", r.StatusCode)
	}
	_, st := stateOf(t, s, id)
	console.Get(fmt.Sprintf("/debaty/%d/konsola", id))
	r = console.Post(fmt.Sprintf("/debaty/%d/konsola", id), url.Values{"action": {"screen"}, "question_id": {strconv.FormatInt(qid, 10)},
		"expected_seq": {strconv.FormatInt(st.Seq, 10)}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("putting on screen through the console: %d", r.StatusCode)
	}
	if p := s.Browser(t).Get(fmt.Sprintf("/debaty/%d/rzutnik", id)); !strings.Contains(p.Body, body) {
		t.Fatal("the projector does not show the question on screen")
	}

	// Another phone upvotes it; the asker's own phone gets no upvote button for it.
	if p := phone.Get(live + "?kolejnosc=czas"); !strings.Contains(p.Body, body) ||
		strings.Contains(p.Body, fmt.Sprintf("/pytania/%d/glos", qid)) {
		t.Fatal("the asker's phone: the question missing, or offered for an upvote")
	}
	other := s.Browser(t)
	r = other.Submit(live, fmt.Sprintf("/debaty/%d/pytania/%d/glos", id, qid), url.Values{})
	if r.StatusCode != http.StatusSeeOther || votesOf(t, s, qid) != 1 {
		t.Fatalf("upvoting through the form: %d", r.StatusCode)
	}
	r = other.Post(fmt.Sprintf("/debaty/%d/pytania/%d/glos", id, qid), url.Values{})
	if r.StatusCode != http.StatusConflict || votesOf(t, s, qid) != 1 {
		t.Fatalf("upvoting twice through the form: %d", r.StatusCode)
	}
}

// TestDebateQuestionRooms: the public board room and the moderators' queue room start
// from a snapshot and follow each change live; the queue is the moderators' alone and
// names the author of an anonymous question, the board does not.
func TestDebateQuestionRooms(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := upcomingDebate(t, s)
	boardRoom, queueRoom := fmt.Sprintf("debate-questions:%d", id), fmt.Sprintf("debate-queue:%d", id)
	mod := s.API(t)
	mod.Login("moderator@example.org", seed.DemoPassword)
	resident := s.API(t)
	resident.Login("resident@example.org", seed.DemoPassword)

	subscribe := func(c *websocket.Conn, room string) realtime.Message {
		t.Helper()
		send(t, c, map[string]any{"type": "subscribe", "rooms": []string{room}})
		if m := readMsg(t, c); m.Type != "subscribed" {
			t.Fatalf("subscribing to %s: %+v", room, m)
		}
		return readMsg(t, c)
	}
	phone := mustDial(t, s, "")
	send(t, phone, map[string]any{"type": "subscribe", "rooms": []string{queueRoom}})
	if m := readMsg(t, phone); m.Type != "error" || m.Code != "unauthorized" && m.Code != "forbidden" {
		t.Fatalf("a visitor subscribing to the queue: %+v", m)
	}
	snap := subscribe(phone, boardRoom)
	console := mustDial(t, s, mod.Token)
	qsnap := subscribe(console, queueRoom)
	if snap.Type != "debate.questions" || qsnap.Type != "debate.queue" {
		t.Fatalf("snapshots: %s, %s", snap.Type, qsnap.Type)
	}

	q := ask(t, resident, id, "Czy pytania z sali trafią do protokołu?", true)
	m := readMsg(t, console)
	if m.Type != "debate.queue" || !strings.Contains(string(m.Data), q.Body) || !strings.Contains(string(m.Data), `"author_name"`) {
		t.Fatalf("the queue after a question: %s", m.Data)
	}
	if r := moderate(t, mod, id, q.ID, map[string]any{"action": "approve"}); r.StatusCode != 200 {
		t.Fatalf("approve: %d", r.StatusCode)
	}
	// The phone got the pending question's version (no new item), then the approval.
	for {
		m = readMsg(t, phone)
		if strings.Contains(string(m.Data), q.Body) {
			break
		}
	}
	if m.Type != "debate.questions" || m.Seq <= snap.Seq || strings.Contains(string(m.Data), `"author_id"`) ||
		strings.Contains(string(m.Data), `"participant"`) {
		t.Fatalf("the board after the approval: %+v %s", m, m.Data)
	}
}
