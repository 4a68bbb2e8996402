package account

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/cursor"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

func idParam(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound()
	}
	return id, nil
}

// forViewer shapes a staff-list row for the API: email to admins (and the person) only.
func (u UserSummary) forViewer(viewer auth.Principal) JSON {
	return User{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Roles: u.Roles, Verified: u.Verified, Member: u.Member}.ForViewer(viewer)
}

// PeoplePage is the staff's list of accounts.
type PeoplePage struct {
	Q, Role string
	Users   []UserSummary
	Next    string
}

// People lists accounts for moderators and admins.
func (h *Handlers) People(c *fiber.Ctx) error {
	after, err := cursor.Decode(c.Query("cursor"))
	if err != nil {
		return err
	}
	q, role := c.Query("q"), c.Query("role")
	users, next, err := h.svc.ListUsers(c.UserContext(), auth.From(c), q, role, after)
	if err != nil {
		return err
	}
	if !auth.From(c).Has(auth.Admin) {
		for i := range users {
			users[i].Email = "" // moderators find people by name; addresses are for admins
		}
	}
	page := PeoplePage{Q: q, Role: role, Users: users}
	if next != 0 {
		page.Next = cursor.Encode(next)
	}
	return h.render.HTML(c, fiber.StatusOK, "account/people", render.View{Title: httpx.L(c).T("staff.people_title"),
		Section: "nav.admin", Data: page})
}

// PersonPage is one account as the staff see it, with the forms that change it.
type PersonPage struct {
	User       UserDetail
	Notice     string
	Roles      render.Form
	Verify     render.Form
	Unverify   render.Form
	Block      render.Form
	CanAdmin   bool
	StaffRoles []string
}

func (p PersonPage) form() render.Form {
	f := render.NewForm()
	for _, sub := range []render.Form{p.Roles, p.Verify, p.Unverify, p.Block} {
		for k, v := range sub.Errors {
			f.Errors[k] = v
		}
		if sub.General != "" {
			f.General = sub.General
		}
	}
	return f
}

func (h *Handlers) person(c *fiber.Ctx, status int, page PersonPage) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	p := auth.From(c)
	u, err := h.svc.GetUser(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	if !p.Has(auth.Admin) {
		u.Email = ""
	}
	page.User, page.CanAdmin, page.StaffRoles = u, p.Has(auth.Admin), StaffRoles
	if page.Roles.Values == nil {
		page.Roles = render.NewForm("roles", "reason")
		for _, r := range u.Roles {
			page.Roles.Values["role_"+r] = "yes"
		}
	}
	if page.Verify.Values == nil {
		page.Verify = render.NewForm("note")
	}
	if page.Unverify.Values == nil {
		page.Unverify = render.NewForm("unverify_reason")
	}
	if page.Block.Values == nil {
		page.Block = render.NewForm("block_reason")
	}
	if notice := c.Query("done"); notice == "roles" || notice == "verify" || notice == "unverify" || notice == "block" || notice == "unblock" {
		page.Notice = httpx.L(c).T("staff.done_" + notice)
	}
	return h.page(c, status, "account/person", "staff.person_title", page)
}

// Person shows one account to the staff.
func (h *Handlers) Person(c *fiber.Ctx) error { return h.person(c, fiber.StatusOK, PersonPage{}) }

// SetRoles saves the roles form (admins).
func (h *Handlers) SetRoles(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	form := render.NewForm("roles", "reason")
	httpx.FormValues(c, &form, "reason")
	var roles []string
	for _, r := range StaffRoles {
		if c.FormValue("role_"+r) == "yes" {
			roles = append(roles, r)
			form.Values["role_"+r] = "yes"
		}
	}
	if err := h.svc.SetRoles(c.UserContext(), auth.From(c), id, roles, c.FormValue("reason")); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusForbidden || status == fiber.StatusNotFound {
			return err
		}
		return h.person(c, status, PersonPage{Roles: form})
	}
	return c.Redirect("/admin/osoby/"+strconv.FormatInt(id, 10)+"?done=roles", fiber.StatusSeeOther)
}

// VerifyPerson records an in-person verification.
func (h *Handlers) VerifyPerson(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	form := render.NewForm("note")
	httpx.FormValues(c, &form, "note")
	if err := h.svc.Verify(c.UserContext(), auth.From(c), id, c.FormValue("note")); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusForbidden || status == fiber.StatusNotFound {
			return err
		}
		return h.person(c, status, PersonPage{Verify: form})
	}
	return c.Redirect("/admin/osoby/"+strconv.FormatInt(id, 10)+"?done=verify", fiber.StatusSeeOther)
}

// UnverifyPerson withdraws a verification (admins).
func (h *Handlers) UnverifyPerson(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	form := render.NewForm("unverify_reason")
	httpx.FormValues(c, &form, "unverify_reason")
	if err := h.svc.Unverify(c.UserContext(), auth.From(c), id, c.FormValue("unverify_reason")); err != nil {
		if p, ok := problem.As(err); ok && p.Fields["reason"] != "" {
			p.Fields = map[string]string{"unverify_reason": p.Fields["reason"]}
		}
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusForbidden || status == fiber.StatusNotFound {
			return err
		}
		return h.person(c, status, PersonPage{Unverify: form})
	}
	return c.Redirect("/admin/osoby/"+strconv.FormatInt(id, 10)+"?done=unverify", fiber.StatusSeeOther)
}

// BlockPerson blocks (block=yes) or unblocks an account from the person's page.
func (h *Handlers) BlockPerson(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	form := render.NewForm("block_reason")
	httpx.FormValues(c, &form, "block_reason")
	done := "unblock"
	act := h.svc.Unblock
	if c.FormValue("block") == "yes" {
		done, act = "block", h.svc.Block
	}
	if err := act(c.UserContext(), auth.From(c), id, form.Values["block_reason"]); err != nil {
		if p, ok := problem.As(err); ok && p.Fields["reason"] != "" {
			p.Fields = map[string]string{"block_reason": p.Fields["reason"]}
		}
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusForbidden || status == fiber.StatusNotFound {
			return err
		}
		return h.person(c, status, PersonPage{Block: form})
	}
	return c.Redirect("/admin/osoby/"+strconv.FormatInt(id, 10)+"?done="+done, fiber.StatusSeeOther)
}

// APIBlock answers POST /api/v1/admin/users/{id}/block {reason} (block) and DELETE
// (unblock): 200 {"user":…}.
func (h *Handlers) APIBlock(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if len(c.Body()) > 0 || c.Method() == fiber.MethodPost {
		if err := httpx.DecodeJSON(c, &in); err != nil {
			return err
		}
	}
	act := h.svc.Unblock
	if c.Method() == fiber.MethodPost {
		act = h.svc.Block
	}
	if err := act(c.UserContext(), auth.From(c), id, in.Reason); err != nil {
		return err
	}
	return h.apiUser(c, id)
}

// BatchesPage lists invitation batches and makes new ones.
type BatchesPage struct {
	Batches []Batch
	Form    render.Form
	Max     int
}

func (p BatchesPage) form() render.Form { return p.Form }

func (h *Handlers) batches(c *fiber.Ctx, status int, form render.Form) error {
	list, err := h.svc.Batches(c.UserContext(), auth.From(c))
	if err != nil {
		return err
	}
	return h.page(c, status, "account/batches", "staff.codes_title", BatchesPage{Batches: list, Form: form, Max: MaxBatchSize})
}

// Batches shows the invitation batches.
func (h *Handlers) Batches(c *fiber.Ctx) error {
	form := render.NewForm("label", "count", "days")
	form.Values["count"], form.Values["days"] = "50", "30"
	return h.batches(c, fiber.StatusOK, form)
}

// CreateBatch makes a batch of codes and opens its printable page.
func (h *Handlers) CreateBatch(c *fiber.Ctx) error {
	form := render.NewForm("label", "count", "days")
	httpx.FormValues(c, &form, "label", "count", "days")
	count, cerr := strconv.Atoi(c.FormValue("count"))
	days, derr := strconv.Atoi(c.FormValue("days"))
	var err error
	switch {
	case cerr != nil:
		err = problem.Invalid(map[string]string{"count": "account.batch_count_range"})
	case derr != nil:
		err = problem.Invalid(map[string]string{"days": "account.batch_days_range"})
	}
	var id int64
	if err == nil {
		id, err = h.svc.CreateBatch(c.UserContext(), auth.From(c), c.FormValue("label"), count, days)
	}
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusForbidden {
			return err
		}
		return h.batches(c, status, form)
	}
	return c.Redirect("/admin/kody/"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
}

// PrintPage is a batch's codes laid out for printing and cutting.
type PrintPage struct {
	Batch Batch
	Codes []Code
	URL   string
}

// PrintBatch shows a batch's codes to print.
func (h *Handlers) PrintBatch(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	b, codes, err := h.svc.BatchCodes(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return h.render.HTML(c, fiber.StatusOK, "account/print_codes", render.View{Title: b.Label, Section: "nav.admin",
		Data: PrintPage{Batch: b, Codes: codes, URL: h.svc.publicURL + "/kod"}})
}

// RedeemPage is the resident's "I have a code" form.
type RedeemPage struct {
	Form render.Form
	Done bool
}

func (p RedeemPage) form() render.Form { return p.Form }

// ShowRedeem asks for an invitation code.
func (h *Handlers) ShowRedeem(c *fiber.Ctx) error {
	return h.page(c, fiber.StatusOK, "account/redeem", "account.redeem_title",
		RedeemPage{Form: render.NewForm("code"), Done: auth.From(c).Verified})
}

// Redeem verifies the person with a code.
func (h *Handlers) Redeem(c *fiber.Ctx) error {
	form := render.NewForm("code")
	httpx.FormValues(c, &form, "code")
	if err := h.svc.RedeemCode(c.UserContext(), auth.From(c), c.FormValue("code")); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.page(c, status, "account/redeem", "account.redeem_title", RedeemPage{Form: form})
	}
	return h.page(c, fiber.StatusOK, "account/redeem", "account.redeem_title", RedeemPage{Form: form, Done: true})
}

// API

// APIUsers answers GET /api/v1/admin/users.
func (h *Handlers) APIUsers(c *fiber.Ctx) error {
	after, err := cursor.Decode(c.Query("cursor"))
	if err != nil {
		return err
	}
	users, next, err := h.svc.ListUsers(c.UserContext(), auth.From(c), c.Query("q"), c.Query("role"), after)
	if err != nil {
		return err
	}
	viewer := auth.From(c)
	items := make([]JSON, len(users))
	for i, u := range users {
		items[i] = u.forViewer(viewer)
	}
	body := fiber.Map{"items": items}
	if next != 0 {
		body["next_cursor"] = cursor.Encode(next)
	}
	return c.JSON(body)
}

func (h *Handlers) apiUser(c *fiber.Ctx, id int64) error {
	u, err := h.svc.GetUser(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"user": u.forViewer(auth.From(c))})
}

// APISetRoles answers PUT /api/v1/admin/users/{id}/roles.
func (h *Handlers) APISetRoles(c *fiber.Ctx) error {
	if err := auth.RequireAdmin(auth.From(c)); err != nil {
		return err // who asks comes before what they sent
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in struct {
		Roles  []string `json:"roles"`
		Reason string   `json:"reason"`
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.svc.SetRoles(c.UserContext(), auth.From(c), id, in.Roles, in.Reason); err != nil {
		return err
	}
	return h.apiUser(c, id)
}

// APIVerify answers POST /api/v1/admin/users/{id}/verify.
func (h *Handlers) APIVerify(c *fiber.Ctx) error {
	if err := auth.RequireStaff(auth.From(c)); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in struct {
		Note string `json:"note"`
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.svc.Verify(c.UserContext(), auth.From(c), id, in.Note); err != nil {
		return err
	}
	return h.apiUser(c, id)
}

// APIRedeem answers POST /api/v1/verification/redeem.
func (h *Handlers) APIRedeem(c *fiber.Ctx) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	p := auth.From(c)
	if err := h.svc.RedeemCode(c.UserContext(), p, in.Code); err != nil {
		return err
	}
	u, err := h.svc.Me(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"user": u.ForViewer(p)})
}
