// Package httpx is the HTTP platform: middleware (request ids, access logs, security
// headers, deadlines, language), the one error handler that maps typed errors to JSON
// or a translated page, and strict JSON decoding.
package httpx

import (
	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/i18n"
)

type localKey int

const (
	keyRequestID localKey = iota
	keyClientIP
	keyLocalizer
)

// RequestID is the id of the current request (also in logs and the X-Request-ID header).
func RequestID(c *fiber.Ctx) string {
	s, _ := c.Locals(keyRequestID).(string)
	return s
}

// ClientIP is the caller's address, believing X-Forwarded-For only from trusted proxies.
func ClientIP(c *fiber.Ctx) string {
	if s, ok := c.Locals(keyClientIP).(string); ok {
		return s
	}
	return c.Context().RemoteIP().String()
}

// L is the request's localizer.
func L(c *fiber.Ctx) *i18n.Localizer {
	l, _ := c.Locals(keyLocalizer).(*i18n.Localizer)
	return l
}

// SetLocalizer replaces the request's localizer (the account feature does this when a
// signed-in person has chosen a language).
func SetLocalizer(c *fiber.Ctx, l *i18n.Localizer) { c.Locals(keyLocalizer, l) }

// WantsJSON reports whether the caller is an API client rather than a browser page.
func WantsJSON(c *fiber.Ctx) bool {
	p := c.Path()
	if len(p) >= 5 && p[:5] == "/api/" {
		return true
	}
	return c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON
}
