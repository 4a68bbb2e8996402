package account

import (
	"context"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

// District is an option of the home-district select.
type District struct {
	ID   int64
	Name string
}

// DistrictLister lists districts for the registration form and checks them.
type DistrictLister interface {
	NeighbourhoodChecker
	Options(ctx context.Context) ([]District, error)
}

// Handlers serves the account pages and the auth API.
type Handlers struct {
	svc       *Service
	render    *render.Renderer
	districts DistrictLister
}

// NewHandlers builds the handlers.
func NewHandlers(svc *Service, r *render.Renderer, districts DistrictLister) *Handlers {
	return &Handlers{svc: svc, render: r, districts: districts}
}

func client(c *fiber.Ctx) Client {
	return Client{IP: httpx.ClientIP(c), UserAgent: string(c.Request().Header.UserAgent()), Lang: httpx.L(c).Lang}
}

// page renders an account page; a form with errors makes the title start with "Błąd:".
func (h *Handlers) page(c *fiber.Ctx, status int, name, titleKey string, data any) error {
	v := render.View{Title: httpx.L(c).T(titleKey), Data: data}
	if f, ok := formOf(data); ok && f.HasErrors() {
		v.Error = true
	}
	return h.render.HTML(c, status, name, v)
}

type formHolder interface{ form() render.Form }

func formOf(data any) (render.Form, bool) {
	if fh, ok := data.(formHolder); ok {
		return fh.form(), true
	}
	return render.Form{}, false
}

// LoginPage is the sign-in form.
type LoginPage struct {
	Form render.Form
	Next string
}

func (p LoginPage) form() render.Form { return p.Form }

// ShowLogin shows the sign-in form (a signed-in person goes on to their page).
func (h *Handlers) ShowLogin(c *fiber.Ctx) error {
	next := httpx.SafeNext(c.Query("next"), "/")
	if auth.From(c).SignedIn() {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	return h.page(c, fiber.StatusOK, "account/login", "account.login_title", LoginPage{Form: render.NewForm("email", "password"), Next: next})
}

// Login signs in from the form.
func (h *Handlers) Login(c *fiber.Ctx) error {
	form := render.NewForm("email", "password")
	form.Values["email"] = c.FormValue("email")
	next := httpx.SafeNext(c.FormValue("next"), "/")
	_, token, challenge, err := h.svc.LoginTOTP(c.UserContext(), c.FormValue("email"), c.FormValue("password"), "", "browser", client(c))
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.page(c, status, "account/login", "account.login_title", LoginPage{Form: form, Next: next})
	}
	if challenge != "" {
		c.Cookie(&fiber.Cookie{Name: challengeCookie, Value: challenge, Path: "/logowanie", HTTPOnly: true,
			Secure: h.svc.Sessions.secure, SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(challengeTTL.Seconds())})
		return c.Redirect("/logowanie/kod?next="+url.QueryEscape(next), fiber.StatusSeeOther)
	}
	h.svc.Sessions.setCookie(c, token)
	return c.Redirect(next, fiber.StatusSeeOther)
}

// challengeCookie carries a right password to the second step (never in the URL).
const challengeCookie = "lawka_login_challenge"

// ShowLoginCode asks for the code from the authenticator app.
func (h *Handlers) ShowLoginCode(c *fiber.Ctx) error {
	if c.Cookies(challengeCookie) == "" {
		return c.Redirect("/logowanie", fiber.StatusSeeOther)
	}
	return h.page(c, fiber.StatusOK, "account/login_code", "account.login_code_title",
		LoginPage{Form: render.NewForm("code"), Next: httpx.SafeNext(c.Query("next"), "/")})
}

// LoginCode finishes signing in with the second step.
func (h *Handlers) LoginCode(c *fiber.Ctx) error {
	form := render.NewForm("code")
	next := httpx.SafeNext(c.FormValue("next"), "/")
	_, token, err := h.svc.CompleteLogin(c.UserContext(), c.Cookies(challengeCookie), c.FormValue("code"), client(c))
	if err != nil {
		if p, ok := problem.As(err); ok && p.Code == "challenge_expired" {
			return c.Redirect("/logowanie?next="+url.QueryEscape(next), fiber.StatusSeeOther)
		}
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.page(c, status, "account/login_code", "account.login_code_title", LoginPage{Form: form, Next: next})
	}
	c.Cookie(&fiber.Cookie{Name: challengeCookie, Value: "", Path: "/logowanie", MaxAge: -1, HTTPOnly: true,
		Secure: h.svc.Sessions.secure, SameSite: fiber.CookieSameSiteLaxMode})
	h.svc.Sessions.setCookie(c, token)
	return c.Redirect(next, fiber.StatusSeeOther)
}

// TOTPPage is the two-step sign-in settings.
type TOTPPage struct {
	Enabled       bool
	Required      bool
	Enrolment     Enrolment
	RecoveryCodes []string
	CodesLeft     int
	Form          render.Form
	Notice        string
}

func (p TOTPPage) form() render.Form { return p.Form }

func (h *Handlers) totp(c *fiber.Ctx, status int, page TOTPPage) error {
	ctx := c.UserContext()
	p := auth.From(c)
	on, err := hasTOTP(ctx, h.svc.pool, p.UserID)
	if err != nil {
		return err
	}
	page.Enabled = on
	page.Required = c.Query("wymagane") == "1" || h.svc.RequireStaffTOTP && p.Staff() && !on
	if on {
		if page.CodesLeft, err = h.svc.RecoveryCodesLeft(ctx, p); err != nil {
			return err
		}
	} else if page.Enrolment.Secret == "" && page.RecoveryCodes == nil {
		if page.Enrolment, err = h.svc.PendingTOTP(ctx, p); err != nil {
			return err
		}
	}
	if page.Form.Values == nil {
		page.Form = render.NewForm("code", "totp_password")
	}
	return h.page(c, status, "account/totp", "account.totp_title", page)
}

// TOTPSettings shows two-step sign-in.
func (h *Handlers) TOTPSettings(c *fiber.Ctx) error {
	page := TOTPPage{}
	if c.Query("done") == "off" {
		page.Notice = httpx.L(c).T("account.totp_done_off")
	}
	return h.totp(c, fiber.StatusOK, page)
}

// TOTPStart makes a new secret and shows it.
func (h *Handlers) TOTPStart(c *fiber.Ctx) error {
	e, err := h.svc.StartTOTP(c.UserContext(), auth.From(c))
	if err != nil {
		return err
	}
	return h.totp(c, fiber.StatusOK, TOTPPage{Enrolment: e})
}

// TOTPConfirm turns two-step sign-in on and shows the recovery codes once.
func (h *Handlers) TOTPConfirm(c *fiber.Ctx) error {
	form := render.NewForm("code")
	codes, err := h.svc.ConfirmTOTP(c.UserContext(), auth.From(c), c.FormValue("code"))
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.totp(c, status, TOTPPage{Form: form})
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return h.page(c, fiber.StatusOK, "account/totp", "account.totp_title", TOTPPage{Enabled: true, RecoveryCodes: codes,
		Form: render.NewForm(), Notice: httpx.L(c).T("account.totp_done_on")})
}

// TOTPDisable turns two-step sign-in off.
func (h *Handlers) TOTPDisable(c *fiber.Ctx) error {
	form := render.NewForm("totp_password", "code")
	err := h.svc.DisableTOTP(c.UserContext(), auth.From(c), c.FormValue("totp_password"), c.FormValue("code"))
	if err != nil {
		if p, ok := problem.As(err); ok && p.Fields["current_password"] != "" {
			p.Fields = map[string]string{"totp_password": p.Fields["current_password"]}
		}
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.totp(c, status, TOTPPage{Form: form})
	}
	return c.Redirect("/konto/2fa?done=off", fiber.StatusSeeOther)
}

// Logout signs out of this browser.
func (h *Handlers) Logout(c *fiber.Ctx) error {
	if err := h.svc.Logout(c.UserContext(), auth.From(c)); err != nil {
		return err
	}
	h.svc.Sessions.clearCookie(c)
	return c.Redirect("/", fiber.StatusSeeOther)
}

// RegisterPage is the registration form.
type RegisterPage struct {
	Form      render.Form
	Districts []District
}

func (p RegisterPage) form() render.Form { return p.Form }

var registerFields = []string{"display_name", "email", "password", "neighbourhood_id", "accept_terms"}

// ShowRegister shows the registration form.
func (h *Handlers) ShowRegister(c *fiber.Ctx) error {
	if auth.From(c).SignedIn() {
		return c.Redirect("/konto", fiber.StatusSeeOther)
	}
	ds, err := h.districts.Options(c.UserContext())
	if err != nil {
		return err
	}
	return h.page(c, fiber.StatusOK, "account/register", "account.register_title",
		RegisterPage{Form: render.NewForm(registerFields...), Districts: ds})
}

// Register creates the account from the form, signs the person in and asks them to
// confirm their address.
func (h *Handlers) Register(c *fiber.Ctx) error {
	form := render.NewForm(registerFields...)
	httpx.FormValues(c, &form, "display_name", "email", "neighbourhood_id", "accept_terms")
	in := Registration{Email: c.FormValue("email"), Password: c.FormValue("password"),
		DisplayName: c.FormValue("display_name"), AcceptTerms: c.FormValue("accept_terms") == "yes"}
	var err error
	if raw := c.FormValue("neighbourhood_id"); raw != "" {
		id, perr := strconv.ParseInt(raw, 10, 64)
		if perr != nil {
			err = problem.Invalid(map[string]string{"neighbourhood_id": "account.neighbourhood_unknown"})
		}
		in.NeighbourhoodID = &id
	}
	ctx := c.UserContext()
	if err == nil {
		_, err = h.svc.Register(ctx, in, client(c))
	}
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		ds, derr := h.districts.Options(ctx)
		if derr != nil {
			return derr
		}
		return h.page(c, status, "account/register", "account.register_title", RegisterPage{Form: form, Districts: ds})
	}
	_, token, err := h.svc.Login(ctx, in.Email, in.Password, "browser", client(c))
	if err != nil {
		return c.Redirect("/logowanie", fiber.StatusSeeOther)
	}
	h.svc.Sessions.setCookie(c, token)
	return c.Redirect("/konto?welcome=1", fiber.StatusSeeOther)
}

// TokenPage carries a mailed link's token into its form.
type TokenPage struct {
	Token string
	Form  render.Form
	Done  bool
	User  User
}

func (p TokenPage) form() render.Form { return p.Form }

// ShowConfirm shows a button that confirms the address (a link in a mail must not
// change anything by being opened: mail scanners open links too).
func (h *Handlers) ShowConfirm(c *fiber.Ctx) error {
	token := c.Query("token")
	status := fiber.StatusOK
	form := render.NewForm("token")
	if err := h.svc.CheckToken(c.UserContext(), token, purposeConfirm); err != nil {
		if err2 := h.svc.CheckToken(c.UserContext(), token, purposeChange); err2 != nil {
			if status, ok := httpx.FormProblem(c, err, &form); ok {
				return h.page(c, status, "account/confirm", "account.confirm_title", TokenPage{Form: form})
			}
			return err
		}
	}
	return h.page(c, status, "account/confirm", "account.confirm_title", TokenPage{Token: token, Form: form})
}

// Confirm uses the confirmation link.
func (h *Handlers) Confirm(c *fiber.Ctx) error {
	form := render.NewForm("token")
	u, err := h.svc.ConfirmEmail(c.UserContext(), c.FormValue("token"))
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.page(c, status, "account/confirm", "account.confirm_title", TokenPage{Form: form})
	}
	return h.page(c, fiber.StatusOK, "account/confirm", "account.confirmed_title", TokenPage{Done: true, User: u, Form: form})
}

// ResetPage is the "forgot your password" flow.
type ResetPage struct {
	Form  render.Form
	Token string
	Sent  bool
}

func (p ResetPage) form() render.Form { return p.Form }

// ShowResetRequest asks for the address to send a reset link to.
func (h *Handlers) ShowResetRequest(c *fiber.Ctx) error {
	return h.page(c, fiber.StatusOK, "account/reset_request", "account.reset_title", ResetPage{Form: render.NewForm("email")})
}

// ResetRequest sends the link (or pretends to, for an unknown address).
func (h *Handlers) ResetRequest(c *fiber.Ctx) error {
	form := render.NewForm("email")
	httpx.FormValues(c, &form, "email")
	if err := h.svc.RequestReset(c.UserContext(), c.FormValue("email"), client(c)); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.page(c, status, "account/reset_request", "account.reset_title", ResetPage{Form: form})
	}
	return h.page(c, fiber.StatusOK, "account/reset_request", "account.reset_sent_title", ResetPage{Form: form, Sent: true})
}

// ShowReset asks for a new password (from the mailed link).
func (h *Handlers) ShowReset(c *fiber.Ctx) error {
	token := c.Query("token")
	form := render.NewForm("password")
	if err := h.svc.CheckToken(c.UserContext(), token, purposeReset); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.page(c, status, "account/reset", "account.new_password_title", ResetPage{Form: form})
	}
	return h.page(c, fiber.StatusOK, "account/reset", "account.new_password_title", ResetPage{Form: form, Token: token})
}

// Reset sets the new password; the person then signs in with it.
func (h *Handlers) Reset(c *fiber.Ctx) error {
	form := render.NewForm("password")
	token := c.FormValue("token")
	if err := h.svc.ResetPassword(c.UserContext(), token, c.FormValue("password"), client(c)); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		if p, _ := problem.As(err); p.Code == "token_invalid" {
			token = ""
		}
		return h.page(c, status, "account/reset", "account.new_password_title", ResetPage{Form: form, Token: token})
	}
	h.svc.Sessions.clearCookie(c)
	return c.Redirect("/logowanie?reset=1", fiber.StatusSeeOther)
}

// SettingsPage is "your account".
type SettingsPage struct {
	User     User
	Sessions []Session
	Welcome  bool
	Notice   string
	Password render.Form
	Email    render.Form
	Locale   render.Form
}

func (p SettingsPage) form() render.Form {
	f := render.NewForm()
	for _, sub := range []render.Form{p.Password, p.Email, p.Locale} {
		for k, v := range sub.Errors {
			f.Errors[k] = v
		}
	}
	return f
}

func (h *Handlers) settings(c *fiber.Ctx, status int, p SettingsPage) error {
	ctx := c.UserContext()
	pr := auth.From(c)
	u, err := h.svc.Me(ctx, pr)
	if err != nil {
		return err
	}
	sessions, err := h.svc.ListSessions(ctx, pr)
	if err != nil {
		return err
	}
	p.User, p.Sessions = u, sessions
	if p.Password.Values == nil {
		p.Password = render.NewForm("current_password", "new_password")
	}
	if p.Email.Values == nil {
		p.Email = render.NewForm("new_email", "email_password")
	}
	if p.Locale.Values == nil {
		p.Locale = render.NewForm("locale")
		p.Locale.Values["locale"] = u.Locale
	}
	return h.page(c, status, "account/settings", "account.settings_title", p)
}

// Settings shows the account page.
func (h *Handlers) Settings(c *fiber.Ctx) error {
	p := SettingsPage{Welcome: c.Query("welcome") == "1"}
	switch c.Query("done") {
	case "password", "email", "locale", "session", "confirmation":
		p.Notice = httpx.L(c).T("account.done_" + c.Query("done"))
	}
	return h.settings(c, fiber.StatusOK, p)
}

// ChangePassword changes the password and keeps this browser signed in.
func (h *Handlers) ChangePassword(c *fiber.Ctx) error {
	form := render.NewForm("current_password", "new_password")
	token, err := h.svc.ChangePassword(c.UserContext(), auth.From(c), c.FormValue("current_password"), c.FormValue("new_password"), client(c))
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.settings(c, status, SettingsPage{Password: form})
	}
	h.svc.Sessions.setCookie(c, token)
	return c.Redirect("/konto?done=password", fiber.StatusSeeOther)
}

// ChangeEmail mails a confirmation link to the new address.
func (h *Handlers) ChangeEmail(c *fiber.Ctx) error {
	form := render.NewForm("new_email", "email_password")
	httpx.FormValues(c, &form, "new_email")
	err := h.svc.RequestEmailChange(c.UserContext(), auth.From(c), c.FormValue("email_password"), c.FormValue("new_email"), client(c))
	if err != nil {
		if p, ok := problem.As(err); ok {
			if key, ok := p.Fields["current_password"]; ok {
				p.Fields = map[string]string{"email_password": key}
			}
		}
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.settings(c, status, SettingsPage{Email: form})
	}
	return c.Redirect("/konto?done=email", fiber.StatusSeeOther)
}

// SetLocale saves the language setting.
func (h *Handlers) SetLocale(c *fiber.Ctx) error {
	form := render.NewForm("locale")
	httpx.FormValues(c, &form, "locale")
	if err := h.svc.SetLocale(c.UserContext(), auth.From(c), c.FormValue("locale")); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.settings(c, status, SettingsPage{Locale: form})
	}
	lang := c.FormValue("locale")
	target := "/konto?done=locale"
	if lang != "" {
		target += "&lang=" + lang
	}
	return c.Redirect(target, fiber.StatusSeeOther)
}

// ResendConfirmation mails a new confirmation link.
func (h *Handlers) ResendConfirmation(c *fiber.Ctx) error {
	if err := h.svc.ResendConfirmation(c.UserContext(), auth.From(c), client(c)); err != nil {
		return err
	}
	return c.Redirect("/konto?done=confirmation", fiber.StatusSeeOther)
}

// RevokeSession ends one of the person's sessions (signing out that device).
func (h *Handlers) RevokeSession(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return problem.NotFound()
	}
	pr := auth.From(c)
	if err := h.svc.RevokeSession(c.UserContext(), pr, id); err != nil {
		return err
	}
	if id == pr.SessionID {
		h.svc.Sessions.clearCookie(c)
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return c.Redirect("/konto?done=session#sesje", fiber.StatusSeeOther)
}

// RequireSignIn sends signed-out visitors to the sign-in page (or answers 401 JSON).
func RequireSignIn(c *fiber.Ctx) error {
	if auth.From(c).SignedIn() {
		return c.Next()
	}
	if httpx.WantsJSON(c) || c.Method() != fiber.MethodGet {
		return problem.Unauthorized()
	}
	return c.Redirect("/logowanie?next="+urlQueryEscape(string(c.Request().URI().RequestURI())), fiber.StatusSeeOther)
}

// API

// APIRegister answers POST /api/v1/auth/register.
func (h *Handlers) APIRegister(c *fiber.Ctx) error {
	var in Registration
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	u, err := h.svc.Register(c.UserContext(), in, client(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"user": u.ForViewer(auth.Principal{UserID: u.ID})})
}

// APILogin answers POST /api/v1/auth/login with a bearer token.
func (h *Handlers) APILogin(c *fiber.Ctx) error {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		TOTPCode string `json:"totp_code"`
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	u, token, _, err := h.svc.LoginTOTP(c.UserContext(), in.Email, in.Password, in.TOTPCode, "api", client(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"token": token, "user": u.ForViewer(auth.Principal{UserID: u.ID})})
}

// APILogout answers POST /api/v1/auth/logout: the token (or cookie session) stops working.
func (h *Handlers) APILogout(c *fiber.Ctx) error {
	p := auth.From(c)
	if err := h.svc.Logout(c.UserContext(), p); err != nil {
		return err
	}
	if !p.ViaBearer {
		h.svc.Sessions.clearCookie(c)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// APIMe answers GET /api/v1/me.
func (h *Handlers) APIMe(c *fiber.Ctx) error {
	p := auth.From(c)
	u, err := h.svc.Me(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"user": u.ForViewer(p)})
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// PrivacyPage offers the person's data, consent withdrawal and account deletion.
type PrivacyPage struct {
	Form   render.Form
	Notice string
}

func (p PrivacyPage) form() render.Form { return p.Form }

// Privacy shows the privacy page.
func (h *Handlers) Privacy(c *fiber.Ctx) error {
	page := PrivacyPage{Form: render.NewForm("delete_password", "confirm_delete")}
	if c.Query("done") == "consent" {
		page.Notice = httpx.L(c).T("account.done_consent")
	}
	return h.page(c, fiber.StatusOK, "account/privacy", "account.privacy_title", page)
}

// Download sends the person's data as a JSON archive.
func (h *Handlers) Download(c *fiber.Ctx) error {
	data, err := h.svc.Export(c.UserContext(), auth.From(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="lawka-moje-dane.json"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(data)
}

// Delete erases the account.
func (h *Handlers) Delete(c *fiber.Ctx) error {
	form := render.NewForm("delete_password", "confirm_delete")
	err := h.svc.DeleteAccount(c.UserContext(), auth.From(c), c.FormValue("delete_password"), c.FormValue("confirm_delete") == "yes")
	if err != nil {
		if p, ok := problem.As(err); ok && p.Fields["current_password"] != "" {
			p.Fields = map[string]string{"delete_password": p.Fields["current_password"]}
		}
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.page(c, status, "account/privacy", "account.privacy_title", PrivacyPage{Form: form})
	}
	h.svc.Sessions.clearCookie(c)
	return c.Redirect("/?usunieto=1", fiber.StatusSeeOther)
}

// APIExport answers GET /api/v1/me/export.
func (h *Handlers) APIExport(c *fiber.Ctx) error { return h.Download(c) }

// APIDelete answers DELETE /api/v1/me {"password":"…","confirm":true}.
func (h *Handlers) APIDelete(c *fiber.Ctx) error {
	var in struct {
		Password string `json:"password"`
		Confirm  bool   `json:"confirm"`
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.svc.DeleteAccount(c.UserContext(), auth.From(c), in.Password, in.Confirm); err != nil {
		if p, ok := problem.As(err); ok && len(p.Fields) > 0 {
			renamed := map[string]string{}
			for f, key := range p.Fields { // the names this request uses
				renamed[map[string]string{"confirm_delete": "confirm", "current_password": "password"}[f]] = key
			}
			p.Fields = renamed
		}
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
