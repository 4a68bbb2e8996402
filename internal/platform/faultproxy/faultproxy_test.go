package faultproxy_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lawka/internal/platform/faultproxy"
)

// bound is how long any single network step may take before the test fails; it
// never orders events.
const bound = 10 * time.Second

// echo is a server that sends back what it reads and remembers it.
type echo struct {
	ln    net.Listener
	ended chan struct{} // one value per connection that ended (on the server's side)

	mu  sync.Mutex
	got bytes.Buffer
}

func startEcho(t *testing.T) *echo {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &echo{ln: ln, ended: make(chan struct{}, 100)}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { e.ended <- struct{}{} }()
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						e.mu.Lock()
						e.got.Write(buf[:n])
						e.mu.Unlock()
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return e
}

func (e *echo) received() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.got.String()
}

// waitEnded fails unless a server-side connection ends within the bound.
func (e *echo) waitEnded(t *testing.T, what string) {
	t.Helper()
	select {
	case <-e.ended:
	case <-time.After(bound):
		t.Fatalf("%s: the server's side of the connection is still open", what)
	}
}

func start(t *testing.T, target string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, p *faultproxy.Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip sends msg and reads as many bytes back.
func roundTrip(c net.Conn, msg string) (string, error) {
	if err := c.SetDeadline(time.Now().Add(bound)); err != nil {
		return "", err
	}
	if _, err := c.Write([]byte(msg)); err != nil {
		return "", err
	}
	buf := make([]byte, len(msg))
	n, err := io.ReadFull(c, buf)
	return string(buf[:n]), err
}

// fresh sends msg on a new connection; the proxy resets refused connections as soon
// as it accepts them, so that may already fail the dial.
func fresh(p *faultproxy.Proxy, msg string) (string, error) {
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		return "", err
	}
	defer c.Close()
	return roundTrip(c, msg)
}

func mustRoundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	got, err := roundTrip(c, msg)
	if err != nil || got != msg {
		t.Fatalf("sent %q, got %q (%v)", msg, got, err)
	}
}

// isReset tells a TCP reset, or an end of stream where the reset raced the read.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.EPIPE)
}

func TestDataFlowsBothWays(t *testing.T) {
	t.Parallel()
	e := startEcho(t)
	p := start(t, e.ln.Addr().String())
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", p.Addr())
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for j := range 50 {
				msg := fmt.Sprintf("client %d line %d\n", i, j)
				if got, err := roundTrip(c, msg); err != nil || got != msg {
					errs <- fmt.Errorf("sent %q, got %q (%v)", msg, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// A large message in one go, and a half-close: the client says it has finished
	// sending and still reads every byte of the answer, then the end.
	c := dial(t, p)
	big := strings.Repeat("ławka ", 100_000)
	go func() {
		_, _ = c.Write([]byte(big))
		_ = c.(*net.TCPConn).CloseWrite()
	}()
	_ = c.SetDeadline(time.Now().Add(bound))
	back, err := io.ReadAll(c)
	if err != nil || string(back) != big {
		t.Fatalf("large message: got %d of %d bytes (%v)", len(back), len(big), err)
	}
}

func TestCutBreaksConnectionsUntilRestore(t *testing.T) {
	t.Parallel()
	e := startEcho(t)
	p := start(t, e.ln.Addr().String())
	before := dial(t, p)
	mustRoundTrip(t, before, "hello")

	p.Cut()
	if got, err := roundTrip(before, "after the cut"); !isReset(err) {
		t.Fatalf("an existing connection after Cut: got %q, err %v, want a reset", got, err)
	}
	e.waitEnded(t, "after Cut")
	if got, err := fresh(p, "anyone there?"); !isReset(err) {
		t.Fatalf("a new connection during the cut: got %q, err %v, want a reset", got, err)
	}
	if strings.Contains(e.received(), "after the cut") || strings.Contains(e.received(), "anyone there?") {
		t.Fatalf("data sent during the cut reached the server: %q", e.received())
	}

	p.Restore()
	mustRoundTrip(t, dial(t, p), "back again")
	if _, err := roundTrip(before, "still cut?"); err == nil {
		t.Fatal("a connection reset by Cut works again after Restore")
	}
}

func TestResetAfterRequestLosesTheAnswer(t *testing.T) {
	t.Parallel()
	e := startEcho(t)
	p := start(t, e.ln.Addr().String())
	c := dial(t, p)
	p.ResetAfterRequest(2)
	mustRoundTrip(t, c, "first;")
	got, err := roundTrip(c, "second;")
	if got != "" || !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the second request: got %q, err %v, want no answer and a reset", got, err)
	}
	// The reset came after the server answered, so it has the request by now.
	if r := e.received(); r != "first;second;" {
		t.Fatalf("the server received %q, want both requests", r)
	}
	e.waitEnded(t, "after the lost answer")
	// One-shot: the next connection works as usual.
	mustRoundTrip(t, dial(t, p), "third;")

	p.ResetAfterRequest(1)
	p.ResetAfterRequest(0) // disarmed
	mustRoundTrip(t, dial(t, p), "fourth;")
}

func TestCloseStopsEverything(t *testing.T) {
	t.Parallel()
	e := startEcho(t)
	p := start(t, e.ln.Addr().String())
	c := dial(t, p)
	mustRoundTrip(t, c, "ping")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(c, "pong"); !isReset(err) {
		t.Fatalf("a connection after Close: %v, want a reset", err)
	}
	if c, err := net.Dial("tcp", p.Addr()); err == nil {
		c.Close()
		t.Fatal("the proxy still accepts after Close")
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestTargetDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()
	p := start(t, down)
	if got, err := fresh(p, "hello?"); !isReset(err) {
		t.Fatalf("through a proxy to a closed port: got %q, err %v, want a reset", got, err)
	}
}
