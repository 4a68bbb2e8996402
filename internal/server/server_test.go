package server_test

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"lawka/internal/platform/config"
	"lawka/internal/platform/db/dbtest"
	"lawka/internal/platform/redisx"
	"lawka/internal/server"
	"lawka/internal/server/servertest"
)

type response struct {
	*http.Response
	body string
}

func get(t *testing.T, url string, header ...string) response {
	t.Helper()
	return do(t, http.MethodGet, url, nil, header...)
}

func do(t *testing.T, method, url string, body io.Reader, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp, string(b)}
}

var title = regexp.MustCompile(`<title>([^<]*)</title>`)

func pageTitle(body string) string {
	m := title.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestHomeListsDistrictsInEachLanguage(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	cases := []struct {
		name   string
		header []string
		lang   string
		title  string
	}{
		{"default is Polish", nil, "pl", "Dzielnice Krakowa — Ławka"},
		{"query", []string{"X-Test", "1"}, "en", "Kraków&#39;s districts — Ławka"},
		{"accept-language", []string{"Accept-Language", "uk-UA,uk;q=0.9,en;q=0.5"}, "uk", "Райони Кракова — Ławka"},
		{"cookie beats accept-language", []string{"Cookie", "lang=en", "Accept-Language", "uk"}, "en", "Kraków&#39;s districts — Ławka"},
		{"unsupported falls back to Polish", []string{"Accept-Language", "de-DE"}, "pl", "Dzielnice Krakowa — Ławka"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := s.URL + "/"
			if tc.name == "query" {
				url += "?lang=en"
			}
			r := get(t, url, tc.header...)
			if r.StatusCode != 200 {
				t.Fatalf("status %d", r.StatusCode)
			}
			if !strings.Contains(r.body, `<html lang="`+tc.lang+`">`) {
				t.Errorf("page is not in %s", tc.lang)
			}
			if got := pageTitle(r.body); got != tc.title {
				t.Errorf("title %q, want %q", got, tc.title)
			}
			if n := strings.Count(r.body, `href="/dzielnice/`); n != 18 {
				t.Errorf("%d district links, want 18", n)
			}
			if !strings.Contains(r.body, "Nowa Huta") || !strings.Contains(r.body, "Łagiewniki-Borek Fałęcki") {
				t.Error("district names missing")
			}
		})
	}
}

func TestLanguageChoiceIsRemembered(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	r := get(t, s.URL+"/?lang=uk")
	var cookie string
	for _, c := range r.Cookies() {
		if c.Name == "lang" {
			cookie = c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("lang cookie flags: %+v", c)
			}
		}
	}
	if cookie != "uk" {
		t.Fatalf("lang cookie = %q, want uk", cookie)
	}
	r = get(t, s.URL+"/?lang=xx", "Cookie", "lang=uk")
	if !strings.Contains(r.body, `<html lang="uk">`) {
		t.Error("an unknown ?lang= should keep the remembered language")
	}
}

func TestFooterCarriesTheEUNotice(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	r := get(t, s.URL+"/")
	if !strings.Contains(r.body, "Sfinansowane ze środków UE. Wyrażone poglądy i opinie są jedynie opiniami autora lub autorów") {
		t.Error("EU funding notice missing from the footer")
	}
	if !strings.Contains(r.body, `class="skip-link" href="#main"`) || !strings.Contains(r.body, `<main id="main"`) {
		t.Error("skip link or main landmark missing")
	}
}

func TestDistrictAndDeclarationPages(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	r := get(t, s.URL+"/dzielnice/nowa-huta")
	if r.StatusCode != 200 || !strings.Contains(r.body, "Dzielnica XVIII Nowa Huta") {
		t.Fatalf("district page: %d %q", r.StatusCode, pageTitle(r.body))
	}
	r = get(t, s.URL+"/deklaracja")
	if r.StatusCode != 200 || !strings.Contains(r.body, "Koalicji na rzecz sąsiedztw") ||
		!strings.Contains(r.body, "<strong>NALEŻĄ</strong>") {
		t.Fatalf("declaration page: %d", r.StatusCode)
	}
	r = get(t, s.URL+"/deklaracja?lang=en")
	if !strings.Contains(r.body, "Declaration of cooperation") || !strings.Contains(r.body, "the city is us") {
		t.Fatal("English declaration missing")
	}
	r = get(t, s.URL+"/deklaracja?lang=uk")
	if !strings.Contains(r.body, "Декларація про співпрацю") {
		t.Fatal("Ukrainian declaration missing")
	}
}

func TestNotFoundIsTranslatedPageOrJSON(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	r := get(t, s.URL+"/dzielnice/atlantyda")
	if r.StatusCode != 404 || pageTitle(r.body) != "Błąd 404 — Ławka" || !strings.Contains(r.body, "Nie znaleźliśmy tej strony") {
		t.Fatalf("404 page: %d %q", r.StatusCode, pageTitle(r.body))
	}
	r = get(t, s.URL+"/api/v1/nothing-here", "Accept-Language", "en")
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("404 JSON: %v in %q", err, r.body)
	}
	if r.StatusCode != 404 || body.Error.Code != "not_found" || !strings.HasPrefix(body.Error.Message, "We could not find") {
		t.Fatalf("404 JSON = %d %+v", r.StatusCode, body)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("content type %q", r.Header.Get("Content-Type"))
	}
}

func TestNeighbourhoodsAPI(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	r := get(t, s.URL+"/api/v1/neighbourhoods")
	var body struct {
		Items []struct {
			ID         int64
			Slug, Name string
		}
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Items) != 18 || body.Items[0].Name != "Stare Miasto" || body.Items[17].Slug != "nowa-huta" || body.Items[0].ID == 0 {
		t.Fatalf("neighbourhoods = %+v", body.Items)
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	for _, path := range []string{"/", "/api/v1/neighbourhoods", "/no-such-page"} {
		r := get(t, s.URL+path)
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") ||
			strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: hardening headers missing: %v", path, r.Header)
		}
		if r.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain http", path)
		}
		if r.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: no request id", path)
		}
	}
	https := servertest.Start(t, servertest.Options{Env: map[string]string{"LAWKA_PUBLIC_URL": "https://lawka.example.org"}})
	if r := get(t, https.URL+"/"); !strings.Contains(r.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Error("no HSTS when served over TLS")
	}
}

func TestRequestIDs(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	if r := get(t, s.URL+"/healthz", "X-Request-Id", "proxy-given-id-123"); r.StatusCode != 200 {
		t.Fatal(r.StatusCode)
	}
	if r := get(t, s.URL+"/", "X-Request-Id", "proxy-given-id-123"); r.Header.Get("X-Request-Id") != "proxy-given-id-123" {
		t.Errorf("a sane incoming id should be kept, got %q", r.Header.Get("X-Request-Id"))
	}
	r := get(t, s.URL+"/", "X-Request-Id", "evil\" injected=1")
	if id := r.Header.Get("X-Request-Id"); strings.Contains(id, "evil") || len(id) < 16 {
		t.Errorf("an unsafe incoming id was kept: %q", id)
	}
}

func TestStaticFilesAreFingerprintedAndCached(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	home := get(t, s.URL+"/")
	m := regexp.MustCompile(`href="(/static/css/app\.[0-9a-f]{10}\.css)"`).FindStringSubmatch(home.body)
	if m == nil {
		t.Fatal("no fingerprinted stylesheet link on the home page")
	}
	r := get(t, s.URL+m[1])
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") ||
		!strings.Contains(r.Header.Get("Cache-Control"), "immutable") || !strings.Contains(r.body, "--blue") {
		t.Fatalf("stylesheet: %d %v", r.StatusCode, r.Header)
	}
	// Plain names (how ES modules import each other) are revalidated, never immutable.
	if r := get(t, s.URL+"/static/js/live.js"); r.StatusCode != 200 || strings.Contains(r.Header.Get("Cache-Control"), "immutable") ||
		r.Header.Get("ETag") == "" {
		t.Errorf("plain name: %d %v", r.StatusCode, r.Header)
	}
	if r := get(t, s.URL+"/static/js/nothing.js"); r.StatusCode != 404 {
		t.Errorf("unknown static file answered %d, want 404", r.StatusCode)
	}
	gz := do(t, http.MethodGet, s.URL+"/", nil, "Accept-Encoding", "gzip")
	if gz.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("home page not compressed: %v", gz.Header)
	}
}

func TestProbesAndMetrics(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	if r := get(t, s.URL+"/healthz"); r.StatusCode != 200 {
		t.Fatalf("healthz %d", r.StatusCode)
	}
	if r := get(t, s.URL+"/readyz"); r.StatusCode != 200 || !strings.Contains(r.body, `"postgres":"ok"`) {
		t.Fatalf("readyz %d %s", r.StatusCode, r.body)
	}
	get(t, s.URL+"/dzielnice/podgorze")
	r := get(t, s.URL+"/metrics")
	for _, want := range []string{
		`lawka_http_request_duration_seconds_count{method="GET",route="/dzielnice/:slug",status="2xx"} 1`,
		`lawka_db_pool_connections{state="idle"}`,
		`lawka_redis_pool_connections{state="idle"}`,
		`lawka_websocket_connections 0`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestGateAnswers503UntilReady(t *testing.T) {
	s := servertest.Start(t, servertest.Options{NotReady: true})
	r := get(t, s.URL+"/")
	if r.StatusCode != 503 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("before ready: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r := get(t, s.URL+"/readyz"); r.StatusCode != 503 {
		t.Fatalf("readyz before ready: %d", r.StatusCode)
	}
	if r := get(t, s.URL+"/healthz"); r.StatusCode != 200 {
		t.Fatalf("healthz must answer while starting: %d", r.StatusCode)
	}
	s.Server.SetReady(true)
	if r := get(t, s.URL+"/"); r.StatusCode != 200 {
		t.Fatalf("after ready: %d", r.StatusCode)
	}
}

func TestReadyzReportsRedisDown(t *testing.T) {
	pool := dbtest.New(t)
	rdb, err := redisx.Open("redis://127.0.0.1:1/0", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := config.Load(func(string) string { return "" })
	srv, err := server.New(cfg, server.Deps{Pool: pool, Redis: rdb, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetReady(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(time.Second) })
	r := get(t, "http://"+ln.Addr().String()+"/readyz")
	if r.StatusCode != 503 || !strings.Contains(r.body, `"redis":"unavailable"`) || !strings.Contains(r.body, `"postgres":"ok"`) {
		t.Fatalf("readyz with Redis down: %d %s", r.StatusCode, r.body)
	}
}

func TestBodyLimit(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	// Announce a body over the limit: the server must refuse it without reading it.
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /api/v1/neighbourhoods HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", server.BodyLimit+1)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 413 || !strings.Contains(string(b), `"code":"payload_too_large"`) {
		t.Fatalf("oversized body: %d %s", resp.StatusCode, b)
	}
}

// TestConcurrentPagesAreIntact renders pages from many goroutines at once: every body
// must be whole and its own (a pooled buffer shared with a later request would mix them).
func TestConcurrentPagesAreIntact(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	paths := []string{"/", "/deklaracja", "/dzielnice/podgorze", "/dzielnice/nowa-huta"}
	want := map[string]string{"/": "Dzielnice Krakowa — Ławka", "/deklaracja": "Deklaracja współpracy — Ławka",
		"/dzielnice/podgorze": "Podgórze — Ławka", "/dzielnice/nowa-huta": "Nowa Huta — Ławka"}
	errs := make(chan string, 400)
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for i := 0; i < 20; i++ {
				path := paths[(g+i)%len(paths)]
				req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				resp, err := client.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				var r io.Reader = resp.Body
				if resp.Header.Get("Content-Encoding") == "gzip" {
					if r, err = gzip.NewReader(resp.Body); err != nil {
						errs <- path + ": " + err.Error()
						return
					}
				}
				b, _ := io.ReadAll(r)
				resp.Body.Close()
				body := string(b)
				if pageTitle(body) != want[path] || !strings.HasSuffix(strings.TrimSpace(body), "</html>") {
					errs <- path + ": got title " + pageTitle(body)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
