package server_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"lawka/internal/server/servertest"
)

// Two-step sign-in over real HTTP: enrolment, the second step in the browser and the
// API, replayed codes, recovery codes, turning it off, and the staff requirement.
//
// A code is accepted for the current 30-second step or either neighbour, once: each
// use remembers its step. So a test enrols with the code of the current step and signs
// in with the next step's, with no waiting.

var (
	secretRE   = regexp.MustCompile(`<code class="secret">([A-Z2-7]+=*)</code>`)
	qrRE       = regexp.MustCompile(`<img class="qr" src="([^"]*)"`)
	pngDataRE  = regexp.MustCompile(`^data:image/png;base64,[A-Za-z0-9+/]{100,}=*$`)
	recoveryRE = regexp.MustCompile(`<li><code>([A-Z2-9]{4}-[A-Z2-9]{4})</code></li>`)
)

// totpCode is the authenticator app's code for secret, step steps from now.
func totpCode(t *testing.T, secret string, step int) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, time.Now().Add(time.Duration(step)*30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode is six digits that no step near now accepts.
func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	near := []string{totpCode(t, secret, -2), totpCode(t, secret, -1), totpCode(t, secret, 0), totpCode(t, secret, 1), totpCode(t, secret, 2)}
	for _, c := range []string{"000000", "111111", "222222", "333333", "444444", "555555"} {
		if !slices.Contains(near, c) {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// enrolTOTP turns two-step sign-in on for the browser's account through the settings pages
// (with the current step's code) and returns the secret and the recovery codes.
func enrolTOTP(t *testing.T, b *servertest.Browser) (secret string, recovery []string) {
	t.Helper()
	r := b.Submit("/konto/2fa", "/konto/2fa/start", nil)
	m := secretRE.FindStringSubmatch(r.Body)
	if r.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("start: %d %q, no secret shown", r.StatusCode, r.Title())
	}
	r = b.Post("/konto/2fa/potwierdz", url.Values{"code": {totpCode(t, m[1], 0)}})
	for _, c := range recoveryRE.FindAllStringSubmatch(r.Body, -1) {
		recovery = append(recovery, c[1])
	}
	if r.StatusCode != http.StatusOK || len(recovery) != 10 {
		t.Fatalf("confirm: %d %q with %d recovery codes", r.StatusCode, r.Title(), len(recovery))
	}
	return m[1], recovery
}

// signInTo posts the password and answers the redirect to the second step.
func signInTo(t *testing.T, b *servertest.Browser, email string) {
	t.Helper()
	r := b.Submit("/logowanie?next=%2Fkonto", "/logowanie", url.Values{"email": {email}, "password": {demoPW}, "next": {"/konto"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/logowanie/kod?next=%2Fkonto" {
		t.Fatalf("password step: %d → %q (%s)", r.StatusCode, r.Header.Get("Location"), r.Title())
	}
	if loginChallenge(b) == "" || b.Cookie("lawka_session") != "" {
		t.Fatalf("after the password: challenge %q, session %q; want a challenge and no session", loginChallenge(b), b.Cookie("lawka_session"))
	}
	if r := b.Get("/logowanie/kod?next=%2Fkonto"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `action="/logowanie/kod"`) ||
		!strings.Contains(r.Body, `name="next" value="/konto"`) {
		t.Fatalf("the code form: %d %q", r.StatusCode, r.Title())
	}
}

// loginChallenge is the browser's sign-in challenge cookie (kept for /logowanie only).
func loginChallenge(b *servertest.Browser) string {
	u, _ := url.Parse(b.URL + "/logowanie/kod")
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == "lawka_login_challenge" {
			return c.Value
		}
	}
	return ""
}

func enterCode(b *servertest.Browser, c string) servertest.Response {
	return b.Post("/logowanie/kod", url.Values{"code": {c}, "next": {"/konto"}})
}

func TestTwoStepSignInInTheBrowser(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	const email = "resident@example.org"
	id := userID(t, s, email)
	b := s.Browser(t)
	b.SignIn(email, demoPW)

	// Enrolment: start shows a QR code and the secret; a wrong code keeps it off.
	r := b.Submit("/konto/2fa", "/konto/2fa/start", nil)
	m := secretRE.FindStringSubmatch(r.Body)
	if r.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("start: %d, secret shown %v", r.StatusCode, m != nil)
	}
	if qr := qrRE.FindStringSubmatch(r.Body); qr == nil || !pngDataRE.MatchString(html.UnescapeString(qr[1])) {
		t.Errorf("the QR code is not shown: %.60q, want an <img> with a data:image/png URL", qr)
	}
	secret := m[1]
	if pending := scalar[string](t, s, `SELECT coalesce(totp_pending_secret, '') FROM users WHERE id = $1`, id); pending != secret {
		t.Fatalf("the page shows %q, the pending secret is %q", secret, pending)
	}
	r = b.Post("/konto/2fa/potwierdz", url.Values{"code": {wrongCode(t, secret)}})
	if r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r.Title(), "Błąd:") {
		t.Fatalf("a wrong code: %d %q, want 401 with the form again", r.StatusCode, r.Title())
	}
	checkFieldError(t, r.Body, "code", tr("pl", "account.totp_invalid"))
	if m := secretRE.FindStringSubmatch(r.Body); m == nil || m[1] != secret {
		t.Error("after a wrong code the page does not show the same secret again")
	}
	if on := scalar[bool](t, s, `SELECT totp_enabled_at IS NOT NULL FROM users WHERE id = $1`, id); on {
		t.Fatal("a wrong code turned two-step sign-in on")
	}
	r = b.Post("/konto/2fa/potwierdz", url.Values{"code": {totpCode(t, secret, 0)}})
	recovery := recoveryRE.FindAllStringSubmatch(r.Body, -1)
	if r.StatusCode != http.StatusOK || len(recovery) != 10 || !strings.Contains(r.Body, tr("pl", "account.totp_done_on")) ||
		!strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("the right code: %d, %d recovery codes, Cache-Control %q", r.StatusCode, len(recovery), r.Header.Get("Cache-Control"))
	}
	if n := count(t, s, `SELECT count(*) FROM users WHERE id = $1 AND totp_secret = $2 AND totp_pending_secret IS NULL
		AND totp_enabled_at IS NOT NULL`, id, secret); n != 1 {
		t.Fatal("two-step sign-in is not stored as on with the confirmed secret")
	}
	if n := count(t, s, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, id); n != 10 {
		t.Errorf("%d recovery codes stored, want 10", n)
	}
	if n := count(t, s, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND position($2 in encode(code_hash, 'escape')) > 0`,
		id, strings.ReplaceAll(recovery[0][1], "-", "")); n != 0 {
		t.Error("a recovery code is stored as typed")
	}
	if r := b.Get("/konto/2fa"); !strings.Contains(r.Body, tr("pl", "account.recovery_left", "Count", 10)) || recoveryRE.MatchString(r.Body) {
		t.Error("the settings page should count 10 recovery codes left and not show them again")
	}
	if r := b.Post("/wyloguj", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", r.StatusCode)
	}

	t.Run("five wrong codes end the challenge", func(t *testing.T) {
		x := s.Browser(t)
		signInTo(t, x, email)
		for i := range 5 {
			if r := enterCode(x, wrongCode(t, secret)); r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("wrong code %d: %d", i+1, r.StatusCode)
			}
		}
		// The sixth try goes back to the password, without using up a code.
		r := enterCode(x, totpCode(t, secret, 1))
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/logowanie?") || x.Cookie("lawka_session") != "" {
			t.Fatalf("sixth try: %d → %q", r.StatusCode, r.Header.Get("Location"))
		}
	})

	next := totpCode(t, secret, 1)
	t.Run("a wrong code, then the right one", func(t *testing.T) {
		signInTo(t, b, email)
		r := enterCode(b, wrongCode(t, secret))
		if r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r.Title(), "Błąd:") || b.Cookie("lawka_session") != "" {
			t.Fatalf("a wrong code: %d %q", r.StatusCode, r.Title())
		}
		checkFieldError(t, r.Body, "code", tr("pl", "account.totp_invalid"))
		r = enterCode(b, next)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/konto" {
			t.Fatalf("the right code: %d → %q (%s)", r.StatusCode, r.Header.Get("Location"), r.Title())
		}
		if loginChallenge(b) != "" || !signedIn(t, b) {
			t.Error("not signed in, or the challenge cookie is left behind")
		}
	})

	t.Run("the same code does not sign in twice", func(t *testing.T) {
		other := s.Browser(t)
		signInTo(t, other, email)
		r := enterCode(other, next)
		if r.StatusCode != http.StatusUnauthorized || other.Cookie("lawka_session") != "" {
			t.Fatalf("a replayed code: %d, session %q; want 401 and no session", r.StatusCode, other.Cookie("lawka_session"))
		}
		checkFieldError(t, r.Body, "code", tr("pl", "account.totp_invalid"))

		// A recovery code works instead, typed loosely, and only once.
		rc := recovery[3][1]
		if r := enterCode(other, " "+strings.ToLower(rc)+" "); r.StatusCode != http.StatusSeeOther || !signedIn(t, other) {
			t.Fatalf("a recovery code: %d (%s)", r.StatusCode, r.Title())
		}
		third := s.Browser(t)
		signInTo(t, third, email)
		if r := enterCode(third, rc); r.StatusCode != http.StatusUnauthorized || third.Cookie("lawka_session") != "" {
			t.Errorf("a used recovery code: %d, want 401", r.StatusCode)
		}
		if n := count(t, s, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, id); n != 9 {
			t.Errorf("%d recovery codes left, want 9", n)
		}
	})

	t.Run("turning it off needs the password and a code", func(t *testing.T) {
		for _, tc := range []struct {
			name, password, code, field, key string
		}{
			{"wrong password", "nie-to-hasło", recovery[5][1], "totp_password", "account.current_password_wrong"},
			{"no code", demoPW, "", "code", "account.totp_invalid"},
			{"wrong code", demoPW, wrongCode(t, secret), "code", "account.totp_invalid"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := b.Submit("/konto/2fa", "/konto/2fa/wylacz", url.Values{"totp_password": {tc.password}, "code": {tc.code}})
				if r.StatusCode < 400 || !strings.HasPrefix(r.Title(), "Błąd:") {
					t.Fatalf("status %d %q, want an error with the form again", r.StatusCode, r.Title())
				}
				checkFieldError(t, r.Body, tc.field, tr("pl", tc.key))
				if on := scalar[bool](t, s, `SELECT totp_secret IS NOT NULL AND totp_enabled_at IS NOT NULL FROM users WHERE id = $1`, id); !on {
					t.Fatal("turned off")
				}
			})
		}
		if n := count(t, s, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, id); n != 9 {
			t.Errorf("a refused attempt used up a recovery code: %d left", n)
		}
		r := b.Submit("/konto/2fa", "/konto/2fa/wylacz", url.Values{"totp_password": {demoPW}, "code": {recovery[5][1]}})
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/konto/2fa?done=off" {
			t.Fatalf("turn off: %d → %q (%s)", r.StatusCode, r.Header.Get("Location"), r.Title())
		}
		if n := count(t, s, `SELECT count(*) FROM users WHERE id = $1 AND totp_secret IS NULL AND totp_enabled_at IS NULL`, id); n != 1 {
			t.Error("the secret is kept after turning off")
		}
		if n := count(t, s, `SELECT count(*) FROM recovery_codes WHERE user_id = $1`, id); n != 0 {
			t.Errorf("%d recovery codes kept after turning off", n)
		}
		if got := count(t, s, `SELECT count(*) FROM audit_log WHERE target_id = $1 AND action IN ('user.totp_enable', 'user.totp_disable')`, id); got != 2 {
			t.Errorf("%d enable/disable audit entries, want 2", got)
		}
		// The password alone signs in again.
		x := s.Browser(t)
		x.SignIn(email, demoPW)
		if !signedIn(t, x) {
			t.Error("the password alone does not sign in after turning off")
		}
	})
}

// An address may hold characters that mean something in a URL; the enrolment must still
// show the pending secret after a wrong code.
func TestTOTPEnrolmentWithAnUnusualAddress(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	for _, email := range []string{"jan+lawka@example.org", "jan#2@example.org", "jan?x@example.org", "jan&a=b@example.org"} {
		t.Run(email, func(t *testing.T) {
			newPerson(t, s, personSpec{Email: email, Name: "Jan"})
			b := s.Browser(t)
			b.SignIn(email, demoPW)
			r := b.Submit("/konto/2fa", "/konto/2fa/start", nil)
			m := secretRE.FindStringSubmatch(r.Body)
			if r.StatusCode != http.StatusOK || m == nil {
				t.Fatalf("start: %d, no secret", r.StatusCode)
			}
			r = b.Post("/konto/2fa/potwierdz", url.Values{"code": {wrongCode(t, m[1])}})
			if r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("a wrong code: %d %q, want 401", r.StatusCode, r.Title())
			}
			if again := secretRE.FindStringSubmatch(r.Body); again == nil || again[1] != m[1] {
				t.Fatalf("after a wrong code the page shows secret %v, want %s again", again, m[1])
			}
			if r := b.Post("/konto/2fa/potwierdz", url.Values{"code": {totpCode(t, m[1], 0)}}); r.StatusCode != http.StatusOK ||
				len(recoveryRE.FindAllString(r.Body, -1)) != 10 {
				t.Fatalf("the right code: %d %q", r.StatusCode, r.Title())
			}
		})
	}
}

func TestTwoStepSignInOverTheAPI(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	const email = "advocate@example.org"
	b := s.Browser(t)
	b.SignIn(email, demoPW)
	secret, recovery := enrolTOTP(t, b)
	sessions := func() int {
		return count(t, s, `SELECT count(*) FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = $1) AND kind = 'api'`, email)
	}
	login := func(body map[string]string) servertest.Response {
		a := s.API(t)
		a.Header.Set("Accept-Language", "en")
		return a.Do(http.MethodPost, "/api/v1/auth/login", body)
	}
	before := sessions()

	r := login(map[string]string{"email": email, "password": demoPW})
	if e := apiErr(t, r); r.StatusCode != http.StatusUnauthorized || e.Code != "totp_required" || e.Message != tr("en", "account.totp_required") {
		t.Errorf("without totp_code: %d %+v, want 401 totp_required", r.StatusCode, e)
	}
	r = login(map[string]string{"email": email, "password": demoPW, "totp_code": wrongCode(t, secret)})
	if e := apiErr(t, r); r.StatusCode != http.StatusUnauthorized || e.Code != "totp_invalid" {
		t.Errorf("a wrong code: %d %+v, want 401 totp_invalid", r.StatusCode, e)
	}
	r = login(map[string]string{"email": email, "password": "nie-to-hasło", "totp_code": totpCode(t, secret, 1)})
	if e := apiErr(t, r); r.StatusCode != http.StatusUnauthorized || e.Code != "invalid_credentials" {
		t.Errorf("a wrong password with a right code: %d %+v, want 401 invalid_credentials", r.StatusCode, e)
	}
	if n := sessions(); n != before {
		t.Fatalf("refused sign-ins started %d sessions", n-before)
	}

	next := totpCode(t, secret, 1)
	r = login(map[string]string{"email": email, "password": demoPW, "totp_code": next})
	var ok struct {
		Token string
		User  apiUser
	}
	r.JSON(t, &ok)
	if r.StatusCode != http.StatusOK || len(ok.Token) < 32 || ok.User.Email != email {
		t.Fatalf("with the code: %d %s", r.StatusCode, r.Body)
	}
	a := s.API(t)
	a.Token = ok.Token
	if !apiSignedIn(t, a) {
		t.Error("the token does not work")
	}
	r = login(map[string]string{"email": email, "password": demoPW, "totp_code": next})
	if e := apiErr(t, r); r.StatusCode != http.StatusUnauthorized || e.Code != "totp_invalid" {
		t.Errorf("the same code again: %d %+v, want 401 totp_invalid", r.StatusCode, e)
	}
	r = login(map[string]string{"email": email, "password": demoPW, "totp_code": recovery[0]})
	if r.StatusCode != http.StatusOK {
		t.Errorf("a recovery code as totp_code: %d %s", r.StatusCode, r.Body)
	}
	if r := login(map[string]string{"email": email, "password": demoPW, "totp_code": recovery[0]}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("a used recovery code: %d, want 401", r.StatusCode)
	}
	if n := sessions(); n != before+2 {
		t.Errorf("%d API sessions started, want 2", n-before)
	}
}

func TestStaffTwoStepRequirement(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		setting  string
		required bool
	}{
		{"true", true},
		{"false", false},
		{"", false}, // the development default
	} {
		t.Run("LAWKA_REQUIRE_2FA_FOR_STAFF="+tc.setting, func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, servertest.Options{Env: map[string]string{"LAWKA_REQUIRE_2FA_FOR_STAFF": tc.setting}})
			mod := s.Browser(t)
			mod.SignIn("moderator@example.org", demoPW)
			modAPI := s.API(t)
			modAPI.Login("moderator@example.org", demoPW)
			resident := s.Browser(t)
			resident.SignIn("resident@example.org", demoPW)

			r := mod.Get("/admin")
			if tc.required {
				if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/konto/2fa?wymagane=1" {
					t.Fatalf("GET /admin: %d → %q, want the two-step set-up", r.StatusCode, r.Header.Get("Location"))
				}
			} else if r.StatusCode != http.StatusOK {
				t.Fatalf("GET /admin: %d, want 200", r.StatusCode)
			}
			r = modAPI.Do(http.MethodGet, "/api/v1/admin/users", nil)
			if tc.required {
				if e := apiErr(t, r); r.StatusCode != http.StatusForbidden || e.Code != "totp_enrolment_required" {
					t.Fatalf("GET /api/v1/admin/users: %d %+v, want 403 totp_enrolment_required", r.StatusCode, e)
				}
			} else if r.StatusCode != http.StatusOK {
				t.Fatalf("GET /api/v1/admin/users: %d, want 200", r.StatusCode)
			}
			// Residents are never asked; staff can always reach their own account and the set-up.
			if r := resident.Get("/konto"); r.StatusCode != http.StatusOK {
				t.Errorf("a resident's /konto: %d", r.StatusCode)
			}
			if r := modAPI.Do(http.MethodGet, "/api/v1/me", nil); r.StatusCode != http.StatusOK {
				t.Errorf("the moderator's /api/v1/me: %d", r.StatusCode)
			}
			if !tc.required {
				return
			}
			r = mod.Get("/konto/2fa?wymagane=1")
			if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, html.EscapeString(tr("pl", "account.totp_required_notice"))) {
				t.Fatalf("the set-up page: %d, want it to say two-step sign-in is required", r.StatusCode)
			}
			if r := mod.Post("/admin/kody", url.Values{"label": {"x"}, "count": {"1"}, "days": {"1"}}); r.StatusCode != http.StatusForbidden {
				t.Errorf("a staff POST before enrolling: %d, want 403", r.StatusCode)
			}

			secret, recovery := enrolTOTP(t, mod)
			if r := mod.Get("/admin"); r.StatusCode != http.StatusOK {
				t.Errorf("GET /admin after enrolling: %d, want 200", r.StatusCode)
			}
			if r := modAPI.Do(http.MethodGet, "/api/v1/admin/users", nil); r.StatusCode != http.StatusOK {
				t.Errorf("the API token's next request after enrolling: %d, want 200", r.StatusCode)
			}
			r = mod.Submit("/konto/2fa", "/konto/2fa/wylacz", url.Values{"totp_password": {demoPW}, "code": {recovery[0]}})
			if r.StatusCode != http.StatusForbidden || !strings.Contains(r.Body, html.EscapeString(tr("pl", "account.totp_required_for_staff"))) {
				t.Errorf("staff turning it off: %d %q, want 403", r.StatusCode, r.Title())
			}
			if n := count(t, s, `SELECT count(*) FROM users WHERE email = 'moderator@example.org' AND totp_enabled_at IS NOT NULL`); n != 1 {
				t.Error("a staff member turned two-step sign-in off")
			}
			if st := apiLogin(t, s, "moderator@example.org", demoPW); st != http.StatusUnauthorized {
				t.Errorf("a new API sign-in without a code: %d, want 401", st)
			}
			fresh := s.API(t)
			r = fresh.Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": "moderator@example.org", "password": demoPW,
				"totp_code": totpCode(t, secret, 1)})
			var out struct{ Token string }
			r.JSON(t, &out)
			fresh.Token = out.Token
			if r.StatusCode != http.StatusOK || fresh.Do(http.MethodGet, "/api/v1/admin/users", nil).StatusCode != http.StatusOK {
				t.Errorf("a new API sign-in with a code: %d %s", r.StatusCode, r.Body)
			}
		})
	}
}
