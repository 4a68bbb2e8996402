package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// histogram counts durations (µs) in log-linear buckets: 64 per power of two, so any
// percentile is within 1.6 % of the truth; recording is one atomic add.
type histogram struct {
	buckets [64 * 40]atomic.Int64
	max     atomic.Int64 // µs
	n       atomic.Int64
}

const subBits = 6

func bucketOf(v uint64) int {
	if v < 1<<subBits {
		return int(v)
	}
	e := bits.Len64(v) - subBits - 1
	return (e+1)<<subBits + int((v>>e)&(1<<subBits-1))
}

// bucketHigh is the largest value that falls in bucket i.
func bucketHigh(i int) uint64 {
	if i < 1<<subBits {
		return uint64(i)
	}
	e := i>>subBits - 1
	m := uint64(i & (1<<subBits - 1))
	return ((1<<subBits|m)+1)<<e - 1
}

func (h *histogram) record(d time.Duration) {
	us := max(int64(d/time.Microsecond), 0)
	i := min(bucketOf(uint64(us)), len(h.buckets)-1)
	h.buckets[i].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			break
		}
	}
}

// quantile is the value below which a fraction q of recordings fall (upper bucket edge,
// never above the maximum seen).
func (h *histogram) quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := int64(float64(n)*q + 0.999999)
	var seen int64
	for i := range h.buckets {
		seen += h.buckets[i].Load()
		if seen >= rank {
			return time.Duration(min(int64(bucketHigh(i)), h.max.Load())) * time.Microsecond
		}
	}
	return time.Duration(h.max.Load()) * time.Microsecond
}

// tracker is what every client of an S2 run shares: when each vote left, in the order
// they left, and the latency histogram. A tally with total T counts T votes, so the
// newest of them left no earlier than the T-th vote sent: receipt time minus that send
// time is the tally's latency (an upper bound when votes commit out of send order).
type tracker struct {
	sentAt    []int64 // sentAt[k]: mono() at which the (k+1)-th vote was written (atomic), filled by the driver
	recording atomic.Bool
	lat       histogram
	unmatched atomic.Int64 // tallies whose T-th send time was not recorded yet (a race of nanoseconds)
}

// wsClient is one viewer. It reads like the browser's live.js: a tally whose seq it has
// already passed is ignored (counted as stale), a jump in seq is counted as a gap (the
// browser would resubscribe; the tool does not, so that it measures one stream), and
// every tally it would show is checked against the one before: total (or data.version
// when the server sends one) must never go down.
type wsClient struct {
	conn *websocket.Conn
	tr   *tracker

	last       atomic.Int64 // total of the last tally shown; -1 until the snapshot
	snapped    bool
	maxTotal   int64
	maxVer     int64
	lastSeq    int64
	deliveries int64 // tally messages received while recording
	outOfOrder int64
	stale      int64
	gaps       int64
	version    bool // the server sends data.version
	oooExample string
	prev       struct{ seq, ver, total int64 }
	closing    atomic.Bool
	err        error
	done       chan struct{}
}

var dialer = websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 256, HandshakeTimeout: 15 * time.Second}

// dialSubscribe connects as a page of origin does and subscribes to rooms in one message.
func dialSubscribe(ctx context.Context, url, origin string, rooms ...string) (*websocket.Conn, error) {
	h := http.Header{}
	h.Set("Origin", origin)
	conn, resp, err := dialer.DialContext(ctx, url, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, err
	}
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"subscribe","rooms":["`+strings.Join(rooms, `","`)+`"]}`)); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// dialClient connects, subscribes to room and waits for the snapshot.
func dialClient(ctx context.Context, url, origin, room string, tr *tracker) (*wsClient, error) {
	conn, err := dialSubscribe(ctx, url, origin, room)
	if err != nil {
		return nil, err
	}
	c := &wsClient{conn: conn, tr: tr, done: make(chan struct{})}
	c.last.Store(-1)
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var buf []byte
	for c.last.Load() < 0 {
		buf, err = c.next(buf)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("waiting for the snapshot: %w", err)
		}
		if err := c.handle(buf); err != nil {
			conn.Close()
			return nil, err
		}
	}
	_ = conn.SetReadDeadline(time.Time{})
	go c.read(buf)
	return c, nil
}

func (c *wsClient) next(buf []byte) ([]byte, error) {
	_, r, err := c.conn.NextReader()
	if err != nil {
		return buf, err
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func (c *wsClient) read(buf []byte) {
	defer close(c.done)
	for {
		var err error
		buf, err = c.next(buf)
		if err != nil {
			if !c.closing.Load() {
				c.err = err
			}
			return
		}
		if err := c.handle(buf); err != nil {
			c.err = err
		}
	}
}

var (
	tallyType = []byte(`"type":"poll.tally"`)
	errorType = []byte(`"type":"error"`)
)

// handle looks at one message. Tallies are scanned for their numbers rather than
// decoded: 10,000 clients share two cores with the server.
func (c *wsClient) handle(msg []byte) error {
	now := mono()
	if bytes.Contains(msg, errorType) {
		return fmt.Errorf("server error message: %s", clip(msg, 200))
	}
	if !bytes.Contains(msg, tallyType) {
		return nil
	}
	total, ok := scanInt(msg, `"total":`)
	if !ok {
		return fmt.Errorf("tally without a total: %s", clip(msg, 200))
	}
	seq, hasSeq := scanInt(msg, `"seq":`)
	hasSeq = hasSeq && seq > 0
	ver, hasVer := scanInt(msg, `"version":`)
	recording := c.tr != nil && c.tr.recording.Load() && c.snapped
	if recording {
		c.deliveries++
	}
	if c.snapped {
		if hasSeq && seq <= c.lastSeq {
			c.stale++
			return nil
		}
		if hasVer && ver < c.maxVer || !hasVer && total < c.maxTotal {
			c.outOfOrder++
			if c.oooExample == "" {
				c.oooExample = fmt.Sprintf("seq %d (version %d, total %d) came after seq %d (version %d, total %d)",
					seq, ver, total, c.prev.seq, c.prev.ver, c.prev.total)
			}
		}
		if hasSeq && seq > c.lastSeq+1 {
			c.gaps++
		}
	}
	c.snapped = true
	c.prev.seq, c.prev.ver, c.prev.total = seq, ver, total
	if hasSeq {
		c.lastSeq = seq
	}
	if hasVer {
		c.version = true
		c.maxVer = max(c.maxVer, ver)
	}
	c.maxTotal = max(c.maxTotal, total)
	c.last.Store(total)
	if recording && total >= 1 && int(total) <= len(c.tr.sentAt) {
		if s := atomic.LoadInt64(&c.tr.sentAt[total-1]); s > 0 {
			c.tr.lat.record(time.Duration(now - s))
		} else {
			c.tr.unmatched.Add(1)
		}
	}
	return nil
}

// scanInt finds key in msg and reads the integer after it.
func scanInt(msg []byte, key string) (int64, bool) {
	i := bytes.Index(msg, []byte(key))
	if i < 0 {
		return 0, false
	}
	j := i + len(key)
	for j < len(msg) && msg[j] == ' ' {
		j++
	}
	k := j
	for k < len(msg) && (msg[k] >= '0' && msg[k] <= '9' || k == j && msg[k] == '-') {
		k++
	}
	n, err := strconv.ParseInt(string(msg[j:k]), 10, 64)
	return n, err == nil
}

func (c *wsClient) close() {
	c.closing.Store(true)
	_ = c.conn.Close()
	<-c.done
}

// connectClients opens n clients, spread over urls, parallel bounded.
func connectClients(ctx context.Context, urls []string, origin, room string, n, parallel int, tr *tracker) ([]*wsClient, map[string]int) {
	return dialAll(ctx, n, parallel, 60*time.Second, func(ctx context.Context, k int) (*wsClient, error) {
		return dialClient(ctx, urls[k%len(urls)], origin, room, tr)
	})
}

// dialAll makes n connections, at most parallel at a time, each within timeout, and
// returns the ones made and the failures counted by message.
func dialAll[T any](ctx context.Context, n, parallel int, timeout time.Duration, dial func(context.Context, int) (T, error)) ([]T, map[string]int) {
	made := make([]T, n)
	ok := make([]bool, n)
	failures := map[string]int{}
	var mu sync.Mutex
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for k := 0; k < n; k++ {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			dctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			c, err := dial(dctx, k)
			if err != nil {
				mu.Lock()
				failures[clip([]byte(err.Error()), 120)]++
				mu.Unlock()
				return
			}
			made[k], ok[k] = c, true
		}()
	}
	wg.Wait()
	out := made[:0]
	for k, c := range made {
		if ok[k] {
			out = append(out, c)
		}
	}
	return out, failures
}

// closeAll closes clients, 256 at a time.
func closeAll[T interface{ close() }](clients []T) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, c := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c.close()
		}()
	}
	wg.Wait()
}
