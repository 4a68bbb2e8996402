package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/i18n"
)

// RequestIDs gives every request an id: a sane incoming X-Request-ID (from a proxy) is
// kept, anything else replaced, so logs cannot be forged through it.
func RequestIDs() fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Get(fiber.HeaderXRequestID)
		if !saneID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		} else {
			id = strings.Clone(id)
		}
		c.Locals(keyRequestID, id)
		c.Set(fiber.HeaderXRequestID, id)
		return c.Next()
	}
}

func saneID(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// ClientIPs resolves the caller's address: X-Forwarded-For is read from the right and
// each hop believed only while it comes from a trusted proxy.
func ClientIPs(trusted []netip.Prefix) fiber.Handler {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	return func(c *fiber.Ctx) error {
		remote, _ := netip.AddrFromSlice(c.Context().RemoteIP())
		ip := remote.Unmap()
		if len(trusted) > 0 && isTrusted(ip) {
			hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
			for i := len(hops) - 1; i >= 0; i-- {
				a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
				if err != nil {
					break
				}
				ip = a.Unmap()
				if !isTrusted(ip) {
					break
				}
			}
		}
		c.Locals(keyClientIP, ip.String())
		return c.Next()
	}
}

// AccessLog writes one structured line per request.
func AccessLog(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			// Let the error handler write the response now, so the logged status is real.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		log.LogAttrs(c.UserContext(), level, "request",
			slog.String("request_id", RequestID(c)),
			slog.String("method", c.Method()),
			slog.String("path", c.Path()),
			slog.String("route", c.Route().Path),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.Int("bytes", len(c.Response().Body())),
			slog.String("ip", ClientIP(c)),
		)
		return nil
	}
}

// Deadline gives every request a context with a timeout (Fiber's UserContext has none),
// which every store passes to PostgreSQL and Redis.
func Deadline(d time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	}
}

// SecurityHeaders sets a strict CSP (no inline scripts or styles, no third parties but
// the image origins given: the map picker's tile server) and the usual hardening
// headers; HSTS only when the site is served over TLS. Geolocation is allowed to the
// site itself (the map picker's "use my location", which the browser still asks about).
// Browsers report violations to reportURI (report-uri; "" for none).
func SecurityHeaders(https bool, reportURI string, imgOrigins ...string) fiber.Handler {
	img := "'self' data:"
	for _, o := range imgOrigins {
		if o != "" {
			img += " " + o
		}
	}
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + img + "; " +
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; " +
		"frame-ancestors 'none'"
	if reportURI != "" {
		csp += "; report-uri " + reportURI
	}
	return func(c *fiber.Ctx) error {
		h := &c.Response().Header
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(self), interest-cohort=()")
		if https {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return c.Next()
	}
}

// LangCookie is the cookie that remembers a visitor's language choice.
const LangCookie = "lang"

// Language picks the request's language: ?lang= (the switcher's links, which also
// remember the choice in a cookie), then the cookie, then Accept-Language.
// A signed-in person's own setting overrides this later in the chain.
func Language(b *i18n.Bundle, secure bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cookie := c.Cookies(LangCookie)
		if q := c.Query("lang"); i18n.Supported(q) {
			if q != cookie {
				c.Cookie(&fiber.Cookie{Name: LangCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
					HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
			}
			cookie = q
		}
		lang := b.Negotiate("", cookie, c.Get(fiber.HeaderAcceptLanguage))
		c.Locals(keyLocalizer, b.For(lang))
		c.Vary(fiber.HeaderAcceptLanguage, fiber.HeaderCookie)
		return c.Next()
	}
}
