// Package pagecache keeps public pages, as signed-out visitors see them, for a short
// moment (a second by default), compressed once. A proposal being read by a whole room
// then costs one render a second, not one per reader, and its readers get the page at
// the speed of static bytes. Signed-in people always get a fresh page: theirs carries
// their name, votes and forms.
//
// Staleness is bounded by the time to live: live updates (websockets) and the comment
// catch-up after subscribing fill the gap in the browser. Only complete 200 HTML
// answers that set no cookie are kept, so a per-visitor answer is never shared.
package pagecache

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"golang.org/x/sync/singleflight"
)

// Header tells what the cache did with a request: hit, stale (served while another
// request renders a fresh copy), miss or bypass.
const Header = "X-Lawka-Cache"

// Compression levels of Fiber's compress middleware at its default level, so a cached
// page is byte for byte what the page would have been.
const (
	brotliLevel = fasthttp.CompressBrotliDefaultCompression
	gzipLevel   = fasthttp.CompressDefaultCompression
)

// Cache holds rendered pages by language, path and query.
type Cache struct {
	ttl      time.Duration
	maxBytes int64
	// Anonymous reports whether the request may share the signed-out page.
	Anonymous func(c *fiber.Ctx) bool
	// Lang is the request's language (part of the key).
	Lang func(c *fiber.Ctx) string

	mu      sync.RWMutex
	entries map[string]*entry
	size    atomic.Int64
	group   singleflight.Group
	now     func() time.Time

	answers *prometheus.CounterVec
	counted map[string]prometheus.Counter // answers' counters by result, resolved once (off the hit path)
}

type entry struct {
	contentType string
	raw         []byte
	born        time.Time
	renewing    atomic.Bool

	mu      sync.Mutex
	encoded map[string][]byte // by Content-Encoding, made on first demand
}

// New makes a cache whose pages live ttl and which holds at most maxBytes of page text
// (0 or less turns caching off: every request renders).
func New(ttl time.Duration, maxBytes int64) *Cache {
	c := &Cache{ttl: ttl, maxBytes: maxBytes, entries: map[string]*entry{}, now: time.Now,
		Anonymous: func(*fiber.Ctx) bool { return false }, Lang: func(*fiber.Ctx) string { return "" },
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lawka_page_cache_answers_total",
			Help: "Public page requests by what the page cache did: hit, stale, miss, bypass.",
		}, []string{"result"})}
	c.counted = map[string]prometheus.Counter{}
	for _, r := range []string{"hit", "stale", "miss", "bypass"} {
		c.counted[r] = c.answers.WithLabelValues(r)
	}
	return c
}

// Collector is the cache's metric, for the metrics registry.
func (p *Cache) Collector() prometheus.Collector { return p.answers }

// maxKey bounds the key: a very long query string is rendered, never kept.
const maxKey = 512

// Page serves h's answer from the cache when the visitor is signed out.
func (p *Cache) Page(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if p.ttl <= 0 || p.maxBytes <= 0 || c.Method() != fiber.MethodGet || !p.Anonymous(c) {
			return p.bypass(c, h)
		}
		key := p.Lang(c) + "\x00" + c.Path() + "?" + string(c.Request().URI().QueryString())
		if len(key) > maxKey {
			return p.bypass(c, h)
		}
		p.mu.RLock()
		e := p.entries[key]
		p.mu.RUnlock()
		if e != nil {
			age := p.now().Sub(e.born)
			switch {
			case age < p.ttl:
				return p.serve(c, e, "hit")
			case age < 10*p.ttl && e.renewing.CompareAndSwap(false, true):
				// This request renders a fresh copy; the others keep getting this one meanwhile.
				defer e.renewing.Store(false)
				return p.render(c, h, key)
			case age < 10*p.ttl:
				return p.serve(c, e, "stale")
			}
		}
		// Nothing (recent) kept: one request renders, the others arriving meanwhile wait for it.
		var mine bool
		v, _, _ := p.group.Do(key, func() (any, error) {
			mine = true
			err := p.render(c, h, key)
			p.mu.RLock()
			kept := p.entries[key]
			p.mu.RUnlock()
			if kept == nil || p.now().Sub(kept.born) >= p.ttl {
				kept = nil
			}
			return result{kept, err}, nil
		})
		r := v.(result)
		if mine {
			return r.err
		}
		if r.entry == nil { // the page could not be kept: render it here
			return p.bypass(c, h)
		}
		return p.serve(c, r.entry, "hit")
	}
}

type result struct {
	entry *entry
	err   error
}

func (p *Cache) bypass(c *fiber.Ctx, h fiber.Handler) error {
	p.counted["bypass"].Inc()
	c.Set(Header, "bypass")
	return h(c)
}

// render runs h and keeps its answer when any signed-out visitor could have got it.
func (p *Cache) render(c *fiber.Ctx, h fiber.Handler, key string) error {
	p.counted["miss"].Inc()
	c.Set(Header, "miss")
	cookies := cookieCount(c)
	if err := h(c); err != nil {
		return err
	}
	res := c.Response()
	ct := string(res.Header.ContentType())
	if res.StatusCode() != fiber.StatusOK || cookieCount(c) != cookies || len(res.Header.ContentEncoding()) > 0 ||
		!strings.HasPrefix(ct, fiber.MIMETextHTML) || bytes.Contains(res.Header.Peek(fiber.HeaderCacheControl), []byte("no-store")) {
		return nil
	}
	raw := bytes.Clone(res.Body())
	if int64(len(raw)) > p.maxBytes/16 {
		return nil
	}
	e := &entry{contentType: ct, raw: raw, born: p.now(), encoded: map[string][]byte{}}
	p.store(key, e)
	p.write(c, e, "miss")
	return nil
}

func cookieCount(c *fiber.Ctx) int {
	n := 0
	c.Response().Header.VisitAllCookie(func(_, _ []byte) { n++ })
	return n
}

func (p *Cache) store(key string, e *entry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old := p.entries[key]; old != nil {
		p.size.Add(-int64(len(old.raw)))
	}
	p.entries[key] = e
	if p.size.Add(int64(len(e.raw))) <= p.maxBytes {
		return
	}
	// Over the bound: drop what has outlived its use, then anything, until it fits.
	now := p.now()
	for k, old := range p.entries {
		if now.Sub(old.born) >= 10*p.ttl {
			delete(p.entries, k)
			p.size.Add(-int64(len(old.raw)))
		}
	}
	for k, old := range p.entries {
		if p.size.Load() <= p.maxBytes {
			break
		}
		if k != key {
			delete(p.entries, k)
			p.size.Add(-int64(len(old.raw)))
		}
	}
}

func (p *Cache) serve(c *fiber.Ctx, e *entry, result string) error {
	p.counted[result].Inc()
	c.Status(fiber.StatusOK)
	p.write(c, e, result)
	return nil
}

// write puts e in the response, compressed as the request accepts (the compress
// middleware leaves an answer that already has a Content-Encoding alone).
func (p *Cache) write(c *fiber.Ctx, e *entry, result string) {
	res := c.Response()
	res.Header.SetContentType(e.contentType)
	res.Header.Add(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	res.Header.Set(Header, result)
	enc := encoding(c)
	if enc == "" {
		res.SetBodyRaw(e.raw)
		return
	}
	res.Header.SetContentEncoding(enc)
	res.SetBodyRaw(e.encode(enc))
}

func encoding(c *fiber.Ctx) string {
	h := &c.Request().Header
	switch {
	case h.HasAcceptEncoding("br"):
		return "br"
	case h.HasAcceptEncoding("gzip"):
		return "gzip"
	}
	return ""
}

func (e *entry) encode(enc string) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	if b, ok := e.encoded[enc]; ok {
		return b
	}
	var b []byte
	if enc == "br" {
		b = fasthttp.AppendBrotliBytesLevel(nil, e.raw, brotliLevel)
	} else {
		b = fasthttp.AppendGzipBytesLevel(nil, e.raw, gzipLevel)
	}
	e.encoded[enc] = b
	return b
}
