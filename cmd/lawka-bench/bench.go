package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// options are the run's knobs; -quick shrinks everything for development.
type options struct {
	lawka, out, work, command, only  string
	systems, cpuProfile              string
	dbName                           string
	quick, keepDB, idempotency, perf bool
	quietBelow, othersMax            float64
	quietWait                        time.Duration

	stepDur    time.Duration
	rates      []float64
	refine     int
	conns      int
	ackP99     time.Duration
	burst      int
	rawBallots int
	rawBatch   int
	rawWorkers int

	s2Clients []int
	s2Rate    float64
	s2Dur     time.Duration
	s2P99     time.Duration

	s3Proposals, s3Comments, s3Hot, s3Plain int
	s3Rates                                 []float64
	s3Step                                  time.Duration
	s3Conns                                 int
	s3P99                                   time.Duration
	s3Ratio                                 float64
	s3Encoding                              string
	pgbenchClients                          int
	pgbenchTime                             time.Duration

	s4Posters, s4Clients int
	s4Rate, s4ReadRate   float64
	s4Dur                time.Duration
	s4P99                time.Duration

	s5Clients, s5Reconnects, s5Seeded int
	s5AskRate, s5VoteRate, s5ModRate  float64
	s5Dur, s5P99                      time.Duration
}

// scenarios are the parts of a run, in order.
var scenarios = []string{"s1", "s2", "s3", "s4", "s5"}

// runs says whether the run includes scenario name (-only).
func (o options) runs(name string) bool {
	if o.only == "" {
		return true
	}
	return slices.Contains(strings.Split(o.only, ","), name)
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.StringVar(&o.lawka, "lawka", "bin/lawka", "the lawka binary under test (make build)")
	fs.StringVar(&o.out, "out", "BENCHMARKS.md", "where to write the report")
	fs.StringVar(&o.work, "work", ".data/bench", "directory for logs and the private Redis")
	fs.StringVar(&o.command, "command", "", "the command to print in the report (default: this command line)")
	fs.StringVar(&o.only, "only", "", "run only these scenarios, comma-separated: s1,s2,s3,s4,s5 (development)")
	fs.StringVar(&o.systems, "systems", "lawka,hub", "S2: which systems to run (development)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write this tool's CPU profile to the file (development)")
	fs.StringVar(&o.dbName, "db", "", "the benchmark's own database, created for the run and dropped after it (default lawka_bench_<pid>)")
	fs.BoolVar(&o.quick, "quick", false, "short steps and fewer clients, for development (figures not comparable)")
	fs.BoolVar(&o.keepDB, "keep-db", false, "leave the benchmark database behind for inspection")
	fs.Float64Var(&o.quietBelow, "quiet-below", 25, "wait until the machine is less busy than this (%) before starting")
	fs.DurationVar(&o.quietWait, "quiet-wait", 2*time.Minute, "wait at most this long for a quiet machine before the run, and as much again in all before measurements repeated because of other work (0: do not wait)")
	fs.Float64Var(&o.othersMax, "others-max", 35, "measure again when other processes took more than this share of a core (%)")
	fs.BoolVar(&o.idempotency, "idempotency-key", false, "send an Idempotency-Key with every vote")
	_, perfErr := exec.LookPath("perf")
	fs.BoolVar(&o.perf, "perf", perfErr == nil, "profile the server with perf at S1's first failing rate")
	rates := fs.String("rates", "100,250,500,1000,1500,2000,3000,4000,5000,6000,8000,10000,12000,15000,20000,25000,30000,40000,50000,60000,80000,100000,125000,150000,200000",
		"S1 vote rates to try, per second, ascending (stops after two failing steps)")
	fs.DurationVar(&o.stepDur, "step", 3*time.Second, "S1: how long each rate step lasts")
	fs.IntVar(&o.refine, "refine", 2, "S1: bisection steps between the last passing and the first failing rate")
	fs.IntVar(&o.conns, "conns", 256, "S1: keep-alive connections of the HTTP driver")
	fs.DurationVar(&o.ackP99, "ack-p99", 25*time.Millisecond, "S1: the p99 acknowledgement a step must meet")
	fs.IntVar(&o.burst, "burst", 4092, "S1: votes sent at once")
	fs.IntVar(&o.rawBallots, "raw-ballots", 100000, "raw ceiling: ballots inserted straight into PostgreSQL")
	fs.IntVar(&o.rawBatch, "raw-batch", 250, "raw ceiling: ballots per transaction")
	fs.IntVar(&o.rawWorkers, "raw-workers", 4, "raw ceiling: concurrent inserting connections")
	clients := fs.String("clients", "0,1000,5000,10000", "S2: websocket clients per run (0 measures the cost of taking votes alone)")
	fs.Float64Var(&o.s2Rate, "vote-rate", 1000, "S2: votes per second while clients watch")
	fs.DurationVar(&o.s2Dur, "vote-time", 10*time.Second, "S2: how long votes are cast")
	fs.DurationVar(&o.s2P99, "fanout-p99", 150*time.Millisecond, "S2: the p99 vote-to-client latency target at the largest run")
	fs.IntVar(&o.s3Proposals, "proposals", 1000, "S3/S4: published proposals loaded")
	fs.IntVar(&o.s3Comments, "comments", 100000, "S3/S4: comments loaded in all")
	fs.IntVar(&o.s3Hot, "hot-comments", 2000, "S3/S4: comments on the hot proposal")
	fs.IntVar(&o.s3Plain, "plain-comments", 10, "S3: comments on the plain proposal")
	pageRates := fs.String("page-rates", "500,1000,2000", "S3: hot page views per second to try")
	fs.DurationVar(&o.s3Step, "page-step", 5*time.Second, "S3: how long each page measurement lasts")
	fs.IntVar(&o.s3Conns, "page-conns", 64, "S3: keep-alive connections of the HTTP driver")
	fs.DurationVar(&o.s3P99, "page-p99", 20*time.Millisecond, "S3: the p99 a page step must meet")
	fs.Float64Var(&o.s3Ratio, "page-ratio", 0.6, "S3: the hot page's throughput target, as a share of the same bytes from memory")
	fs.StringVar(&o.s3Encoding, "accept-encoding", "gzip, deflate, br", "S3/S4: the Accept-Encoding page views send (a browser's; empty: none)")
	fs.IntVar(&o.pgbenchClients, "pgbench-clients", 8, "S3: pgbench clients (lawka serve's pool holds 8 connections)")
	fs.DurationVar(&o.pgbenchTime, "pgbench-time", 10*time.Second, "S3: how long pgbench runs")
	fs.IntVar(&o.s4Posters, "posters", 120, "S4: accounts that post (each may post 10 comments a minute)")
	fs.Float64Var(&o.s4Rate, "post-rate", 20, "S4: comments posted per second")
	fs.DurationVar(&o.s4Dur, "post-time", 20*time.Second, "S4: how long comments are posted")
	fs.IntVar(&o.s4Clients, "watchers", 200, "S4: websocket clients watching the hot proposal")
	fs.Float64Var(&o.s4ReadRate, "read-rate", 1000, "S4: hot page views per second meanwhile")
	fs.DurationVar(&o.s4P99, "post-p99", 100*time.Millisecond, "S4: the p99 post-to-websocket target")
	fs.IntVar(&o.s5Clients, "audience", 5000, "S5: websocket clients following the live debate")
	fs.IntVar(&o.s5Reconnects, "reconnects", 10000, "S5: clients connecting at once after the server restarts")
	fs.IntVar(&o.s5Seeded, "seed-questions", 20, "S5: approved questions the upvotes go to")
	fs.Float64Var(&o.s5AskRate, "question-rate", 20, "S5: audience questions per second")
	fs.Float64Var(&o.s5VoteRate, "upvote-rate", 200, "S5: upvotes per second")
	fs.Float64Var(&o.s5ModRate, "console-rate", 1, "S5: console actions per second of each of the two moderators")
	fs.DurationVar(&o.s5Dur, "debate-time", 20*time.Second, "S5: how long questions and upvotes arrive")
	fs.DurationVar(&o.s5P99, "debate-p99", 150*time.Millisecond, "S5: the p99 change-to-audience target")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.quick {
		def := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		def("step", func() { o.stepDur = 1500 * time.Millisecond })
		def("refine", func() { o.refine = 1 })
		def("raw-ballots", func() { o.rawBallots = 20000 })
		def("clients", func() { *clients = "0,1000,3000" })
		def("vote-time", func() { o.s2Dur = 4 * time.Second })
		def("page-step", func() { o.s3Step = 2 * time.Second })
		def("pgbench-time", func() { o.pgbenchTime = 4 * time.Second })
		def("post-time", func() { o.s4Dur = 6 * time.Second })
		def("watchers", func() { o.s4Clients = 100 })
		def("audience", func() { o.s5Clients = 500 })
		def("reconnects", func() { o.s5Reconnects = 1000 })
		def("debate-time", func() { o.s5Dur = 6 * time.Second })
	}
	for _, f := range strings.Split(*pageRates, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 {
			return o, fmt.Errorf("-page-rates: %q is not a positive number", f)
		}
		o.s3Rates = append(o.s3Rates, v)
	}
	if o.s3Hot+o.s3Plain > o.s3Comments || o.s3Proposals < 3 || o.s3Plain < 1 || o.s3Hot < 1 {
		return o, fmt.Errorf("-proposals, -comments, -hot-comments, -plain-comments: want at least 3 proposals and room for the hot and plain discussions")
	}
	for _, f := range strings.Split(*rates, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 {
			return o, fmt.Errorf("-rates: %q is not a positive number", f)
		}
		o.rates = append(o.rates, v)
	}
	for _, f := range strings.Split(*clients, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 0 {
			return o, fmt.Errorf("-clients: %q is not a count", f)
		}
		o.s2Clients = append(o.s2Clients, v)
	}
	if o.only != "" {
		for _, name := range strings.Split(o.only, ",") {
			if !slices.Contains(scenarios, name) {
				return o, fmt.Errorf("-only: %q is not one of %s", name, strings.Join(scenarios, ","))
			}
		}
	}
	if o.s5Clients < 1 || o.s5Reconnects < 1 || o.s5Seeded < 1 || o.s5AskRate <= 0 || o.s5VoteRate <= 0 || o.s5ModRate <= 0 {
		return o, fmt.Errorf("-audience, -reconnects, -seed-questions, -question-rate, -upvote-rate, -console-rate: want positive numbers")
	}
	if o.dbName == "" {
		o.dbName = fmt.Sprintf("%s%d", benchDBPrefix, os.Getpid())
	}
	if o.command == "" {
		o.command = "lawka-bench " + strings.Join(append([]string{"run"}, args...), " ")
	}
	return o, nil
}

// bench is one run: its services, the account that creates polls, and the results.
type bench struct {
	opt       options
	self      string // this executable, for the baseline servers
	dbURL     string
	adminURL  string
	redisURL  string
	redisPort int
	redis     *child
	pool      *pgxpool.Pool
	token     string
	voters    int64 // voters used so far: each vote is a new participant from a new address
	report    *Report
	// freshDB: the database holds nothing but the migrations and the moderator yet.
	freshDB bool
	// discussion is the S3/S4 data set, once loaded.
	discussion *Discussion
	logf       func(format string, args ...any)
	// ctx is the run's context; quietBudget is how long, in all, the run may still wait
	// for other work on the machine to pass before measuring again.
	ctx         context.Context
	quietBudget time.Duration
}

const (
	publicURL     = "http://localhost:8080" // one origin for every instance, sent by every client
	benchEmail    = "bench@example.org"
	benchPassword = "benchmark password 1"
)

func runBench(ctx context.Context, args []string) error {
	opt, err := parseOptions(args)
	if err != nil {
		return err
	}
	b := &bench{opt: opt, ctx: ctx, quietBudget: opt.quietWait, report: &Report{Command: opt.command, Quick: opt.quick, OthersMax: opt.othersMax, Started: time.Now()}}
	b.logf = func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	if b.self, err = os.Executable(); err != nil {
		return err
	}
	if _, err := os.Stat(opt.lawka); err != nil {
		return fmt.Errorf("-lawka %s: %w (run make build)", opt.lawka, err)
	}
	if err := os.MkdirAll(opt.work, 0o755); err != nil {
		return err
	}
	// Two benchmarks at once on two cores would measure each other: take turns.
	lock, err := os.OpenFile(filepath.Join(opt.work, "run.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b.logf("another benchmark runs from %s; waiting for it to finish…", opt.work)
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
			return err
		}
	}
	limit, err := raiseFileLimit()
	if err != nil {
		return fmt.Errorf("raising the open-file limit: %w", err)
	}
	b.logf("describing the machine…")
	b.report.Machine = describeMachine()
	if opt.quietWait > 0 && b.report.Machine.BusyBefore >= opt.quietBelow {
		b.report.Machine.QuietWait, b.report.Machine.BusyBefore = waitQuiet(ctx, opt.quietBelow, opt.quietWait, b.logf)
	}
	b.report.Machine.FileLimit = limit
	if limit < 12000 && opt.runs("s2") {
		b.logf("warning: only %d open files allowed; S2 needs about 10,100 in this process", limit)
	}
	if need := uint64(opt.s5Reconnects + 500); limit < need && opt.runs("s5") {
		b.logf("warning: only %d open files allowed; S5 needs about %d in this process (and as many in lawka serve)", limit, need)
	}

	if opt.cpuProfile != "" {
		f, err := os.Create(opt.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	defer b.cleanup()
	if err := b.setup(ctx); err != nil {
		return err
	}
	b.freshDB = true
	for _, sc := range []struct {
		name string
		run  func(context.Context) error
	}{{"s1", b.runS1}, {"s2", b.runS2}, {"s3", b.runS3}, {"s4", b.runS4}, {"s5", b.runS5}} {
		if !opt.runs(sc.name) {
			continue
		}
		if err := sc.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", strings.ToUpper(sc.name), err)
		}
		b.freshDB = false
	}
	b.report.Finished = time.Now()
	if err := os.WriteFile(opt.out, []byte(b.report.Markdown()), 0o644); err != nil {
		return err
	}
	b.logf("wrote %s", opt.out)
	return nil
}

// setup makes the benchmark's database and Redis, migrates and creates a moderator.
func (b *bench) setup(ctx context.Context) error {
	devURL := os.Getenv("LAWKA_DATABASE_URL")
	if devURL == "" {
		return errors.New("LAWKA_DATABASE_URL is not set (make bench sources .data/env.sh from scripts/services.sh)")
	}
	var devDB string
	var err error
	b.dbURL, devDB, err = withDatabase(devURL, b.opt.dbName)
	if err != nil {
		return err
	}
	if devDB == b.opt.dbName {
		return fmt.Errorf("the benchmark database %q is the development database; pick another with -db", devDB)
	}
	if b.adminURL, _, err = withDatabase(devURL, "postgres"); err != nil {
		return err
	}
	admin, err := pgx.Connect(ctx, b.adminURL)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	dropDeadBenchDBs(ctx, admin, b.logf)
	err = admin.QueryRow(ctx, "SELECT current_setting('server_version')").Scan(&b.report.Machine.Postgres)
	var sync string
	if err == nil {
		err = admin.QueryRow(ctx, "SELECT current_setting('synchronous_commit') || ', fsync ' || current_setting('fsync')").Scan(&sync)
		b.report.Machine.Postgres += " (synchronous_commit " + sync + ")"
	}
	admin.Close(ctx)
	if err != nil {
		return fmt.Errorf("asking PostgreSQL: %w", err)
	}
	if err := b.startRedis(ctx); err != nil {
		return err
	}
	if v, err := b.runLawka(ctx, childEnv(), "version"); err == nil {
		b.report.Server = strings.TrimSpace(v)
	}
	return b.freshDatabase(ctx)
}

// freshDatabase (re)creates the benchmark's database, migrates it, adds the moderator
// and empties the private Redis: S3 and S4 start on one of their own, since every
// lawka serve keeps reconciling the open polls S1 and S2 leave behind (hundreds of
// thousands of ballots) with Redis, which would be measured with the pages.
func (b *bench) freshDatabase(ctx context.Context) error {
	if b.pool != nil {
		b.pool.Close()
		b.pool = nil
	}
	b.logf("creating database %s (dropped first if it exists)…", b.opt.dbName)
	admin, err := pgx.Connect(ctx, b.adminURL)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	ident := pgx.Identifier{b.opt.dbName}.Sanitize()
	_, err = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
	if err == nil {
		_, err = admin.Exec(ctx, "CREATE DATABASE "+ident)
	}
	admin.Close(ctx)
	if err != nil {
		return fmt.Errorf("creating the benchmark database: %w", err)
	}
	if out, err := commandOutput(ctx, "redis-cli", "-p", strconv.Itoa(b.redisPort), "flushall"); err != nil {
		return fmt.Errorf("emptying the private Redis: %w: %s", err, out)
	}
	env := b.lawkaEnv("127.0.0.1:0")
	if out, err := b.runLawka(ctx, env, "migrate", "up"); err != nil {
		return fmt.Errorf("lawka migrate up: %w\n%s", err, out)
	}
	if out, err := b.runLawka(ctx, env, "user", "create", "--email", benchEmail, "--password", benchPassword,
		"--name", "Benchmark", "--role", "moderator"); err != nil {
		return fmt.Errorf("lawka user create: %w\n%s", err, out)
	}
	cfg, err := pgxpool.ParseConfig(b.dbURL)
	if err != nil {
		return err
	}
	cfg.MaxConns = int32(max(b.opt.rawWorkers, 4))
	cfg.ConnConfig.RuntimeParams["application_name"] = "lawka-bench"
	if b.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return err
	}
	return nil
}

func (b *bench) cleanup() {
	if b.pool != nil {
		b.pool.Close()
	}
	b.redis.stop(5 * time.Second)
	if b.adminURL != "" && !b.opt.keepDB {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if admin, err := pgx.Connect(ctx, b.adminURL); err == nil {
			_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{b.opt.dbName}.Sanitize()+" WITH (FORCE)")
			admin.Close(ctx)
		}
	}
}

// benchDBPrefix starts the name of every run's database; the pid of the run follows,
// so that runs from several checkouts sharing one PostgreSQL never drop each other's.
const benchDBPrefix = "lawka_bench_"

// dropDeadBenchDBs removes databases of benchmark runs whose process has ended (killed
// before it could clean up).
func dropDeadBenchDBs(ctx context.Context, admin *pgx.Conn, logf func(string, ...any)) {
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'lawka\_bench\_%'`)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, n := range names {
		pid, err := strconv.Atoi(strings.TrimPrefix(n, benchDBPrefix))
		if err != nil || syscall.Kill(pid, 0) == nil {
			continue
		}
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err == nil {
			logf("dropped %s, left behind by an earlier run", n)
		}
	}
}

// withDatabase returns the PostgreSQL URL (or keyword/value string) pointing at db, and
// the database it named before.
func withDatabase(dsn, db string) (string, string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", "", fmt.Errorf("LAWKA_DATABASE_URL: %w", err)
		}
		old := strings.TrimPrefix(u.Path, "/")
		u.Path = "/" + db
		u.RawPath = ""
		return u.String(), old, nil
	}
	re := regexp.MustCompile(`(^|\s)dbname=\S+`)
	old := ""
	if m := re.FindString(dsn); m != "" {
		old = strings.TrimPrefix(strings.TrimSpace(m), "dbname=")
		return re.ReplaceAllString(dsn, "${1}dbname="+db), old, nil
	}
	return dsn + " dbname=" + db, old, nil
}

// startRedis runs a private redis-server for the benchmark (same persistence as
// scripts/services.sh: append-only file, fsync every second). A private server keeps
// the benchmark's pub/sub traffic away from any development server on the machine.
func (b *bench) startRedis(ctx context.Context) error {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return errors.New("redis-server is not installed (apt-get install redis-server); the benchmark runs its own")
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(filepath.Join(b.opt.work, "redis"))
	if err != nil {
		return err
	}
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return b.runRedis(ctx, bin, port, dir)
}

// runRedis starts redis-server on port with its files in dir (a restart after a crash
// finds its append-only file there) and waits for PONG.
func (b *bench) runRedis(ctx context.Context, bin string, port int, dir string) error {
	var err error
	b.redis, err = startChild("redis-server", filepath.Join(b.opt.work, "redis.log"), childEnv(), bin,
		"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir, "--save", "", "--appendonly", "yes",
		"--daemonize", "no", "--protected-mode", "no")
	if err != nil {
		return err
	}
	b.redisURL, b.redisPort = fmt.Sprintf("redis://127.0.0.1:%d/0", port), port
	for i := 0; ; i++ {
		out, err := commandOutput(ctx, "redis-cli", "-p", strconv.Itoa(port), "ping")
		if err == nil && out == "PONG" {
			break
		}
		if b.redis.exited() || i > 100 {
			return fmt.Errorf("redis-server did not start: %s", b.redis.tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v, err := commandOutput(ctx, "redis-server", "--version"); err == nil {
		if m := regexp.MustCompile(`v=(\S+)`).FindStringSubmatch(v); m != nil {
			b.report.Machine.Redis = m[1]
		}
	}
	b.logf("private redis-server on 127.0.0.1:%d", port)
	return nil
}

func (b *bench) lawkaEnv(addr string) []string {
	return childEnv(
		"LAWKA_ADDR="+addr,
		"LAWKA_DATABASE_URL="+b.dbURL,
		"LAWKA_REDIS_URL="+b.redisURL,
		"LAWKA_PUBLIC_URL="+publicURL,
		"LAWKA_ENV=prod",
		"LAWKA_TRUSTED_PROXIES=127.0.0.1/32",
		"LAWKA_LOG_LEVEL=warn",
		"LAWKA_REQUIRE_2FA_FOR_STAFF=false",
	)
}

func (b *bench) runLawka(ctx context.Context, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, b.opt.lawka, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// server is a running HTTP server under test.
type server struct {
	*child
	addr string // host:port
}

func (s server) url(path string) string { return "http://" + s.addr + path }

// startLawka starts one `lawka serve` (extra: more LAWKA_*=… settings) and waits until
// it is ready.
func (b *bench) startLawka(ctx context.Context, name string, extra ...string) (server, error) {
	port, err := freePort()
	if err != nil {
		return server{}, err
	}
	return b.startLawkaAt(ctx, name, "127.0.0.1:"+strconv.Itoa(port), extra...)
}

// startLawkaAt starts `lawka serve` on addr (a restart takes its predecessor's place).
func (b *bench) startLawkaAt(ctx context.Context, name, addr string, extra ...string) (server, error) {
	c, err := startChild(name, filepath.Join(b.opt.work, name+".log"), append(b.lawkaEnv(addr), extra...), b.opt.lawka, "serve")
	if err != nil {
		return server{}, err
	}
	s := server{child: c, addr: addr}
	if err := waitHTTP(ctx, c, s.url("/readyz"), 60*time.Second); err != nil {
		c.stop(5 * time.Second)
		return server{}, err
	}
	return s, nil
}

// startBaseline starts one of this tool's own servers (noop-server, hub-server,
// page-server) with extra arguments.
func (b *bench) startBaseline(ctx context.Context, kind string, extra ...string) (server, error) {
	port, err := freePort()
	if err != nil {
		return server{}, err
	}
	return b.startBaselineAt(ctx, kind, kind, "127.0.0.1:"+strconv.Itoa(port), extra...)
}

// startBaselineAt starts baseline server kind as name on addr.
func (b *bench) startBaselineAt(ctx context.Context, name, kind, addr string, extra ...string) (server, error) {
	c, err := startChild(name, filepath.Join(b.opt.work, name+".log"), childEnv(), b.self, append([]string{kind, "-addr", addr}, extra...)...)
	if err != nil {
		return server{}, err
	}
	s := server{child: c, addr: addr}
	if err := waitHTTP(ctx, c, s.url("/healthz"), 30*time.Second); err != nil {
		c.stop(5 * time.Second)
		return server{}, err
	}
	return s, nil
}

// api calls the JSON API as the benchmark's moderator.
func (b *bench) api(ctx context.Context, s server, method, path string, in, out any) error {
	return call(ctx, s, b.token, "", method, path, in, out)
}

// call calls the JSON API with a bearer token (none: "") from a client address (the
// X-Forwarded-For of a trusted proxy; none: "").
func call(ctx context.Context, s server, token, from, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.url(path), body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if from != "" {
		req.Header.Set("X-Forwarded-For", from)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, clip(raw, 300))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: %w: %s", method, path, err, clip(raw, 300))
		}
	}
	return nil
}

func (b *bench) login(ctx context.Context, s server) error {
	var out struct {
		Token string `json:"token"`
	}
	b.token = ""
	if err := b.api(ctx, s, http.MethodPost, "/api/v1/auth/login", map[string]string{"email": benchEmail, "password": benchPassword}, &out); err != nil {
		return fmt.Errorf("signing in: %w", err)
	}
	if out.Token == "" {
		return errors.New("signing in: no token in the answer")
	}
	b.token = out.Token
	return nil
}

// poll is an open poll to vote in.
type poll struct {
	ID      int64
	Options []int64
}

// openPoll creates and opens a poll with four options. It is set-up, not measurement:
// a 503 (the server still digesting the previous step) is retried a few times.
func (b *bench) openPoll(ctx context.Context, s server, question string) (p poll, err error) {
	for attempt := 1; ; attempt++ {
		p, err = b.tryOpenPoll(ctx, s, question)
		if err == nil || attempt == 5 || !strings.Contains(err.Error(), "status 503") {
			return p, err
		}
		time.Sleep(time.Duration(attempt) * time.Second)
	}
}

func (b *bench) tryOpenPoll(ctx context.Context, s server, question string) (poll, error) {
	var out struct {
		Poll struct {
			ID      int64 `json:"id"`
			Options []struct {
				ID int64 `json:"id"`
			} `json:"options"`
		} `json:"poll"`
	}
	in := map[string]any{"question": question, "kind": "single", "options": []string{"Tak", "Nie", "Nie wiem", "Wstrzymuję się"},
		"eligibility": "open"}
	if err := b.api(ctx, s, http.MethodPost, "/api/v1/polls", in, &out); err != nil {
		return poll{}, err
	}
	p := poll{ID: out.Poll.ID}
	for _, o := range out.Poll.Options {
		p.Options = append(p.Options, o.ID)
	}
	if err := b.api(ctx, s, http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/open", p.ID), nil, nil); err != nil {
		return poll{}, err
	}
	return p, nil
}

// voteBuilder makes the raw request of vote i: a new participant (no cookie) from its
// own address (X-Forwarded-For from a trusted proxy), choosing the options in turn.
func (b *bench) voteBuilder(p poll, n int) func([]byte, int) []byte {
	base := b.voters
	b.voters += int64(n)
	path := fmt.Sprintf("/api/v1/polls/%d/votes", p.ID)
	idem := b.opt.idempotency
	return func(dst []byte, i int) []byte {
		g := base + int64(i) + 1
		opt := p.Options[i%len(p.Options)]
		var room [40]byte
		body := strconv.AppendInt(append(room[:0], `{"option_ids":[`...), opt, 10)
		body = append(body, "]}"...)
		return anonymousPost(dst, path, g, idem, body)
	}
}

// anonymousPost appends the raw request of a JSON POST to path by someone without a
// cookie from address 10.(g>>16).(g>>8).g (X-Forwarded-For from the trusted proxy);
// idem adds an Idempotency-Key.
func anonymousPost(dst []byte, path string, g int64, idem bool, body []byte) []byte {
	dst = append(dst, "POST "...)
	dst = append(dst, path...)
	dst = append(dst, " HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: lawka-bench\r\nAccept: application/json\r\n"+
		"Content-Type: application/json\r\nX-Forwarded-For: 10."...)
	dst = strconv.AppendInt(dst, g>>16&255, 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, g>>8&255, 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, g&255, 10)
	if idem {
		dst = append(dst, "\r\nIdempotency-Key: bench-"...)
		dst = strconv.AppendInt(dst, g, 10)
	}
	dst = append(dst, "\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, body...)
}

// Counts is the exactness check after votes: what the tool saw acknowledged, what the
// API reports and what PostgreSQL holds.
type Counts struct {
	Acked, API, DB int
	NoDB           bool // a baseline without a database
	OptionsMatch   bool
	Err            string
}

// Exact says whether they all agree.
func (c Counts) Exact() bool {
	return c.Err == "" && c.Acked == c.API && (c.NoDB || c.Acked == c.DB) && c.OptionsMatch
}

func (b *bench) verify(ctx context.Context, s server, p poll, res Result) Counts {
	acked := map[int64]int{}
	var c Counts
	for i := 0; i < res.N; i++ {
		if res.Status[i] == http.StatusCreated {
			acked[p.Options[i%len(p.Options)]]++
			c.Acked++
		}
	}
	var out struct {
		Total   int `json:"total"`
		Options []struct {
			ID    int64 `json:"id"`
			Votes int   `json:"votes"`
		} `json:"options"`
	}
	if err := b.api(ctx, s, http.MethodGet, fmt.Sprintf("/api/v1/polls/%d/results", p.ID), nil, &out); err != nil {
		c.Err = err.Error()
		return c
	}
	c.API = out.Total
	c.OptionsMatch = true
	for _, o := range out.Options {
		if o.Votes != acked[o.ID] {
			c.OptionsMatch = false
		}
	}
	rows, err := b.pool.Query(ctx, `SELECT c.option_id, count(*) FROM ballots b JOIN ballot_choices c ON c.ballot_id = b.id
		WHERE b.poll_id = $1 GROUP BY c.option_id`, p.ID)
	if err == nil {
		var id int64
		var n int
		_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error {
			if n != acked[id] {
				c.OptionsMatch = false
			}
			return nil
		})
	}
	if err == nil {
		err = b.pool.QueryRow(ctx, `SELECT count(*) FROM ballots WHERE poll_id = $1`, p.ID).Scan(&c.DB)
	}
	if err != nil {
		c.Err = err.Error()
	}
	return c
}
