package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"lawka/migrations"
)

// Migrator applies the embedded migrations. Each migration runs in its own transaction,
// and a PostgreSQL advisory lock lets several instances start at once.
type Migrator struct {
	sqlDB    *sql.DB
	provider *goose.Provider
}

// NewMigrator wraps the pool for goose, with the binary's embedded migrations.
func NewMigrator(pool *pgxpool.Pool, log *slog.Logger) (*Migrator, error) {
	return NewMigratorFS(pool, migrations.FS, log)
}

// NewMigratorFS is NewMigrator over another set of migrations (tests use broken ones).
func NewMigratorFS(pool *pgxpool.Pool, fsys fs.FS, log *slog.Logger) (*Migrator, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	opts := []goose.ProviderOption{goose.WithSessionLocker(locker)}
	if log != nil {
		opts = append(opts, goose.WithSlog(log))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys, opts...)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	return &Migrator{sqlDB: sqlDB, provider: p}, nil
}

// Close releases the database/sql wrapper (not the pool).
func (m *Migrator) Close() error { return m.sqlDB.Close() }

// Up applies every pending migration and returns the versions applied.
func (m *Migrator) Up(ctx context.Context) ([]string, error) {
	res, err := m.provider.Up(ctx)
	return names(res), explainMigration(err)
}

// Down rolls back the newest migration.
func (m *Migrator) Down(ctx context.Context) ([]string, error) {
	res, err := m.provider.Down(ctx)
	if res != nil {
		return names([]*goose.MigrationResult{res}), explainMigration(err)
	}
	return nil, explainMigration(err)
}

// Status lists each known migration and whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]*goose.MigrationStatus, error) {
	return m.provider.Status(ctx)
}

// Current returns the schema version in the database and the newest one the binary knows.
func (m *Migrator) Current(ctx context.Context) (current, target int64, err error) {
	return m.provider.GetVersions(ctx)
}

// ErrSchemaBehind means the database needs `lawka migrate up` before serving.
var ErrSchemaBehind = errors.New("the database schema is behind this binary: run `lawka migrate up` first")

// CheckCurrent refuses a schema that is behind the binary.
func (m *Migrator) CheckCurrent(ctx context.Context) error {
	pending, err := m.provider.HasPending(ctx)
	if err != nil {
		return err
	}
	if pending {
		cur, target, _ := m.provider.GetVersions(ctx)
		return fmt.Errorf("%w (database at version %d, binary needs %d)", ErrSchemaBehind, cur, target)
	}
	return nil
}

func names(res []*goose.MigrationResult) []string {
	var out []string
	for _, r := range res {
		if r != nil && r.Source != nil && r.Error == nil {
			out = append(out, fmt.Sprintf("%05d %s", r.Source.Version, baseName(r.Source.Path)))
		}
	}
	return out
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func explainMigration(err error) error {
	if err == nil {
		return nil
	}
	var pe *goose.PartialError
	if errors.As(err, &pe) && pe.Failed != nil && pe.Failed.Source != nil {
		return fmt.Errorf("migration %s failed and was rolled back; the schema stays at the last good version: %s",
			baseName(pe.Failed.Source.Path), Describe(pe.Err))
	}
	return err
}

// EnsureDatabase creates the database named in url when it is missing, connecting to the
// server's "postgres" maintenance database to do so.
func EnsureDatabase(ctx context.Context, url string) (created bool, err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return false, err
	}
	name := cfg.Database
	if name == "" {
		return false, errors.New("LAWKA_DATABASE_URL names no database")
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		conn.Close(ctx)
		return false, nil
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" {
		return false, err
	}
	admin := cfg.Copy()
	admin.Database = "postgres"
	aconn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return false, fmt.Errorf("database %q is missing and the maintenance database cannot be reached to create it: %w", name, err)
	}
	defer aconn.Close(ctx)
	_, err = aconn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if err != nil && !isDuplicateDatabase(err) {
		return false, fmt.Errorf("creating database %q: %w", name, err)
	}
	return err == nil, nil
}

func isDuplicateDatabase(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42P04"
}
