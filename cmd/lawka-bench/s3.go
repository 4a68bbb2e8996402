package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// PageRun is what S3 measured of one page: its answer, fixed-rate steps and the most it
// served with the driver's connections all busy.
type PageRun struct {
	Name, Path string
	Bytes      int // the body as served to the driver's request
	PlainBytes int // the uncompressed HTML, when the served body was compressed
	Encoding   string
	Shown      int // the comment count the page shows (HTML) or the threads listed (API)
	Rendered   int // comments on the page or in the answer
	Steps      []Step
	Max        *Step
}

// MaxRate is the page's throughput with every connection busy (0 if not measured).
func (p PageRun) MaxRate() float64 {
	if p.Max == nil {
		return 0
	}
	return p.Max.Stats.Rate
}

// StepAt is the fixed-rate step at rate, if measured.
func (p PageRun) StepAt(rate float64) *Step {
	for i := range p.Steps {
		if p.Steps[i].Rate == rate {
			return &p.Steps[i]
		}
	}
	return nil
}

// S3Report collects S3.
type S3Report struct {
	Data       *Discussion
	Encoding   string // the Accept-Encoding the driver sends, as a browser does
	Conns      int
	StepDur    time.Duration
	Rates      []float64
	P99Target  time.Duration
	RatioMin   float64
	Hot        PageRun // as signed-out visitors get it: from the page cache
	Rendered   PageRun // the hot page rendered for every view (page cache off), as signed-in readers get it
	HotPlain   PageRun // the hot page rendered, without compression
	Plain      PageRun
	API        PageRun
	Memory     PageRun // the hot page's bytes from memory
	Pgbench    *Pgbench
	CaptureErr string
	Captures   int // recordings of the page's SQL, of which Agreeing were identical
	Agreeing   int
	Profile    []PerfLine // where lawka serve's CPU went at the hot page's maximum
	ProfileDSO []PerfLine
	ProfileErr string
}

// getBuilder makes the raw request of an anonymous visitor's GET: a browser's headers
// (Polish, the encodings it accepts), no cookie.
func getBuilder(path, accept, encoding string) func([]byte, int) []byte {
	raw := "GET " + path + " HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: lawka-bench\r\nAccept: " + accept +
		"\r\nAccept-Language: pl\r\n"
	if encoding != "" {
		raw += "Accept-Encoding: " + encoding + "\r\n"
	}
	raw += "\r\n"
	return func(dst []byte, _ int) []byte { return append(dst, raw...) }
}

const acceptHTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// ensureDiscussion seeds the reference data and loads the S3/S4 data set once per run.
func (b *bench) ensureDiscussion(ctx context.Context) (*Discussion, error) {
	if b.discussion != nil {
		return b.discussion, nil
	}
	if b.report.S1 != nil || b.report.S2 != nil {
		if err := b.freshDatabase(ctx); err != nil {
			return nil, err
		}
	}
	if out, err := b.runLawka(ctx, b.lawkaEnv("127.0.0.1:0"), "seed"); err != nil {
		return nil, fmt.Errorf("lawka seed: %w\n%s", err, out)
	}
	spec := discussionSpec{proposals: b.opt.s3Proposals, comments: b.opt.s3Comments, hot: b.opt.s3Hot, plain: b.opt.s3Plain, users: 500}
	b.logf("loading %s proposals and %s comments (a hot proposal with %s, a plain one with %s)…", num(float64(spec.proposals)),
		num(float64(spec.comments)), num(float64(spec.hot)), num(float64(spec.plain)))
	d, err := b.loadDiscussion(ctx, spec)
	if err != nil {
		return nil, err
	}
	b.logf("  loaded in %s: %s comments, %s comment votes, %s supports; hot proposal %d, plain %d", d.Load.Round(100*time.Millisecond),
		num(float64(d.Comments)), num(float64(d.Votes)), num(float64(d.Supports)), d.Hot, d.Plain)
	b.discussion = d
	return d, nil
}

func (b *bench) runS3(ctx context.Context) error {
	r := &S3Report{Encoding: b.opt.s3Encoding, Conns: b.opt.s3Conns, StepDur: b.opt.s3Step, Rates: b.opt.s3Rates,
		P99Target: b.opt.s3P99, RatioMin: b.opt.s3Ratio}
	b.report.S3 = r
	d, err := b.ensureDiscussion(ctx)
	if err != nil {
		return err
	}
	r.Data = d
	hotPath := fmt.Sprintf("/propozycje/%d", d.Hot)
	r.Hot = PageRun{Name: fmt.Sprintf("hot proposal page (%s comments), signed-out visitors (page cache)", num(float64(d.HotVisible))), Path: hotPath}
	r.Rendered = PageRun{Name: "hot proposal page rendered for every view (page cache off: what signed-in readers get)", Path: hotPath}
	r.HotPlain = PageRun{Name: "hot proposal page rendered, uncompressed (no Accept-Encoding)", Path: hotPath}
	r.Plain = PageRun{Name: fmt.Sprintf("plain proposal page (%s comments)", num(float64(d.PlainVisible))), Path: fmt.Sprintf("/propozycje/%d", d.Plain)}
	r.API = PageRun{Name: "comment API, first page of the hot proposal", Path: fmt.Sprintf("/api/v1/proposals/%d/comments", d.Hot)}

	b.logf("S3: capturing the hot page's SQL through a recording proxy…")
	stmts, err := b.captureSQL(ctx, r, hotPath)
	if err != nil {
		r.CaptureErr = err.Error()
		b.logf("  could not capture the page's SQL: %v", err)
	} else {
		b.logf("  the page runs %d statements (%d of %d recordings identical)", len(stmts), r.Agreeing, r.Captures)
	}

	s, err := b.startLawka(ctx, "s3-lawka")
	if err != nil {
		return err
	}
	defer s.stop(20 * time.Second)
	pageFile := filepath.Join(b.opt.work, "s3-hot-page.bin")
	if err := b.inspectPages(ctx, s, r, d, pageFile); err != nil {
		return err
	}
	r.Rendered.Bytes, r.Rendered.PlainBytes, r.Rendered.Encoding = r.Hot.Bytes, r.Hot.PlainBytes, r.Hot.Encoding
	r.Rendered.Shown, r.Rendered.Rendered = r.Hot.Shown, r.Hot.Rendered
	dr, err := NewDriver([]string{s.addr}, b.opt.s3Conns, 10*time.Second)
	if err != nil {
		return err
	}
	defer dr.Close()
	hot := getBuilder(hotPath, acceptHTML, r.Encoding)
	b.logf("S3: warming up…")
	dr.Run(Plan{N: 2 * b.opt.s3Conns, Rate: 50, Build: hot, Want: http.StatusOK})
	time.Sleep(time.Second)
	pids := []int{s.pid()}
	b.logf("S3: %s, every connection busy", r.Hot.Name)
	hotMax, err := b.pageMax(dr, pids, hot, r.StepDur)
	if err != nil {
		return err
	}
	r.Hot.Max = &hotMax
	// What rendering costs: a second server with the page cache off.
	if err := b.s3Rendered(ctx, r, hot); err != nil {
		return err
	}
	b.logf("S3: %s at fixed rates", r.Hot.Name)
	if r.Hot.Steps, err = b.pageSteps(dr, pids, hot, r.Hot.MaxRate(), r.Rates, r.StepDur); err != nil {
		return err
	}
	if b.opt.perf {
		b.logf("S3: profiling lawka serve on the hot page (perf)…")
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.Profile, r.ProfileDSO, r.ProfileErr = b.perfServers(ctx, pids, 3*time.Second)
		}()
		dr.Run(Plan{N: maxRequests(5 * time.Second), Build: hot, Want: http.StatusOK, Until: 5 * time.Second})
		<-done
	}
	dr.Close()
	s.stop(20 * time.Second)

	if len(stmts) > 0 {
		if err := b.timeStatements(ctx, stmts, 21); err != nil {
			b.logf("  timing the page's statements: %v", err)
		}
		b.logf("S3: the page's SQL under pgbench (%d clients, %s)…", b.opt.pgbenchClients, b.opt.pgbenchTime)
		r.Pgbench = b.runPgbench(ctx, stmts, b.opt.pgbenchClients, b.opt.pgbenchTime, filepath.Join(b.opt.work, "s3-page.sql"))
		if r.Pgbench.Err != "" {
			b.logf("  pgbench: %s", r.Pgbench.Err)
		} else {
			b.logf("  %.0f page views' SQL per second (average %.2f ms each)", r.Pgbench.TPS, r.Pgbench.Latency)
		}
	} else {
		r.Pgbench = &Pgbench{Err: "the page's SQL was not captured: " + r.CaptureErr}
	}

	b.logf("S3: the same page bytes from memory (page-server)")
	args := []string{"-file", pageFile}
	if r.Hot.Encoding != "" {
		args = append(args, "-encoding", r.Hot.Encoding)
	}
	mem, err := b.startBaseline(ctx, "page-server", args...)
	if err != nil {
		return err
	}
	defer mem.stop(5 * time.Second)
	r.Memory = PageRun{Name: "the hot page's bytes from memory", Path: hotPath, Bytes: r.Hot.Bytes, Encoding: r.Hot.Encoding}
	md, err := NewDriver([]string{mem.addr}, b.opt.s3Conns, 10*time.Second)
	if err != nil {
		return err
	}
	defer md.Close()
	md.Run(Plan{N: 500, Rate: 1000, Build: hot, Want: http.StatusOK})
	st, err := b.pageMax(md, []int{mem.pid()}, hot, r.StepDur)
	if err != nil {
		return err
	}
	r.Memory.Max = &st
	r.Memory.Steps, err = b.pageSteps(md, []int{mem.pid()}, hot, st.Stats.Rate, []float64{slices.Max(r.Rates)}, r.StepDur)
	return err
}

// s3Rendered measures the pages rendered for every view, on a server with the page
// cache off: the hot page (compressed and not), the plain page and the comment API.
func (b *bench) s3Rendered(ctx context.Context, r *S3Report, hot func([]byte, int) []byte) error {
	u, err := b.startLawka(ctx, "s3-lawka-rendered", "LAWKA_PAGE_CACHE_TTL=0s")
	if err != nil {
		return err
	}
	defer u.stop(20 * time.Second)
	du, err := NewDriver([]string{u.addr}, b.opt.s3Conns, 10*time.Second)
	if err != nil {
		return err
	}
	defer du.Close()
	du.Run(Plan{N: 2 * b.opt.s3Conns, Rate: 50, Build: hot, Want: http.StatusOK})
	for _, pr := range []struct {
		run   *PageRun
		build func([]byte, int) []byte
	}{
		{&r.Rendered, hot},
		{&r.HotPlain, getBuilder(r.Hot.Path, acceptHTML, "")},
		{&r.Plain, getBuilder(r.Plain.Path, acceptHTML, r.Encoding)},
		{&r.API, getBuilder(r.API.Path, "application/json", r.Encoding)},
	} {
		if pr.run == &r.HotPlain && r.Encoding == "" {
			continue
		}
		b.logf("S3: %s, every connection busy", pr.run.Name)
		st, err := b.pageMax(du, []int{u.pid()}, pr.build, r.StepDur)
		if err != nil {
			return err
		}
		pr.run.Max = &st
	}
	return nil
}

// pageSteps measures the page at each rate its maximum allows: a rate far above what
// it served with every connection busy would only pile requests up, so such a step is
// reported as failed without being run. When even the lowest rate is out of reach, a
// step at half the maximum shows the latency the page has where it keeps up.
func (b *bench) pageSteps(d *Driver, pids []int, build func([]byte, int) []byte, most float64, rates []float64, dur time.Duration) ([]Step, error) {
	var steps []Step
	if most > 0 && most*1.5 < slices.Min(rates) {
		half := math.Max(1, math.Round(most/2))
		if half >= 100 {
			half = math.Round(half/10) * 10
		}
		st, err := b.pageStep(d, pids, build, half, dur)
		if err != nil {
			return nil, err
		}
		st.Note = "half the most the page served with every connection busy"
		steps = append(steps, st)
	}
	for _, rate := range rates {
		if most > 0 && rate > most*1.5 {
			steps = append(steps, Step{Rate: rate, Why: fmt.Sprintf("not run: the page served at most %s/s with every connection busy", num(most))})
			b.logf("  %6.0f/s not run (the most was %.0f/s)", rate, most)
			continue
		}
		st, err := b.pageStep(d, pids, build, rate, dur)
		if err != nil {
			return nil, err
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// maxRequests is room for a closed-loop run of dur at any rate this machine reaches.
func maxRequests(dur time.Duration) int { return int(60000 * dur.Seconds()) }

// pageStep sends GETs at rate for dur (open loop) and judges p99 against the S3 target.
func (b *bench) pageStep(d *Driver, pids []int, build func([]byte, int) []byte, rate float64, dur time.Duration) (Step, error) {
	st, attempts, err := undisturbed(b, 2, func() (Step, CPUUse, error) {
		n := max(int(rate*dur.Seconds()), 1)
		m := StartCPU(pids, b.redis.pid(), b.opt.dbName)
		res := d.Run(Plan{N: n, Rate: rate, Build: build, Want: http.StatusOK, MaxBacklog: max(int(rate/2), 2*b.opt.s3Conns)})
		st := Step{Rate: rate, Stats: res.Summarise(http.StatusOK), CPU: m.Stop()}
		judge(&st, b.opt.s3P99)
		return st, st.CPU, nil
	})
	st.Attempts = attempts
	b.logf("  %6.0f/s → %6.0f/s  p50 %-8s p99 %-8s errors %d  %s", rate, st.Stats.Rate, ms(st.Stats.P50), ms(st.Stats.P99),
		st.Stats.ErrorCount(), passText(st))
	time.Sleep(time.Second)
	return st, err
}

func passText(st Step) string {
	if st.Pass {
		return "pass"
	}
	return "FAIL: " + st.Why
}

// pageMax keeps every connection of the driver busy for about dur (closed loop: a
// connection sends its next request when the answer to the last one is in) and reports
// the answers per second; its latencies run from sending to the whole answer.
func (b *bench) pageMax(d *Driver, pids []int, build func([]byte, int) []byte, dur time.Duration) (Step, error) {
	st, attempts, err := undisturbed(b, 2, func() (Step, CPUUse, error) {
		m := StartCPU(pids, b.redis.pid(), b.opt.dbName)
		res := d.Run(Plan{N: maxRequests(dur), Build: build, Want: http.StatusOK, Until: dur})
		st := Step{Stats: serviceStats(res, http.StatusOK), CPU: m.Stop()}
		st.Pass = st.Stats.ErrorCount() == 0
		if !st.Pass {
			st.Why = errorList(st.Stats.Errors)
		}
		return st, st.CPU, nil
	})
	st.Attempts = attempts
	b.logf("  %6.0f/s with %d connections  p50 %-8s p99 %-8s errors %d; per answer: server %.2f ms CPU, PostgreSQL %.2f ms CPU",
		st.Stats.Rate, d.conns, ms(st.Stats.P50), ms(st.Stats.P99), st.Stats.ErrorCount(), cpuPer(st.CPU.Servers, st.Stats),
		cpuPer(st.CPU.Postgres, st.Stats))
	time.Sleep(time.Second)
	return st, err
}

// cpuPer is CPU seconds spread over the answers of a run, in milliseconds each.
func cpuPer(sec float64, s Stats) float64 {
	if s.Sent == 0 {
		return 0
	}
	return 1000 * sec / float64(s.Sent)
}

// serviceStats is Summarise with latencies from sending to the answer (for closed-loop
// runs, whose schedule is "all at once").
func serviceStats(r Result, want int) Stats {
	shifted := r
	shifted.Latency = make([]int64, r.N)
	for i := range r.N {
		if r.SentAt[i] > 0 {
			shifted.Latency[i] = r.DoneAt[i] - r.SentAt[i]
		}
	}
	return shifted.Summarise(want)
}

var (
	commentCount  = regexp.MustCompile(`data-comments-count>(\d+)<`)
	commentMarker = regexp.MustCompile(`id="komentarz-\d+"`)
)

// fetch GETs a page as the driver does and returns the body as served.
func fetch(ctx context.Context, s server, path, accept, encoding string) (body []byte, header http.Header, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url(path), nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("Accept-Language", "pl")
	// Set by hand, so net/http hands over the body as it came.
	req.Header.Set("Accept-Encoding", encoding)
	if encoding == "" {
		req.Header.Set("Accept-Encoding", "identity")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d: %s", path, resp.StatusCode, clip(body, 300))
	}
	return body, resp.Header, err
}

// inspectPages fetches every page once: what it shows must be the loaded discussion (so
// the run measures the real page, not an error), and the hot page's bytes as served are
// kept for the in-memory baseline.
func (b *bench) inspectPages(ctx context.Context, s server, r *S3Report, d *Discussion, pageFile string) error {
	for _, pr := range []struct {
		run  *PageRun
		want int
	}{{&r.Hot, d.HotVisible}, {&r.Plain, d.PlainVisible}} {
		plain, _, err := fetch(ctx, s, pr.run.Path, acceptHTML, "")
		if err != nil {
			return err
		}
		m := commentCount.FindSubmatch(plain)
		if m == nil {
			return fmt.Errorf("GET %s: the page shows no comment count: %s", pr.run.Path, clip(plain, 300))
		}
		pr.run.Shown, _ = strconv.Atoi(string(m[1]))
		pr.run.Rendered = len(commentMarker.FindAll(plain, -1))
		pr.run.PlainBytes = len(plain)
		if pr.run.Shown != pr.want || pr.run.Rendered == 0 {
			return fmt.Errorf("GET %s shows %d comments (%d on the page), want %d", pr.run.Path, pr.run.Shown, pr.run.Rendered, pr.want)
		}
		served, h, err := fetch(ctx, s, pr.run.Path, acceptHTML, r.Encoding)
		if err != nil {
			return err
		}
		pr.run.Bytes, pr.run.Encoding = len(served), h.Get("Content-Encoding")
		if pr.run == &r.Hot {
			if err := os.WriteFile(pageFile, served, 0o644); err != nil {
				return err
			}
			r.HotPlain.Bytes, r.HotPlain.PlainBytes, r.HotPlain.Shown, r.HotPlain.Rendered = len(plain), len(plain), pr.run.Shown, pr.run.Rendered
		}
		b.logf("  %s: %s bytes as served (%s; %s uncompressed), shows %d comments, %d of them on the page", pr.run.Path,
			num(float64(pr.run.Bytes)), orNone(pr.run.Encoding), num(float64(pr.run.PlainBytes)), pr.run.Shown, pr.run.Rendered)
	}
	raw, _, err := fetch(ctx, s, r.API.Path, "application/json", "")
	if err != nil {
		return err
	}
	var pg struct {
		Items []struct {
			Replies []json.RawMessage `json:"replies"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &pg); err != nil || len(pg.Items) == 0 {
		return fmt.Errorf("GET %s: no threads in the answer (%v): %s", r.API.Path, err, clip(raw, 300))
	}
	r.API.Shown = len(pg.Items)
	for _, it := range pg.Items {
		r.API.Rendered += 1 + len(it.Replies)
	}
	r.API.PlainBytes = len(raw)
	served, h, err := fetch(ctx, s, r.API.Path, "application/json", r.Encoding)
	if err != nil {
		return err
	}
	r.API.Bytes, r.API.Encoding = len(served), h.Get("Content-Encoding")
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "not compressed"
	}
	return s
}

// captureSQL runs a lawka serve whose database connections pass through a recording
// proxy, fetches the page a few times to warm it up, then records page views (three, up
// to six until two agree) and keeps the statement list most of them agree on (a
// background job of the server may slip a query into one of them).
func (b *bench) captureSQL(ctx context.Context, r *S3Report, path string) ([]Statement, error) {
	cfg, err := pgx.ParseConfig(b.dbURL)
	if err != nil {
		return nil, err
	}
	proxy, err := startSQLProxy(fmt.Sprintf("%s:%d", cfg.Host, cfg.Port))
	if err != nil {
		return nil, err
	}
	defer proxy.close()
	u := url.URL{Scheme: "postgres", Host: proxy.addr(), Path: "/" + cfg.Database, RawQuery: "sslmode=disable"}
	if cfg.Password != "" {
		u.User = url.UserPassword(cfg.User, cfg.Password)
	} else {
		u.User = url.User(cfg.User)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	env := append(b.lawkaEnv(addr), "LAWKA_PAGE_CACHE_TTL=0s") // every view renders, so every view's SQL is recorded
	for i, kv := range env {
		if strings.HasPrefix(kv, "LAWKA_DATABASE_URL=") {
			env[i] = "LAWKA_DATABASE_URL=" + u.String()
		}
	}
	c, err := startChild("s3-capture", filepath.Join(b.opt.work, "s3-capture.log"), env, b.opt.lawka, "serve")
	if err != nil {
		return nil, err
	}
	s := server{child: c, addr: addr}
	defer s.stop(10 * time.Second)
	if err := waitHTTP(ctx, c, s.url("/readyz"), 60*time.Second); err != nil {
		return nil, err
	}
	view := func() error { _, _, err := fetch(ctx, s, path, acceptHTML, r.Encoding); return err }
	for range 3 {
		if err := view(); err != nil {
			return nil, err
		}
	}
	var runs [][]Statement
	for len(runs) < 6 {
		got, err := proxy.record(view)
		if err != nil {
			return nil, err
		}
		runs = append(runs, got)
		if _, n := consensus(runs); n >= 2 && len(runs) >= 3 {
			break
		}
	}
	r.Captures = len(runs)
	best, agree := consensus(runs)
	r.Agreeing = agree
	if len(best) == 0 {
		return nil, fmt.Errorf("no statements went through the proxy")
	}
	return best, nil
}

// consensus picks the statement list most recordings share (by SQL and values), and
// how many share it; with no agreement, the shortest.
func consensus(runs [][]Statement) ([]Statement, int) {
	key := func(ss []Statement) string {
		var b strings.Builder
		for _, s := range ss {
			b.WriteString(s.Replay())
			b.WriteByte('\n')
		}
		return b.String()
	}
	var best []Statement
	bestN := 0
	for _, r := range runs {
		n := 0
		for _, o := range runs {
			if key(o) == key(r) {
				n++
			}
		}
		if n > bestN || n == bestN && len(r) < len(best) {
			best, bestN = r, n
		}
	}
	return best, bestN
}
