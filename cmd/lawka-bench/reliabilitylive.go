package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"lawka/internal/platform/faultproxy"
)

// redisCutMidCommand: the server reaches Redis through a TCP proxy of the suite, which
// for two seconds resets connections right after a command has gone through (Redis
// did it; the server never hears back). Tallies may drift; reconciliation with
// PostgreSQL must bring the drift back to 0.
func (r *reliability) redisCutMidCommand(ctx context.Context, n int) relRow {
	row := relRow{Name: "Network to Redis cut mid-command",
		Done:     fmt.Sprintf("%s voters vote as above through a server that reaches Redis via a TCP proxy; when a third have their answer, for 2 s the proxy resets every connection just after a command went through (Redis carried it out, the server never learns it)", num(float64(n))),
		Expected: "acknowledged votes lost 0, counted twice 0; tally drift 0 after reconciliation"}
	proxy, err := faultproxy.Start(fmt.Sprintf("127.0.0.1:%d", r.b.redisPort))
	if err != nil {
		return failed(row.Name, row.Done, row.Expected, err)
	}
	defer proxy.Close()
	s, p, err := r.stormSetup(ctx, "rel-redis-cut", "LAWKA_REDIS_URL=redis://"+proxy.Addr()+"/0")
	if err != nil {
		return failed(row.Name, row.Done, row.Expected, err)
	}
	defer s.stop(10 * time.Second)
	var cuts atomic.Int64
	st := r.voteStorm(ctx, func() string { return s.addr }, p, n, func(*storm) {
		until := time.Now().Add(2 * time.Second)
		for time.Now().Before(until) {
			proxy.ResetAfterRequest(1)
			cuts.Add(1)
			time.Sleep(20 * time.Millisecond)
		}
		proxy.ResetAfterRequest(0)
	})
	end := time.Now()
	c, err := r.checkBallots(ctx, p, st)
	if err != nil {
		return failed(row.Name, row.Done, row.Expected, err)
	}
	took, equal := r.converge(ctx, s, p, end, 90*time.Second)
	row.OK = c.Lost == 0 && c.Twice == 0 && c.GaveUp == 0 && equal && st.unknown.Load() == 0
	row.Measured = c.sentence(st) + fmt.Sprintf(" The proxy was armed %d times. Tally drift after the storm: %s (%s until the public total equalled PostgreSQL).",
		cuts.Load(), map[bool]string{true: "0", false: "not back to 0"}[equal], secs(took))
	return row
}

// viewer is a browser tab watching a poll's tally, reconnecting as live.js does.
type viewer struct {
	addr       func() string
	room       string
	total      atomic.Int64
	connected  atomic.Bool
	reconnects atomic.Int64
	drops      atomic.Int64
	backAt     atomic.Int64        // unix nanos of the latest reconnection
	lat        func(time.Duration) // records a tally's latency (nil: not recorded)
	sent       *voteClock
}

// voteClock is when each vote left, in sending order: a tally with total T is late by
// now minus the moment the T-th vote left (an upper bound).
type voteClock struct {
	mu sync.Mutex
	at []time.Time
}

func (v *voteClock) sentAt(total int64) (time.Time, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if total < 1 || int(total) > len(v.at) {
		return time.Time{}, false
	}
	return v.at[total-1], true
}

func (v *viewer) run(ctx context.Context) {
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			// live.js: jittered backoff from half a second.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(200+attempt%5*100) * time.Millisecond):
			}
		}
		h := http.Header{}
		h.Set("Origin", publicURL)
		conn, _, err := dialer.DialContext(ctx, "ws://"+v.addr()+"/ws", h)
		if err != nil {
			continue
		}
		_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"subscribe","rooms":["`+v.room+`"]}`))
		if attempt > 0 {
			v.reconnects.Add(1)
			v.backAt.Store(time.Now().UnixNano())
		}
		attempt = 0
		v.connected.Store(true)
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				break
			}
			if !strings.Contains(string(msg), `"type":"poll.tally"`) {
				continue
			}
			if t, ok := scanInt(msg, `"total":`); ok {
				v.total.Store(t)
				if v.lat != nil && v.sent != nil {
					if at, ok := v.sent.sentAt(t); ok {
						v.lat(time.Since(at))
					}
				}
			}
		}
		stop()
		conn.Close()
		v.connected.Store(false)
		if ctx.Err() == nil {
			v.drops.Add(1)
		}
		attempt = 1
	}
}

// instanceKilled: two servers share PostgreSQL and Redis, tabs watch a poll on each;
// one server is killed with kill -9 and started again a second later.
func (r *reliability) instanceKilled(ctx context.Context, _ int) relRow {
	const perInstance, rate, runFor = 100, 100, 9 * time.Second
	row := relRow{Name: "Two instances, one killed",
		Done:     fmt.Sprintf("two servers; %d websocket tabs on each watch a poll while %d votes/s arrive through the first; after 3 s the second server is killed with `kill -9` and started again 1 s later on its address; its tabs reconnect as the browser does", perInstance, rate),
		Expected: "tabs on the surviving server not disconnected and their tally latency unchanged; tabs of the killed one reconnect and resync: every tab ends on PostgreSQL's total"}
	a, p, err := r.stormSetup(ctx, "rel-two-a")
	if err != nil {
		return failed(row.Name, row.Done, row.Expected, err)
	}
	defer a.stop(10 * time.Second)
	b, err := r.b.startLawka(ctx, "rel-two-b")
	if err != nil {
		return failed(row.Name, row.Done, row.Expected, err)
	}
	var bMu sync.Mutex
	defer func() { bMu.Lock(); b.stop(10 * time.Second); bMu.Unlock() }()
	room := "poll:" + strconv.FormatInt(p.ID, 10)
	clock := &voteClock{}
	before, after := &histogram{}, &histogram{}
	var recordAfter atomic.Bool
	vctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var tabs []*viewer
	var wg sync.WaitGroup
	for i := range 2 * perInstance {
		v := &viewer{room: room, sent: clock}
		if i%2 == 0 {
			v.addr = func() string { return a.addr }
			v.lat = func(d time.Duration) {
				if recordAfter.Load() {
					after.record(d)
				} else {
					before.record(d)
				}
			}
		} else {
			addr := b.addr
			v.addr = func() string { return addr }
		}
		tabs = append(tabs, v)
		wg.Add(1)
		go func() { defer wg.Done(); v.run(vctx) }()
	}
	waitConnected(tabs, 30*time.Second) // every tab subscribed before votes start
	var killedAt, restartedAt time.Time
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		time.Sleep(3 * time.Second)
		bMu.Lock()
		defer bMu.Unlock()
		killedAt = time.Now()
		_ = b.cmd.Process.Signal(syscall.SIGKILL)
		<-b.done
		recordAfter.Store(true)
		time.Sleep(time.Second)
		nb, err := r.b.startLawkaAt(ctx, "rel-two-b-restarted", b.addr)
		if err != nil {
			row.Notes = append(row.Notes, "restart failed: "+err.Error())
			return
		}
		b, restartedAt = nb, time.Now()
	}()
	acked := r.steadyVotes(ctx, a, p, rate, runFor, clock) // through the surviving server
	<-restarted
	var db int64
	_ = r.b.pool.QueryRow(ctx, `SELECT count(*) FROM ballots WHERE poll_id = $1`, p.ID).Scan(&db)
	settleTabs(tabs, db, 10*time.Second) // the last tallies arrive
	cancel()
	wg.Wait()
	var survivorsDropped, killedBack, wrong int64
	var lastBack time.Time
	for i, v := range tabs {
		if v.total.Load() != db {
			wrong++
		}
		if i%2 == 0 {
			survivorsDropped += v.drops.Load()
			continue
		}
		if v.reconnects.Load() > 0 {
			killedBack++
			if t := time.Unix(0, v.backAt.Load()); t.After(lastBack) {
				lastBack = t
			}
		}
	}
	row.OK = survivorsDropped == 0 && killedBack == perInstance && wrong == 0 && acked == db &&
		after.quantile(0.99) <= 2*before.quantile(0.99)+50*time.Millisecond
	back := "—"
	if !restartedAt.IsZero() && !lastBack.IsZero() {
		back = secs(max(lastBack.Sub(restartedAt), 0)) // tabs may be back the moment it listens, before start returns
	}
	row.Measured = fmt.Sprintf("%d votes acknowledged, %d ballots in PostgreSQL. Tabs on the surviving server: disconnected %d times; tally latency p99 %s before the kill, %s after it (p50 %s, %s). Tabs of the killed server: %d of %d reconnected (the last %s after it was started again, %s after the kill). Tabs ending on a total other than PostgreSQL's: %d of %d.",
		acked, db, survivorsDropped, ms(before.quantile(0.99)), ms(after.quantile(0.99)), ms(before.quantile(0.5)), ms(after.quantile(0.5)),
		killedBack, perInstance, back, secs(lastBack.Sub(killedAt)), wrong, len(tabs))
	return row
}

// offenders: among tabs watching a poll while votes arrive, one client floods the
// server with frames and one subscribes and then never reads (its socket buffers
// shrunk to the minimum). The others must not notice; the flooder must be dropped.
func (r *reliability) offenders(ctx context.Context, _ int) relRow {
	const tabsN, rate, runFor = 100, 100, 8 * time.Second
	row := relRow{Name: "A slow websocket client and a flooding one",
		Done:     fmt.Sprintf("%d tabs watch a poll while %d votes/s arrive; after 3 s one more client sends frames as fast as it can and another subscribes, then stops reading (its receive buffer at the minimum)", tabsN, rate),
		Expected: "the flooder is dropped; the slow client never slows the others (it is dropped once its socket is full, or holds only the newest tally); the others' tally latency unchanged"}
	s, p, err := r.stormSetup(ctx, "rel-offenders")
	if err != nil {
		return failed(row.Name, row.Done, row.Expected, err)
	}
	defer s.stop(10 * time.Second)
	room := "poll:" + strconv.FormatInt(p.ID, 10)
	clock := &voteClock{}
	before, after := &histogram{}, &histogram{}
	var offending atomic.Bool
	vctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var tabs []*viewer
	var wg sync.WaitGroup
	for range tabsN {
		v := &viewer{room: room, sent: clock, addr: func() string { return s.addr }, lat: func(d time.Duration) {
			if offending.Load() {
				after.record(d)
			} else {
				before.record(d)
			}
		}}
		tabs = append(tabs, v)
		wg.Add(1)
		go func() { defer wg.Done(); v.run(vctx) }()
	}
	waitConnected(tabs, 30*time.Second)
	flood, slow := make(chan offence, 1), make(chan offence, 1)
	go func() {
		time.Sleep(3 * time.Second)
		offending.Store(true)
		go func() { flood <- r.flooder(vctx, s) }()
		go func() { slow <- r.slowReader(vctx, s, room) }()
	}()
	acked := r.steadyVotes(ctx, s, p, rate, runFor, clock)
	var db int64
	_ = r.b.pool.QueryRow(ctx, `SELECT count(*) FROM ballots WHERE poll_id = $1`, p.ID).Scan(&db)
	settleTabs(tabs, db, 10*time.Second)
	fl := <-flood
	cancel()
	sl := <-slow
	wg.Wait()
	var dropped, wrong int64
	for _, v := range tabs {
		dropped += v.drops.Load()
		if v.total.Load() != db {
			wrong++
		}
	}
	slowText := fmt.Sprintf("dropped (close %d) %s after it stopped reading", sl.code, secs(sl.after))
	if sl.code == 0 {
		slowText = fmt.Sprintf("still connected when the run ended, %s after it stopped reading (tallies are coalesced: the server holds only the newest one for it)", secs(sl.after))
	}
	row.OK = fl.code == 1008 && dropped == 0 && wrong == 0 && acked == db && after.quantile(0.99) <= 2*before.quantile(0.99)+50*time.Millisecond
	row.Measured = fmt.Sprintf("Flooder: closed with %d after %d frames, %s after it started. Slow client: %s. The %d other tabs: disconnected %d times; tally latency p99 %s before, %s while the offenders were on (p50 %s, %s); %d ended on a total other than PostgreSQL's %d (%d votes acknowledged).",
		fl.code, fl.frames, secs(fl.after), slowText, tabsN, dropped, ms(before.quantile(0.99)), ms(after.quantile(0.99)),
		ms(before.quantile(0.5)), ms(after.quantile(0.5)), wrong, db, acked)
	return row
}

// flooder sends pings as fast as it can until the server closes the socket.
func (r *reliability) flooder(ctx context.Context, s server) (o offence) {
	h := http.Header{}
	h.Set("Origin", publicURL)
	conn, _, err := dialer.DialContext(ctx, "ws://"+s.addr+"/ws", h)
	if err != nil {
		return o
	}
	defer conn.Close()
	start := time.Now()
	var frames atomic.Int64
	go func() {
		for ctx.Err() == nil && conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`)) == nil {
			frames.Add(1)
		}
	}()
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				o.code = ce.Code
			}
			o.after, o.frames = time.Since(start), int(frames.Load())
			return o
		}
	}
}

// offence is how an offending client ended: the close code the server sent (0: none),
// when, and how many frames it had sent.
type offence struct {
	code   int
	after  time.Duration
	frames int
}

// slowReader subscribes to room and then stops reading, with the smallest receive
// buffer the kernel allows, until the server drops it or ctx ends.
func (r *reliability) slowReader(ctx context.Context, s server, room string) (o offence) {
	d := dialer
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(1024)
		}
		return c, err
	}
	h := http.Header{}
	h.Set("Origin", publicURL)
	conn, _, err := d.DialContext(ctx, "ws://"+s.addr+"/ws", h)
	if err != nil {
		return o
	}
	defer conn.Close()
	_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"subscribe","rooms":["`+room+`"]}`))
	start := time.Now()
	// Not reading: the only way to learn the server gave up is a failing write.
	for ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second)); err != nil {
			o.code, o.after = 1, time.Since(start)
			break
		}
	}
	if o.code == 0 {
		o.after = time.Since(start)
		return o
	}
	// Read what is left to find the server's close frame.
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				o.code = ce.Code
			}
			return o
		}
	}
}

// waitConnected waits until every tab is connected (or the timeout passes).
func waitConnected(tabs []*viewer, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		all := true
		for _, v := range tabs {
			all = all && v.connected.Load()
		}
		if all {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settleTabs waits until every tab shows total (or the timeout passes).
func settleTabs(tabs []*viewer, total int64, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ok := true
		for _, v := range tabs {
			ok = ok && v.total.Load() == total
		}
		if ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// steadyVotes sends rate votes a second for runFor through s (open loop, each voter
// retrying until stored), noting when each left; it returns how many were acknowledged.
func (r *reliability) steadyVotes(ctx context.Context, s server, p poll, rate int, runFor time.Duration, clock *voteClock) int64 {
	client := &http.Client{Timeout: 5 * time.Second}
	n := int64(rate) * int64(runFor/time.Second)
	base := r.voters.Add(n) - n
	var acked atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := int64(0); i < n; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); wait > 0 {
			time.Sleep(wait)
		}
		g := base + i + 1
		clock.mu.Lock()
		clock.at = append(clock.at, time.Now())
		clock.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code := r.voteUntilStored(ctx, client, func() string { return s.addr }, p, p.Options[int(g)%len(p.Options)],
				"rel-"+strconv.FormatInt(g, 10), fmt.Sprintf("10.%d.%d.%d", g>>16&255, g>>8&255, g&255), &storm{}); code == http.StatusCreated {
				acked.Add(1)
			}
		}()
	}
	wg.Wait()
	return acked.Load()
}
