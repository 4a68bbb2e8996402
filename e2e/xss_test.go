package e2e

// The XSS and injection corpus (testdata/xss.txt) through every text field people and
// staff fill in, then every page that shows it, in Chromium: no payload runs, no CSP
// violation happens or is reported, and the JSON API hands the text back as data.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// xssCorpus reads the payloads: one a line, '#' lines and blank lines left out.
func xssCorpus(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("testdata/xss.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil || len(out) < 30 {
		t.Fatalf("the corpus has %d payloads (%v)", len(out), err)
	}
	return out
}

// xssCheckJS inspects the page as a browser built it: the sentinel, and anything that
// could run or navigate that the site itself never puts on a page.
const xssCheckJS = `(() => {
  const bad = [];
  const urlAttr = /^(href|src|action|formaction|xlink:href|data|poster|background|ping|codebase|cite)$/;
  const imageData = /^data:image\/(png|jpeg|gif|webp);/;
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    for (const a of el.attributes) {
      const n = a.name.toLowerCase(), v = a.value.replace(/[\s\u0000-\u001f]/g, "").toLowerCase();
      if (n.startsWith("on") || n === "srcdoc") bad.push(tag + " [" + n + "]");
      if (urlAttr.test(n) && /^(javascript|vbscript|data):/.test(v) && !(tag === "img" && n === "src" && imageData.test(v)))
        bad.push(tag + " [" + n + "=" + a.value.slice(0, 60) + "]");
    }
    if (["iframe", "frame", "object", "embed", "base", "applet", "style"].includes(tag)) bad.push("<" + tag + ">");
    if (tag === "meta" && el.httpEquiv) bad.push("meta http-equiv=" + el.httpEquiv);
    if (tag === "script" && (!el.src || new URL(el.src).origin !== location.origin) && !/json/.test(el.type))
      bad.push("script " + (el.src || el.textContent.slice(0, 60)));
    if (tag === "form" && new URL(el.getAttribute("action") || location.href, location.href).origin !== location.origin)
      bad.push("form action=" + el.getAttribute("action"));
  }
  return {sentinel: typeof window.__xss !== "undefined", bad: bad, text: document.body.textContent};
})()`

var xssPagesChecked atomic.Int64

type xssPage struct {
	Sentinel bool     `json:"sentinel"`
	Bad      []string `json:"bad"`
	Text     string   `json:"text"`
}

// checkPage opens url and fails the test if a payload ran or could run there, or if a
// plain-text field in want is not shown as the very text that was sent.
func checkPage(t *testing.T, p *Person, url string, want ...string) {
	t.Helper()
	xssPagesChecked.Add(1)
	if status := p.Open(url); status != http.StatusOK {
		t.Errorf("%s: status %d", url, status)
	}
	// Handlers such as onerror would run once the images settle: wait for that first.
	if _, err := chromedp.Run(p.Ctx, chromedp.Poll[chromedp.Void](`[...document.images].every(i => i.complete)`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("%s: images never settled: %v", url, err)
	}
	got := Get(p, chromedp.Evaluate[xssPage](xssCheckJS))
	if got.Sentinel {
		t.Errorf("%s: a payload ran (window.__xss is set)", url)
	}
	if len(got.Bad) > 0 {
		t.Errorf("%s: %d dangerous element(s) or attribute(s) in the page: %s", url, len(got.Bad), strings.Join(got.Bad, "; "))
	}
	for _, w := range want {
		if !strings.Contains(got.Text, w) {
			t.Errorf("%s: the text %q is not shown as sent", url, w)
		}
	}
	p.CheckConsole(url)
}

// takeProblems empties the person's record of console errors and CSP violations.
func (p *Person) takeProblems() []problem {
	p.mu.Lock()
	defer p.mu.Unlock()
	got := p.problems
	p.problems = nil
	return got
}

var cspMetric = regexp.MustCompile(`(?m)^lawka_csp_reports_total (\d+)`)

func cspReportCount(t *testing.T, srv *servertest.Running) int {
	t.Helper()
	r := srv.API(t).Do(http.MethodGet, "/metrics", nil)
	m := cspMetric.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("/metrics has no lawka_csp_reports_total: %d %.300s", r.StatusCode, r.Body)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// createdID is the id of the object a 201 answer carries under key ({"proposal":{"id":…}}).
func createdID(t *testing.T, what string, r servertest.Response, key string) int64 {
	t.Helper()
	if r.StatusCode != http.StatusCreated && r.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", what, r.StatusCode, r.Body)
	}
	var body map[string]struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body[key].ID == 0 {
		t.Fatalf("%s: no %s.id in %s", what, key, r.Body)
	}
	return body[key].ID
}

// checkJSONData: the answer is JSON with no raw markup in it (< and > travel escaped),
// every string in want comes back exactly as sent, and any sanitised HTML it carries
// has no handler, script or javascript: URL.
func checkJSONData(t *testing.T, what string, r servertest.Response, want ...string) {
	t.Helper()
	if r.StatusCode != http.StatusOK {
		t.Errorf("%s: %d %s", what, r.StatusCode, r.Body)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: Content-Type %q, nosniff %q: a browser could take it for a page", what, r.Header.Get("Content-Type"), r.Header.Get("X-Content-Type-Options"))
	}
	if i := strings.IndexAny(r.Body, "<>"); i >= 0 {
		t.Errorf("%s: raw markup in the JSON at %d: %.80q", what, i, r.Body[max(0, i-20):])
	}
	var v any
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Errorf("%s: not JSON: %v", what, err)
		return
	}
	var strs []string
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case string:
			strs = append(strs, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				if strings.HasSuffix(k, "_html") {
					if s, ok := e.(string); ok {
						for _, bad := range unsafeHTML(s) {
							t.Errorf("%s: %s carries %s", what, k, bad)
						}
					}
				}
				walk(e)
			}
		}
	}
	walk(v)
	all := strings.Join(strs, "\x00")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("%s: %q does not come back as sent", what, w)
		}
	}
}

var (
	htmlTag     = regexp.MustCompile(`<[a-zA-Z][^>]*>`)
	htmlHandler = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	htmlURL     = regexp.MustCompile(`(?i)(href|src|action|formaction)\s*=\s*["']?\s*(javascript|vbscript|data):`)
	htmlTagName = regexp.MustCompile(`(?i)^<(script|iframe|object|embed|style|base|meta|form|svg|math|frame|link)\b`)
)

// unsafeHTML lists what could run in sanitised HTML. Text in it is escaped (&lt;), so
// every literal < opens a real tag.
func unsafeHTML(s string) []string {
	var out []string
	for _, tag := range htmlTag.FindAllString(s, -1) {
		if htmlHandler.MatchString(tag) || htmlURL.MatchString(tag) || htmlTagName.MatchString(tag) {
			out = append(out, tag)
		}
	}
	return out
}

// TestXSSCorpusNeverRuns sends every payload of the corpus through the text fields of
// registration (display name, by the form), proposals (title, place, body), comments,
// reports (note), moderation (public reason, appeal), declaration signatures (full
// name; an organisation's name and the signer's role), events (title, description,
// address, accessibility, organisers, cancellation reason), consultations (title, organiser, description,
// question prompt, hint, option) and their free-text answers, and polls (question,
// options), then opens every page that shows them as a visitor, the author and a
// moderator.
func TestXSSCorpusNeverRuns(t *testing.T) {
	t.Parallel()
	began := time.Now()
	payloads := xssCorpus(t)
	n := len(payloads)
	// Long fields carry the whole corpus at once, with Polish prose around it.
	corpus := "Uwagi mieszkańców Krakowa — proszę o rozważenie (ąćęłńóśźż):\n\n" + strings.Join(payloads, "\n\n") +
		"\n\nDziękuję, sąsiadka z Podgórza."
	// Registrations come from different addresses (a proxy in front says which), as
	// many people's would; the per-address limits are not what this test is about.
	srv := servertest.Start(t, servertest.Options{Env: map[string]string{"LAWKA_TRUSTED_PROXIES": "127.0.0.1/32"}})
	ctx := t.Context()
	query := func(dst any, sql string, args ...any) {
		t.Helper()
		if err := srv.Pool.QueryRow(ctx, sql, args...).Scan(dst); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var district int64
	query(&district, `SELECT id FROM neighbourhoods WHERE slug = 'podgorze'`)

	// People: the display name is the payload, typed into the registration form.
	people := make([]*servertest.API, n)
	for i, p := range payloads {
		addr := fmt.Sprintf("198.51.%d.%d", 100+i/200, 1+i%200)
		b := srv.Browser(t)
		b.Header.Set("X-Forwarded-For", addr)
		email := fmt.Sprintf("xss.%d@example.org", i)
		r := b.Submit("/rejestracja", "/rejestracja", url.Values{"display_name": {p}, "email": {email},
			"password": {"Bardzo-dlugie-haslo-2026"}, "accept_terms": {"yes"}, "neighbourhood_id": {strconv.FormatInt(district, 10)}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("registering with the display name %q: %d %s", p, r.StatusCode, r.Title())
		}
		var name string
		query(&name, `SELECT display_name FROM users WHERE email = $1`, email)
		if name != p {
			t.Errorf("display name stored as %q, sent %q", name, p)
		}
		people[i] = srv.API(t)
		people[i].Header.Set("X-Forwarded-For", addr)
	}
	if _, err := srv.Pool.Exec(ctx, `UPDATE users SET email_confirmed_at = now() WHERE email LIKE 'xss.%@example.org'`); err != nil {
		t.Fatal(err)
	}
	for i := range people {
		people[i].Login(fmt.Sprintf("xss.%d@example.org", i), "Bardzo-dlugie-haslo-2026")
	}
	mod := srv.API(t)
	mod.Login("moderator@example.org", seed.DemoPassword)

	proposals, comments, events, consultations, polls := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	var cases [][2]int64 // the hidden comment's author (a payload's index) and the case
	// Every fourth comment is hidden by a moderator (not the last: its author is the
	// author person below, who opens its edit form).
	hidden := func(i int) bool { return i%4 == 2 && i < n-1 }
	now := time.Now()
	for i, p := range payloads {
		next := (i + 1) % n
		proposals[i] = createdID(t, "proposal "+p, people[i].Do(http.MethodPost, "/api/v1/proposals", map[string]any{
			"title": p, "body": corpus, "neighbourhood_id": district, "location_label": p}), "proposal")
		comments[i] = createdID(t, "comment", people[next].Do(http.MethodPost, fmt.Sprintf("/api/v1/proposals/%d/comments", proposals[i]),
			map[string]any{"body": corpus, "stance": "for"}), "comment")
		r := people[i].Do(http.MethodPost, "/api/v1/reports", map[string]any{"item_type": "comment", "item_id": comments[i],
			"reason": "other", "note": p})
		var reported struct {
			Report struct {
				CaseID int64 `json:"case_id"`
			} `json:"report"`
		}
		if r.StatusCode != http.StatusCreated || json.Unmarshal([]byte(r.Body), &reported) != nil || reported.Report.CaseID == 0 {
			t.Fatalf("reporting with the note %q: %d %s", p, r.StatusCode, r.Body)
		}
		if hidden(i) {
			// Hidden with the payload as the public reason; its author appeals with it.
			if r := mod.Do(http.MethodPost, "/api/v1/moderation/decisions", map[string]any{"action": "hide", "reason": p,
				"items": []map[string]any{{"type": "comment", "id": comments[i]}}}); r.StatusCode != http.StatusOK {
				t.Fatalf("hiding with the reason %q: %d %s", p, r.StatusCode, r.Body)
			}
			if r := people[next].Do(http.MethodPost, fmt.Sprintf("/api/v1/moderation/cases/%d/appeal", reported.Report.CaseID),
				map[string]any{"text": p}); r.StatusCode != http.StatusOK && r.StatusCode != http.StatusCreated {
				t.Fatalf("appealing with %q: %d %s", p, r.StatusCode, r.Body)
			}
			cases = append(cases, [2]int64{int64(next), reported.Report.CaseID})
		}
		sig := createdID(t, "signature", people[i].Do(http.MethodPost, "/api/v1/signatures", map[string]any{
			"kind": "person", "full_name": p, "agree": true, "list_publicly": true, "neighbourhood_id": district}), "signature")
		if r := mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/admin/signatures/%d/decision", sig), map[string]any{"confirm": true}); r.StatusCode != http.StatusOK {
			t.Fatalf("confirming the signature of %q: %d %s", p, r.StatusCode, r.Body)
		}
		// An organisation's signature: its name and the signer's role are the payload. A
		// javascript: website is refused; the allies page links the website.
		org := map[string]any{"kind": "organisation", "name": p, "type": "informal_group", "full_name": "Osoba Podpisująca " + strconv.Itoa(i),
			"role_title": p, "authority_confirmed": true, "list_publicly": true, "neighbourhood_id": district,
			"website": "javascript:window.__xss=1//https://example.org"}
		if r := people[i].Do(http.MethodPost, "/api/v1/signatures", org); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("an organisation with a javascript: website: %d %s, want 422", r.StatusCode, r.Body)
		}
		org["website"] = "https://example.org/ławka"
		orgSig := createdID(t, "organisation "+p, people[i].Do(http.MethodPost, "/api/v1/signatures", org), "signature")
		if r := mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/admin/signatures/%d/decision", orgSig), map[string]any{"confirm": true}); r.StatusCode != http.StatusOK {
			t.Fatalf("confirming the organisation %q: %d %s", p, r.StatusCode, r.Body)
		}
		events[i] = createdID(t, "event "+p, mod.Do(http.MethodPost, "/api/v1/events", map[string]any{
			"kind": "meeting", "title": p, "description": corpus, "address": p, "accessibility": p, "organisers": p,
			"neighbourhood_id": district, "starts_at": now.Add(time.Duration(48+i) * time.Hour).Format(time.RFC3339),
			"ends_at": now.Add(time.Duration(50+i) * time.Hour).Format(time.RFC3339), "registration": true, "capacity": 20,
			"status": "published"}), "event")
		if i%4 == 1 {
			if r := mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/events/%d/cancel", events[i]), map[string]any{"reason": p}); r.StatusCode != http.StatusOK {
				t.Fatalf("cancelling with the reason %q: %d %s", p, r.StatusCode, r.Body)
			}
		}
		var body struct {
			Consultation struct {
				ID        int64 `json:"id"`
				Questions []struct {
					ID int64 `json:"id"`
				} `json:"questions"`
			} `json:"consultation"`
		}
		r = mod.Do(http.MethodPost, "/api/v1/consultations", map[string]any{
			"title": p, "organiser_kind": "city", "organiser": p, "description": corpus, "eligibility": "registered",
			"status": "published", "district_ids": []int64{district},
			"opens_at": now.Add(-time.Hour).Format(time.RFC3339), "closes_at": now.Add(10 * 24 * time.Hour).Format(time.RFC3339),
			"report_at": now.Add(20 * 24 * time.Hour).Format(time.RFC3339),
			"questions": []map[string]any{
				{"kind": "text", "prompt": p, "hint": p, "max_length": 5000},
				{"kind": "single", "prompt": "Czy zgadzasz się z projektem (ąę)?", "options": []string{p, "Nie mam zdania ąę"}},
			}})
		if r.StatusCode != http.StatusCreated || json.Unmarshal([]byte(r.Body), &body) != nil || len(body.Consultation.Questions) != 2 {
			t.Fatalf("consultation %q: %d %s", p, r.StatusCode, r.Body)
		}
		consultations[i] = body.Consultation.ID
		q := body.Consultation.Questions
		if r := people[i].Do(http.MethodPost, fmt.Sprintf("/api/v1/consultations/%d/response", consultations[i]), map[string]any{
			"answers": map[string]any{strconv.FormatInt(q[0].ID, 10): map[string]any{"text": corpus},
				strconv.FormatInt(q[1].ID, 10): map[string]any{"choices": []int{1}}}, "submit": true}); r.StatusCode != http.StatusCreated && r.StatusCode != http.StatusOK {
			t.Fatalf("answering consultation %q: %d %s", p, r.StatusCode, r.Body)
		}
		polls[i] = createdID(t, "poll "+p, mod.Do(http.MethodPost, "/api/v1/polls", map[string]any{
			"question": p, "kind": "single", "options": []string{p, "Tak, popieram (ąę)"}, "eligibility": "open"}), "poll")
		if r := mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/open", polls[i]), nil); r.StatusCode != http.StatusOK {
			t.Fatalf("opening poll %q: %d %s", p, r.StatusCode, r.Body)
		}
	}
	// The consultations publish their results and free-text answers.
	if _, err := srv.Pool.Exec(ctx, `UPDATE consultations SET opens_at = now() - interval '20 days',
		closes_at = now() - interval '10 days', report_at = now() - interval '1 minute' WHERE id = ANY($1)`, consultations); err != nil {
		t.Fatal(err)
	}
	// Promises: logged in the upcoming debate with the payload as text and topic; an
	// advocate's update carries the corpus as its note.
	var debateID int64
	query(&debateID, `SELECT event_id FROM debates WHERE phase = 'scheduled' ORDER BY event_id LIMIT 1`)
	advocate := srv.API(t)
	advocate.Login("advocate@example.org", seed.DemoPassword)
	promises := make([]int64, n)
	for i, p := range payloads {
		promises[i] = createdID(t, "promise "+p, mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/debates/%d/promises", debateID),
			map[string]any{"text": p, "topic": p}), "promise")
		if r := advocate.Do(http.MethodPost, fmt.Sprintf("/api/v1/promises/%d/updates", promises[i]), map[string]any{
			"version": 1, "note": corpus, "links": []string{"https://example.org/dowod"}}); r.StatusCode != http.StatusCreated {
			t.Fatalf("an update of the promise %q: %d %s", p, r.StatusCode, r.Body)
		}
	}
	t.Logf("%d payloads stored through %d objects and %d moderation decisions in %v", n, 9*n, len(cases), time.Since(began).Round(time.Millisecond))

	// The JSON API gives the text back as data.
	visitorAPI := srv.API(t)
	for i, p := range payloads {
		checkJSONData(t, "proposal", visitorAPI.Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d", proposals[i]), nil), p)
		commenter := []string{payloads[(i+1)%n], corpus}
		if hidden(i) {
			commenter = nil // a hidden comment shows neither its author nor its text
		}
		checkJSONData(t, "comments", visitorAPI.Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d/comments", proposals[i]), nil), commenter...)
		checkJSONData(t, "event", visitorAPI.Do(http.MethodGet, fmt.Sprintf("/api/v1/events/%d", events[i]), nil), p, corpus)
		checkJSONData(t, "consultation", visitorAPI.Do(http.MethodGet, fmt.Sprintf("/api/v1/consultations/%d", consultations[i]), nil), p, corpus)
		checkJSONData(t, "consultation results", visitorAPI.Do(http.MethodGet, fmt.Sprintf("/api/v1/consultations/%d/results", consultations[i]), nil), p)
		checkJSONData(t, "poll", visitorAPI.Do(http.MethodGet, fmt.Sprintf("/api/v1/polls/%d", polls[i]), nil), p)
		checkJSONData(t, "me", people[i].Do(http.MethodGet, "/api/v1/me", nil), p)
		checkJSONData(t, "promise", visitorAPI.Do(http.MethodGet, fmt.Sprintf("/api/v1/promises/%d", promises[i]), nil), p, corpus)
	}
	checkJSONData(t, "allies", visitorAPI.Do(http.MethodGet, "/api/v1/allies?limit=100", nil))
	checkJSONData(t, "moderation queue", mod.Do(http.MethodGet, "/api/v1/moderation/queue", nil))
	checkJSONData(t, "people", mod.Do(http.MethodGet, "/api/v1/admin/users", nil))

	// The pages, in Chromium.
	b := NewBrowser(t)
	visitor := b.NewPersonWithin("visitor", 10*time.Minute)
	author := b.NewPersonWithin("author", 5*time.Minute)
	staff := b.NewPersonWithin("moderator", 5*time.Minute)
	signIn(t, author, srv, "xss.0@example.org", "Bardzo-dlugie-haslo-2026")
	signIn(t, staff, srv, "moderator@example.org", seed.DemoPassword)
	for i, p := range payloads {
		shown := []string{p, payloads[(i+1)%n]}
		if hidden(i) {
			shown = shown[:1]
		}
		checkPage(t, visitor, fmt.Sprintf("%s/propozycje/%d", srv.URL, proposals[i]), shown...)
		checkPage(t, visitor, fmt.Sprintf("%s/wydarzenia/%d", srv.URL, events[i]), p)
		checkPage(t, visitor, fmt.Sprintf("%s/konsultacje/%d", srv.URL, consultations[i]), p)
		checkPage(t, visitor, fmt.Sprintf("%s/konsultacje/%d/raport", srv.URL, consultations[i]), p)
		checkPage(t, visitor, fmt.Sprintf("%s/konsultacje/%d/odpowiedzi", srv.URL, consultations[i]), p)
		checkPage(t, visitor, fmt.Sprintf("%s/ankiety/%d", srv.URL, polls[i]), p)
		checkPage(t, visitor, fmt.Sprintf("%s/obietnice/%d", srv.URL, promises[i]), p)
	}
	checkPage(t, visitor, fmt.Sprintf("%s/komentarze/%d", srv.URL, comments[0]), payloads[1])
	checkPage(t, visitor, srv.URL+"/propozycje", payloads[n-1])
	checkPage(t, visitor, srv.URL+"/dzielnice/podgorze", payloads[n-1])
	checkPage(t, visitor, srv.URL+"/wydarzenia", payloads[0])
	checkPage(t, visitor, srv.URL+"/konsultacje")
	checkPage(t, visitor, srv.URL+"/sojusznicy")
	checkPage(t, visitor, srv.URL+"/obietnice", payloads[n-1])
	checkPage(t, visitor, fmt.Sprintf("%s/debaty/%d", srv.URL, debateID), payloads[0])
	checkPage(t, author, fmt.Sprintf("%s/propozycje/%d", srv.URL, proposals[0]), payloads[0], payloads[1])
	checkPage(t, author, fmt.Sprintf("%s/propozycje/%d/edycja", srv.URL, proposals[0]), payloads[0])
	checkPage(t, author, fmt.Sprintf("%s/komentarze/%d/edycja", srv.URL, comments[n-1]))
	checkPage(t, author, srv.URL+"/powiadomienia")
	checkPage(t, author, srv.URL+"/konto", payloads[0])
	for _, c := range cases[:2] {
		// The author sees the case with the public reason and their appeal.
		auth := b.NewPerson("author of a hidden comment")
		signIn(t, auth, srv, fmt.Sprintf("xss.%d@example.org", c[0]), "Bardzo-dlugie-haslo-2026")
		checkPage(t, auth, fmt.Sprintf("%s/moderacja/sprawy/%d", srv.URL, c[1]))
		checkPage(t, staff, fmt.Sprintf("%s/moderacja/sprawy/%d", srv.URL, c[1]))
	}
	checkPage(t, staff, srv.URL+"/moderacja")
	checkPage(t, staff, srv.URL+"/moderacja?powod=appeal")
	checkPage(t, staff, fmt.Sprintf("%s/moderacja/pozycja?typ=comment&id=%d", srv.URL, comments[0]), payloads[1])
	checkPage(t, staff, srv.URL+"/admin/osoby")
	checkPage(t, staff, srv.URL+"/admin/podpisy")
	checkPage(t, staff, srv.URL+"/admin/wydarzenia")
	checkPage(t, staff, fmt.Sprintf("%s/admin/wydarzenia/%d", srv.URL, events[0]), payloads[0])
	checkPage(t, staff, fmt.Sprintf("%s/admin/wydarzenia/%d/zapisy", srv.URL, events[0]))
	checkPage(t, staff, srv.URL+"/admin/konsultacje")
	checkPage(t, staff, fmt.Sprintf("%s/admin/konsultacje/%d", srv.URL, consultations[0]), payloads[0])
	checkPage(t, staff, fmt.Sprintf("%s/debaty/%d/konsola", srv.URL, debateID), payloads[0])
	checkPage(t, staff, fmt.Sprintf("%s/obietnice/%d", srv.URL, promises[0]), payloads[0])
	checkPage(t, staff, srv.URL+"/admin/ankiety")
	checkPage(t, staff, fmt.Sprintf("%s/admin/ankiety/%d", srv.URL, polls[0]), payloads[0])

	// No CSP report reached the server during the run…
	if got := cspReportCount(t, srv); got != 0 {
		t.Errorf("%d CSP violation report(s) arrived while the pages were shown", got)
	}
	// …and one would have: a handler slipped into a page is refused by the CSP, which
	// the browser reports to /csp-report.
	visitor.Open(fmt.Sprintf("%s/propozycje/%d", srv.URL, proposals[0]))
	visitor.takeProblems()
	Get(visitor, chromedp.Evaluate[bool](`document.body.insertAdjacentHTML("beforeend",
		'<img alt="" src="/static/brak-pliku.png" onerror="window.__xss=1">'), true`))
	deadline := time.Now().Add(15 * time.Second)
	for cspReportCount(t, srv) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the control violation was never reported to /csp-report: the check above proves nothing")
		}
		time.Sleep(50 * time.Millisecond) // polling the server's counter, with a deadline
	}
	if Get(visitor, chromedp.Evaluate[bool](`typeof window.__xss !== "undefined"`)) {
		t.Error("the control handler ran despite the CSP")
	}
	visitor.takeProblems()
	t.Logf("%d payloads, %d pages checked in %v", n, xssPagesChecked.Load(), time.Since(began).Round(time.Millisecond))
}
