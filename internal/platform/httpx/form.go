package httpx

import (
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

// FormProblem turns a service error into form errors for the page to show again.
// It returns false for errors that are not the person's to fix (those go to the error
// handler), and the status the re-rendered page should carry.
func FormProblem(c *fiber.Ctx, err error, form *render.Form) (int, bool) {
	p, ok := problem.As(err)
	if !ok || p.Status >= 500 && p.Status != fiber.StatusServiceUnavailable {
		return 0, false
	}
	l := L(c)
	for field, key := range p.Fields {
		form.Errors[field] = l.T(key)
	}
	if len(p.Fields) == 0 {
		form.General = l.T(p.Key, p.Args...)
	}
	if p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(p.RetryAfter.Seconds()))))
	}
	return p.Status, true
}

// FormValues copies the named fields of a posted form (copies: Fiber reuses its buffers).
func FormValues(c *fiber.Ctx, form *render.Form, names ...string) {
	for _, n := range names {
		form.Values[n] = strings.Clone(c.FormValue(n))
	}
}

// FormList reads every value of a repeated field (checkboxes, a multiple select) of an
// urlencoded or multipart form, as copies.
func FormList(c *fiber.Ctx, name string) []string {
	var out []string
	if mf, err := c.MultipartForm(); err == nil {
		for _, v := range mf.Value[name] {
			out = append(out, strings.Clone(v))
		}
		return out
	}
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		out = append(out, string(v))
	}
	return out
}

// FormIDs reads a repeated field of ids; values that are not whole numbers are left
// out (the service judges the rest).
func FormIDs(c *fiber.Ctx, name string) []int64 {
	var out []int64
	for _, raw := range FormList(c, name) {
		if id, err := strconv.ParseInt(raw, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// SafeNext returns a local path to go to after a form, or fallback: never another site.
func SafeNext(next, fallback string) string {
	if len(next) == 0 || next[0] != '/' || len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return fallback
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return fallback
		}
	}
	return next
}
