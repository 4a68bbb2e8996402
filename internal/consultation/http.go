package consultation

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
)

func paramID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound()
	}
	return id, nil
}

func consultationID(c *fiber.Ctx) (int64, error) { return paramID(c, "id") }

// APIList answers GET /api/v1/consultations?neighbourhood_id=: published consultations,
// open and upcoming first.
func (h *Handlers) APIList(c *fiber.Ctx) error {
	var district int64
	if raw := c.Query("neighbourhood_id"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			return problem.Invalid(map[string]string{"neighbourhood_id": "consultations.filter_number"})
		}
		district = n
	}
	list, err := h.svc.List(c.UserContext(), district, 0)
	if err != nil {
		return err
	}
	if list == nil {
		list = []Consultation{}
	}
	return c.JSON(fiber.Map{"items": list})
}

// APIGet answers GET /api/v1/consultations/{id}.
func (h *Handlers) APIGet(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	k, err := h.svc.Get(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"consultation": k})
}

// APICreate answers POST /api/v1/consultations (staff).
func (h *Handlers) APICreate(c *fiber.Ctx) error {
	p := auth.From(c)
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	var in Input
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	k, err := h.svc.Create(c.UserContext(), p, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"consultation": k})
}

// APIEdit answers PATCH /api/v1/consultations/{id} with the whole new version (staff).
func (h *Handlers) APIEdit(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	p := auth.From(c)
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	var in Input
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	k, err := h.svc.Edit(c.UserContext(), p, id, in)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"consultation": k})
}

// responseBody is what answering through the API sends.
type responseBody struct {
	Answers Answers `json:"answers"`
	Submit  bool    `json:"submit"`
}

// APIMine answers GET /api/v1/consultations/{id}/response: the caller's own response.
func (h *Handlers) APIMine(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	r, err := h.svc.Mine(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"response": r})
}

// APIRespond answers POST (a new response: 201, or 200 over the caller's own draft; 409
// when already submitted) and PATCH (change the caller's response: 200)
// /api/v1/consultations/{id}/response.
func (h *Handlers) APIRespond(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	p := auth.From(c)
	if err := auth.RequireActive(p); err != nil {
		return err
	}
	var in responseBody
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	mode := CreateOnly
	if c.Method() == fiber.MethodPatch {
		mode = EditOnly
	}
	r, created, err := h.svc.Save(c.UserContext(), p, id, in.Answers, nil, in.Submit, mode)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(fiber.Map{"response": r})
}

// APIPaper answers POST /api/v1/consultations/{id}/paper (staff): a paper form typed in.
func (h *Handlers) APIPaper(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	p := auth.From(c)
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	var in PaperInput
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	r, err := h.svc.Paper(c.UserContext(), p, id, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"response": r})
}

// APIResults answers GET /api/v1/consultations/{id}/results: the JSON export.
func (h *Handlers) APIResults(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	r, err := h.svc.Results(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

// Room is a consultation's realtime room ("consultation:7"): its comments arrive there.
type Room struct{ Svc *Service }

// Authorize admits whoever may see the consultation.
func (r Room) Authorize(ctx context.Context, p auth.Principal, id string) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return problem.NotFound()
	}
	return r.Svc.CanView(ctx, p, n)
}

// Snapshot is the count of submitted responses.
func (r Room) Snapshot(ctx context.Context, id string) (string, any, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return "", nil, problem.NotFound()
	}
	k, err := readConsultation(ctx, r.Svc.pool, n)
	return "consultation.responses", map[string]int{"responses": k.Responses}, err
}
