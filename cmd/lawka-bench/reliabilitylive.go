package main

import (
	"context"
	"fmt"
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
	// Every tab subscribed and holding the snapshot before votes start.
	deadline := time.Now().Add(30 * time.Second)
	for {
		all := true
		for _, v := range tabs {
			all = all && v.connected.Load()
		}
		if all || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
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
	// Votes through the surviving server, open loop.
	client := &http.Client{Timeout: 5 * time.Second}
	var acked atomic.Int64
	var vwg sync.WaitGroup
	start := time.Now()
	base := r.voters.Add(int64(rate*runFor/time.Second)) - int64(rate*runFor/time.Second)
	for i := 0; time.Since(start) < runFor; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * time.Second / rate)); wait > 0 {
			time.Sleep(wait)
		}
		g := base + int64(i) + 1
		clock.mu.Lock()
		clock.at = append(clock.at, time.Now())
		clock.mu.Unlock()
		vwg.Add(1)
		go func() {
			defer vwg.Done()
			st := &storm{}
			if code := r.voteUntilStored(ctx, client, func() string { return a.addr }, p, p.Options[int(g)%len(p.Options)],
				"rel-"+strconv.FormatInt(g, 10), fmt.Sprintf("10.%d.%d.%d", g>>16&255, g>>8&255, g&255), st); code == http.StatusCreated {
				acked.Add(1)
			}
		}()
	}
	vwg.Wait()
	<-restarted
	var db int64
	_ = r.b.pool.QueryRow(ctx, `SELECT count(*) FROM ballots WHERE poll_id = $1`, p.ID).Scan(&db)
	// Every tab ends on PostgreSQL's total (up to 10 s for the last tallies to arrive).
	settled := time.Now().Add(10 * time.Second)
	for time.Now().Before(settled) {
		ok := true
		for _, v := range tabs {
			ok = ok && v.total.Load() == db
		}
		if ok {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
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
	row.OK = survivorsDropped == 0 && killedBack == perInstance && wrong == 0 && acked.Load() == db &&
		after.quantile(0.99) <= 2*before.quantile(0.99)+50*time.Millisecond
	back := "—"
	if !restartedAt.IsZero() && !lastBack.IsZero() {
		back = secs(lastBack.Sub(restartedAt))
	}
	row.Measured = fmt.Sprintf("%d votes acknowledged, %d ballots in PostgreSQL. Tabs on the surviving server: disconnected %d times; tally latency p99 %s before the kill, %s after it (p50 %s, %s). Tabs of the killed server: %d of %d reconnected (the last %s after it was started again, %s after the kill). Tabs ending on a total other than PostgreSQL's: %d of %d.",
		acked.Load(), db, survivorsDropped, ms(before.quantile(0.99)), ms(after.quantile(0.99)), ms(before.quantile(0.5)), ms(after.quantile(0.5)),
		killedBack, perInstance, back, secs(lastBack.Sub(killedAt)), wrong, len(tabs))
	return row
}
