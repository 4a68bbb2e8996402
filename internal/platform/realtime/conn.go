package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	fws "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/problem"
)

// conn is one browser tab. Its own goroutine only reads; writes are done by a shared
// pool of writers, for connections that have something to send, so an idle connection
// costs one parked goroutine and a few small buffers. Ordered messages wait in a
// bounded queue; a coalesced stream keeps only its newest message.
type conn struct {
	hub       *Hub
	ws        *websocket.Conn
	principal auth.Principal
	rooms     map[string]bool // guarded by hub.mu

	mu        sync.Mutex
	idle      sync.Cond // signalled (with mu) when a writer lets go of the connection
	queue     []*websocket.PreparedMessage
	latest    map[string]*websocket.PreparedMessage   // the newest message of each coalesced stream
	warming   map[string][]*websocket.PreparedMessage // live messages held back while a room's snapshot is read
	ping      bool
	scheduled bool // waiting for a writer, or being written by one
	closing   bool // nothing more is written but the close frame, by the reader
	// done: serve is returning, after which fasthttp reuses the hijacked connection's
	// struct; nobody may touch the net.Conn once it is set (set and checked with mu).
	done    bool
	refused int // subscriptions refused (reader only)
	asked   int // subscriptions asked for (reader only)
	// sent counts messages from the client since windowStart (reader only).
	sent        int
	windowStart time.Time
	code        int
	text        string
}

func newConn(h *Hub, ws *websocket.Conn, p auth.Principal) *conn {
	c := &conn{hub: h, ws: ws, principal: p, rooms: map[string]bool{}, latest: map[string]*websocket.PreparedMessage{}}
	c.idle.L = &c.mu
	return c
}

// offer queues msg; a client whose queue is full is too slow and is dropped (it will
// reconnect and resync) instead of slowing the room down.
func (c *conn) offer(msg *websocket.PreparedMessage) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if len(c.queue) >= sendQueue {
		c.mu.Unlock()
		c.dropSlow()
		return
	}
	// States waiting to be coalesced were published before msg: they go first, so the
	// client sees every room's messages in the order of their numbers.
	for key, state := range c.latest {
		c.queue = append(c.queue, state)
		delete(c.latest, key)
	}
	c.queue = append(c.queue, msg)
	c.scheduleLocked()
	c.mu.Unlock()
}

// offerLatest keeps only the newest message of a stream waiting for this client.
func (c *conn) offerLatest(key string, msg *websocket.PreparedMessage) {
	c.mu.Lock()
	if !c.closing {
		c.latest[key] = msg
		c.scheduleLocked()
	}
	c.mu.Unlock()
}

// pingLater asks a writer to send a ping.
func (c *conn) pingLater() {
	c.mu.Lock()
	if !c.closing {
		c.ping = true
		c.scheduleLocked()
	}
	c.mu.Unlock()
}

// scheduleLocked hands the connection to the writers unless one has it already.
func (c *conn) scheduleLocked() {
	if !c.scheduled {
		c.scheduled = true
		toWrite(c)
	}
}

// flush writes what waits for the connection until nothing does (a writer's job). A
// write that cannot finish in slowGrace means the client is not reading: it is dropped.
func (c *conn) flush() {
	var queue []*websocket.PreparedMessage
	latest := map[string]*websocket.PreparedMessage{}
	for {
		c.mu.Lock()
		if c.closing || len(c.queue) == 0 && len(c.latest) == 0 && !c.ping {
			c.scheduled = false
			c.idle.Broadcast()
			c.mu.Unlock()
			return
		}
		queue, c.queue = c.queue, queue[:0]
		latest, c.latest = c.latest, latest
		ping := c.ping
		c.ping = false
		c.mu.Unlock()

		ok := true
		deadline := time.Now().Add(slowGrace)
		if ping {
			ok = c.ws.WriteControl(websocket.PingMessage, nil, deadline) == nil
		}
		_ = c.ws.SetWriteDeadline(deadline)
		for _, msg := range queue {
			ok = ok && c.ws.WritePreparedMessage(msg) == nil
		}
		for _, msg := range latest {
			ok = ok && c.ws.WritePreparedMessage(msg) == nil
		}
		clear(queue)
		clear(latest)
		if !ok {
			c.dropSlow()
		}
	}
}

// close ends the connection once: nothing more is written but a close frame with code
// (none for CloseAbnormalClosure), which the reader sends after waking up.
func (c *conn) close(code int, text string) bool {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return false
	}
	c.closing, c.code, c.text = true, code, text
	c.queue, c.latest = nil, nil
	if !c.done {
		_ = c.ws.NetConn().SetReadDeadline(time.Now()) // wake the reader
	}
	c.mu.Unlock()
	return true
}

// dropSlow closes a client that cannot keep up; a write to it blocked on a full socket
// gets slowGrace at most.
func (c *conn) dropSlow() {
	if c.close(CloseTooSlow, "too slow") {
		if c.hub.drops != nil {
			c.hub.drops.Inc()
		}
		c.mu.Lock()
		if !c.done {
			_ = c.ws.NetConn().SetWriteDeadline(time.Now().Add(slowGrace))
		}
		c.mu.Unlock()
	}
}

func (c *conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// finish waits until no writer holds the connection, then sends the close frame.
func (c *conn) finish() {
	c.mu.Lock()
	for c.scheduled {
		c.idle.Wait()
	}
	code, text := c.code, c.text
	c.mu.Unlock()
	wait := writeWait
	if code == CloseTooSlow {
		wait = slowGrace
	}
	if code != websocket.CloseAbnormalClosure {
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(wait))
	}
}

// The writers: a few goroutines for every connection of the process, each writing one
// connection's waiting messages at a time.
var (
	writeQueue  chan *conn
	startWriter sync.Once
)

const writers = 16

func toWrite(c *conn) {
	startWriter.Do(func() {
		writeQueue = make(chan *conn, 1<<16)
		for range writers {
			go func() {
				for c := range writeQueue {
					c.flush()
				}
			}()
		}
	})
	select {
	case writeQueue <- c:
	default:
		go func() { writeQueue <- c }() // a backlog beyond the queue: wait without holding c.mu
	}
}

// PrincipalLocal is the Fiber local under which the server's middleware leaves the
// signed-in principal for the upgrade (the websocket keeps only string-keyed locals).
const PrincipalLocal = "lawka.realtime.principal"

// Handler upgrades /ws. origins is the allowlist (the public origin); an empty list
// would accept every origin, so it is refused here.
func (h *Hub) Handler(origins []string) fiber.Handler {
	if len(origins) == 0 {
		panic("realtime: an Origin allowlist is required")
	}
	upgrade := fws.New(func(ws *fws.Conn) {
		p, _ := ws.Locals(PrincipalLocal).(auth.Principal)
		h.serve(ws.Conn, p)
	}, fws.Config{Origins: origins, HandshakeTimeout: 10 * time.Second,
		// Clients send only small subscribe messages; write buffers are lent from a pool
		// while a message is written, so an idle connection holds none.
		ReadBufferSize: 512, WriteBufferPool: &sync.Pool{},
		RecoverHandler: func(ws *fws.Conn) {
			if r := recover(); r != nil {
				h.log.Error("realtime: panic in a connection", "panic", r)
			}
		}})
	return func(c *fiber.Ctx) error {
		if !fws.IsWebSocketUpgrade(c) {
			return fiber.ErrUpgradeRequired
		}
		if !slices.Contains(origins, c.Get(fiber.HeaderOrigin)) {
			return problem.Forbidden() // another site's page may not open a socket with our cookies
		}
		c.Locals(PrincipalLocal, auth.From(c))
		return upgrade(c)
	}
}

func (h *Hub) serve(ws *websocket.Conn, p auth.Principal) {
	c := newConn(h, ws, p)
	if !h.add(c) {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(CloseGoingAway, "server restarting"),
			time.Now().Add(writeWait))
		return
	}
	defer h.remove(c)
	// The server closes the connection once serve returns, and no writer may touch it
	// by then (fasthttp reuses the hijacked connection's struct): finish waits for them.
	c.read()
	c.finish()
	c.mu.Lock()
	c.done = true // closes from other goroutines (Shutdown, Recheck) leave it alone now
	c.mu.Unlock()
}

// clientMessage is what a client may send.
type clientMessage struct {
	Type  string   `json:"type"`
	Rooms []string `json:"rooms"`
}

func (c *conn) read() {
	c.ws.SetReadLimit(readLimit)
	_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error {
		if c.isClosing() {
			return errClosing // keep the past deadline close set
		}
		return c.ws.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		kind, raw, err := c.ws.ReadMessage()
		if err != nil {
			if websocket.IsCloseError(err, websocket.CloseMessageTooBig) || err == websocket.ErrReadLimit {
				c.close(websocket.CloseMessageTooBig, "message too big")
			}
			c.close(websocket.CloseAbnormalClosure, "") // when nothing else closed it first
			return
		}
		if c.isClosing() {
			return
		}
		if now := time.Now(); now.Sub(c.windowStart) > floodWindow {
			c.windowStart, c.sent = now, 0
		}
		if c.sent++; c.sent > floodBurst {
			c.close(websocket.ClosePolicyViolation, "too many messages")
			return
		}
		if kind != websocket.TextMessage {
			c.close(websocket.CloseUnsupportedData, "text frames only")
			return
		}
		var m clientMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			c.reply(Message{Type: "error", Code: "bad_request"})
			continue
		}
		switch m.Type {
		case "subscribe":
			// Every subscription costs the room's checks and snapshot: a few rooms per
			// message, and a client that keeps asking for rooms it may not see is closed.
			if len(m.Rooms) > maxRoomsPerMessage {
				c.reply(Message{Type: "error", Code: "too_many_rooms"})
				continue
			}
			c.asked += len(m.Rooms)
			for _, room := range m.Rooms {
				if !c.subscribe(room) {
					c.refused++
				}
			}
			if c.refused > maxRefused || c.asked > maxAsked {
				c.close(websocket.ClosePolicyViolation, "too many refused subscriptions")
				return
			}
		case "unsubscribe":
			for _, room := range m.Rooms {
				c.hub.leave(c, room)
			}
		case "ping":
			c.reply(Message{Type: "pong"})
		default:
			c.reply(Message{Type: "error", Code: "bad_request"})
		}
	}
}

func (c *conn) reply(m Message) {
	raw, err := json.Marshal(m)
	if err != nil {
		return
	}
	if pm, err := websocket.NewPreparedMessage(websocket.TextMessage, raw); err == nil {
		c.offer(pm)
	}
}

// subscribe checks the room and the viewer, joins, and sends "subscribed" then a
// snapshot with the room's current sequence number.
func (c *conn) subscribe(room string) bool {
	kind, id, ok := roomKind(room)
	c.hub.mu.RLock()
	r, known := c.hub.kinds[kind]
	shared := c.hub.cached[kind]
	n := len(c.rooms)
	c.hub.mu.RUnlock()
	if !ok || !known {
		c.reply(Message{Type: "error", Room: room, Code: "not_found"})
		return false
	}
	if n >= maxRooms {
		c.reply(Message{Type: "error", Room: room, Code: "too_many_rooms"})
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Authorize(ctx, c.principal, id); err != nil {
		code := "forbidden"
		if p, ok := problem.As(err); ok && p.Status == 404 {
			code = "not_found"
		} else if !ok {
			code = "unavailable"
		}
		c.reply(Message{Type: "error", Room: room, Code: code})
		return false
	}
	// Join before reading the state, so nothing published in between is missed; what
	// arrives meanwhile waits until "subscribed" and the snapshot are queued (the client
	// ignores live messages not newer than the snapshot's seq).
	c.warm(room)
	defer c.warmed(room)
	if !c.hub.join(c, room) {
		return true
	}
	seq := c.hub.currentSeq(ctx, room)
	read := func() (string, json.RawMessage, error) {
		msgType, data, err := r.Snapshot(ctx, id)
		if err != nil {
			return "", nil, err
		}
		raw, err := json.Marshal(data)
		return msgType, raw, err
	}
	var msgType string
	var raw json.RawMessage
	var err error
	if shared {
		msgType, raw, err = c.hub.snaps.get(room, seq, read)
	} else {
		msgType, raw, err = read()
	}
	if err != nil {
		c.hub.leave(c, room)
		c.reply(Message{Type: "error", Room: room, Code: "unavailable"})
		return true // our fault, not the client's
	}
	c.reply(Message{Type: "subscribed", Room: room})
	c.reply(Message{Type: msgType, Room: room, Seq: seq, Data: raw})
	return true
}

// warm holds back live messages for room while its snapshot is being read.
func (c *conn) warm(room string) {
	c.mu.Lock()
	if c.warming == nil {
		c.warming = map[string][]*websocket.PreparedMessage{}
	}
	c.warming[room] = []*websocket.PreparedMessage{}
	c.mu.Unlock()
}

// warmed queues what was held back for room, in order, after the snapshot.
func (c *conn) warmed(room string) {
	c.mu.Lock()
	held := c.warming[room]
	delete(c.warming, room)
	if !c.closing && len(held) > 0 {
		c.queue = append(c.queue, held...)
		c.scheduleLocked()
	}
	c.mu.Unlock()
}

// deliver gives a room's message to this client: held back while the room's snapshot
// is read, the newest only for a coalesced stream, in order otherwise.
func (c *conn) deliver(room, key string, msg *websocket.PreparedMessage, coalesce bool) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if held, warming := c.warming[room]; warming {
		if len(held) < sendQueue {
			c.warming[room] = append(held, msg)
		}
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if coalesce {
		c.offerLatest(key, msg)
	} else {
		c.offer(msg)
	}
}

var errClosing = errors.New("realtime: connection closing")
