// Package db connects to PostgreSQL, the source of truth, runs the embedded goose
// migrations and offers the one transaction helper every store uses.
package db

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/backoff"
)

// Open builds a pool without touching the network: connections are made on first use,
// so a server can start and answer /readyz while PostgreSQL is still coming up.
func Open(url string, tracer pgx.QueryTracer) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("LAWKA_DATABASE_URL: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	cfg.ConnConfig.RuntimeParams["application_name"] = "lawka"
	if tracer != nil {
		cfg.ConnConfig.Tracer = tracer
	}
	return pgxpool.NewWithConfig(context.Background(), cfg)
}

// WaitReady pings until PostgreSQL answers, backing off from 250 ms to 5 s and saying
// each time what it waits for. It gives up only when ctx ends.
func WaitReady(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	where := pool.Config().ConnConfig.Host + ":" + fmt.Sprint(pool.Config().ConnConfig.Port)
	return backoff.Retry(ctx, func(ctx context.Context) error {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		return pool.Ping(pctx)
	}, func(err error, next time.Duration) {
		log.Warn("waiting for PostgreSQL", "at", where, "database", pool.Config().ConnConfig.Database,
			"cause", Describe(err), "retry_in", next.String())
	})
}

// Describe turns a connection error into one line a person can act on.
func Describe(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "3D000":
			return "the database does not exist (run `lawka migrate up`, which creates it): " + pgErr.Message
		case "28P01", "28000":
			return "PostgreSQL refused the credentials: " + pgErr.Message
		}
		return pgErr.Message + " (SQLSTATE " + pgErr.Code + ")"
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return "cannot connect: " + opErr.Err.Error()
	}
	return err.Error()
}

// Querier is what stores need: a pool, a connection or a transaction.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Tx runs fn in a transaction: committed when fn returns nil, rolled back otherwise
// (and on panic, by the deferred rollback inside pgx.BeginFunc).
func Tx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, pool, fn)
}

// IsUniqueViolation reports whether err is a unique-constraint violation, optionally of
// the named constraint.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" &&
		(constraint == "" || pgErr.ConstraintName == constraint)
}

// WaitServer waits until the PostgreSQL server answers, even if the database in the URL
// does not exist yet (that answer, SQLSTATE 3D000, counts as "the server is up").
func WaitServer(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	where := pool.Config().ConnConfig.Host + ":" + fmt.Sprint(pool.Config().ConnConfig.Port)
	return backoff.Retry(ctx, func(ctx context.Context) error {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		err := pool.Ping(pctx)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "3D000" {
			return nil
		}
		return err
	}, func(err error, next time.Duration) {
		log.Warn("waiting for PostgreSQL", "at", where, "cause", Describe(err), "retry_in", next.String())
	})
}

// Titles reads the title column of table's rows by id through q, in one query (inside
// the caller's transaction when q is one); missing ids are left out. table is a name
// from the code, never from input.
func Titles(ctx context.Context, q Querier, table string, ids []int64) (map[int64]string, error) {
	rows, err := q.Query(ctx, `SELECT id, title FROM `+pgx.Identifier{table}.Sanitize()+` WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	var id int64
	var title string
	_, err = pgx.ForEachRow(rows, []any{&id, &title}, func() error {
		out[id] = title
		return nil
	})
	return out, err
}
