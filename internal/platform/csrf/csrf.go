// Package csrf protects every state-changing browser request. A random secret lives in
// an HttpOnly cookie; forms and scripts send an HMAC of it (field "_csrf" or header
// "X-CSRF-Token"), which a cross-site page can neither read nor forge.
package csrf

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/problem"
)

// FieldName is the hidden form field; HeaderName the header for fetch().
const (
	FieldName  = "_csrf"
	HeaderName = "X-CSRF-Token"
)

// Protector issues and checks tokens.
type Protector struct {
	loadKey func(context.Context) ([]byte, error)
	mu      sync.Mutex
	key     []byte
	cookie  string
	secure  bool
}

// New builds a protector whose key is loaded on first use (it lives in PostgreSQL,
// which may not answer yet when the server starts); secure (an https site) uses a
// __Host- cookie.
func New(loadKey func(context.Context) ([]byte, error), secure bool) *Protector {
	name := "lawka_csrf"
	if secure {
		name = "__Host-lawka_csrf"
	}
	return &Protector{loadKey: loadKey, cookie: name, secure: secure}
}

func (p *Protector) keyFor(ctx context.Context) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key == nil {
		k, err := p.loadKey(ctx)
		if err != nil {
			return nil, problem.Unavailable(2*time.Second, err)
		}
		p.key = k
	}
	return p.key, nil
}

type localKey int

// Token returns the token for the request's forms, setting the cookie when missing
// ("" only if the key cannot be loaded, and then no form can be sent anyway).
func (p *Protector) Token(c *fiber.Ctx) string {
	if t, ok := c.Locals(localKey(0)).(string); ok {
		return t
	}
	key, err := p.keyFor(c.UserContext())
	if err != nil {
		return ""
	}
	seed := c.Cookies(p.cookie)
	if len(seed) < 32 {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		seed = base64.RawURLEncoding.EncodeToString(b)
		c.Cookie(&fiber.Cookie{Name: p.cookie, Value: seed, Path: "/", HTTPOnly: true, Secure: p.secure,
			SameSite: fiber.CookieSameSiteLaxMode})
	}
	t := sign(key, seed)
	c.Locals(localKey(0), t)
	return t
}

func sign(key []byte, seed string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(seed))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Failed is the error for a missing or wrong token.
func Failed() *problem.Error {
	return &problem.Error{Status: fiber.StatusForbidden, Code: "csrf_failed", Key: "error.csrf_failed"}
}

// Middleware checks unsafe methods. Exempt are requests that carry no ambient authority
// a forged cross-site request could borrow: those with an Authorization header (API
// clients; a browser form cannot set one) and API requests without any cookie. Browser
// forms without a cookie still need a token, so sign-in itself cannot be forged.
func (p *Protector) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
			return c.Next()
		}
		if strings.HasPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ") {
			return c.Next()
		}
		if c.Get("Sec-Fetch-Site") == "cross-site" {
			return Failed()
		}
		ct := strings.ToLower(c.Get(fiber.HeaderContentType))
		if len(c.Request().Header.Peek(fiber.HeaderCookie)) == 0 && strings.HasPrefix(c.Path(), "/api/") {
			return c.Next()
		}
		sent := c.Get(HeaderName)
		if sent == "" && !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
			sent = c.FormValue(FieldName)
		}
		key, err := p.keyFor(c.UserContext())
		if err != nil {
			return err
		}
		seed := c.Cookies(p.cookie)
		if seed == "" || sent == "" || !hmac.Equal([]byte(sent), []byte(sign(key, seed))) {
			return Failed()
		}
		return c.Next()
	}
}
