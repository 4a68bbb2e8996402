package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Step is one S1 rate step.
type Step struct {
	Rate     float64
	Stats    Stats
	Counts   *Counts // nil for the no-op baseline
	CPU      CPUUse
	Pass     bool
	Why      string
	Attempts int // > 1: earlier attempts were disturbed by other work on the machine
	Note     string
	// From lawka's /metrics: time votes spent waiting for a PostgreSQL connection.
	PoolAcquires, PoolWait float64
}

// Search is a rate search: the steps tried and the highest that passed.
type Search struct {
	Steps []Step
	Best  *Step
}

// Burst is the 4,092-votes-at-once test.
type Burst struct {
	N        int
	Stats    Stats
	Absorb   time.Duration // first vote sent → last acknowledgement
	Counts   Counts
	CPU      CPUUse
	Attempts int
}

// RawCeiling is ballots inserted straight into PostgreSQL.
type RawCeiling struct {
	Ballots, Batch, Workers, Counted int
	Elapsed                          time.Duration
	Rate                             float64
	CPU                              CPUUse
	Attempts                         int
}

// RedisBench is redis-benchmark's HINCRBY figure (context only).
type RedisBench struct {
	Command   string
	RPS, P50  float64
	Err       string
	Requested int
}

// Profile is where CPU went during a run at a given vote rate (perf, whole machine).
type Profile struct {
	Rate     float64
	Duration time.Duration
	Stats    Stats
	ByComm   []PerfLine
	ByLawka  []PerfLine
	ByPG     []PerfLine
	Waits    []PerfLine // what lawka's PostgreSQL backends were doing, sampled every 10 ms
	Samples  int
	Err      string
}

// PerfLine is one line of a perf report: a share of the samples and what it names.
type PerfLine struct {
	Percent float64
	What    string
}

// S1Report collects S1.
type S1Report struct {
	Lawka, Noop Search
	Burst       *Burst
	Raw         *RawCeiling
	Redis       *RedisBench
	Profile     *Profile
	AckP99      time.Duration
	StepDur     time.Duration
	Conns       int
}

func (b *bench) runS1(ctx context.Context) error {
	r := &S1Report{AckP99: b.opt.ackP99, StepDur: b.opt.stepDur, Conns: b.opt.conns}
	b.report.S1 = r

	s, err := b.startLawka(ctx, "s1-lawka")
	if err != nil {
		return err
	}
	defer s.stop(20 * time.Second)
	if err := b.login(ctx, s); err != nil {
		return err
	}
	d, err := NewDriver([]string{s.addr}, b.opt.conns, 10*time.Second)
	if err != nil {
		return err
	}
	defer d.Close()

	b.logf("S1: warming up lawka…")
	if _, err := b.lawkaStep(ctx, s, d, 250, time.Second); err != nil {
		return err
	}
	b.logf("S1: vote rate steps against lawka serve")
	r.Lawka, err = b.search(ctx, func(rate float64) (Step, error) { return b.lawkaStep(ctx, s, d, rate, b.opt.stepDur) })
	if err != nil {
		return err
	}
	d.Close()

	rate := firstFailure(r.Lawka)
	b.logf("S1: profiling at %g votes/s (PostgreSQL wait events; perf: %v)…", rate, b.opt.perf)
	r.Profile = b.profile(ctx, s, rate)

	time.Sleep(2 * time.Second)
	b.logf("S1: burst of %d votes at once", b.opt.burst)
	var attempts int
	r.Burst, attempts, err = undisturbed(b, 3, func() (*Burst, CPUUse, error) {
		bu, err := b.burst(ctx, s)
		if err != nil {
			return nil, CPUUse{}, err
		}
		time.Sleep(time.Second)
		return bu, bu.CPU, nil
	})
	if err != nil {
		return err
	}
	r.Burst.Attempts = attempts

	time.Sleep(2 * time.Second)
	b.logf("S1: raw ballot ceiling (%d ballots straight into PostgreSQL)", b.opt.rawBallots)
	r.Raw, attempts, err = undisturbed(b, 2, func() (*RawCeiling, CPUUse, error) {
		rc, err := b.rawCeiling(ctx, s)
		if err != nil {
			return nil, CPUUse{}, err
		}
		return rc, rc.CPU, nil
	})
	if err != nil {
		return err
	}
	r.Raw.Attempts = attempts
	r.Redis = b.redisBenchmark(ctx)
	s.stop(20 * time.Second)

	b.logf("S1: the same steps against the no-op Fiber route")
	noop, err := b.startBaseline(ctx, "noop-server")
	if err != nil {
		return err
	}
	defer noop.stop(5 * time.Second)
	nd, err := NewDriver([]string{noop.addr}, b.opt.conns, 10*time.Second)
	if err != nil {
		return err
	}
	defer nd.Close()
	if _, err := b.noopStep(ctx, noop, nd, 2000, time.Second); err != nil {
		return err
	}
	r.Noop, err = b.search(ctx, func(rate float64) (Step, error) { return b.noopStep(ctx, noop, nd, rate, b.opt.stepDur) })
	return err
}

// search walks up the rates until two steps in a row fail, then bisects between the
// best passing rate and the first failing one above it. A failing step is measured a
// second time and fails only if that fails too.
func (b *bench) search(ctx context.Context, step func(rate float64) (Step, error)) (Search, error) {
	var s Search
	try := func(rate float64) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		measure := func() (Step, error) {
			st, attempts, err := undisturbed(b, 3, func() (Step, CPUUse, error) {
				st, err := step(rate)
				return st, st.CPU, err
			})
			st.Attempts = attempts
			return st, err
		}
		st, err := measure()
		if err != nil {
			return false, err
		}
		// A failure must happen twice: one hiccup of a shared machine is not the limit.
		if !st.Pass {
			b.logf("  %6.0f/s failed (%s); measuring again to confirm", rate, st.Why)
			time.Sleep(time.Second)
			again, err := measure()
			if err != nil {
				return false, err
			}
			if again.Pass {
				again.Note = "failed once (" + st.Why + "), passed when measured again"
				st = again
			} else {
				st.Note = "confirmed by a second measurement (" + again.Why + ")"
			}
		}
		verdict := "pass"
		if !st.Pass {
			verdict = "FAIL: " + st.Why
		}
		b.logf("  %6.0f/s → %6.0f/s  p50 %-8s p99 %-8s errors %d  %s", rate, st.Stats.Rate, ms(st.Stats.P50), ms(st.Stats.P99),
			st.Stats.ErrorCount(), verdict)
		s.Steps = append(s.Steps, st)
		time.Sleep(time.Second) // let queues, GC and the database settle between steps
		return st.Pass, nil
	}
	lo, hi, fails := 0.0, math.Inf(1), 0
	for _, rate := range b.opt.rates {
		ok, err := try(rate)
		if err != nil {
			return s, err
		}
		if ok {
			lo, fails = rate, 0
			continue
		}
		fails++
		if fails >= 2 {
			break
		}
	}
	for _, st := range s.Steps {
		if !st.Pass && st.Rate > lo {
			hi = math.Min(hi, st.Rate)
		}
	}
	for i := 0; i < b.opt.refine && !math.IsInf(hi, 1); i++ {
		mid := math.Round((lo+hi)/2/50) * 50
		if mid <= lo || mid >= hi {
			break
		}
		ok, err := try(mid)
		if err != nil {
			return s, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	sort.SliceStable(s.Steps, func(i, j int) bool { return s.Steps[i].Rate < s.Steps[j].Rate })
	for i := range s.Steps {
		if s.Steps[i].Pass && (s.Best == nil || s.Steps[i].Rate > s.Best.Rate) {
			s.Best = &s.Steps[i]
		}
	}
	return s, nil
}

// undisturbed runs measure again (up to tries times in all) while other processes on
// the machine (other people's builds and tests) took more than -others-max of a core
// during it, and keeps the least disturbed attempt.
func undisturbed[T any](b *bench, tries int, measure func() (T, CPUUse, error)) (T, int, error) {
	var best T
	bestOthers := math.Inf(1)
	for i := 1; ; i++ {
		v, u, err := measure()
		if err != nil {
			return v, i, err
		}
		others := u.Share(u.MachineOthers)
		if others < bestOthers {
			best, bestOthers = v, others
		}
		if others <= b.opt.othersMax || i >= tries {
			return best, i, nil
		}
		b.logf("  (other processes took %.0f %% of a core meanwhile: measuring again)", others)
		time.Sleep(time.Second)
		if b.quietBudget > 0 { // wait for the other work to pass, within the run's budget for that
			waited, _ := waitQuiet(b.ctx, b.opt.quietBelow, min(30*time.Second, b.quietBudget), b.logf)
			b.quietBudget -= waited
			b.report.Machine.QuietWait += waited
		}
	}
}

func firstFailure(s Search) float64 {
	best := 0.0
	if s.Best != nil {
		best = s.Best.Rate
	}
	for _, st := range s.Steps {
		if !st.Pass && st.Rate > best {
			return st.Rate
		}
	}
	return math.Max(best, 250)
}

// judge passes a step with no errors, p99 within target and exact counts (when counted).
func judge(st *Step, target time.Duration) {
	var why []string
	if n := st.Stats.ErrorCount(); n > 0 {
		why = append(why, errorList(st.Stats.Errors))
	}
	if st.Stats.P99 > target {
		why = append(why, fmt.Sprintf("p99 %s > %s", ms(st.Stats.P99), ms(target)))
	}
	if st.Counts != nil && !st.Counts.Exact() {
		why = append(why, "counts differ")
	}
	st.Pass = len(why) == 0
	st.Why = strings.Join(why, "; ")
}

func (b *bench) lawkaStep(ctx context.Context, s server, d *Driver, rate float64, dur time.Duration) (Step, error) {
	p, err := b.openPoll(ctx, s, fmt.Sprintf("S1 at %g votes per second", rate))
	if err != nil {
		return Step{}, err
	}
	n := max(int(rate*dur.Seconds()), 1)
	before := scrapeMetrics(s.url("/metrics"))
	m := StartCPU([]int{s.pid()}, b.redis.pid(), b.opt.dbName)
	res := d.Run(Plan{N: n, Rate: rate, Build: b.voteBuilder(p, n), MaxBacklog: max(int(rate), 2*b.opt.conns), Want: http.StatusCreated})
	st := Step{Rate: rate, Stats: res.Summarise(http.StatusCreated), CPU: m.Stop()}
	after := scrapeMetrics(s.url("/metrics"))
	st.PoolAcquires = metricDelta(before, after, "lawka_db_pool_acquires_total")
	st.PoolWait = metricDelta(before, after, "lawka_db_pool_acquire_wait_seconds_total")
	c := b.verify(ctx, s, p, res)
	st.Counts = &c
	judge(&st, b.opt.ackP99)
	return st, nil
}

func (b *bench) noopStep(_ context.Context, s server, d *Driver, rate float64, dur time.Duration) (Step, error) {
	n := max(int(rate*dur.Seconds()), 1)
	m := StartCPU([]int{s.pid()}, 0, b.opt.dbName)
	res := d.Run(Plan{N: n, Rate: rate, Build: b.voteBuilder(poll{ID: 1, Options: []int64{1, 2, 3, 4}}, n),
		MaxBacklog: max(int(rate), 2*b.opt.conns), Want: http.StatusCreated})
	st := Step{Rate: rate, Stats: res.Summarise(http.StatusCreated), CPU: m.Stop()}
	judge(&st, b.opt.ackP99)
	return st, nil
}

func (b *bench) burst(ctx context.Context, s server) (*Burst, error) {
	p, err := b.openPoll(ctx, s, "S1 burst")
	if err != nil {
		return nil, err
	}
	d, err := NewDriver([]string{s.addr}, b.opt.burst, 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("opening %d connections: %w", b.opt.burst, err)
	}
	defer d.Close()
	time.Sleep(time.Second) // the connections are open and idle, as a room full of phones on the poll page
	m := StartCPU([]int{s.pid()}, b.redis.pid(), b.opt.dbName)
	res := d.Run(Plan{N: b.opt.burst, Build: b.voteBuilder(p, b.opt.burst), Want: http.StatusCreated})
	bu := &Burst{N: b.opt.burst, Stats: res.Summarise(http.StatusCreated), CPU: m.Stop()}
	first, last := int64(math.MaxInt64), int64(0)
	for i := 0; i < res.N; i++ {
		if res.SentAt[i] > 0 {
			first = min(first, res.SentAt[i])
		}
		last = max(last, res.DoneAt[i])
	}
	if last > first {
		bu.Absorb = time.Duration(last - first)
	}
	bu.Counts = b.verify(ctx, s, p, res)
	b.logf("  %d votes absorbed in %s (p50 %s, p99 %s), %d acknowledged, counts exact: %v", bu.N, ms(bu.Absorb),
		ms(bu.Stats.P50), ms(bu.Stats.P99), bu.Stats.OK, bu.Counts.Exact())
	return bu, nil
}

var receiptEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// rawCeiling inserts ballots shaped like the server's (a ballots row with a random
// receipt plus its ballot_choices row) straight into PostgreSQL, a batch per statement
// (each its own durable transaction), several connections at once.
func (b *bench) rawCeiling(ctx context.Context, s server) (*RawCeiling, error) {
	p, err := b.openPoll(ctx, s, "S1 raw ballot ceiling")
	if err != nil {
		return nil, err
	}
	type batch struct {
		participants, receipts []string
		options                []int64
	}
	var batches []batch
	for i := 0; i < b.opt.rawBallots; i += b.opt.rawBatch {
		var bt batch
		for j := i; j < min(i+b.opt.rawBatch, b.opt.rawBallots); j++ {
			r := make([]byte, 10)
			if _, err := rand.Read(r); err != nil {
				return nil, err
			}
			bt.participants = append(bt.participants, fmt.Sprintf("anon:raw%d", j))
			bt.receipts = append(bt.receipts, receiptEncoding.EncodeToString(r))
			bt.options = append(bt.options, p.Options[j%len(p.Options)])
		}
		batches = append(batches, bt)
	}
	const insert = `WITH b AS (
		INSERT INTO ballots (poll_id, participant, receipt, created_at, updated_at)
		SELECT $1, t.p, t.r, clock_timestamp(), clock_timestamp() FROM unnest($2::text[], $3::text[]) AS t(p, r)
		ON CONFLICT (poll_id, participant) DO NOTHING
		RETURNING id, participant)
	INSERT INTO ballot_choices (ballot_id, option_id)
	SELECT b.id, c.o FROM b JOIN unnest($2::text[], $4::bigint[]) AS c(p, o) ON c.p = b.participant`
	// Open the connections before the clock starts.
	var conns sync.WaitGroup
	for i := 0; i < b.opt.rawWorkers; i++ {
		conns.Add(1)
		go func() {
			defer conns.Done()
			if c, err := b.pool.Acquire(ctx); err == nil {
				time.Sleep(50 * time.Millisecond)
				c.Release()
			}
		}()
	}
	conns.Wait()

	work := make(chan batch, len(batches))
	for _, bt := range batches {
		work <- bt
	}
	close(work)
	m := StartCPU(nil, b.redis.pid(), b.opt.dbName)
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for i := 0; i < b.opt.rawWorkers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for bt := range work {
				if _, err := b.pool.Exec(ctx, insert, p.ID, bt.participants, bt.receipts, bt.options); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	rc := &RawCeiling{Ballots: b.opt.rawBallots, Batch: b.opt.rawBatch, Workers: b.opt.rawWorkers, Elapsed: time.Since(start)}
	rc.CPU = m.Stop()
	if firstErr != nil {
		return nil, fmt.Errorf("inserting ballots: %w", firstErr)
	}
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM ballots WHERE poll_id = $1`, p.ID).Scan(&rc.Counted); err != nil {
		return nil, err
	}
	rc.Rate = float64(rc.Counted) / rc.Elapsed.Seconds()
	b.logf("  %d ballots in %s: %.0f ballots/s", rc.Counted, rc.Elapsed.Round(time.Millisecond), rc.Rate)
	return rc, nil
}

// redisBenchmark runs redis-benchmark HINCRBY against the private Redis, for context:
// the price of the simplest possible live counter.
func (b *bench) redisBenchmark(ctx context.Context) *RedisBench {
	n := 200000
	if b.opt.quick {
		n = 50000
	}
	args := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(b.redisPort), "-q", "--csv", "-n", strconv.Itoa(n), "HINCRBY", "poll:{1}:tally", "votes", "1"}
	rb := &RedisBench{Command: "redis-benchmark " + strings.Join(args, " "), Requested: n}
	out, err := commandOutput(ctx, "redis-benchmark", args...)
	if err != nil {
		rb.Err = err.Error()
		return rb
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) < 2 || len(recs[1]) < 5 {
		rb.Err = "unexpected output: " + clip([]byte(out), 300)
		return rb
	}
	rb.RPS, _ = strconv.ParseFloat(recs[1][1], 64)
	rb.P50, _ = strconv.ParseFloat(recs[1][4], 64)
	b.logf("  redis-benchmark HINCRBY: %.0f requests/s (p50 %.3f ms)", rb.RPS, rb.P50)
	return rb
}

// profile runs votes at rate for a few seconds while it samples what lawka's
// PostgreSQL connections are doing and, when perf is there, where the whole machine's
// CPU goes (by process, and by function in lawka serve and in PostgreSQL).
func (b *bench) profile(ctx context.Context, s server, rate float64) *Profile {
	dur := 4 * time.Second
	if b.opt.quick {
		dur = 2 * time.Second
	}
	pr := &Profile{Rate: rate, Duration: dur}
	data, err := filepath.Abs(filepath.Join(b.opt.work, "perf.data"))
	if err != nil {
		pr.Err = err.Error()
		return pr
	}
	p, err := b.openPoll(ctx, s, "S1 profile")
	if err != nil {
		pr.Err = err.Error()
		return pr
	}
	d, err := NewDriver([]string{s.addr}, b.opt.conns, 10*time.Second)
	if err != nil {
		pr.Err = err.Error()
		return pr
	}
	defer d.Close()
	var perf *exec.Cmd
	if b.opt.perf {
		perf = exec.CommandContext(ctx, "perf", "record", "-F", "499", "-a", "-o", data, "--", "sleep", strconv.Itoa(int(dur.Seconds())))
		if err := perf.Start(); err != nil {
			pr.Err = "perf record: " + err.Error()
			perf = nil
		} else {
			defer os.Remove(data)
			time.Sleep(200 * time.Millisecond) // perf attaches
		}
	}
	stop := make(chan struct{})
	waits := make(chan map[string]int, 1)
	go func() { waits <- b.sampleWaits(ctx, stop) }()
	n := int(rate * (dur.Seconds() - 0.5))
	res := d.Run(Plan{N: n, Rate: rate, Build: b.voteBuilder(p, n), MaxBacklog: max(int(rate), 2*b.opt.conns), Want: http.StatusCreated})
	close(stop)
	pr.Stats = res.Summarise(http.StatusCreated)
	pr.Waits, pr.Samples = shares(<-waits)
	if perf == nil {
		return pr
	}
	if err := perf.Wait(); err != nil {
		pr.Err = "perf record: " + err.Error()
		return pr
	}
	report := func(extra ...string) ([]PerfLine, error) {
		args := append([]string{"report", "-i", data, "--stdio", "--no-children", "--percent-limit", "1"}, extra...)
		out, err := commandOutput(ctx, "perf", args...)
		if err != nil {
			return nil, err
		}
		return parsePerf(out), nil
	}
	if pr.ByComm, err = report("--sort", "comm"); err != nil {
		pr.Err = err.Error()
		return pr
	}
	// Functions as shares of their own process's samples.
	pr.ByLawka, _ = report("--comms", "lawka", "--percentage", "relative", "--sort", "symbol")
	pr.ByPG, _ = report("--comms", "postgres", "--percentage", "relative", "--sort", "symbol")
	return pr
}

// shares turns counts of what was seen into shares (%), largest first, and their total.
func shares(counts map[string]int) ([]PerfLine, int) {
	var lines []PerfLine
	total := 0
	for k, v := range counts {
		total += v
		lines = append(lines, PerfLine{Percent: float64(v), What: k})
	}
	for i := range lines {
		lines[i].Percent *= 100 / float64(max(total, 1))
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].Percent > lines[j].Percent })
	return lines, total
}

// sampleWaits looks at lawka's PostgreSQL connections every 10 ms until stop and counts
// what each was doing: running, idle, or waiting (on a lock, on WAL, on the client).
func (b *bench) sampleWaits(ctx context.Context, stop <-chan struct{}) map[string]int {
	counts := map[string]int{}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return counts
		case <-ctx.Done():
			return counts
		case <-t.C:
		}
		rows, err := b.pool.Query(ctx, `SELECT CASE WHEN state = 'active' THEN coalesce(wait_event_type || ': ' || wait_event, 'running (CPU)')
			WHEN state = 'idle' THEN 'idle (waiting for lawka)' ELSE state || coalesce(' / ' || wait_event, '') END
			FROM pg_stat_activity WHERE datname = $1 AND application_name = 'lawka'`, b.opt.dbName)
		if err != nil {
			continue
		}
		var what string
		_, _ = pgx.ForEachRow(rows, []any{&what}, func() error { counts[what]++; return nil })
	}
}

var perfLine = regexp.MustCompile(`^\s*([0-9.]+)%\s+(.+?)\s*$`)

func parsePerf(out string) []PerfLine {
	var lines []PerfLine
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		m := perfLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		what := strings.TrimSpace(strings.TrimRight(m[2], " -"))
		lines = append(lines, PerfLine{Percent: v, What: strings.Join(strings.Fields(what), " ")})
		if len(lines) >= 15 {
			break
		}
	}
	return lines
}

func ms(d time.Duration) string {
	switch {
	case d <= 0:
		return "0 ms"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < 10*time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
