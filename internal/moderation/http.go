package moderation

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

// Handlers serves the report form, the moderators' queue and case pages, the author's
// appeal, and their JSON API. Every page works without JavaScript.
type Handlers struct {
	svc    *Service
	render *render.Renderer
}

// NewHandlers builds the handlers.
func NewHandlers(svc *Service, r *render.Renderer) *Handlers { return &Handlers{svc: svc, render: r} }

// Excerpt is the start of the item's text, for lists.
func (it Item) Excerpt() string {
	t := strings.Join(strings.Fields(it.Text), " ")
	if utf8.RuneCountInString(t) <= 280 {
		return t
	}
	return string([]rune(t)[:279]) + "…"
}

func (h *Handlers) page(c *fiber.Ctx, status int, name, title string, form render.Form, data any) error {
	return h.render.HTML(c, status, name, render.View{Title: title, Section: "nav.admin", Error: form.HasErrors(), Data: data})
}

// formError shows a form again with its problem, or hands the error on when it is not
// the person's to fix.
func formError(c *fiber.Ctx, err error, form *render.Form, again func(status int) error) error {
	status, ok := httpx.FormProblem(c, err, form)
	if !ok || status == fiber.StatusForbidden || status == fiber.StatusNotFound || status == fiber.StatusUnauthorized {
		return err
	}
	return again(status)
}

func refFrom(typ, id string) Ref {
	n, _ := strconv.ParseInt(id, 10, 64)
	return Ref{Type: strings.Clone(typ), ID: n}
}

// ReportPage is the report form.
type ReportPage struct {
	Item    Item
	Reasons []string
	Form    render.Form
}

func (h *Handlers) reportForm(c *fiber.Ctx, status int, ref Ref, form render.Form) error {
	p := auth.From(c)
	k, ok := h.svc.kind(ref.Type)
	if !ok {
		return problem.NotFound()
	}
	if err := k.CanRead(c.UserContext(), p, ref.ID); err != nil {
		return err
	}
	it, _, err := h.svc.item(c.UserContext(), h.svc.pool, ref)
	if err != nil {
		return err
	}
	if it.Visibility != Visible {
		return problem.NotFound()
	}
	return h.render.HTML(c, status, "moderation/report", render.View{Title: httpx.L(c).T("moderation.report_title"),
		Error: form.HasErrors(), Data: ReportPage{Item: it, Reasons: Reasons, Form: form}})
}

// ShowReport shows the report form of ?typ=comment&id=5.
func (h *Handlers) ShowReport(c *fiber.Ctx) error {
	return h.reportForm(c, fiber.StatusOK, refFrom(c.Query("typ"), c.Query("id")), render.NewForm("reason", "note"))
}

// Report saves a report from the form and thanks the reporter.
func (h *Handlers) Report(c *fiber.Ctx) error {
	form := render.NewForm("reason", "note")
	httpx.FormValues(c, &form, "reason", "note")
	ref := refFrom(c.FormValue("typ"), c.FormValue("id"))
	got, err := h.svc.Report(c.UserContext(), auth.From(c), ReportInput{Item: ref, Reason: form.Values["reason"], Note: form.Values["note"]})
	if err != nil {
		if _, ok := h.svc.kind(ref.Type); !ok {
			return err // no item to show the form of again
		}
		return formError(c, err, &form, func(status int) error { return h.reportForm(c, status, ref, form) })
	}
	it, _, err := h.svc.item(c.UserContext(), h.svc.pool, ref)
	if err != nil {
		return err
	}
	return h.render.HTML(c, fiber.StatusOK, "moderation/reported", render.View{Title: httpx.L(c).T("moderation.reported_title"),
		Data: map[string]any{"Item": it, "Hidden": got.Hidden}})
}

// QueuePage is the moderators' queue.
type QueuePage struct {
	Entries []Entry
	Why     string
	Whys    []string
	Next    string
	Form    render.Form
	Checked map[string]bool
	Notice  string
	Open    int
}

func (h *Handlers) queue(c *fiber.Ctx, status int, form render.Form, checked map[string]bool) error {
	p := auth.From(c)
	why := strings.Clone(c.Query("powod"))
	list, next, err := h.svc.Queue(c.UserContext(), p, why, strings.Clone(c.Query("od")))
	if err != nil {
		return err
	}
	open, err := h.svc.OpenCases(c.UserContext(), p)
	if err != nil {
		return err
	}
	page := QueuePage{Entries: list, Why: why, Whys: Whys, Form: form, Checked: checked, Open: open}
	if next != "" {
		page.Next = "/moderacja?powod=" + why + "&od=" + next
	}
	if n := c.Query("zrobione"); n != "" {
		if k, err := strconv.Atoi(n); err == nil {
			page.Notice = httpx.L(c).N("moderation.done", k)
		}
	}
	return h.page(c, status, "moderation/queue", httpx.L(c).T("moderation.queue_title"), form, page)
}

// Queue shows the open cases with the bulk decision form (moderators and admins).
func (h *Handlers) Queue(c *fiber.Ctx) error {
	return h.queue(c, fiber.StatusOK, render.NewForm("items", "reason"), nil)
}

// Decide applies a decision from the queue (bulk) or a case page (one item), then
// goes back where it came from.
func (h *Handlers) Decide(c *fiber.Ctx) error {
	form := render.NewForm("items", "reason")
	httpx.FormValues(c, &form, "reason")
	checked := map[string]bool{}
	var refs []Ref
	for _, raw := range c.Context().PostArgs().PeekMulti("item") {
		v := string(raw)
		typ, id, _ := strings.Cut(v, ":")
		refs = append(refs, refFrom(typ, id))
		checked[v] = true
	}
	n, err := h.svc.Decide(c.UserContext(), auth.From(c), Decision{Items: refs, Action: c.FormValue("action"), Reason: form.Values["reason"]})
	caseID, _ := strconv.ParseInt(c.FormValue("case"), 10, 64)
	if err != nil {
		return formError(c, err, &form, func(status int) error {
			if caseID > 0 {
				return h.casePage(c, status, caseID, form, render.NewForm("appeal"))
			}
			if len(refs) == 1 && c.FormValue("single") == "yes" {
				return h.itemPage(c, status, refs[0], form)
			}
			return h.queue(c, status, form, checked)
		})
	}
	next := httpx.SafeNext(c.FormValue("next"), "/moderacja")
	sep := "?"
	if strings.Contains(next, "?") {
		sep = "&"
	}
	return c.Redirect(next+sep+"zrobione="+strconv.Itoa(n), fiber.StatusSeeOther)
}

// CasePage is an item's moderation page.
type CasePage struct {
	Case     Case
	Decision render.Form
	Appeal   render.Form
	Reasons  []string
	Notice   string
}

func (h *Handlers) casePage(c *fiber.Ctx, status int, id int64, decision, appeal render.Form) error {
	cs, err := h.svc.Case(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return h.showCase(c, status, cs, decision, appeal)
}

func (h *Handlers) showCase(c *fiber.Ctx, status int, cs Case, decision, appeal render.Form) error {
	page := CasePage{Case: cs, Decision: decision, Appeal: appeal, Reasons: Reasons}
	l := httpx.L(c)
	if n := c.Query("zrobione"); n != "" {
		page.Notice = l.T("moderation.case_saved")
	}
	if c.Query("odwolanie") == "1" {
		page.Notice = l.T("moderation.appeal_sent")
	}
	form := decision
	if appeal.HasErrors() {
		form = appeal
	}
	return h.page(c, status, "moderation/case", l.T("moderation.case_title"), form, page)
}

// Case shows an item's case to the staff or its author.
func (h *Handlers) Case(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return problem.NotFound()
	}
	return h.casePage(c, fiber.StatusOK, id, render.NewForm("reason"), render.NewForm("appeal"))
}

func (h *Handlers) itemPage(c *fiber.Ctx, status int, ref Ref, decision render.Form) error {
	id, it, err := h.svc.CaseOf(c.UserContext(), auth.From(c), ref)
	if err != nil {
		return err
	}
	if id != 0 && status == fiber.StatusOK {
		return c.Redirect("/moderacja/sprawy/"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
	}
	if id != 0 {
		return h.casePage(c, status, id, decision, render.NewForm("appeal"))
	}
	return h.showCase(c, status, Case{Item: it, Staff: true}, decision, render.NewForm("appeal"))
}

// Item opens the case of ?typ=comment&id=5 for a moderator (the item alone with the
// decision form when it has none yet).
func (h *Handlers) Item(c *fiber.Ctx) error {
	return h.itemPage(c, fiber.StatusOK, refFrom(c.Query("typ"), c.Query("id")), render.NewForm("reason"))
}

// Appeal saves the author's appeal.
func (h *Handlers) Appeal(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return problem.NotFound()
	}
	form := render.NewForm("appeal")
	httpx.FormValues(c, &form, "appeal")
	if err := h.svc.Appeal(c.UserContext(), auth.From(c), id, form.Values["appeal"]); err != nil {
		return formError(c, err, &form, func(status int) error { return h.casePage(c, status, id, render.NewForm("reason"), form) })
	}
	return c.Redirect("/moderacja/sprawy/"+strconv.FormatInt(id, 10)+"?odwolanie=1", fiber.StatusSeeOther)
}

// APIReport answers POST /api/v1/reports {item_type,item_id,reason,note}: 201
// {"report":{"case_id","hidden"}}.
func (h *Handlers) APIReport(c *fiber.Ctx) error {
	var in struct {
		ItemType string `json:"item_type"`
		ItemID   int64  `json:"item_id"`
		Reason   string `json:"reason"`
		Note     string `json:"note"`
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	got, err := h.svc.Report(c.UserContext(), auth.From(c), ReportInput{Item: Ref{Type: in.ItemType, ID: in.ItemID},
		Reason: in.Reason, Note: in.Note})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"report": got})
}

// APIQueue answers GET /api/v1/moderation/queue?why=&cursor=.
func (h *Handlers) APIQueue(c *fiber.Ctx) error {
	list, next, err := h.svc.Queue(c.UserContext(), auth.From(c), strings.Clone(c.Query("why")), strings.Clone(c.Query("cursor")))
	if err != nil {
		return err
	}
	out := fiber.Map{"items": list}
	if next != "" {
		out["next_cursor"] = next
	}
	return c.JSON(out)
}

// APIDecide answers POST /api/v1/moderation/decisions {items:[{type,id}],action,reason}:
// 200 {"changed":N}.
func (h *Handlers) APIDecide(c *fiber.Ctx) error {
	var d Decision
	if err := httpx.DecodeJSON(c, &d); err != nil {
		return err
	}
	n, err := h.svc.Decide(c.UserContext(), auth.From(c), d)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"changed": n})
}

// APICase answers GET /api/v1/moderation/cases/{id}: 200 {"case":Case}.
func (h *Handlers) APICase(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return problem.NotFound()
	}
	cs, err := h.svc.Case(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"case": cs})
}

// APIAppeal answers POST /api/v1/moderation/cases/{id}/appeal {text}: 200 {"case":Case}.
func (h *Handlers) APIAppeal(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return problem.NotFound()
	}
	var in struct {
		Text string `json:"text"`
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	p := auth.From(c)
	if err := h.svc.Appeal(c.UserContext(), p, id, in.Text); err != nil {
		return err
	}
	cs, err := h.svc.Case(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"case": cs})
}
