package debate

import (
	"context"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/event"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/realtime"
)

// param reads a numeric route parameter; anything else is not found.
func param(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound()
	}
	return id, nil
}

func debateID(c *fiber.Ctx) (int64, error) { return param(c, "id") }

// running reads the route's debate when the caller runs its console.
func (h *Handlers) running(c *fiber.Ctx) (int64, error) {
	id, err := debateID(c)
	if err == nil {
		err = h.svc.MayRun(c.UserContext(), auth.From(c), id)
	}
	return id, err
}

// speaker reads the debate and speaker of a speaker's route.
func speaker(c *fiber.Ctx) (id, sp int64, err error) {
	if id, err = debateID(c); err == nil {
		sp, err = param(c, "speaker")
	}
	return id, sp, err
}

// APIList answers GET /api/v1/debates?when=upcoming|past&cursor=&limit=.
func (h *Handlers) APIList(c *fiber.Ctx) error {
	f := event.Filter{When: strings.Clone(c.Query("when")), Cursor: strings.Clone(c.Query("cursor"))}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n <= 0 || n > 100 {
			return problem.Invalid(map[string]string{"limit": "events.filter_number"})
		}
		f.Limit = n
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

// APIGet answers GET /api/v1/debates/{id}.
func (h *Handlers) APIGet(c *fiber.Ctx) error {
	id, err := debateID(c)
	if err != nil {
		return err
	}
	d, err := h.svc.Get(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"debate": d})
}

// APICreate answers POST /api/v1/debates (staff).
func (h *Handlers) APICreate(c *fiber.Ctx) error {
	p := auth.From(c)
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	var in Input
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	d, err := h.svc.Create(c.UserContext(), p, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"debate": d})
}

// APIAct answers POST /api/v1/debates/{id}/actions {"action","expected_seq",…} (the
// debate's moderators and admins) with the new state.
func (h *Handlers) APIAct(c *fiber.Ctx) error {
	// Who asks comes before what they sent.
	id, err := h.running(c)
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), auth.From(c)
	var cmd Command
	if err := httpx.DecodeJSON(c, &cmd); err != nil {
		return err
	}
	st, err := h.svc.Act(ctx, p, id, cmd)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"state": st})
}

// LiveRoom lets viewers follow a debate ("debate:<id>"): whoever may see the debate,
// starting from its whole state.
func LiveRoom(svc *Service) realtime.Numbered {
	return realtime.Numbered{Allow: svc.CanView, State: func(ctx context.Context, id int64) (string, any, error) {
		st, err := svc.State(ctx, id)
		return StateMessage, st, err
	}}
}
