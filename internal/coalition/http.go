package coalition

import (
	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/httpx"
	"lawka/internal/platform/render"
)

// Handlers serves the coalition's public pages.
type Handlers struct {
	store  *Store
	render *render.Renderer
}

// NewHandlers builds the handlers.
func NewHandlers(store *Store, r *render.Renderer) *Handlers {
	return &Handlers{store: store, render: r}
}

// Declaration shows the current Declaration of cooperation.
func (h *Handlers) Declaration(c *fiber.Ctx) error {
	l := httpx.L(c)
	d, err := h.store.CurrentDeclaration(c.UserContext(), l.Lang)
	if err != nil {
		return err
	}
	return h.render.HTML(c, fiber.StatusOK, "coalition/declaration", render.View{
		Title:   d.Title,
		Section: "nav.declaration",
		Data:    d,
	})
}
