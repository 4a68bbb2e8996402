// Package ratelimit counts attempts per key in fixed windows in Redis, shared by every
// instance. When Redis fails, it falls back to a counter in this process, so sign-in is
// never left wide open: the limit then holds per instance instead of overall.
package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"lawka/internal/platform/redisx"
)

// Rule is "at most Limit attempts per Window".
type Rule struct {
	Name   string // part of the key, e.g. "login:email"
	Limit  int
	Window time.Duration
}

// Limiter applies rules.
type Limiter struct {
	rdb       *redisx.Client
	log       *slog.Logger
	mu        sync.Mutex
	local     map[string]*window
	lastSwept time.Time
	degraded  atomic.Bool // Redis failed on the last call
}

type window struct {
	count int
	ends  time.Time
}

// New builds a limiter over rdb.
func New(rdb *redisx.Client, log *slog.Logger) *Limiter {
	return &Limiter{rdb: rdb, log: log, local: map[string]*window{}}
}

// INCR and set the expiry in one step, so a key never lives forever.
var incr = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
`)

// Allow counts one attempt for subject under rule; when over the limit it returns
// false and how long until the window ends.
func (l *Limiter) Allow(ctx context.Context, rule Rule, subject string) (bool, time.Duration) {
	key := l.rdb.Key("ratelimit", rule.Name, "{"+subject+"}")
	res, err := incr.Run(ctx, l.rdb, []string{key}, rule.Window.Milliseconds()).Int64Slice()
	if err != nil || len(res) != 2 {
		// Said once per outage: every request of an outage would say it again.
		if !l.degraded.Swap(true) {
			l.log.Warn("rate limit: Redis unavailable, limiting in this process", "rule", rule.Name, "error", err)
		}
		return l.allowLocal(rule, key)
	}
	if l.degraded.Swap(false) {
		l.log.Info("rate limit: Redis available again")
	}
	if int(res[0]) > rule.Limit {
		return false, time.Duration(max(res[1], 1000)) * time.Millisecond
	}
	return true, 0
}

// Reset forgets the attempts of subject (after a successful sign-in, say).
func (l *Limiter) Reset(ctx context.Context, rule Rule, subject string) {
	key := l.rdb.Key("ratelimit", rule.Name, "{"+subject+"}")
	_ = l.rdb.Del(ctx, key).Err()
	l.mu.Lock()
	delete(l.local, key)
	l.mu.Unlock()
}

func (l *Limiter) allowLocal(rule Rule, key string) (bool, time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSwept) > time.Minute {
		for k, w := range l.local {
			if now.After(w.ends) {
				delete(l.local, k)
			}
		}
		l.lastSwept = now
	}
	w, ok := l.local[key]
	if !ok || now.After(w.ends) {
		w = &window{ends: now.Add(rule.Window)}
		l.local[key] = w
	}
	w.count++
	if w.count > rule.Limit {
		return false, max(w.ends.Sub(now), time.Second)
	}
	return true, 0
}
