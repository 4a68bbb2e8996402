package server_test

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"testing"
	"time"

	"lawka/internal/server/servertest"
)

// TestPostgresDownDuringVoting: PostgreSQL becomes unreachable in the middle of a vote.
// Every vote then answers 503 with Retry-After and saves nothing, the poll page says
// so too; once PostgreSQL is back, the same voters retry with their Idempotency-Key and
// each ends up with exactly one ballot, the acknowledged ones with the receipt they
// were given before the outage.
func TestPostgresDownDuringVoting(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{ProxyDatabase: true})
	p, _ := newPoll(t, s, map[string]any{"question": "Awaria bazy w trakcie głosowania?", "kind": "single",
		"options": []string{"Tak", "Nie"}, "eligibility": "open"})
	path := fmt.Sprintf("/api/v1/polls/%d/votes", p.Poll.ID)
	type voter struct {
		api     *servertest.API
		key     string
		option  int64
		receipt string // as acknowledged before the outage
	}
	voters := make([]*voter, 6)
	for i := range voters {
		voters[i] = &voter{api: anonymousVoter(t, s), key: fmt.Sprintf("outage-%d", i), option: p.Poll.Options[i%2].ID}
	}
	vote := func(v *voter) servertest.Response {
		return v.api.Do(http.MethodPost, path, map[string]any{"option_ids": []int64{v.option}}, "Idempotency-Key", v.key)
	}
	countBallots := func() int {
		return scalar[int](t, s, `SELECT count(*)::int FROM ballots WHERE poll_id = $1`, p.Poll.ID)
	}

	before := voters[:3]
	for i, v := range before {
		r := vote(v)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("voter %d before the outage: %d %s", i, r.StatusCode, r.Body)
		}
		v.receipt = receiptOf(t, r)
	}

	s.DBProxy.Cut()
	for i, v := range voters {
		// New voters, and acknowledged voters retrying (a lost answer, a double click).
		requireUnavailable(t, vote(v), fmt.Sprintf("voter %d during the outage", i))
	}
	page := s.Browser(t).Get(fmt.Sprintf("/ankiety/%d", p.Poll.ID))
	if page.StatusCode != http.StatusServiceUnavailable || page.Header.Get("Retry-After") == "" ||
		!strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("poll page during the outage: %d, Retry-After %q, %s, want an HTML 503 with Retry-After",
			page.StatusCode, page.Header.Get("Retry-After"), page.Header.Get("Content-Type"))
	}
	if n := countBallots(); n != len(before) {
		t.Fatalf("%d ballots during the outage, want the %d acknowledged before it: a vote answered 503 was saved", n, len(before))
	}

	s.DBProxy.Restore()
	restored := time.Now()
	attempts := 0
	for i, v := range voters {
		r, n := voteUntilAcknowledged(t, func() servertest.Response { return vote(v) }, fmt.Sprintf("voter %d after the restore", i))
		attempts += n
		got := receiptOf(t, r)
		if v.receipt != "" && got != v.receipt {
			t.Fatalf("voter %d: receipt %s after the restore, %s acknowledged before the outage", i, got, v.receipt)
		}
		v.receipt = got
	}
	t.Logf("recovered after PostgreSQL came back: %d vote requests for %d voters, %v",
		attempts, len(voters), time.Since(restored).Round(time.Millisecond))

	if n := countBallots(); n != len(voters) {
		t.Fatalf("%d ballots stored, want one for each of the %d voters", n, len(voters))
	}
	for i, v := range voters {
		if n := scalar[int](t, s, `SELECT count(*)::int FROM ballots WHERE poll_id = $1 AND receipt = $2`, p.Poll.ID, v.receipt); n != 1 {
			t.Errorf("voter %d: %d ballots with the acknowledged receipt %s, want 1", i, n, v.receipt)
		}
	}
	res := results(t, s, p.Poll.ID)
	if res.Total != len(voters) || res.Options[0].Votes != 3 || res.Options[1].Votes != 3 {
		t.Fatalf("results after the outage %+v, want 3 and 3", res)
	}
}

// TestPostgresRestartDuringVoting: PostgreSQL restarts (every session is ended with
// FATAL 57P01, as on a fast shutdown) between votes while the server's pool still holds
// those sessions. No voter is told the server failed (500): each vote is acknowledged,
// or answered 503 and acknowledged on a retry with the same Idempotency-Key, and counted
// once.
func TestPostgresRestartDuringVoting(t *testing.T) {
	t.Parallel()
	// The proxy only keeps the server's connections apart from the test's own here, so
	// that ending the server's sessions leaves the test's pool alone.
	s := servertest.Start(t, servertest.Options{ProxyDatabase: true})
	p, _ := newPoll(t, s, map[string]any{"question": "Restart bazy w trakcie głosowania?", "kind": "single",
		"options": []string{"Tak", "Nie"}, "eligibility": "open"})
	path := fmt.Sprintf("/api/v1/polls/%d/votes", p.Poll.ID)
	voters := make([]*servertest.API, 6)
	receipts := make([]string, len(voters))
	vote := func(i int) servertest.Response {
		return voters[i].Do(http.MethodPost, path, map[string]any{"option_ids": []int64{p.Poll.Options[i%2].ID}},
			"Idempotency-Key", fmt.Sprintf("restart-%d", i))
	}
	for i := range voters {
		voters[i] = anonymousVoter(t, s)
	}
	for i := range 3 {
		r := vote(i)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("voter %d before the restart: %d %s", i, r.StatusCode, r.Body)
		}
		receipts[i] = receiptOf(t, r)
	}

	// The sessions are listed in a materialised CTE before any is ended: in a plain
	// WHERE, SQL does not promise to filter the rows before calling pg_terminate_backend,
	// which could end this session or other tests'. With a timeout it waits until each
	// has ended.
	ended := scalar[int](t, s, `WITH server AS MATERIALIZED (SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid())
		SELECT count(*)::int FROM server WHERE pg_terminate_backend(pid, 10000)`)
	if ended == 0 {
		t.Fatal("no session of the server to end")
	}
	s.Pool.Reset() // the test's own idle sessions, if any, were ended too
	unavailable := 0
	for i := range voters { // three new voters, three acknowledged ones sending again
		r, n := voteUntilAcknowledged(t, func() servertest.Response { return vote(i) }, fmt.Sprintf("voter %d after the restart", i))
		unavailable += n - 1
		got := receiptOf(t, r)
		if receipts[i] != "" && got != receipts[i] {
			t.Fatalf("voter %d: receipt %s after the restart, %s acknowledged before it", i, got, receipts[i])
		}
		receipts[i] = got
	}
	t.Logf("%d sessions ended; %d votes answered 503 before the pool reconnected", ended, unavailable)
	if n := scalar[int](t, s, `SELECT count(*)::int FROM ballots WHERE poll_id = $1 AND receipt = ANY($2)`, p.Poll.ID, receipts); n != len(voters) {
		t.Fatalf("%d ballots with the acknowledged receipts, want %d", n, len(voters))
	}
	if res := results(t, s, p.Poll.ID); res.Total != len(voters) {
		t.Fatalf("results after the restart %+v, want %d ballots", res, len(voters))
	}
}

// TestVotesWhosePostgresAnswerIsLost: the connection to PostgreSQL breaks after the
// server sent a command and before the answer came back (the command may have been
// carried out, a COMMIT included). The voter is told to try again (503), never that the
// server failed, and the retry with the same Idempotency-Key is counted once, with the
// receipt of the first answer when there was one. A vote is one or two requests to
// PostgreSQL, and the server's background work shares the connection pool, so the next
// request after arming the proxy is usually, not always, the vote's: voters keep coming
// until several lost their answer.
func TestVotesWhosePostgresAnswerIsLost(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{ProxyDatabase: true})
	p, _ := newPoll(t, s, map[string]any{"question": "Zgubiona odpowiedź bazy?", "kind": "single",
		"options": []string{"Tak", "Nie"}, "eligibility": "open"})
	path := fmt.Sprintf("/api/v1/polls/%d/votes", p.Poll.ID)
	const wantLost, maxVoters = 4, 60
	var receipts []string
	lost := 0
	for k := 1; k <= maxVoters && lost < wantLost; k++ {
		v := anonymousVoter(t, s)
		vote := func() servertest.Response {
			return v.Do(http.MethodPost, path, map[string]any{"option_ids": []int64{p.Poll.Options[k%2].ID}},
				"Idempotency-Key", fmt.Sprintf("lost-%d", k))
		}
		s.DBProxy.ResetAfterRequest(1 + k%2) // the statement, or the one after it
		first := vote()
		s.DBProxy.ResetAfterRequest(0)
		who := fmt.Sprintf("voter %d, whose vote may have lost its answer", k)
		switch first.StatusCode {
		case http.StatusCreated:
		case http.StatusServiceUnavailable:
			requireUnavailable(t, first, who)
			lost++
		default:
			t.Errorf("%s: %d %s, want 201, or 503 to try again", who, first.StatusCode, first.Body)
		}
		again, _ := voteUntilAcknowledged(t, vote, who+", sent again")
		got := receiptOf(t, again)
		if first.StatusCode == http.StatusCreated && receiptOf(t, first) != got {
			t.Errorf("%s: receipt %s when sent again, %s the first time", who, got, receiptOf(t, first))
		}
		receipts = append(receipts, got)
	}
	if lost < wantLost {
		t.Fatalf("only %d of %d votes lost an answer from PostgreSQL: the proxy did not cut enough votes", lost, len(receipts))
	}
	if n := scalar[int](t, s, `SELECT count(*)::int FROM ballots WHERE poll_id = $1`, p.Poll.ID); n != len(receipts) {
		t.Fatalf("%d ballots for %d voters", n, len(receipts))
	}
	if n := scalar[int](t, s, `SELECT count(*)::int FROM ballots WHERE poll_id = $1 AND receipt = ANY($2)`, p.Poll.ID, receipts); n != len(receipts) {
		t.Fatalf("%d ballots with the %d acknowledged receipts", n, len(receipts))
	}
	t.Logf("%d of %d votes lost an answer from PostgreSQL and were retried", lost, len(receipts))
}

// voteUntilAcknowledged sends a vote until it is acknowledged (201 or 200), as a client
// honouring 503 would, and returns the answer and how many requests it took. A pool may
// still hold connections an outage broke, so a request can fail on one (503) before the
// pool dials anew. The retries are bounded and do not wait: a server that does not
// recover by itself fails the test here; any other answer fails it at once.
func voteUntilAcknowledged(t *testing.T, vote func() servertest.Response, who string) (servertest.Response, int) {
	t.Helper()
	const maxAttempts = 30
	start := time.Now()
	for n := 1; ; n++ {
		r := vote()
		switch r.StatusCode {
		case http.StatusCreated, http.StatusOK:
			return r, n
		case http.StatusServiceUnavailable:
			requireUnavailable(t, r, who)
			if n == maxAttempts {
				t.Fatalf("%s: still 503 after %d attempts in %v: %s", who, n, time.Since(start).Round(time.Millisecond), r.Body)
			}
		default:
			t.Fatalf("%s: %d %s, want 201 or 200 (or 503 while the server recovers)", who, r.StatusCode, r.Body)
		}
	}
}

// anonymousVoter is an API client without an account that keeps the participant
// cookie the first vote sets, as a browser does ("Bearer none" spares it a CSRF token,
// like anonVote).
func anonymousVoter(t *testing.T, s *servertest.Running) *servertest.API {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	a := s.API(t)
	a.Client.Jar = jar
	a.Token = "none"
	return a
}

func receiptOf(t *testing.T, r servertest.Response) string {
	t.Helper()
	var body struct{ Receipt string }
	r.JSON(t, &body)
	if body.Receipt == "" {
		t.Fatalf("no receipt in %s", r.Body)
	}
	return body.Receipt
}

// requireUnavailable checks the answer a client relies on to retry later: 503, a
// Retry-After in whole seconds and the API's error format with the "unavailable" code.
func requireUnavailable(t *testing.T, r servertest.Response, what string) {
	t.Helper()
	if r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("%s: %d %s, want 503", what, r.StatusCode, r.Body)
	}
	if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 {
		t.Fatalf("%s: Retry-After %q, want a number of seconds", what, r.Header.Get("Retry-After"))
	}
	var body struct {
		Error *struct{ Code, Message string }
	}
	r.JSON(t, &body)
	if body.Error == nil || body.Error.Code != "unavailable" || body.Error.Message == "" || body.Error.Message == body.Error.Code {
		t.Fatalf("%s: body %s, want {\"error\":{\"code\":\"unavailable\",\"message\":…}}", what, r.Body)
	}
}
