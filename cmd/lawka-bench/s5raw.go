package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
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
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
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
	w.WriteHeader(http.StatusNoContent)
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
	srv := &http.Server{Addr: *addr, Handler: mux}
	go func() {
		<-ctx.Done()
		// Going away, as lawka's hub says on shutdown.
		s.mu.Lock()
		for c := range s.conns {
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "restarting"),
				time.Now().Add(time.Second))
		}
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
	c, err := startChild(name, filepath.Join(b.opt.work, name+".log"), childEnv(), b.self, "bcast-server", "-addr", addr)
	if err != nil {
		return server{}, err
	}
	s := server{child: c, addr: addr}
	if err := waitHTTP(ctx, c, s.url("/healthz"), 30*time.Second); err != nil {
		c.stop(5 * time.Second)
		return server{}, err
	}
	return s, nil
}

// publishRaw posts one recorded message to the baseline server.
func publishRaw(client *http.Client, s server, room string, msg []byte) error {
	resp, err := client.Post(s.url("/publish?room="+room), "application/json", bytes.NewReader(msg))
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("publish: status %d", resp.StatusCode)
	}
	return nil
}

// s5Raw is the baseline: the messages the recording client received from lawka during
// the live run, replayed at the same moments through the bare broadcast server to as
// many clients; then the same reconnect storm against it (restarted, its snapshots
// given back from memory).
func (b *bench) s5Raw(ctx context.Context, id int64, rec *recording) (LiveRun, StormRun, error) {
	o := b.opt
	live := LiveRun{System: "bare broadcast", Clients: o.s5Clients}
	storm := StormRun{System: "bare broadcast", Clients: o.s5Reconnects, Rooms: 2}
	rec.mu.Lock()
	msgs := rec.msgs
	rec.mu.Unlock()
	if len(msgs) == 0 {
		return live, storm, fmt.Errorf("the recording client received nothing to replay")
	}
	rooms := s5Rooms(id)
	roomOf := map[string]string{"state": rooms[0], "board": rooms[1]}
	srv, err := b.startBcast(ctx, "s5-bcast", "")
	if err != nil {
		return live, storm, err
	}
	defer func() { srv.stop(10 * time.Second) }()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	// The rooms' snapshots: the first recorded message of each.
	seeded := map[string]bool{}
	for _, m := range msgs {
		if !seeded[m.room] {
			seeded[m.room] = true
			if err := publishRaw(client, srv, roomOf[m.room], m.msg); err != nil {
				return live, storm, err
			}
		}
	}
	var pubBoard, pubState sync.Map // version / seq → mono() of the publication
	look := func(m *sync.Map) func(int64) int64 {
		return func(k int64) int64 {
			if v, ok := m.Load(k); ok {
				return v.(int64)
			}
			return 0
		}
	}
	sh := &s5Shared{boardSent: look(&pubBoard)}
	url := "ws://" + srv.addr + "/ws"
	t0 := time.Now()
	list, fails := dialAll(ctx, o.s5Clients, 64, 60*time.Second, func(ctx context.Context, k int) (*audience, error) {
		return dialAudience(ctx, url, rooms, sh, nil)
	})
	live.ConnectTime, live.Connected, live.ConnectFails = time.Since(t0), len(list), fails
	b.logf("  %d/%d clients subscribed in %s", len(list), o.s5Clients, live.ConnectTime.Round(time.Millisecond))
	m := StartCPU([]int{srv.pid()}, 0, b.opt.dbName)
	sh.recording.Store(true)
	first := msgs[0].at
	start := mono()
	var final int64
	for _, r := range msgs {
		if wait := start + (r.at - first) - mono(); wait > 0 {
			time.Sleep(time.Duration(wait))
		}
		late := time.Duration(mono() - (start + r.at - first))
		live.ReplayLag = max(live.ReplayLag, late)
		if late > 50*time.Millisecond {
			live.ReplayLate++
		}
		if r.room == "board" {
			i := bytes.Index(r.msg, boardData)
			v, _ := scanInt(r.msg[max(i, 0):], `"version":`)
			final = max(final, v)
			pubBoard.LoadOrStore(v, mono())
		} else {
			i := bytes.Index(r.msg, stateData)
			s, _ := scanInt(r.msg[max(i, 0):], `"seq":`)
			pubState.LoadOrStore(s, mono())
		}
		if err := publishRaw(client, srv, roomOf[r.room], r.msg); err != nil {
			return live, storm, err
		}
		live.Replayed++
	}
	lastAck := time.Now()
	deadline := time.Now().Add(5 * time.Second)
	for {
		behind := 0
		for _, a := range list {
			if a.board.Load() < final && !a.closed() {
				behind++
			}
		}
		live.Behind = behind
		if behind == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	live.Settled, live.Settle = live.Behind == 0, time.Since(lastAck)
	sh.recording.Store(false)
	live.CPU = m.Stop()
	live.BoardP50, live.BoardP99, live.BoardMax = sh.board.quantile(0.5), sh.board.quantile(0.99), sh.board.quantile(1)
	live.StateP50, live.StateP99, live.StateMax = stateLatency(list, look(&pubState))
	live.BoardBytes = sh.boardSize.Load()
	errs := map[string]int{}
	for _, a := range list {
		if a.closed() {
			live.Disconnected++
			errs[clip([]byte(fmt.Sprint(a.err)), 100)]++
		}
		live.Boards += atomic.LoadInt64(&a.boards)
		live.States += atomic.LoadInt64(&a.states)
		live.Gaps += atomic.LoadInt64(&a.gaps)
	}
	live.DisconnectErr = strings.Join(counted(errs), "; ")
	b.logf("  replayed %d messages (latest %s late); board→client p50 %s p99 %s over %d, state→client p50 %s p99 %s over %d; %d disconnected, %d behind",
		live.Replayed, ms(live.ReplayLag), ms(live.BoardP50), ms(live.BoardP99), live.Boards, ms(live.StateP50), ms(live.StateP99), live.States, live.Disconnected, live.Behind)

	// The storm: restart in place, give the snapshots back, everyone at once.
	t1 := time.Now()
	srv.stop(10 * time.Second)
	for _, a := range list {
		<-a.done
		if a.goingAway {
			storm.GoingAway++
		}
	}
	closeAudience(list)
	if srv, err = b.startBcast(ctx, "s5-bcast-restarted", srv.addr); err != nil {
		return live, storm, err
	}
	lastOf := map[string][]byte{}
	for _, r := range msgs {
		lastOf[r.room] = r.msg
	}
	for room, msg := range lastOf {
		if err := publishRaw(client, srv, roomOf[room], msg); err != nil {
			return live, storm, err
		}
	}
	storm.Restart = time.Since(t1)
	sh2 := &s5Shared{boardSent: func(int64) int64 { return 0 }}
	clients, cpu, err := b.storm(ctx, &storm, url, rooms, sh2, []int{srv.pid()}, nil)
	if err != nil {
		return live, storm, err
	}
	storm.CPU = cpu
	closeAudience(clients)
	return live, storm, nil
}
