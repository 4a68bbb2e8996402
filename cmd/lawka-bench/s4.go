package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"
)

// PostRun is one S4 run: comments posted while pages are read and websocket clients
// watch, or the raw baseline (insert and publish, no server).
type PostRun struct {
	System       string
	Posts        Stats // acknowledgements of the posts
	Reads        Stats // page views meanwhile
	Watchers     int   // clients asked for
	Connected    int
	ConnectFails map[string]int
	Deliveries   int64 // comment messages received
	// P50, P99, Max: from a post being sent to its message reaching a client, over every
	// (post, client) pair.
	P50, P99, Max time.Duration
	// AfterAck50, AfterAck99: from the post's acknowledgement being read to its message
	// reaching a client (0 when the message came first): what delivery adds to posting.
	AfterAck50, AfterAck99 time.Duration
	Lost                   int64 // (acknowledged post, client) pairs whose message never came
	LostClients            int   // clients that missed at least one
	Duplicates             int64
	Gaps                   int64 // jumps in seq (the browser would resubscribe)
	Unknown                int64 // comment messages that were not this run's posts
	Disconnected           int
	DisconnectErr          string
	Settled                bool
	Settle                 time.Duration // last acknowledgement → every client has every message
	CPU                    CPUUse
	Attempts               int
	// PoolAcquires, PoolWait: lawka's PostgreSQL pools (both instances, every request)
	// while comments were posted: connections handed out, and seconds spent waiting.
	PoolAcquires, PoolWait float64
	// Waits: what lawka's PostgreSQL connections were doing while comments were posted
	// (pg_stat_activity every 10 ms), shares of Samples.
	Waits   []PerfLine
	Samples int
}

// S4Report collects S4.
type S4Report struct {
	Posters, Watchers int
	Rate, ReadRate    float64
	ReadAsked         float64 // -read-rate; ReadRate is lower when the hot page cannot take it
	ReadMost          float64 // the hot page's most views/s
	ReadMostFrom      string  // where ReadMost was measured
	Dur               time.Duration
	P99Target         time.Duration
	Hot               int64
	Lawka             *PostRun
	Raw               *PostRun
}

// watcher is one websocket client watching the hot proposal: it notes when each post's
// comment.created message arrives (recv[k], by the marker in the post's text).
type watcher struct {
	conn    *websocket.Conn
	marker  []byte
	recv    []int64
	dup     int64
	unknown int64
	gaps    int64
	lastSeq int64
	got     atomic.Int64 // distinct posts received
	closing atomic.Bool
	err     error
	done    chan struct{}
}

var (
	commentType  = []byte(`"type":"comment.created"`)
	snapshotType = []byte(`"type":"proposal.supports"`)
)

// dialWatcher connects, subscribes to room and waits for the room's snapshot.
func dialWatcher(ctx context.Context, url, room string, marker []byte, posts int) (*watcher, error) {
	conn, err := dialSubscribe(ctx, url, publicURL, room)
	if err != nil {
		return nil, err
	}
	w := &watcher{conn: conn, marker: marker, recv: make([]int64, posts), done: make(chan struct{})}
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("waiting for the snapshot: %w", err)
		}
		if bytes.Contains(msg, errorType) {
			conn.Close()
			return nil, fmt.Errorf("server error message: %s", clip(msg, 200))
		}
		if bytes.Contains(msg, snapshotType) {
			w.lastSeq, _ = scanInt(msg, `"seq":`)
			break
		}
	}
	_ = conn.SetReadDeadline(time.Time{})
	go w.read()
	return w, nil
}

func (w *watcher) read() {
	defer close(w.done)
	for {
		_, msg, err := w.conn.ReadMessage()
		if err != nil {
			if !w.closing.Load() {
				w.err = err
			}
			return
		}
		w.handle(msg, mono())
	}
}

// handle looks at one message received at now.
func (w *watcher) handle(msg []byte, now int64) {
	if seq, ok := scanInt(msg, `"seq":`); ok && seq > 0 {
		if w.lastSeq > 0 && seq > w.lastSeq+1 {
			w.gaps++
		}
		w.lastSeq = max(w.lastSeq, seq)
	}
	if !bytes.Contains(msg, commentType) {
		return
	}
	k, ok := postMarker(msg, w.marker)
	if !ok || k < 0 || k >= len(w.recv) {
		w.unknown++
		return
	}
	if w.recv[k] != 0 {
		w.dup++
		return
	}
	w.recv[k] = now
	w.got.Add(1)
}

// postMarker finds marker followed by a post number and 'q' in msg.
func postMarker(msg, marker []byte) (int, bool) {
	i := bytes.Index(msg, marker)
	if i < 0 {
		return 0, false
	}
	j := i + len(marker)
	k := j
	for k < len(msg) && msg[k] >= '0' && msg[k] <= '9' {
		k++
	}
	if k == j || k >= len(msg) || msg[k] != 'q' {
		return 0, false
	}
	n, err := strconv.Atoi(string(msg[j:k]))
	return n, err == nil
}

func (w *watcher) close() {
	w.closing.Store(true)
	_ = w.conn.Close()
	<-w.done
}

// postText is the text of post k: an ordinary comment carrying its marker.
func postText(marker string, k int) string {
	return fmt.Sprintf("Komentarz %s%dq: %s", marker, k, sentences[k%len(sentences)])
}

// postBuilder makes the raw request of post k: a signed-in poster (bearer token, their
// own address) posting a comment on the proposal.
func postBuilder(proposal int64, tokens []string, marker string) func([]byte, int) []byte {
	path := fmt.Sprintf("/api/v1/proposals/%d/comments", proposal)
	stances := []string{"for", "against", "neutral"}
	return func(dst []byte, k int) []byte {
		body, _ := json.Marshal(map[string]string{"body": postText(marker, k), "stance": stances[k%len(stances)]})
		p := k % len(tokens)
		dst = append(dst, "POST "...)
		dst = append(dst, path...)
		dst = append(dst, " HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: lawka-bench\r\nAccept: application/json\r\nContent-Type: application/json\r\nAuthorization: Bearer "...)
		dst = append(dst, tokens[p]...)
		dst = append(dst, "\r\nX-Forwarded-For: "...)
		dst = append(dst, posterIP(p)...)
		dst = append(dst, "\r\nContent-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(body)), 10)
		dst = append(dst, "\r\n\r\n"...)
		return append(dst, body...)
	}
}

func posterIP(p int) string { return fmt.Sprintf("10.77.%d.%d", p>>8&255, p&255) }

func (b *bench) runS4(ctx context.Context) error {
	r := &S4Report{Posters: b.opt.s4Posters, Watchers: b.opt.s4Clients, Rate: b.opt.s4Rate, ReadRate: b.opt.s4ReadRate,
		Dur: b.opt.s4Dur, P99Target: b.opt.s4P99}
	b.report.S4 = r
	d, err := b.ensureDiscussion(ctx)
	if err != nil {
		return err
	}
	r.Hot = d.Hot
	if len(d.Posters) < r.Posters {
		return fmt.Errorf("-posters %d: only %d accounts loaded", r.Posters, len(d.Posters))
	}
	var servers []server
	defer func() {
		for _, s := range servers {
			s.stop(20 * time.Second)
		}
	}()
	for _, name := range []string{"s4-lawka-a", "s4-lawka-b"} {
		s, err := b.startLawka(ctx, name)
		if err != nil {
			return err
		}
		servers = append(servers, s)
	}
	b.logf("S4: signing in %d posters…", r.Posters)
	tokens, err := b.signIn(ctx, servers[0], d.Posters[:r.Posters])
	if err != nil {
		return err
	}
	reads := getBuilder(fmt.Sprintf("/propozycje/%d", d.Hot), acceptHTML, b.opt.s3Encoding)
	// Page views beyond what the hot page can take would only pile up in front of the
	// posts: S4 reads at most at half the page's most.
	r.ReadAsked = r.ReadRate
	if b.report.S3 != nil && b.report.S3.Hot.Max != nil {
		r.ReadMost, r.ReadMostFrom = b.report.S3.Hot.MaxRate(), "S3, one instance"
	} else {
		b.logf("S4: how many hot page views/s the servers take at most (S3 did not run)…")
		dr, err := NewDriver([]string{servers[0].addr, servers[1].addr}, b.opt.s3Conns, 10*time.Second)
		if err != nil {
			return err
		}
		dr.Run(Plan{N: 50, Rate: 50, Build: reads, Want: http.StatusOK})
		st, err := b.pageMax(dr, []int{servers[0].pid(), servers[1].pid()}, reads, 3*time.Second)
		dr.Close()
		if err != nil {
			return err
		}
		r.ReadMost, r.ReadMostFrom = st.Stats.Rate, "measured here, both instances, S3 did not run"
	}
	if half := math.Max(1, math.Round(r.ReadMost/2)); r.ReadMost > 0 && r.ReadRate > half {
		r.ReadRate = half
		b.opt.s4ReadRate = half
	}
	attempt := 0
	b.logf("S4: lawka serve ×2, %d watchers, %g comments/s for %s while the hot page is read %g times/s", r.Watchers, r.Rate, r.Dur, r.ReadRate)
	run, attempts, err := undisturbed(b, 2, func() (PostRun, CPUUse, error) {
		attempt++
		run, err := b.postRun(ctx, servers, d.Hot, tokens, reads, fmt.Sprintf("s4r%dp", attempt))
		return run, run.CPU, err
	})
	if err != nil {
		return err
	}
	run.Attempts = attempts
	r.Lawka = &run
	time.Sleep(time.Second)

	b.logf("S4: raw baseline: insert and publish, %g/s, under the same page views", r.Rate)
	raw, attempts, err := undisturbed(b, 2, func() (PostRun, CPUUse, error) {
		attempt++
		run, err := b.rawPostRun(ctx, servers, d.Hot, reads, fmt.Sprintf("s4r%dp", attempt))
		return run, run.CPU, err
	})
	if err != nil {
		return err
	}
	raw.Attempts = attempts
	r.Raw = &raw
	return nil
}

// signIn signs the accounts in through the API (each from its own address, as the
// sign-in limits are per address) and returns their bearer tokens.
func (b *bench) signIn(ctx context.Context, s server, emails []string) ([]string, error) {
	tokens := make([]string, len(emails))
	errs := make(chan error, len(emails))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, email := range emails {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var out struct {
				Token string `json:"token"`
			}
			if err := call(ctx, s, "", posterIP(i), http.MethodPost, "/api/v1/auth/login",
				map[string]string{"email": email, "password": benchPassword}, &out); err != nil {
				errs <- fmt.Errorf("signing in %s: %w", email, err)
				return
			}
			tokens[i] = out.Token
		}()
	}
	wg.Wait()
	close(errs)
	return tokens, <-errs
}

// readLoad views the page at rate, spread over the servers, for dur in the background;
// the returned func waits for the end and gives the page views' figures.
func readLoad(addrs []string, build func([]byte, int) []byte, rate float64, dur time.Duration) (func() Stats, error) {
	d, err := NewDriver(addrs, 64, 10*time.Second)
	if err != nil {
		return nil, err
	}
	out := make(chan Stats, 1)
	go func() {
		defer d.Close()
		n := int(rate * dur.Seconds())
		res := d.Run(Plan{N: n, Rate: rate, Build: build, Want: http.StatusOK, MaxBacklog: max(int(rate), 128)})
		out <- res.Summarise(http.StatusOK)
	}()
	return func() Stats { return <-out }, nil
}

// postRun connects the watchers, starts the page views, posts the comments and follows
// every message to every watcher.
func (b *bench) postRun(ctx context.Context, servers []server, hot int64, tokens []string, reads func([]byte, int) []byte, marker string) (PostRun, error) {
	run := PostRun{System: "lawka", Watchers: b.opt.s4Clients}
	n := int(b.opt.s4Rate * b.opt.s4Dur.Seconds())
	var addrs, urls []string
	var pids []int
	for _, s := range servers {
		addrs, urls, pids = append(addrs, s.addr), append(urls, "ws://"+s.addr+"/ws"), append(pids, s.pid())
	}
	room := fmt.Sprintf("proposal:%d", hot)
	watchers, fails := dialAll(ctx, b.opt.s4Clients, 32, 30*time.Second, func(ctx context.Context, k int) (*watcher, error) {
		return dialWatcher(ctx, urls[k%len(urls)], room, []byte(marker), n)
	})
	run.Connected, run.ConnectFails = len(watchers), fails
	closed := false
	defer func() {
		if !closed {
			for _, w := range watchers {
				w.close()
			}
		}
	}()
	b.logf("  %d/%d watchers subscribed", len(watchers), run.Watchers)
	pd, err := NewDriver(addrs, 16, 10*time.Second)
	if err != nil {
		return run, err
	}
	defer pd.Close()

	var before []map[string]float64
	for _, s := range servers {
		before = append(before, scrapeMetrics(s.url("/metrics")))
	}
	m := StartCPU(pids, b.redis.pid(), b.opt.dbName)
	wait, err := readLoad(addrs, reads, b.opt.s4ReadRate, b.opt.s4Dur+3*time.Second)
	if err != nil {
		return run, err
	}
	time.Sleep(time.Second)
	stop := make(chan struct{})
	waits := make(chan map[string]int, 1)
	go func() { waits <- b.sampleWaits(ctx, stop) }()
	res := pd.Run(Plan{N: n, Rate: b.opt.s4Rate, Build: postBuilder(hot, tokens, marker), Want: http.StatusCreated})
	close(stop)
	run.Waits, run.Samples = shares(<-waits)
	lastAck := time.Now()
	run.Posts = res.Summarise(http.StatusCreated)
	acked := 0
	for i := 0; i < res.N; i++ {
		if res.Status[i] == http.StatusCreated {
			acked++
		}
	}
	run.Settled = waitAll(watchers, int64(acked), 5*time.Second)
	run.Settle = time.Since(lastAck)
	run.Reads = wait()
	run.CPU = m.Stop()
	for i, s := range servers {
		after := scrapeMetrics(s.url("/metrics"))
		run.PoolAcquires += metricDelta(before[i], after, "lawka_db_pool_acquires_total")
		run.PoolWait += metricDelta(before[i], after, "lawka_db_pool_acquire_wait_seconds_total")
	}
	for _, w := range watchers {
		w.close() // after this their fields are ours to read
	}
	closed = true
	run.follow(watchers, res.Status, res.SentAt, res.DoneAt)
	b.logf("  posts p50 %s p99 %s (%d errors); post→watcher p50 %s p99 %s max %s over %d deliveries, %d lost, %d gaps; page views %.0f/s p99 %s",
		ms(run.Posts.P50), ms(run.Posts.P99), run.Posts.ErrorCount(), ms(run.P50), ms(run.P99), ms(run.Max), run.Deliveries, run.Lost,
		run.Gaps, run.Reads.Rate, ms(run.Reads.P99))
	return run, nil
}

// follow computes the latencies and losses from what the closed watchers noted: every
// acknowledged post (status[k] = 201) should have reached every watcher.
func (run *PostRun) follow(watchers []*watcher, status []int, sentAt, doneAt []int64) {
	var h, after histogram
	errs := map[string]int{}
	for _, w := range watchers {
		missed := false
		for k, at := range w.recv {
			switch {
			case at != 0 && k < len(sentAt) && sentAt[k] > 0:
				h.record(time.Duration(at - sentAt[k]))
				if k < len(doneAt) && doneAt[k] > 0 {
					after.record(time.Duration(max(at-doneAt[k], 0)))
				}
				run.Deliveries++
			case at == 0 && k < len(status) && status[k] == http.StatusCreated:
				run.Lost++
				missed = true
			}
		}
		if missed {
			run.LostClients++
		}
		run.Duplicates += w.dup
		run.Gaps += w.gaps
		run.Unknown += w.unknown
		if w.err != nil {
			run.Disconnected++
			errs[clip([]byte(w.err.Error()), 100)]++
		}
	}
	run.P50, run.P99, run.Max = h.quantile(0.5), h.quantile(0.99), h.quantile(1)
	run.AfterAck50, run.AfterAck99 = after.quantile(0.5), after.quantile(0.99)
	run.DisconnectErr = strings.Join(counted(errs), "; ")
}

// waitAll waits until every watcher has n messages, or timeout.
func waitAll(watchers []*watcher, n int64, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); ; {
		all := true
		for _, w := range watchers {
			if w.got.Load() < n {
				all = false
				break
			}
		}
		if all {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rawPostRun is the S4 baseline: the least any design pays to tell a viewer of a new
// comment — the comment inserted with its counts in one durable transaction, then its
// message published on Redis and received by a subscriber — at the same rate and under
// the same page views, without HTTP, the application's checks or websockets.
func (b *bench) rawPostRun(ctx context.Context, servers []server, hot int64, reads func([]byte, int) []byte, marker string) (PostRun, error) {
	run := PostRun{System: "insert + publish", Watchers: 1, Connected: 1}
	n := int(b.opt.s4Rate * b.opt.s4Dur.Seconds())
	var author int64
	if err := b.pool.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, b.discussion.Posters[0]).Scan(&author); err != nil {
		return run, err
	}
	opt, err := redis.ParseURL(b.redisURL)
	if err != nil {
		return run, err
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	channel := "bench:s4:" + marker
	sub := rdb.Subscribe(ctx, channel)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		return run, fmt.Errorf("subscribing: %w", err)
	}
	w := &watcher{marker: []byte(marker), recv: make([]int64, n)}
	received := make(chan struct{})
	go func() {
		defer close(received)
		for msg := range sub.Channel() {
			w.handle([]byte(msg.Payload), mono())
		}
	}()
	var addrs []string
	var pids []int
	for _, s := range servers {
		addrs, pids = append(addrs, s.addr), append(pids, s.pid())
	}
	m := StartCPU(pids, b.redis.pid(), b.opt.dbName)
	wait, err := readLoad(addrs, reads, b.opt.s4ReadRate, b.opt.s4Dur+3*time.Second)
	if err != nil {
		return run, err
	}
	time.Sleep(time.Second)
	status, sentAt, lat := make([]int, n), make([]int64, n), make([]int64, n)
	errs := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := mono()
	interval := int64(float64(time.Second) / b.opt.s4Rate)
	for k := 0; k < n; k++ {
		if wait := start + int64(k)*interval - mono(); wait > 0 {
			time.Sleep(time.Duration(wait))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sentAt[k] = mono()
			err := b.insertAndPublish(ctx, rdb, channel, hot, author, marker, k)
			lat[k] = mono() - (start + int64(k)*interval)
			if err != nil {
				mu.Lock()
				errs[clip([]byte(err.Error()), 100)]++
				mu.Unlock()
				return
			}
			status[k] = http.StatusCreated
		}()
	}
	wg.Wait()
	lastAck := time.Now()
	deadline := time.Now().Add(5 * time.Second)
	for w.got.Load() < int64(n-len(errs)) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	run.Settled = w.got.Load() >= int64(n-len(errs))
	run.Settle = time.Since(lastAck)
	run.Reads = wait()
	run.CPU = m.Stop()
	_ = sub.Close()
	<-received
	res := Result{N: n, Sent: n, Status: status, Latency: lat, SentAt: sentAt, DoneAt: make([]int64, n), Start: start, Errors: errs}
	for k := range res.DoneAt {
		res.DoneAt[k] = start + int64(k)*interval + lat[k]
	}
	run.Posts = res.Summarise(http.StatusCreated)
	run.follow([]*watcher{w}, status, sentAt, res.DoneAt)
	b.logf("  insert+commit+publish p50 %s p99 %s; insert→subscriber p50 %s p99 %s max %s, %d lost; page views %.0f/s p99 %s",
		ms(run.Posts.P50), ms(run.Posts.P99), ms(run.P50), ms(run.P99), ms(run.Max), run.Lost, run.Reads.Rate, ms(run.Reads.P99))
	return run, nil
}

// insertAndPublish writes post k as the comment feature's own transaction does (the row
// and its target's counts), then publishes a message shaped like comment.created.
func (b *bench) insertAndPublish(ctx context.Context, rdb *redis.Client, channel string, hot, author int64, marker string, k int) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	text := postText(marker, k)
	html := "<p>" + text + "</p>\n"
	var id int64
	var created time.Time
	if err := tx.QueryRow(ctx, `INSERT INTO comments (target_type, target_id, author_id, stance, body, body_html)
		VALUES ('proposal', $1, $2, 'for', $3, $4) RETURNING id, created_at`, hot, author, text, html).Scan(&id, &created); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO comment_stats AS s (target_type, target_id, comments, stance_for, stance_against, stance_neutral, paper)
		VALUES ('proposal', $1, 1, 1, 0, 0, 0) ON CONFLICT (target_type, target_id) DO UPDATE SET comments = s.comments + 1,
		stance_for = s.stance_for + 1`, hot); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	msg, err := json.Marshal(map[string]any{"type": "comment.created", "room": fmt.Sprintf("proposal:%d", hot),
		"data": map[string]any{"id": id, "parent_id": nil, "root_id": nil, "depth": 0, "stance": "for", "body_html": html,
			"author": map[string]any{"id": author, "display_name": "Mieszkaniec 1"}, "created_at": created, "channel": "online"}})
	if err != nil {
		return err
	}
	return rdb.Publish(ctx, channel, msg).Err()
}
