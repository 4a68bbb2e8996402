package pagecache

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
)

// clock is a time the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// site is an app with one cached page whose text counts its renders; a request with
// the header "Signed-In" is a signed-in person's.
type site struct {
	app     *fiber.App
	cache   *Cache
	clock   *clock
	renders atomic.Int64
	gate    chan struct{} // when set, a render waits for it
	started chan struct{}
}

func newSite(t *testing.T, handler func(s *site, c *fiber.Ctx) error) *site {
	t.Helper()
	s := &site{app: fiber.New(), clock: &clock{t: time.Unix(1_700_000_000, 0)}}
	s.cache = New(time.Second, 1<<20)
	s.cache.now = s.clock.now
	s.cache.Anonymous = func(c *fiber.Ctx) bool { return c.Get("Signed-In") == "" }
	s.cache.Lang = func(c *fiber.Ctx) string { return c.Get("Lang", "pl") }
	s.app.Get("/page", s.cache.Page(func(c *fiber.Ctx) error {
		n := s.renders.Add(1)
		if s.gate != nil {
			s.started <- struct{}{}
			<-s.gate
		}
		if handler != nil {
			return handler(s, c)
		}
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.SendString(fmt.Sprintf("<p>render %d for %s %s</p>%s", n, c.Get("Lang", "pl"), c.Query("sort"), strings.Repeat("ławka ", 200)))
	}))
	return s
}

type answer struct {
	status int
	cache  string
	body   string
	cookie string
}

func (s *site) get(t *testing.T, path string, headers ...string) answer {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r io.Reader = res.Body
	switch res.Header.Get("Content-Encoding") {
	case "br":
		r = brotli.NewReader(res.Body)
	case "gzip":
		if r, err = gzip.NewReader(res.Body); err != nil {
			t.Fatal(err)
		}
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header.Get(Header), string(b), res.Header.Get("Set-Cookie")}
}

func TestSignedOutVisitorsShareOneRenderWithinTheTTL(t *testing.T) {
	s := newSite(t, nil)
	first := s.get(t, "/page")
	if first.status != 200 || first.cache != "miss" || !strings.Contains(first.body, "render 1") {
		t.Fatalf("first view = %+v", first)
	}
	s.clock.add(900 * time.Millisecond)
	for _, enc := range []string{"br", "gzip", "identity", "gzip, deflate, br"} {
		again := s.get(t, "/page", "Accept-Encoding", enc)
		if again.cache != "hit" || again.body != first.body {
			t.Fatalf("view with %s within the TTL = %s %q, want the first render", enc, again.cache, again.body[:20])
		}
	}
	if n := s.renders.Load(); n != 1 {
		t.Fatalf("%d renders, want 1", n)
	}
	// Another language and another query are other pages.
	if en := s.get(t, "/page", "Lang", "en"); en.cache != "miss" || !strings.Contains(en.body, "for en") {
		t.Fatalf("English view = %+v", en)
	}
	if sorted := s.get(t, "/page?sort=newest"); sorted.cache != "miss" || !strings.Contains(sorted.body, "newest") {
		t.Fatalf("sorted view = %+v", sorted)
	}
}

func TestSignedInPeopleAlwaysGetAFreshPage(t *testing.T) {
	s := newSite(t, nil)
	s.get(t, "/page")
	for i := range 2 {
		a := s.get(t, "/page", "Signed-In", "yes")
		if a.cache != "bypass" || !strings.Contains(a.body, fmt.Sprintf("render %d", i+2)) {
			t.Fatalf("signed-in view %d = %s %q", i, a.cache, a.body[:20])
		}
	}
}

func TestAnExpiredPageIsRenderedAgain(t *testing.T) {
	s := newSite(t, nil)
	s.get(t, "/page")
	s.clock.add(time.Second)
	// Just expired: this request renders anew (others would get the old copy meanwhile).
	if a := s.get(t, "/page"); a.cache != "miss" || !strings.Contains(a.body, "render 2") {
		t.Fatalf("view after the TTL = %s %q", a.cache, a.body[:20])
	}
	// Long expired: never served, rendered.
	s.clock.add(time.Minute)
	if a := s.get(t, "/page"); a.cache != "miss" || !strings.Contains(a.body, "render 3") {
		t.Fatalf("view long after = %s %q", a.cache, a.body[:20])
	}
}

func TestWhileOneRequestRendersOthersGetTheLastCopy(t *testing.T) {
	s := newSite(t, nil)
	s.get(t, "/page")
	s.clock.add(1500 * time.Millisecond)
	s.gate, s.started = make(chan struct{}), make(chan struct{})
	renewed := make(chan answer)
	go func() { renewed <- s.get(t, "/page") }()
	<-s.started // the renewing render is under way and blocked
	if a := s.get(t, "/page"); a.cache != "stale" || !strings.Contains(a.body, "render 1") {
		t.Fatalf("view during the render = %s %q, want the last copy at once", a.cache, a.body[:20])
	}
	close(s.gate)
	if a := <-renewed; a.cache != "miss" || !strings.Contains(a.body, "render 2") {
		t.Fatalf("renewing view = %s %q", a.cache, a.body[:20])
	}
	if a := s.get(t, "/page"); a.cache != "hit" || !strings.Contains(a.body, "render 2") {
		t.Fatalf("view after = %s %q", a.cache, a.body[:20])
	}
}

func TestPersonalOrFailedAnswersAreNeverKept(t *testing.T) {
	cases := map[string]func(s *site, c *fiber.Ctx) error{
		"sets a cookie": func(s *site, c *fiber.Ctx) error {
			c.Cookie(&fiber.Cookie{Name: "lawka_csrf", Value: fmt.Sprint(s.renders.Load())})
			c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
			return c.SendString(fmt.Sprintf("token %d", s.renders.Load()))
		},
		"not found": func(s *site, c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
			return c.Status(404).SendString(fmt.Sprintf("gone %d", s.renders.Load()))
		},
		"an error": func(s *site, c *fiber.Ctx) error { return fmt.Errorf("database away %d", s.renders.Load()) },
		"not HTML": func(s *site, c *fiber.Ctx) error {
			return c.JSON(fiber.Map{"n": s.renders.Load()})
		},
		"no-store": func(s *site, c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
			c.Set(fiber.HeaderCacheControl, "no-store")
			return c.SendString(fmt.Sprintf("private %d", s.renders.Load()))
		},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSite(t, h)
			a, b := s.get(t, "/page"), s.get(t, "/page")
			if a.body == b.body || s.renders.Load() != 2 || b.cache != "miss" {
				t.Fatalf("second view = %s %q after %q; want a render of its own", b.cache, b.body, a.body)
			}
		})
	}
}

func TestCompressedCopiesAreTheSamePage(t *testing.T) {
	s := newSite(t, nil)
	plain := s.get(t, "/page", "Accept-Encoding", "identity")
	br := s.get(t, "/page", "Accept-Encoding", "br")
	gz := s.get(t, "/page", "Accept-Encoding", "gzip")
	if plain.body != br.body || plain.body != gz.body || !bytes.Contains([]byte(plain.body), []byte("ławka")) {
		t.Fatal("the br and gzip copies do not decode to the page")
	}
}

func TestTheCacheKeepsToItsSize(t *testing.T) {
	s := newSite(t, nil)
	s.cache.maxBytes = 24 << 10 // about eighteen pages of this site
	for i := range 20 {
		s.get(t, fmt.Sprintf("/page?sort=%d", i))
	}
	if n := s.cache.size.Load(); n > s.cache.maxBytes {
		t.Fatalf("cache holds %d bytes, bound %d", n, s.cache.maxBytes)
	}
	if a := s.get(t, "/page?sort=19"); a.cache != "hit" {
		t.Fatalf("the newest page was dropped (%s)", a.cache)
	}
}
