package server_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"lawka/internal/platform/realtime"
	"lawka/internal/server/servertest"
)

// TestDebateHallSubscribingAtOnce: a hall of phones subscribing to a debate's state and
// question board at the same moment (as after a restart) all get both snapshots, and
// PostgreSQL answers far fewer queries than there are phones: who may watch is
// remembered per debate and the snapshots are shared, not read once per phone.
func TestDebateHallSubscribingAtOnce(t *testing.T) {
	t.Parallel()
	trace := &pageQueries{}
	s := servertest.Start(t, servertest.Options{DBTracer: trace})
	id := upcomingDebate(t, s)
	rooms := []string{fmt.Sprintf("debate:%d", id), fmt.Sprintf("debate-questions:%d", id)}
	const phones = 200
	conns := make([]*websocket.Conn, phones)
	for i := range conns {
		conns[i] = mustDial(t, s, "")
	}
	trace.on.Store(true)
	var wg sync.WaitGroup
	got := make([]map[string]string, phones)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = map[string]string{}
			if err := c.WriteJSON(map[string]any{"type": "subscribe", "rooms": rooms}); err != nil {
				return
			}
			for len(got[i]) < len(rooms) {
				var m realtime.Message
				if err := c.ReadJSON(&m); err != nil {
					return
				}
				if m.Type != "subscribed" {
					got[i][m.Room] = m.Type
				}
			}
		}()
	}
	wg.Wait()
	trace.on.Store(false)
	for i, g := range got {
		if g[rooms[0]] != "debate.state" || g[rooms[1]] != "debate.questions" {
			t.Fatalf("phone %d got %v, want both snapshots", i, g)
		}
	}
	trace.mu.Lock()
	n := trace.n
	trace.mu.Unlock()
	t.Logf("%d phones subscribed to 2 rooms with %d queries", phones, n)
	if n >= phones/4 {
		t.Errorf("%d queries for %d phones: reads are not shared", n, phones)
	}
}
