package poll

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"lawka/internal/platform/redisx"
)

// Live tallies in Redis: one hash per poll ("poll:{42}:tally") with the counts, the
// sequence number of the last change they include, and the poll's epoch (its creation
// time), so a tally left by another database's poll 42 is never taken for this one. PostgreSQL numbers every committed
// change per poll; a change reaches Redis as a delta with its number, and the script
// applies deltas strictly in order and each once: a retried command (go-redis retries by
// itself) finds its number already applied, a delta that arrives before an earlier one
// waits in "poll:{42}:pending". A lost delta leaves a gap that the reconciler closes by
// rebuilding from PostgreSQL.

// applyScript: KEYS tally, pending; ARGV epoch, seq, "field n field n …".
// Returns the sequence number now applied, or -1 when the tally is missing or belongs
// to another poll of the same id (another database: the epoch differs) and must be
// rebuilt.
var applyScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then return -1 end
local cur = tonumber(redis.call('HGET', KEYS[1], 'seq'))
if not cur then return -1 end
local seq = tonumber(ARGV[2])
if seq > cur then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  redis.call('EXPIRE', KEYS[2], 86400)
end
` + drainPending + `
return cur
`)

// rebuildScript: KEYS tally, pending; ARGV epoch, seq, field, value, …
// Replaces the tally with PostgreSQL's counts unless Redis already holds a later one of
// the same poll, then applies any waiting deltas that follow. Returns the sequence
// number applied.
var rebuildScript = redis.NewScript(`
local same = redis.call('HGET', KEYS[1], 'epoch') == ARGV[1]
local cur = tonumber(redis.call('HGET', KEYS[1], 'seq'))
local seq = tonumber(ARGV[2])
if same and cur and cur > seq then return cur end
if not same then redis.call('DEL', KEYS[2]) end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'seq', seq)
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], 604800)
for _, f in ipairs(redis.call('HKEYS', KEYS[2])) do
  if tonumber(f) <= seq then redis.call('HDEL', KEYS[2], f) end
end
cur = seq
` + drainPending + `
return cur
`)

// drainPending applies the waiting deltas that follow cur, in order.
const drainPending = `
while true do
  local nxt = tostring(cur + 1)
  local d = redis.call('HGET', KEYS[2], nxt)
  if not d then break end
  local field = nil
  for tok in string.gmatch(d, '%S+') do
    if field then redis.call('HINCRBY', KEYS[1], field, tok); field = nil else field = tok end
  end
  redis.call('HDEL', KEYS[2], nxt)
  cur = cur + 1
end
redis.call('HSET', KEYS[1], 'seq', cur)
`

// liveTallies reads and writes the Redis side.
type liveTallies struct {
	rdb *redisx.Client
}

// redisWait bounds how long a vote's answer waits for Redis: a slow or absent Redis must
// not hold up votes that are already committed (the reconciler catches up later).
const redisWait = time.Second

func (l liveTallies) keys(id int64) []string {
	tag := "{" + strconv.FormatInt(id, 10) + "}"
	return []string{l.rdb.Key("poll", tag, "tally"), l.rdb.Key("poll", tag, "pending")}
}

// apply adds a committed change; missing reports that the tally must be rebuilt.
func (l liveTallies) apply(ctx context.Context, id, epoch, seq int64, d delta) (missing bool, err error) {
	cur, err := applyScript.Run(ctx, l.rdb, l.keys(id), epoch, seq, d.encode()).Int64()
	return cur < 0, err
}

// rebuild writes PostgreSQL's counts (unless Redis already holds later ones).
func (l liveTallies) rebuild(ctx context.Context, id int64, c counts) error {
	return rebuildScript.Run(ctx, l.rdb, l.keys(id), append([]any{c.Epoch, c.Seq}, c.fields()...)...).Err()
}

// forget deletes a poll's tally and waiting deltas.
func (l liveTallies) forget(ctx context.Context, id int64) error {
	return l.rdb.Del(ctx, l.keys(id)...).Err()
}

// read returns the Redis tally; ok is false when there is none.
func (l liveTallies) read(ctx context.Context, id int64, optionIDs []int64) (counts, bool, error) {
	h, err := l.rdb.HGetAll(ctx, l.keys(id)[0]).Result()
	if err != nil {
		return counts{}, false, err
	}
	c, ok := countsFromHash(h, optionIDs)
	return c, ok, nil
}

// publishToken lets one instance publish a poll's tally at most every interval, so a
// room gets about ten tallies a second however many instances take its votes.
func (l liveTallies) publishToken(ctx context.Context, id int64, every time.Duration) (bool, error) {
	tag := "{" + strconv.FormatInt(id, 10) + "}"
	return l.rdb.SetNX(ctx, l.rdb.Key("poll", tag, "published"), 1, every).Result()
}
