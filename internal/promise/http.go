package promise

import (
	"context"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/cursor"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/realtime"
	"lawka/internal/platform/render"
)

// Handlers serves the tracker's pages, the console's form and the API.
type Handlers struct {
	svc   *Service
	pages *render.Renderer
	// Comments renders a promise's comment section (nil: none).
	Comments func(c *fiber.Ctx, id int64) (any, error)
	// Following says whether the viewer follows a promise (nil: no follow button).
	Following func(ctx context.Context, p auth.Principal, id int64) (bool, error)
}

// NewHandlers builds the handlers.
func NewHandlers(svc *Service, r *render.Renderer) *Handlers {
	return &Handlers{svc: svc, pages: r}
}

func paramID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound()
	}
	return id, nil
}

// logging reads the debate of a logging route and checks who asks before what they sent.
func (h *Handlers) logging(c *fiber.Ctx) (int64, auth.Principal, error) {
	id, err := paramID(c)
	if err != nil {
		return 0, auth.Principal{}, err
	}
	p := auth.From(c)
	return id, p, h.svc.MayLog(c.UserContext(), p, id)
}

// tracking reads the promise of an update route and checks who asks before what they sent.
func (h *Handlers) tracking(c *fiber.Ctx) (int64, auth.Principal, error) {
	id, err := paramID(c)
	if err != nil {
		return 0, auth.Principal{}, err
	}
	p := auth.From(c)
	return id, p, h.svc.MayTrack(p)
}

// APILog answers POST /api/v1/debates/{id}/promises {"speaker_id","text","topic",
// "agenda_item_id","moment_ms"} (the debate's moderators, admins, advocates).
func (h *Handlers) APILog(c *fiber.Ctx) error {
	id, p, err := h.logging(c)
	if err != nil {
		return err
	}
	var in LogInput
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	pr, err := h.svc.Log(c.UserContext(), p, id, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"promise": pr})
}

// number reads a positive number from a query or form value ("" is 0); anything else
// is a 422 on field.
func number(raw, field string) (int64, error) {
	if raw = strings.TrimSpace(raw); raw == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n <= 0 {
		return 0, problem.Invalid(map[string]string{field: "promises.filter_number"})
	}
	return n, nil
}

// filter reads the tracker's filters under the given names (debate, speaker — a number
// or "none" for the debate as a whole — topic, status).
func filter(c *fiber.Ctx, debate, speaker, topic, status string) (Filter, error) {
	var f Filter
	var err error
	if f.DebateID, err = number(c.Query(debate), debate); err != nil {
		return f, err
	}
	if raw := c.Query(speaker); raw == "none" || raw == "brak" {
		f.NoSpeaker = true
	} else if f.SpeakerID, err = number(raw, speaker); err != nil {
		return f, err
	}
	f.Topic, f.Status = strings.Clone(strings.TrimSpace(c.Query(topic))), strings.Clone(c.Query(status))
	return f, nil
}

// APIList answers GET /api/v1/promises?debate_id=&speaker_id=(id|none)&topic=&status=&cursor=&limit=.
func (h *Handlers) APIList(c *fiber.Ctx) error {
	f, err := filter(c, "debate_id", "speaker_id", "topic", "status")
	if err != nil {
		return err
	}
	if f.After, err = cursor.Decode(c.Query("cursor")); err != nil {
		return err
	}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n <= 0 || n > PageSize {
			return problem.Invalid(map[string]string{"limit": "promises.filter_number"})
		}
		f.Limit = n
	}
	ctx, p := c.UserContext(), auth.From(c)
	list, next, err := h.svc.List(ctx, p, f)
	if err != nil {
		return err
	}
	counts, total, err := h.svc.Counts(ctx, p, f)
	if err != nil {
		return err
	}
	out := fiber.Map{"items": list, "counts": counts, "total": total}
	if next > 0 {
		out["next_cursor"] = cursor.Encode(next)
	}
	return c.JSON(out)
}

// APIGet answers GET /api/v1/promises/{id}: the promise, its updates and history.
func (h *Handlers) APIGet(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	d, err := h.svc.Get(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"promise": d})
}

// APIUpdate answers POST /api/v1/promises/{id}/updates {"version","date","status",
// "note","links"} (advocates, moderators, admins) with the promise as it is now.
func (h *Handlers) APIUpdate(c *fiber.Ctx) error {
	id, p, err := h.tracking(c)
	if err != nil {
		return err
	}
	var in UpdateInput
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	d, err := h.svc.AddUpdate(c.UserContext(), p, id, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"promise": d})
}

// DebateRoom lets consoles and pages follow a debate's promises ("debate-promises:<id>"):
// whoever may see the debate.
func DebateRoom(svc *Service) realtime.Numbered {
	return realtime.Numbered{Allow: svc.debates.CanView, State: func(ctx context.Context, id int64) (string, any, error) {
		b, err := svc.Board(ctx, id)
		return DebateMessage, b, err
	}}
}

// PromiseRoom is a promise's page room ("promise:<id>"): its status, and its comments live.
func PromiseRoom(svc *Service) realtime.Numbered {
	return realtime.Numbered{Allow: svc.CanView, State: func(ctx context.Context, id int64) (string, any, error) {
		pr, err := readPromise(ctx, svc.pool, id, true, false)
		return PromiseType, map[string]any{"status": pr.Status, "version": pr.Version}, err
	}}
}
