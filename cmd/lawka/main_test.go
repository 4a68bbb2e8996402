package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"lawka/internal/platform/db/dbtest"
)

// output is a concurrency-safe buffer that can wait for a line to appear.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newOutput() *output { return &output{changed: make(chan struct{}, 1)} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor blocks until s has been written (or fails the test after a generous bound).
func (o *output) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for !strings.Contains(o.String(), s) {
		select {
		case <-o.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %q in:\n%s", s, o.String())
		}
	}
}

type invocation struct {
	code           int
	stdout, stderr string
}

func invoke(t *testing.T, env map[string]string, args ...string) invocation {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	return invocation{code, out.String(), errOut.String()}
}

func TestUsageErrorsExitWith2(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "Usage: lawka"},
		{[]string{"fly"}, nil, `unknown command "fly"`},
		{[]string{"serve", "--bogus"}, nil, "flag provided but not defined: -bogus"},
		{[]string{"serve", "extra"}, nil, "unexpected arguments"},
		{[]string{"migrate"}, nil, "missing action"},
		{[]string{"migrate", "sideways"}, nil, `unknown action "sideways"`},
		{[]string{"migrate", "down", "--seed-if-empty"}, nil, "--seed-if-empty goes with up"},
		{[]string{"user"}, nil, "usage: lawka user create"},
		{[]string{"user", "create", "--email", "a@example.org"}, nil, "--email and --password are required"},
		{[]string{"serve"}, map[string]string{"LAWKA_LOG_LEVEL": "verbose"}, "LAWKA_LOG_LEVEL"},
		{[]string{"serve"}, map[string]string{"LAWKA_ADDR": ":70000"}, "LAWKA_ADDR"},
		{[]string{"migrate", "up"}, map[string]string{"LAWKA_DATABASE_URL": "mysql://nope"}, "LAWKA_DATABASE_URL"},
		{[]string{"serve"}, map[string]string{"LAWKA_REDIS_URL": "redis://:6379/x"}, "LAWKA_REDIS_URL"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got := invoke(t, tc.env, tc.args...)
			if got.code != 2 {
				t.Fatalf("exit %d, want 2 (stderr %q)", got.code, got.stderr)
			}
			if !strings.Contains(got.stderr+got.stdout, tc.want) {
				t.Fatalf("output lacks %q:\n%s%s", tc.want, got.stdout, got.stderr)
			}
			if strings.Contains(got.stderr, "goroutine ") {
				t.Fatal("a panic trace for a usage error")
			}
		})
	}
}

func TestHelpAndVersionExit0(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"version"}, {"serve", "--help"}, {"migrate", "--help"},
		{"seed", "-h"}, {"user", "--help"}, {"user", "create", "--help"}, {"version", "--help"}} {
		got := invoke(t, nil, args...)
		if got.code != 0 || got.stdout+got.stderr == "" {
			t.Errorf("%v: exit %d, output %q", args, got.code, got.stdout+got.stderr)
		}
	}
	if got := invoke(t, nil, "version"); !strings.HasPrefix(got.stdout, "lawka ") {
		t.Errorf("version printed %q", got.stdout)
	}
}

func TestMigrateSeedAndUserCreate(t *testing.T) {
	url := strings.Replace(dbtest.NewEmptyURL(t), "/lawka_t_", "/lawka_t_cli_", 1)
	t.Cleanup(func() { dropDatabase(t, url) })
	env := map[string]string{"LAWKA_DATABASE_URL": url, "LAWKA_LOG_LEVEL": "warn"}

	if got := invoke(t, env, "migrate", "up", "--seed-if-empty"); got.code != 0 ||
		!strings.Contains(got.stdout, "applied 00001") || !strings.Contains(got.stdout, "demo data added") {
		t.Fatalf("migrate up (creating the database): %+v", got)
	}
	if got := invoke(t, env, "migrate", "up", "--seed-if-empty"); got.code != 0 || strings.Contains(got.stdout, "demo data added") {
		t.Fatalf("a second migrate up must neither migrate nor seed again: %+v", got)
	}
	if got := invoke(t, env, "migrate", "status"); got.code != 0 || !strings.Contains(got.stdout, "00001_foundation.sql") ||
		strings.Contains(got.stdout, "pending") {
		t.Fatalf("status: %+v", got)
	}
	if got := invoke(t, env, "seed", "--if-empty"); got.code != 0 || !strings.Contains(got.stdout, "nothing seeded") {
		t.Fatalf("seed --if-empty on seeded data: %+v", got)
	}
	if got := invoke(t, env, "seed"); got.code != 0 {
		t.Fatalf("seed again must be harmless: %+v", got)
	}

	create := []string{"user", "create", "--email", "Ola@Example.org", "--password", "correct horse battery", "--name", "Ola", "--role", "moderator", "--role", "advocate", "--verified"}
	if got := invoke(t, env, create...); got.code != 0 || !strings.Contains(got.stdout, "<ola@example.org>") ||
		!strings.Contains(got.stdout, "moderator") {
		t.Fatalf("user create: %+v", got)
	}
	if got := invoke(t, env, create...); got.code != 2 || !strings.Contains(got.stderr, "email_taken") {
		t.Fatalf("duplicate user: %+v", got)
	}
	if got := invoke(t, env, "user", "create", "--email", "x@example.org", "--password", "short"); got.code != 2 ||
		!strings.Contains(got.stderr, "password") {
		t.Fatalf("short password: %+v", got)
	}
	if got := invoke(t, env, "user", "create", "--email", "y@example.org", "--password", "long enough pw", "--role", "king"); got.code != 2 ||
		!strings.Contains(got.stderr, "role") {
		t.Fatalf("unknown role: %+v", got)
	}
}

func TestServeRefusesASchemaThatIsBehind(t *testing.T) {
	env := map[string]string{"LAWKA_DATABASE_URL": dbtest.NewEmptyURL(t), "LAWKA_ADDR": freeAddr(t), "LAWKA_LOG_LEVEL": "warn"}
	got := invoke(t, env, "serve")
	if got.code != 1 || !strings.Contains(got.stderr, "run `lawka migrate up` first") {
		t.Fatalf("serve on an unmigrated database: %+v", got)
	}
}

func TestServeStartsAndStopsGracefully(t *testing.T) {
	addr := freeAddr(t)
	env := map[string]string{"LAWKA_DATABASE_URL": dbtest.NewURL(t), "LAWKA_ADDR": addr,
		"LAWKA_PUBLIC_URL": "http://" + addr, "LAWKA_REDIS_URL": redisURL()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := newOutput(), newOutput()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, stdout, stderr, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	}()

	stdout.waitFor(t, "Press Ctrl-C to stop.")
	if !strings.Contains(stdout.String(), "Ławka is running at http://"+addr) {
		t.Fatalf("start-up message: %s", stdout.String())
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("home %d", resp.StatusCode)
	}

	cancel() // what SIGINT/SIGTERM do
	if code := <-done; code != 0 {
		t.Fatalf("exit %d after a graceful stop:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "stopped cleanly") {
		t.Fatalf("no clean stop in the log:\n%s", stderr.String())
	}
}

func TestServeWaitsForRedisAndSaysSo(t *testing.T) {
	addr := freeAddr(t)
	env := map[string]string{"LAWKA_DATABASE_URL": dbtest.NewURL(t), "LAWKA_ADDR": addr,
		"LAWKA_REDIS_URL": "redis://127.0.0.1:1/0"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := newOutput(), newOutput()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, stdout, stderr, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	}()

	stderr.waitFor(t, "waiting for Redis")
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("readyz while Redis is unreachable: %d", resp.StatusCode)
	}
	resp, err = http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a page while starting: %d", resp.StatusCode)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d when interrupted during start-up", code)
	}
}
