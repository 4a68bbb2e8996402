package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"lawka/internal/server/servertest"
)

// lockedBuffer collects the server's log lines (written from its goroutines).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var cspReportsMetric = regexp.MustCompile(`(?m)^lawka_csp_reports_total (\d+)`)

// cspReports reads lawka_csp_reports_total from /metrics.
func cspReports(t *testing.T, base string) int {
	t.Helper()
	r := get(t, base+"/metrics")
	m := cspReportsMetric.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("/metrics has no lawka_csp_reports_total")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestCSPReports: every page's policy sends violation reports to /csp-report; a report
// from a browser (no session, no CSRF token) is logged at warn and counted, in both the
// report-uri and the Reporting API formats; anything else is refused and not counted;
// a flood from one address is cut off with 429 and Retry-After.
func TestCSPReports(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	s := servertest.Start(t, servertest.Options{Log: logs})
	if csp := get(t, s.URL+"/").Header.Get("Content-Security-Policy"); !strings.Contains(csp, "report-uri /csp-report") {
		t.Fatalf("the CSP does not ask for reports at /csp-report: %q", csp)
	}
	if n := cspReports(t, s.URL); n != 0 {
		t.Fatalf("%d CSP reports before any was sent", n)
	}

	legacy := `{"csp-report":{"document-uri":"` + s.URL + `/propozycje/1","violated-directive":"script-src-elem",
		"effective-directive":"script-src-elem","blocked-uri":"inline","source-file":"` + s.URL + `/propozycje/1",
		"line-number":12,"script-sample":"window.__xss=1"}}`
	r := do(t, http.MethodPost, s.URL+"/csp-report", strings.NewReader(legacy), "Content-Type", "application/csp-report")
	if r.StatusCode != http.StatusNoContent {
		t.Fatalf("a report-uri report: %d %s, want 204", r.StatusCode, r.body)
	}
	if n := cspReports(t, s.URL); n != 1 {
		t.Errorf("after one report the counter is %d", n)
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN msg=\"csp violation\"") || !strings.Contains(l, "window.__xss=1") {
		t.Errorf("the report was not logged at warn with its sample:\n%s", l)
	}

	api := `[{"type":"csp-violation","url":"` + s.URL + `/","body":{"documentURL":"` + s.URL + `/","effectiveDirective":"img-src",
		"blockedURL":"https://evil.example/x.png"}},{"type":"deprecation","body":{}}]`
	r = do(t, http.MethodPost, s.URL+"/csp-report", strings.NewReader(api), "Content-Type", "application/reports+json")
	if r.StatusCode != http.StatusNoContent || cspReports(t, s.URL) != 2 {
		t.Errorf("a Reporting API report: %d, counter %d, want 204 and 2", r.StatusCode, cspReports(t, s.URL))
	}

	for _, bad := range []string{"", "not json", `{"csp-report":null}`, `[{"type":"deprecation","body":{}}]`, `{"x":1}`} {
		r := do(t, http.MethodPost, s.URL+"/csp-report", strings.NewReader(bad), "Content-Type", "application/json", "Accept", "application/json")
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if r.StatusCode != http.StatusBadRequest || json.Unmarshal([]byte(r.body), &e) != nil || e.Error.Code != "malformed_json" || e.Error.Message == "" {
			t.Errorf("POST /csp-report %q: %d %s, want 400 malformed_json", bad, r.StatusCode, r.body)
		}
	}
	if n := cspReports(t, s.URL); n != 2 {
		t.Errorf("refused bodies were counted: %d", n)
	}

	// 60 a minute per address: 2 accepted and 5 refused so far, 53 more, then 429.
	for i := 0; i < 53; i++ {
		if r := do(t, http.MethodPost, s.URL+"/csp-report", strings.NewReader(legacy), "Content-Type", "application/csp-report"); r.StatusCode != http.StatusNoContent {
			t.Fatalf("report %d of the minute: %d", i+8, r.StatusCode)
		}
	}
	r = do(t, http.MethodPost, s.URL+"/csp-report", strings.NewReader(legacy), "Content-Type", "application/csp-report", "Accept", "application/json")
	checkRateLimited(t, "the 61st CSP report in a minute", r.StatusCode, r.Header, r.body)
	if n := cspReports(t, s.URL); n != 55 {
		t.Errorf("counter %d after 55 accepted reports", n)
	}
}

// checkRateLimited asserts a 429 with Retry-After in whole seconds and the API's error
// format {"error":{"code":"rate_limited","message":…}} (fields, when present, an object).
func checkRateLimited(t *testing.T, what string, status int, h http.Header, body string) {
	t.Helper()
	if status != http.StatusTooManyRequests {
		t.Errorf("%s: %d, want 429\n%.300s", what, status, body)
		return
	}
	if secs, err := strconv.Atoi(h.Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("%s: Retry-After %q, want whole seconds", what, h.Get("Retry-After"))
	}
	var e map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &e); err != nil || e["error"] == nil {
		t.Errorf("%s: body is not the error format: %.300s", what, body)
		return
	}
	var code, msg string
	_ = json.Unmarshal(e["error"]["code"], &code)
	_ = json.Unmarshal(e["error"]["message"], &msg)
	if code != "rate_limited" || msg == "" {
		t.Errorf("%s: code %q message %q, want rate_limited and a message", what, code, msg)
	}
	if f, ok := e["error"]["fields"]; ok && (len(f) == 0 || f[0] != '{') {
		t.Errorf("%s: fields %s, want an object", what, f)
	}
	for k := range e["error"] {
		if k != "code" && k != "message" && k != "fields" && k != "request_id" {
			t.Errorf("%s: unknown key %q in the error", what, k)
		}
	}
}
