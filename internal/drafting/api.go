package drafting

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
)

// APIGet answers GET /api/v1/responses/{id}: the document with its sections and
// co-signatures, and its comments for those who may edit it.
func (h *Handlers) APIGet(c *fiber.Ctx) error {
	docID, _, err := ids(c, "")
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), auth.From(c)
	d, err := h.svc.Get(ctx, p, docID)
	if err != nil {
		return err
	}
	comments, err := h.svc.Comments(ctx, p, docID)
	if err != nil {
		return err
	}
	if comments == nil {
		comments = []Comment{}
	}
	if d.Cosignatures == nil {
		d.Cosignatures = []Cosignature{}
	}
	return c.JSON(fiber.Map{"response": d, "comments": comments})
}

// staleDetail is the 409 error of a stale save: the usual error with both texts.
type staleDetail struct {
	httpx.ErrorDetail
	Current Section      `json:"current"`
	Yours   SectionInput `json:"yours"`
}

// APISave answers PUT /api/v1/responses/{id}/sections/{section} with {title, body,
// base_version}: 200 with the saved section, or 409 stale_version with the saved text
// (current) and the sent one (yours).
func (h *Handlers) APISave(c *fiber.Ctx) error {
	docID, secID, err := ids(c, "section")
	if err != nil {
		return err
	}
	var in SectionInput
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	sec, err := h.svc.Save(c.UserContext(), auth.From(c), docID, secID, in)
	var stale *StaleError
	if errors.As(err, &stale) {
		l := httpx.L(c)
		p, _ := problem.As(err)
		body := staleDetail{ErrorDetail: httpx.ErrorDetail{Code: p.Code, Message: l.T(p.Key, p.Args...),
			Fields: map[string]string{"base_version": l.T("drafting.error_base_stale")}}, Current: stale.Current, Yours: stale.Yours}
		return c.Status(fiber.StatusConflict).JSON(fiber.Map{"error": body})
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"section": sec})
}

// APIRevisions answers GET /api/v1/responses/{id}/revisions?section_id=: every
// revision, oldest first (the document's revision numbers order them).
func (h *Handlers) APIRevisions(c *fiber.Ctx) error {
	docID, _, err := ids(c, "")
	if err != nil {
		return err
	}
	var sec int64
	if raw := c.Query("section_id"); raw != "" {
		if sec, err = strconv.ParseInt(raw, 10, 64); err != nil || sec <= 0 {
			return problem.Invalid(map[string]string{"section_id": "drafting.error_section"})
		}
	}
	_, revs, err := h.svc.Revisions(c.UserContext(), auth.From(c), docID, sec)
	if err != nil {
		return err
	}
	if revs == nil {
		revs = []Revision{}
	}
	return c.JSON(fiber.Map{"items": revs})
}

// APIComment answers POST /api/v1/responses/{id}/comments with {section_id, quote,
// start?, body}: 201 with the anchored comment.
func (h *Handlers) APIComment(c *fiber.Ctx) error {
	docID, _, err := ids(c, "")
	if err != nil {
		return err
	}
	var in CommentInput
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	cm, err := h.svc.AddComment(c.UserContext(), auth.From(c), docID, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"comment": cm})
}
