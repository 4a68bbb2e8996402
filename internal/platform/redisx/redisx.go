// Package redisx connects to Redis (live tallies, pub/sub, rate limits, sessions) and
// builds its keys. Nothing stored here is the only copy: every value can be rebuilt
// from PostgreSQL.
package redisx

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"lawka/internal/platform/backoff"
)

// Client is a go-redis client plus the key prefix of this deployment (tests get their own).
type Client struct {
	*redis.Client
	prefix string
}

// Open builds a client without connecting; prefix ("" in production) goes before every key.
func Open(url, prefix string) (*Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("LAWKA_REDIS_URL: %w", err)
	}
	opt.DialTimeout = 3 * time.Second
	opt.ReadTimeout = 2 * time.Second
	opt.WriteTimeout = 2 * time.Second
	// A caller's deadline bounds the command: a hung Redis must not hold up a request
	// longer than the caller allows (votes wait for it only briefly).
	opt.ContextTimeoutEnabled = true
	return &Client{Client: redis.NewClient(opt), prefix: prefix}, nil
}

// Key joins parts into a key under the client's prefix. Callers wrap the id that groups
// a feature's keys in a hash tag ("poll", "{42}", "tally") so they stay on one Cluster slot.
func (c *Client) Key(parts ...string) string {
	return c.prefix + strings.Join(parts, ":")
}

// Prefix is the namespace of this client's keys.
func (c *Client) Prefix() string { return c.prefix }

// WaitReady pings until Redis answers, backing off and saying what it waits for.
func WaitReady(ctx context.Context, c *Client, log *slog.Logger) error {
	return backoff.Retry(ctx, func(ctx context.Context) error {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return c.Ping(pctx).Err()
	}, func(err error, next time.Duration) {
		log.Warn("waiting for Redis", "at", c.Options().Addr, "db", c.Options().DB,
			"cause", err.Error(), "retry_in", next.String())
	})
}
