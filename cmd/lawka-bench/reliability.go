package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// The reliability suite (make reliability) injects faults into real processes — the
// server binary, a private PostgreSQL and a private Redis of its own, so nobody else's
// data is touched — while clients vote and comment, then counts what was acknowledged
// against what PostgreSQL holds. It writes RELIABILITY.md: one row per scenario with
// what was done, what was expected and what was measured, misses included.

type reliability struct {
	b      *bench
	pg     *privatePG
	rows   []relRow
	redis  string // redis-server binary
	logf   func(string, ...any)
	voters atomic.Int64 // voters so far: each has its own key and address
}

// relRow is one scenario's line.
type relRow struct {
	Name, Done, Expected, Measured string
	OK                             bool
	Notes                          []string
}

func runReliability(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reliability", flag.ContinueOnError)
	var opt options
	fs.StringVar(&opt.lawka, "lawka", "bin/lawka", "the server binary under test")
	fs.StringVar(&opt.out, "out", "RELIABILITY.md", "where to write the report")
	fs.StringVar(&opt.work, "work", ".data/reliability", "work directory (private PostgreSQL and Redis, logs)")
	fs.StringVar(&opt.command, "command", "make reliability", "the command shown in the report")
	voters := fs.Int("voters", 1500, "voters per storm")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opt.dbName = "lawka_reliability"
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	b := &bench{opt: opt, ctx: ctx, logf: logf, report: &Report{}}
	if _, err := os.Stat(opt.lawka); err != nil {
		return fmt.Errorf("-lawka %s: %w (run make build)", opt.lawka, err)
	}
	if err := os.MkdirAll(opt.work, 0o755); err != nil {
		return err
	}
	started := time.Now()
	logf("starting a private PostgreSQL…")
	pg, err := startPrivatePG(ctx, filepath.Join(opt.work, "pg"))
	if err != nil {
		return err
	}
	defer pg.remove()
	b.dbURL, b.adminURL = pg.URL(opt.dbName), pg.URL("postgres")
	if err := b.startRedis(ctx); err != nil {
		return err
	}
	defer func() { b.redis.stop(5 * time.Second) }()
	if err := b.freshDatabase(ctx); err != nil {
		return err
	}
	defer b.pool.Close()
	if out, err := b.runLawka(ctx, b.lawkaEnv("127.0.0.1:0"), "seed"); err != nil {
		return fmt.Errorf("lawka seed: %w\n%s", err, out)
	}
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		return err
	}
	r := &reliability{b: b, pg: pg, redis: redisBin, logf: logf}
	for _, sc := range []struct {
		name string
		run  func(context.Context, int) relRow
	}{
		{"server killed", r.serverKilled},
		{"Redis killed", r.redisKilled},
		{"Redis emptied", r.redisFlushed},
		{"PostgreSQL stopped", r.postgresStopped},
		{"Redis cut mid-command", r.redisCutMidCommand},
		{"two instances, one killed", r.instanceKilled},
		{"slow and flooding websocket clients", r.offenders},
	} {
		logf("%s…", sc.name)
		row := sc.run(ctx, *voters)
		logf("  %s: %s", map[bool]string{true: "as expected", false: "MISSED"}[row.OK], row.Measured)
		r.rows = append(r.rows, row)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	version, _ := b.runLawka(ctx, childEnv(), "version")
	md := r.markdown(opt.command, strings.TrimSpace(version), started)
	if err := os.WriteFile(opt.out, []byte(md), 0o644); err != nil {
		return err
	}
	logf("wrote %s", opt.out)
	return nil
}

// failed is a row for a scenario that could not run.
func failed(name, done, expected string, err error) relRow {
	return relRow{Name: name, Done: done, Expected: expected, Measured: "could not run: " + err.Error()}
}

// --- votes under faults -------------------------------------------------------------

// storm is what a vote storm's clients saw.
type storm struct {
	final    []int // each voter's last answer (0: gave up)
	keys     []string
	attempts atomic.Int64
	answers  sync.Map // status → *atomic.Int64, every answer including retried ones
	noRetry  atomic.Int64
	unknown  atomic.Int64 // answers that end a voter without an acknowledgement (4xx other than the reused key, 5xx other than 503)
	done     atomic.Int64 // voters finished
	lastAck  atomic.Int64 // unix nanos of the newest 201
	back     atomic.Int64 // unix nanos when a stopped service came back (0: not yet)
	ackAfter atomic.Int64 // unix nanos of the first 201 after that
	mu       sync.Mutex
	odd      []string
}

func (s *storm) count(status int) {
	v, _ := s.answers.LoadOrStore(status, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

func (s *storm) answerSummary() string {
	var codes []int
	s.answers.Range(func(k, _ any) bool { codes = append(codes, k.(int)); return true })
	slices.Sort(codes)
	var parts []string
	for _, st := range codes {
		v, _ := s.answers.Load(st)
		name := strconv.Itoa(st)
		if st == 0 {
			name = "no answer (connection refused, reset or timed out)"
		}
		parts = append(parts, fmt.Sprintf("%s × %s", num(float64(v.(*atomic.Int64).Load())), name))
	}
	out := strings.Join(parts, ", ")
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.odd) > 0 {
		out += ". Unexpected answers (first ones): " + strings.Join(s.odd, "; ")
	}
	return out
}

// strange keeps the first few unexpected answers, for the report.
func (s *storm) strange(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.odd) < 3 {
		s.odd = append(s.odd, fmt.Sprintf("%d `%s`", status, clip(body, 160)))
	}
}

// voteStorm has n voters vote in p through 32 clients; each voter retries with its own
// idempotency key until an answer says its vote is stored (201, 200, or 409 "key
// already used" for a retry whose first attempt was stored without the answer
// arriving). fault runs once a third of the voters are done.
// stormRate is how many new voters arrive each second.
const stormRate = 250

func (r *reliability) voteStorm(ctx context.Context, addr func() string, p poll, n int, fault func(*storm)) *storm {
	s := &storm{final: make([]int, n), keys: make([]string, n)}
	base := r.voters.Add(int64(n)) - int64(n)
	work := make(chan int)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				g := base + int64(i) + 1
				s.keys[i] = "rel-" + strconv.FormatInt(g, 10)
				from := fmt.Sprintf("10.%d.%d.%d", g>>16&255, g>>8&255, g&255)
				s.final[i] = r.voteUntilStored(ctx, client, addr, p, p.Options[i%len(p.Options)], s.keys[i], from, s)
				s.done.Add(1)
			}
		}()
	}
	var faulted sync.WaitGroup
	faulted.Add(1)
	go func() {
		defer faulted.Done()
		for s.done.Load() < int64(n/3) && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		fault(s)
	}()
	// Voters arrive at a steady rate, so the fault lands in the middle of the storm.
	start := time.Now()
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * time.Second / stormRate)); wait > 0 {
			time.Sleep(wait)
		}
		work <- i
	}
	close(work)
	wg.Wait()
	faulted.Wait()
	return s
}

func (r *reliability) voteUntilStored(ctx context.Context, client *http.Client, addr func() string, p poll, option int64, key, from string, s *storm) int {
	body := fmt.Sprintf(`{"option_ids":[%d]}`, option)
	deadline := time.Now().Add(90 * time.Second)
	for try := 0; time.Now().Before(deadline) && ctx.Err() == nil; try++ {
		if try > 0 {
			time.Sleep(time.Duration(min(50*try, 500)) * time.Millisecond)
		}
		s.attempts.Add(1)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr()+fmt.Sprintf("/api/v1/polls/%d/votes", p.ID), strings.NewReader(body))
		if err != nil {
			return 0
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Idempotency-Key", key)
		req.Header.Set("X-Forwarded-For", from)
		resp, err := client.Do(req)
		if err != nil {
			s.count(0)
			continue
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		s.count(resp.StatusCode)
		switch {
		case resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK:
			now := time.Now().UnixNano()
			s.lastAck.Store(now)
			if b := s.back.Load(); b != 0 && now > b {
				s.ackAfter.CompareAndSwap(0, now)
			}
			return resp.StatusCode
		case resp.StatusCode == http.StatusConflict && strings.Contains(string(raw), "idempotency_key_reused"):
			return resp.StatusCode
		case resp.StatusCode == http.StatusServiceUnavailable:
			if resp.Header.Get("Retry-After") == "" {
				s.noRetry.Add(1)
			}
		case resp.StatusCode == http.StatusTooManyRequests:
		default:
			s.unknown.Add(1)
			s.strange(resp.StatusCode, raw)
			return resp.StatusCode
		}
	}
	return 0
}

// ballotCheck compares the storm with PostgreSQL: every voter acknowledged (201/200)
// has exactly one ballot under its key; no key has two; no ballot is without a key.
type ballotCheck struct {
	Acked, Stored, Ballots, Lost, Twice, GaveUp, Keyless int
}

func (r *reliability) checkBallots(ctx context.Context, p poll, s *storm) (ballotCheck, error) {
	var c ballotCheck
	rows, err := r.b.pool.Query(ctx, `SELECT coalesce(idempotency_key, ''), count(*) FROM ballots WHERE poll_id = $1 GROUP BY 1`, p.ID)
	if err != nil {
		return c, err
	}
	byKey := map[string]int{}
	var key string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&key, &n}, func() error {
		if key == "" {
			c.Keyless += n
		} else {
			byKey[key] = n
		}
		c.Ballots += n
		return nil
	}); err != nil {
		return c, err
	}
	for i, st := range s.final {
		switch st {
		case http.StatusCreated, http.StatusOK:
			c.Acked++
			if byKey[s.keys[i]] == 0 {
				c.Lost++
			}
		case http.StatusConflict:
			c.Stored++
			if byKey[s.keys[i]] == 0 {
				c.Lost++
			}
		default:
			c.GaveUp++
		}
	}
	for _, n := range byKey {
		if n > 1 {
			c.Twice += n - 1
		}
	}
	c.Twice += c.Keyless
	return c, nil
}

// converge waits until the poll's public total equals PostgreSQL's count of its
// ballots, and says how long that took (from since).
func (r *reliability) converge(ctx context.Context, s server, p poll, since time.Time, limit time.Duration) (time.Duration, bool) {
	for {
		var db int
		_ = r.b.pool.QueryRow(ctx, `SELECT count(*) FROM ballots WHERE poll_id = $1`, p.ID).Scan(&db)
		var out struct {
			Total int `json:"total"`
		}
		if err := r.b.api(ctx, s, http.MethodGet, fmt.Sprintf("/api/v1/polls/%d/results", p.ID), nil, &out); err == nil && out.Total == db {
			return time.Since(since), true
		}
		if time.Since(since) > limit || ctx.Err() != nil {
			return time.Since(since), false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// consistent waits until the poll's public total lies between two counts of its
// ballots in PostgreSQL taken just before and just after it, while votes keep coming:
// the tally agrees with PostgreSQL again. It says how long that took from since.
func (r *reliability) consistent(ctx context.Context, s server, p poll, since time.Time, limit time.Duration) (time.Duration, bool) {
	for {
		var before, after int
		var out struct {
			Total int `json:"total"`
		}
		_ = r.b.pool.QueryRow(ctx, `SELECT count(*) FROM ballots WHERE poll_id = $1`, p.ID).Scan(&before)
		err := r.b.api(ctx, s, http.MethodGet, fmt.Sprintf("/api/v1/polls/%d/results", p.ID), nil, &out)
		_ = r.b.pool.QueryRow(ctx, `SELECT count(*) FROM ballots WHERE poll_id = $1`, p.ID).Scan(&after)
		if err == nil && before <= out.Total && out.Total <= after {
			return time.Since(since), true
		}
		if time.Since(since) > limit || ctx.Err() != nil {
			return time.Since(since), false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stormSetup starts a server (extra: more settings) and opens a poll.
func (r *reliability) stormSetup(ctx context.Context, name string, extra ...string) (server, poll, error) {
	s, err := r.b.startLawka(ctx, name, extra...)
	if err != nil {
		return server{}, poll{}, err
	}
	if err := r.b.login(ctx, s); err != nil {
		s.stop(10 * time.Second)
		return server{}, poll{}, err
	}
	p, err := r.b.openPoll(ctx, s, "Czy ławka dialogu ma stanąć na Rynku Podgórskim? ("+name+")")
	if err != nil {
		s.stop(10 * time.Second)
		return server{}, poll{}, err
	}
	return s, p, nil
}

func (c ballotCheck) sentence(s *storm) string {
	return fmt.Sprintf("%s voters acknowledged (201/200), %s more found their vote already stored (409 for a retried key), %s gave up; "+
		"%s ballots in PostgreSQL: acknowledged but lost %d, counted twice %d. Answers seen: %s (%s requests in all).",
		num(float64(c.Acked)), num(float64(c.Stored)), num(float64(c.GaveUp)), num(float64(c.Ballots)), c.Lost, c.Twice,
		s.answerSummary(), num(float64(s.attempts.Load())))
}

// serverKilled: kill -9 of the server in the middle of a vote storm; it is started
// again on the same address and the clients retry with their keys.
func (r *reliability) serverKilled(ctx context.Context, n int) relRow {
	row := relRow{Name: "Server killed during a vote storm",
		Done:     fmt.Sprintf("%s voters (32 clients, each voter with its own idempotency key and address) vote in an open poll; when a third have their answer, `kill -9` the server and start it again on the same address; clients retry until an answer says their vote is stored", num(float64(n))),
		Expected: "acknowledged votes lost 0, counted twice 0, the public total equals PostgreSQL"}
	s, p, err := r.stormSetup(ctx, "rel-kill")
	if err != nil {
		return failed(row.Name, row.Done, row.Expected, err)
	}
	var mu sync.Mutex
	cur := s
	addr := s.addr
	var down time.Duration
	st := r.voteStorm(ctx, func() string { return addr }, p, n, func(*storm) {
		at := time.Now()
		_ = cur.cmd.Process.Signal(syscall.SIGKILL)
		<-cur.done
		ns, err := r.b.startLawkaAt(ctx, "rel-kill-restarted", addr)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			row.Notes = append(row.Notes, "restart failed: "+err.Error())
			return
		}
		cur, down = ns, time.Since(at)
	})
	defer cur.stop(10 * time.Second)
	c, err := r.checkBallots(ctx, p, st)
	if err != nil {
		return failed(row.Name, row.Done, row.Expected, err)
	}
	took, equal := r.converge(ctx, cur, p, time.Now(), 30*time.Second)
	row.OK = c.Lost == 0 && c.Twice == 0 && c.GaveUp == 0 && equal && st.unknown.Load() == 0
	row.Measured = c.sentence(st) + fmt.Sprintf(" The server was answering again %s after the kill. Public total equal to PostgreSQL: %v (%s after the storm).",
		secs(down), equal, secs(took))
	return row
}

// redisKilled: kill -9 of Redis during voting, restarted on the same port with its
// append-only file; tallies must come back to PostgreSQL's count.
func (r *reliability) redisKilled(ctx context.Context, n int) relRow {
	return r.redisFault(ctx, n, relRow{Name: "Redis killed and restarted during voting",
		Done:     fmt.Sprintf("%s voters vote as above; when a third have their answer, `kill -9` redis-server and start it again on the same port (its append-only file, fsync every second)", num(float64(n))),
		Expected: "acknowledged votes lost 0, counted twice 0; the public total equals PostgreSQL again within seconds"},
		func() error {
			_ = r.b.redis.cmd.Process.Signal(syscall.SIGKILL)
			<-r.b.redis.done
			dir, err := filepath.Abs(filepath.Join(r.b.opt.work, "redis"))
			if err != nil {
				return err
			}
			return r.b.runRedis(ctx, r.redis, r.b.redisPort, dir)
		})
}

// redisFlushed: FLUSHALL during voting (a Redis restarted empty, an operator's mistake).
func (r *reliability) redisFlushed(ctx context.Context, n int) relRow {
	return r.redisFault(ctx, n, relRow{Name: "Redis emptied (FLUSHALL) during voting",
		Done:     fmt.Sprintf("%s voters vote as above; when a third have their answer, `redis-cli FLUSHALL` (tallies, rate limits, sessions: all gone)", num(float64(n))),
		Expected: "acknowledged votes lost 0, counted twice 0; the public total equals PostgreSQL again within seconds"},
		func() error {
			out, err := commandOutput(ctx, "redis-cli", "-p", strconv.Itoa(r.b.redisPort), "flushall")
			if err != nil {
				return fmt.Errorf("%w: %s", err, out)
			}
			return nil
		})
}

func (r *reliability) redisFault(ctx context.Context, n int, row relRow, fault func() error) relRow {
	s, p, err := r.stormSetup(ctx, "rel-redis")
	if err != nil {
		return failed(row.Name, row.Done, row.Expected, err)
	}
	defer s.stop(10 * time.Second)
	var faultAt time.Time
	var again time.Duration
	var consistent bool
	done := make(chan struct{})
	st := r.voteStorm(ctx, func() string { return s.addr }, p, n, func(*storm) {
		faultAt = time.Now()
		if err := fault(); err != nil {
			row.Notes = append(row.Notes, "the fault failed: "+err.Error())
		}
		go func() {
			defer close(done)
			// The first check right after the fault: a tally that was never off passes at once.
			again, consistent = r.consistent(ctx, s, p, faultAt, 60*time.Second)
		}()
	})
	end := time.Now()
	<-done
	c, err := r.checkBallots(ctx, p, st)
	if err != nil {
		return failed(row.Name, row.Done, row.Expected, err)
	}
	took, equal := r.converge(ctx, s, p, end, 60*time.Second)
	row.OK = c.Lost == 0 && c.Twice == 0 && c.GaveUp == 0 && equal && consistent && st.unknown.Load() == 0
	row.Measured = c.sentence(st) + fmt.Sprintf(" The public total agreed with PostgreSQL again %s after the fault, while votes kept coming (%v); equal to it %s after the last vote (%v).",
		secs(again), consistent, secs(took), equal)
	return row
}

// postgresStopped: PostgreSQL shut down for a few seconds while people vote and
// comment: 503 with Retry-After meanwhile, nothing acknowledged that is not stored,
// and the server recovers on its own.
func (r *reliability) postgresStopped(ctx context.Context, n int) relRow {
	const outage = 3 * time.Second
	row := relRow{Name: "PostgreSQL stopped during voting and commenting",
		Done:     fmt.Sprintf("%s voters vote as above while 4 residents post comments every 300 ms; when a third of the voters have their answer, PostgreSQL is shut down (fast shutdown) for %s and started again", num(float64(n)), outage),
		Expected: "503 with Retry-After while it is down (no 500), nothing acknowledged that is not stored, recovery on its own"}
	s, p, err := r.stormSetup(ctx, "rel-pg")
	if err != nil {
		return failed(row.Name, row.Done, row.Expected, err)
	}
	defer s.stop(10 * time.Second)
	proposal, tokens, err := r.discussion(ctx, s, 4)
	if err != nil {
		return failed(row.Name, row.Done, row.Expected, err)
	}
	stopComments := make(chan struct{})
	cs := &commentStorm{}
	var cwg sync.WaitGroup
	for i, tok := range tokens {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			cs.post(ctx, s, tok, proposal, i, stopComments)
		}()
	}
	var startedAt, backAt time.Time
	st := r.voteStorm(ctx, func() string { return s.addr }, p, n, func(st *storm) {
		startedAt = time.Now()
		r.pg.stopFast()
		time.Sleep(outage)
		if err := r.pg.start(ctx); err != nil {
			row.Notes = append(row.Notes, "PostgreSQL did not start again: "+err.Error())
		}
		backAt = time.Now()
		st.back.Store(backAt.UnixNano())
	})
	close(stopComments)
	cwg.Wait()
	c, err := r.checkBallots(ctx, p, st)
	if err != nil {
		return failed(row.Name, row.Done, row.Expected, err)
	}
	lostComments, err := cs.missing(ctx, r)
	if err != nil {
		return failed(row.Name, row.Done, row.Expected, err)
	}
	five := 0
	for _, code := range []int{500, 502} {
		if v, ok := st.answers.Load(code); ok {
			five += int(v.(*atomic.Int64).Load())
		}
	}
	five += int(cs.fiveHundreds.Load())
	recovery := "no vote was acknowledged after PostgreSQL came back"
	if a := st.ackAfter.Load(); a != 0 {
		recovery = "the first vote was acknowledged " + secs(time.Unix(0, a).Sub(backAt)) + " after it came back"
	}
	row.OK = c.Lost == 0 && c.Twice == 0 && c.GaveUp == 0 && lostComments == 0 && five == 0 && st.noRetry.Load() == 0 && cs.noRetry.Load() == 0
	row.Measured = c.sentence(st) + fmt.Sprintf(" Comments: %d acknowledged, %d of them missing from PostgreSQL; %d answered 503. 500s: %d. 503 without Retry-After: %d. PostgreSQL was down %s; %s.",
		cs.acked.Load(), lostComments, cs.unavailable.Load(), five, st.noRetry.Load()+cs.noRetry.Load(), secs(backAt.Sub(startedAt)), recovery)
	return row
}

// discussion makes a proposal to comment on and k commenters (signed in by token).
func (r *reliability) discussion(ctx context.Context, s server, k int) (int64, []string, error) {
	var district int64
	if err := r.b.pool.QueryRow(ctx, `SELECT id FROM neighbourhoods ORDER BY number LIMIT 1`).Scan(&district); err != nil {
		return 0, nil, fmt.Errorf("no district (lawka seed): %w", err)
	}
	var out struct {
		Proposal struct {
			ID int64 `json:"id"`
		} `json:"proposal"`
	}
	if err := r.b.api(ctx, s, http.MethodPost, "/api/v1/proposals", map[string]any{"title": "Ławka dialogu przy Rynku Podgórskim",
		"body": "Propozycja do rozmowy w czasie awarii bazy.", "neighbourhood_id": district}, &out); err != nil {
		return 0, nil, err
	}
	var tokens []string
	for i := range k {
		email := fmt.Sprintf("rel-commenter-%d@example.org", i)
		if o, err := r.b.runLawka(ctx, r.b.lawkaEnv("127.0.0.1:0"), "user", "create", "--email", email, "--password", benchPassword,
			"--name", fmt.Sprintf("Mieszkanka %d", i+1)); err != nil && !strings.Contains(o, "exists") {
			return 0, nil, fmt.Errorf("lawka user create: %w\n%s", err, o)
		}
		var login struct {
			Token string `json:"token"`
		}
		if err := call(ctx, s, "", "", http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": benchPassword}, &login); err != nil {
			return 0, nil, err
		}
		tokens = append(tokens, login.Token)
	}
	return out.Proposal.ID, tokens, nil
}

// commentStorm is what the commenters saw.
type commentStorm struct {
	mu                                        sync.Mutex
	ids                                       []int64
	acked, unavailable, fiveHundreds, noRetry atomic.Int64
}

func (cs *commentStorm) post(ctx context.Context, s server, token string, proposal int64, who int, stop chan struct{}) {
	client := &http.Client{Timeout: 5 * time.Second}
	for i := 0; i < 9; i++ { // under the limit of 10 comments a minute per account
		select {
		case <-stop:
			return
		case <-time.After(300 * time.Millisecond):
		}
		body := fmt.Sprintf(`{"body":"Komentarz %d mieszkanki %d w czasie awarii","stance":"neutral"}`, i, who)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.url(fmt.Sprintf("/api/v1/proposals/%d/comments", proposal)), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusCreated:
			var out struct {
				Comment struct {
					ID int64 `json:"id"`
				} `json:"comment"`
			}
			if json.Unmarshal(raw, &out) == nil && out.Comment.ID > 0 {
				cs.mu.Lock()
				cs.ids = append(cs.ids, out.Comment.ID)
				cs.mu.Unlock()
				cs.acked.Add(1)
			}
		case resp.StatusCode == http.StatusServiceUnavailable:
			cs.unavailable.Add(1)
			if resp.Header.Get("Retry-After") == "" {
				cs.noRetry.Add(1)
			}
		case resp.StatusCode >= 500:
			cs.fiveHundreds.Add(1)
		}
	}
}

// missing counts acknowledged comments PostgreSQL does not have.
func (cs *commentStorm) missing(ctx context.Context, r *reliability) (int, error) {
	var have int
	err := r.b.pool.QueryRow(ctx, `SELECT count(*) FROM comments WHERE id = ANY($1)`, cs.ids).Scan(&have)
	return len(cs.ids) - have, err
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// markdown is RELIABILITY.md.
func (r *reliability) markdown(command, version string, started time.Time) string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }
	p("# Reliability: faults injected, what was acknowledged against what was stored")
	p("")
	p("Generated by `%s` (`cmd/lawka-bench reliability`) on %s UTC, in %s, against `%s`. Do not edit by hand.", command,
		started.UTC().Format("2006-01-02 15:04"), time.Since(started).Round(time.Second), version)
	p("")
	p("Every scenario runs the real server binary against a PostgreSQL cluster and a redis-server the suite starts for itself (so it may stop, kill and empty them), on this machine. Clients are this tool's own: voters are anonymous API clients (no cookies kept), each from its own address (`X-Forwarded-For` from a trusted proxy) with its own `Idempotency-Key`, arriving at 250 a second over 32 connections and retrying after any failure (backing off 50–500 ms) until an answer says the vote is stored. After each scenario the suite compares every voter's answer with the ballots in PostgreSQL, by key.")
	p("")
	p("| scenario | what was done | expected | measured | as expected |")
	p("|---|---|---|---|---|")
	for _, row := range r.rows {
		m := row.Measured
		if len(row.Notes) > 0 {
			m += " " + strings.Join(row.Notes, " ")
		}
		p("| %s | %s | %s | %s | %s |", row.Name, row.Done, row.Expected, m, yes(row.OK))
	}
	p("")
	p("## Checked by the tests, not by this suite")
	p("")
	p("`make test` runs these on every change (and `make fuzz` runs each fuzzer for `FUZZTIME`, 30 s by default, from its committed seed corpus):")
	p("")
	p("- the authorisation matrix: every mounted route × signed-out visitor, resident, verified resident, member, advocate, moderator, admin, and own vs. someone else's object where a route has an owner (`internal/server/authz_test.go`; a new route without a row fails); every state-changing route refused without a CSRF token; no GET route changes anything;")
	p("- fuzzers: Markdown rendering and sanitising (`FuzzHTML`), the JSON decoder (`FuzzDecodeJSON`) and every state-changing JSON route's body, sent as an admin who reaches every decoder (`FuzzAPIBodies`), websocket frames (`FuzzClientFrame`), sort/filter/cursor query strings on every list (`FuzzListQueries`, `FuzzDecode`), the KRS checksum (`FuzzKRS`), file type sniffing (`FuzzCheck`), word diffs (`FuzzWordsGivesBothTextsBack`): no panic, no 5xx, every 4xx in the error format;")
	p("- an XSS and injection corpus through the text fields of forms and JSON bodies, the pages opened in Chromium: no payload runs and no CSP report arrives (`e2e/xss_test.go`: registration, proposals, comments, reports, moderation, signatures, events, consultations and their answers, polls; `e2e/xss_live_test.go`: debates, questions, announcements, minutes, edits, archives; `e2e/xss_staff_test.go`: district and topic names, paper proposals, comments and signatures, blocking and rejection reasons; `e2e/response_xss_test.go`: the coalition's responses; promises in the first);")
	p("- security headers and cookie flags on every page; 429 from the rate limits of sign-in, registration, password reset, questions, comments and votes; sign-in throttling with Redis down;")
	p("- \"delete my account\": no trace of the account's personal data in any table, in Redis or among uploads, and every tally and thread unchanged (`TestErasureLeavesNoTraceAnywhere`).")
	p("")
	p("## Limits")
	p("")
	p("- A voter whose first attempt was stored but whose answer never arrived (the server was killed between the commit and the answer) gets `409 idempotency_key_reused` on retry, not the first answer: an anonymous retry carries no participant cookie, and the server does not hand one participant's receipt to a request it cannot tie to them. The vote counts once; the voter sees \"already stored\" without the receipt.")
	p("- Redis keeps tallies, rate limits and the session cache. After FLUSHALL, or a crash that loses the last second of its append-only file, tallies are rebuilt from PostgreSQL (the source of truth) and rate-limit windows start again from zero; sessions are read again from PostgreSQL.")
	p("- Anonymous votes in open polls are one per browser (a signed cookie) and at most 1,000 new participants per address in 10 minutes: someone who clears cookies can vote again. Polls that must count people use `registered`, `verified` or `members` eligibility.")
	p("- A slow websocket client on rooms whose messages replace each other (tallies, counts) is kept rather than dropped: the server holds only the newest message for it, so it costs one message of memory, not a queue. Clients of ordered streams (comments) are dropped when their queue of 64 fills or a write blocks for a second.")
	p("- Signed-out visitors may see a public page up to `LAWKA_PAGE_CACHE_TTL` (1 s) old; their browser fetches what it missed on subscribing. Personal data removed by an erasure can stay in such a cached page for that second.")
	p("- Two-step sign-in secrets (TOTP) are stored in PostgreSQL unencrypted: anyone with a database dump can generate codes.")
	p("- While Redis is down, sign-in throttling falls back to each instance's own memory: with N instances behind a balancer an attacker gets N times the attempts until Redis returns.")
	p("- The suite runs everything on one machine: it does not show what a real network partition between machines does, or disk failure.")
	return w.String()
}
