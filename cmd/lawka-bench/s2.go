package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FanoutRun is one S2 run: n clients watching one poll while votes arrive.
type FanoutRun struct {
	System       string
	Clients      int // asked for
	Connected    int
	ConnectFails map[string]int
	ConnectTime  time.Duration

	RSSBefore, RSSIdle int64   // KiB, summed over the server processes
	PerConnKB          float64 // (RSSIdle − RSSBefore) / Connected

	Votes  Stats
	Counts Counts

	Deliveries    int64
	P50, P99, Max time.Duration
	Unmatched     int64
	Lost          int
	OutOfOrder    int64
	Stale         int64
	Gaps          int64
	Disconnected  int
	DisconnectErr string
	Version       bool
	Settled       bool
	Settle        time.Duration // last acknowledgement → every client shows the final total
	CPU           CPUUse
	PerCPUSec     float64
	Attempts      int
	SlowDrops     float64 // lawka_websocket_slow_drops_total during the voting window
	// OutOfOrderExample is the first out-of-order tally one client saw, after the one before.
	OutOfOrderExample string
	// Profile is where the servers' CPU went while votes arrived (perf, largest lawka run).
	Profile, ProfileDSO []PerfLine
	ProfileErr          string
}

// S2Report collects S2.
type S2Report struct {
	Rate      float64
	Dur       time.Duration
	P99Target time.Duration
	Lawka     []FanoutRun
	Hub       []FanoutRun
}

// fanoutTarget is a running system to fan out through: two lawka instances, or the hub.
type fanoutTarget struct {
	servers []server
	poll    poll
	counts  func(ctx context.Context, res Result) Counts
}

func (t *fanoutTarget) stop() {
	for _, s := range t.servers {
		s.stop(20 * time.Second)
	}
}

func (t *fanoutTarget) pids() []int {
	var p []int
	for _, s := range t.servers {
		p = append(p, s.pid())
	}
	return p
}

func (b *bench) startLawkaPair(ctx context.Context, n int) (*fanoutTarget, error) {
	t := &fanoutTarget{}
	for _, name := range []string{"s2-lawka-a", "s2-lawka-b"} {
		s, err := b.startLawka(ctx, name)
		if err != nil {
			t.stop()
			return nil, err
		}
		t.servers = append(t.servers, s)
	}
	a := t.servers[0]
	if b.token == "" {
		if err := b.login(ctx, a); err != nil {
			t.stop()
			return nil, err
		}
	}
	var err error
	if t.poll, err = b.openPoll(ctx, a, fmt.Sprintf("S2 with %d viewers", n)); err != nil {
		t.stop()
		return nil, err
	}
	t.counts = func(ctx context.Context, res Result) Counts { return b.verify(ctx, a, t.poll, res) }
	return t, nil
}

func (b *bench) startHub(ctx context.Context) (*fanoutTarget, error) {
	s, err := b.startBaseline(ctx, "hub-server")
	if err != nil {
		return nil, err
	}
	t := &fanoutTarget{servers: []server{s}, poll: poll{ID: 1, Options: []int64{1, 2, 3, 4}}}
	t.counts = func(ctx context.Context, res Result) Counts {
		c := Counts{OptionsMatch: true, NoDB: true}
		for i := 0; i < res.N; i++ {
			if res.Status[i] == http.StatusCreated {
				c.Acked++
			}
		}
		var out struct {
			Total int `json:"total"`
		}
		if err := b.api(ctx, s, http.MethodGet, "/api/v1/polls/1/results", nil, &out); err != nil {
			c.Err = err.Error()
		}
		c.API = out.Total
		return c
	}
	return t, nil
}

func (b *bench) runS2(ctx context.Context) error {
	r := &S2Report{Rate: b.opt.s2Rate, Dur: b.opt.s2Dur, P99Target: b.opt.s2P99}
	b.report.S2 = r
	for _, n := range b.opt.s2Clients {
		if !strings.Contains(b.opt.systems, "lawka") {
			break
		}
		b.logf("S2: lawka serve ×2, %d clients, %g votes/s for %s", n, b.opt.s2Rate, b.opt.s2Dur)
		run, attempts, err := undisturbed(b, 2, func() (FanoutRun, CPUUse, error) {
			run, err := b.fanout(ctx, "lawka", n)
			return run, run.CPU, err
		})
		run.Attempts = attempts
		if err != nil {
			return err
		}
		r.Lawka = append(r.Lawka, run)
		time.Sleep(time.Second)
	}
	for _, n := range b.opt.s2Clients {
		if !strings.Contains(b.opt.systems, "hub") {
			break
		}
		b.logf("S2: minimal hub, %d clients, %g votes/s for %s", n, b.opt.s2Rate, b.opt.s2Dur)
		run, attempts, err := undisturbed(b, 2, func() (FanoutRun, CPUUse, error) {
			run, err := b.fanout(ctx, "hub", n)
			return run, run.CPU, err
		})
		run.Attempts = attempts
		if err != nil {
			return err
		}
		r.Hub = append(r.Hub, run)
		time.Sleep(time.Second)
	}
	return nil
}

func rssSum(pids []int) int64 {
	var sum int64
	for _, p := range pids {
		kb, _ := rssKB(p)
		sum += kb
	}
	return sum
}

// fanout starts fresh servers, connects n idle clients (measuring memory), then casts
// votes at the S2 rate spread over the servers, and follows every tally to every client.
func (b *bench) fanout(ctx context.Context, system string, n int) (FanoutRun, error) {
	run := FanoutRun{System: system, Clients: n}
	var t *fanoutTarget
	var err error
	if system == "lawka" {
		t, err = b.startLawkaPair(ctx, n)
	} else {
		t, err = b.startHub(ctx)
	}
	if err != nil {
		return run, err
	}
	defer t.stop()
	var urls, addrs []string
	for _, s := range t.servers {
		urls = append(urls, "ws://"+s.addr+"/ws")
		addrs = append(addrs, s.addr)
	}
	pids := t.pids()

	time.Sleep(time.Second)
	run.RSSBefore = rssSum(pids)
	tr := &tracker{}
	start := time.Now()
	clients, fails := connectClients(ctx, urls, publicURL, fmt.Sprintf("poll:%d", t.poll.ID), n, 64, tr)
	run.ConnectTime = time.Since(start)
	run.Connected, run.ConnectFails = len(clients), fails
	closed := false
	defer func() {
		if !closed {
			closeAll(clients)
		}
	}()
	if n > 0 {
		b.logf("  %d/%d clients subscribed in %s", len(clients), n, run.ConnectTime.Round(time.Millisecond))
		for k, v := range fails {
			b.logf("  connect failures: %d× %s", v, k)
		}
	}
	time.Sleep(2 * time.Second)
	run.RSSIdle = rssSum(pids)
	if run.Connected > 0 {
		run.PerConnKB = float64(run.RSSIdle-run.RSSBefore) / float64(run.Connected)
	}

	votes := int(b.opt.s2Rate * b.opt.s2Dur.Seconds())
	tr.sentAt = make([]int64, votes)
	d, err := NewDriver(addrs, 64, 10*time.Second)
	if err != nil {
		return run, err
	}
	defer d.Close()
	scrape := func() []map[string]float64 {
		var all []map[string]float64
		for _, s := range t.servers {
			all = append(all, scrapeMetrics(s.url("/metrics")))
		}
		return all
	}
	before := scrape()
	tr.recording.Store(true)
	m := StartCPU(pids, b.redis.pid(), b.opt.dbName)
	var profiled chan struct{}
	if b.opt.perf && system == "lawka" && n > 0 && n == slices.Max(b.opt.s2Clients) {
		profiled = make(chan struct{})
		go func() {
			defer close(profiled)
			run.Profile, run.ProfileDSO, run.ProfileErr = b.perfServers(ctx, pids, 4*time.Second)
		}()
	}
	res := d.Run(Plan{N: votes, Rate: b.opt.s2Rate, Build: b.voteBuilder(t.poll, votes), Want: http.StatusCreated,
		SendOrder: tr.sentAt, MaxBacklog: int(5 * b.opt.s2Rate)})
	lastAck := time.Now()
	run.Votes = res.Summarise(http.StatusCreated)
	run.Counts = t.counts(ctx, res)
	final := int64(run.Counts.API)
	// Wait until every client shows the final total (or give up after 5 s).
	for deadline := time.Now().Add(5 * time.Second); ; {
		behind := 0
		for _, c := range clients {
			if c.last.Load() != final {
				behind++
			}
		}
		if behind == 0 {
			run.Settled = true
			break
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	run.Settle = time.Since(lastAck)
	run.CPU = m.Stop()
	if profiled != nil {
		<-profiled
	}
	tr.recording.Store(false)
	for i, after := range scrape() {
		run.SlowDrops += metricDelta(before[i], after, "lawka_websocket_slow_drops_total")
	}
	closeAll(clients) // after this the clients' counters are ours to read
	closed = true

	run.P50, run.P99, run.Max = tr.lat.quantile(0.50), tr.lat.quantile(0.99), tr.lat.quantile(1)
	run.Unmatched = tr.unmatched.Load()
	errs := map[string]int{}
	for _, c := range clients {
		run.Deliveries += c.deliveries
		run.OutOfOrder += c.outOfOrder
		run.Stale += c.stale
		run.Gaps += c.gaps
		run.Version = run.Version || c.version
		if run.OutOfOrderExample == "" && c.oooExample != "" {
			run.OutOfOrderExample = c.oooExample
		}
		if c.last.Load() != final {
			run.Lost++
		}
		if c.err != nil {
			run.Disconnected++
			errs[clip([]byte(c.err.Error()), 100)]++
		}
	}
	run.DisconnectErr = strings.Join(counted(errs), "; ")
	if run.CPU.Servers > 0 {
		run.PerCPUSec = float64(run.Deliveries) / run.CPU.Servers
	}
	b.logf("  votes %.0f/s (p99 ack %s, %d errors), %d deliveries, latency p50 %s p99 %s max %s, lost %d, out of order %d, "+
		"%.1f KB/conn, %.0f deliveries per server CPU-second (server CPU %.0f%%, machine %.0f%% busy)",
		run.Votes.Rate, ms(run.Votes.P99), run.Votes.ErrorCount(), run.Deliveries, ms(run.P50), ms(run.P99), ms(run.Max), run.Lost,
		run.OutOfOrder, run.PerConnKB, run.PerCPUSec, run.CPU.Share(run.CPU.Servers), 100*run.CPU.MachineBusy/run.CPU.Wall.Seconds()/float64(run.CPU.MachineCores))
	return run, nil
}

// perfServers samples the given processes with perf for d and lists their hottest
// functions and how their samples split between kernel and program (shares of their samples).
func (b *bench) perfServers(ctx context.Context, pids []int, d time.Duration) (bySymbol, byDSO []PerfLine, _ string) {
	data, err := filepath.Abs(filepath.Join(b.opt.work, "perf-s2.data"))
	if err != nil {
		return nil, nil, err.Error()
	}
	defer os.Remove(data)
	var list []string
	for _, p := range pids {
		list = append(list, strconv.Itoa(p))
	}
	time.Sleep(time.Second) // into the voting window
	rec := exec.CommandContext(ctx, "perf", "record", "-F", "499", "-p", strings.Join(list, ","), "-o", data, "--", "sleep", strconv.Itoa(int(d.Seconds())))
	if out, err := rec.CombinedOutput(); err != nil {
		return nil, nil, fmt.Sprintf("perf record: %v: %s", err, clip(out, 200))
	}
	report := func(sort string) ([]PerfLine, error) {
		out, err := commandOutput(ctx, "perf", "report", "-i", data, "--stdio", "--no-children", "--percent-limit", "1", "--sort", sort)
		return parsePerf(out), err
	}
	if bySymbol, err = report("symbol"); err != nil {
		return nil, nil, err.Error()
	}
	byDSO, _ = report("dso")
	return bySymbol, byDSO, ""
}
