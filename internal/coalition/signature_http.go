package coalition

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
	"lawka/internal/platform/upload"
)

// District is an option of a district select.
type District struct {
	ID         int64
	Slug, Name string
}

// DistrictLister lists districts for forms and filters.
type DistrictLister interface {
	Districts(ctx context.Context) ([]District, error)
}

// SignatureHandlers serves signing, the signer's list, the moderators' queue and the
// public list of allies.
type SignatureHandlers struct {
	svc       *Signatures
	render    *render.Renderer
	districts DistrictLister
	// Events lets paper signatures name the event they were made at (nil: none).
	Events Events
}

// NewSignatureHandlers builds the handlers.
func NewSignatureHandlers(svc *Signatures, r *render.Renderer, d DistrictLister) *SignatureHandlers {
	return &SignatureHandlers{svc: svc, render: r, districts: d}
}

func (h *SignatureHandlers) page(c *fiber.Ctx, status int, name, titleKey, section string, form *render.Form, data any) error {
	v := render.View{Title: httpx.L(c).T(titleKey), Section: section, Data: data}
	v.Error = form != nil && form.HasErrors()
	return h.render.HTML(c, status, name, v)
}

// SignChoosePage asks how the person signs.
type SignChoosePage struct {
	Confirmed bool
	Mine      []Signature
}

// ShowSign starts signing: as a person or for an organisation.
func (h *SignatureHandlers) ShowSign(c *fiber.Ctx) error {
	p := auth.From(c)
	mine, err := h.svc.Mine(c.UserContext(), p)
	if err != nil {
		return err
	}
	return h.page(c, fiber.StatusOK, "coalition/sign_choose", "coalition.sign_title", "nav.declaration", nil,
		SignChoosePage{Confirmed: p.Confirmed, Mine: mine})
}

// PersonPage is the personal signature form.
type PersonPage struct{ Form render.Form }

var personFields = []string{"agree", "full_name", "list_publicly"}

// ShowSignPerson shows the personal signature form.
func (h *SignatureHandlers) ShowSignPerson(c *fiber.Ctx) error {
	form := render.NewForm(personFields...)
	form.Values["list_publicly"] = "yes"
	return h.page(c, fiber.StatusOK, "coalition/sign_person", "coalition.sign_person_title", "nav.declaration", &form, PersonPage{form})
}

// SignPerson records a personal signature.
func (h *SignatureHandlers) SignPerson(c *fiber.Ctx) error {
	form := render.NewForm(personFields...)
	httpx.FormValues(c, &form, personFields...)
	_, err := h.svc.SignAsPerson(c.UserContext(), auth.From(c), PersonSigning{FullName: c.FormValue("full_name"),
		Agree: c.FormValue("agree") == "yes", ListPublicly: c.FormValue("list_publicly") == "yes"})
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusUnauthorized {
			return err
		}
		return h.page(c, status, "coalition/sign_person", "coalition.sign_person_title", "nav.declaration", &form, PersonPage{form})
	}
	return c.Redirect("/konto/podpisy?done=signed", fiber.StatusSeeOther)
}

// OrganisationPage is the form for signing on behalf of an organisation.
type OrganisationPage struct {
	Form        render.Form
	Represented []Organisation
	Districts   []District
	Kinds       []string
}

var orgFields = []string{"organisation_id", "name", "type", "krs", "website", "neighbourhood_id", "full_name", "role_title",
	"authority_confirmed", "scan", "list_publicly"}

func (h *SignatureHandlers) orgPage(c *fiber.Ctx, status int, form render.Form) error {
	ctx := c.UserContext()
	rep, err := h.svc.Represented(ctx, auth.From(c))
	if err != nil {
		return err
	}
	ds, err := h.districts.Districts(ctx)
	if err != nil {
		return err
	}
	return h.page(c, status, "coalition/sign_org", "coalition.sign_org_title", "nav.declaration", &form,
		OrganisationPage{Form: form, Represented: rep, Districts: ds, Kinds: Kinds})
}

// ShowSignOrganisation shows the organisation form.
func (h *SignatureHandlers) ShowSignOrganisation(c *fiber.Ctx) error {
	form := render.NewForm(orgFields...)
	form.Values["list_publicly"] = "yes"
	return h.orgPage(c, fiber.StatusOK, form)
}

func optionalID(raw, field string) (*int64, error) {
	if raw == "" || raw == "new" {
		return nil, nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return nil, problem.Invalid(map[string]string{field: "coalition.choose_from_list"})
	}
	return &id, nil
}

// SignOrganisation records an organisation's signature (a multipart form with an
// optional scan).
func (h *SignatureHandlers) SignOrganisation(c *fiber.Ctx) error {
	form := render.NewForm(orgFields...)
	httpx.FormValues(c, &form, "organisation_id", "name", "type", "krs", "website", "neighbourhood_id", "full_name",
		"role_title", "authority_confirmed", "list_publicly")
	in := OrganisationSigning{Name: c.FormValue("name"), Kind: c.FormValue("type"), KRS: c.FormValue("krs"),
		Website: c.FormValue("website"), FullName: c.FormValue("full_name"), RoleTitle: c.FormValue("role_title"),
		Authority: c.FormValue("authority_confirmed") == "yes", ListPublicly: c.FormValue("list_publicly") == "yes"}
	var err error
	in.OrganisationID, err = optionalID(c.FormValue("organisation_id"), "organisation_id")
	if err == nil {
		in.NeighbourhoodID, err = optionalID(c.FormValue("neighbourhood_id"), "neighbourhood_id")
	}
	if err == nil {
		in.Scan, err = upload.FromForm(c, "scan")
	}
	if err == nil {
		_, err = h.svc.SignForOrganisation(c.UserContext(), auth.From(c), in)
	}
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusUnauthorized {
			return err
		}
		return h.orgPage(c, status, form)
	}
	return c.Redirect("/konto/podpisy?done=signed", fiber.StatusSeeOther)
}

// MinePage lists the person's signatures.
type MinePage struct {
	Signatures []Signature
	Notice     string
}

// Mine shows the person's signatures and lets them withdraw one.
func (h *SignatureHandlers) Mine(c *fiber.Ctx) error {
	list, err := h.svc.Mine(c.UserContext(), auth.From(c))
	if err != nil {
		return err
	}
	page := MinePage{Signatures: list}
	if d := c.Query("done"); d == "signed" || d == "withdrawn" {
		page.Notice = httpx.L(c).T("coalition.done_" + d)
	}
	return h.page(c, fiber.StatusOK, "coalition/mine", "coalition.mine_title", "nav.account", nil, page)
}

func signatureID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound()
	}
	return id, nil
}

// Withdraw takes a signature back.
func (h *SignatureHandlers) Withdraw(c *fiber.Ctx) error {
	id, err := signatureID(c)
	if err != nil {
		return err
	}
	if err := h.svc.Withdraw(c.UserContext(), auth.From(c), id); err != nil {
		return err
	}
	return c.Redirect("/konto/podpisy?done=withdrawn", fiber.StatusSeeOther)
}

// Scan sends a signature's scan as a download (never rendered inline).
func (h *SignatureHandlers) Scan(c *fiber.Ctx) error {
	id, err := signatureID(c)
	if err != nil {
		return err
	}
	f, err := h.svc.Scan(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return upload.Serve(c, f, "podpis-"+strconv.FormatInt(id, 10), true, true)
}

// QueuePage is the moderators' list of signatures.
type QueuePage struct {
	Pending, Recent []Signature
	Form            render.Form
	FormFor         int64
	Notice          string
}

func (h *SignatureHandlers) queue(c *fiber.Ctx, status int, page QueuePage) error {
	ctx := c.UserContext()
	p := auth.From(c)
	var err error
	if page.Pending, err = h.svc.Pending(ctx, p); err != nil {
		return err
	}
	if page.Recent, err = h.svc.Recent(ctx, p); err != nil {
		return err
	}
	if page.Form.Values == nil {
		page.Form = render.NewForm("reason")
	}
	return h.page(c, status, "coalition/queue", "coalition.queue_title", "nav.admin", &page.Form, page)
}

// Queue shows pending signatures to moderators.
func (h *SignatureHandlers) Queue(c *fiber.Ctx) error {
	page := QueuePage{}
	if d := c.Query("done"); d == "confirmed" || d == "rejected" || d == "paper" {
		page.Notice = httpx.L(c).T("coalition.done_" + d)
	}
	return h.queue(c, fiber.StatusOK, page)
}

// Decide confirms or rejects a signature.
func (h *SignatureHandlers) Decide(c *fiber.Ctx) error {
	id, err := signatureID(c)
	if err != nil {
		return err
	}
	if err := auth.RequireStaff(auth.From(c)); err != nil {
		return err // who asks comes before what they sent
	}
	confirm := c.FormValue("decision") == "confirm"
	if !confirm && c.FormValue("decision") != "reject" {
		return problem.Invalid(map[string]string{"decision": "coalition.choose_from_list"})
	}
	form := render.NewForm("reason")
	httpx.FormValues(c, &form, "reason")
	if err := h.svc.Decide(c.UserContext(), auth.From(c), id, confirm, c.FormValue("reason")); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusForbidden || status == fiber.StatusNotFound || status == fiber.StatusUnauthorized {
			return err
		}
		return h.queue(c, status, QueuePage{Form: form, FormFor: id})
	}
	done := "rejected"
	if confirm {
		done = "confirmed"
	}
	return c.Redirect("/admin/podpisy?done="+done, fiber.StatusSeeOther)
}

// AlliesPage is the public list of allies.
type AlliesPage struct {
	Allies    []Ally
	Kind      string
	District  string
	Districts []District
	Kinds     []string
}

// Allies shows the public list of allies with filters.
func (h *SignatureHandlers) Allies(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f := AllyFilter{Kind: c.Query("typ"), DistrictSlug: c.Query("dzielnica")}
	list, err := h.svc.Allies(ctx, f)
	if err != nil {
		return err
	}
	ds, err := h.districts.Districts(ctx)
	if err != nil {
		return err
	}
	return h.page(c, fiber.StatusOK, "coalition/allies", "coalition.allies_title", "nav.allies", nil,
		AlliesPage{Allies: list, Kind: f.Kind, District: f.DistrictSlug, Districts: ds, Kinds: append([]string{"person"}, Kinds...)})
}

// APIAllies answers GET /api/v1/allies?type=&district=.
func (h *SignatureHandlers) APIAllies(c *fiber.Ctx) error {
	list, err := h.svc.Allies(c.UserContext(), AllyFilter{Kind: c.Query("type"), DistrictSlug: c.Query("district")})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list, "count": len(list)})
}

// APISign answers POST /api/v1/signatures: {"kind":"person",…} or {"kind":"organisation",…}.
func (h *SignatureHandlers) APISign(c *fiber.Ctx) error {
	var in struct {
		Kind            string `json:"kind"`
		FullName        string `json:"full_name"`
		Agree           bool   `json:"agree"`
		ListPublicly    bool   `json:"list_publicly"`
		OrganisationID  *int64 `json:"organisation_id"`
		Name            string `json:"name"`
		Type            string `json:"type"`
		KRS             string `json:"krs"`
		Website         string `json:"website"`
		NeighbourhoodID *int64 `json:"neighbourhood_id"`
		RoleTitle       string `json:"role_title"`
		Authority       bool   `json:"authority_confirmed"`
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	var sig Signature
	var err error
	switch in.Kind {
	case "person":
		sig, err = h.svc.SignAsPerson(c.UserContext(), auth.From(c), PersonSigning{FullName: in.FullName, Agree: in.Agree,
			ListPublicly: in.ListPublicly})
	case "organisation":
		sig, err = h.svc.SignForOrganisation(c.UserContext(), auth.From(c), OrganisationSigning{OrganisationID: in.OrganisationID,
			Name: in.Name, Kind: in.Type, KRS: in.KRS, Website: in.Website, NeighbourhoodID: in.NeighbourhoodID,
			FullName: in.FullName, RoleTitle: in.RoleTitle, Authority: in.Authority, ListPublicly: in.ListPublicly})
	default:
		err = problem.Invalid(map[string]string{"kind": "coalition.choose_from_list"})
	}
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"signature": sig})
}

// APIMine answers GET /api/v1/me/signatures.
func (h *SignatureHandlers) APIMine(c *fiber.Ctx) error {
	list, err := h.svc.Mine(c.UserContext(), auth.From(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

// APIWithdraw answers DELETE /api/v1/signatures/{id}.
func (h *SignatureHandlers) APIWithdraw(c *fiber.Ctx) error {
	id, err := signatureID(c)
	if err != nil {
		return err
	}
	if err := h.svc.Withdraw(c.UserContext(), auth.From(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// APIPending answers GET /api/v1/admin/signatures.
func (h *SignatureHandlers) APIPending(c *fiber.Ctx) error {
	list, err := h.svc.Pending(c.UserContext(), auth.From(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

// APIDecide answers POST /api/v1/admin/signatures/{id}/decision {"confirm":bool,"reason":"…"}.
func (h *SignatureHandlers) APIDecide(c *fiber.Ctx) error {
	id, err := signatureID(c)
	if err != nil {
		return err
	}
	if err := auth.RequireStaff(auth.From(c)); err != nil {
		return err
	}
	var in struct {
		Confirm *bool  `json:"confirm"`
		Reason  string `json:"reason"`
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if in.Confirm == nil {
		return problem.Invalid(map[string]string{"confirm": "coalition.choose_from_list"})
	}
	if err := h.svc.Decide(c.UserContext(), auth.From(c), id, *in.Confirm, in.Reason); err != nil {
		return err
	}
	sig, err := h.svc.get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"signature": sig})
}

// WithdrawListing withdraws consent to be named on the public list of allies.
func (h *SignatureHandlers) WithdrawListing(c *fiber.Ctx) error {
	p := auth.From(c)
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	if err := h.svc.WithdrawListing(c.UserContext(), p.UserID); err != nil {
		return err
	}
	return c.Redirect("/konto/prywatnosc?done=consent", fiber.StatusSeeOther)
}

// OrganisationsPage lists the person's organisations with an invitation form.
type OrganisationsPage struct {
	Organisations []MyOrganisation
	Form          render.Form
	FormFor       int64
	Notice        string
}

func (h *SignatureHandlers) organisations(c *fiber.Ctx, status int, page OrganisationsPage) error {
	orgs, err := h.svc.MyOrganisations(c.UserContext(), auth.From(c))
	if err != nil {
		return err
	}
	page.Organisations = orgs
	if page.Form.Values == nil {
		page.Form = render.NewForm("email")
	}
	return h.page(c, status, "coalition/organisations", "coalition.orgs_title", "nav.account", &page.Form, page)
}

// Organisations shows the organisations the person acts for.
func (h *SignatureHandlers) Organisations(c *fiber.Ctx) error {
	page := OrganisationsPage{}
	if c.Query("done") == "invited" {
		page.Notice = httpx.L(c).T("coalition.done_invited")
	}
	return h.organisations(c, fiber.StatusOK, page)
}

// Invite sends an invitation to a colleague.
func (h *SignatureHandlers) Invite(c *fiber.Ctx) error {
	id, err := signatureID(c)
	if err != nil {
		return err
	}
	form := render.NewForm("email")
	httpx.FormValues(c, &form, "email")
	if err := h.svc.Invite(c.UserContext(), auth.From(c), id, c.FormValue("email")); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusForbidden {
			return err
		}
		return h.organisations(c, status, OrganisationsPage{Form: form, FormFor: id})
	}
	return c.Redirect("/konto/organizacje?done=invited", fiber.StatusSeeOther)
}

// InvitePage shows an invitation before it is accepted.
type InvitePage struct {
	Token, Organisation string
	Form                render.Form
	Done                bool
}

// ShowInvite shows what an invitation is for, with a button to accept it.
func (h *SignatureHandlers) ShowInvite(c *fiber.Ctx) error {
	token := c.Query("token")
	form := render.NewForm("token")
	name, err := h.svc.InviteInfo(c.UserContext(), token)
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.page(c, status, "coalition/invite", "coalition.invite_title", "", &form, InvitePage{Form: form})
	}
	return h.page(c, fiber.StatusOK, "coalition/invite", "coalition.invite_title", "", nil, InvitePage{Token: token, Organisation: name, Form: form})
}

// AcceptInvite joins the organisation as an advocate.
func (h *SignatureHandlers) AcceptInvite(c *fiber.Ctx) error {
	form := render.NewForm("token")
	token := c.FormValue("token")
	name, _ := h.svc.InviteInfo(c.UserContext(), token)
	if err := h.svc.AcceptInvite(c.UserContext(), auth.From(c), token); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusUnauthorized {
			return err
		}
		return h.page(c, status, "coalition/invite", "coalition.invite_title", "", &form, InvitePage{Form: form, Organisation: name})
	}
	return h.page(c, fiber.StatusOK, "coalition/invite", "coalition.invite_title", "", nil, InvitePage{Organisation: name, Done: true, Form: form})
}
