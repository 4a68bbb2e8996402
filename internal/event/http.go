package event

import (
	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
)

// staffJSON reads the event id and the JSON body of a staff operation, checking the
// role first (who asks comes before what they sent).
func staffJSON(c *fiber.Ctx, body any) (int64, auth.Principal, error) {
	id, err := eventID(c)
	if err != nil {
		return 0, auth.Principal{}, err
	}
	p := auth.From(c)
	if err := auth.RequireStaff(p); err != nil {
		return 0, p, err
	}
	return id, p, httpx.DecodeJSON(c, body)
}

// APIList answers GET /api/v1/events?kind=&neighbourhood_id=&month=&when=&cursor=&limit=.
func (h *Handlers) APIList(c *fiber.Ctx) error {
	f, err := calendarFilter(c)
	if err != nil {
		return err
	}
	list, next, err := h.svc.List(c.UserContext(), auth.From(c), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []Event{}
	}
	out := fiber.Map{"items": list}
	if next != "" {
		out["next_cursor"] = next
	}
	return c.JSON(out)
}

// APIGet answers GET /api/v1/events/{id}.
func (h *Handlers) APIGet(c *fiber.Ctx) error {
	id, err := eventID(c)
	if err != nil {
		return err
	}
	e, err := h.svc.Get(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"event": e})
}

// APICreate answers POST /api/v1/events (staff).
func (h *Handlers) APICreate(c *fiber.Ctx) error {
	p := auth.From(c)
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	var in Input
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	e, err := h.svc.Create(c.UserContext(), p, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"event": e})
}

// APIEdit answers PATCH /api/v1/events/{id} with the whole new version (staff).
func (h *Handlers) APIEdit(c *fiber.Ctx) error {
	var in Input
	id, p, err := staffJSON(c, &in)
	if err != nil {
		return err
	}
	e, err := h.svc.Edit(c.UserContext(), p, id, in)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"event": e})
}

// APICancelEvent answers POST /api/v1/events/{id}/cancel {"reason"} (staff).
func (h *Handlers) APICancelEvent(c *fiber.Ctx) error {
	var in struct {
		Reason string `json:"reason"`
	}
	id, p, err := staffJSON(c, &in)
	if err != nil {
		return err
	}
	e, err := h.svc.CancelEvent(c.UserContext(), p, id, in.Reason)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"event": e})
}

// APIMinutes answers PUT /api/v1/events/{id}/minutes {"minutes"} (staff; files are
// attached with the page's form).
func (h *Handlers) APIMinutes(c *fiber.Ctx) error {
	var in MinutesInput
	id, p, err := staffJSON(c, &in)
	if err != nil {
		return err
	}
	e, err := h.svc.SaveMinutes(c.UserContext(), p, id, MinutesInput{Minutes: in.Minutes})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"event": e})
}

// APIRegistrations answers GET /api/v1/events/{id}/registrations (staff).
func (h *Handlers) APIRegistrations(c *fiber.Ctx) error {
	id, err := eventID(c)
	if err != nil {
		return err
	}
	list, err := h.svc.Registrations(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	if list == nil {
		list = []Registrant{}
	}
	return c.JSON(fiber.Map{"items": list})
}

// APIRegister answers POST (register: 201 the first time, 200 when already registered
// or waiting) and DELETE (cancel: 200) /api/v1/events/{id}/registration.
func (h *Handlers) APIRegister(c *fiber.Ctx) error {
	id, err := eventID(c)
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), auth.From(c)
	if c.Method() == fiber.MethodDelete {
		r, err := h.svc.Cancel(ctx, p, id)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"registration": r})
	}
	before, err := h.svc.Get(ctx, p, id)
	if err != nil {
		return err
	}
	r, err := h.svc.Register(ctx, p, id)
	if err != nil {
		return err
	}
	status := fiber.StatusCreated
	if before.Mine != nil {
		status = fiber.StatusOK
	}
	return c.Status(status).JSON(fiber.Map{"registration": r})
}
