package comment

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
)

// Handlers serves the comments API. The target routes are made per kind of target
// (APIPost("proposal") for POST /api/v1/proposals/{id}/comments); the comment routes
// work for every kind.
type Handlers struct {
	svc *Service
}

// NewHandlers builds the API handlers.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc} }

// Service is the comment service behind the handlers.
func (h *Handlers) Service() *Service { return h.svc }

func paramID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound()
	}
	return id, nil
}

// APIPost answers POST /api/v1/<kind>s/{id}/comments {body,parent_id?,stance}: 201
// {"comment":Comment}.
func (h *Handlers) APIPost(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c)
		if err != nil {
			return err
		}
		var in New
		if err := httpx.DecodeJSON(c, &in); err != nil {
			return err
		}
		cm, err := h.svc.Post(c.UserContext(), auth.From(c), Target{Type: kind, ID: id}, in)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"comment": cm})
	}
}

// APIList answers GET /api/v1/<kind>s/{id}/comments?sort=best|newest|oldest&cursor=:
// a page of threads, each root with its first replies nested under "replies".
func (h *Handlers) APIList(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c)
		if err != nil {
			return err
		}
		t := Target{Type: kind, ID: id}
		if raw := c.Query("since"); raw != "" { // a page's catch-up after missed live messages
			after, err := strconv.ParseInt(raw, 10, 64)
			if err != nil || after < 0 {
				return problem.Invalid(map[string]string{"since": "error.field_wrong_type"})
			}
			pg, err := h.svc.Since(c.UserContext(), auth.From(c), t, after)
			if err != nil {
				return err
			}
			return c.JSON(pg)
		}
		pg, err := h.svc.Page(c.UserContext(), auth.From(c), t,
			strings.Clone(c.Query("sort")), strings.Clone(c.Query("cursor")))
		if err != nil {
			return err
		}
		return c.JSON(pg)
	}
}

// APIEdit answers PATCH /api/v1/comments/{id} {body}: 200 {"comment":Comment}.
func (h *Handlers) APIEdit(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	cm, err := h.svc.Edit(c.UserContext(), auth.From(c), id, in.Body)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"comment": cm})
}

// APIDelete answers DELETE /api/v1/comments/{id}: 204, also when already deleted.
func (h *Handlers) APIDelete(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if err := h.svc.Delete(c.UserContext(), auth.From(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// APIVote answers POST /api/v1/comments/{id}/vote {value: 1|-1|0}: 200
// {"id","up","down","score","my_vote"}.
func (h *Handlers) APIVote(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if !auth.From(c).SignedIn() {
		return problem.Unauthorized()
	}
	var in struct {
		Value *int `json:"value"`
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if in.Value == nil {
		return problem.Invalid(map[string]string{"value": "comments.value_unknown"})
	}
	v, err := h.svc.Vote(c.UserContext(), auth.From(c), id, *in.Value)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// APIThread answers GET /api/v1/comments/{id}/thread?cursor=: the thread holding the
// comment, {"comment":root with this page's replies nested,"orphans":[replies whose
// parent was on an earlier page],"next_cursor"} — where a target's list says
// more_replies, this is the rest.
func (h *Handlers) APIThread(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	th, err := h.svc.Thread(c.UserContext(), auth.From(c), id, strings.Clone(c.Query("cursor")))
	if err != nil {
		return err
	}
	out := fiber.Map{"comment": th.Root, "orphans": th.Orphans}
	if th.Orphans == nil {
		out["orphans"] = []*Comment{}
	}
	if th.NextCursor != "" {
		out["next_cursor"] = th.NextCursor
	}
	return c.JSON(out)
}

// APIRevisions answers GET /api/v1/comments/{id}/revisions: the earlier versions of an
// edited comment, oldest first, {"items":[{body,body_html,written_at,replaced_at}]}.
func (h *Handlers) APIRevisions(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	_, list, err := h.svc.History(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	if list == nil {
		list = []Revision{}
	}
	return c.JSON(fiber.Map{"items": list})
}
