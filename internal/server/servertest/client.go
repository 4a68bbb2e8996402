package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"lawka/internal/platform/mail"
)

// Response is an answer with its body already read.
type Response struct {
	*http.Response
	Body string
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("%s %s: body is not JSON (%v): %q", r.Request.Method, r.Request.URL.Path, err, r.Body)
	}
}

// Title is the page's <title> text (HTML-escaped as served), or "".
func (r Response) Title() string {
	m := titleRE.FindStringSubmatch(r.Body)
	if m == nil {
		return ""
	}
	return m[1]
}

var (
	titleRE = regexp.MustCompile(`<title>([^<]*)</title>`)
	csrfRE  = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)
	linkRE  = regexp.MustCompile(`https?://[^\s"'<>]+`)
)

func newHTTPClient(t testing.TB, jar http.CookieJar) *http.Client {
	tr := &http.Transport{DisableCompression: true}
	// Runs before the server's shutdown (cleanups run last-in first-out), so no idle
	// keep-alive connection holds the shutdown up.
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Jar:       jar,
		Transport: tr,
		Timeout:   60 * time.Second,
		// Redirects are answers to check, not to follow silently.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func send(t testing.TB, c *http.Client, req *http.Request) Response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return Response{Response: resp, Body: string(b)}
}

// Browser is a person's browser: it keeps cookies, remembers the CSRF token of the
// last page it saw and does not follow redirects.
type Browser struct {
	t      testing.TB
	URL    string      // the server's base URL
	Header http.Header // sent with every request (User-Agent, Accept-Language, …)
	Client *http.Client
	csrf   string
}

// Browser opens a new browser with an empty cookie jar.
func (s *Running) Browser(t testing.TB) *Browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("User-Agent", "servertest-browser")
	return &Browser{t: t, URL: s.URL, Header: h, Client: newHTTPClient(t, jar)}
}

func (b *Browser) url(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return b.URL + path
}

// Do sends req with the browser's headers and cookies, and remembers the CSRF token
// of the page it answers with.
func (b *Browser) Do(req *http.Request) Response {
	b.t.Helper()
	for k, v := range b.Header {
		if req.Header.Get(k) == "" {
			req.Header[k] = v
		}
	}
	r := send(b.t, b.Client, req)
	if m := csrfRE.FindStringSubmatch(r.Body); m != nil {
		b.csrf = m[1]
	}
	return r
}

// Get fetches path (or an absolute URL, such as a link from a mail).
func (b *Browser) Get(path string) Response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.url(path), nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.Do(req)
}

// Post sends form as a browser does, with the CSRF token of the last page seen added
// unless form carries its own "_csrf".
func (b *Browser) Post(path string, form url.Values) Response {
	b.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if !f.Has("_csrf") {
		if b.csrf == "" {
			b.t.Fatalf("POST %s: the browser has seen no page with a CSRF token yet", path)
		}
		f.Set("_csrf", b.csrf)
	}
	return b.PostRaw(path, "application/x-www-form-urlencoded", f.Encode())
}

// Submit opens page, then posts form to action with that page's CSRF token.
func (b *Browser) Submit(page, action string, form url.Values) Response {
	b.t.Helper()
	if r := b.Get(page); r.StatusCode != http.StatusOK {
		b.t.Fatalf("GET %s: status %d", page, r.StatusCode)
	}
	return b.Post(action, form)
}

// PostRaw sends body as is (no CSRF token added); header is name/value pairs.
func (b *Browser) PostRaw(path, contentType, body string, header ...string) Response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.url(path), strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.Do(req)
}

// FormFile is a file sent in a multipart form, as a browser sends an <input type="file">.
type FormFile struct {
	Field, Name string // the form field and the file's name on the sender's disk
	ContentType string // what the browser claims ("" for application/octet-stream)
	Content     []byte
}

// PostMultipart sends form and files as multipart/form-data (a form with
// enctype="multipart/form-data"), with the CSRF token of the last page seen added
// unless form carries its own "_csrf".
func (b *Browser) PostMultipart(path string, form url.Values, files ...FormFile) Response {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if !form.Has("_csrf") {
		if b.csrf == "" {
			b.t.Fatalf("POST %s: the browser has seen no page with a CSRF token yet", path)
		}
		if err := w.WriteField("_csrf", b.csrf); err != nil {
			b.t.Fatal(err)
		}
	}
	for k, vals := range form {
		for _, v := range vals {
			if err := w.WriteField(k, v); err != nil {
				b.t.Fatal(err)
			}
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+f.Field+`"; filename="`+f.Name+`"`)
		ct := f.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Type", ct)
		part, err := w.CreatePart(h)
		if err != nil {
			b.t.Fatal(err)
		}
		if _, err := part.Write(f.Content); err != nil {
			b.t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.t.Fatal(err)
	}
	return b.PostRaw(path, w.FormDataContentType(), body.String())
}

// CSRF is the token of the last page the browser saw.
func (b *Browser) CSRF() string { return b.csrf }

// Cookie is the browser's cookie called name, or "".
func (b *Browser) Cookie(name string) string {
	u, _ := url.Parse(b.URL + "/")
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// SignIn signs in through the form and fails the test unless it succeeds.
func (b *Browser) SignIn(email, password string) {
	b.t.Helper()
	r := b.Submit("/logowanie", "/logowanie", url.Values{"email": {email}, "password": {password}})
	if r.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("signing in as %s: status %d, want 303 (%s)", email, r.StatusCode, r.Title())
	}
}

// API is an API client; it sends the bearer token once it has one.
type API struct {
	t      testing.TB
	URL    string
	Token  string      // sent as "Authorization: Bearer …" when not empty
	Header http.Header // sent with every request
	Client *http.Client
}

// API opens a new API client (no cookies).
func (s *Running) API(t testing.TB) *API {
	h := http.Header{}
	h.Set("User-Agent", "servertest-api")
	return &API{t: t, URL: s.URL, Header: h, Client: newHTTPClient(t, nil)}
}

// Do sends a request: body is JSON-encoded, except a string, which is sent as is
// (JSON content type unless header sets another); header is name/value pairs.
func (a *API) Do(method, path string, body any, header ...string) Response {
	a.t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.URL+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range a.Header {
		req.Header[k] = v
	}
	if a.Token != "" {
		req.Header.Set("Authorization", "Bearer "+a.Token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return send(a.t, a.Client, req)
}

// Login signs in with POST /api/v1/auth/login, keeps the token and fails the test
// unless it succeeds.
func (a *API) Login(email, password string) {
	a.t.Helper()
	r := a.Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	var body struct {
		Token string `json:"token"`
	}
	if r.StatusCode != http.StatusOK {
		a.t.Fatalf("API login as %s: status %d %s", email, r.StatusCode, r.Body)
	}
	r.JSON(a.t, &body)
	if body.Token == "" {
		a.t.Fatalf("API login as %s: no token in %s", email, r.Body)
	}
	a.Token = body.Token
}

// Mail returns the messages queued for the address to, newest first (read from the
// outbox; nothing is delivered in tests).
func (s *Running) Mail(t testing.TB, to string) []mail.Stored {
	t.Helper()
	all, err := mail.Recent(context.Background(), s.Pool, 1000)
	if err != nil {
		t.Fatalf("reading the outbox: %v", err)
	}
	var out []mail.Stored
	for _, m := range all {
		if strings.EqualFold(m.To, to) {
			out = append(out, m)
		}
	}
	return out
}

// Link returns the first link in body that points at path on this server (path
// without the query), failing the test when there is none.
func (s *Running) Link(t testing.TB, body, path string) string {
	t.Helper()
	for _, l := range linkRE.FindAllString(body, -1) {
		u, err := url.Parse(l)
		if err == nil && strings.HasPrefix(l, s.URL+"/") && u.Path == path {
			return l
		}
	}
	t.Fatalf("no link to %s%s in:\n%s", s.URL, path, body)
	return ""
}
