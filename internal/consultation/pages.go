package consultation

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
	"lawka/internal/platform/upload"
)

// Handlers serves the consultations' pages and API.
type Handlers struct {
	svc   *Service
	pages *render.Renderer
	// Comments renders the comment section of a consultation's page (nil: none).
	Comments func(c *fiber.Ctx, id int64) (any, error)
	// Responses renders the list of the coalition's response documents (nil: none).
	Responses func(c *fiber.Ctx, id int64) (any, error)
}

// NewHandlers builds the handlers.
func NewHandlers(svc *Service, r *render.Renderer) *Handlers {
	return &Handlers{svc: svc, pages: r}
}

func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return -1 // the service names the field
	}
	return n
}

// answersFrom reads the answers of the response form into form (to show them again)
// and into what the service takes.
func answersFrom(c *fiber.Ctx, k Consultation, form *render.Form) (Answers, Ranked) {
	in, ranks := Answers{}, Ranked{}
	for _, q := range k.Questions {
		f := q.Field()
		switch q.Kind {
		case Single, Scale:
			v := strings.Clone(c.FormValue(f))
			form.Values[f] = v
			if v == "" {
				continue
			}
			if q.Kind == Single {
				in[q.ID] = Answer{Choices: []int{atoi(v)}}
			} else {
				in[q.ID] = Answer{Scale: atoi(v)}
			}
		case Multiple:
			var a Answer
			for _, v := range httpx.FormList(c, f) {
				a.Choices = append(a.Choices, atoi(v))
				form.Values[f+"_"+v] = "yes"
			}
			in[q.ID] = a
		case Ranking:
			r := make([]int, len(q.Options))
			for i, o := range q.Options {
				name := fmt.Sprintf("%s_%d", f, o.ID)
				v := strings.Clone(c.FormValue(name))
				form.Values[name] = v
				if v != "" {
					r[i] = atoi(v)
				}
			}
			ranks[q.ID] = r
		case Text:
			v := strings.Clone(c.FormValue(f))
			form.Values[f] = v
			in[q.ID] = Answer{Text: v}
		}
	}
	return in, ranks
}

// fillAnswers puts saved answers into the form's fields.
func fillAnswers(k Consultation, answers Answers, form *render.Form) {
	for _, q := range k.Questions {
		a, ok := answers[q.ID]
		if !ok {
			continue
		}
		f := q.Field()
		switch q.Kind {
		case Single:
			if len(a.Choices) == 1 {
				form.Values[f] = strconv.Itoa(a.Choices[0])
			}
		case Scale:
			form.Values[f] = strconv.Itoa(a.Scale)
		case Multiple:
			for _, ch := range a.Choices {
				form.Values[fmt.Sprintf("%s_%d", f, ch)] = "yes"
			}
		case Ranking:
			for rank, ch := range a.Choices {
				form.Values[fmt.Sprintf("%s_%d", f, ch)] = strconv.Itoa(rank + 1)
			}
		case Text:
			form.Values[f] = a.Text
		}
	}
}

func questionForm(k Consultation, extra ...string) render.Form {
	order := slices.Clone(extra)
	for _, q := range k.Questions {
		order = append(order, q.Field())
	}
	form := render.NewForm(order...)
	form.Names = map[string]string{}
	for i, q := range k.Questions {
		form.Names[q.Field()] = fmt.Sprintf("%d. %s", i+1, q.Prompt)
	}
	return form
}

// Item is a consultation as a list shows it.
type Item struct {
	Consultation
	Districts []string
}

func (h *Handlers) districts(c *fiber.Ctx) ([]Choice, map[int64]string, error) {
	if h.svc.Places == nil {
		return nil, map[int64]string{}, nil
	}
	list, err := h.svc.Places.DistrictChoices(c.UserContext())
	names := make(map[int64]string, len(list))
	for _, d := range list {
		names[d.ID] = d.Name
	}
	return list, names, err
}

func items(list []Consultation, names map[int64]string) []Item {
	out := make([]Item, len(list))
	for i, k := range list {
		out[i] = Item{Consultation: k}
		for _, d := range k.DistrictIDs {
			out[i].Districts = append(out[i].Districts, names[d])
		}
	}
	return out
}

// List is the public list of consultations.
func (h *Handlers) List(c *fiber.Ctx) error {
	list, err := h.svc.List(c.UserContext(), 0, 0)
	if err != nil {
		return err
	}
	_, names, err := h.districts(c)
	if err != nil {
		return err
	}
	return h.pages.HTML(c, fiber.StatusOK, "consultation/list", render.View{Title: httpx.L(c).T("consultations.title"),
		Section: "nav.consultations", Data: items(list, names)})
}

// ShowPage is a consultation's page.
type ShowPage struct {
	Item
	Staff       bool
	CanRespond  bool
	Why         string // why the viewer may not respond ("" when they may, or are signed out)
	NeedSignIn  bool
	Mine        *Response
	ResultsOpen bool
	Comments    any
	Coalition   any // the coalition's response documents
	Notice      string
}

// Show is a consultation's page: what it is about, its documents and phases, how to
// respond (or the viewer's own response), the report once published, and comments.
func (h *Handlers) Show(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	ctx, p, l := c.UserContext(), auth.From(c), httpx.L(c)
	k, err := h.svc.Get(ctx, p, id)
	if err != nil {
		return err
	}
	_, names, err := h.districts(c)
	if err != nil {
		return err
	}
	page := ShowPage{Item: items([]Consultation{k}, names)[0], Staff: p.Staff(), ResultsOpen: ResultsVisible(p, k)}
	page.Questions = k.Questions
	if p.SignedIn() {
		if r, err := h.svc.Mine(ctx, p, id); err == nil {
			page.Mine = &r
		} else if pe, ok := problem.As(err); !ok || pe.Status != fiber.StatusNotFound {
			return err
		}
	}
	switch err := h.svc.CanRespond(p, k); {
	case err == nil:
		page.CanRespond = true
	case !p.SignedIn() && k.Phase == Open && k.Status == Published:
		page.NeedSignIn = true
	default:
		if pe, ok := problem.As(err); ok {
			page.Why = l.T(pe.Key)
		}
	}
	if h.Comments != nil && k.Status == Published {
		if page.Comments, err = h.Comments(c, id); err != nil {
			return err
		}
	}
	if h.Responses != nil && k.Status == Published {
		if page.Coalition, err = h.Responses(c, id); err != nil {
			return err
		}
	}
	if c.Query("zrobione") == "zapisano" {
		page.Notice = l.T("consultations.saved")
	}
	return h.pages.HTML(c, fiber.StatusOK, "consultation/show", render.View{Title: k.Title, Section: "nav.consultations", Data: page})
}

// File serves a consultation's document.
func (h *Handlers) File(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	fileID, err := paramID(c, "file")
	if err != nil {
		return err
	}
	f, err := h.svc.Attachment(c.UserContext(), auth.From(c), id, fileID)
	if err != nil {
		return err
	}
	return upload.Serve(c, f, fmt.Sprintf("konsultacja-%d-%d", id, fileID), false, false)
}

// RespondPage is the response form.
type RespondPage struct {
	Consultation Consultation
	Form         render.Form
	Mine         *Response
	Closes       string
	// Paper: the staff's form for a paper response (with district, note and scan).
	Paper     bool
	Districts []Choice
	Entries   []PaperEntry
	Me        int64
	Done      string
}

func (h *Handlers) respondPage(c *fiber.Ctx, status int, page RespondPage) error {
	l := httpx.L(c)
	page.Closes = l.DateTime(page.Consultation.ClosesAt)
	return h.pages.HTML(c, status, "consultation/respond", render.View{Title: l.T("consultations.respond_title", "Title",
		page.Consultation.Title), Section: "nav.consultations", Error: page.Form.HasErrors(), Data: page})
}

// Respond shows the response form, filled with the viewer's saved answers.
func (h *Handlers) Respond(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), auth.From(c)
	k, err := h.svc.Get(ctx, p, id)
	if err != nil {
		return err
	}
	if err := h.svc.CanRespond(p, k); err != nil {
		return err
	}
	page := RespondPage{Consultation: k, Form: questionForm(k)}
	if r, err := h.svc.Mine(ctx, p, id); err == nil {
		page.Mine = &r
		fillAnswers(k, r.Answers, &page.Form)
	}
	return h.respondPage(c, fiber.StatusOK, page)
}

// SaveResponse saves the form: a draft ("action=draft", also the autosave, which asks
// for JSON) or the submitted response, then shows the confirmation.
func (h *Handlers) SaveResponse(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), auth.From(c)
	k, err := h.svc.Get(ctx, p, id)
	if err != nil {
		return err
	}
	form := questionForm(k)
	in, ranks := answersFrom(c, k, &form)
	submit := c.FormValue("action") != "draft"
	r, _, err := h.svc.Save(ctx, p, id, in, ranks, submit, Upsert)
	if httpx.WantsJSON(c) {
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"response": fiber.Map{"status": r.Status, "updated_at": r.UpdatedAt}})
	}
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusNotFound || status == fiber.StatusUnauthorized {
			return err
		}
		page := RespondPage{Consultation: k, Form: form}
		if mine, err := h.svc.Mine(ctx, p, id); err == nil {
			page.Mine = &mine
		}
		return h.respondPage(c, status, page)
	}
	if !submit {
		return c.Redirect(fmt.Sprintf("/konsultacje/%d/odpowiedz?zrobione=szkic", id), fiber.StatusSeeOther)
	}
	return c.Redirect(fmt.Sprintf("/konsultacje/%d/potwierdzenie", id), fiber.StatusSeeOther)
}

// ConfirmationPage is shown after submitting.
type ConfirmationPage struct {
	Consultation Consultation
	Response     Response
	Closes       string
	Submitted    string
	Summary      []AnswerLine
}

// AnswerLine is one answer as the confirmation lists it.
type AnswerLine struct {
	Prompt string
	Answer []string
}

// summary writes answers as text, question by question.
func summary(l *i18n.Localizer, k Consultation, answers Answers) []AnswerLine {
	var out []AnswerLine
	for _, q := range k.Questions {
		a, ok := answers[q.ID]
		line := AnswerLine{Prompt: q.Prompt}
		switch {
		case !ok:
			line.Answer = []string{l.T("consultations.no_answer")}
		case q.Kind == Scale:
			line.Answer = []string{l.T("consultations.scale_value", "Value", a.Scale)}
		case q.Kind == Text:
			line.Answer = []string{a.Text}
		default:
			for i, ch := range a.Choices {
				if ch < 1 || ch > len(q.Options) {
					continue
				}
				label := q.Options[ch-1].Label
				if q.Kind == Ranking {
					label = fmt.Sprintf("%d. %s", i+1, label)
				}
				line.Answer = append(line.Answer, label)
			}
		}
		out = append(out, line)
	}
	return out
}

// Confirmation shows the viewer's submitted response with its receipt.
func (h *Handlers) Confirmation(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	ctx, p, l := c.UserContext(), auth.From(c), httpx.L(c)
	k, err := h.svc.Get(ctx, p, id)
	if err != nil {
		return err
	}
	r, err := h.svc.Mine(ctx, p, id)
	if pe, ok := problem.As(err); ok && pe.Status == fiber.StatusNotFound {
		return c.Redirect(fmt.Sprintf("/konsultacje/%d/odpowiedz", id), fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	if r.Status != Submitted {
		return c.Redirect(fmt.Sprintf("/konsultacje/%d/odpowiedz", id), fiber.StatusSeeOther)
	}
	page := ConfirmationPage{Consultation: k, Response: r, Closes: l.DateTime(k.ClosesAt), Summary: summary(l, k, r.Answers)}
	if r.SubmittedAt != nil {
		page.Submitted = l.DateTime(*r.SubmittedAt)
	}
	return h.pages.HTML(c, fiber.StatusOK, "consultation/confirmation", render.View{Title: l.T("consultations.confirmation_title"),
		Section: "nav.consultations", Data: page})
}

// ReceiptPage is the receipt check.
type ReceiptPage struct {
	Consultation Consultation
	Form         render.Form
	Asked        bool
	Check        ReceiptCheck
	When         string
}

// Receipt checks a receipt (?kod=): anyone may, it tells nothing of the answers.
func (h *Handlers) Receipt(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	ctx, p, l := c.UserContext(), auth.From(c), httpx.L(c)
	k, err := h.svc.Read(ctx, p, id)
	if err != nil {
		return err
	}
	page := ReceiptPage{Consultation: k, Form: render.NewForm("kod")}
	status := fiber.StatusOK
	if code := strings.Clone(c.Query("kod")); code != "" {
		page.Form.Values["kod"] = code
		page.Check, err = h.svc.CheckReceipt(ctx, p, id, code)
		if err != nil {
			st, ok := httpx.FormProblem(c, err, &page.Form)
			if !ok {
				return err
			}
			status = st
		} else {
			page.Asked = true
			if page.Check.UpdatedAt != nil {
				page.When = l.DateTime(*page.Check.UpdatedAt)
			}
		}
	}
	return h.pages.HTML(c, status, "consultation/receipt", render.View{Title: l.T("consultations.receipt_title"),
		Section: "nav.consultations", Error: page.Form.HasErrors(), Data: page})
}

// ReportPage is the results: charts, tables, participation, free text.
type ReportPage struct {
	Consultation Consultation
	Results      Results
	Staff        bool
	Public       bool
	NotYet       bool // the report phase has not started: the page says when it will
	Texts        map[int64][]TextAnswer
}

// ReportView shows the results (the public report once the report phase starts; the
// staff see them at any time). It prints on A4.
func (h *Handlers) ReportView(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	ctx, p, l := c.UserContext(), auth.From(c), httpx.L(c)
	k, err := h.svc.Get(ctx, p, id)
	if err != nil {
		return err
	}
	res, err := h.svc.Results(ctx, p, id)
	if pr, ok := problem.As(err); ok && pr.Code == "results_not_published" {
		// Not an error to the visitor: the report has a date, which the page tells.
		return h.pages.HTML(c, fiber.StatusOK, "consultation/report", render.View{Title: l.T("consultations.report_title", "Title", k.Title),
			Section: "nav.consultations", Data: ReportPage{Consultation: k, NotYet: true}})
	}
	if err != nil {
		return err
	}
	page := ReportPage{Consultation: k, Results: res, Staff: p.Staff(), Public: k.Phase == Report, Texts: map[int64][]TextAnswer{}}
	for _, q := range k.Questions {
		if q.Kind != Text {
			continue
		}
		list, _, err := h.svc.TextAnswers(ctx, p, id, q.ID, "", 0)
		if err != nil {
			return err
		}
		page.Texts[q.ID] = list[:min(len(list), 5)]
	}
	return h.pages.HTML(c, fiber.StatusOK, "consultation/report", render.View{Title: l.T("consultations.report_title", "Title", k.Title),
		Section: "nav.consultations", Data: page})
}

// ResultsCSV answers GET /konsultacje/{id}/wyniki.csv.
func (h *Handlers) ResultsCSV(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	r, err := h.svc.Results(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="konsultacja-%d-wyniki.csv"`, id))
	return c.SendString(CSV(r))
}

// TextsPage is the browsable, searchable list of free-text answers.
type TextsPage struct {
	Consultation Consultation
	Form         render.Form
	QuestionID   int64
	Query        string
	Answers      []TextAnswer
	Prompts      map[int64]string
	Page         int
	Prev, Next   string
	Staff        bool
	Notice       string
}

// Texts lists free-text answers (?pytanie=&q=&strona=).
func (h *Handlers) Texts(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	ctx, p, l := c.UserContext(), auth.From(c), httpx.L(c)
	k, err := h.svc.Get(ctx, p, id)
	if err != nil {
		return err
	}
	page := TextsPage{Consultation: k, Form: render.NewForm("q"), Query: strings.Clone(c.Query("q")), Staff: p.Staff(),
		Prompts: map[int64]string{}}
	for _, q := range k.Questions {
		if q.Kind == Text {
			page.Prompts[q.ID] = q.Prompt
		}
	}
	page.Form.Values["q"] = page.Query
	page.QuestionID, _ = strconv.ParseInt(c.Query("pytanie"), 10, 64)
	page.Page = max(c.QueryInt("strona", 0), 0)
	status := fiber.StatusOK
	var more bool
	page.Answers, more, err = h.svc.TextAnswers(ctx, p, id, page.QuestionID, page.Query, page.Page)
	if err != nil {
		st, ok := httpx.FormProblem(c, err, &page.Form)
		if !ok || st == fiber.StatusConflict {
			return err
		}
		status = st
	}
	link := func(n int) string {
		q := url.Values{}
		if page.QuestionID > 0 {
			q.Set("pytanie", strconv.FormatInt(page.QuestionID, 10))
		}
		if page.Query != "" {
			q.Set("q", page.Query)
		}
		q.Set("strona", strconv.Itoa(n))
		return fmt.Sprintf("/konsultacje/%d/odpowiedzi?%s", id, q.Encode())
	}
	if more {
		page.Next = link(page.Page + 1)
	}
	if page.Page > 0 {
		page.Prev = link(page.Page - 1)
	}
	if c.Query("zrobione") == "ukryto" {
		page.Notice = l.T("consultations.answer_hidden")
	}
	return h.pages.HTML(c, status, "consultation/texts", render.View{Title: l.T("consultations.texts_title"),
		Section: "nav.consultations", Error: page.Form.HasErrors(), Data: page})
}

// HideAnswer is the staff's "hide this answer" form.
func (h *Handlers) HideAnswer(c *fiber.Ctx) error {
	id, err := consultationID(c)
	if err != nil {
		return err
	}
	aid, err := paramID(c, "answer")
	if err != nil {
		return err
	}
	if err := h.svc.HideAnswer(c.UserContext(), auth.From(c), id, aid, strings.Clone(c.FormValue("reason"))); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/konsultacje/%d/odpowiedzi?zrobione=ukryto", id), fiber.StatusSeeOther)
}

// When writes a time as people write it.
func When(l *i18n.Localizer, t time.Time) string { return l.DateTime(t) }
