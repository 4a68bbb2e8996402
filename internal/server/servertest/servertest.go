// Package servertest starts the real application for tests: a fresh migrated and seeded
// database, its own Redis key prefix, and the Fiber app on a real loopback listener.
package servertest

import (
	"context"
	"io"
	"log/slog"
	"net"
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
}

// Start builds and serves the application until the test ends.
func Start(t testing.TB, opts Options) *Running {
	t.Helper()
	pool := dbtest.New(t)
	rdb := redistest.New(t)
	if !opts.NoSeed {
		if err := seed.Run(context.Background(), pool, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("servertest: seed: %v", err)
		}
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
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(5 * time.Second) })
	return &Running{URL: base, Server: srv, Pool: pool, Redis: rdb, Config: cfg}
}
