package metrics

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// TestLabelsSurviveTheNextRequest: requests of different methods on one keep-alive
// connection each keep their own method label, and /metrics can still be gathered.
// (Labels once pointed into fasthttp's reused buffer: a POST after a GET rewrote the
// GET series' label, and the duplicate series made every scrape fail.)
func TestLabelsSurviveTheNextRequest(t *testing.T) {
	reg := New(nil, nil)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(reg.Middleware())
	app.All("/x", func(c *fiber.Ctx) error { return c.SendString("ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	tr := &http.Transport{MaxConnsPerHost: 1}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	methods := []string{"GET", "POST", "PUT", "DELETE", "PATCH", "GET", "POST"}
	for _, m := range methods {
		req, _ := http.NewRequest(m, "http://"+ln.Addr().String()+"/x", strings.NewReader("abcdefgh"))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gathering after mixed methods: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		if f.GetName() != "lawka_http_request_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "method" {
					seen[l.GetValue()] = true
				}
			}
		}
	}
	for _, m := range methods {
		if !seen[m] {
			t.Errorf("no series for %s; methods seen: %v", m, seen)
		}
	}
	if len(seen) != 5 {
		t.Errorf("method labels %v, want exactly the 5 methods sent", seen)
	}
}
