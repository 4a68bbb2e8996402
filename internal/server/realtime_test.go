package server_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/realtime"
	"lawka/internal/server/servertest"
)

// counterRoom is a room kind for these tests: anyone signed in may watch "counter:<n>",
// "counter:999" is for admins; its snapshot is {"n":0}.
type counterRoom struct{}

func (counterRoom) Authorize(_ context.Context, p auth.Principal, id string) error {
	if id == "999" && !p.Has(auth.Admin) {
		return problem.Forbidden()
	}
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	return nil
}

func (counterRoom) Snapshot(context.Context, string) (string, any, error) {
	return "counter.state", map[string]int{"n": 0}, nil
}

func wsURL(s *servertest.Running) string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/ws" }

// dial opens a socket as a browser of the site would (its Origin), with a bearer token
// when given.
func dial(t *testing.T, s *servertest.Running, token string, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{"Origin": {origin}}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	return d.Dial(wsURL(s), h)
}

func mustDial(t *testing.T, s *servertest.Running, token string) *websocket.Conn {
	t.Helper()
	c, _, err := dial(t, s, token, s.Config.Origin())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readMsg(t *testing.T, c *websocket.Conn) realtime.Message {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m realtime.Message
	if err := c.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

func send(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	if err := c.WriteJSON(v); err != nil {
		t.Fatal(err)
	}
}

// closeCode waits for the server to close the socket and returns its close code.
func closeCode(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		t.Fatalf("socket ended without a close frame: %v", err)
	}
}

func apiToken(t *testing.T, s *servertest.Running, email string) string {
	t.Helper()
	a := s.API(t)
	a.Login(email, "lawka-demo-2026")
	return a.Token
}

func TestWebsocketRefusesAForeignOrigin(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	_, resp, err := dial(t, s, "", "https://evil.example")
	if err == nil {
		t.Fatal("a foreign Origin was accepted")
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("handshake answer %v, want 403", resp)
	}
	if _, _, err := dial(t, s, "", ""); err == nil {
		t.Fatal("a handshake without Origin was accepted")
	}
	if r := get(t, s.URL+"/ws"); r.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("plain GET /ws: %d, want 426", r.StatusCode)
	}
}

func TestSubscribeSnapshotAndRoomAuthorisation(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	s.Server.Hub().Register("counter", counterRoom{})

	visitor := mustDial(t, s, "")
	send(t, visitor, map[string]any{"type": "subscribe", "rooms": []string{"counter:1", "nosuch:1"}})
	for _, want := range []string{"counter:1", "nosuch:1"} {
		m := readMsg(t, visitor)
		if m.Type != "error" || m.Room != want || (m.Code != "forbidden" && m.Code != "not_found") {
			t.Fatalf("visitor subscribing %s: %+v", want, m)
		}
	}

	c := mustDial(t, s, apiToken(t, s, "resident@example.org"))
	send(t, c, map[string]any{"type": "subscribe", "rooms": []string{"counter:999"}})
	if m := readMsg(t, c); m.Type != "error" || m.Code != "forbidden" {
		t.Fatalf("resident subscribing to an admins' room: %+v", m)
	}
	send(t, c, map[string]any{"type": "subscribe", "rooms": []string{"counter:7"}})
	if m := readMsg(t, c); m.Type != "subscribed" || m.Room != "counter:7" {
		t.Fatalf("want subscribed, got %+v", m)
	}
	snap := readMsg(t, c)
	if snap.Type != "counter.state" || string(snap.Data) != `{"n":0}` {
		t.Fatalf("snapshot %+v", snap)
	}
	for i := 1; i <= 3; i++ {
		if err := s.Server.Hub().Publish(context.Background(), "counter:7", "counter.state", map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
		m := readMsg(t, c)
		if m.Seq != snap.Seq+int64(i) || m.Room != "counter:7" {
			t.Fatalf("live message %d: %+v (snapshot seq %d)", i, m, snap.Seq)
		}
	}
	send(t, c, "not an object")
	if m := readMsg(t, c); m.Type != "error" || m.Code != "bad_request" {
		t.Fatalf("malformed message: %+v", m)
	}
}

func TestMessagesCrossInstancesThroughRedis(t *testing.T) {
	a := servertest.Start(t, servertest.Options{})
	b := servertest.Start(t, servertest.Options{Share: a})
	for _, s := range []*servertest.Running{a, b} {
		s.Server.Hub().Register("counter", counterRoom{})
	}
	c := mustDial(t, b, apiToken(t, b, "resident@example.org"))
	send(t, c, map[string]any{"type": "subscribe", "rooms": []string{"counter:42"}})
	readMsg(t, c) // subscribed
	snap := readMsg(t, c)
	if err := a.Server.Hub().Publish(context.Background(), "counter:42", "counter.state", map[string]int{"n": 9}); err != nil {
		t.Fatal(err)
	}
	m := readMsg(t, c)
	if string(m.Data) != `{"n":9}` || m.Seq != snap.Seq+1 {
		t.Fatalf("message published on instance A, read on B: %+v", m)
	}
}

func TestSigningOutClosesThatSessionsSockets(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	a := s.API(t)
	a.Login("resident@example.org", "lawka-demo-2026")
	other := apiToken(t, s, "resident@example.org")
	c := mustDial(t, s, a.Token)
	keep := mustDial(t, s, other)

	if r := a.Do(http.MethodPost, "/api/v1/auth/logout", nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d", r.StatusCode)
	}
	if code := closeCode(t, c); code != realtime.CloseSignedOut {
		t.Fatalf("close code %d, want %d", code, realtime.CloseSignedOut)
	}
	// The person's other session keeps its socket.
	send(t, keep, map[string]any{"type": "ping"})
	if m := readMsg(t, keep); m.Type != "pong" {
		t.Fatalf("the other session's socket: %+v", m)
	}
}

func TestOversizedFrameClosesTheSocket(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := mustDial(t, s, "")
	big := `{"type":"subscribe","rooms":["` + strings.Repeat("x", 10000) + `"]}`
	if err := c.WriteMessage(websocket.TextMessage, []byte(big)); err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, c); code != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d, want %d", code, websocket.CloseMessageTooBig)
	}
}

// TestAFloodingClientIsClosed: a client that sends far more messages than a tab ever
// does (pings, answered each time) is closed with a policy violation, while a tab's
// usual traffic (a subscription, a few pings) is fine.
func TestAFloodingClientIsClosed(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	calm := mustDial(t, s, "")
	for range 10 {
		send(t, calm, map[string]any{"type": "ping"})
		if m := readMsg(t, calm); m.Type != "pong" {
			t.Fatalf("a calm client's ping got %+v", m)
		}
	}
	flood := mustDial(t, s, "")
	go func() { // the flooder never waits for answers
		for range 1000 {
			if flood.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`)) != nil {
				return
			}
		}
	}()
	if code := closeCode(t, flood); code != websocket.ClosePolicyViolation {
		t.Fatalf("flooding client: close code %d, want %d", code, websocket.ClosePolicyViolation)
	}
	send(t, calm, map[string]any{"type": "ping"})
	if m := readMsg(t, calm); m.Type != "pong" {
		t.Fatalf("the calm client after the flood: %+v", m)
	}
}

func TestShutdownSendsGoingAway(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := mustDial(t, s, "")
	send(t, c, map[string]any{"type": "ping"})
	readMsg(t, c)
	go func() { _ = s.Server.Shutdown(5 * time.Second) }()
	if code := closeCode(t, c); code != realtime.CloseGoingAway {
		t.Fatalf("close code %d, want %d", code, realtime.CloseGoingAway)
	}
}

// TestASlowClientIsDroppedAndOthersGetEverything: a client that stops reading is closed
// (4008) once its queue is full, while a client in the same room that keeps reading gets
// every message, in order.
func TestASlowClientIsDroppedAndOthersGetEverything(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	s.Server.Hub().Register("counter", counterRoom{})
	token := apiToken(t, s, "resident@example.org")
	healthy := mustDial(t, s, token)
	// The slow client's socket takes in almost nothing, so the server's queue fills.
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, NetDial: func(network, addr string) (net.Conn, error) {
		nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var err error
			_ = rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
			return err
		}}
		return nd.Dial(network, addr)
	}}
	slow, _, err := d.Dial(wsURL(s), http.Header{"Origin": {s.Config.Origin()}, "Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	for _, c := range []*websocket.Conn{healthy, slow} {
		send(t, c, map[string]any{"type": "subscribe", "rooms": []string{"counter:5"}})
		readMsg(t, c) // subscribed
	}
	snap := readMsg(t, healthy)
	readMsg(t, slow) // its snapshot; then it stops reading

	// Bursts smaller than the send queue (64): a client that reads keeps up by definition.
	const total, step = 1500, 50
	pad := strings.Repeat("ł", 4000) // 8 KB a message
	got := make(chan int64, total)
	go func() {
		defer close(got)
		for range total {
			_ = healthy.SetReadDeadline(time.Now().Add(30 * time.Second))
			var m realtime.Message
			if err := healthy.ReadJSON(&m); err != nil {
				return
			}
			got <- m.Seq
		}
	}()
	want := snap.Seq + 1
	for sent := 0; sent < total; sent += step {
		for i := range step {
			if err := s.Server.Hub().Publish(context.Background(), "counter:5", "counter.state",
				map[string]any{"n": sent + i, "pad": pad}); err != nil {
				t.Fatal(err)
			}
		}
		// The healthy client keeps up: never more than one step behind.
		for range step {
			seq, ok := <-got
			if !ok {
				t.Fatalf("the healthy client lost its socket after %d messages", want-snap.Seq-1)
			}
			if seq != want {
				t.Fatalf("healthy client: seq %d, want %d", seq, want)
			}
			want++
		}
	}

	// The slow client finds what was in flight, then the end of its socket.
	read := 0
	_ = slow.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		if _, _, err := slow.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != realtime.CloseTooSlow && ce.Code != websocket.CloseAbnormalClosure {
				t.Fatalf("slow client's socket ended with %v", err)
			}
			break
		}
		read++
	}
	if read >= total {
		t.Fatalf("the slow client got all %d messages: it was never dropped", read)
	}
	if m := get(t, s.URL+"/metrics"); !strings.Contains(m.body, "lawka_websocket_slow_drops_total 1\n") {
		t.Fatalf("the drop is not counted:\n%s", m.body)
	}
	t.Logf("slow client dropped after %d of %d messages", read, total)
}

// TestStateMessagesNeverGoBack: a versioned state published after a newer one (by a
// slower instance) is dropped, and takes no sequence number, so viewers see no gap.
func TestStateMessagesNeverGoBack(t *testing.T) {
	a := servertest.Start(t, servertest.Options{})
	b := servertest.Start(t, servertest.Options{Share: a})
	for _, s := range []*servertest.Running{a, b} {
		s.Server.Hub().Register("counter", counterRoom{})
	}
	c := mustDial(t, b, apiToken(t, b, "resident@example.org"))
	send(t, c, map[string]any{"type": "subscribe", "rooms": []string{"counter:8"}})
	readMsg(t, c) // subscribed
	snap := readMsg(t, c)
	ctx := context.Background()
	for _, p := range []struct {
		from           *servertest.Running
		epoch, version int64
	}{{a, 1, 5}, {b, 1, 4}, {a, 1, 5}, {b, 1, 6}, {a, 2, 1}} { // epoch 2: the id reused, versions start again
		if err := p.from.Server.Hub().PublishLatest(ctx, "counter:8", "counter.state", p.epoch, p.version,
			map[string]int64{"n": p.epoch*100 + p.version}); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []string{`{"n":105}`, `{"n":106}`, `{"n":201}`} {
		m := readMsg(t, c)
		if string(m.Data) != want || m.Seq != snap.Seq+int64(i)+1 {
			t.Fatalf("message %d: %s seq %d, want %s seq %d", i+1, m.Data, m.Seq, want, snap.Seq+int64(i)+1)
		}
	}
}

// TestSubscriptionsAreBounded: a message may name a few rooms, and a socket that keeps
// asking for rooms it may not see is closed (each one costs the server a lookup).
func TestSubscriptionsAreBounded(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	s.Server.Hub().Register("counter", counterRoom{})
	c := mustDial(t, s, "")
	many := make([]string, 11)
	for i := range many {
		many[i] = "counter:" + strconv.Itoa(i+1)
	}
	send(t, c, map[string]any{"type": "subscribe", "rooms": many})
	if m := readMsg(t, c); m.Type != "error" || m.Code != "too_many_rooms" {
		t.Fatalf("11 rooms in one message: %+v", m)
	}
	for i := 0; i < 4; i++ { // a visitor may not see counter rooms: 40 refusals
		send(t, c, map[string]any{"type": "subscribe", "rooms": many[:10]})
	}
	if code := closeCode(t, c); code != websocket.ClosePolicyViolation {
		t.Fatalf("close code %d, want %d", code, websocket.ClosePolicyViolation)
	}
}

// TestLosingARoleClosesTheSockets: a moderator watching a poll's staff room who stops
// being a moderator is disconnected (4003) and, reconnecting, may no longer enter it.
func TestLosingARoleClosesTheSockets(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	p, _ := newPoll(t, s, map[string]any{"question": "Kto patrzy?", "kind": "single", "options": []string{"A", "B"},
		"eligibility": "open", "results_visibility": "after_close"})
	room := fmt.Sprintf("pollwatch:%d", p.Poll.ID)
	token := apiToken(t, s, "moderator@example.org")
	c := mustDial(t, s, token)
	send(t, c, map[string]any{"type": "subscribe", "rooms": []string{room}})
	if m := readMsg(t, c); m.Type != "subscribed" {
		t.Fatalf("%+v", m)
	}
	readMsg(t, c) // snapshot
	admin := s.API(t)
	admin.Login("admin@example.org", "lawka-demo-2026")
	mod := scalar[int64](t, s, `SELECT id FROM users WHERE email = 'moderator@example.org'`)
	if r := admin.Do(http.MethodPut, fmt.Sprintf("/api/v1/admin/users/%d/roles", mod), map[string]any{"roles": []string{}, "reason": "koniec kadencji"}); r.StatusCode != http.StatusOK {
		t.Fatalf("taking the role: %d %s", r.StatusCode, r.Body)
	}
	if code := closeCode(t, c); code != realtime.CloseRightsChanged {
		t.Fatalf("close code %d, want %d", code, realtime.CloseRightsChanged)
	}
	again := mustDial(t, s, token)
	send(t, again, map[string]any{"type": "subscribe", "rooms": []string{room}})
	if m := readMsg(t, again); m.Type != "error" || m.Code != "forbidden" {
		t.Fatalf("a former moderator entering the staff room: %+v", m)
	}
}
