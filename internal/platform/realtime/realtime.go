// Package realtime pushes live updates to browsers over one websocket per tab at /ws.
// Clients subscribe to rooms ("poll:42", "debate:7"); every message is encoded once and
// crosses server instances through Redis pub/sub, so a vote taken by one instance
// reaches viewers connected to another. Clients act over HTTP; the socket only pushes.
package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/redisx"
)

// Message is what travels to clients: {"type","room","seq","data"}.
type Message struct {
	Type string          `json:"type"`
	Room string          `json:"room,omitempty"`
	Seq  int64           `json:"seq,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
	Code string          `json:"code,omitempty"`
}

// Room is one kind of room ("poll", "debate"): who may watch it and its current state.
type Room interface {
	// Authorize says whether p may watch room id (an error with problem status 403
	// or 404 becomes {"type":"error","code":"forbidden"|"not_found"}).
	Authorize(ctx context.Context, p auth.Principal, id string) error
	// Snapshot is the room's whole current state, sent on (re)subscribe.
	Snapshot(ctx context.Context, id string) (msgType string, data any, err error)
}

// Close codes the server uses (4000–4999 is the application's range).
const (
	CloseSignedOut     = 4001 // the session ended: sign-out, password change, erasure
	CloseRightsChanged = 4003 // roles or standing changed: reconnect to be checked again
	CloseTooSlow       = 4008 // the client could not keep up; reconnect and resync
	CloseGoingAway     = 1001 // the server is shutting down
)

// Limits of one connection.
const (
	sendQueue = 64
	maxRooms  = 50
	// A subscribe message names at most this many rooms; a connection that had more
	// than maxRefused subscriptions refused, or asked for more than maxAsked in all
	// (a tab resubscribes only after a gap), is closed: each one costs a snapshot.
	maxRoomsPerMessage = 10
	maxRefused         = 30
	maxAsked           = 500
	readLimit          = 4096
	// A tab sends a handful of messages a minute (subscriptions after a page load or a
	// gap, pings); a connection sending more than floodBurst within floodWindow is
	// flooding and is closed, so it cannot keep a reader busy for others' cost.
	floodBurst  = 60
	floodWindow = 10 * time.Second
	pingEvery   = 25 * time.Second
	pongWait    = 60 * time.Second
	writeWait   = 10 * time.Second
	slowGrace   = time.Second // how long a dropped slow client has to take its close frame
	channelName = "rt"
)

// Metrics are the hub's instruments (either may be nil).
type Metrics struct {
	Connections prometheus.Gauge   // open sockets on this instance
	SlowDrops   prometheus.Counter // sockets closed because they could not keep up
}

// Hub holds this instance's connections and relays messages from Redis to them.
type Hub struct {
	rdb       *redisx.Client
	log       *slog.Logger
	gauge     prometheus.Gauge
	drops     prometheus.Counter
	coalesced map[string]bool

	mu     sync.RWMutex
	kinds  map[string]Room
	cached map[string]bool // kinds whose snapshots are shared (RegisterCached)
	rooms  map[string]map[*conn]struct{}
	conns  map[*conn]struct{}
	closed bool

	localSeq sync.Map // room → *int64, used only while Redis is down
	snaps    snapshots
	stop     chan struct{}
	stopOnce sync.Once
}

// New builds a hub. coalesced names message types for which only the newest pending
// one matters (tallies): a busy client gets the latest, not a backlog.
func New(rdb *redisx.Client, log *slog.Logger, m Metrics, coalesced ...string) *Hub {
	h := &Hub{rdb: rdb, log: log, gauge: m.Connections, drops: m.SlowDrops, coalesced: map[string]bool{},
		kinds: map[string]Room{}, cached: map[string]bool{}, rooms: map[string]map[*conn]struct{}{}, conns: map[*conn]struct{}{}}
	for _, t := range coalesced {
		h.coalesced[t] = true
	}
	h.stop = make(chan struct{})
	go h.pinger()
	return h
}

// pinger asks every connection to send a ping every pingEvery (the reader's deadline
// moves with each pong), until Shutdown.
func (h *Hub) pinger() {
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			h.mu.RLock()
			all := make([]*conn, 0, len(h.conns))
			for c := range h.conns {
				all = append(all, c)
			}
			h.mu.RUnlock()
			for _, c := range all {
				c.pingLater()
			}
		}
	}
}

// Register makes rooms "kind:<id>" available.
func (h *Hub) Register(kind string, r Room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.kinds[kind] = r
}

// RegisterCached makes rooms "kind:<id>" available and shares their snapshots: one
// read serves every viewer who subscribes while the room's sequence number stays the
// same (a hall of phones reconnecting at once costs one read, not one each). Only for
// rooms whose every change is published: a change not yet in a shared snapshot then
// publishes after it, under a newer number, and reaches the new viewer live.
func (h *Hub) RegisterCached(kind string, r Room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.kinds[kind] = r
	h.cached[kind] = true
}

func (h *Hub) channel() string { return h.rdb.Key(channelName) }

func (h *Hub) seqKey(room string) string {
	kind, id, _ := strings.Cut(room, ":")
	return h.rdb.Key("rt", kind, "{"+id+"}", "seq")
}

func (h *Hub) versionKey(room string) string {
	kind, id, _ := strings.Cut(room, ":")
	return h.rdb.Key("rt", kind, "{"+id+"}", "version")
}

// envelope is what instances exchange over Redis: a ready-encoded client message, or a
// control order to close sessions' sockets.
type envelope struct {
	Room       string          `json:"room,omitempty"`
	Type       string          `json:"type,omitempty"`
	Message    json.RawMessage `json:"message,omitempty"`
	EndUser    int64           `json:"end_user,omitempty"`
	EndSession []int64         `json:"end_sessions,omitempty"`
	EndCode    int             `json:"end_code,omitempty"` // CloseSignedOut when 0
}

// Publish sends a message to everyone watching room, on every instance. The room's
// sequence number is taken and the message published in one Redis script, so every
// instance's viewers get messages in the order of their numbers; if Redis is down the
// message still reaches this instance's viewers (with a local number; a gap makes
// clients resync).
func (h *Hub) Publish(ctx context.Context, room, msgType string, data any) error {
	return h.publish(ctx, room, msgType, "", data)
}

// PublishLatest publishes a state message that carries a version (a tally): one whose
// version is not newer than the last one published for the room, by any instance, is
// dropped, so viewers never see a state go back. Versions count within an epoch (the
// thing's creation time): a new epoch starts afresh, so a room id reused by another
// database is not held back by old versions.
func (h *Hub) PublishLatest(ctx context.Context, room, msgType string, epoch, version int64, data any) error {
	return h.publish(ctx, room, msgType, strconv.FormatInt(epoch, 10)+":"+strconv.FormatInt(version, 10), data)
}

// publishScript: KEYS seq, version; ARGV channel, envelope before the seq, after it,
// "epoch:version" ("" for none). Returns the seq used, or 0 when the version was not
// newer in its epoch.
var publishScript = redis.NewScript(`
if ARGV[4] ~= '' then
  local epoch, version = string.match(ARGV[4], '^(%d+):(%d+)$')
  local last = redis.call('GET', KEYS[2])
  if last then
    local lastEpoch, lastVersion = string.match(last, '^(%d+):(%d+)$')
    if lastEpoch == epoch and tonumber(version) <= tonumber(lastVersion) then return 0 end
  end
  redis.call('SET', KEYS[2], ARGV[4], 'EX', 86400)
end
local seq = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], ARGV[2] .. seq .. ARGV[3])
return seq
`)

func (h *Hub) publish(ctx context.Context, room, msgType, version string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	// The envelope {"room","type","message":{"type","room","seq","data"}} around the seq
	// Redis assigns.
	head := `{"room":` + quote(room) + `,"type":` + quote(msgType) + `,"message":{"type":` + quote(msgType) +
		`,"room":` + quote(room) + `,"seq":`
	tail := `,"data":` + string(raw) + `}}`
	err = publishScript.Run(ctx, h.rdb, []string{h.seqKey(room), h.versionKey(room)}, h.channel(), head, tail, version).Err()
	if err == nil {
		return nil
	}
	h.log.Warn("realtime: Redis publish failed, delivering on this instance only", "room", room, "error", err)
	msg, merr := json.Marshal(Message{Type: msgType, Room: room, Seq: h.nextLocalSeq(room), Data: raw})
	if merr != nil {
		return merr
	}
	h.deliver(room, msgType, msg)
	return nil
}

func (h *Hub) nextLocalSeq(room string) int64 {
	v, _ := h.localSeq.LoadOrStore(room, new(int64))
	return atomic.AddInt64(v.(*int64), 1)
}

// Seq is the room's latest sequence number: a page rendered with it can tell, when its
// script subscribes, whether messages were published in between.
func (h *Hub) Seq(ctx context.Context, room string) int64 { return h.currentSeq(ctx, room) }

// currentSeq is the room's latest sequence number, sent with snapshots.
func (h *Hub) currentSeq(ctx context.Context, room string) int64 {
	n, err := h.rdb.Get(ctx, h.seqKey(room)).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		if v, ok := h.localSeq.Load(room); ok {
			return atomic.LoadInt64(v.(*int64))
		}
	}
	return n
}

// EndSessions closes the sockets of a person's ended sessions on every instance (all of
// the person's sockets when ids is empty).
func (h *Hub) EndSessions(ctx context.Context, userID int64, ids []int64) {
	h.end(ctx, userID, ids, CloseSignedOut)
}

// Recheck closes a person's sockets (CloseRightsChanged) after their roles or standing
// changed: rooms were authorised when the socket subscribed, so the client reconnects
// and is checked again.
func (h *Hub) Recheck(ctx context.Context, userID int64) {
	h.end(ctx, userID, nil, CloseRightsChanged)
}

func (h *Hub) end(ctx context.Context, userID int64, ids []int64, code int) {
	env, _ := json.Marshal(envelope{EndUser: userID, EndSession: ids, EndCode: code})
	if err := h.rdb.Publish(ctx, h.channel(), env).Err(); err != nil {
		h.endLocal(userID, ids, code)
	}
}

func (h *Hub) endLocal(userID int64, ids []int64, code int) {
	h.mu.RLock()
	var victims []*conn
	for c := range h.conns {
		if c.principal.UserID != userID {
			continue
		}
		if len(ids) == 0 || containsID(ids, c.principal.SessionID) {
			victims = append(victims, c)
		}
	}
	h.mu.RUnlock()
	text := map[int]string{CloseSignedOut: "signed out", CloseRightsChanged: "rights changed"}[code]
	for _, c := range victims {
		c.close(code, text)
	}
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// Run relays messages from Redis to this instance's connections until ctx ends,
// resubscribing after a Redis failure.
func (h *Hub) Run(ctx context.Context) {
	for ctx.Err() == nil {
		sub := h.rdb.Subscribe(ctx, h.channel())
		ch := sub.Channel(redis.WithChannelHealthCheckInterval(10 * time.Second))
		for m := range ch {
			var env envelope
			if err := json.Unmarshal([]byte(m.Payload), &env); err != nil {
				continue
			}
			if env.EndUser != 0 {
				code := env.EndCode
				if code == 0 {
					code = CloseSignedOut
				}
				h.endLocal(env.EndUser, env.EndSession, code)
				continue
			}
			h.deliver(env.Room, env.Type, env.Message)
		}
		_ = sub.Close()
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// deliver hands one encoded message to every local viewer of room.
func (h *Hub) deliver(room, msgType string, msg []byte) {
	coalesce := h.coalesced[msgType]
	key := room + "\x00" + msgType
	// One frame for every viewer: server frames are unmasked, so all get the same bytes.
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, msg)
	if err != nil {
		return
	}
	h.mu.RLock()
	viewers := make([]*conn, 0, len(h.rooms[room]))
	for c := range h.rooms[room] {
		viewers = append(viewers, c)
	}
	h.mu.RUnlock()
	for _, c := range viewers {
		c.deliver(room, key, pm, coalesce)
	}
}

func (h *Hub) add(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	if h.gauge != nil {
		h.gauge.Inc()
	}
	return true
}

func (h *Hub) remove(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.conns[c]; !ok {
		return
	}
	delete(h.conns, c)
	for room := range c.rooms {
		delete(h.rooms[room], c)
		if len(h.rooms[room]) == 0 {
			delete(h.rooms, room)
			h.snaps.forget(room)
		}
	}
	if h.gauge != nil {
		h.gauge.Dec()
	}
}

func (h *Hub) join(c *conn, room string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, live := h.conns[c]; !live {
		return false // the connection ended while its subscription was being checked
	}
	if h.rooms[room] == nil {
		h.rooms[room] = map[*conn]struct{}{}
	}
	h.rooms[room][c] = struct{}{}
	c.rooms[room] = true
	return true
}

func (h *Hub) leave(c *conn, room string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.rooms[room], c)
	if len(h.rooms[room]) == 0 {
		delete(h.rooms, room)
		h.snaps.forget(room)
	}
	delete(c.rooms, room)
}

// Shutdown closes every connection with a close frame ("going away"), so clients
// reconnect to another instance; no new connection is accepted afterwards.
func (h *Hub) Shutdown() {
	h.stopOnce.Do(func() { close(h.stop) })
	h.mu.Lock()
	h.closed = true
	all := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		all = append(all, c)
	}
	h.mu.Unlock()
	for _, c := range all {
		c.close(CloseGoingAway, "server restarting")
	}
}

// Count is the number of open connections on this instance.
func (h *Hub) Count() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.conns)
}

func roomKind(room string) (kind, id string, ok bool) {
	kind, id, ok = strings.Cut(room, ":")
	if !ok || kind == "" || id == "" || len(room) > 100 {
		return "", "", false
	}
	// Ids are numbers: anything else could break the Redis hash tag around it.
	// Canonical numbers only ("42", not "+42" or "042"), so one poll is one room.
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
		return "", "", false
	}
	return kind, id, true
}

// Numbered is a Room kind whose ids are numbers ("debate:7"): the id is read once, here,
// for both questions a room answers.
type Numbered struct {
	Allow func(ctx context.Context, p auth.Principal, id int64) error
	State func(ctx context.Context, id int64) (msgType string, data any, err error)
}

// Authorize asks Allow about the numbered room.
func (n Numbered) Authorize(ctx context.Context, p auth.Principal, id string) error {
	x, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return problem.NotFound()
	}
	return n.Allow(ctx, p, x)
}

// Snapshot asks State for the numbered room's state.
func (n Numbered) Snapshot(ctx context.Context, id string) (string, any, error) {
	x, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return "", nil, problem.NotFound()
	}
	return n.State(ctx, x)
}
