package db_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/db"
	"lawka/internal/platform/db/dbtest"
)

func TestFailedMigrationIsRolledBackAndReported(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbtest.NewEmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := db.NewMigratorFS(pool, os.DirFS("testdata/broken"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	_, err = m.Up(ctx)
	if err == nil || !strings.Contains(err.Error(), "00002_bad.sql") || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("Up error = %v, want one naming 00002_bad.sql and saying it was rolled back", err)
	}
	cur, target, err := m.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cur != 1 || target != 2 {
		t.Fatalf("versions = %d/%d, want the schema left at 1 of 2", cur, target)
	}
	var halfDone bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('half_done') IS NOT NULL`).Scan(&halfDone); err != nil {
		t.Fatal(err)
	}
	if halfDone {
		t.Fatal("the failed migration's first statement was kept: not rolled back")
	}
	if err := m.CheckCurrent(ctx); !errors.Is(err, db.ErrSchemaBehind) {
		t.Fatalf("CheckCurrent = %v, want ErrSchemaBehind so serve refuses to start", err)
	}
}

func TestMigrateUpDownUp(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbtest.NewEmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := db.NewMigrator(pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.CheckCurrent(ctx); err != nil {
		t.Fatalf("after Up: %v", err)
	}
	// Every migration can be rolled back and applied again.
	for {
		cur, _, err := m.Current(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cur == 0 {
			break
		}
		if _, err := m.Down(ctx); err != nil {
			t.Fatalf("Down from %d: %v", cur, err)
		}
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("Up again: %v", err)
	}
}

func TestEnsureDatabaseCreatesMissingOnce(t *testing.T) {
	ctx := context.Background()
	url := strings.Replace(dbtest.NewEmptyURL(t), "/lawka_t_", "/lawka_t_new_", 1)
	created, err := db.EnsureDatabase(ctx, url)
	if err != nil || !created {
		t.Fatalf("first EnsureDatabase = %v, %v; want created", created, err)
	}
	t.Cleanup(func() { dropByURL(t, url) })
	created, err = db.EnsureDatabase(ctx, url)
	if err != nil || created {
		t.Fatalf("second EnsureDatabase = %v, %v; want nothing to do", created, err)
	}
}

func dropByURL(t *testing.T, url string) {
	name := url[strings.LastIndex(url, "/")+1:]
	if i := strings.IndexByte(name, '?'); i >= 0 {
		name = name[:i]
	}
	pool, err := pgxpool.New(context.Background(), dbtest.AdminURL())
	if err != nil {
		t.Log(err)
		return
	}
	defer pool.Close()
	if _, err := pool.Exec(context.Background(), `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
		t.Log(err)
	}
}
