package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"lawka/internal/platform/realtime"
	"lawka/internal/server/servertest"
)

// tallyJSON is a poll.tally message's data.
type tallyJSON struct {
	Status    string
	Total     int
	Version   int64
	Options   []struct{ ID, Votes int64 }
	ByChannel map[string]int `json:"by_channel"`
}

// awaitTally reads the socket until a poll.tally for which done holds (each read fails
// the test after its own deadline) and returns it.
func awaitTally(t *testing.T, c *websocket.Conn, done func(realtime.Message, tallyJSON) bool) tallyJSON {
	t.Helper()
	for {
		m := readMsg(t, c)
		if m.Type != "poll.tally" {
			continue
		}
		var tl tallyJSON
		if err := json.Unmarshal(m.Data, &tl); err != nil {
			t.Fatal(err)
		}
		if done(m, tl) {
			return tl
		}
	}
}

// redisTally is the poll's live tally hash in Redis.
func redisTally(t *testing.T, s *servertest.Running, id int64) map[string]string {
	t.Helper()
	h, err := s.Redis.HGetAll(context.Background(), s.Redis.Key("poll", "{"+strconv.FormatInt(id, 10)+"}", "tally")).Result()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// assertRedisMatches checks that Redis holds exactly PostgreSQL's counts, change for change.
func assertRedisMatches(t *testing.T, s *servertest.Running, id int64) {
	t.Helper()
	h := redisTally(t, s, id)
	seq := scalar[int](t, s, `SELECT tally_seq::int FROM polls WHERE id = $1`, id)
	online := scalar[int](t, s, `SELECT count(*)::int FROM ballots WHERE poll_id = $1`, id)
	if h["seq"] != strconv.Itoa(seq) || h["online"] != strconv.Itoa(online) {
		t.Fatalf("Redis tally %v, PostgreSQL: change %d, %d ballots", h, seq, online)
	}
	rows, err := s.Pool.Query(context.Background(), `SELECT o.id, (SELECT count(*) FROM ballot_choices c WHERE c.option_id = o.id)::int
		FROM poll_options o WHERE o.poll_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var oid int64
		var n int
		if err := rows.Scan(&oid, &n); err != nil {
			t.Fatal(err)
		}
		if got := h["on:"+strconv.FormatInt(oid, 10)]; got != strconv.Itoa(n) {
			t.Errorf("option %d: Redis %q, PostgreSQL %d", oid, got, n)
		}
	}
}

// burst sends one vote per new anonymous participant, all released at once, and
// returns how many were acknowledged.
func burst(t *testing.T, s *servertest.Running, pollID int64, people int, option func(i int) int64) int {
	t.Helper()
	url := fmt.Sprintf("%s/api/v1/polls/%d/votes", s.URL, pollID)
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := 0
	for i := 0; i < people; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
			<-start
			status, body, err := anonVote(c, url, option(i))
			if err != nil || status != http.StatusCreated {
				t.Errorf("voter %d: %d %s %v", i, status, body, err)
				return
			}
			mu.Lock()
			acked++
			mu.Unlock()
		}(i)
	}
	close(start)
	wg.Wait()
	return acked
}

// TestBurstIsWrittenInBatches: votes arriving together are committed together (fewer
// numbered changes than votes), every one is stored, and Redis agrees with PostgreSQL.
func TestBurstIsWrittenInBatches(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, _ := newPoll(t, s, map[string]any{"question": "Wszyscy naraz?", "kind": "single",
		"options": []string{"A", "B", "C"}, "eligibility": "open"})
	const people = 300
	acked := burst(t, s, p.Poll.ID, people, func(i int) int64 { return p.Poll.Options[i%3].ID })
	stored := scalar[int](t, s, `SELECT count(*)::int FROM ballots WHERE poll_id = $1`, p.Poll.ID)
	commits := scalar[int](t, s, `SELECT tally_seq::int FROM polls WHERE id = $1`, p.Poll.ID)
	if acked != people || stored != people {
		t.Fatalf("acknowledged %d, stored %d, want %d", acked, stored, people)
	}
	if commits >= people {
		t.Fatalf("%d votes took %d numbered commits: concurrent votes were not written together", people, commits)
	}
	t.Logf("%d votes in %d commits", people, commits)
	assertRedisMatches(t, s, p.Poll.ID)
	if res := results(t, s, p.Poll.ID); res.Total != people || res.Options[0].Votes != people/3 {
		t.Fatalf("results %+v", res)
	}
}

// TestRedisFlushedMidPollConverges: Redis loses everything while people vote; voting
// goes on, results stay exact, and the live tally is rebuilt from PostgreSQL.
func TestRedisFlushedMidPollConverges(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, _ := newPoll(t, s, map[string]any{"question": "Co po awarii?", "kind": "single",
		"options": []string{"A", "B"}, "eligibility": "open"})
	first := burst(t, s, p.Poll.ID, 40, func(i int) int64 { return p.Poll.Options[i%2].ID })

	ctx := context.Background()
	keys, err := s.Redis.Keys(ctx, s.Redis.Prefix()+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys %v %v", keys, err)
	}
	if err := s.Redis.Del(ctx, keys...).Err(); err != nil { // this test's FLUSHALL
		t.Fatal(err)
	}
	if res := results(t, s, p.Poll.ID); res.Total != first {
		t.Fatalf("results without Redis: %d, want %d", res.Total, first)
	}
	second := burst(t, s, p.Poll.ID, 40, func(i int) int64 { return p.Poll.Options[0].ID })
	assertRedisMatches(t, s, p.Poll.ID)
	res := results(t, s, p.Poll.ID)
	if res.Total != first+second || res.Options[0].Votes != int64(first/2+second) {
		t.Fatalf("results %+v after %d+%d votes", res, first, second)
	}
}

// TestReconcilerRepairsDrift: a Redis tally that was changed behind the application's
// back, or that missed a change, is found and rebuilt; the drift is reported.
func TestReconcilerRepairsDrift(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, _ := newPoll(t, s, map[string]any{"question": "Czy liczby się zgadzają?", "kind": "single",
		"options": []string{"A", "B"}, "eligibility": "open"})
	burst(t, s, p.Poll.ID, 10, func(i int) int64 { return p.Poll.Options[0].ID })
	ctx := context.Background()
	polls := s.Server.Polls()
	if d := polls.Reconcile(ctx); d != 0 {
		t.Fatalf("drift %d on an exact tally", d)
	}

	key := s.Redis.Key("poll", "{"+strconv.FormatInt(p.Poll.ID, 10)+"}", "tally")
	s.Redis.HIncrBy(ctx, key, "on:"+strconv.FormatInt(p.Poll.Options[1].ID, 10), 5)
	if d := polls.Reconcile(ctx); d != 5 {
		t.Fatalf("drift %d, want 5", d)
	}
	assertRedisMatches(t, s, p.Poll.ID)
	if d := polls.Reconcile(ctx); d != 0 {
		t.Fatalf("drift %d after the repair", d)
	}

	// A change that never reached Redis: PostgreSQL is a change ahead. Results stay
	// exact meanwhile (they are counted in PostgreSQL), and the reconciler rebuilds once
	// it has seen Redis stuck there twice.
	if _, err := s.Pool.Exec(ctx, `UPDATE polls SET tally_seq = tally_seq + 1 WHERE id = $1`, p.Poll.ID); err != nil {
		t.Fatal(err)
	}
	if res := results(t, s, p.Poll.ID); res.Total != 10 {
		t.Fatalf("results %+v", res)
	}
	polls.Reconcile(ctx)
	polls.Reconcile(ctx)
	assertRedisMatches(t, s, p.Poll.ID)

	metrics := s.API(t).Do(http.MethodGet, "/metrics", nil)
	if !containsLine(metrics.Body, "lawka_tally_drift 0") || !containsLine(metrics.Body, `lawka_tally_rebuilds_total{reason="drift"} 1`) {
		t.Fatalf("metrics do not report the drift check:\n%s", metrics.Body)
	}
}

func containsLine(body, line string) bool {
	return slices.Contains(strings.Split(body, "\n"), line)
}

// TestTalliesAreCoalescedForViewers: a burst of votes reaches a viewer as a handful of
// tallies (at most about ten a second), the last one exact.
func TestTalliesAreCoalescedForViewers(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, _ := newPoll(t, s, map[string]any{"question": "Ile wiadomości?", "kind": "single",
		"options": []string{"A", "B"}, "eligibility": "open"})
	viewer := mustDial(t, s, "")
	send(t, viewer, map[string]any{"type": "subscribe", "rooms": []string{fmt.Sprintf("poll:%d", p.Poll.ID)}})
	if m := readMsg(t, viewer); m.Type != "subscribed" {
		t.Fatalf("%+v", m)
	}
	readMsg(t, viewer) // the snapshot
	began := time.Now()
	const people = 150
	burst(t, s, p.Poll.ID, people, func(i int) int64 { return p.Poll.Options[i%2].ID })
	tallies, version := 0, int64(-1)
	for {
		m := readMsg(t, viewer)
		if m.Type != "poll.tally" {
			continue
		}
		tallies++
		var tally struct {
			Total   int
			Version int64
		}
		if err := json.Unmarshal(m.Data, &tally); err != nil {
			t.Fatal(err)
		}
		if tally.Version < version {
			t.Fatalf("tally version went back from %d to %d", version, tally.Version)
		}
		version = tally.Version
		if tally.Total == people {
			break
		}
	}
	// At most one tally per publishing interval (100 ms, its cross-instance token lasting
	// 90 ms so that ticks are not missed): the first at once, one per 90 ms after it, and
	// the one in progress.
	allowed := int(time.Since(began)/(90*time.Millisecond)) + 2
	if tallies > allowed {
		t.Fatalf("%d tallies in %v: not coalesced (at most %d)", tallies, time.Since(began), allowed)
	}
	t.Logf("%d votes reached the viewer as %d tallies in %v", people, tallies, time.Since(began))
}

// TestVotingIsRateLimited: one participant sending vote after vote is slowed down with
// 429 and Retry-After; their ballot stays one ballot.
func TestVotingIsRateLimited(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, _ := newPoll(t, s, map[string]any{"question": "Ile razy można zmienić zdanie?", "kind": "single",
		"options": []string{"A", "B"}, "eligibility": "open"})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	url := fmt.Sprintf("%s/api/v1/polls/%d/votes", s.URL, p.Poll.ID)
	for i := 0; i < 30; i++ {
		status, body, err := anonVote(c, url, p.Poll.Options[i%2].ID)
		if err != nil || status != http.StatusCreated && status != http.StatusOK {
			t.Fatalf("vote %d: %d %s %v", i+1, status, body, err)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(fmt.Sprintf(`{"option_ids":[%d]}`, p.Poll.Options[0].ID)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer none")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("31st vote in a minute: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if res := results(t, s, p.Poll.ID); res.Total != 1 || res.Options[1].Votes != 1 {
		t.Fatalf("results %+v: one participant is one ballot, with their last choice", res)
	}
}

// TestScheduledCloseTakesEffect: a poll with a close time stops taking votes then, and
// the reconciler records the close and tells viewers.
func TestScheduledCloseTakesEffect(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, _ := newPoll(t, s, map[string]any{"question": "Do kiedy głosujemy?", "kind": "single",
		"options": []string{"A", "B"}, "eligibility": "open", "closes_at": time.Now().Add(time.Hour)})
	burst(t, s, p.Poll.ID, 3, func(int) int64 { return p.Poll.Options[0].ID })
	viewer := mustDial(t, s, "")
	send(t, viewer, map[string]any{"type": "subscribe", "rooms": []string{fmt.Sprintf("poll:%d", p.Poll.ID)}})
	readMsg(t, viewer) // subscribed
	readMsg(t, viewer) // snapshot
	// The hour passes.
	if _, err := s.Pool.Exec(context.Background(), `UPDATE polls SET closes_at = now() - interval '1 second' WHERE id = $1`, p.Poll.ID); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	status, body, _ := anonVote(&http.Client{Jar: jar}, fmt.Sprintf("%s/api/v1/polls/%d/votes", s.URL, p.Poll.ID), p.Poll.Options[1].ID)
	if status != http.StatusConflict || !strings.Contains(body, "poll_closed") {
		t.Fatalf("a vote after the scheduled close: %d %s", status, body)
	}
	s.Server.Polls().Reconcile(context.Background())
	if st := scalar[string](t, s, `SELECT status || ' ' || (closed_at = closes_at)::text FROM polls WHERE id = $1`, p.Poll.ID); st != "closed true" {
		t.Fatalf("after the reconciler: %q", st)
	}
	final := awaitTally(t, viewer, func(_ realtime.Message, tl tallyJSON) bool { return tl.Status == "closed" })
	if final.Total != 3 {
		t.Fatalf("final tally %+v", final)
	}
}

// TestModeratorsWatchHiddenResultsLive: while results are hidden from voters, the
// staff's watch room shows them live; residents may not enter it.
func TestModeratorsWatchHiddenResultsLive(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, _ := newPoll(t, s, map[string]any{"question": "Wyniki po zamknięciu?", "kind": "single",
		"options": []string{"A", "B"}, "eligibility": "open", "results_visibility": "after_close"})
	room := fmt.Sprintf("pollwatch:%d", p.Poll.ID)

	resident := mustDial(t, s, apiToken(t, s, "resident@example.org"))
	send(t, resident, map[string]any{"type": "subscribe", "rooms": []string{room, fmt.Sprintf("poll:%d", p.Poll.ID)}})
	for range 2 {
		if m := readMsg(t, resident); m.Type != "error" || m.Code != "forbidden" {
			t.Fatalf("a resident subscribing to hidden results: %+v", m)
		}
	}

	mod := mustDial(t, s, apiToken(t, s, "moderator@example.org"))
	send(t, mod, map[string]any{"type": "subscribe", "rooms": []string{room}})
	if m := readMsg(t, mod); m.Type != "subscribed" {
		t.Fatalf("%+v", m)
	}
	readMsg(t, mod) // snapshot
	burst(t, s, p.Poll.ID, 5, func(int) int64 { return p.Poll.Options[1].ID })
	tally := awaitTally(t, mod, func(_ realtime.Message, tl tallyJSON) bool { return tl.Total == 5 })
	if tally.Options[1].Votes != 5 || tally.ByChannel["online"] != 5 {
		t.Fatalf("tally %+v", tally)
	}
	page := s.Browser(t)
	page.SignIn("moderator@example.org", "lawka-demo-2026")
	r := page.Get(fmt.Sprintf("/admin/ankiety/%d", p.Poll.ID))
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `data-live-room="`+room+`"`) || !strings.Contains(r.Body, `data-votes="`+strconv.FormatInt(p.Poll.Options[1].ID, 10)+`">5<`) {
		t.Fatalf("console page: %d\n%s", r.StatusCode, r.Body)
	}
}

// TestRedisDownDuringVoting: without Redis, votes are still taken (PostgreSQL holds them)
// and results are counted in PostgreSQL; once Redis is back, its tally catches up.
func TestRedisDownDuringVoting(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{ProxyRedis: true})
	p, _ := newPoll(t, s, map[string]any{"question": "Bez Redisa?", "kind": "single",
		"options": []string{"A", "B"}, "eligibility": "open"})
	before := burst(t, s, p.Poll.ID, 10, func(i int) int64 { return p.Poll.Options[0].ID })

	s.RedisProxy.Cut()
	during := burst(t, s, p.Poll.ID, 10, func(i int) int64 { return p.Poll.Options[1].ID })
	if res := results(t, s, p.Poll.ID); res.Total != before+during || res.Options[1].Votes != int64(during) {
		t.Fatalf("results while Redis is down: %+v", res)
	}

	s.RedisProxy.Restore()
	after := burst(t, s, p.Poll.ID, 10, func(i int) int64 { return p.Poll.Options[1].ID })
	if res := results(t, s, p.Poll.ID); res.Total != before+during+after {
		t.Fatalf("results after Redis came back: %+v", res)
	}
	// Redis missed the changes made while it was away: the reconciler sees it stuck
	// behind PostgreSQL and rebuilds it.
	polls := s.Server.Polls()
	polls.Reconcile(context.Background())
	polls.Reconcile(context.Background())
	assertRedisMatches(t, s, p.Poll.ID)
}

// TestRedisAnswersLostMidCommand: the connection to Redis is reset after commands were
// sent but before their answers came back, again and again while people vote. The Redis
// client retries; a retried tally change must not count twice.
func TestRedisAnswersLostMidCommand(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{ProxyRedis: true})
	p, _ := newPoll(t, s, map[string]any{"question": "Zerwane połączenie?", "kind": "single",
		"options": []string{"A", "B"}, "eligibility": "open"})
	total := 0
	for round := 1; round <= 12; round++ {
		s.RedisProxy.ResetAfterRequest(round%4 + 1)
		total += burst(t, s, p.Poll.ID, 5, func(i int) int64 { return p.Poll.Options[i%2].ID })
	}
	s.RedisProxy.ResetAfterRequest(0)
	if res := results(t, s, p.Poll.ID); res.Total != total {
		t.Fatalf("results %+v, want %d", res, total)
	}
	// A change counted twice would show as drift at the same change number; one whose
	// every retry failed leaves Redis behind, which the second round repairs.
	polls := s.Server.Polls()
	if drift := polls.Reconcile(context.Background()); drift != 0 {
		t.Fatalf("drift %d after retried commands", drift)
	}
	polls.Reconcile(context.Background())
	assertRedisMatches(t, s, p.Poll.ID)
}

// TestIdempotencyKeyIsAPlainToken: a key with anything but letters, digits and . _ : -
// is refused before it can reach a batch of other people's votes.
func TestIdempotencyKeyIsAPlainToken(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, _ := newPoll(t, s, map[string]any{"question": "Jaki klucz?", "kind": "single", "options": []string{"A", "B"}, "eligibility": "open"})
	v := anonymousVoter(t, s)
	path := fmt.Sprintf("/api/v1/polls/%d/votes", p.Poll.ID)
	for _, key := range []string{"zażółć", "a b", "x%00y", "{\"a\"}"} {
		r := v.Do(http.MethodPost, path, map[string]any{"option_ids": []int64{p.Poll.Options[0].ID}}, "Idempotency-Key", key)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Idempotency-Key") {
			t.Errorf("key %q: %d %s", key, r.StatusCode, r.Body)
		}
	}
	if r := v.Do(http.MethodPost, path, map[string]any{"option_ids": []int64{p.Poll.Options[0].ID}}, "Idempotency-Key", "3f2a-9c.1:x_y"); r.StatusCode != http.StatusCreated {
		t.Fatalf("a plain key: %d %s", r.StatusCode, r.Body)
	}
}

// TestReceiptIsShownOnceAndNeverInTheAddress: after a vote with the plain form, the
// receipt is on the next page, not in its address (history and logs keep addresses),
// and a reload does not show it again.
func TestReceiptIsShownOnceAndNeverInTheAddress(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p, _ := newPoll(t, s, map[string]any{"question": "Kwit w adresie?", "kind": "single", "options": []string{"Nie", "Tak"}, "eligibility": "open"})
	b := s.Browser(t)
	page := fmt.Sprintf("/ankiety/%d", p.Poll.ID)
	b.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r := b.Submit(page, page+"/glos", url.Values{"option_ids": {strconv.FormatInt(p.Poll.Options[0].ID, 10)}})
	if r.StatusCode != http.StatusSeeOther || strings.Contains(r.Header.Get("Location"), "?") {
		t.Fatalf("after voting: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	receipt := scalar[string](t, s, `SELECT receipt FROM ballots WHERE poll_id = $1`, p.Poll.ID)
	if got := b.Get(page); !strings.Contains(got.Body, receipt) {
		t.Fatal("the page after the vote does not show the receipt")
	}
	if got := b.Get(page); strings.Contains(got.Body, receipt) {
		t.Fatal("the receipt is shown again on a reload")
	}
}
