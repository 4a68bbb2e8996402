package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// epoch anchors mono: every time the tool compares (a vote sent, a tally received) is
// an offset from it on the monotonic clock.
var epoch = time.Now()

func mono() int64 { return int64(time.Since(epoch)) }

// Driver is an open-loop HTTP/1.1 load generator over keep-alive connections: requests
// leave on a schedule whether or not earlier ones were answered, so a slow server shows
// up as latency (measured from the scheduled moment) instead of a politely lower rate.
// It speaks just enough HTTP for JSON APIs, which keeps its own CPU cost small on a
// machine it shares with the server.
type Driver struct {
	targets []string // host:port, request i goes to targets[i % len]
	conns   int      // connections per target
	timeout time.Duration

	workers [][]*worker
}

type worker struct {
	addr string
	c    net.Conn
	r    *bufio.Reader
	buf  []byte
	body []byte
}

// NewDriver opens conns keep-alive connections to each target.
func NewDriver(targets []string, conns int, timeout time.Duration) (*Driver, error) {
	d := &Driver{targets: targets, conns: conns, timeout: timeout}
	for _, t := range targets {
		ws := make([]*worker, conns)
		for i := range ws {
			ws[i] = &worker{addr: t}
		}
		d.workers = append(d.workers, ws)
	}
	// Dial in parallel (bounded): a burst of 4,092 connections should not take seconds.
	sem := make(chan struct{}, 128)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, ws := range d.workers {
		for _, w := range ws {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := w.dial(timeout); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if firstErr != nil {
		d.Close()
		return nil, firstErr
	}
	return d, nil
}

func (w *worker) dial(timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", w.addr, timeout)
	if err != nil {
		return err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	w.c = c
	if w.r == nil {
		w.r = bufio.NewReaderSize(c, 4096)
	} else {
		w.r.Reset(c)
	}
	return nil
}

func (w *worker) drop() {
	if w.c != nil {
		_ = w.c.Close()
		w.c = nil
	}
}

// Close closes every connection.
func (d *Driver) Close() {
	for _, ws := range d.workers {
		for _, w := range ws {
			w.drop()
		}
	}
}

// Plan is one run: n requests at rate per second (0: all at once), each built by Build
// into dst (the whole raw request, headers and body).
type Plan struct {
	N     int
	Rate  float64
	Build func(dst []byte, i int) []byte
	// MaxBacklog stops sending once this many requests are waiting or in flight (the
	// server cannot keep up; the rest are reported as not sent); 0: no limit.
	MaxBacklog int
	// Want is the status a request must get to count as acknowledged (201).
	Want int
	// Until, for a run with no rate (a closed loop: each connection sends its next
	// request when the last answer is in), ends the run that long after its start:
	// requests not begun by then are left out (not counted as errors).
	Until time.Duration
	// SendOrder, when given (len ≥ N), receives send times in the order requests left
	// (atomically, while the run goes on): SendOrder[k] is when the (k+1)-th request was
	// written, so websocket clients can match a tally's total T to the T-th vote sent.
	SendOrder []int64
}

// Result holds per-request outcomes, indexed like the requests.
type Result struct {
	N        int
	Sent     int     // requests that left (the rest were held back by MaxBacklog)
	Status   []int   // 0: no answer (see Errors)
	Latency  []int64 // ns from the scheduled moment to the whole answer
	SentAt   []int64 // mono() when the request was written; 0 if never
	DoneAt   []int64 // mono() when the answer was read
	Start    int64   // mono() of the first scheduled moment
	Errors   map[string]int
	FirstBad string // the first unexpected answer or error, for the report
}

// Run carries out plan and waits for every answer.
func (d *Driver) Run(p Plan) Result {
	res := Result{N: p.N, Status: make([]int, p.N), Latency: make([]int64, p.N), SentAt: make([]int64, p.N),
		DoneAt: make([]int64, p.N), Errors: map[string]int{}}
	var order atomic.Int64
	onSend := func(i int) {
		now := mono()
		res.SentAt[i] = now
		if len(p.SendOrder) >= p.N {
			atomic.StoreInt64(&p.SendOrder[order.Add(1)-1], now)
		}
	}
	jobs := make([]chan int, len(d.targets))
	for i := range jobs {
		jobs[i] = make(chan int, p.N)
	}
	var interval int64
	if p.Rate > 0 {
		interval = int64(float64(time.Second) / p.Rate)
	}
	start := mono() + int64(5*time.Millisecond)
	res.Start = start
	sched := func(i int) int64 { return start + int64(i)*interval }

	var done, skipped atomic.Int64
	var mu sync.Mutex
	note := func(kind, detail string) {
		mu.Lock()
		res.Errors[kind]++
		if res.FirstBad == "" {
			res.FirstBad = detail
		}
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for t, ws := range d.workers {
		for _, w := range ws {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs[t] {
					if p.Until > 0 && mono() > start+int64(p.Until) {
						skipped.Add(1)
						done.Add(1)
						continue
					}
					status, err := w.do(p.Build, i, d.timeout, onSend)
					now := mono()
					res.DoneAt[i] = now
					res.Latency[i] = now - sched(i)
					res.Status[i] = status
					switch {
					case err != nil:
						note(errKind(err), err.Error())
					case status != p.Want:
						note(strconv.Itoa(status), fmt.Sprintf("status %d: %s", status, clip(w.body, 300)))
					}
					done.Add(1)
				}
			}()
		}
	}

	sent := 0
	for i := 0; i < p.N; i++ {
		if interval > 0 {
			if wait := sched(i) - mono(); wait > 0 {
				time.Sleep(time.Duration(wait))
			}
		}
		if p.MaxBacklog > 0 && i-int(done.Load()) >= p.MaxBacklog {
			break
		}
		jobs[i%len(jobs)] <- i
		sent++
	}
	for _, j := range jobs {
		close(j)
	}
	wg.Wait()
	res.Sent = sent - int(skipped.Load())
	if sent < p.N {
		res.Errors["not sent (server fell behind)"] += p.N - sent
	}
	return res
}

// do sends request i on the worker's connection (redialling a closed one) and reads the
// answer. A request is never retried: every vote the tool counts was sent exactly once.
func (w *worker) do(build func([]byte, int) []byte, i int, timeout time.Duration, onSend func(int)) (int, error) {
	w.buf = build(w.buf[:0], i)
	if w.c == nil {
		if err := w.dial(timeout); err != nil {
			return 0, err
		}
	}
	onSend(i)
	_ = w.c.SetDeadline(time.Now().Add(timeout))
	if _, err := w.c.Write(w.buf); err != nil {
		w.drop()
		return 0, err
	}
	status, keep, body, err := readResponse(w.r, w.body[:0])
	w.body = body
	if err != nil || !keep {
		w.drop()
	}
	return status, err
}

func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.Is(err, errMalformed):
		return "malformed answer"
	}
	return "connection error"
}

func clip(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

var errMalformed = errors.New("malformed HTTP answer")

// readResponse reads one HTTP/1.x answer: its status, whether the connection may be
// reused, and the body appended to body (Content-Length, chunked, or until close).
func readResponse(r *bufio.Reader, body []byte) (status int, keepAlive bool, _ []byte, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, false, body, err
	}
	proto, rest, ok := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(" "))
	if !ok || !bytes.HasPrefix(proto, []byte("HTTP/1.")) || len(rest) < 3 {
		return 0, false, body, fmt.Errorf("%w: status line %q", errMalformed, clip(line, 80))
	}
	status, err = strconv.Atoi(string(rest[:3]))
	if err != nil {
		return 0, false, body, fmt.Errorf("%w: status line %q", errMalformed, clip(line, 80))
	}
	keepAlive = string(proto) == "HTTP/1.1"
	length, chunked := -1, false
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return status, false, body, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return status, false, body, fmt.Errorf("%w: header %q", errMalformed, clip(line, 80))
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return status, false, body, fmt.Errorf("%w: Content-Length %q", errMalformed, value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keepAlive = false
			} else if bytes.EqualFold(value, []byte("keep-alive")) {
				keepAlive = true
			}
		}
	}
	switch {
	case status/100 == 1 || status == 204 || status == 304:
		return status, keepAlive, body, nil
	case chunked:
		body, err = readChunked(r, body)
		return status, keepAlive && err == nil, body, err
	case length >= 0:
		body = slices.Grow(body, length)[:len(body)+length]
		_, err = io.ReadFull(r, body[len(body)-length:])
		return status, keepAlive && err == nil, body, err
	}
	all, err := io.ReadAll(r)
	body = append(body, all...)
	return status, false, body, err
}

func readChunked(r *bufio.Reader, body []byte) ([]byte, error) {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return body, err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 32)
		if err != nil || n < 0 {
			return body, fmt.Errorf("%w: chunk size %q", errMalformed, clip(line, 40))
		}
		if n == 0 {
			for { // trailers, then the empty line
				line, err := r.ReadSlice('\n')
				if err != nil {
					return body, err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return body, nil
				}
			}
		}
		body = slices.Grow(body, int(n))[:len(body)+int(n)]
		if _, err := io.ReadFull(r, body[len(body)-int(n):]); err != nil {
			return body, err
		}
		if line, err := r.ReadSlice('\n'); err != nil || len(bytes.TrimRight(line, "\r\n")) != 0 {
			return body, fmt.Errorf("%w: no line end after a chunk", errMalformed)
		}
	}
}

// Stats summarises a run's latencies and outcomes.
type Stats struct {
	N, Sent, OK   int
	Errors        map[string]int
	FirstBad      string
	P50, P99, Max time.Duration
	Rate          float64 // answers per second, first scheduled moment to last answer
	Span          time.Duration
}

// Summarise computes Stats over the requests that were sent.
func (r Result) Summarise(want int) Stats {
	s := Stats{N: r.N, Sent: r.Sent, Errors: r.Errors, FirstBad: r.FirstBad}
	lat := make([]int64, 0, r.Sent)
	var last int64
	for i := 0; i < r.N; i++ {
		if r.SentAt[i] == 0 && r.DoneAt[i] == 0 {
			continue
		}
		lat = append(lat, r.Latency[i])
		last = max(last, r.DoneAt[i])
		if r.Status[i] == want {
			s.OK++
		}
	}
	slices.Sort(lat)
	s.P50, s.P99, s.Max = pct(lat, 50), pct(lat, 99), pct(lat, 100)
	if last > r.Start {
		s.Span = time.Duration(last - r.Start)
		s.Rate = float64(len(lat)) / s.Span.Seconds()
	}
	return s
}

// pct is the p-th percentile (nearest rank) of sorted values, as a duration.
func pct(sorted []int64, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(float64(len(sorted))*p/100+0.999999) - 1
	k = min(max(k, 0), len(sorted)-1)
	return time.Duration(sorted[k])
}

// ErrorCount is the number of requests that did not get the wanted status.
func (s Stats) ErrorCount() int {
	n := 0
	for _, v := range s.Errors {
		n += v
	}
	return n
}
