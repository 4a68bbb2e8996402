package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/websocket"
)

// runNoopServer serves the vote route doing nothing: the ceiling of Fiber plus the
// driver on this machine, which the real vote route is compared with (S1).
func runNoopServer(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("noop-server", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:18090", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Post("/api/v1/polls/:id/votes", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Status(fiber.StatusCreated).SendString(`{"receipt":"NOOPNOOPNOOPNOOP"}`)
	})
	return serveFiber(ctx, app, *addr)
}

// serveFiber serves app on addr until ctx ends.
func serveFiber(ctx context.Context, app *fiber.App, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		_ = app.ShutdownWithTimeout(5 * time.Second)
	}()
	return app.Listener(ln)
}

// runPageServer serves one page's bytes from memory, as lawka served them once (with
// their Content-Type and Content-Encoding), at any GET path: the ceiling of Fiber plus
// the driver for a page of that size on this machine, which the real page is compared
// with (S3).
func runPageServer(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("page-server", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:18092", "listen address")
	file := fs.String("file", "", "the page's bytes")
	ctype := fs.String("type", "text/html; charset=utf-8", "Content-Type to send")
	encoding := fs.String("encoding", "", "Content-Encoding to send (the bytes are already encoded)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	page, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/*", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, *ctype)
		if *encoding != "" {
			c.Set(fiber.HeaderContentEncoding, *encoding)
		}
		return c.Send(page)
	})
	return serveFiber(ctx, app, *addr)
}

// hub is a lean, honest websocket fan-out (the S2 baseline): votes arrive over HTTP and
// bump counters; ten times a second, if anything changed, the tally is encoded once (a
// gorilla PreparedMessage) and written to every client by one writer per core, each
// owning a share of the clients. A client costs one goroutine (its reader, which answers
// pings and notices a close) and a small read buffer; a client that cannot take a write
// within a second is dropped.
type hub struct {
	total atomic.Int64
	votes [hubOptions]atomic.Int64

	mu    sync.Mutex
	seq   int64
	conns map[*hubConn]struct{}
}

const (
	hubOptions   = 4
	hubWriteWait = time.Second
)

type hubConn struct {
	ws   *websocket.Conn
	mu   sync.Mutex // one writer at a time: the broadcaster or a reply
	dead atomic.Bool
}

func (c *hubConn) write(pm *websocket.PreparedMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead.Load() {
		return
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(hubWriteWait))
	if c.ws.WritePreparedMessage(pm) != nil {
		c.dead.Store(true)
		_ = c.ws.Close() // the reader sees it and unregisters
	}
}

var upgrader = websocket.Upgrader{
	ReadBufferSize:  512,
	WriteBufferPool: &sync.Pool{},
	CheckOrigin:     func(*http.Request) bool { return true },
}

// tally encodes the current tally; the caller holds h.mu.
func (h *hub) tally() (*websocket.PreparedMessage, error) {
	type opt struct {
		ID    int   `json:"id"`
		Votes int64 `json:"votes"`
	}
	data := struct {
		Status  string `json:"status"`
		Total   int64  `json:"total"`
		Options []opt  `json:"options"`
	}{Status: "open", Total: h.total.Load()}
	for i := range h.votes {
		data.Options = append(data.Options, opt{ID: i + 1, Votes: h.votes[i].Load()})
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	msg, err := json.Marshal(struct {
		Type string          `json:"type"`
		Room string          `json:"room"`
		Seq  int64           `json:"seq"`
		Data json.RawMessage `json:"data"`
	}{"poll.tally", "poll:1", h.seq, raw})
	if err != nil {
		return nil, err
	}
	return websocket.NewPreparedMessage(websocket.TextMessage, msg)
}

var subscribed, _ = websocket.NewPreparedMessage(websocket.TextMessage, []byte(`{"type":"subscribed","room":"poll:1"}`))

func (h *hub) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	// A fresh goroutine with a small stack reads; the request's goroutine, whose stack
	// grew while serving HTTP, ends.
	go h.read(&hubConn{ws: ws})
}

func (h *hub) read(c *hubConn) {
	defer func() {
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
		c.dead.Store(true)
		c.ws.Close()
	}()
	c.ws.SetReadLimit(4096)
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if !bytes.Contains(msg, []byte(`"subscribe"`)) {
			continue
		}
		// Under h.mu, so no broadcast slips between the snapshot and joining.
		h.mu.Lock()
		snap, err := h.tally()
		if err == nil {
			c.write(subscribed)
			c.write(snap)
			h.conns[c] = struct{}{}
		}
		h.mu.Unlock()
	}
}

func (h *hub) broadcast(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	writers := runtime.GOMAXPROCS(0)
	var sent int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if h.total.Load() == sent {
			continue
		}
		h.mu.Lock()
		sent = h.total.Load()
		h.seq++
		pm, err := h.tally()
		viewers := make([]*hubConn, 0, len(h.conns))
		for c := range h.conns {
			viewers = append(viewers, c)
		}
		h.mu.Unlock()
		if err != nil {
			continue
		}
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(viewers); i += writers {
					viewers[i].write(pm)
				}
			}()
		}
		wg.Wait()
	}
}

func (h *hub) vote(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4096))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	// {"option_ids":[N]}: the first number is the option.
	i := bytes.IndexByte(body, '[')
	j := bytes.IndexByte(body, ']')
	if i < 0 || j < i {
		w.WriteHeader(http.StatusUnprocessableEntity)
		return
	}
	opt, err := strconv.Atoi(string(bytes.TrimSpace(body[i+1 : j])))
	if err != nil || opt < 1 || opt > hubOptions {
		w.WriteHeader(http.StatusUnprocessableEntity)
		return
	}
	h.votes[opt-1].Add(1)
	h.total.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"receipt":"HUBHUBHUBHUBHUBHU"}`))
}

func (h *hub) results(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"poll_id":1,"status":"open","total":%d}`, h.total.Load())
}

// runHubServer serves the minimal hub: GET /ws, POST /api/v1/polls/1/votes and
// GET /api/v1/polls/1/results (option ids 1–4).
func runHubServer(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("hub-server", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:18091", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	h := &hub{conns: map[*hubConn]struct{}{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("GET /ws", h.serveWS)
	mux.HandleFunc("POST /api/v1/polls/1/votes", h.vote)
	mux.HandleFunc("GET /api/v1/polls/1/results", h.results)
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go h.broadcast(ctx)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
