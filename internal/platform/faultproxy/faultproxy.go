// Package faultproxy is a TCP proxy for fault-injection tests: put it between the
// application and PostgreSQL or Redis, then cut the network (Cut, Restore) or lose the
// answer to a command the server has already carried out (ResetAfterRequest).
//
// All methods are safe for concurrent use. Faults take effect before the method
// returns, so a test needs no sleeps: after Cut, every connection that existed is
// reset and every new one is refused; after Restore, new connections go through.
package faultproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards every connection accepted on Addr to the target.
type Proxy struct {
	target string
	ln     net.Listener
	ctx    context.Context // ends on Close: stops dials to the target
	stop   context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	links   map[*link]struct{}
	cut     bool
	closed  bool
	pending int // ResetAfterRequest: client→server chunks left until the one whose answer is lost
}

// Start listens on a free loopback port and forwards to target ("host:port").
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	p := &Proxy{target: target, ln: ln, ctx: ctx, stop: stop, links: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is where clients connect ("127.0.0.1:port").
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut resets every current connection on both sides (RST, so peers see "connection
// reset" at once rather than waiting for a timeout) and, until Restore, refuses new
// ones: they are accepted and reset straight away, as by a server that is down.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	links := p.takeLinks()
	p.mu.Unlock()
	for _, l := range links {
		l.reset()
	}
}

// Restore lets new connections through again (connections reset by Cut stay dead,
// as after a real outage: clients must reconnect).
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// ResetAfterRequest makes the n-th chunk of data that any client sends from now on
// (n ≥ 1) the last one: it is forwarded to the server, the server's answer is read and
// dropped, and then that connection is reset on both sides. The server has carried the
// command out; the client never learns it. Chunks before the n-th pass as usual; n ≤ 0
// disarms. A chunk is what one read from the client returns, which for request–answer
// protocols (PostgreSQL, Redis) with small requests is one request; answers to earlier
// pipelined requests still in flight would be taken for the lost answer.
func (p *Proxy) ResetAfterRequest(n int) {
	p.mu.Lock()
	p.pending = max(n, 0)
	p.mu.Unlock()
}

// Close stops listening, resets every connection and waits for the proxy's goroutines.
// It is safe to call more than once.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	links := p.takeLinks()
	p.mu.Unlock()
	p.stop()
	err := p.ln.Close()
	for _, l := range links {
		l.reset()
	}
	p.wg.Wait()
	return err
}

// takeLinks empties the set of live connections and returns them; p.mu is held.
func (p *Proxy) takeLinks() []*link {
	out := make([]*link, 0, len(p.links))
	for l := range p.links {
		out = append(out, l)
	}
	clear(p.links)
	return out
}

// lastRequest counts one client→server chunk and reports whether its answer is the one
// to lose.
func (p *Proxy) lastRequest() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending == 0 {
		return false
	}
	p.pending--
	return p.pending == 0
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed (or out of file descriptors, when the test has failed anyway)
		}
		l := &link{client: c}
		p.mu.Lock()
		refuse := p.cut || p.closed
		if !refuse {
			p.links[l] = struct{}{}
			p.wg.Add(1)
		}
		p.mu.Unlock()
		if refuse {
			rst(c)
			continue
		}
		go p.serve(l)
	}
}

// serve dials the target and copies both ways until either side ends.
func (p *Proxy) serve(l *link) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
		l.close()
	}()
	d := net.Dialer{Timeout: 5 * time.Second}
	s, err := d.DialContext(p.ctx, "tcp", p.target)
	if err != nil {
		l.reset() // the target is down: the client sees what it would see without us
		return
	}
	if !l.attach(s) {
		return // Cut or Close came while dialling
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.upstream(l)
	}()
	p.downstream(l)
	<-done
}

// upstream copies client → server, arming the link when the lost answer's request passes.
func (p *Proxy) upstream(l *link) {
	buf := make([]byte, 32<<10)
	for {
		n, err := l.client.Read(buf)
		if n > 0 {
			last := p.lastRequest()
			if last {
				l.doomed.Store(true) // before the write: the answer cannot come earlier
			}
			if _, werr := l.server.Write(buf[:n]); werr != nil {
				l.reset()
				return
			}
			if last {
				return // the client's further data is not forwarded: downstream resets the link
			}
		}
		if err != nil {
			endCopy(l, err, l.server)
			return
		}
	}
}

// downstream copies server → client, or drops the answer and resets an armed link.
func (p *Proxy) downstream(l *link) {
	buf := make([]byte, 32<<10)
	for {
		n, err := l.server.Read(buf)
		if l.doomed.Load() {
			l.reset() // the answer (or the server's hang-up) is lost with the connection
			return
		}
		if n > 0 {
			if _, werr := l.client.Write(buf[:n]); werr != nil {
				l.reset()
				return
			}
		}
		if err != nil {
			endCopy(l, err, l.client)
			return
		}
	}
}

// endCopy passes a clean end of one direction on as a half-close, so the other
// direction can finish; any other error resets the link.
func endCopy(l *link, err error, to net.Conn) {
	if errors.Is(err, io.EOF) {
		if cw, ok := to.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			return
		}
	}
	l.reset()
}

// link is one client connection and its connection to the target.
type link struct {
	client net.Conn
	doomed atomic.Bool // ResetAfterRequest chose this link: its next answer is lost

	mu     sync.Mutex
	server net.Conn // nil while dialling
	dead   bool
}

// attach sets the server side, or closes it when the link was reset meanwhile.
func (l *link) attach(s net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead {
		rst(s)
		return false
	}
	l.server = s
	return true
}

// reset aborts both sides with RST; it also ends the copies, whose reads then fail.
func (l *link) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead {
		return
	}
	l.dead = true
	rst(l.client)
	if l.server != nil {
		rst(l.server)
	}
}

// close ends a link whose copies have finished (a no-op after reset).
func (l *link) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead {
		return
	}
	l.dead = true
	l.client.Close()
	if l.server != nil {
		l.server.Close()
	}
}

// rst closes c so that the peer gets a TCP reset instead of an orderly end.
func rst(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
