package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"lawka/internal/platform/realtime"
	"lawka/internal/server/servertest"
)

type pollJSON struct {
	Poll struct {
		ID      int64
		Status  string
		Options []struct {
			ID    int64
			Label string
		}
	}
}

type resultsJSON struct {
	Total     int
	Status    string
	Options   []struct{ ID, Votes, Online, Paper int64 }
	ByChannel map[string]int `json:"by_channel"`
}

// newPoll creates and opens a poll as the moderator and returns it.
func newPoll(t *testing.T, s *servertest.Running, body map[string]any) (pollJSON, *servertest.API) {
	t.Helper()
	mod := s.API(t)
	mod.Login("moderator@example.org", "lawka-demo-2026")
	r := mod.Do(http.MethodPost, "/api/v1/polls", body)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("create poll: %d %s", r.StatusCode, r.Body)
	}
	var p pollJSON
	r.JSON(t, &p)
	if r := mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/open", p.Poll.ID), nil); r.StatusCode != http.StatusOK {
		t.Fatalf("open: %d %s", r.StatusCode, r.Body)
	}
	return p, mod
}

func results(t *testing.T, s *servertest.Running, id int64) resultsJSON {
	t.Helper()
	r := s.API(t).Do(http.MethodGet, fmt.Sprintf("/api/v1/polls/%d/results", id), nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("results: %d %s", r.StatusCode, r.Body)
	}
	var res resultsJSON
	r.JSON(t, &res)
	return res
}

func TestPollCreationRules(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	before := scalar[int](t, s, `SELECT count(*)::int FROM polls`)
	res := s.API(t)
	res.Login("resident@example.org", "lawka-demo-2026")
	good := map[string]any{"question": "Gdzie postawić ławkę dialogu?", "kind": "single", "options": []string{"Rynek Podgórski", "Plac Centralny"}, "eligibility": "registered"}
	if r := res.Do(http.MethodPost, "/api/v1/polls", good); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a resident creating a poll: %d", r.StatusCode)
	}
	mod := s.API(t)
	mod.Login("moderator@example.org", "lawka-demo-2026")
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"one option", map[string]any{"question": "Pytanie?", "kind": "single", "options": []string{"Tak"}, "eligibility": "open"}, "options"},
		{"duplicate options", map[string]any{"question": "Pytanie?", "kind": "single", "options": []string{"Tak", "tak"}, "eligibility": "open"}, "options"},
		{"bad kind", map[string]any{"question": "Pytanie?", "kind": "ranked", "options": []string{"A", "B"}, "eligibility": "open"}, "kind"},
		{"too many choices", map[string]any{"question": "Pytanie?", "kind": "multiple", "max_choices": 3, "options": []string{"A", "B"}, "eligibility": "open"}, "max_choices"},
		{"bad eligibility", map[string]any{"question": "Pytanie?", "kind": "single", "options": []string{"A", "B"}, "eligibility": "everyone"}, "eligibility"},
		{"short question", map[string]any{"question": "?", "kind": "single", "options": []string{"A", "B"}, "eligibility": "open"}, "question"},
	}
	for _, tc := range cases {
		r := mod.Do(http.MethodPost, "/api/v1/polls", tc.body)
		var body struct {
			Error struct{ Fields map[string]string }
		}
		_ = json.Unmarshal([]byte(r.Body), &body)
		if r.StatusCode != http.StatusUnprocessableEntity || body.Error.Fields[tc.field] == "" {
			t.Errorf("%s: %d %s, want 422 at %s", tc.name, r.StatusCode, r.Body, tc.field)
		}
	}
	if n := scalar[int](t, s, `SELECT count(*)::int FROM polls`); n != before {
		t.Fatalf("%d polls saved by refused requests", n-before)
	}
}

func TestVotingRules(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, mod := newPoll(t, s, map[string]any{"question": "Który lokal na klub sąsiedzki?", "kind": "multiple", "max_choices": 2,
		"options": []string{"Dawna biblioteka", "Pawilon przy szkole", "Świetlica"}, "eligibility": "registered"})
	path := fmt.Sprintf("/api/v1/polls/%d/votes", p.Poll.ID)
	o := p.Poll.Options
	v := s.API(t)
	v.Login("resident@example.org", "lawka-demo-2026")

	first := v.Do(http.MethodPost, path, map[string]any{"option_ids": []int64{o[0].ID}})
	var rc struct{ Receipt string }
	first.JSON(t, &rc)
	if first.StatusCode != http.StatusCreated || rc.Receipt == "" {
		t.Fatalf("first vote: %d %s", first.StatusCode, first.Body)
	}
	again := v.Do(http.MethodPost, path, map[string]any{"option_ids": []int64{o[0].ID}})
	var rc2 struct{ Receipt string }
	again.JSON(t, &rc2)
	if again.StatusCode != http.StatusOK || rc2.Receipt != rc.Receipt {
		t.Fatalf("retry: %d %s, want 200 with the same receipt", again.StatusCode, again.Body)
	}
	if r := v.Do(http.MethodPost, path, map[string]any{"option_ids": []int64{o[1].ID, o[2].ID}}); r.StatusCode != http.StatusOK {
		t.Fatalf("change: %d %s", r.StatusCode, r.Body)
	}
	for name, ids := range map[string][]int64{"none": {}, "too many": {o[0].ID, o[1].ID, o[2].ID}, "duplicate": {o[0].ID, o[0].ID}, "unknown": {999999}} {
		if r := v.Do(http.MethodPost, path, map[string]any{"option_ids": ids}); r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s, want 422", name, r.StatusCode, r.Body)
		}
	}
	if r := s.API(t).Do(http.MethodPost, path, map[string]any{"option_ids": []int64{o[0].ID}}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("a visitor in a registered poll: %d", r.StatusCode)
	}
	res := results(t, s, p.Poll.ID)
	if res.Total != 1 || res.Options[0].Votes != 0 || res.Options[1].Votes != 1 || res.Options[2].Votes != 1 {
		t.Fatalf("results after a change: %+v", res)
	}
	if r := mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/close", p.Poll.ID), nil); r.StatusCode != http.StatusOK {
		t.Fatalf("close: %d", r.StatusCode)
	}
	r := v.Do(http.MethodPost, path, map[string]any{"option_ids": []int64{o[0].ID}})
	if r.StatusCode != http.StatusConflict || !bytes.Contains([]byte(r.Body), []byte(`"poll_closed"`)) {
		t.Fatalf("vote after close: %d %s", r.StatusCode, r.Body)
	}
}

func TestEligibility(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, _ := newPoll(t, s, map[string]any{"question": "Czy popierasz bezpłatne sale dla NGO?", "kind": "single",
		"options": []string{"Tak", "Nie"}, "eligibility": "members"})
	path := fmt.Sprintf("/api/v1/polls/%d/votes", p.Poll.ID)
	body := map[string]any{"option_ids": []int64{p.Poll.Options[0].ID}}
	resident := s.API(t)
	resident.Login("resident@example.org", "lawka-demo-2026")
	if r := resident.Do(http.MethodPost, path, body); r.StatusCode != http.StatusForbidden || !bytes.Contains([]byte(r.Body), []byte("not_eligible")) {
		t.Fatalf("a non-member in a members' poll: %d %s", r.StatusCode, r.Body)
	}
	member := s.API(t)
	member.Login("advocate@example.org", "lawka-demo-2026")
	if r := member.Do(http.MethodPost, path, body); r.StatusCode != http.StatusCreated {
		t.Fatalf("a member: %d %s", r.StatusCode, r.Body)
	}
}

// TestConcurrentVotesCountExactlyOnce: hundreds of anonymous participants vote at once,
// each retrying and some changing their vote; PostgreSQL holds exactly one ballot each.
func TestConcurrentVotesCountExactlyOnce(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, _ := newPoll(t, s, map[string]any{"question": "Ławka dialogu: gdzie?", "kind": "single",
		"options": []string{"A", "B", "C"}, "eligibility": "open"})
	url := fmt.Sprintf("%s/api/v1/polls/%d/votes", s.URL, p.Poll.ID)
	const people = 200
	final := make([]int64, people)
	errs := make(chan error, people)
	var wg sync.WaitGroup
	for i := 0; i < people; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
			// The participant cookie comes with the first answer; a browser gets it the same way.
			choices := []int64{p.Poll.Options[i%3].ID, p.Poll.Options[i%3].ID, p.Poll.Options[(i+1)%3].ID}
			if i%2 == 0 {
				choices = choices[:2] // half only retry, half change their vote
			}
			for _, opt := range choices {
				status, b, err := anonVote(c, url, opt)
				if err != nil {
					errs <- err
					return
				}
				if status != http.StatusCreated && status != http.StatusOK {
					errs <- fmt.Errorf("participant %d: %d %s", i, status, b)
					return
				}
				final[i] = opt
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := map[int64]int64{}
	for _, o := range final {
		want[o]++
	}
	res := results(t, s, p.Poll.ID)
	if res.Total != people {
		t.Fatalf("total %d ballots, want %d", res.Total, people)
	}
	for _, o := range res.Options {
		if o.Votes != want[o.ID] {
			t.Errorf("option %d: %d votes, want %d", o.ID, o.Votes, want[o.ID])
		}
	}
	assertRedisMatches(t, s, p.Poll.ID) // the live tally too, change for change
}

// TestVotesRacingTheCloseAreAllOrNothing: every vote answered 2xx is stored; every vote
// the server refused with 409 is not; nothing else happens.
func TestVotesRacingTheCloseAreAllOrNothing(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, mod := newPoll(t, s, map[string]any{"question": "Zamykamy za chwilę?", "kind": "single",
		"options": []string{"Tak", "Nie"}, "eligibility": "open"})
	url := fmt.Sprintf("%s/api/v1/polls/%d/votes", s.URL, p.Poll.ID)
	var accepted, refused int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 120; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
			<-start
			status, _, err := anonVote(c, url, p.Poll.Options[0].ID)
			if err != nil {
				return // counted as neither: accepted+refused then misses 120
			}
			mu.Lock()
			defer mu.Unlock()
			switch status {
			case http.StatusCreated:
				accepted++
			case http.StatusConflict:
				refused++
			default:
				t.Errorf("unexpected status %d", status)
			}
		}()
	}
	close(start)
	if r := mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/close", p.Poll.ID), nil); r.StatusCode != http.StatusOK {
		t.Fatalf("close: %d", r.StatusCode)
	}
	wg.Wait()
	stored := scalar[int](t, s, `SELECT count(*)::int FROM ballots WHERE poll_id = $1`, p.Poll.ID)
	if int64(stored) != accepted || accepted+refused != 120 {
		t.Fatalf("accepted %d, refused %d, stored %d", accepted, refused, stored)
	}
	late := scalar[int](t, s, `SELECT count(*)::int FROM ballots b JOIN polls p ON p.id = b.poll_id
		WHERE p.id = $1 AND b.created_at > p.closed_at`, p.Poll.ID)
	if late != 0 {
		t.Fatalf("%d ballots stored after the close", late)
	}
}

func TestIdempotencyKeyCountsOnce(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, _ := newPoll(t, s, map[string]any{"question": "Klucz idempotencji?", "kind": "single",
		"options": []string{"A", "B"}, "eligibility": "registered"})
	v := s.API(t)
	v.Login("resident@example.org", "lawka-demo-2026")
	path := fmt.Sprintf("/api/v1/polls/%d/votes", p.Poll.ID)
	body := map[string]any{"option_ids": []int64{p.Poll.Options[1].ID}}
	a := v.Do(http.MethodPost, path, body, "Idempotency-Key", "abc-123")
	b := v.Do(http.MethodPost, path, body, "Idempotency-Key", "abc-123")
	if a.StatusCode != http.StatusCreated || b.StatusCode != http.StatusCreated || a.Body != b.Body {
		t.Fatalf("a retry with the same key must get the first answer: %d %s / %d %s", a.StatusCode, a.Body, b.StatusCode, b.Body)
	}
	if res := results(t, s, p.Poll.ID); res.Total != 1 {
		t.Fatalf("total %d", res.Total)
	}
}

func TestPaperBallotsCountBesideOnline(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, mod := newPoll(t, s, map[string]any{"question": "Papier i internet?", "kind": "single",
		"options": []string{"Tak", "Nie"}, "eligibility": "registered"})
	v := s.API(t)
	v.Login("resident@example.org", "lawka-demo-2026")
	v.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/votes", p.Poll.ID), map[string]any{"option_ids": []int64{p.Poll.Options[0].ID}})
	paper := map[string]any{"counts": map[string]int{strconv.FormatInt(p.Poll.Options[0].ID, 10): 5, strconv.FormatInt(p.Poll.Options[1].ID, 10): 3},
		"note": "urna w Klubie Sąsiedzkim"}
	if r := v.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/paper", p.Poll.ID), paper); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a resident entering paper ballots: %d", r.StatusCode)
	}
	if r := mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/paper", p.Poll.ID), paper); r.StatusCode != http.StatusCreated {
		t.Fatalf("paper: %d %s", r.StatusCode, r.Body)
	}
	res := results(t, s, p.Poll.ID)
	if res.Total != 9 || res.ByChannel["online"] != 1 || res.ByChannel["paper"] != 8 || res.Options[0].Votes != 6 || res.Options[0].Paper != 5 {
		t.Fatalf("results %+v", res)
	}
	if n := scalar[int](t, s, `SELECT count(*)::int FROM audit_log WHERE action = 'poll.paper' AND target_id = $1`, p.Poll.ID); n != 1 {
		t.Fatalf("%d audit rows for the paper entry", n)
	}
}

func TestViewersSeeTheTallyMoveLive(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, _ := newPoll(t, s, map[string]any{"question": "Na żywo?", "kind": "single",
		"options": []string{"Tak", "Nie"}, "eligibility": "registered"})
	watcher := mustDial(t, s, "")
	send(t, watcher, map[string]any{"type": "subscribe", "rooms": []string{fmt.Sprintf("poll:%d", p.Poll.ID)}})
	if m := readMsg(t, watcher); m.Type != "subscribed" {
		t.Fatalf("%+v", m)
	}
	snap := readMsg(t, watcher)
	if snap.Type != "poll.tally" {
		t.Fatalf("snapshot %+v", snap)
	}
	v := s.API(t)
	v.Login("resident@example.org", "lawka-demo-2026")
	v.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/votes", p.Poll.ID), map[string]any{"option_ids": []int64{p.Poll.Options[1].ID}})
	tally := awaitTally(t, watcher, func(m realtime.Message, tl tallyJSON) bool { return m.Seq > snap.Seq && tl.Total == 1 })
	if tally.Options[1].Votes != 1 {
		t.Fatalf("tally %+v", tally)
	}
}

// TestReceiptsArePublishedAfterTheClose: a voter finds their receipt's hash in the list
// with their choice, the digest is the SHA-256 of the sorted list, and nothing is
// published while voting is open.
func TestReceiptsArePublishedAfterTheClose(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, mod := newPoll(t, s, map[string]any{"question": "Sprawdzalne głosowanie?", "kind": "single",
		"options": []string{"Tak", "Nie"}, "eligibility": "registered"})
	v := s.API(t)
	v.Login("resident@example.org", "lawka-demo-2026")
	r := v.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/votes", p.Poll.ID), map[string]any{"option_ids": []int64{p.Poll.Options[1].ID}})
	var rc struct{ Receipt string }
	r.JSON(t, &rc)
	list := fmt.Sprintf("/api/v1/polls/%d/receipts", p.Poll.ID)
	if r := s.API(t).Do(http.MethodGet, list, nil); r.StatusCode != http.StatusConflict {
		t.Fatalf("receipts while open: %d", r.StatusCode)
	}
	mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/close", p.Poll.ID), nil)
	r = s.API(t).Do(http.MethodGet, list, nil)
	var pub struct {
		Digest  string
		Entries []struct {
			ReceiptHash string  `json:"receipt_hash"`
			OptionIDs   []int64 `json:"option_ids"`
		}
	}
	r.JSON(t, &pub)
	sum := sha256.Sum256([]byte(rc.Receipt))
	mine := hex.EncodeToString(sum[:])
	h := sha256.New()
	found := false
	for _, e := range pub.Entries {
		ids := make([]string, len(e.OptionIDs))
		for i, id := range e.OptionIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		h.Write([]byte(e.ReceiptHash + ":" + strings.Join(ids, ",") + "\n"))
		if e.ReceiptHash == mine && len(e.OptionIDs) == 1 && e.OptionIDs[0] == p.Poll.Options[1].ID {
			found = true
		}
	}
	if !found || len(pub.Entries) != 1 || hex.EncodeToString(h.Sum(nil)) != pub.Digest {
		t.Fatalf("published %+v; my receipt hash %s found %v", pub, mine, found)
	}
	if strings.Contains(r.Body, rc.Receipt) {
		t.Fatal("the receipt itself was published")
	}
	page := s.Browser(t).Get(fmt.Sprintf("/ankiety/%d?sprawdz=%s", p.Poll.ID, strings.ToLower(rc.Receipt)))
	if !strings.Contains(page.Body, "Ten numer jest na liście") || !strings.Contains(page.Body, "„Nie”") {
		t.Fatal("the page does not confirm the receipt")
	}
	csvBody := s.API(t).Do(http.MethodGet, fmt.Sprintf("/ankiety/%d/wyniki.csv", p.Poll.ID), nil)
	if csvBody.StatusCode != http.StatusOK || !strings.Contains(csvBody.Body, "option_id,label,online,paper,votes") ||
		!strings.Contains(csvBody.Body, ",Nie,1,0,1") {
		t.Fatalf("CSV: %d %s", csvBody.StatusCode, csvBody.Body)
	}
}

// TestModeratorConsole: a moderator creates a poll with the form, opens it, adds paper
// ballots and closes it; a resident cannot reach the console.
func TestModeratorConsole(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	res := s.Browser(t)
	res.SignIn("resident@example.org", "lawka-demo-2026")
	if r := res.Get("/admin/ankiety"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a resident on the console: %d", r.StatusCode)
	}
	b := s.Browser(t)
	b.SignIn("moderator@example.org", "lawka-demo-2026")
	bad := b.Submit("/admin/ankiety", "/admin/ankiety", url.Values{"question": {"Sala dla NGO?"}, "kind": {"single"},
		"options": {"Tak"}, "eligibility": {"registered"}, "results_visibility": {"live"}})
	if bad.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(bad.Title(), "Błąd:") || !strings.Contains(bad.Body, `href="#options"`) {
		t.Fatalf("one answer only: %d %q", bad.StatusCode, bad.Title())
	}
	r := b.Submit("/admin/ankiety", "/admin/ankiety", url.Values{"question": {"Bezpłatne sale dla NGO w domach kultury?"}, "kind": {"single"},
		"options": {"Tak\r\nNie\r\n\r\nNie wiem"}, "eligibility": {"registered"}, "results_visibility": {"live"}, "allow_change": {"yes"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.StatusCode, r.Title())
	}
	manage := r.Header.Get("Location")
	id := strings.TrimPrefix(manage, "/admin/ankiety/")
	if r := b.Submit(manage, manage+"/otworz", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("open: %d", r.StatusCode)
	}
	opts := scalar[[]int64](t, s, `SELECT array(SELECT id FROM poll_options WHERE poll_id = $1 ORDER BY position)`, mustAtoi(t, id))
	if len(opts) != 3 {
		t.Fatalf("%d options saved, want 3 (blank lines ignored)", len(opts))
	}
	if r := b.Submit(manage, manage+"/papier", url.Values{fmt.Sprintf("count_%d", opts[0]): {"4"}, fmt.Sprintf("count_%d", opts[1]): {"2"},
		"note": {"urna w domu kultury"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("paper: %d %s", r.StatusCode, r.Title())
	}
	if r := b.Submit(manage, manage+"/papier", url.Values{fmt.Sprintf("count_%d", opts[0]): {"-3"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a negative count: %d", r.StatusCode)
	}
	if r := b.Submit(manage, manage+"/zamknij", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("close: %d", r.StatusCode)
	}
	got := results(t, s, mustAtoi(t, id))
	if got.Status != "closed" || got.Total != 6 || got.ByChannel["paper"] != 6 {
		t.Fatalf("results %+v", got)
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// anonVote sends one vote as an anonymous participant of an open poll: the client's
// cookie jar keeps the participant cookie the first answer sets. It acts as an API
// client (an Authorization header), which needs no CSRF token.
func anonVote(c *http.Client, url string, option int64) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(fmt.Sprintf(`{"option_ids":[%d]}`, option)))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer none")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
