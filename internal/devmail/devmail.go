// Package devmail shows admins the mail the platform would have sent, in development,
// where LAWKA_SMTP_URL is unset, so registration and password reset can be completed
// locally.
package devmail

import (
	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/mail"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

// Handlers serves /dev/mail.
type Handlers struct {
	pool   *pgxpool.Pool
	render *render.Renderer
}

// NewHandlers builds the handlers.
func NewHandlers(pool *pgxpool.Pool, r *render.Renderer) *Handlers {
	return &Handlers{pool: pool, render: r}
}

// List shows the newest 50 messages to admins.
func (h *Handlers) List(c *fiber.Ctx) error {
	if !auth.From(c).Has(auth.Admin) {
		return problem.Forbidden()
	}
	msgs, err := mail.Recent(c.UserContext(), h.pool, 50)
	if err != nil {
		return err
	}
	return h.render.HTML(c, fiber.StatusOK, "devmail/index", render.View{Title: httpx.L(c).T("devmail.title"), Data: msgs})
}
