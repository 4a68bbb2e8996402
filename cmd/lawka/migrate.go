package main

import (
	"context"
	"fmt"
	"time"

	"lawka/internal/platform/db"
	"lawka/internal/seed"
)

func runMigrate(ctx context.Context, env *environment, args []string) error {
	fs := flags(env, "migrate", "up|down|status [flags]",
		"up      apply every pending migration (creates the database when missing)\n"+
			"down    roll back the newest migration\n"+
			"status  list migrations and whether each is applied")
	seedIfEmpty := fs.Bool("seed-if-empty", false, "with up: add the demo data when the database has none")
	wait := fs.Duration("wait", 60*time.Second, "how long to wait for PostgreSQL to answer")
	if len(args) == 0 {
		fs.Usage()
		return usageError{"missing action: up, down or status"}
	}
	action, rest := args[0], args[1:]
	if action == "-h" || action == "--help" {
		fs.Usage()
		return nil
	}
	if err := parse(fs, rest); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if action != "up" && action != "down" && action != "status" {
		return usageError{fmt.Sprintf("unknown action %q: use up, down or status", action)}
	}
	if *seedIfEmpty && action != "up" {
		return usageError{"--seed-if-empty goes with up"}
	}

	wctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	if action == "up" {
		if err := waitForServer(wctx, env); err != nil {
			return err
		}
		created, err := db.EnsureDatabase(wctx, env.cfg.DatabaseURL)
		if err != nil {
			return fmt.Errorf("%s", db.Describe(err))
		}
		if created {
			env.log.Info("created the database")
		}
	}
	pool, err := db.Open(env.cfg.DatabaseURL, nil)
	if err != nil {
		return usageError{err.Error()}
	}
	defer pool.Close()
	if err := db.WaitReady(wctx, pool, env.log); err != nil {
		return err
	}
	m, err := db.NewMigrator(pool, nil)
	if err != nil {
		return err
	}
	defer m.Close()

	switch action {
	case "up":
		applied, err := m.Up(ctx)
		for _, a := range applied {
			fmt.Fprintln(env.stdout, "applied", a)
		}
		if err != nil {
			return err
		}
		cur, _, err := m.Current(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "schema at version %d\n", cur)
		if *seedIfEmpty {
			empty, err := seed.IsEmpty(ctx, pool)
			if err != nil {
				return err
			}
			if empty {
				if err := seedFor(env)(ctx, pool, env.log); err != nil {
					return err
				}
				fmt.Fprintln(env.stdout, "demo data added")
			}
		}
	case "down":
		undone, err := m.Down(ctx)
		for _, a := range undone {
			fmt.Fprintln(env.stdout, "rolled back", a)
		}
		return err
	case "status":
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			when := "pending"
			if !s.AppliedAt.IsZero() {
				when = "applied " + s.AppliedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(env.stdout, "%05d  %-40s %s\n", s.Source.Version, baseName(s.Source.Path), when)
		}
	}
	return nil
}

// waitForServer waits until the PostgreSQL server answers at all (the database itself
// may not exist yet: that is fine, EnsureDatabase creates it).
func waitForServer(ctx context.Context, env *environment) error {
	pool, err := db.Open(env.cfg.DatabaseURL, nil)
	if err != nil {
		return usageError{err.Error()}
	}
	defer pool.Close()
	return db.WaitServer(ctx, pool, env.log)
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}
