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
	// Debates lists the debates held in the district or about it (nil: none).
	Debates Debates
	// Spots lists the places in the district that proposals and events are about (nil: none).
	Spots Places
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

// DebateLink is a debate as a district page lists it.
type DebateLink struct {
	ID       int64
	Title    string
	StartsAt time.Time
	Phase    string // scheduled, live, paused, ended
}

// Debates lists the debates held in a district or about it, coming ones first (the
// debate feature).
type Debates interface {
	ForDistrict(ctx context.Context, districtID int64, n int) ([]DebateLink, error)
}

// PlaceLink is a place in the district that something on the platform is about: a
// proposal's location or an event's venue.
type PlaceLink struct {
	Name  string
	Kind  string // "proposal" or "event"
	About string // the proposal's or event's title
	Href  string
	Map   string // an OpenStreetMap link when the place has coordinates ("" otherwise)
}

// Places lists a district's places (the proposal and event features).
type Places interface {
	InDistrict(ctx context.Context, p auth.Principal, districtID int64, n int) ([]PlaceLink, error)
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
	Debates       []DebateLink
	Places        []PlaceLink
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
	if h.Debates != nil {
		if data.Debates, err = h.Debates.ForDistrict(ctx, n.ID, 5); err != nil {
			return err
		}
	}
	if h.Spots != nil {
		if data.Places, err = h.Spots.InDistrict(ctx, auth.From(c), n.ID, 10); err != nil {
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
