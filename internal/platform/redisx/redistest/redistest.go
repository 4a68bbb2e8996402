// Package redistest gives each test its own Redis key prefix on the shared server, so
// test packages run in parallel; the keys are deleted after the test.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strconv"
	"testing"

	"lawka/internal/platform/redisx"
)

// URL is LAWKA_TEST_REDIS_URL, or the local server.
func URL() string {
	if u := os.Getenv("LAWKA_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// New returns a client whose keys all start with a prefix unique to this test.
func New(t testing.TB) *redisx.Client {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "test:" + hex.EncodeToString(b) + ":"
	c, err := redisx.Open(URL(), prefix)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redistest: cannot reach Redis at LAWKA_TEST_REDIS_URL (%s): %v", URL(), err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
		c.Close()
	})
	return c
}

// Through returns a second client on c's keys (the same prefix and database) that
// connects to addr ("host:port") instead, such as a fault-injection proxy in front of
// c's server (TLS settings are not carried over). It is closed after the test; the
// keys stay c's to clean up.
func Through(t testing.TB, c *redisx.Client, addr string) *redisx.Client {
	t.Helper()
	o := c.Options()
	u := url.URL{Scheme: "redis", Host: addr, Path: "/" + strconv.Itoa(o.DB)}
	if o.Username != "" || o.Password != "" {
		u.User = url.UserPassword(o.Username, o.Password)
	}
	via, err := redisx.Open(u.String(), c.Prefix())
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() { via.Close() })
	return via
}
