package proposal

import (
	"context"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/realtime"
)

// Handlers serves the proposals API and pages.
type Handlers struct {
	svc       *Service
	pages     pageRenderer
	places    Places
	publicURL string // for absolute links in feeds
	// Comments gives a proposal's comment section for its page (set by the server: the
	// comment feature's Section); nil shows none.
	Comments func(c *fiber.Ctx, id int64) (any, error)
	// MapTiles is the map picker's tile URL template (LAWKA_MAP_TILES; "" shows no map).
	MapTiles string
}

func proposalID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound()
	}
	return id, nil
}

// APICreate answers POST /api/v1/proposals.
func (h *Handlers) APICreate(c *fiber.Ctx) error {
	var in Input
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	p, err := h.svc.Create(c.UserContext(), auth.From(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"proposal": p})
}

// APIEdit answers PATCH /api/v1/proposals/{id} with the whole new text.
func (h *Handlers) APIEdit(c *fiber.Ctx) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	var in Input
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	p, err := h.svc.Edit(c.UserContext(), auth.From(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"proposal": p})
}

// APIDiscard answers DELETE /api/v1/proposals/{id}: the author deletes their draft.
func (h *Handlers) APIDiscard(c *fiber.Ctx) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	if err := h.svc.DiscardDraft(c.UserContext(), auth.From(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// APIGet answers GET /api/v1/proposals/{id}.
func (h *Handlers) APIGet(c *fiber.Ctx) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	p, err := h.svc.Get(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"proposal": p})
}

// filterFrom reads list parameters from the query; a malformed number names its field.
func filterFrom(c *fiber.Ctx) (Filter, error) {
	f := Filter{Status: strings.Clone(c.Query("status")), Query: strings.Clone(c.Query("q")),
		Sort: strings.Clone(c.Query("sort")), Cursor: strings.Clone(c.Query("cursor"))}
	bad := problem.Fields{}
	num := func(name string) int64 {
		raw := c.Query(name)
		if raw == "" {
			return 0
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			bad.Add(name, "proposals.filter_number")
		}
		return n
	}
	f.NeighbourhoodID = num("neighbourhood_id")
	f.TopicID = num("topic_id")
	if n := num("limit"); n > 100 {
		bad.Add("limit", "proposals.filter_number")
	} else {
		f.Limit = int(n)
	}
	return f, bad.Err()
}

// APIList answers GET /api/v1/proposals.
func (h *Handlers) APIList(c *fiber.Ctx) error {
	f, err := filterFrom(c)
	if err != nil {
		return err
	}
	list, next, err := h.svc.List(c.UserContext(), auth.From(c), f)
	if err != nil {
		return err
	}
	out := fiber.Map{"items": list}
	if next != "" {
		out["next_cursor"] = next
	}
	return c.JSON(out)
}

// APISupport answers POST (support) and DELETE (take back) /api/v1/proposals/{id}/support.
func (h *Handlers) APISupport(c *fiber.Ctx) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	n, on, err := h.svc.Support(c.UserContext(), auth.From(c), id, c.Method() == fiber.MethodPost)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"supports": n, "supported": on})
}

// APIStatus answers POST /api/v1/proposals/{id}/status {"status","answer"}.
func (h *Handlers) APIStatus(c *fiber.Ctx) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	var in struct {
		Status string `json:"status"`
		Answer string `json:"answer"`
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	p, err := h.svc.SetStatus(c.UserContext(), auth.From(c), id, in.Status, in.Answer)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"proposal": p})
}

// Room lets viewers of a proposal ("proposal:<id>") see its supports (and comments)
// move live: whoever may see the proposal, starting from its support count.
func Room(svc *Service) realtime.Numbered {
	return realtime.Numbered{Allow: svc.CanView, State: func(ctx context.Context, id int64) (string, any, error) {
		var supports int
		err := svc.pool.QueryRow(ctx, `SELECT supports FROM proposals WHERE id = $1`, id).Scan(&supports)
		return "proposal.supports", map[string]int{"supports": supports}, err
	}}
}
