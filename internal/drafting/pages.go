package drafting

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
	"lawka/internal/platform/textdiff"
)

// Handlers serves the response documents' pages and API.
type Handlers struct {
	svc      *Service
	pages    *render.Renderer
	Presence *Presence // nil: nobody is shown as present
}

// NewHandlers builds the handlers.
func NewHandlers(svc *Service, r *render.Renderer) *Handlers { return &Handlers{svc: svc, pages: r} }

func paramID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound()
	}
	return id, nil
}

// ids reads the route's document id and, when named, another id.
func ids(c *fiber.Ctx, other string) (int64, int64, error) {
	doc, err := paramID(c, "id")
	if err != nil || other == "" {
		return doc, 0, err
	}
	id, err := paramID(c, other)
	return doc, id, err
}

// Path is a document's page.
func Path(id int64) string { return fmt.Sprintf("/stanowiska/%d", id) }

func labels(l *i18n.Localizer) textdiff.Labels {
	return textdiff.Labels{DeleteStart: l.T("diff.delete_start"), DeleteEnd: l.T("diff.delete_end"),
		InsertStart: l.T("diff.insert_start"), InsertEnd: l.T("diff.insert_end")}
}

// ListSection is the consultation page's list of response documents.
type ListSection struct {
	ConsultationID int64
	Items          []Summary
	CanCreate      bool
}

// ListFor is the consultation page's part (nil when there is nothing to show: no
// document p may see, and p may not start one).
func (h *Handlers) ListFor(c *fiber.Ctx, consultationID int64) (any, error) {
	ctx, p := c.UserContext(), auth.From(c)
	list, err := h.svc.List(ctx, p, consultationID)
	if err != nil {
		return nil, err
	}
	can, err := h.svc.Editor(ctx, p)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 && !can {
		return nil, nil
	}
	return &ListSection{ConsultationID: consultationID, Items: list, CanCreate: can}, nil
}

// SectionView is a section on the document's page with its comments.
type SectionView struct {
	Section
	Comments []Comment
}

// Signing is an organisation the viewer may sign for, and how it stands.
type Signing struct {
	Organisation
	Status string // "", signed, to_confirm
}

// DocumentPage is a document's page.
type DocumentPage struct {
	Doc         Document
	Sections    []SectionView
	CanEdit     bool
	CanComment  bool
	CanMove     bool
	Statuses    []string
	Next        []string
	Signing     []Signing
	ToConfirm   bool // some co-signature waits for confirmation
	CommentForm render.Form
	SectionForm render.Form
	Notice      string
	Room        string
}

var notices = map[string]string{"zapisano": "drafting.notice_saved", "komentarz": "drafting.notice_comment",
	"rozwiazano": "drafting.notice_resolved", "status": "drafting.notice_status", "podpisano": "drafting.notice_signed",
	"sekcja": "drafting.notice_section", "przywrocono": "drafting.notice_restored", "utworzono": "drafting.notice_created",
	"odpowiada": "drafting.notice_owner"}

// Show is a document's page: its sections with their comments, the workflow and the
// co-signatures; once submitted, the public page.
func (h *Handlers) Show(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, render.NewForm("comment_section", "quote", "comment"), render.NewForm("title"))
}

func (h *Handlers) show(c *fiber.Ctx, status int, commentForm, sectionForm render.Form) error {
	id, _, err := ids(c, "")
	if err != nil {
		return err
	}
	ctx, p, l := c.UserContext(), auth.From(c), httpx.L(c)
	d, err := h.svc.Get(ctx, p, id)
	if err != nil {
		return err
	}
	can, err := h.svc.Editor(ctx, p)
	if err != nil {
		return err
	}
	page := DocumentPage{Doc: d, CanEdit: can && Editable(d.Status), CanComment: can && !d.Frozen(),
		CanMove: CanMove(p, d) && !d.Frozen(), Statuses: Statuses,
		CommentForm: commentForm, SectionForm: sectionForm, Room: RoomOf(d.ID)}
	if page.CanMove {
		page.Next = Next(d)
	}
	comments, err := h.svc.Comments(ctx, p, id)
	if err != nil {
		return err
	}
	for _, s := range d.Sections {
		v := SectionView{Section: s}
		for _, cm := range comments {
			if cm.SectionID == s.ID {
				v.Comments = append(v.Comments, cm)
			}
		}
		page.Sections = append(page.Sections, v)
	}
	status2 := map[int64]string{}
	for _, cs := range d.Cosignatures {
		status2[cs.OrganisationID] = cs.Status
		page.ToConfirm = page.ToConfirm || cs.Status == ToConfirm
	}
	if d.Status == Review {
		orgs, err := h.svc.Signable(ctx, p)
		if err != nil {
			return err
		}
		for _, o := range orgs {
			page.Signing = append(page.Signing, Signing{Organisation: o, Status: status2[o.ID]})
		}
	}
	if key, ok := notices[c.Query("zrobione")]; ok {
		page.Notice = l.T(key)
	}
	return h.pages.HTML(c, status, "drafting/show", render.View{Title: d.Title, Section: "nav.consultations",
		Error: commentForm.HasErrors() || sectionForm.HasErrors(), Data: page})
}

// NewPage is the form that starts a document.
type NewPage struct {
	ConsultationID    int64
	ConsultationTitle string
	Form              render.Form
}

// New shows the form that starts a response document to a consultation.
func (h *Handlers) New(c *fiber.Ctx) error {
	form := render.NewForm("title", "sections")
	form.Values["sections"] = httpx.L(c).T("drafting.default_sections")
	return h.newPage(c, fiber.StatusOK, form)
}

func (h *Handlers) newPage(c *fiber.Ctx, status int, form render.Form) error {
	cid, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), auth.From(c)
	if err := requireWriter(ctx, h.svc.pool, p); err != nil {
		return err
	}
	if err := h.svc.consultations.CanView(ctx, p, cid); err != nil {
		return err
	}
	title, err := h.svc.consultations.Title(ctx, cid)
	if err != nil {
		return err
	}
	l := httpx.L(c)
	return h.pages.HTML(c, status, "drafting/new", render.View{Title: l.T("drafting.new_title"), Section: "nav.consultations",
		Error: form.HasErrors(), Data: NewPage{ConsultationID: cid, ConsultationTitle: title, Form: form}})
}

// Create starts a document.
func (h *Handlers) Create(c *fiber.Ctx) error {
	cid, err := paramID(c, "id")
	if err != nil {
		return err
	}
	form := render.NewForm("title", "sections")
	httpx.FormValues(c, &form, "title", "sections")
	d, err := h.svc.Create(c.UserContext(), auth.From(c), cid, NewDocument{Title: form.Value("title"),
		Sections: strings.Split(form.Value("sections"), "\n")})
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusForbidden || status == fiber.StatusNotFound || status == fiber.StatusUnauthorized {
			return err
		}
		return h.newPage(c, status, form)
	}
	return c.Redirect(Path(d.ID)+"?zrobione=utworzono", fiber.StatusSeeOther)
}

// EditPage is a section's edit form; after a refused save it is the merge view.
type EditPage struct {
	Doc     Document
	Section Section
	Form    render.Form // title, body, base_version
	Stale   *StaleError // set on the merge view
	Diff    any         // saved → yours, word by word (merge view)
	Editors []Person    // who may own the section
}

// Edit shows a section's edit form.
func (h *Handlers) Edit(c *fiber.Ctx) error {
	docID, secID, err := ids(c, "section")
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), auth.From(c)
	d, err := h.svc.Get(ctx, p, docID)
	if err != nil {
		return err
	}
	sec, ok := d.Section(secID)
	if !ok {
		return problem.NotFound()
	}
	if err := requireWriter(ctx, h.svc.pool, p); err != nil {
		return err
	}
	switch {
	case d.Frozen():
		return errFrozen()
	case !Editable(d.Status):
		return errLocked()
	}
	form := render.NewForm("title", "body")
	form.Values["title"], form.Values["body"], form.Values["base_version"] = sec.Title, sec.Body, strconv.Itoa(sec.Version)
	return h.editPage(c, fiber.StatusOK, EditPage{Doc: d, Section: sec, Form: form})
}

func (h *Handlers) editPage(c *fiber.Ctx, status int, page EditPage) error {
	l := httpx.L(c)
	editors, err := h.svc.Editors(c.UserContext())
	if err != nil {
		return err
	}
	page.Editors = editors
	title := l.T("drafting.edit_title", "Section", page.Section.Title)
	if page.Stale != nil {
		title = l.T("drafting.merge_title", "Section", page.Section.Title)
	}
	return h.pages.HTML(c, status, "drafting/edit", render.View{Title: title, Section: "nav.consultations",
		Error: page.Form.HasErrors() || page.Stale != nil, Data: page})
}

// Save saves a section; a save on a stale version answers 409 with the merge view: the
// saved text beside the editor's, which stays in the form to merge and save again.
func (h *Handlers) Save(c *fiber.Ctx) error {
	docID, secID, err := ids(c, "section")
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), auth.From(c)
	form := render.NewForm("title", "body")
	httpx.FormValues(c, &form, "title", "body", "base_version")
	base, _ := strconv.Atoi(strings.TrimSpace(form.Value("base_version")))
	_, err = h.svc.Save(ctx, p, docID, secID, SectionInput{Title: form.Value("title"), Body: form.Value("body"), BaseVersion: base})
	if err == nil {
		return c.Redirect(fmt.Sprintf("%s?zrobione=zapisano#sekcja-%d", Path(docID), secID), fiber.StatusSeeOther)
	}
	var stale *StaleError
	if errors.As(err, &stale) {
		d, gerr := h.svc.Get(ctx, p, docID)
		if gerr != nil {
			return gerr
		}
		// The editor's text stays in the form, now based on the saved version.
		form.Values["base_version"] = strconv.Itoa(stale.Current.Version)
		l := httpx.L(c)
		diff := textdiff.HTML(textdiff.Words(stale.Current.Body, stale.Yours.Body), labels(l))
		return h.editPage(c, fiber.StatusConflict, EditPage{Doc: d, Section: stale.Current, Form: form, Stale: stale, Diff: diff})
	}
	status, ok := httpx.FormProblem(c, err, &form)
	if !ok || status == fiber.StatusForbidden || status == fiber.StatusNotFound || status == fiber.StatusUnauthorized ||
		status == fiber.StatusConflict {
		return err
	}
	d, gerr := h.svc.Get(ctx, p, docID)
	if gerr != nil {
		return gerr
	}
	sec, _ := d.Section(secID)
	return h.editPage(c, status, EditPage{Doc: d, Section: sec, Form: form})
}

// SetOwner gives a section to another editor.
func (h *Handlers) SetOwner(c *fiber.Ctx) error {
	docID, secID, err := ids(c, "section")
	if err != nil {
		return err
	}
	owner, _ := strconv.ParseInt(c.FormValue("owner_id"), 10, 64)
	if err := h.svc.SetOwner(c.UserContext(), auth.From(c), docID, secID, owner); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("%s?zrobione=odpowiada#sekcja-%d", Path(docID), secID), fiber.StatusSeeOther)
}

// AddSection adds a section at the end of the document.
func (h *Handlers) AddSection(c *fiber.Ctx) error {
	docID, _, err := ids(c, "")
	if err != nil {
		return err
	}
	form := render.NewForm("title")
	httpx.FormValues(c, &form, "title")
	sec, err := h.svc.AddSection(c.UserContext(), auth.From(c), docID, form.Value("title"))
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status != fiber.StatusUnprocessableEntity {
			return err
		}
		return h.show(c, status, render.NewForm("comment_section", "quote", "comment"), form)
	}
	return c.Redirect(fmt.Sprintf("%s/sekcje/%d", Path(docID), sec.ID), fiber.StatusSeeOther)
}

// AddComment anchors a comment to the passage typed or selected.
func (h *Handlers) AddComment(c *fiber.Ctx) error {
	docID, _, err := ids(c, "")
	if err != nil {
		return err
	}
	form := render.NewForm("comment_section", "quote", "comment")
	httpx.FormValues(c, &form, "comment_section", "quote", "comment", "start")
	sec, _ := strconv.ParseInt(form.Value("comment_section"), 10, 64)
	in := CommentInput{SectionID: sec, Quote: form.Value("quote"), Body: form.Value("comment")}
	if n, err := strconv.Atoi(form.Value("start")); err == nil && n >= 0 {
		in.Start = &n
	}
	cm, err := h.svc.AddComment(c.UserContext(), auth.From(c), docID, in)
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status != fiber.StatusUnprocessableEntity {
			return err
		}
		if form.Errors["section_id"] != "" {
			form.Errors["comment_section"] = form.Errors["section_id"]
		}
		return h.show(c, status, form, render.NewForm("title"))
	}
	return c.Redirect(fmt.Sprintf("%s?zrobione=komentarz#uwaga-%d", Path(docID), cm.ID), fiber.StatusSeeOther)
}

// Resolve marks a comment resolved.
func (h *Handlers) Resolve(c *fiber.Ctx) error {
	docID, cid, err := ids(c, "comment")
	if err != nil {
		return err
	}
	if err := h.svc.Resolve(c.UserContext(), auth.From(c), docID, cid); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("%s?zrobione=rozwiazano#uwaga-%d", Path(docID), cid), fiber.StatusSeeOther)
}

// Move moves the document through the workflow.
func (h *Handlers) Move(c *fiber.Ctx) error {
	docID, _, err := ids(c, "")
	if err != nil {
		return err
	}
	if _, err := h.svc.Move(c.UserContext(), auth.From(c), docID, strings.Clone(c.FormValue("status"))); err != nil {
		return err
	}
	return c.Redirect(Path(docID)+"?zrobione=status", fiber.StatusSeeOther)
}

// Cosign signs on behalf of an organisation.
func (h *Handlers) Cosign(c *fiber.Ctx) error {
	docID, _, err := ids(c, "")
	if err != nil {
		return err
	}
	org, _ := strconv.ParseInt(c.FormValue("organisation_id"), 10, 64)
	if err := h.svc.Cosign(c.UserContext(), auth.From(c), docID, org); err != nil {
		return err
	}
	return c.Redirect(Path(docID)+"?zrobione=podpisano#podpisy", fiber.StatusSeeOther)
}
