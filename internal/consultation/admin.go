package consultation

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
	"lawka/internal/platform/upload"
)

// Admin lists every consultation, drafts too, for the staff.
func (h *Handlers) Admin(c *fiber.Ctx) error {
	list, err := h.svc.All(c.UserContext(), auth.From(c))
	if err != nil {
		return err
	}
	_, names, err := h.districts(c)
	if err != nil {
		return err
	}
	return h.pages.HTML(c, fiber.StatusOK, "consultation/admin", render.View{Title: httpx.L(c).T("consultations.admin_title"),
		Section: "nav.admin", Data: items(list, names)})
}

// Slot is one question's fields on the staff's form.
type Slot struct {
	N    int
	Kind string
}

// Field names a part of the slot's question.
func (s Slot) Field(part string) string { return QuestionField(s.N, part) }

// FormPage is the staff's form to create or edit a consultation.
type FormPage struct {
	Consultation *Consultation // nil for a new one
	Form         render.Form
	Districts    []Choice
	Slots        []Slot
	Kinds        []string
	Locked       bool // the questions can no longer change
}

var formFields = []string{"title", "organiser_kind", "organiser", "description", "eligibility", "opens_at", "opens_at_time",
	"closes_at", "closes_at_time", "report_at", "report_at_time", "district_ids", "questions", "attachments", "status"}

var slotParts = []string{"kind", "prompt", "hint", "required", "options", "max_length"}

// emptySlots is how many empty questions the form offers beyond the saved ones.
const emptySlots = 3

func (h *Handlers) form(c *fiber.Ctx, status int, page FormPage) error {
	var err error
	if page.Districts, _, err = h.districts(c); err != nil {
		return err
	}
	page.Kinds = Kinds
	n := 0
	for i := 1; i <= MaxQuestions; i++ {
		if page.Form.Values[QuestionField(i, "prompt")] != "" || page.Form.Values[QuestionField(i, "options")] != "" {
			n = i
		}
	}
	for i := 1; i <= min(n+emptySlots, MaxQuestions); i++ {
		page.Slots = append(page.Slots, Slot{N: i, Kind: page.Form.Values[QuestionField(i, "kind")]})
	}
	for _, s := range page.Slots {
		for _, part := range slotParts {
			page.Form.Order = append(page.Form.Order, s.Field(part))
		}
	}
	l := httpx.L(c)
	title := l.T("consultations.new_title")
	if page.Consultation != nil {
		title = l.T("consultations.edit_title")
	}
	return h.pages.HTML(c, status, "consultation/form", render.View{Title: title, Section: "nav.admin",
		Error: page.Form.HasErrors(), Data: page})
}

// New shows the empty form (staff).
func (h *Handlers) New(c *fiber.Ctx) error {
	if err := auth.RequireStaff(auth.From(c)); err != nil {
		return err
	}
	form := render.NewForm(formFields...)
	form.Values["organiser_kind"], form.Values["eligibility"], form.Values["status"] = "city", "registered", Draft
	return h.form(c, fiber.StatusOK, FormPage{Form: form})
}

// inputFrom reads the posted form: dates and times in separate fields, districts as
// checkboxes, questions in numbered slots (empty slots are left out).
func inputFrom(c *fiber.Ctx, form *render.Form) Input {
	httpx.FormValues(c, form, formFields...)
	v := form.Values
	at := form.DateTime
	in := Input{Title: v["title"], OrganiserKind: v["organiser_kind"], Organiser: v["organiser"], Description: v["description"],
		Eligibility: v["eligibility"], Status: v["status"], OpensAt: at("opens_at"), ClosesAt: at("closes_at"),
		ReportAt: at("report_at")}
	for _, raw := range httpx.FormList(c, "district_ids") {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			n = -1
		}
		in.DistrictIDs = append(in.DistrictIDs, n)
		v["district_"+raw] = "yes"
	}
	for i := 1; i <= MaxQuestions; i++ {
		for _, part := range slotParts {
			v[QuestionField(i, part)] = strings.Clone(c.FormValue(QuestionField(i, part)))
		}
		prompt, opts := v[QuestionField(i, "prompt")], v[QuestionField(i, "options")]
		if strings.TrimSpace(prompt) == "" && strings.TrimSpace(opts) == "" {
			continue
		}
		q := QuestionInput{Kind: v[QuestionField(i, "kind")], Prompt: prompt, Hint: v[QuestionField(i, "hint")],
			Required: v[QuestionField(i, "required")] == "yes", Options: strings.Split(opts, "\n")}
		if raw := strings.TrimSpace(v[QuestionField(i, "max_length")]); raw != "" {
			n := atoi(raw)
			q.MaxLength = &n
		}
		in.Questions = append(in.Questions, q)
	}
	in.Remove = httpx.FormIDs(c, "remove")
	return in
}

// renumber moves the errors of the n-th filled question to its slot's fields: empty
// slots between questions are skipped when saving.
func renumber(c *fiber.Ctx, form *render.Form) {
	slot := map[int]int{}
	n := 0
	for i := 1; i <= MaxQuestions; i++ {
		if strings.TrimSpace(form.Values[QuestionField(i, "prompt")]) != "" || strings.TrimSpace(form.Values[QuestionField(i, "options")]) != "" {
			n++
			slot[n] = i
		}
	}
	moved := map[string]string{}
	for field, msg := range form.Errors {
		var k int
		var part string
		if _, err := fmt.Sscanf(field, "question_%d_", &k); err == nil && slot[k] != 0 {
			part = strings.TrimPrefix(field, fmt.Sprintf("question_%d_", k))
			moved[QuestionField(slot[k], part)] = msg
			continue
		}
		moved[field] = msg
	}
	form.Errors = moved
}

func (h *Handlers) save(c *fiber.Ctx, k *Consultation) error {
	p := auth.From(c)
	form := render.NewForm(formFields...)
	in := inputFrom(c, &form)
	var err error
	if in.Files, err = upload.AllFromForm(c, "attachments"); err == nil {
		var saved Consultation
		if k == nil {
			saved, err = h.svc.Create(c.UserContext(), p, in)
		} else {
			saved, err = h.svc.Edit(c.UserContext(), p, k.ID, in)
		}
		if err == nil {
			return c.Redirect(fmt.Sprintf("/konsultacje/%d?zrobione=zapisano", saved.ID), fiber.StatusSeeOther)
		}
	}
	status, ok := httpx.FormProblem(c, err, &form)
	if !ok || status == fiber.StatusNotFound || status == fiber.StatusForbidden || status == fiber.StatusUnauthorized {
		return err
	}
	renumber(c, &form)
	return h.form(c, status, FormPage{Consultation: k, Form: form, Locked: k != nil && k.Responses > 0})
}

// Create saves the new consultation's form.
func (h *Handlers) Create(c *fiber.Ctx) error {
	if err := auth.RequireStaff(auth.From(c)); err != nil {
		return err
	}
	return h.save(c, nil)
}

func (h *Handlers) staffConsultation(c *fiber.Ctx) (Consultation, error) {
	p := auth.From(c)
	if err := auth.RequireStaff(p); err != nil {
		return Consultation{}, err
	}
	id, err := consultationID(c)
	if err != nil {
		return Consultation{}, err
	}
	return h.svc.Get(c.UserContext(), p, id)
}

// fill puts a consultation's values into the form's fields.
func fill(form *render.Form, k Consultation) {
	v := form.Values
	v["title"], v["organiser_kind"], v["organiser"], v["description"] = k.Title, k.OrganiserKind, k.Organiser, k.Description
	v["eligibility"], v["status"] = k.Eligibility, k.Status
	split := form.SetDateTime
	split("opens_at", k.OpensAt)
	split("closes_at", k.ClosesAt)
	split("report_at", k.ReportAt)
	for _, d := range k.DistrictIDs {
		v["district_"+strconv.FormatInt(d, 10)] = "yes"
	}
	for i, q := range k.Questions {
		n := i + 1
		v[QuestionField(n, "kind")], v[QuestionField(n, "prompt")], v[QuestionField(n, "hint")] = q.Kind, q.Prompt, q.Hint
		v[QuestionField(n, "options")] = strings.Join(q.Labels(), "\n")
		if q.Required {
			v[QuestionField(n, "required")] = "yes"
		}
		if q.MaxLength != nil {
			v[QuestionField(n, "max_length")] = strconv.Itoa(*q.MaxLength)
		}
	}
}

// Edit shows the form filled with the consultation (staff).
func (h *Handlers) Edit(c *fiber.Ctx) error {
	k, err := h.staffConsultation(c)
	if err != nil {
		return err
	}
	form := render.NewForm(formFields...)
	fill(&form, k)
	return h.form(c, fiber.StatusOK, FormPage{Consultation: &k, Form: form, Locked: k.Responses > 0})
}

// Update saves an edit.
func (h *Handlers) Update(c *fiber.Ctx) error {
	k, err := h.staffConsultation(c)
	if err != nil {
		return err
	}
	return h.save(c, &k)
}

var paperFields = []string{"neighbourhood_id", "note", "scan", "answers"}

func (h *Handlers) paperPage(c *fiber.Ctx, status int, k Consultation, form render.Form) error {
	ctx, p := c.UserContext(), auth.From(c)
	page := RespondPage{Consultation: k, Form: form, Paper: true, Me: p.UserID}
	var err error
	if page.Districts, _, err = h.districts(c); err != nil {
		return err
	}
	if page.Entries, err = h.svc.PaperEntries(ctx, p, k.ID); err != nil {
		return err
	}
	page.Done = c.Query("zrobione")
	return h.respondPage(c, status, page)
}

// PaperForm shows the form for typing in a paper response, and the paper responses with
// their checks (staff).
func (h *Handlers) PaperForm(c *fiber.Ctx) error {
	k, err := h.staffConsultation(c)
	if err != nil {
		return err
	}
	return h.paperPage(c, fiber.StatusOK, k, questionForm(k, paperFields...))
}

// Paper saves a paper response (a multipart form: the scan is optional).
func (h *Handlers) Paper(c *fiber.Ctx) error {
	k, err := h.staffConsultation(c)
	if err != nil {
		return err
	}
	form := questionForm(k, paperFields...)
	httpx.FormValues(c, &form, "neighbourhood_id", "note")
	in := PaperInput{Note: form.Values["note"]}
	in.Answers, in.Ranks = answersFrom(c, k, &form)
	if raw := strings.TrimSpace(form.Values["neighbourhood_id"]); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			n = -1
		}
		in.NeighbourhoodID = &n
	}
	var r Response
	if in.Scan, err = upload.FromForm(c, "scan"); err == nil {
		r, err = h.svc.Paper(c.UserContext(), auth.From(c), k.ID, in)
	}
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusNotFound || status == fiber.StatusForbidden {
			return err
		}
		return h.paperPage(c, status, k, form)
	}
	return c.Redirect(fmt.Sprintf("/admin/konsultacje/%d/papier?zrobione=%s#wpisane", k.ID, strings.ReplaceAll(r.Receipt, "-", "")),
		fiber.StatusSeeOther)
}

// CheckPaper is a second moderator's "checked against the form" button.
func (h *Handlers) CheckPaper(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	rid, err := paramID(c, "response")
	if err != nil {
		return err
	}
	if err := h.svc.CheckPaper(c.UserContext(), auth.From(c), id, rid); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/admin/konsultacje/%d/papier#wpisane", id), fiber.StatusSeeOther)
}

// Scan serves a paper response's scan (staff).
func (h *Handlers) Scan(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	rid, err := paramID(c, "response")
	if err != nil {
		return err
	}
	f, err := h.svc.Scan(c.UserContext(), auth.From(c), id, rid)
	if err != nil {
		return err
	}
	return upload.Serve(c, f, fmt.Sprintf("konsultacja-%d-papier-%d", id, rid), false, true)
}

var _ = problem.NotFound
