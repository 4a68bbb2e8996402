// Package dbtest gives each test its own PostgreSQL database, cloned from a template
// that was migrated once per schema version, so test packages run in parallel without
// sharing state.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/db"
	"lawka/migrations"
)

// AdminURL is the maintenance database tests create their databases from:
// LAWKA_TEST_DATABASE_URL, or the local server's "postgres" database.
func AdminURL() string {
	if u := os.Getenv("LAWKA_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// New returns a pool on a fresh, migrated database that is dropped after the test.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := NewURL(t)
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// NewURL creates a fresh, migrated database and returns its URL (for tests that start
// the server or the command line themselves).
func NewURL(t testing.TB) string {
	t.Helper()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate() })
	if templateErr != nil {
		t.Fatalf("dbtest: preparing the template database: %v", templateErr)
	}
	return create(t, templateName)
}

// NewFromTemplateURL creates a fresh database cloned from template (see PrepareTemplate).
func NewFromTemplateURL(t testing.TB, template string) string {
	t.Helper()
	return create(t, template)
}

// PrepareTemplate makes, once per test process, a template database: the migrated
// schema plus whatever prepare adds (demo data, say), so each test clones a ready
// database instead of repeating the work. Templates of finished processes are dropped.
func PrepareTemplate(prepare func(url string) error) (string, error) {
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate() })
	if templateErr != nil {
		return "", templateErr
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return "", err
	}
	defer admin.Close(ctx)
	dropDeadTemplates(ctx, admin)
	name := fmt.Sprintf("lawka_prep_%d_%s", os.Getpid(), randomHex(4))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{templateName}.Sanitize()); err != nil {
		return "", err
	}
	if err := prepare(withDatabase(AdminURL(), name)); err != nil {
		return "", err
	}
	return name, nil
}

// dropDeadTemplates removes prepared templates whose test process has ended.
func dropDeadTemplates(ctx context.Context, admin *pgx.Conn) {
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'lawka\_prep\_%'`)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, n := range names {
		var pid int
		if _, err := fmt.Sscanf(n, "lawka_prep_%d_", &pid); err != nil || processAlive(pid) {
			continue
		}
		_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)")
	}
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}

// Through returns a second pool on pool's database, with the same settings, that
// connects to addr ("host:port") instead, such as a fault-injection proxy in front of
// PostgreSQL. It is closed after the test.
func Through(t testing.TB, pool *pgxpool.Pool, addr string) *pgxpool.Pool {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		t.Fatalf("dbtest: port of %s: %v", addr, err)
	}
	cfg := pool.Config()
	cfg.ConnConfig.Host, cfg.ConnConfig.Port = host, uint16(p)
	for _, f := range cfg.ConnConfig.Fallbacks { // sslmode=prefer tries again without TLS
		f.Host, f.Port = host, uint16(p)
	}
	via, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(via.Close)
	return via
}

// NewEmptyURL creates a fresh database with no schema at all.
func NewEmptyURL(t testing.TB) string {
	t.Helper()
	return create(t, "template0")
}

func create(t testing.TB, template string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("dbtest: cannot reach PostgreSQL at LAWKA_TEST_DATABASE_URL (%s): %v", AdminURL(), err)
	}
	defer admin.Close(ctx)
	name := "lawka_t_" + randomHex(8)
	// CREATE DATABASE … TEMPLATE fails while another session briefly touches the
	// template (a parallel clone); retry a few times.
	for attempt := 0; ; attempt++ {
		_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template}.Sanitize())
		if err == nil || attempt == 20 {
			break
		}
		time.Sleep(time.Duration(50*(attempt+1)) * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			t.Logf("dbtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("dbtest: drop %s: %v", name, err)
		}
	})
	return withDatabase(AdminURL(), name)
}

// ensureTemplate makes lawka_tpl_<hash of the migrations> once, under an advisory lock
// so that parallel test packages wait for the first one instead of racing it.
func ensureTemplate() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := "lawka_tpl_" + migrationsHash()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return "", fmt.Errorf("cannot reach PostgreSQL at LAWKA_TEST_DATABASE_URL (%s): %w", AdminURL(), err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(hashtext('lawka-dbtest-template'))"); err != nil {
		return "", err
	}
	defer admin.Exec(context.Background(), "SELECT pg_advisory_unlock(hashtext('lawka-dbtest-template'))") //nolint:errcheck
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{building}.Sanitize()+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{building}.Sanitize()+" TEMPLATE template0"); err != nil {
		return "", err
	}
	pool, err := db.Open(withDatabase(AdminURL(), building), nil)
	if err != nil {
		return "", err
	}
	m, err := db.NewMigrator(pool, slog.New(slog.DiscardHandler))
	if err != nil {
		pool.Close()
		return "", err
	}
	_, err = m.Up(ctx)
	m.Close()
	pool.Close()
	if err != nil {
		return "", fmt.Errorf("migrating the template: %w", err)
	}
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{building}.Sanitize()+" RENAME TO "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	return name, nil
}

func migrationsHash() string {
	h := sha256.New()
	var names []string
	_ = fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	sort.Strings(names)
	for _, n := range names {
		b, _ := fs.ReadFile(migrations.FS, n)
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func withDatabase(url, name string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		panic(err)
	}
	u := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
	if cfg.Password != "" {
		u = fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Password, cfg.Host, cfg.Port, name)
	}
	if len(cfg.Host) > 0 && cfg.Host[0] == '/' {
		u = fmt.Sprintf("postgres://%s@/%s?host=%s&port=%d&sslmode=disable", cfg.User, name, cfg.Host, cfg.Port)
	}
	return u
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
