package neighbourhood

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/render"
)

// Handlers serves the home page, district pages and the districts API.
type Handlers struct {
	store     *Store
	render    *render.Renderer
	proposals Proposals
	// Events lists the district's coming events on its page (nil: none).
	Events Events
	// Consultations lists the district's consultations on its page (nil: none).
	Consultations Consultations
}

// ProposalLink is a proposal as a district page lists it.
type ProposalLink struct {
	ID       int64
	Title    string
	Status   string
	Supports int
	Place    string // where, in a few words ("" when the proposal names no place)
}

// Proposals lists a district's latest proposals (the proposal feature).
type Proposals interface {
	Latest(ctx context.Context, p auth.Principal, districtID int64, n int) ([]ProposalLink, error)
}

// EventLink is an event as a district page lists it.
type EventLink struct {
	ID        int64
	Title     string
	Kind      string
	StartsAt  time.Time
	Cancelled bool
}

// Events lists a district's coming events (the event feature).
type Events interface {
	Upcoming(ctx context.Context, p auth.Principal, districtID int64, n int) ([]EventLink, error)
}

// ConsultationLink is a consultation as a district page lists it.
type ConsultationLink struct {
	ID       int64
	Title    string
	Phase    string
	ClosesAt time.Time
}

// Consultations lists a district's consultations, open ones first (the consultation
// feature).
type Consultations interface {
	ForDistrict(ctx context.Context, districtID int64, n int) ([]ConsultationLink, error)
}

// NewHandlers builds the handlers; proposals may be nil (no list on district pages).
func NewHandlers(store *Store, r *render.Renderer, proposals Proposals) *Handlers {
	return &Handlers{store: store, render: r, proposals: proposals}
}

// HomeData is the home page's content.
type HomeData struct {
	Districts []Neighbourhood
	Topics    []Topic
}

// Home lists Kraków's districts.
func (h *Handlers) Home(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ds, err := h.store.List(ctx)
	if err != nil {
		return err
	}
	ts, err := h.store.Topics(ctx)
	if err != nil {
		return err
	}
	return h.render.HTML(c, fiber.StatusOK, "home/index", render.View{
		Title:   httpx.L(c).T("home.title"),
		Section: "nav.home",
		Data:    HomeData{Districts: ds, Topics: ts},
	})
}

// ShowData is a district page's content.
type ShowData struct {
	District  Neighbourhood
	Topics    []Topic
	Proposals []ProposalLink
	Events    []EventLink
	// Consultations are the district's consultations.
	Consultations []ConsultationLink
}

// Show is one district's page.
func (h *Handlers) Show(c *fiber.Ctx) error {
	ctx := c.UserContext()
	n, err := h.store.BySlug(ctx, c.Params("slug"))
	if err != nil {
		return err
	}
	ts, err := h.store.Topics(ctx)
	if err != nil {
		return err
	}
	data := ShowData{District: n, Topics: ts}
	if h.proposals != nil {
		if data.Proposals, err = h.proposals.Latest(ctx, auth.From(c), n.ID, 10); err != nil {
			return err
		}
	}
	if h.Events != nil {
		if data.Events, err = h.Events.Upcoming(ctx, auth.From(c), n.ID, 5); err != nil {
			return err
		}
	}
	if h.Consultations != nil {
		if data.Consultations, err = h.Consultations.ForDistrict(ctx, n.ID, 5); err != nil {
			return err
		}
	}
	return h.render.HTML(c, fiber.StatusOK, "neighbourhood/show", render.View{
		Title:   n.Name,
		Section: "nav.home",
		Data:    data,
	})
}

// apiNeighbourhood is the API's shape: {id, slug, name}.
type apiNeighbourhood struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// APIList answers GET /api/v1/neighbourhoods.
func (h *Handlers) APIList(c *fiber.Ctx) error {
	ds, err := h.store.List(c.UserContext())
	if err != nil {
		return err
	}
	items := make([]apiNeighbourhood, len(ds))
	for i, d := range ds {
		items[i] = apiNeighbourhood{ID: d.ID, Slug: d.Slug, Name: d.Name}
	}
	return c.JSON(fiber.Map{"items": items})
}
