package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/db"
	"lawka/internal/seed"
)

func runSeed(ctx context.Context, env *environment, args []string) error {
	fs := flags(env, "seed", "[flags]", "Adds the reference data (districts, topics, the Declaration) and, unless LAWKA_ENV=prod, the demo\ndata (demo accounts, allies, invitation codes). Running it again adds nothing twice.")
	ifEmpty := fs.Bool("if-empty", false, "only when the database has no data yet")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	pool, err := openReady(ctx, env)
	if err != nil {
		return err
	}
	defer pool.Close()
	if *ifEmpty {
		empty, err := seed.IsEmpty(ctx, pool)
		if err != nil {
			return err
		}
		if !empty {
			fmt.Fprintln(env.stdout, "the database has data already; nothing seeded")
			return nil
		}
	}
	if err := seedFor(env)(ctx, pool, env.log); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "demo data added")
	return nil
}

// openReady connects to a migrated database, waiting up to a minute for PostgreSQL.
func openReady(ctx context.Context, env *environment) (*pgxpool.Pool, error) {
	pool, err := db.Open(env.cfg.DatabaseURL, nil)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := db.WaitReady(wctx, pool, env.log); err != nil {
		pool.Close()
		return nil, err
	}
	m, err := db.NewMigrator(pool, nil)
	if err != nil {
		pool.Close()
		return nil, err
	}
	defer m.Close()
	if err := m.CheckCurrent(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// seedFor picks what to seed: demo data in development, reference data only in prod.
func seedFor(env *environment) func(context.Context, *pgxpool.Pool, *slog.Logger) error {
	if env.cfg.Dev() {
		return seed.Run
	}
	return seed.Reference
}
