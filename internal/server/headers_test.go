package server_test

// Security headers and cookies on every page: every mounted GET route of the
// authorisation table, as a visitor and as a signed-in admin, over http and behind
// https, plus the answers that set cookies (language choice, sign-in, a poll vote,
// sign-out).

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// headerClient keeps cookies by hand (a cookie jar would not send Secure cookies over
// the test's plain-http listener) and checks every answer it gets.
type headerClient struct {
	t       *testing.T
	base    string
	https   bool
	c       *http.Client
	cookies map[string]string
	csrf    string
	checked *int
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

func newHeaderClient(t *testing.T, base string, https bool, checked *int) *headerClient {
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &headerClient{t: t, base: base, https: https, cookies: map[string]string{}, checked: checked,
		c: &http.Client{Transport: tr, Timeout: 60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (h *headerClient) send(method, path, form string) servertest.Response {
	h.t.Helper()
	var body io.Reader
	if method != http.MethodGet {
		body = strings.NewReader(form)
	}
	req, err := http.NewRequest(method, h.base+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("User-Agent", "headers-test")
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range h.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := h.c.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	r := servertest.Response{Response: resp, Body: string(b)}
	if m := csrfField.FindStringSubmatch(r.Body); m != nil {
		h.csrf = m[1]
	}
	checkSecurityHeaders(h.t, method+" "+path, r.Header, h.https)
	checkCookies(h.t, method+" "+path, req.URL.Path, resp, h.https)
	*h.checked++
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(h.cookies, c.Name)
		} else {
			h.cookies[c.Name] = c.Value
		}
	}
	return r
}

func (h *headerClient) post(path string, form url.Values) servertest.Response {
	h.t.Helper()
	form.Set("_csrf", h.csrf)
	return h.send(http.MethodPost, path, form.Encode())
}

// checkSecurityHeaders: the CSP forbids inline code, eval, framing and plugins and asks
// for reports; no sniffing, no framing, no full referrers to other sites, an opener
// policy; HSTS exactly when served over https.
func checkSecurityHeaders(t *testing.T, what string, h http.Header, https bool) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			directives[f[0]] = strings.Join(f[1:], " ")
		}
	}
	wantCSP := map[string]string{"default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
		"object-src": "'none'", "frame-ancestors": "'none'", "base-uri": "'self'", "form-action": "'self'", "report-uri": "/csp-report"}
	if _, ok := directives["sandbox"]; ok {
		// An uploaded file: sandboxed, nothing loads, never framed.
		wantCSP = map[string]string{"sandbox": "", "default-src": "'none'", "frame-ancestors": "'none'"}
	}
	for name, want := range wantCSP {
		if directives[name] != want {
			t.Errorf("%s: CSP %s is %q, want %q (CSP %q)", what, name, directives[name], want, csp)
		}
	}
	if strings.Contains(csp, "unsafe-") || strings.Contains(csp, "*") || strings.Contains(csp, "http:") {
		t.Errorf("%s: CSP allows unsafe sources: %q", what, csp)
	}
	want := map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
		"Referrer-Policy": "strict-origin-when-cross-origin", "Cross-Origin-Opener-Policy": "same-origin"}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %s is %q, want %q", what, k, got, v)
		}
	}
	hsts := h.Get("Strict-Transport-Security")
	if !https && hsts != "" {
		t.Errorf("%s: HSTS %q over plain http", what, hsts)
	}
	if https {
		m := regexp.MustCompile(`max-age=(\d+)`).FindStringSubmatch(hsts)
		if m == nil {
			t.Errorf("%s: no HSTS behind https (%q)", what, hsts)
		} else if secs, _ := strconv.Atoi(m[1]); secs < 365*24*3600 {
			t.Errorf("%s: HSTS max-age %d, want at least a year", what, secs)
		}
	}
}

// checkCookies: every cookie is HttpOnly (no script of ours reads one), SameSite Lax or
// Strict, Secure behind https, and has a Path: / or a narrower path the answer is under
// (the sign-in challenge lives under /logowanie, a poll's receipt under its page).
func checkCookies(t *testing.T, what, path string, resp *http.Response, https bool) {
	t.Helper()
	for _, line := range resp.Header.Values("Set-Cookie") {
		attrs := map[string]string{}
		for _, a := range strings.Split(line, ";")[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(a), "=")
			attrs[strings.ToLower(k)] = v
		}
		name, _, _ := strings.Cut(line, "=")
		if _, ok := attrs["httponly"]; !ok {
			t.Errorf("%s: cookie %s is not HttpOnly: %s", what, name, line)
		}
		if _, ok := attrs["domain"]; ok && strings.HasPrefix(name, "__Host-") {
			t.Errorf("%s: cookie %s has a Domain: %s", what, name, line)
		}
		if ss := strings.ToLower(attrs["samesite"]); ss != "lax" && ss != "strict" {
			t.Errorf("%s: cookie %s has SameSite %q: %s", what, name, attrs["samesite"], line)
		}
		if _, ok := attrs["secure"]; (https || strings.HasPrefix(name, "__Host-") || strings.HasPrefix(name, "__Secure-")) && !ok {
			t.Errorf("%s: cookie %s is not Secure behind https: %s", what, name, line)
		}
		p, ok := attrs["path"]
		if !ok || !strings.HasPrefix(p, "/") || (p != "/" && !strings.HasPrefix(path, p)) {
			t.Errorf("%s: cookie %s has Path %q, want / (or a prefix of %s): %s", what, name, p, path, line)
		}
	}
}

func TestEveryPageHasSecurityHeadersAndSafeCookies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"http", nil},
		{"https", map[string]string{"LAWKA_PUBLIC_URL": "https://lawka.example.org"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			https := tc.env != nil
			s := servertest.Start(t, servertest.Options{Env: tc.env})
			if s.Config.Secure() != https {
				t.Fatalf("the server's Secure() is %v, want %v", s.Config.Secure(), https)
			}
			fx := authzSetup(t, s)
			rows := authzMounted(t, s)
			checked, cookies := 0, 0
			visitor := newHeaderClient(t, s.URL, https, &checked)
			admin := newHeaderClient(t, s.URL, https, &checked)

			// Cookies: the language switch, a form page, signing in.
			visitor.send(http.MethodGet, "/?lang=en", "")
			admin.send(http.MethodGet, "/logowanie", "")
			if r := admin.post("/logowanie", url.Values{"email": {authzActors[asAdmin].email}, "password": {seed.DemoPassword}}); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("signing in: %d", r.StatusCode)
			}
			adminID := authzQuery[int64](t, s, `SELECT id FROM users WHERE email = $1`, authzActors[asAdmin].email)
			session := authzQuery[int64](t, s, `SELECT id FROM sessions WHERE user_id = $1 AND kind = 'browser' AND revoked_at IS NULL
				ORDER BY id DESC LIMIT 1`, adminID)
			if r := admin.send(http.MethodGet, "/konto", ""); r.StatusCode != http.StatusOK {
				t.Fatalf("the admin is not signed in after the form: GET /konto %d", r.StatusCode)
			}

			for _, row := range rows {
				if row.method() != http.MethodGet {
					continue
				}
				for _, p := range row.probes {
					visitor.send(http.MethodGet, fx.fill(t, row.samplePath(p), 0, 0), "")
					admin.send(http.MethodGet, fx.fill(t, row.samplePath(p), adminID, session), "")
				}
			}
			// Error pages and the JSON API's errors carry them too.
			visitor.send(http.MethodGet, "/no-such-page", "")
			visitor.send(http.MethodGet, "/api/v1/no-such-thing", "")

			// A visitor's poll vote sets the participant and receipt cookies.
			poll := fx.vals["poll"]
			page := visitor.send(http.MethodGet, "/ankiety/"+poll, "")
			option := regexp.MustCompile(`name="option_ids" value="(\d+)"`).FindStringSubmatch(page.Body)
			if option == nil {
				t.Fatalf("the poll page has no option to vote for")
			}
			if r := visitor.post("/ankiety/"+poll+"/glos", url.Values{"option_ids": {option[1]}}); r.StatusCode != http.StatusSeeOther {
				t.Errorf("a visitor's vote: %d", r.StatusCode)
			}
			csrfCookie := "lawka_csrf"
			if https {
				csrfCookie = "__Host-lawka_csrf" // bound to the host, Secure, Path=/
			}
			for _, name := range []string{"lang", csrfCookie, "lawka_participant", "lawka_receipt"} {
				if _, ok := visitor.cookies[name]; !ok {
					t.Errorf("the visitor never got the %s cookie: the cookie checks did not see it (has %v)", name, visitor.cookies)
				}
			}
			cookies = len(visitor.cookies) + len(admin.cookies)

			// Two-step sign-in: the challenge cookie is set after the password and cleared
			// after the code.
			staff := newHeaderClient(t, s.URL, https, &checked)
			staff.send(http.MethodGet, "/logowanie", "")
			staff.post("/logowanie", url.Values{"email": {authzActors[asModerator].email}, "password": {seed.DemoPassword}})
			staff.send(http.MethodGet, "/konto/2fa", "")
			m := secretRE.FindStringSubmatch(staff.post("/konto/2fa/start", url.Values{}).Body)
			if m == nil {
				t.Fatal("enrolling in two-step sign-in: no secret shown")
			}
			recovery := recoveryRE.FindStringSubmatch(staff.post("/konto/2fa/potwierdz", url.Values{"code": {totpCode(t, m[1], 0)}}).Body)
			if recovery == nil {
				t.Fatal("enrolling in two-step sign-in: no recovery codes shown")
			}
			staff.send(http.MethodGet, "/konto", "")
			staff.post("/wyloguj", url.Values{})
			staff.send(http.MethodGet, "/logowanie", "")
			if r := staff.post("/logowanie", url.Values{"email": {authzActors[asModerator].email}, "password": {seed.DemoPassword}}); !strings.HasPrefix(r.Header.Get("Location"), "/logowanie/kod") {
				t.Fatalf("the password step of a two-step sign-in: %d → %q", r.StatusCode, r.Header.Get("Location"))
			}
			if _, ok := staff.cookies["lawka_login_challenge"]; !ok {
				t.Errorf("no challenge cookie after the password step (has %v)", staff.cookies)
			}
			staff.send(http.MethodGet, "/logowanie/kod", "")
			if r := staff.post("/logowanie/kod", url.Values{"code": {recovery[1]}}); r.StatusCode != http.StatusSeeOther {
				t.Errorf("the code step: %d", r.StatusCode)
			}
			if _, ok := staff.cookies["lawka_login_challenge"]; ok {
				t.Errorf("the challenge cookie outlived the code step")
			}

			// Signing out clears the session cookie, with the same attributes.
			admin.send(http.MethodGet, "/konto", "")
			if r := admin.post("/wyloguj", url.Values{}); r.StatusCode != http.StatusSeeOther || len(r.Header.Values("Set-Cookie")) == 0 {
				t.Errorf("signing out: %d, Set-Cookie %v", r.StatusCode, r.Header.Values("Set-Cookie"))
			}
			if checked < 150 {
				t.Errorf("only %d answers checked: the route walk looks wrong", checked)
			}
			t.Logf("%d answers checked, %d cookies seen", checked, cookies)
		})
	}
}
