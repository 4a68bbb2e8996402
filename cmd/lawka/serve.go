package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/account"
	"lawka/internal/platform/db"
	"lawka/internal/platform/redisx"
	"lawka/internal/seed"
	"lawka/internal/server"
)

// shutdownTimeout bounds how long in-flight requests may take to finish on SIGTERM.
const shutdownTimeout = 15 * time.Second

func runServe(ctx context.Context, env *environment, args []string) error {
	fs := flags(env, "serve", "", "Serves the web application and the JSON API on LAWKA_ADDR. Refuses to start on a\ndatabase schema that is behind (run `lawka migrate up`).")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	cfg, log := env.cfg, env.log

	pool, err := db.Open(cfg.DatabaseURL, nil)
	if err != nil {
		return usageError{err.Error()}
	}
	defer pool.Close()
	rdb, err := redisx.Open(cfg.RedisURL, "")
	if err != nil {
		return usageError{err.Error()}
	}
	defer rdb.Close()

	srv, err := server.New(cfg, server.Deps{Pool: pool, Redis: rdb, Log: log})
	if err != nil {
		return fmt.Errorf("building the application: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("LAWKA_ADDR=%s: cannot listen: %w", cfg.Addr, err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening; waiting for PostgreSQL and Redis before taking requests", "addr", ln.Addr().String())

	// Start-up checks run while /healthz and /readyz already answer.
	startup := make(chan error, 1)
	go func() { startup <- startupChecks(ctx, env, pool, rdb, srv) }()

	select {
	case err := <-startup:
		if err != nil {
			_ = srv.Shutdown(shutdownTimeout)
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	case err := <-served:
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
		log.Info("interrupted during start-up")
		return srv.Shutdown(shutdownTimeout)
	}

	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("server stopped: %w", err)
	}
	log.Info("shutting down: finishing in-flight requests", "timeout", shutdownTimeout.String())
	if err := srv.Shutdown(shutdownTimeout); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped cleanly")
	return nil
}

func startupChecks(ctx context.Context, env *environment, pool *pgxpool.Pool, rdb *redisx.Client, srv *server.Server) error {
	log := env.log
	if err := db.WaitReady(ctx, pool, log); err != nil {
		return err
	}
	m, err := db.NewMigrator(pool, nil)
	if err != nil {
		return err
	}
	err = m.CheckCurrent(ctx)
	m.Close()
	if err != nil {
		return err
	}
	if err := redisx.WaitReady(ctx, rdb, log); err != nil {
		return err
	}
	if err := srv.Background(ctx); err != nil {
		return usageError{"LAWKA_SMTP_URL: " + err.Error()}
	}
	srv.SetReady(true)
	log.Info("ready", "url", env.cfg.PublicURL.String())
	fmt.Fprintf(env.stdout, "\nŁawka is running at %s\n", env.cfg.PublicURL)
	if env.cfg.Dev() {
		printDemoLogins(ctx, env, pool)
	}
	fmt.Fprintln(env.stdout, "Press Ctrl-C to stop.")
	return nil
}

// printDemoLogins lists the seeded demo accounts (development only).
func printDemoLogins(ctx context.Context, env *environment, pool *pgxpool.Pool) {
	accounts := account.NewService(pool, account.Deps{})
	var lines []string
	for _, d := range seed.DemoAccounts {
		if ok, err := accounts.Exists(ctx, d.Email); err == nil && ok {
			lines = append(lines, fmt.Sprintf("  %-24s %s", d.Email, d.Name))
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(env.stdout, "Demo logins (password %q):\n", seed.DemoPassword)
	for _, l := range lines {
		fmt.Fprintln(env.stdout, l)
	}
}
