package server_test

import (
	"context"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/seed"
	"lawka/internal/server/servertest"
	"lawka/web"
)

// Accounts over real HTTP: the JSON API as outside clients use it, and browser flows
// with a cookie jar, CSRF tokens and mail read from the outbox.

const demoPW = seed.DemoPassword

var bundle = sync.OnceValue(func() *i18n.Bundle {
	b, err := i18n.Load(web.FS, "locales")
	if err != nil {
		panic(err)
	}
	return b
})

// tr is the translation of key, as the server says it in lang.
func tr(lang, key string, args ...any) string { return bundle().For(lang).T(key, args...) }

type apiUser struct {
	ID          int64    `json:"id"`
	DisplayName string   `json:"display_name"`
	Roles       []string `json:"roles"`
	Verified    bool     `json:"verified"`
	Member      bool     `json:"member"`
	Email       string   `json:"email"`
}

func apiErr(t *testing.T, r servertest.Response) httpx.ErrorDetail {
	t.Helper()
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("error answer is %q, not JSON: %s", r.Header.Get("Content-Type"), r.Body)
	}
	var b httpx.ErrorBody
	r.JSON(t, &b)
	return b.Error
}

func count(t *testing.T, s *servertest.Running, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func scalar[T any](t *testing.T, s *servertest.Running, query string, args ...any) T {
	t.Helper()
	var v T
	if err := s.Pool.QueryRow(context.Background(), query, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func register(email, password, name string) map[string]any {
	return map[string]any{"email": email, "password": password, "display_name": name, "accept_terms": true}
}

// signedIn tells whether a browser (or a raw cookie) still opens the account page.
func signedIn(t *testing.T, b *servertest.Browser) bool {
	t.Helper()
	r := b.Get("/konto")
	switch {
	case r.StatusCode == http.StatusOK:
		return true
	case r.StatusCode == http.StatusSeeOther && r.Header.Get("Location") == "/logowanie?next=%2Fkonto":
		return false
	}
	t.Fatalf("GET /konto: %d %s", r.StatusCode, r.Header.Get("Location"))
	return false
}

// withCookie is a fresh browser that presents only the given session cookie value
// (a copy of a cookie kept after its browser let it go).
func withCookie(t *testing.T, s *servertest.Running, value string) *servertest.Browser {
	b := s.Browser(t)
	b.Header.Set("Cookie", "lawka_session="+value)
	return b
}

func apiSignedIn(t *testing.T, a *servertest.API) bool {
	t.Helper()
	r := a.Do(http.MethodGet, "/api/v1/me", nil)
	switch r.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusUnauthorized:
		return false
	}
	t.Fatalf("GET /api/v1/me: %d %s", r.StatusCode, r.Body)
	return false
}

// apiLogin answers whether email and password sign in over the API now.
func apiLogin(t *testing.T, s *servertest.Running, email, password string) int {
	t.Helper()
	return s.API(t).Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": password}).StatusCode
}

// checkFieldError fails unless the page lists message in its error summary as a link
// to the field and shows it beside the field.
func checkFieldError(t *testing.T, body, field, message string) {
	t.Helper()
	m := html.EscapeString(message)
	if !strings.Contains(body, `<a href="#`+field+`">`+m+`</a>`) {
		t.Errorf("the error summary has no link to #%s saying %q", field, message)
	}
	i := strings.Index(body, `id="`+field+`-error"`)
	if i < 0 || !strings.Contains(body[i:min(len(body), i+len(m)+200)], m) {
		t.Errorf("no message %q beside the field %s", message, field)
	}
}

func TestAPIRegister(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	api := s.API(t)
	var hoods struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	api.Do(http.MethodGet, "/api/v1/neighbourhoods", nil).JSON(t, &hoods)
	if len(hoods.Items) == 0 {
		t.Fatal("no neighbourhoods")
	}
	body := register("  Nowa.Osoba@Example.ORG ", "kasztanowa-ławka-2026", "Nowa Osoba")
	body["neighbourhood_id"] = hoods.Items[3].ID
	r := api.Do(http.MethodPost, "/api/v1/auth/register", body)
	if r.StatusCode != http.StatusCreated || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("register: %d %s %s", r.StatusCode, r.Header.Get("Content-Type"), r.Body)
	}
	var raw struct{ User map[string]any }
	r.JSON(t, &raw)
	var keys []string
	for k := range raw.User {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"display_name", "email", "id", "member", "roles", "verified"}; !slices.Equal(keys, want) {
		t.Errorf("user has fields %v, want %v", keys, want)
	}
	var got struct{ User apiUser }
	r.JSON(t, &got)
	u := got.User
	if u.ID <= 0 || u.DisplayName != "Nowa Osoba" || !slices.Equal(u.Roles, []string{"resident"}) || u.Verified || u.Member ||
		u.Email != "nowa.osoba@example.org" {
		t.Errorf("user = %+v", u)
	}
	for _, c := range r.Cookies() {
		if strings.Contains(c.Name, "session") {
			t.Errorf("the API register answer set a session cookie %s", c.Name)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM users WHERE id = $1 AND email = 'nowa.osoba@example.org'
		AND email_confirmed_at IS NULL AND terms_accepted_at IS NOT NULL AND home_neighbourhood_id = $2`, u.ID, hoods.Items[3].ID); n != 1 {
		t.Error("the stored account does not match (address, unconfirmed, terms accepted, district)")
	}
	mails := s.Mail(t, "nowa.osoba@example.org")
	if len(mails) != 1 {
		t.Fatalf("%d mails to the new address, want 1 confirmation", len(mails))
	}
	s.Link(t, mails[0].Body, "/potwierdz-email")
	if code := apiLogin(t, s, "nowa.osoba@example.org", "kasztanowa-ławka-2026"); code != http.StatusOK {
		t.Errorf("the new account cannot sign in: %d", code)
	}
}

func TestAPIRegisterRefusesATakenEmail(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	api := s.API(t)
	api.Header.Set("Accept-Language", "en")
	if r := api.Do(http.MethodPost, "/api/v1/auth/register", register("ola@example.org", "pierwsze-hasło-oli", "Ola")); r.StatusCode != 201 {
		t.Fatalf("first registration: %d %s", r.StatusCode, r.Body)
	}
	users := count(t, s, `SELECT count(*) FROM users`)
	mails := count(t, s, `SELECT count(*) FROM mail_outbox`)
	for _, email := range []string{"ola@example.org", "OLA@Example.org", "  ola@example.org  ", "\tOla@EXAMPLE.ORG\n"} {
		t.Run(strconv.Quote(email), func(t *testing.T) {
			r := api.Do(http.MethodPost, "/api/v1/auth/register", register(email, "drugie-hasło-oli", "Druga Ola"))
			e := apiErr(t, r)
			if r.StatusCode != http.StatusConflict || e.Code != "email_taken" || e.Message != tr("en", "account.email_taken") {
				t.Errorf("%d %+v, want 409 email_taken", r.StatusCode, e)
			}
		})
	}
	if n := count(t, s, `SELECT count(*) FROM users`); n != users {
		t.Errorf("users %d → %d", users, n)
	}
	if n := count(t, s, `SELECT count(*) FROM mail_outbox`); n != mails {
		t.Errorf("mail %d → %d: a refused registration sent mail", mails, n)
	}
}

func TestAPIRegisterRejectsBadBodies(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	api := s.API(t)
	api.Header.Set("Accept-Language", "en")
	valid := func(change func(map[string]any)) map[string]any {
		b := register("zla@example.org", "dobre-długie-hasło", "Zła Osoba")
		change(b)
		return b
	}
	cases := []struct {
		name        string
		body        any
		contentType string
		status      int
		code        string
		field, msg  string // the only field in fields; msg its translation key ("" = any)
	}{
		{"email malformed", valid(func(b map[string]any) { b["email"] = "not-an-email" }), "", 422, "validation_failed", "email", "account.email_invalid"},
		{"email empty", valid(func(b map[string]any) { b["email"] = "" }), "", 422, "validation_failed", "email", "account.email_invalid"},
		{"password too short", valid(func(b map[string]any) { b["password"] = "krótkie" }), "", 422, "validation_failed", "password", "account.password_too_short"},
		{"password over 128 characters", valid(func(b map[string]any) { b["password"] = strings.Repeat("ą", 129) }), "", 422, "validation_failed", "password", "account.password_too_long"},
		{"password common: password1", valid(func(b map[string]any) { b["password"] = "password1" }), "", 422, "validation_failed", "password", "account.password_common"},
		{"password common: zaq12wsx", valid(func(b map[string]any) { b["password"] = "zaq12wsx" }), "", 422, "validation_failed", "password", "account.password_common"},
		{"display name empty", valid(func(b map[string]any) { b["display_name"] = "" }), "", 422, "validation_failed", "display_name", "account.display_name_length"},
		{"display name blank", valid(func(b map[string]any) { b["display_name"] = "   " }), "", 422, "validation_failed", "display_name", "account.display_name_length"},
		{"display name over 80 characters", valid(func(b map[string]any) { b["display_name"] = strings.Repeat("ś", 81) }), "", 422, "validation_failed", "display_name", "account.display_name_length"},
		{"terms not accepted", valid(func(b map[string]any) { b["accept_terms"] = false }), "", 422, "validation_failed", "accept_terms", "account.terms_required"},
		{"terms missing", valid(func(b map[string]any) { delete(b, "accept_terms") }), "", 422, "validation_failed", "accept_terms", "account.terms_required"},
		{"unknown neighbourhood", valid(func(b map[string]any) { b["neighbourhood_id"] = 987654 }), "", 422, "validation_failed", "neighbourhood_id", "account.neighbourhood_unknown"},
		{"unknown field", valid(func(b map[string]any) { b["roles"] = []string{"admin"} }), "", 422, "unknown_field", "roles", ""},
		{"wrong type", valid(func(b map[string]any) { b["accept_terms"] = "yes" }), "", 422, "validation_failed", "accept_terms", ""},
		{"malformed JSON", `{"email":"zla@example.org",`, "", 400, "malformed_json", "", ""},
		{"text content type", `{"email":"zla@example.org","password":"dobre-długie-hasło","display_name":"Zła","accept_terms":true}`, "text/plain", 415, "unsupported_media_type", "", ""},
		{"form content type", "email=zla%40example.org&password=dobre-d%C5%82ugie-has%C5%82o&display_name=Z&accept_terms=true", "application/x-www-form-urlencoded", 415, "unsupported_media_type", "", ""},
	}
	users := count(t, s, `SELECT count(*) FROM users`)
	mails := count(t, s, `SELECT count(*) FROM mail_outbox`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var header []string
			if tc.contentType != "" {
				header = []string{"Content-Type", tc.contentType}
			}
			r := api.Do(http.MethodPost, "/api/v1/auth/register", tc.body, header...)
			e := apiErr(t, r)
			if r.StatusCode != tc.status || e.Code != tc.code {
				t.Fatalf("%d %+v, want %d %s", r.StatusCode, e, tc.status, tc.code)
			}
			if e.Message == "" || strings.HasPrefix(e.Message, "error.") {
				t.Errorf("message %q is not translated", e.Message)
			}
			if tc.field == "" {
				return
			}
			if len(e.Fields) != 1 || e.Fields[tc.field] == "" {
				t.Fatalf("fields %v, want only %s", e.Fields, tc.field)
			}
			if tc.msg != "" && e.Fields[tc.field] != tr("en", tc.msg) {
				t.Errorf("fields[%s] = %q, want %q", tc.field, e.Fields[tc.field], tr("en", tc.msg))
			}
		})
	}
	if n := count(t, s, `SELECT count(*) FROM users`); n != users {
		t.Errorf("users %d → %d: a refused registration was saved", users, n)
	}
	if n := count(t, s, `SELECT count(*) FROM mail_outbox`); n != mails {
		t.Errorf("mail %d → %d: a refused registration sent mail", mails, n)
	}
}

func TestAPISignInMeAndSignOut(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	api := s.API(t)
	r := api.Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": " Resident@Example.ORG ", "password": demoPW})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", r.StatusCode, r.Body)
	}
	var login struct {
		Token string
		User  apiUser
	}
	r.JSON(t, &login)
	u := login.User
	if len(login.Token) < 32 || u.ID == 0 || u.DisplayName != "Jan Demo (mieszkaniec)" || !slices.Equal(u.Roles, []string{"resident"}) ||
		!u.Verified || u.Member || u.Email != "resident@example.org" {
		t.Fatalf("login answer = %s", r.Body)
	}
	api.Token = login.Token

	r = api.Do(http.MethodGet, "/api/v1/me", nil)
	var me struct{ User apiUser }
	r.JSON(t, &me)
	if r.StatusCode != http.StatusOK || me.User.ID != u.ID || me.User.Email != "resident@example.org" || !slices.Equal(me.User.Roles, []string{"resident"}) {
		t.Fatalf("me: %d %s", r.StatusCode, r.Body)
	}
	for name, header := range map[string][]string{
		"no credentials": nil,
		"unknown token":  {"Authorization", "Bearer " + strings.Repeat("x", 43)},
		"not bearer":     {"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("resident@example.org:"+demoPW))},
	} {
		r := s.API(t).Do(http.MethodGet, "/api/v1/me", nil, header...)
		if e := apiErr(t, r); r.StatusCode != http.StatusUnauthorized || e.Code != "unauthorized" {
			t.Errorf("me with %s: %d %+v, want 401", name, r.StatusCode, e)
		}
	}

	other := s.API(t)
	other.Login("resident@example.org", demoPW)

	// A bearer request needs no CSRF token, even when the client also carries cookies.
	r = api.Do(http.MethodPost, "/api/v1/auth/logout", nil, "Cookie", "lawka_csrf=dGhpcyBpcyBub3QgYSByZWFsIGNzcmYgc2VlZCBhdCBhbGw")
	if r.StatusCode != http.StatusNoContent || r.Body != "" {
		t.Fatalf("logout: %d %s", r.StatusCode, r.Body)
	}
	if apiSignedIn(t, api) {
		t.Fatal("the token still works right after logout")
	}
	if !apiSignedIn(t, other) {
		t.Fatal("logging out one token ended another")
	}
}

// An API client whose token has ended (signed out, expired) is told to sign in again:
// 401 unauthorized on every route, whatever the request carries.
func TestAPIEndedTokenAnswers401(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	signedOut := s.API(t)
	signedOut.Login("resident@example.org", demoPW)
	if r := signedOut.Do(http.MethodPost, "/api/v1/auth/logout", nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.StatusCode, r.Body)
	}
	expired := s.API(t)
	expired.Login("moderator@example.org", demoPW)
	if _, err := s.Pool.Exec(context.Background(), `UPDATE sessions SET expires_at = now() - interval '1 second'
		WHERE user_id = (SELECT id FROM users WHERE email = 'moderator@example.org')`); err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]*servertest.API{"signed-out token": signedOut, "expired token": expired} {
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{http.MethodGet, "/api/v1/me", nil},
			{http.MethodPost, "/api/v1/auth/logout", nil},
			{http.MethodPost, "/api/v1/auth/logout", map[string]any{}},
		} {
			r := a.Do(req.method, req.path, req.body)
			if e := apiErr(t, r); r.StatusCode != http.StatusUnauthorized || e.Code != "unauthorized" {
				t.Errorf("%s: %s %s (body %v): %d %s, want 401 unauthorized", name, req.method, req.path, req.body, r.StatusCode, e.Code)
			}
		}
	}
}

func TestAPISignInFailuresLookAlike(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	api := s.API(t)
	api.Header.Set("Accept-Language", "en")
	wrongPassword := api.Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": "resident@example.org", "password": "not-the-password"})
	unknownEmail := api.Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": "nobody@example.org", "password": "not-the-password"})
	for name, r := range map[string]servertest.Response{"wrong password": wrongPassword, "unknown email": unknownEmail} {
		e := apiErr(t, r)
		if r.StatusCode != http.StatusUnauthorized || e.Code != "invalid_credentials" || e.Message != tr("en", "account.invalid_credentials") || e.Fields != nil {
			t.Errorf("%s: %d %+v", name, r.StatusCode, e)
		}
	}
	if wrongPassword.Body != unknownEmail.Body {
		t.Errorf("the answers tell the cases apart:\n%s\n%s", wrongPassword.Body, unknownEmail.Body)
	}
	if n := count(t, s, `SELECT count(*) FROM sessions`); n != 0 {
		t.Errorf("%d sessions after failed sign-ins", n)
	}
}

func TestSignInIsThrottledPerEmail(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	api := s.API(t)
	api.Header.Set("Accept-Language", "en")
	for i, email := range []string{"resident@example.org", "Resident@example.org", " RESIDENT@EXAMPLE.ORG", "resident@example.org", "resident@Example.org"} {
		r := api.Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": "guess-" + strconv.Itoa(i)})
		if r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d %s", i+1, r.StatusCode, r.Body)
		}
	}
	// The 6th attempt is refused even with the right password.
	r := api.Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": "resident@example.org", "password": demoPW})
	e := apiErr(t, r)
	if r.StatusCode != http.StatusTooManyRequests || e.Code != "rate_limited" || e.Message != tr("en", "error.rate_limited") {
		t.Fatalf("6th attempt: %d %+v, want 429 rate_limited in English", r.StatusCode, e)
	}
	if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 60 {
		t.Errorf("Retry-After %q, want whole seconds within the minute", r.Header.Get("Retry-After"))
	}
	if strings.Contains(r.Body, "token") {
		t.Errorf("a throttled sign-in answered a token: %s", r.Body)
	}
	// The sign-in form is throttled too, and says so on the page.
	b := s.Browser(t)
	r = b.Submit("/logowanie", "/logowanie", url.Values{"email": {"resident@example.org"}, "password": {demoPW}})
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.HasPrefix(r.Title(), "Błąd:") ||
		!strings.Contains(r.Body, html.EscapeString(tr("pl", "error.rate_limited"))) {
		t.Errorf("sign-in form when throttled: %d, Retry-After %q, title %q", r.StatusCode, r.Header.Get("Retry-After"), r.Title())
	}
	if n := count(t, s, `SELECT count(*) FROM sessions`); n != 0 {
		t.Errorf("%d sessions were started while throttled", n)
	}
	// Per address: someone else signs in as usual.
	if code := apiLogin(t, s, "moderator@example.org", demoPW); code != http.StatusOK {
		t.Errorf("another address: %d, want 200", code)
	}
}

func TestRegisterInBrowserConfirmAndSignOut(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	b := s.Browser(t)
	const email = "zofia@example.org"
	r := b.Submit("/rejestracja", "/rejestracja", url.Values{"display_name": {"Zofia Wiśniewska"}, "email": {"Zofia@Example.org"},
		"password": {"kwitnące-kasztany-2026"}, "neighbourhood_id": {""}, "accept_terms": {"yes"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/konto?welcome=1" {
		t.Fatalf("register: %d → %q (%s)", r.StatusCode, r.Header.Get("Location"), r.Title())
	}
	cookie := b.Cookie("lawka_session")
	if cookie == "" {
		t.Fatal("registering did not sign in")
	}
	r = b.Get("/konto?welcome=1")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Zofia Wiśniewska") || !strings.Contains(r.Body, email) ||
		!strings.Contains(r.Body, html.EscapeString(tr("pl", "account.welcome", "Email", email))) {
		t.Fatalf("account page after registering: %d %q", r.StatusCode, r.Title())
	}
	confirmed := func() bool {
		return scalar[bool](t, s, `SELECT email_confirmed_at IS NOT NULL FROM users WHERE email = $1`, email)
	}
	if confirmed() {
		t.Fatal("the address counts as confirmed before the link was used")
	}
	mails := s.Mail(t, email)
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	link := s.Link(t, mails[0].Body, "/potwierdz-email")
	token := mustQuery(t, link, "token")

	// The link opens on another device, signed out. Opening it (as mail scanners do)
	// changes nothing: it shows a button.
	phone := s.Browser(t)
	for range 2 {
		r = phone.Get(link)
		if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `action="/potwierdz-email"`) ||
			!strings.Contains(r.Body, `name="token" value="`+token+`"`) || !strings.Contains(r.Body, tr("pl", "account.confirm_button")) {
			t.Fatalf("GET link: %d %q", r.StatusCode, r.Title())
		}
		if confirmed() {
			t.Fatal("GET on the link confirmed the address")
		}
	}
	r = phone.Post("/potwierdz-email", url.Values{"token": {token}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, html.EscapeString(tr("pl", "account.confirmed_text", "Email", email))) {
		t.Fatalf("POST confirm: %d %q", r.StatusCode, r.Title())
	}
	if !confirmed() {
		t.Fatal("POST on the confirmation did not confirm")
	}
	invalid := html.EscapeString(tr("pl", "account.token_invalid"))
	r = phone.Post("/potwierdz-email", url.Values{"token": {token}})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.Body, invalid) {
		t.Errorf("reusing the link: %d %q, want 400 saying the link is not valid", r.StatusCode, r.Title())
	}
	if r = phone.Get(link); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.Body, invalid) || strings.Contains(r.Body, `name="token" value="`+token) {
		t.Errorf("opening a used link: %d %q, want 400 without a button", r.StatusCode, r.Title())
	}

	// Signing out ends the session itself, not only the browser's cookie.
	r = b.Post("/wyloguj", nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("sign out: %d → %q", r.StatusCode, r.Header.Get("Location"))
	}
	if signedIn(t, b) {
		t.Error("the browser is still signed in")
	}
	if signedIn(t, withCookie(t, s, cookie)) {
		t.Error("a copy of the signed-out session cookie still works")
	}
}

func mustQuery(t *testing.T, link, name string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get(name) == "" {
		t.Fatalf("link %q has no %s (%v)", link, name, err)
	}
	return u.Query().Get(name)
}

func TestRegisterFormShowsErrorsBesideFields(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	b := s.Browser(t)
	cases := []struct {
		name   string
		form   url.Values
		errors map[string]string // field → translation key
		kept   map[string]string // field → value shown again
	}{
		{"bad email, terms not accepted",
			url.Values{"display_name": {"Zofia Wiśniewska"}, "email": {"zofia@@example"}, "password": {"Tajne-Hasło-Zofii-2026"}},
			map[string]string{"email": "account.email_invalid", "accept_terms": "account.terms_required"},
			map[string]string{"display_name": "Zofia Wiśniewska", "email": "zofia@@example"}},
		{"no name, short password",
			url.Values{"display_name": {" "}, "email": {"zofia@example.org"}, "password": {"sekret7"}, "accept_terms": {"yes"}},
			map[string]string{"display_name": "account.display_name_length", "password": "account.password_too_short"},
			map[string]string{"email": "zofia@example.org"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := b.Submit("/rejestracja", "/rejestracja", tc.form)
			if r.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", r.StatusCode)
			}
			if !strings.HasPrefix(r.Title(), "Błąd:") {
				t.Errorf("title %q does not start with Błąd:", r.Title())
			}
			if !strings.Contains(r.Body, `class="error-summary"`) {
				t.Error("no error summary")
			}
			for field, key := range tc.errors {
				checkFieldError(t, r.Body, field, tr("pl", key))
				if !strings.Contains(r.Body, `id="`+field+`"`) {
					t.Errorf("the summary links to #%s, which is not on the page", field)
				}
			}
			for _, field := range []string{"display_name", "email", "password", "accept_terms"} {
				if _, bad := tc.errors[field]; !bad && strings.Contains(r.Body, `id="`+field+`-error"`) {
					t.Errorf("an error is shown beside %s, which was fine", field)
				}
			}
			for field, v := range tc.kept {
				input := regexp.MustCompile(`id="` + field + `" name="` + field + `" type="[a-z]+" value="` + regexp.QuoteMeta(html.EscapeString(v)) + `"`)
				if !input.MatchString(r.Body) {
					t.Errorf("the typed %s %q is not kept", field, v)
				}
			}
			if pw := tc.form.Get("password"); strings.Contains(r.Body, pw) {
				t.Error("the password is echoed back into the page")
			}
		})
	}
	if n := count(t, s, `SELECT count(*) FROM users WHERE email LIKE 'zofia%'`); n != 0 {
		t.Errorf("%d accounts saved from bad forms", n)
	}
}

// A taken address is a problem with the email field: the page must say so there, not
// as a general problem linked to the first field.
func TestRegisterFormShowsTakenEmailAtTheEmailField(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	b := s.Browser(t)
	users := count(t, s, `SELECT count(*) FROM users`)
	r := b.Submit("/rejestracja", "/rejestracja", url.Values{"display_name": {"Drugi Jan"}, "email": {"Resident@Example.org"},
		"password": {"zupełnie-inne-hasło-jana"}, "accept_terms": {"yes"}})
	if r.StatusCode != http.StatusConflict && r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 409 or 422", r.StatusCode)
	}
	if !strings.HasPrefix(r.Title(), "Błąd:") {
		t.Errorf("title %q", r.Title())
	}
	checkFieldError(t, r.Body, "email", tr("pl", "account.email_taken"))
	if strings.Contains(r.Body, `<a href="#display_name">`) {
		t.Error("the summary sends the person to the display name field, which is fine")
	}
	if !strings.Contains(r.Body, `value="Drugi Jan"`) || !strings.Contains(r.Body, `value="Resident@Example.org"`) {
		t.Error("the typed values are lost")
	}
	if n := count(t, s, `SELECT count(*) FROM users`); n != users {
		t.Errorf("users %d → %d", users, n)
	}
}

func TestSignInForm(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	for name, email := range map[string]string{"wrong password": "resident@example.org", "unknown address": "nikt@example.org"} {
		t.Run(name, func(t *testing.T) {
			b := s.Browser(t)
			r := b.Submit("/logowanie", "/logowanie", url.Values{"email": {email}, "password": {"zgadywane-hasło-7"}})
			if r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r.Title(), "Błąd:") ||
				!strings.Contains(r.Body, html.EscapeString(tr("pl", "account.invalid_credentials"))) {
				t.Fatalf("%d %q, want 401 saying the address or password is wrong", r.StatusCode, r.Title())
			}
			if !strings.Contains(r.Body, `value="`+email+`"`) || strings.Contains(r.Body, "zgadywane-hasło-7") {
				t.Error("the address is lost or the password echoed")
			}
			if b.Cookie("lawka_session") != "" {
				t.Error("a failed sign-in set a session cookie")
			}
		})
	}
	t.Run("next", func(t *testing.T) { checkSignInNext(t, s) })
}

// checkSignInNext: after signing in the form goes back only to a page of this site.
func checkSignInNext(t *testing.T, s *servertest.Running) {
	for _, tc := range []struct{ next, want string }{
		{"/konto", "/konto"},
		{"/dzielnice/nowa-huta?lang=en", "/dzielnice/nowa-huta?lang=en"},
		{"", "/"},
		{"//evil.example/", "/"},
		{"https://evil.example/", "/"},
		{`/\evil.example`, "/"},
		{"/\t/evil.example", "/"},
	} {
		t.Run(strconv.Quote(tc.next), func(t *testing.T) {
			b := s.Browser(t)
			r := b.Submit("/logowanie?next="+url.QueryEscape(tc.next), "/logowanie",
				url.Values{"email": {"resident@example.org"}, "password": {demoPW}, "next": {tc.next}})
			if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != tc.want {
				t.Errorf("%d → %q, want %q", r.StatusCode, r.Header.Get("Location"), tc.want)
			}
		})
	}
}

func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, publicURL, cookie, csrfCookie string
		secure                              bool
	}{
		{"http", "", "lawka_session", "lawka_csrf", false},
		{"https", "https://lawka.example.org", "__Host-lawka_session", "__Host-lawka_csrf", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := servertest.Options{}
			if tc.publicURL != "" {
				opts.Env = map[string]string{"LAWKA_PUBLIC_URL": tc.publicURL}
			}
			s := servertest.Start(t, opts)
			b := s.Browser(t)
			r := b.Get("/logowanie")
			var seed string
			for _, c := range r.Cookies() {
				if c.Name == tc.csrfCookie {
					seed = c.Value
				}
			}
			if seed == "" {
				t.Fatalf("no %s cookie on the sign-in page", tc.csrfCookie)
			}
			// Sent by hand: a cookie jar keeps Secure cookies off plain http.
			b.Header.Set("Cookie", tc.csrfCookie+"="+seed)
			r = b.Post("/logowanie", url.Values{"email": {"resident@example.org"}, "password": {demoPW}})
			if r.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in: %d %q", r.StatusCode, r.Title())
			}
			var session *http.Cookie
			for _, c := range r.Cookies() {
				if c.Name == tc.cookie {
					session = c
				}
			}
			if session == nil {
				t.Fatalf("no %s cookie after signing in: %v", tc.cookie, r.Header.Values("Set-Cookie"))
			}
			if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Domain != "" || session.Secure != tc.secure {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, no Domain, Secure=%v", session, tc.secure)
			}
		})
	}
}

func TestCSRFIsRequiredOnBrowserPosts(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	const email = "resident@example.org"
	userID := scalar[int64](t, s, `SELECT id FROM users WHERE email = $1`, email)
	hash := func() string {
		return scalar[string](t, s, `SELECT password_hash FROM users WHERE id = $1`, userID)
	}
	signedInBrowser := s.Browser(t)
	signedInBrowser.SignIn(email, demoPW)
	signedInBrowser.Get("/konto")
	anon := s.Browser(t)
	anon.Get("/logowanie")
	stranger := s.Browser(t)
	stranger.Get("/logowanie") // a valid token, but for another browser's cookie

	hashBefore := hash()
	users := count(t, s, `SELECT count(*) FROM users`)
	sessions := count(t, s, `SELECT count(*) FROM sessions WHERE revoked_at IS NULL`)
	failed := html.EscapeString(tr("pl", "error.csrf_failed"))
	routes := []struct {
		path string
		b    *servertest.Browser
		form url.Values
	}{
		{"/logowanie", anon, url.Values{"email": {email}, "password": {demoPW}}},
		{"/rejestracja", anon, url.Values{"display_name": {"Ktoś"}, "email": {"ktos@example.org"}, "password": {"długie-hasło-kogoś"}, "accept_terms": {"yes"}}},
		{"/wyloguj", signedInBrowser, url.Values{}},
		{"/konto/haslo", signedInBrowser, url.Values{"current_password": {demoPW}, "new_password": {"przejęte-hasło-2026"}}},
	}
	variants := []struct {
		name   string
		token  func(b *servertest.Browser) (string, bool)
		header []string
	}{
		{"no token", func(*servertest.Browser) (string, bool) { return "", false }, nil},
		{"empty token", func(*servertest.Browser) (string, bool) { return "", true }, nil},
		{"wrong token", func(b *servertest.Browser) (string, bool) { return b.CSRF()[:len(b.CSRF())-2] + "xx", true }, nil},
		{"another browser's token", func(*servertest.Browser) (string, bool) { return stranger.CSRF(), true }, nil},
		{"right token, cross-site", func(b *servertest.Browser) (string, bool) { return b.CSRF(), true }, []string{"Sec-Fetch-Site", "cross-site"}},
	}
	for _, rt := range routes {
		for _, v := range variants {
			t.Run(rt.path+"/"+v.name, func(t *testing.T) {
				form := url.Values{}
				for k, vals := range rt.form {
					form[k] = vals
				}
				if tok, ok := v.token(rt.b); ok {
					form.Set("_csrf", tok)
				}
				r := rt.b.PostRaw(rt.path, "application/x-www-form-urlencoded", form.Encode(), v.header...)
				if r.StatusCode != http.StatusForbidden || !strings.Contains(r.Body, failed) {
					t.Errorf("status %d (%q), want 403 csrf_failed", r.StatusCode, r.Title())
				}
			})
		}
	}
	if hash() != hashBefore {
		t.Error("the password changed without a CSRF token")
	}
	if n := count(t, s, `SELECT count(*) FROM users`); n != users {
		t.Errorf("users %d → %d", users, n)
	}
	if n := count(t, s, `SELECT count(*) FROM sessions WHERE revoked_at IS NULL`); n != sessions {
		t.Errorf("active sessions %d → %d: a sign-in or sign-out happened without a CSRF token", sessions, n)
	}
	if !signedIn(t, signedInBrowser) {
		t.Fatal("signed out without a CSRF token")
	}
	r := anon.Post("/logowanie", url.Values{"email": {email}, "password": {demoPW}, "_csrf": {anon.CSRF()}})
	if code := r.StatusCode; code != http.StatusSeeOther {
		t.Fatalf("with the right token the same sign-in is refused: %d", code)
	}

	// Same rule for JSON sent with the session cookie: the token goes in X-CSRF-Token.
	js := s.Browser(t)
	js.SignIn(email, demoPW)
	for name, header := range map[string][]string{"no header": nil, "wrong header": {"X-CSRF-Token", "bm90LXRoZS10b2tlbg"},
		"other browser's token": {"X-CSRF-Token", stranger.CSRF()}} {
		r := js.PostRaw("/api/v1/auth/logout", "application/json", "{}", header...)
		if e := apiErr(t, r); r.StatusCode != http.StatusForbidden || e.Code != "csrf_failed" {
			t.Errorf("JSON with the session cookie, %s: %d %+v, want 403 csrf_failed", name, r.StatusCode, e)
		}
	}
	if !signedIn(t, js) {
		t.Fatal("a JSON logout without a CSRF token ended the session")
	}
	if r := js.PostRaw("/api/v1/auth/logout", "application/json", "{}", "X-CSRF-Token", js.CSRF()); r.StatusCode != http.StatusNoContent {
		t.Fatalf("JSON logout with the header: %d %s", r.StatusCode, r.Body)
	}
	if signedIn(t, js) {
		t.Error("still signed in after the JSON logout")
	}
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	const email = "resident@example.org"
	userID := scalar[int64](t, s, `SELECT id FROM users WHERE email = $1`, email)
	laptop := s.Browser(t)
	laptop.SignIn(email, demoPW)
	api := s.API(t)
	api.Login(email, demoPW)

	// Asking for a link answers the same whether or not the address has an account.
	anon := s.Browser(t)
	outbox := count(t, s, `SELECT count(*) FROM mail_outbox`)
	known := anon.Submit("/haslo/przypomnij", "/haslo/przypomnij", url.Values{"email": {email}})
	unknown := anon.Submit("/haslo/przypomnij", "/haslo/przypomnij", url.Values{"email": {"nikt.taki@example.org"}})
	if known.StatusCode != http.StatusOK || unknown.StatusCode != known.StatusCode || known.Title() != unknown.Title() {
		t.Fatalf("reset request: known %d %q, unknown %d %q", known.StatusCode, known.Title(), unknown.StatusCode, unknown.Title())
	}
	if a, b := strings.ReplaceAll(known.Body, email, "ADDRESS"), strings.ReplaceAll(unknown.Body, "nikt.taki@example.org", "ADDRESS"); a != b {
		t.Error("the page for an unknown address differs from the one for a known address")
	}
	if n := len(s.Mail(t, "nikt.taki@example.org")); n != 0 {
		t.Errorf("%d mails to an address without an account", n)
	}
	if n := count(t, s, `SELECT count(*) FROM mail_outbox`); n != outbox+1 {
		t.Fatalf("outbox %d → %d, want one new message", outbox, n)
	}
	mails := s.Mail(t, email)
	link := s.Link(t, mails[0].Body, "/haslo/nowe")
	token := mustQuery(t, link, "token")

	phone := s.Browser(t)
	for range 2 { // opening the link uses nothing up
		if r := phone.Get(link); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `name="token" value="`+token+`"`) ||
			!strings.Contains(r.Body, `name="password"`) {
			t.Fatalf("GET reset link: %d %q", r.StatusCode, r.Title())
		}
	}
	const newPW = "nowe-hasło-po-resecie"
	r := phone.Post("/haslo/nowe", url.Values{"token": {token}, "password": {newPW}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/logowanie?reset=1" {
		t.Fatalf("POST new password: %d → %q (%s)", r.StatusCode, r.Header.Get("Location"), r.Title())
	}
	if signedIn(t, laptop) {
		t.Error("the browser session survived the password reset")
	}
	if apiSignedIn(t, api) {
		t.Error("the API token survived the password reset")
	}
	if code := apiLogin(t, s, email, demoPW); code != http.StatusUnauthorized {
		t.Errorf("the old password: %d, want 401", code)
	}
	if code := apiLogin(t, s, email, newPW); code != http.StatusOK {
		t.Errorf("the new password: %d, want 200", code)
	}
	if m := s.Mail(t, email); len(m) < 2 || m[0].Subject != tr("pl", "mail.password_changed.subject") {
		t.Error("no notice of the changed password")
	}

	invalid := html.EscapeString(tr("pl", "account.token_invalid"))
	if r := phone.Get(link); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.Body, invalid) {
		t.Errorf("opening a used link: %d %q", r.StatusCode, r.Title())
	}
	if r := phone.Post("/haslo/nowe", url.Values{"token": {token}, "password": {"drugie-użycie-linku"}}); r.StatusCode != http.StatusBadRequest ||
		!strings.Contains(r.Body, invalid) {
		t.Errorf("reusing the link: %d %q", r.StatusCode, r.Title())
	}
	if code := apiLogin(t, s, email, "drugie-użycie-linku"); code != http.StatusUnauthorized {
		t.Errorf("a used link set a password: %d", code)
	}

	// An expired link does nothing.
	anon.Submit("/haslo/przypomnij", "/haslo/przypomnij", url.Values{"email": {email}})
	expired := s.Link(t, s.Mail(t, email)[0].Body, "/haslo/nowe")
	if expired == link {
		t.Fatal("the second request mailed the same link")
	}
	if _, err := s.Pool.Exec(context.Background(), `UPDATE email_tokens SET expires_at = now() - interval '1 second'
		WHERE user_id = $1 AND purpose = 'reset_password' AND used_at IS NULL`, userID); err != nil {
		t.Fatal(err)
	}
	if r := phone.Get(expired); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.Body, invalid) {
		t.Errorf("opening an expired link: %d %q", r.StatusCode, r.Title())
	}
	if r := phone.Post("/haslo/nowe", url.Values{"token": {mustQuery(t, expired, "token")}, "password": {"hasło-z-wygasłego-linku"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("using an expired link: %d %q", r.StatusCode, r.Title())
	}
	if code := apiLogin(t, s, email, "hasło-z-wygasłego-linku"); code != http.StatusUnauthorized {
		t.Errorf("an expired link set a password: %d", code)
	}
	if code := apiLogin(t, s, email, newPW); code != http.StatusOK {
		t.Errorf("the password from the reset stopped working: %d", code)
	}
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	const email = "resident@example.org"
	hash := func() string { return scalar[string](t, s, `SELECT password_hash FROM users WHERE email = $1`, email) }
	here := s.Browser(t)
	here.SignIn(email, demoPW)
	there := s.Browser(t)
	there.SignIn(email, demoPW)
	api := s.API(t)
	api.Login(email, demoPW)
	here.Get("/konto")
	before := hash()

	for _, tc := range []struct {
		name, current, next, field, key string
	}{
		{"wrong current password", "to-nie-jest-hasło", "nowe-hasło-mieszkańca", "current_password", "account.current_password_wrong"},
		{"common new password", demoPW, "password1", "new_password", "account.password_common"},
		{"short new password", demoPW, "krótkie", "new_password", "account.password_too_short"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := here.Post("/konto/haslo", url.Values{"current_password": {tc.current}, "new_password": {tc.next}})
			if r.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Title(), "Błąd:") {
				t.Fatalf("%d %q, want 422 with an error title", r.StatusCode, r.Title())
			}
			checkFieldError(t, r.Body, tc.field, tr("pl", tc.key))
			if strings.Contains(r.Body, tc.current) || strings.Contains(r.Body, tc.next) {
				t.Error("a password is echoed back into the page")
			}
			if hash() != before {
				t.Fatal("the password changed")
			}
			if !signedIn(t, there) || !apiSignedIn(t, api) {
				t.Fatal("a refused change ended other sessions")
			}
		})
	}

	old := here.Cookie("lawka_session")
	const newPW = "nowe-hasło-mieszkańca"
	r := here.Post("/konto/haslo", url.Values{"current_password": {demoPW}, "new_password": {newPW}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/konto?done=password" {
		t.Fatalf("change: %d → %q (%s)", r.StatusCode, r.Header.Get("Location"), r.Title())
	}
	if now := here.Cookie("lawka_session"); now == "" || now == old {
		t.Error("this browser did not get a new session cookie")
	}
	if !signedIn(t, here) {
		t.Error("the browser that changed the password was signed out")
	}
	if signedIn(t, there) {
		t.Error("another browser stayed signed in")
	}
	if apiSignedIn(t, api) {
		t.Error("an API token stayed valid")
	}
	if signedIn(t, withCookie(t, s, old)) {
		t.Error("the session cookie from before the change still works")
	}
	if code := apiLogin(t, s, email, demoPW); code != http.StatusUnauthorized {
		t.Errorf("old password: %d", code)
	}
	if code := apiLogin(t, s, email, newPW); code != http.StatusOK {
		t.Errorf("new password: %d", code)
	}
}

func TestChangeEmail(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	const oldEmail, newEmail = "resident@example.org", "nowy.adres@example.org"
	userID := scalar[int64](t, s, `SELECT id FROM users WHERE email = $1`, oldEmail)
	current := func() string { return scalar[string](t, s, `SELECT email FROM users WHERE id = $1`, userID) }
	b := s.Browser(t)
	b.SignIn(oldEmail, demoPW)
	b.Get("/konto")

	for _, tc := range []struct {
		name, to, password, field, key string
	}{
		{"wrong password", newEmail, "to-nie-jest-hasło", "email_password", "account.current_password_wrong"},
		{"taken address", "Moderator@Example.org", demoPW, "new_email", "account.email_taken"},
		{"not an address", "nowy.adres@", demoPW, "new_email", "account.email_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outbox := count(t, s, `SELECT count(*) FROM mail_outbox`)
			r := b.Post("/konto/email", url.Values{"new_email": {tc.to}, "email_password": {tc.password}})
			if (r.StatusCode != http.StatusUnprocessableEntity && r.StatusCode != http.StatusConflict) || !strings.HasPrefix(r.Title(), "Błąd:") {
				t.Fatalf("%d %q, want a form error", r.StatusCode, r.Title())
			}
			checkFieldError(t, r.Body, tc.field, tr("pl", tc.key))
			if !strings.Contains(r.Body, `value="`+tc.to+`"`) {
				t.Error("the typed address is lost")
			}
			if n := count(t, s, `SELECT count(*) FROM mail_outbox`); n != outbox {
				t.Errorf("a refused change sent %d mails", n-outbox)
			}
			if current() != oldEmail {
				t.Fatal("the address changed")
			}
		})
	}

	r := b.Post("/konto/email", url.Values{"new_email": {" Nowy.Adres@Example.ORG "}, "email_password": {demoPW}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/konto?done=email" {
		t.Fatalf("change email: %d → %q (%s)", r.StatusCode, r.Header.Get("Location"), r.Title())
	}
	if current() != oldEmail {
		t.Fatal("the address changed before the link was used")
	}
	if code := apiLogin(t, s, newEmail, demoPW); code != http.StatusUnauthorized {
		t.Errorf("signing in with the unconfirmed new address: %d", code)
	}
	mails := s.Mail(t, newEmail)
	if len(mails) != 1 {
		t.Fatalf("%d mails to the new address, want 1", len(mails))
	}
	link := s.Link(t, mails[0].Body, "/potwierdz-email")
	toOld := len(s.Mail(t, oldEmail))

	phone := s.Browser(t)
	if r := phone.Get(link); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `action="/potwierdz-email"`) || current() != oldEmail {
		t.Fatalf("GET link: %d %q, address %s", r.StatusCode, r.Title(), current())
	}
	r = phone.Post("/potwierdz-email", url.Values{"token": {mustQuery(t, link, "token")}})
	if r.StatusCode != http.StatusOK || current() != newEmail {
		t.Fatalf("POST link: %d %q, address %s", r.StatusCode, r.Title(), current())
	}
	if !scalar[bool](t, s, `SELECT email_confirmed_at IS NOT NULL FROM users WHERE id = $1`, userID) {
		t.Error("the new address is not marked confirmed")
	}
	notices := s.Mail(t, oldEmail)
	if len(notices) != toOld+1 || notices[0].Subject != tr("pl", "mail.email_changed.subject") || !strings.Contains(notices[0].Body, newEmail) {
		t.Errorf("the old address got no notice naming the new one (%d → %d mails)", toOld, len(notices))
	}
	if code := apiLogin(t, s, newEmail, demoPW); code != http.StatusOK {
		t.Errorf("new address: %d", code)
	}
	if code := apiLogin(t, s, oldEmail, demoPW); code != http.StatusUnauthorized {
		t.Errorf("old address: %d", code)
	}
	if r := b.Get("/konto"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, newEmail) {
		t.Errorf("the account page does not show the new address: %d", r.StatusCode)
	}
	if r := phone.Post("/potwierdz-email", url.Values{"token": {mustQuery(t, link, "token")}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("reusing the change link: %d", r.StatusCode)
	}
}

var sessionEndAction = regexp.MustCompile(`action="/konto/sesje/(\d+)/zakoncz"`)

func TestSessionsPage(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	const email = "resident@example.org"
	userID := scalar[int64](t, s, `SELECT id FROM users WHERE email = $1`, email)
	laptop := s.Browser(t)
	laptop.Header.Set("User-Agent", "Laptop-Firefox/140")
	laptop.SignIn(email, demoPW)
	phone := s.Browser(t)
	phone.Header.Set("User-Agent", "Phone-Safari/26")
	phone.SignIn(email, demoPW)
	api := s.API(t)
	api.Login(email, demoPW)
	sessionID := func(ua string) int64 {
		return scalar[int64](t, s, `SELECT id FROM sessions WHERE user_id = $1 AND user_agent = $2`, userID, ua)
	}
	laptopID, phoneID, apiID := sessionID("Laptop-Firefox/140"), sessionID("Phone-Safari/26"), sessionID("servertest-api")

	r := laptop.Get("/konto")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Laptop-Firefox/140") || !strings.Contains(r.Body, "Phone-Safari/26") {
		t.Fatalf("sessions page: %d, lacks the devices", r.StatusCode)
	}
	var listed []int64
	for _, m := range sessionEndAction.FindAllStringSubmatch(r.Body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		listed = append(listed, id)
	}
	slices.Sort(listed)
	want := []int64{laptopID, phoneID, apiID}
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Fatalf("listed sessions %v, want %v", listed, want)
	}

	// Someone else cannot end them.
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", demoPW)
	mod.Get("/konto")
	for _, id := range want {
		mod.Post("/konto/sesje/"+strconv.FormatInt(id, 10)+"/zakoncz", nil)
	}
	if n := count(t, s, `SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NOT NULL`, userID); n != 0 {
		t.Fatalf("another person ended %d of the resident's sessions", n)
	}
	if !signedIn(t, laptop) || !signedIn(t, phone) || !apiSignedIn(t, api) {
		t.Fatal("another person's request signed the resident out")
	}

	laptop.Get("/konto")
	r = laptop.Post("/konto/sesje/"+strconv.FormatInt(phoneID, 10)+"/zakoncz", nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/konto?done=session#sesje" {
		t.Fatalf("ending the phone's session: %d → %q", r.StatusCode, r.Header.Get("Location"))
	}
	if signedIn(t, phone) {
		t.Error("the ended session still works")
	}
	if !signedIn(t, laptop) || !apiSignedIn(t, api) {
		t.Error("ending one session ended others")
	}
	if r := laptop.Get("/konto"); strings.Contains(r.Body, "Phone-Safari/26") {
		t.Error("the ended session is still listed")
	}

	// Ending the current session signs this browser out.
	r = laptop.Post("/konto/sesje/"+strconv.FormatInt(laptopID, 10)+"/zakoncz", nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Errorf("ending the current session: %d → %q", r.StatusCode, r.Header.Get("Location"))
	}
	if signedIn(t, laptop) {
		t.Error("still signed in after ending the current session")
	}
	if !apiSignedIn(t, api) {
		t.Error("the API token ended too")
	}
}

var argon2idPHC = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{22,}\$[A-Za-z0-9+/]{43,}$`)

func TestSecretsAreStoredOnlyHashed(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	api := s.API(t)
	const pw = "to-samo-hasło-dwóch-osób"
	for _, email := range []string{"ala@example.org", "ola@example.org"} {
		if r := api.Do(http.MethodPost, "/api/v1/auth/register", register(email, pw, "Osoba")); r.StatusCode != http.StatusCreated {
			t.Fatalf("register %s: %d %s", email, r.StatusCode, r.Body)
		}
	}
	rows, err := s.Pool.Query(context.Background(), `SELECT password_hash FROM users WHERE email IN ('ala@example.org', 'ola@example.org')`)
	if err != nil {
		t.Fatal(err)
	}
	var hashes []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(hashes) != 2 || hashes[0] == hashes[1] {
		t.Fatalf("hashes %v: two people with one password must get different salts", hashes)
	}
	for _, h := range hashes {
		m := argon2idPHC.FindStringSubmatch(h)
		if m == nil {
			t.Fatalf("users.password_hash %q is not an argon2id PHC string", h)
		}
		mem, _ := strconv.Atoi(m[1])
		iter, _ := strconv.Atoi(m[2])
		par, _ := strconv.Atoi(m[3])
		if mem < 19456 || iter < 2 || par != 1 {
			t.Errorf("argon2id m=%d t=%d p=%d, want m>=19456 t>=2 p=1", mem, iter, par)
		}
	}

	b := s.Browser(t)
	b.SignIn("ala@example.org", pw)
	api.Login("ola@example.org", pw)
	for name, token := range map[string]string{"cookie": b.Cookie("lawka_session"), "bearer": api.Token} {
		if token == "" {
			t.Fatalf("no %s token", name)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(token)
		n := count(t, s, `SELECT count(*) FROM sessions WHERE length(token_hash) = 32 AND token_hash <> $1 AND token_hash <> $2`, []byte(token), raw)
		total := count(t, s, `SELECT count(*) FROM sessions`)
		if n != total {
			t.Errorf("%s: %d of %d sessions store a 32-byte hash that differs from the token", name, n, total)
		}
		if n := count(t, s, `SELECT count(*) FROM sessions WHERE position($1 in user_agent || ' ' || ip) > 0`, token); n != 0 {
			t.Errorf("%s: the raw token is stored", name)
		}
	}
}

func TestDevMailIsForAdmins(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	if r := s.API(t).Do(http.MethodPost, "/api/v1/auth/register", register("poczta@example.org", "hasło-do-poczty-1", "Poczta")); r.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d", r.StatusCode)
	}
	subject := html.EscapeString(tr("pl", "mail.confirm.subject"))
	for _, tc := range []struct {
		who    string
		status int
	}{
		{"admin@example.org", http.StatusOK},
		{"moderator@example.org", http.StatusForbidden},
		{"resident@example.org", http.StatusForbidden},
		{"", http.StatusSeeOther},
	} {
		t.Run("as "+tc.who, func(t *testing.T) {
			b := s.Browser(t)
			if tc.who != "" {
				b.SignIn(tc.who, demoPW)
			}
			r := b.Get("/dev/mail")
			if r.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", r.StatusCode, tc.status)
			}
			shows := strings.Contains(r.Body, "poczta@example.org") && strings.Contains(r.Body, subject)
			if shows != (tc.status == http.StatusOK) {
				t.Errorf("the page shows the mail: %v", shows)
			}
			if tc.who == "" && r.Header.Get("Location") != "/logowanie?next=%2Fdev%2Fmail" {
				t.Errorf("signed out: → %q", r.Header.Get("Location"))
			}
		})
	}

	t.Run("not in production", func(t *testing.T) {
		prod := servertest.Start(t, servertest.Options{Env: map[string]string{"LAWKA_ENV": "prod",
			"LAWKA_REQUIRE_2FA_FOR_STAFF": "false"}}) // the admin fully signed in, not sent to enrol
		b := prod.Browser(t)
		b.SignIn("admin@example.org", demoPW)
		if r := b.Get("/dev/mail"); r.StatusCode != http.StatusNotFound {
			t.Errorf("production /dev/mail: %d, want 404", r.StatusCode)
		}
	})
}
