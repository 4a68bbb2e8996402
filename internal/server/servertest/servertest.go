// Package servertest starts the real application for tests: a fresh migrated and seeded
// database, its own Redis key prefix, and the Fiber app on a real loopback listener.
package servertest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/config"
	"lawka/internal/platform/db/dbtest"
	"lawka/internal/platform/redisx"
	"lawka/internal/platform/redisx/redistest"
	"lawka/internal/seed"
	"lawka/internal/server"
)

// Running is a started server.
type Running struct {
	URL    string // http://127.0.0.1:port
	Server *server.Server
	Pool   *pgxpool.Pool
	Redis  *redisx.Client
	Config config.Config
}

// Options change how the server starts.
type Options struct {
	NoSeed   bool              // start on an empty (migrated) database
	NotReady bool              // leave the start-up gate closed (as before PostgreSQL and Redis answer)
	Env      map[string]string // extra LAWKA_* settings
	Log      io.Writer         // where logs go (default: discarded)
	Share    *Running          // run a second instance on the first one's database and Redis
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	env := map[string]string{"LAWKA_PUBLIC_URL": base}
	for k, v := range opts.Env {
		env[k] = v
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	w := opts.Log
	if w == nil {
		w = io.Discard
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(cfg, server.Deps{Pool: pool, Redis: rdb, Log: log})
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
	return &Running{URL: base, Server: srv, Pool: pool, Redis: rdb, Config: cfg}
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
