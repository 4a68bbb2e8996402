package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// bcast is the S5 baseline server: a bare websocket broadcast. A client subscribes to
// rooms by name and gets the room's last message from memory as its snapshot; a POST to
// /publish?room=R hands the body, encoded once, to every subscriber's queue (64 deep: a
// client whose queue is full is dropped, as lawka drops slow clients). No database, no
// Redis, no checks.
type bcast struct {
	mu    sync.Mutex
	rooms map[string]map[*bconn]struct{}
	last  map[string]*websocket.PreparedMessage
	conns map[*bconn]struct{}
}

type bconn struct {
	ws   *websocket.Conn
	mu   sync.Mutex // offers and the close of out
	out  chan *websocket.PreparedMessage
	dead bool
}

func (c *bconn) kill() {
	c.mu.Lock()
	if !c.dead {
		c.dead = true
		close(c.out)
	}
	c.mu.Unlock()
}

func (c *bconn) offer(pm *websocket.PreparedMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return
	}
	select {
	case c.out <- pm:
	default: // too slow
		c.dead = true
		close(c.out)
	}
}

func (c *bconn) write() {
	for pm := range c.out {
		_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if c.ws.WritePreparedMessage(pm) != nil {
			c.kill()
			break
		}
	}
	_ = c.ws.Close()
	for range c.out { // drain after a failed write
	}
}

func (s *bcast) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &bconn{ws: ws, out: make(chan *websocket.PreparedMessage, 64)}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	go c.write()
	go s.read(c)
}

func (s *bcast) read(c *bconn) {
	defer func() {
		s.mu.Lock()
		for _, set := range s.rooms {
			delete(set, c)
		}
		delete(s.conns, c)
		s.mu.Unlock()
		c.kill() // the writer closes the socket once the queue is closed
	}()
	c.ws.SetReadLimit(4096)
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var m clientMsg
		if json.Unmarshal(msg, &m) != nil || m.Type != "subscribe" {
			continue
		}
		for _, room := range m.Rooms {
			sub, _ := websocket.NewPreparedMessage(websocket.TextMessage, []byte(`{"type":"subscribed","room":`+quoteJSON(room)+`}`))
			s.mu.Lock() // under the lock: no publication slips between the snapshot and joining
			c.offer(sub)
			if last := s.last[room]; last != nil {
				c.offer(last)
			}
			if s.rooms[room] == nil {
				s.rooms[room] = map[*bconn]struct{}{}
			}
			s.rooms[room][c] = struct{}{}
			s.mu.Unlock()
		}
	}
}

type clientMsg struct {
	Type  string   `json:"type"`
	Rooms []string `json:"rooms"`
}

func quoteJSON(s string) string { b, _ := json.Marshal(s); return string(b) }

func (s *bcast) publish(w http.ResponseWriter, r *http.Request) {
	room := r.URL.Query().Get("room")
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil || room == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if err := s.broadcast(room, body); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// publishWS takes publications as websocket frames, "room\n" then the message: cheaper
// for the tool than a request each.
func (s *bcast) publishWS(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	for {
		_, frame, err := ws.ReadMessage()
		if err != nil {
			return
		}
		room, msg, ok := bytes.Cut(frame, []byte("\n"))
		if ok {
			_ = s.broadcast(string(room), msg)
		}
	}
}

// broadcast encodes msg once, keeps it as room's snapshot and offers it to every viewer.
func (s *bcast) broadcast(room string, msg []byte) error {
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, msg)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.last[room] = pm
	viewers := make([]*bconn, 0, len(s.rooms[room]))
	for c := range s.rooms[room] {
		viewers = append(viewers, c)
	}
	s.mu.Unlock()
	for _, c := range viewers {
		c.offer(pm)
	}
	return nil
}

func runBcastServer(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bcast-server", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s := &bcast{rooms: map[string]map[*bconn]struct{}{}, last: map[string]*websocket.PreparedMessage{}, conns: map[*bconn]struct{}{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("/ws", s.serveWS)
	mux.HandleFunc("/publish", s.publish)
	mux.HandleFunc("/publish-ws", s.publishWS)
	srv := &http.Server{Addr: *addr, Handler: mux}
	go func() {
		<-ctx.Done()
		// Going away, as lawka's hub says on shutdown (all at once: a slow client must
		// not hold up the others).
		s.mu.Lock()
		var wg sync.WaitGroup
		for c := range s.conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "restarting"),
					time.Now().Add(time.Second))
				_ = c.ws.Close()
			}()
		}
		wg.Wait()
		s.mu.Unlock()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

// startBcast starts the baseline server on addr ("": a free port).
func (b *bench) startBcast(ctx context.Context, name, addr string) (server, error) {
	if addr == "" {
		port, err := freePort()
		if err != nil {
			return server{}, err
		}
		addr = fmt.Sprintf("127.0.0.1:%d", port)
	}
	return b.startBaselineAt(ctx, name, "bcast-server", addr)
}

// msgTemplate is one of lawka's messages with its two numbers left out: the room's seq
// and the board's version (or the state's seq).
type msgTemplate struct {
	room, head, mid, tail string
}

func (t msgTemplate) build(dst []byte, seq, n int64) []byte {
	dst = append(dst, t.room...)
	dst = append(dst, '\n')
	dst = append(dst, t.head...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, t.mid...)
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, t.tail...)
}

// s5Samples reads the debate's board and state as lawka publishes them (the same JSON),
// for the baseline to send the same bytes.
func (b *bench) s5Samples(ctx context.Context, s server, id int64) (board, state msgTemplate, err error) {
	rooms := s5Rooms(id)
	var q struct {
		Items json.RawMessage `json:"items"`
	}
	if err = b.api(ctx, s, http.MethodGet, fmt.Sprintf("/api/v1/debates/%d/questions", id), nil, &q); err != nil {
		return
	}
	board = msgTemplate{room: rooms[1], head: `{"type":"debate.questions","room":` + quoteJSON(rooms[1]) + `,"seq":`,
		mid: `,"data":{"version":`, tail: `,"items":` + string(q.Items) + `}}`}
	var d struct {
		Debate struct {
			State json.RawMessage `json:"state"`
		} `json:"debate"`
	}
	if err = b.api(ctx, s, http.MethodGet, fmt.Sprintf("/api/v1/debates/%d", id), nil, &d); err != nil {
		return
	}
	raw := string(d.Debate.State)
	prefix := fmt.Sprintf(`{"debate_id":%d,"seq":`, id)
	if !strings.HasPrefix(raw, prefix) {
		return board, state, fmt.Errorf("unexpected state JSON: %s", clip(d.Debate.State, 100))
	}
	rest := strings.TrimLeft(raw[len(prefix):], "0123456789")
	state = msgTemplate{room: rooms[0], head: `{"type":"debate.state","room":` + quoteJSON(rooms[0]) + `,"seq":`,
		mid: `,"data":` + prefix, tail: rest + `}`}
	return board, state, nil
}

// s5Raw is the baseline: the load lawka was offered, as the messages lawka would send
// for it (its own board and state, as the API gave them after the run), published
// through the bare broadcast server to as many clients: a board for every question and
// upvote at their rates, a state for every console action. Then the same reconnect
// storm against it (restarted, its snapshots given back from memory).
func (b *bench) s5Raw(ctx context.Context, id int64, board, state msgTemplate) (LiveRun, StormRun, error) {
	o := b.opt
	live := LiveRun{System: "bare broadcast", Clients: o.s5Clients}
	storm := StormRun{System: "bare broadcast", Clients: o.s5Reconnects, Rooms: 2}
	rooms := s5Rooms(id)
	srv, err := b.startBcast(ctx, "s5-bcast", "")
	if err != nil {
		return live, storm, err
	}
	defer func() { srv.stop(10 * time.Second) }()
	pub, err := dialPublisher(ctx, srv)
	if err != nil {
		return live, storm, err
	}
	const v0, s0 = 1000, 1000
	var buf []byte
	snapshots := func() error { // the rooms' snapshots, as a restarted lawka would read them
		for _, m := range [][]byte{board.build(nil, 1, v0), state.build(nil, 1, s0)} {
			if err := pub.WriteMessage(websocket.TextMessage, m); err != nil {
				return err
			}
		}
		return nil
	}
	if err := snapshots(); err != nil {
		return live, storm, err
	}
	nChanges := int(o.s5AskRate*o.s5Dur.Seconds()) + int(o.s5VoteRate*o.s5Dur.Seconds())
	nStates := int(2 * o.s5ModRate * o.s5Dur.Seconds())
	pubBoard, pubState := make([]int64, nChanges+1), make([]int64, nStates+1)
	at := func(list []int64, base int64) func(int64) int64 {
		return func(k int64) int64 {
			if k-base < 1 || k-base >= int64(len(list)) {
				return 0
			}
			return atomic.LoadInt64(&list[k-base])
		}
	}
	sh := &s5Shared{boardSent: at(pubBoard, v0)}
	url := "ws://" + srv.addr + "/ws"
	t0 := time.Now()
	list, fails := dialAll(ctx, o.s5Clients, 64, 60*time.Second, func(ctx context.Context, k int) (*audience, error) {
		return dialAudience(ctx, url, rooms, sh)
	})
	live.ConnectTime, live.Connected, live.ConnectFails = time.Since(t0), len(list), fails
	b.logf("  %d/%d clients subscribed in %s", len(list), o.s5Clients, live.ConnectTime.Round(time.Millisecond))
	m := StartCPU([]int{srv.pid()}, 0, b.opt.dbName)
	sh.recording.Store(true)
	// One schedule, boards at the questions' and upvotes' rate and states at the
	// consoles', sent in time order over the publishing socket.
	boardEvery := time.Duration(float64(time.Second) / (o.s5AskRate + o.s5VoteRate))
	stateEvery := time.Duration(float64(time.Second) / (2 * o.s5ModRate))
	start := mono()
	kb, ks := 1, 1
	for (kb <= nChanges || ks <= nStates) && ctx.Err() == nil {
		nextB, nextS := start+int64(kb)*int64(boardEvery), start+int64(ks)*int64(stateEvery)
		isBoard := ks > nStates || (kb <= nChanges && nextB <= nextS)
		due := nextS
		if isBoard {
			due = nextB
		}
		if wait := due - mono(); wait > 0 {
			time.Sleep(time.Duration(wait))
		}
		late := time.Duration(mono() - due)
		live.ReplayLag = max(live.ReplayLag, late)
		if late > 50*time.Millisecond {
			live.ReplayLate++
		}
		if isBoard {
			atomic.StoreInt64(&pubBoard[kb], mono())
			buf = board.build(buf[:0], int64(kb)+1, v0+int64(kb))
			kb++
		} else {
			atomic.StoreInt64(&pubState[ks], mono())
			buf = state.build(buf[:0], int64(ks)+1, s0+int64(ks))
			ks++
		}
		if err := pub.WriteMessage(websocket.TextMessage, buf); err != nil {
			return live, storm, err
		}
		live.Replayed++
	}
	final := int64(v0 + nChanges)
	live.settle(list, final, time.Now())
	sh.recording.Store(false)
	live.CPU = m.Stop()
	live.StateP50, live.StateP99, live.StateMax = stateLatency(list, at(pubState, s0))
	live.tally(list, sh)
	b.logf("  published %d messages (latest %s late); board→client p50 %s p99 %s over %d, state→client p50 %s p99 %s over %d; %d disconnected, %d behind",
		live.Replayed, ms(live.ReplayLag), ms(live.BoardP50), ms(live.BoardP99), live.Boards, ms(live.StateP50), ms(live.StateP99), live.States, live.Disconnected, live.Behind)

	// The storm: restart in place, give the snapshots back, everyone at once.
	t1 := time.Now()
	_ = pub.Close()
	srv.stop(10 * time.Second)
	storm.Stop = time.Since(t1)
	storm.stopped(list)
	if srv, err = b.startBcast(ctx, "s5-bcast-restarted", srv.addr); err != nil {
		return live, storm, err
	}
	if pub, err = dialPublisher(ctx, srv); err != nil {
		return live, storm, err
	}
	defer pub.Close()
	if err := snapshots(); err != nil {
		return live, storm, err
	}
	storm.Restart = time.Since(t1)
	sh2 := &s5Shared{boardSent: func(int64) int64 { return 0 }}
	clients, cpu, err := b.storm(ctx, &storm, url, rooms, sh2, []int{srv.pid()}, nil)
	if err != nil {
		return live, storm, err
	}
	storm.CPU = cpu
	closeAll(clients)
	return live, storm, nil
}

func dialPublisher(ctx context.Context, s server) (*websocket.Conn, error) {
	conn, _, err := dialer.DialContext(ctx, "ws://"+s.addr+"/publish-ws", nil)
	return conn, err
}
