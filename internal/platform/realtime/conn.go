package realtime

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	fws "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/problem"
)

// conn is one browser tab: one reader and one writer goroutine, a bounded queue, and
// a slot per coalesced stream where only the newest message waits.
type conn struct {
	hub       *Hub
	ws        *websocket.Conn
	principal auth.Principal
	rooms     map[string]bool // guarded by hub.mu

	send chan *websocket.PreparedMessage

	mu      sync.Mutex
	latest  map[string]*websocket.PreparedMessage // the newest message of each coalesced stream
	spare   map[string]*websocket.PreparedMessage // the other map, swapped in by the writer (no garbage per message)
	wake    chan struct{}
	done    chan struct{}
	once    sync.Once
	closeAt struct {
		code int
		text string
	}
}

// offer queues msg; a client whose queue is full is too slow and is dropped (it will
// reconnect and resync) instead of slowing the room down.
func (c *conn) offer(msg *websocket.PreparedMessage) {
	select {
	case c.send <- msg:
	case <-c.done:
	default:
		c.dropSlow()
	}
}

// dropSlow closes a client that cannot keep up. A write to it may be blocked on a full
// socket: it gets slowGrace to finish instead of the usual writeWait.
func (c *conn) dropSlow() {
	c.once.Do(func() {
		c.mu.Lock()
		c.closeAt.code, c.closeAt.text = CloseTooSlow, "too slow"
		c.mu.Unlock()
		if c.hub.drops != nil {
			c.hub.drops.Inc()
		}
		_ = c.ws.NetConn().SetWriteDeadline(time.Now().Add(slowGrace))
		close(c.done)
	})
}

// offerLatest keeps only the newest message of a stream waiting for this client.
func (c *conn) offerLatest(key string, msg *websocket.PreparedMessage) {
	c.mu.Lock()
	c.latest[key] = msg
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// close ends the connection once, with a close frame sent by the writer.
func (c *conn) close(code int, text string) {
	c.once.Do(func() {
		c.mu.Lock()
		c.closeAt.code, c.closeAt.text = code, text
		c.mu.Unlock()
		close(c.done)
	})
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
	c := &conn{hub: h, ws: ws, principal: p, rooms: map[string]bool{}, send: make(chan *websocket.PreparedMessage, sendQueue),
		latest: map[string]*websocket.PreparedMessage{}, spare: map[string]*websocket.PreparedMessage{},
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	if !h.add(c) {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(CloseGoingAway, "server restarting"),
			time.Now().Add(writeWait))
		return
	}
	defer h.remove(c)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		c.read()
	}()
	c.write()
	// The server closes the connection only after serve returns, and the reader must be
	// gone by then (fasthttp reuses the hijacked connection's struct): wake it with a
	// past deadline and wait.
	_ = ws.SetReadDeadline(time.Now())
	<-readDone
}

// clientMessage is what a client may send.
type clientMessage struct {
	Type  string   `json:"type"`
	Rooms []string `json:"rooms"`
}

func (c *conn) read() {
	defer c.close(websocket.CloseNormalClosure, "")
	c.ws.SetReadLimit(readLimit)
	_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		kind, raw, err := c.ws.ReadMessage()
		if err != nil {
			if websocket.IsCloseError(err, websocket.CloseMessageTooBig) || err == websocket.ErrReadLimit {
				c.close(websocket.CloseMessageTooBig, "message too big")
			}
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
			for _, room := range m.Rooms {
				c.subscribe(room)
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
func (c *conn) subscribe(room string) {
	kind, id, ok := roomKind(room)
	c.hub.mu.RLock()
	r, known := c.hub.kinds[kind]
	n := len(c.rooms)
	c.hub.mu.RUnlock()
	if !ok || !known {
		c.reply(Message{Type: "error", Room: room, Code: "not_found"})
		return
	}
	if n >= maxRooms {
		c.reply(Message{Type: "error", Room: room, Code: "too_many_rooms"})
		return
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
		return
	}
	// Join before reading the state, so nothing published in between is missed; the
	// client ignores live messages older than the snapshot's seq.
	if !c.hub.join(c, room) {
		return
	}
	seq := c.hub.currentSeq(ctx, room)
	msgType, data, err := r.Snapshot(ctx, id)
	if err != nil {
		c.hub.leave(c, room)
		c.reply(Message{Type: "error", Room: room, Code: "unavailable"})
		return
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return
	}
	c.reply(Message{Type: "subscribed", Room: room})
	c.reply(Message{Type: msgType, Room: room, Seq: seq, Data: raw})
}

func (c *conn) write() {
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	defer c.ws.Close()
	writeMsg := func(msg *websocket.PreparedMessage) bool {
		select {
		case <-c.done:
			return false // closing: the close frame goes next
		default:
		}
		_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
		return c.ws.WritePreparedMessage(msg) == nil
	}
	for {
		select {
		case msg := <-c.send:
			if !writeMsg(msg) {
				// A failed write ends the connection; one refused because it is closing
				// leaves the close frame to the done case below.
				c.close(websocket.CloseAbnormalClosure, "")
			}
		case <-c.wake:
			c.mu.Lock()
			pending := c.latest
			c.latest, c.spare = c.spare, nil
			c.mu.Unlock()
			for _, msg := range pending {
				if !writeMsg(msg) {
					c.close(websocket.CloseAbnormalClosure, "")
					break
				}
			}
			clear(pending)
			c.mu.Lock()
			c.spare = pending
			c.mu.Unlock()
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				c.close(websocket.CloseAbnormalClosure, "")
				return
			}
		case <-c.done:
			c.mu.Lock()
			code, text := c.closeAt.code, c.closeAt.text
			c.mu.Unlock()
			wait := writeWait
			if code == CloseTooSlow {
				wait = slowGrace
			}
			if code != websocket.CloseAbnormalClosure {
				_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(wait))
			}
			return
		}
	}
}
