package servertest_test

import (
	"context"
	"net/http"
	"testing"

	"lawka/internal/server/servertest"
)

// TestProxiesSitBetweenTheServerAndItsServices: with ProxyDatabase and ProxyRedis the
// server reaches PostgreSQL and Redis only through the proxies, while the test's own
// Pool and Redis go straight there; another instance sharing them has its own proxies.
func TestProxiesSitBetweenTheServerAndItsServices(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{NoSeed: true, ProxyDatabase: true, ProxyRedis: true})
	other := servertest.Start(t, servertest.Options{Share: s, ProxyDatabase: true})
	if s.DBProxy == nil || s.RedisProxy == nil || other.RedisProxy != nil {
		t.Fatalf("proxies: %v %v %v, want the ones asked for", s.DBProxy, s.RedisProxy, other.RedisProxy)
	}
	ctx := context.Background()
	requireReady(t, s, "at start")

	s.DBProxy.Cut()
	requireDown(t, s, "postgres", "PostgreSQL cut")
	if err := s.Pool.Ping(ctx); err != nil {
		t.Fatalf("the test's own pool during the cut: %v", err)
	}
	requireReady(t, other, "the other instance while the first one's PostgreSQL is cut")
	s.DBProxy.Restore()
	requireReady(t, s, "PostgreSQL restored")

	s.RedisProxy.Cut()
	requireDown(t, s, "redis", "Redis cut")
	if err := s.Redis.Ping(ctx).Err(); err != nil {
		t.Fatalf("the test's own Redis client during the cut: %v", err)
	}
	s.RedisProxy.Restore()
	requireReady(t, s, "Redis restored")
}

type readiness struct {
	Postgres, Redis string
}

func readyz(t *testing.T, s *servertest.Running) (int, readiness) {
	t.Helper()
	r := s.API(t).Do(http.MethodGet, "/readyz", nil)
	var body readiness
	r.JSON(t, &body)
	return r.StatusCode, body
}

// requireReady waits for /readyz to answer 200: right after a restore a client may
// first fail on a connection the cut broke. Bounded, without sleeping.
func requireReady(t *testing.T, s *servertest.Running, when string) {
	t.Helper()
	var status int
	var body readiness
	for range 20 {
		if status, body = readyz(t, s); status == http.StatusOK {
			return
		}
	}
	t.Fatalf("%s: /readyz still %d %+v after 20 tries", when, status, body)
}

func requireDown(t *testing.T, s *servertest.Running, service, when string) {
	t.Helper()
	status, body := readyz(t, s)
	got := map[string]string{"postgres": body.Postgres, "redis": body.Redis}
	if status != http.StatusServiceUnavailable || got[service] != "unavailable" {
		t.Fatalf("%s: /readyz %d %+v, want 503 with %s unavailable", when, status, body, service)
	}
	for name, state := range got {
		if name != service && state != "ok" {
			t.Fatalf("%s: /readyz %+v, want only %s unavailable", when, body, service)
		}
	}
}
