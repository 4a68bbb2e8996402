// Package servertest starts the real application for tests: a fresh migrated and seeded
// database, its own Redis key prefix, and the Fiber app on a real loopback listener.
// On request the server reaches PostgreSQL and Redis through fault-injection proxies
// (Options.ProxyDatabase, Options.ProxyRedis), so a test can cut them while it runs.
package servertest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/config"
	"lawka/internal/platform/db/dbtest"
	"lawka/internal/platform/faultproxy"
	"lawka/internal/platform/redisx"
	"lawka/internal/platform/redisx/redistest"
	"lawka/internal/seed"
	"lawka/internal/server"
)

// Running is a started server.
type Running struct {
	URL    string // http://127.0.0.1:port
	Server *server.Server
	// Pool and Redis reach the test's database and keys directly, never through the
	// proxies below: for the test's own set-up and checks, which a Cut does not disturb.
	// Without proxies they are also what the server uses.
	Pool   *pgxpool.Pool
	Redis  *redisx.Client
	Config config.Config
	// DBProxy and RedisProxy sit between the server and PostgreSQL or Redis when
	// Options.ProxyDatabase or Options.ProxyRedis asked for them; nil otherwise.
	DBProxy    *faultproxy.Proxy
	RedisProxy *faultproxy.Proxy
}

// Options change how the server starts.
type Options struct {
	NoSeed   bool              // start on an empty (migrated) database
	NotReady bool              // leave the start-up gate closed (as before PostgreSQL and Redis answer)
	Env      map[string]string // extra LAWKA_* settings
	Log      io.Writer         // where logs go (default: discarded)
	Share    *Running          // run a second instance on the first one's database and Redis
	// ProxyDatabase connects the server's pool to PostgreSQL through Running.DBProxy,
	// and ProxyRedis its Redis client through Running.RedisProxy. With Share, the
	// proxies are this instance's own: cutting them leaves the other instance alone.
	ProxyDatabase bool
	ProxyRedis    bool
	// DBTracer sees every query the server sends to PostgreSQL (tests count them).
	DBTracer pgx.QueryTracer
}

// Start builds and serves the application until the test ends.
func Start(t testing.TB, opts Options) *Running {
	t.Helper()
	var pool *pgxpool.Pool
	var rdb *redisx.Client
	switch {
	case opts.Share != nil:
		pool, rdb = opts.Share.Pool, opts.Share.Redis
	case opts.NoSeed:
		pool, rdb = dbtest.New(t), redistest.New(t)
	default:
		pool, rdb = seededPool(t), redistest.New(t)
	}
	run := &Running{Pool: pool, Redis: rdb}
	serverPool, serverRedis := pool, rdb
	if opts.ProxyDatabase {
		c := pool.Config().ConnConfig
		run.DBProxy = startProxy(t, "PostgreSQL", c.Host, strconv.Itoa(int(c.Port)))
		serverPool = dbtest.Through(t, pool, run.DBProxy.Addr())
	}
	if opts.ProxyRedis {
		host, port, err := net.SplitHostPort(rdb.Options().Addr)
		if err != nil {
			t.Fatalf("servertest: Redis address %q: %v", rdb.Options().Addr, err)
		}
		run.RedisProxy = startProxy(t, "Redis", host, port)
		serverRedis = redistest.Through(t, rdb, run.RedisProxy.Addr())
	}
	if opts.DBTracer != nil {
		cfg := serverPool.Config()
		cfg.ConnConfig.Tracer = opts.DBTracer
		traced, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(traced.Close)
		serverPool = traced
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	// The page cache is off unless a test turns it on: a test reading a page right after
	// changing it must not depend on the clock (pagecache has tests of its own).
	env := map[string]string{"LAWKA_PUBLIC_URL": base, "LAWKA_PAGE_CACHE_TTL": "0s"}
	for k, v := range opts.Env {
		env[k] = v
	}
	cfg, err := config.LoadLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	w := opts.Log
	if w == nil {
		w = io.Discard
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(cfg, server.Deps{Pool: serverPool, Redis: serverRedis, Log: log})
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	srv.SetReady(!opts.NotReady)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := srv.Background(ctx); err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(5 * time.Second) })
	run.URL, run.Server, run.Config = base, srv, cfg
	return run
}

// startProxy puts a fault-injection proxy in front of host:port until the test ends.
func startProxy(t testing.TB, what, host, port string) *faultproxy.Proxy {
	t.Helper()
	if host == "" || host[0] == '/' {
		t.Fatalf("servertest: a proxy in front of %s needs a TCP address, not %q", what, host)
	}
	p, err := faultproxy.Start(net.JoinHostPort(host, port))
	if err != nil {
		t.Fatalf("servertest: proxy in front of %s: %v", what, err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

var (
	seededOnce     sync.Once
	seededTemplate string
	seededErr      error
)

// seededPool clones a database that was migrated and seeded once for the whole test
// process: seeding hashes a dozen passwords with argon2id, too slow to repeat per test.
func seededPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	seededOnce.Do(func() {
		seededTemplate, seededErr = dbtest.PrepareTemplate(func(url string) error {
			pool, err := pgxpool.New(context.Background(), url)
			if err != nil {
				return err
			}
			defer pool.Close()
			return seed.Run(context.Background(), pool, slog.New(slog.DiscardHandler))
		})
	})
	if seededErr != nil {
		t.Fatalf("servertest: seeding the template: %v", seededErr)
	}
	pool, err := pgxpool.New(context.Background(), dbtest.NewFromTemplateURL(t, seededTemplate))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
