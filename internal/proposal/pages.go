package proposal

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
	"lawka/internal/platform/upload"
)

type pageRenderer = *render.Renderer

// NewHandlers builds the API and page handlers; publicURL is the site's origin.
func NewHandlers(svc *Service, r *render.Renderer, places Places, publicURL string) *Handlers {
	return &Handlers{svc: svc, pages: r, places: places, publicURL: publicURL}
}

// ListPage is the list of proposals with its filters.
type ListPage struct {
	Items     []Proposal
	Next      string // the next page's URL, "" on the last
	Filter    Filter
	Form      render.Form
	Districts []Choice
	Topics    []Choice
	Statuses  []string
	Names     map[int64]string // district names by id
	Notice    string
}

// List shows proposals, filtered and sorted, a page at a time (works without JavaScript).
func (h *Handlers) List(c *fiber.Ctx) error {
	ctx := c.UserContext()
	lang := httpx.L(c).Lang
	page := ListPage{Statuses: Statuses, Form: render.NewForm("neighbourhood_id", "topic_id", "status", "sort", "q")}
	var err error
	if page.Districts, err = h.places.DistrictChoices(ctx); err != nil {
		return err
	}
	if page.Topics, err = h.places.TopicChoices(ctx, lang); err != nil {
		return err
	}
	page.Names = names(page.Districts)
	if c.Query("usunieto") != "" {
		page.Notice = httpx.L(c).T("proposals.draft_discarded")
	}
	status := fiber.StatusOK
	f, err := filterFrom(c)
	if err == nil {
		page.Items, page.Next, err = h.svc.List(ctx, auth.From(c), f)
	}
	page.Filter = f
	if err != nil {
		st, ok := httpx.FormProblem(c, err, &page.Form)
		if !ok {
			return err
		}
		status = st
	}
	if page.Next != "" {
		q := url.Values{}
		c.Context().QueryArgs().VisitAll(func(k, v []byte) { q.Set(string(k), string(v)) })
		q.Set("cursor", page.Next)
		page.Next = "/propozycje?" + q.Encode()
	}
	return h.pages.HTML(c, status, "proposal/list", render.View{Title: httpx.L(c).T("proposals.title"),
		Section: "nav.proposals", Error: page.Form.HasErrors(), Data: page})
}

func names(cs []Choice) map[int64]string {
	m := make(map[int64]string, len(cs))
	for _, c := range cs {
		m[c.ID] = c.Name
	}
	return m
}

// FormPage is the form to write or edit a proposal.
type FormPage struct {
	Proposal  *Proposal // nil for a new one
	Paper     bool      // a moderator typing in a paper form
	Form      render.Form
	Districts []Choice
	Topics    []Choice
	Chosen    map[int64]bool
	MapTiles  string // the map picker's tiles ("" shows no map)
}

var formFields = []string{"title", "body", "neighbourhood_id", "topic_ids", "location_label", "latitude", "longitude", "attachments"}

func (h *Handlers) form(c *fiber.Ctx, status int, pr *Proposal, form render.Form, chosen []int64) error {
	return h.formPage(c, status, FormPage{Proposal: pr, Form: form}, chosen)
}

func (h *Handlers) formPage(c *fiber.Ctx, status int, page FormPage, chosen []int64) error {
	ctx := c.UserContext()
	pr, form := page.Proposal, page.Form
	page.Chosen, page.MapTiles = map[int64]bool{}, h.MapTiles
	var err error
	if page.Districts, err = h.places.DistrictChoices(ctx); err != nil {
		return err
	}
	if page.Topics, err = h.places.TopicChoices(ctx, httpx.L(c).Lang); err != nil {
		return err
	}
	for _, id := range chosen {
		page.Chosen[id] = true
	}
	title := httpx.L(c).T("proposals.new_title")
	if pr != nil {
		title = httpx.L(c).T("proposals.edit_title")
	} else if page.Paper {
		title = httpx.L(c).T("proposals.paper_title")
	}
	return h.pages.HTML(c, status, "proposal/form", render.View{Title: title, Section: "nav.proposals",
		Error: form.HasErrors(), Data: page})
}

// New shows the empty form.
func (h *Handlers) New(c *fiber.Ctx) error {
	form := render.NewForm(formFields...)
	if d := c.Query("dzielnica"); d != "" {
		form.Values["neighbourhood_id"] = strings.Clone(d)
	}
	return h.form(c, fiber.StatusOK, nil, form, nil)
}

// inputFrom reads the posted form (multipart when it carries files).
func inputFrom(c *fiber.Ctx, form *render.Form) (Input, []int64, error) {
	httpx.FormValues(c, form, "title", "body", "neighbourhood_id", "location_label", "latitude", "longitude")
	in := Input{Title: form.Values["title"], Body: form.Values["body"], Draft: c.FormValue("draft") != ""}
	locationFrom(form, &in)
	in.NeighbourhoodID, _ = strconv.ParseInt(form.Values["neighbourhood_id"], 10, 64)
	if _, err := c.MultipartForm(); err == nil {
		if in.Files, err = upload.AllFromForm(c, "attachments"); err != nil {
			return in, nil, err
		}
	}
	in.TopicIDs, in.Remove = httpx.FormIDs(c, "topic_ids"), httpx.FormIDs(c, "remove")
	return in, slices.Clone(in.TopicIDs), nil
}

// Create saves the form and opens the new proposal.
func (h *Handlers) Create(c *fiber.Ctx) error {
	form := render.NewForm(formFields...)
	in, chosen, err := inputFrom(c, &form)
	var pr Proposal
	if err == nil {
		pr, err = h.svc.Create(c.UserContext(), auth.From(c), in)
	}
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.form(c, status, nil, form, chosen)
	}
	return c.Redirect(fmt.Sprintf("/propozycje/%d?zapisano=1", pr.ID), fiber.StatusSeeOther)
}

// Edit shows the form filled with the current text.
func (h *Handlers) Edit(c *fiber.Ctx) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	p := auth.From(c)
	pr, err := h.svc.Get(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	if !canEdit(p, pr) {
		return problem.Forbidden()
	}
	form := render.NewForm(formFields...)
	form.Values["title"], form.Values["body"] = pr.Title, pr.Body
	form.Values["neighbourhood_id"] = strconv.FormatInt(pr.NeighbourhoodID, 10)
	locationForm(&form, pr.Location)
	return h.form(c, fiber.StatusOK, &pr, form, pr.TopicIDs)
}

// Update saves an edit.
func (h *Handlers) Update(c *fiber.Ctx) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	p := auth.From(c)
	form := render.NewForm(formFields...)
	in, chosen, err := inputFrom(c, &form)
	if err == nil {
		_, err = h.svc.Edit(c.UserContext(), p, id, in)
	}
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusForbidden || status == fiber.StatusNotFound {
			return err
		}
		pr, gerr := h.svc.Get(c.UserContext(), p, id)
		if gerr != nil {
			return gerr
		}
		return h.form(c, status, &pr, form, chosen)
	}
	return c.Redirect(fmt.Sprintf("/propozycje/%d?zapisano=1", id), fiber.StatusSeeOther)
}

func canEdit(p auth.Principal, pr Proposal) bool {
	own := pr.Author != nil && pr.Author.ID == p.UserID
	return (own || p.Staff()) && (pr.Status == Draft || pr.Status == Published)
}

// ShowPage is one proposal's page.
type ShowPage struct {
	Proposal     Proposal
	District     string
	Topics       []string
	Changes      []StatusChange
	Room         string
	CanEdit      bool
	CanDiscard   bool // the author's own draft
	Own          bool
	Staff        bool
	NextStatuses []string // the staff's decisions from here
	AuthorMoves  []string // the author's own moves from here
	StatusForm   render.Form
	Notice       string
	Comments     any  // the comment section, for the "comments" partial
	Following    bool // notify hook: the viewer follows it
	CanFollow    bool // notify hook: the page offers the follow button
}

func (h *Handlers) show(c *fiber.Ctx, status int, statusForm render.Form) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p := auth.From(c)
	pr, err := h.svc.Get(ctx, p, id)
	if err != nil {
		return h.tombstone(c, id, err)
	}
	page := ShowPage{Proposal: pr, Room: RoomOf(id), CanEdit: canEdit(p, pr), StatusForm: statusForm}
	page.Own = pr.Author != nil && pr.Author.ID == p.UserID
	page.Staff = p.Staff()
	page.CanDiscard = page.Own && pr.Status == Draft
	if p.Staff() {
		page.NextStatuses = NextStatuses(pr.Status)
	}
	if page.Own {
		page.AuthorMoves = slices.Clone(authorMoves[pr.Status])
	}
	districts, err := h.places.DistrictChoices(ctx)
	if err != nil {
		return err
	}
	page.District = names(districts)[pr.NeighbourhoodID]
	topics, err := h.places.TopicChoices(ctx, httpx.L(c).Lang)
	if err != nil {
		return err
	}
	for _, t := range topics {
		if slices.Contains(pr.TopicIDs, t.ID) {
			page.Topics = append(page.Topics, t.Name)
		}
	}
	if page.Changes, err = h.svc.statusChanges(ctx, id); err != nil {
		return err
	}
	if c.Query("zapisano") != "" {
		page.Notice = httpx.L(c).T("proposals.saved")
	}
	if page.Following, page.CanFollow, err = h.svc.following(ctx, p, id); err != nil { // notify hook
		return err
	}
	if h.Comments != nil {
		if page.Comments, err = h.Comments(c, id); err != nil {
			return err
		}
	}
	return h.pages.HTML(c, status, "proposal/show", render.View{Title: pr.Title, Section: "nav.proposals",
		Error: statusForm.HasErrors(), Data: page})
}

// Show is a proposal's page.
func (h *Handlers) Show(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, render.NewForm("status", "answer"))
}

// Support is the support button's form (support=yes gives, support=no takes back).
func (h *Handlers) Support(c *fiber.Ctx) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	if _, _, err := h.svc.Support(c.UserContext(), auth.From(c), id, c.FormValue("support") != "no"); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/propozycje/%d#poparcie", id), fiber.StatusSeeOther)
}

// SetStatus is the decision form (staff) and the author's publish/withdraw buttons.
func (h *Handlers) SetStatus(c *fiber.Ctx) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	form := render.NewForm("status", "answer")
	httpx.FormValues(c, &form, "status", "answer")
	if _, err := h.svc.SetStatus(c.UserContext(), auth.From(c), id, form.Values["status"], form.Values["answer"]); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusForbidden || status == fiber.StatusNotFound {
			return err
		}
		return h.show(c, status, form)
	}
	return c.Redirect(fmt.Sprintf("/propozycje/%d#odpowiedzi", id), fiber.StatusSeeOther)
}

// File serves an attachment: images inline, PDFs as downloads, never as a page of ours
// (sandboxed, no sniffing), to whoever may see the proposal.
func (h *Handlers) File(c *fiber.Ctx) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	fileID, err := strconv.ParseInt(c.Params("file"), 10, 64)
	if err != nil {
		return problem.NotFound()
	}
	f, err := h.svc.Attachment(c.UserContext(), auth.From(c), id, fileID)
	if err != nil {
		return err
	}
	return upload.Serve(c, f, fmt.Sprintf("propozycja-%d-%d", id, fileID), false, false)
}

var paperFields = append([]string{"paper_author"}, append(slices.Clone(formFields), "scan")...)

// PaperNew is the moderators' form for a proposal handed in on paper.
func (h *Handlers) PaperNew(c *fiber.Ctx) error {
	if err := auth.RequireStaff(auth.From(c)); err != nil {
		return err
	}
	return h.formPage(c, fiber.StatusOK, FormPage{Paper: true, Form: render.NewForm(paperFields...)}, nil)
}

// PaperCreate files it.
func (h *Handlers) PaperCreate(c *fiber.Ctx) error {
	if err := auth.RequireStaff(auth.From(c)); err != nil {
		return err
	}
	form := render.NewForm(paperFields...)
	in, chosen, err := inputFrom(c, &form)
	paper := PaperInput{Input: in, Author: strings.Clone(c.FormValue("paper_author"))}
	form.Values["paper_author"] = paper.Author
	paper.Files = nil // a paper form's scan is not an attachment
	if err == nil {
		paper.Scan, err = upload.FromForm(c, "scan")
	}
	var pr Proposal
	if err == nil {
		pr, err = h.svc.CreatePaper(c.UserContext(), auth.From(c), paper)
	}
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.formPage(c, status, FormPage{Paper: true, Form: form}, chosen)
	}
	return c.Redirect(fmt.Sprintf("/propozycje/%d?zapisano=1", pr.ID), fiber.StatusSeeOther)
}

// Scan serves a paper proposal's scanned form to the staff.
func (h *Handlers) Scan(c *fiber.Ctx) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	f, err := h.svc.Scan(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return upload.Serve(c, f, fmt.Sprintf("propozycja-%d-skan", id), true, true)
}

// Discard is the "delete this draft" button.
func (h *Handlers) Discard(c *fiber.Ctx) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	if err := h.svc.DiscardDraft(c.UserContext(), auth.From(c), id); err != nil {
		return err
	}
	return c.Redirect("/propozycje?usunieto=1", fiber.StatusSeeOther)
}
