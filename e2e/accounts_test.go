package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"lawka/internal/platform/mail"
	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// Accounts and the coalition, as people use them: registering, confirming the address,
// signing the Declaration, moderation, the public list of allies.

// TestJourneySignDeclarationForOrganisation: a new resident registers, confirms their
// address, and signs the Declaration for their foundation with a scan; a moderator
// confirms that signature; the foundation is then a public ally and the resident an
// advocate and member.
func TestJourneySignDeclarationForOrganisation(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	browser := NewBrowser(t)

	zofia := newResident{
		DisplayName: "Zofia z Podgórza",
		Email:       "zofia.testowa@example.org",
		Password:    "kilka słów na hasło",
		District:    "XIII Podgórze",
	}
	foundation := organisationSigning{
		Name:         "Fundacja Testowa Ławeczka",
		Kind:         "ngo",
		KindText:     "organizacja pozarządowa",
		KRS:          "123456",
		District:     "XIII Podgórze",
		AllyDistrict: "Podgórze",
		FullName:     "Zofia Testowa",
		Role:         "prezeska",
		Scan:         writeScan(t),
	}

	// The resident comes back after the moderator's turn: their deadline spans both.
	resident := browser.NewPersonWithin("resident", 3*Timeout)
	registerWithEmptyForm(t, resident, srv)
	register(t, resident, srv, zofia)
	confirmEmailFromMail(t, resident, srv, zofia.Email)
	signForOrganisation(t, resident, srv, foundation)
	if krs := orgKRS(t, srv, foundation.Name); krs != "0000123456" {
		t.Errorf("KRS stored as %q, want the typed %q padded to 0000123456", krs, foundation.KRS)
	}
	sigID := orgSignatureID(t, srv, foundation.Name)

	moderator := browser.NewPerson("moderator")
	signIn(t, moderator, srv, "moderator@example.org", seed.DemoPassword)
	confirmSignatureInQueue(t, moderator, srv, sigID, foundation, zofia.Email)

	visitor := browser.NewPerson("signed-out visitor")
	findAllyOnPublicList(t, visitor, srv, foundation)

	seeOwnSignatureStatus(t, resident, srv, foundation.Name, "potwierdzony")
	checkAdvocateMember(t, resident, srv, zofia.Email)
}

type newResident struct{ DisplayName, Email, Password, District string }

type organisationSigning struct {
	Name, Kind, KindText, KRS, FullName, Role string
	District                                  string // as the form's select offers it
	AllyDistrict                              string // as the list of allies names it
	Scan                                      string // path of the file to upload
}

// registerWithEmptyForm opens the registration form, checks it, and sends it empty: the
// page comes back with an error summary that has the focus and links to each field.
func registerWithEmptyForm(t *testing.T, p *Person, srv *servertest.Running) {
	t.Helper()
	if status := p.Open(srv.URL + "/rejestracja"); status != 200 {
		t.Fatalf("GET /rejestracja: status %d", status)
	}
	if h1 := Get(p, chromedp.Text(chromedp.CSS("h1"))); h1 != "Załóż konto" {
		t.Errorf("registration h1 = %q", h1)
	}
	CheckA11y(t, p.Ctx, "registration form")
	p.CheckConsole("registration form")

	if status := clickThrough(p, button("Załóż konto")); status != 422 {
		t.Errorf("the empty registration form answered %d, want 422", status)
	}
	if title := Get(p, chromedp.Title()); !strings.HasPrefix(title, "Błąd:") {
		t.Errorf("title of the form with errors = %q, want it to start with %q", title, "Błąd:")
	}
	waitFor(p, "the error summary (role=alert) to have the focus",
		`document.activeElement && document.activeElement.matches(".error-summary[role=alert]")`)
	type link struct {
		Href        string `json:"href"`
		Text        string `json:"text"`
		TargetFound bool   `json:"targetFound"`
	}
	links := Get(p, chromedp.Evaluate[[]link](`[...document.querySelectorAll("[role=alert] a")].map(a => ({
  href: a.getAttribute("href"), text: a.textContent.trim(),
  targetFound: !!document.getElementById(a.getAttribute("href").slice(1))}))`))
	var hrefs []string
	for _, l := range links {
		hrefs = append(hrefs, l.Href)
		if !l.TargetFound || l.Text == "" {
			t.Errorf("error summary link %q (%q) does not lead to a field", l.Href, l.Text)
		}
	}
	if want := []string{"#display_name", "#email", "#password", "#accept_terms"}; !slices.Equal(hrefs, want) {
		t.Errorf("error summary links to %v, want %v (in the form's order)", hrefs, want)
	}
	for _, id := range []string{"display_name", "email", "password", "accept_terms"} {
		if v := Get(p, chromedp.AttributeValue(chromedp.ID(id), "aria-invalid")).Value; v != "true" {
			t.Errorf("#%s: aria-invalid=%q after the empty submission, want true", id, v)
		}
	}
	CheckA11y(t, p.Ctx, "registration form with errors")
	p.CheckConsole("registration form with errors")
}

// register fills the registration form and lands signed in on their account page.
func register(t *testing.T, p *Person, srv *servertest.Running, r newResident) {
	t.Helper()
	p.Do(
		chromedp.SendKeys(chromedp.ID("display_name"), r.DisplayName),
		chromedp.SendKeys(chromedp.ID("email"), r.Email),
		chromedp.SendKeys(chromedp.ID("password"), r.Password),
	)
	chooseOption(p, "neighbourhood_id", r.District)
	p.Do(chromedp.Click(chromedp.CSS(`label[for="accept_terms"]`)))
	if !Get(p, chromedp.JavascriptAttribute[bool](chromedp.ID("accept_terms"), "checked")) {
		t.Fatal("clicking the terms' label did not tick the checkbox")
	}
	if status := clickThrough(p, button("Załóż konto")); status != 200 {
		t.Fatalf("registering: status %d on %s\n%.500s", status, location(p), Get(p, chromedp.Text(chromedp.CSS("main"))))
	}
	if path := location(p).Path; path != "/konto" {
		t.Fatalf("after registering the resident is on %s, want /konto", path)
	}
	if who := Get(p, chromedp.Text(chromedp.CSS(".account-link"))); !strings.Contains(who, r.DisplayName) {
		t.Errorf("the header shows %q, want the new resident %q signed in", who, r.DisplayName)
	}
	if notice := Get(p, chromedp.Text(chromedp.CSS("main [role=status]"))); !strings.Contains(notice, r.Email) {
		t.Errorf("the welcome notice %q does not name the address the link went to", notice)
	}
	p.CheckConsole("account page after registering")
}

var confirmLink = regexp.MustCompile(`https?://\S+/potwierdz-email\?token=\S+`)

// confirmEmailFromMail opens the confirmation link mailed to email and presses the button.
func confirmEmailFromMail(t *testing.T, p *Person, srv *servertest.Running, email string) {
	t.Helper()
	msgs, err := mail.Recent(context.Background(), srv.Pool, 20)
	if err != nil {
		t.Fatal(err)
	}
	link := ""
	for _, m := range msgs {
		if m.To == email {
			link = confirmLink.FindString(m.Body)
			break
		}
	}
	if link == "" {
		t.Fatalf("no confirmation link mailed to %s among %d recent messages", email, len(msgs))
	}
	if !strings.HasPrefix(link, srv.URL+"/") {
		t.Errorf("the confirmation link %s is not on the public URL %s", link, srv.URL)
	}
	if status := p.Open(link); status != 200 {
		t.Fatalf("opening the confirmation link: status %d", status)
	}
	if status := clickThrough(p, button("Potwierdzam adres e-mail")); status != 200 {
		t.Fatalf("confirming the address: status %d", status)
	}
	if h1 := Get(p, chromedp.Text(chromedp.CSS("h1"))); h1 != "Adres e-mail potwierdzony" {
		t.Errorf("after confirming, h1 = %q", h1)
	}
	want := "Adres " + email + " jest potwierdzony"
	if msg := Get(p, chromedp.Text(chromedp.CSS("main [role=status]"))); !strings.Contains(msg, want) {
		t.Errorf("after confirming the page says %q, want %q", msg, want)
	}
	p.CheckConsole("address confirmed")
}

// signForOrganisation goes from the Declaration to the organisation form, fills it with
// a scan and sends it: the signature waits for moderation.
func signForOrganisation(t *testing.T, p *Person, srv *servertest.Running, o organisationSigning) {
	t.Helper()
	p.Open(srv.URL + "/deklaracja")
	clickThrough(p, link("Podpisz Deklarację"))
	if path := location(p).Path; path != "/deklaracja/podpisz" {
		t.Fatalf("“Podpisz Deklarację” led to %s", path)
	}
	clickThrough(p, link("Podpisuję w imieniu organizacji"))
	if path := location(p).Path; path != "/deklaracja/podpisz/organizacja" {
		t.Fatalf("“Podpisuję w imieniu organizacji” led to %s", path)
	}
	CheckA11y(t, p.Ctx, "organisation signing form")
	p.CheckConsole("organisation signing form")

	p.Do(chromedp.SendKeys(chromedp.ID("name"), o.Name))
	p.Do(chromedp.Click(chromedp.CSS(`label[for="type-` + o.Kind + `"]`)))
	p.Do(chromedp.SendKeys(chromedp.ID("krs"), o.KRS))
	chooseOption(p, "neighbourhood_id", o.District)
	p.Do(
		chromedp.SendKeys(chromedp.ID("full_name"), o.FullName),
		chromedp.SendKeys(chromedp.ID("role_title"), o.Role),
		chromedp.Click(chromedp.CSS(`label[for="authority_confirmed"]`)),
		chromedp.SetUploadFiles(chromedp.ID("scan"), []string{o.Scan}),
	)
	type state struct {
		Kind      string `json:"kind"`
		Authority bool   `json:"authority"`
		Public    bool   `json:"public"`
		Files     int    `json:"files"`
	}
	s := Get(p, chromedp.Evaluate[state](`({
  kind: (document.querySelector("input[name=type]:checked") || {}).value || "",
  authority: document.getElementById("authority_confirmed").checked,
  public: document.getElementById("list_publicly").checked,
  files: document.getElementById("scan").files.length})`))
	if s.Kind != o.Kind || !s.Authority || !s.Public || s.Files != 1 {
		t.Fatalf("the filled form: %+v, want type %s, authority ticked, listed publicly (the default), one file", s, o.Kind)
	}

	if status := clickThrough(p, button("Podpisuję w imieniu organizacji")); status != 200 {
		t.Fatalf("signing: status %d on %s\n%.800s", status, location(p), Get(p, chromedp.Text(chromedp.CSS("main"))))
	}
	if path := location(p).Path; path != "/konto/podpisy" {
		t.Fatalf("after signing the resident is on %s, want /konto/podpisy", path)
	}
	const thanks = "Podpis czeka na potwierdzenie przez moderację"
	if notice := Get(p, chromedp.Text(chromedp.CSS("main [role=status]"))); !strings.Contains(notice, thanks) {
		t.Errorf("after signing the page says %q, want %q", notice, thanks)
	}
	checkOwnSignatureStatus(t, p, o.Name, "czeka na potwierdzenie")
}

// seeOwnSignatureStatus opens the person's list of signatures and checks the
// organisation's status there.
func seeOwnSignatureStatus(t *testing.T, p *Person, srv *servertest.Running, org, status string) {
	t.Helper()
	if code := p.Open(srv.URL + "/konto/podpisy"); code != 200 {
		t.Fatalf("GET /konto/podpisy: status %d", code)
	}
	checkOwnSignatureStatus(t, p, org, status)
}

// checkOwnSignatureStatus finds the organisation's signature on the list of signatures
// open in the tab and checks its status; it checks the page too.
func checkOwnSignatureStatus(t *testing.T, p *Person, org, status string) {
	t.Helper()
	type record struct {
		Heading string `json:"heading"`
		Status  string `json:"status"`
		Scan    bool   `json:"scan"`
	}
	records := Get(p, chromedp.Evaluate[[]record](`[...document.querySelectorAll("main article")].map(a => ({
  heading: a.querySelector("h2").textContent.trim(),
  status: (a.querySelector(".tag") || {textContent: ""}).textContent.trim(),
  scan: !!a.querySelector('a[href$="/skan"]')}))`))
	var found *record
	for i := range records {
		if records[i].Heading == org {
			found = &records[i]
		}
	}
	switch {
	case found == nil:
		t.Errorf("/konto/podpisy does not list %q; it lists %+v", org, records)
	case !strings.Contains(found.Status, status):
		t.Errorf("/konto/podpisy: %q has the status %q, want %q", org, found.Status, status)
	case !found.Scan:
		t.Errorf("/konto/podpisy: %q offers no link to its scan", org)
	}
	CheckA11y(t, p.Ctx, "my signatures ("+status+")")
	p.CheckConsole("my signatures (" + status + ")")
}

// signIn signs in through the form.
func signIn(t *testing.T, p *Person, srv *servertest.Running, email, password string) {
	t.Helper()
	p.Open(srv.URL + "/logowanie")
	p.Do(
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	if status := clickThrough(p, button("Zaloguj się")); status != 200 {
		t.Fatalf("%s signing in: status %d", email, status)
	}
	if n := Get(p, chromedp.Evaluate[int](`document.querySelectorAll(".account-link").length`)); n != 1 {
		t.Fatalf("%s is not signed in after the form (on %s)", email, location(p))
	}
	p.CheckConsole("after signing in")
}

// confirmSignatureInQueue: the moderator finds the signature in the queue, sees its scan
// link, and presses the Potwierdź button whose accessible name names the organisation.
func confirmSignatureInQueue(t *testing.T, p *Person, srv *servertest.Running, sigID int64, o organisationSigning, signer string) {
	t.Helper()
	if status := p.Open(srv.URL + "/admin/podpisy"); status != 200 {
		t.Fatalf("GET /admin/podpisy: status %d", status)
	}
	type entry struct {
		Text string `json:"text"`
		Scan string `json:"scan"`
	}
	e := Get(p, chromedp.Evaluate[entry](fmt.Sprintf(`(() => {
  const a = document.getElementById(%q)?.closest("article");
  if (!a) return {text: "", scan: ""};
  const scan = a.querySelector('a[href$="/skan"]');
  return {text: a.innerText, scan: scan ? scan.getAttribute("href") : ""};
})()`, fmt.Sprintf("sig-%d", sigID))))
	if e.Text == "" {
		t.Fatalf("the queue does not show signature %d (%s)", sigID, o.Name)
	}
	for _, want := range []string{o.Name, o.KindText, o.FullName + ", " + o.Role, signer} {
		if !strings.Contains(e.Text, want) {
			t.Errorf("the queue's entry for %s lacks %q:\n%s", o.Name, want, e.Text)
		}
	}
	if want := fmt.Sprintf("/admin/podpisy/%d/skan", sigID); e.Scan != want {
		t.Errorf("the queue's scan link is %q, want %q", e.Scan, want)
	}
	CheckA11y(t, p.Ctx, "signature queue")
	p.CheckConsole("signature queue")

	confirm := accessibleNames(p, "button", func(name string) bool {
		return strings.HasPrefix(name, "Potwierdź") && strings.Contains(name, o.Name)
	})
	if len(confirm) != 1 {
		t.Fatalf("want one Potwierdź button naming %q, found %q", o.Name, confirm)
	}
	if status := clickThrough(p, button(confirm[0])); status != 200 {
		t.Fatalf("confirming: status %d", status)
	}
	if loc := location(p); loc.Path != "/admin/podpisy" || loc.Query().Get("done") != "confirmed" {
		t.Errorf("after confirming the moderator is on %s", loc)
	}
	var status string
	if err := srv.Pool.QueryRow(context.Background(), `SELECT status FROM signatures WHERE id = $1`, sigID).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if status != "confirmed" {
		t.Errorf("signature %d is %q after the moderator's click, want confirmed", sigID, status)
	}
	p.CheckConsole("queue after confirming")
}

// findAllyOnPublicList: anyone sees the organisation on /sojusznicy, its type in words.
func findAllyOnPublicList(t *testing.T, p *Person, srv *servertest.Running, o organisationSigning) {
	t.Helper()
	if status := p.Open(srv.URL + "/sojusznicy"); status != 200 {
		t.Fatalf("GET /sojusznicy: status %d", status)
	}
	items := Get(p, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".ally-list li")].map(li => li.innerText.replace(/\s+/g, " ").trim())`))
	var item string
	for _, it := range items {
		if strings.Contains(it, o.Name) {
			item = it
		}
	}
	if item == "" {
		t.Errorf("/sojusznicy does not list %q: %q", o.Name, items)
	} else if want := o.KindText + " · " + o.AllyDistrict; !strings.Contains(item, want) {
		t.Errorf("/sojusznicy shows %q, want its type and district as text, %q", item, want)
	}
	CheckA11y(t, p.Ctx, "allies")
	p.CheckConsole("allies")
}

// checkAdvocateMember asks the API, with the page's own cookie, who the person is now.
func checkAdvocateMember(t *testing.T, p *Person, srv *servertest.Running, email string) {
	t.Helper()
	type me struct {
		User struct {
			Email  string   `json:"email"`
			Roles  []string `json:"roles"`
			Member bool     `json:"member"`
		} `json:"user"`
	}
	got := Get(p, chromedp.Evaluate[me](`fetch("/api/v1/me", {credentials: "same-origin", headers: {Accept: "application/json"}})
  .then(r => r.ok ? r.json() : r.text().then(b => Promise.reject(new Error("GET /api/v1/me: " + r.status + " " + b))))`,
		chromedp.EvalAwaitPromise))
	if got.User.Email != email {
		t.Errorf("/api/v1/me is %q, want %q", got.User.Email, email)
	}
	if !got.User.Member {
		t.Errorf("/api/v1/me: member = false after the organisation's signature was confirmed")
	}
	if !slices.Contains(got.User.Roles, "advocate") {
		t.Errorf("/api/v1/me: roles %q lack advocate after the organisation's signature was confirmed", got.User.Roles)
	}
	p.CheckConsole("after asking /api/v1/me")
}

// Helpers.

// writeScan writes a tiny PDF (enough for content sniffing) to a temporary directory.
func writeScan(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deklaracja-podpisana.pdf")
	if err := os.WriteFile(path, []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func orgKRS(t *testing.T, srv *servertest.Running, name string) string {
	t.Helper()
	var krs *string
	if err := srv.Pool.QueryRow(context.Background(), `SELECT krs FROM organisations WHERE name = $1`, name).Scan(&krs); err != nil {
		t.Fatalf("organisation %q: %v", name, err)
	}
	if krs == nil {
		return ""
	}
	return *krs
}

func orgSignatureID(t *testing.T, srv *servertest.Running, name string) int64 {
	t.Helper()
	var id int64
	if err := srv.Pool.QueryRow(context.Background(), `SELECT s.id FROM signatures s
		JOIN organisations o ON o.id = s.organisation_id WHERE o.name = $1`, name).Scan(&id); err != nil {
		t.Fatalf("signature of %q: %v", name, err)
	}
	return id
}

// target is an element found the way assistive technology finds it: by role and name.
type target struct {
	role, name string
}

func button(name string) target { return target{"button", name} }
func link(name string) target   { return target{"link", name} }

// query makes a chromedp query option that selects the elements whose computed role and
// accessible name (Chromium's accessibility tree) match exactly.
func (tg target) query() chromedp.QueryOption {
	return chromedp.ByFunc(func(ctx context.Context, t *chromedp.Target, n *chromedp.Node) ([]cdp.NodeID, error) {
		res, err := cdp.Call(ctx, t, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{
			NodeID: n.NodeID, Role: tg.role, AccessibleName: tg.name,
		})
		if err != nil {
			return nil, err
		}
		return pushAXNodes(ctx, t, res.Nodes)
	})
}

func pushAXNodes(ctx context.Context, t *chromedp.Target, nodes []*accessibility.Node) ([]cdp.NodeID, error) {
	var backend []cdp.BackendNodeID
	for _, ax := range nodes {
		if !ax.Ignored && ax.BackendDOMNodeID != 0 {
			backend = append(backend, ax.BackendDOMNodeID)
		}
	}
	if len(backend) == 0 {
		return nil, nil
	}
	res, err := cdp.Call(ctx, t, dom.PushNodesByBackendIDsToFrontend, dom.PushNodesByBackendIDsToFrontendParams{BackendNodeIDs: backend})
	return res.NodeIDs, err
}

// accessibleNames lists the accessible names of the page's elements of a role that match.
// (It starts from the document as a JavaScript object: DOM.getDocument would renumber
// the nodes under chromedp's feet.)
func accessibleNames(p *Person, role string, match func(string) bool) []string {
	p.t.Helper()
	return Get(p, chromedp.Action[[]string](func(ctx context.Context, t *chromedp.Target) ([]string, error) {
		doc, err := cdp.Call(ctx, t, runtime.Evaluate, runtime.EvaluateParams{Expression: "document"})
		if err != nil {
			return nil, err
		}
		if doc.Result == nil || doc.Result.ObjectID == "" {
			return nil, fmt.Errorf("no document to search for %ss", role)
		}
		defer cdp.Call(ctx, t, runtime.ReleaseObject, runtime.ReleaseObjectParams{ObjectID: doc.Result.ObjectID})
		res, err := cdp.Call(ctx, t, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{
			ObjectID: doc.Result.ObjectID, Role: role,
		})
		if err != nil {
			return nil, err
		}
		var names []string
		for _, ax := range res.Nodes {
			if ax.Ignored || ax.Name == nil {
				continue
			}
			var name string
			if err := json.Unmarshal(ax.Name.Value, &name); err != nil {
				return nil, fmt.Errorf("the accessible name %s: %w", ax.Name.Value, err)
			}
			if match(name) {
				names = append(names, name)
			}
		}
		return names, nil
	}))
}

// clickThrough clicks the element and waits for the page it leads to; it returns the
// HTTP status of that page.
func clickThrough(p *Person, tg target) int {
	p.t.Helper()
	res, err := chromedp.RunResponse(p.Ctx, chromedp.Click(tg.role+" "+tg.name, tg.query()))
	if err != nil {
		p.t.Fatalf("e2e: %s: clicking the %s %q: %v", p.name, tg.role, tg.name, err)
	}
	if res == nil {
		p.t.Fatalf("e2e: %s: clicking the %s %q loaded no page", p.name, tg.role, tg.name)
	}
	return int(res.Status)
}

// chooseOption picks, in the select with this id, the option labelled text.
func chooseOption(p *Person, selectID, text string) {
	p.t.Helper()
	args, _ := json.Marshal([]string{selectID, text})
	ok := Get(p, chromedp.Evaluate[bool](fmt.Sprintf(`(([id, text]) => {
  const s = document.getElementById(id);
  const o = s && [...s.options].find(o => o.text.trim() === text);
  if (!o) return false;
  s.value = o.value;
  s.dispatchEvent(new Event("input", {bubbles: true}));
  s.dispatchEvent(new Event("change", {bubbles: true}));
  return true;
})(%s)`, args)))
	if !ok {
		p.t.Fatalf("e2e: %s: the select #%s has no option %q", p.name, selectID, text)
	}
}

// waitFor waits until the JavaScript condition holds on the page, and fails saying what
// was awaited if it does not within five seconds.
func waitFor(p *Person, what, condition string) {
	p.t.Helper()
	_, err := chromedp.Run(p.Ctx, chromedp.Poll[chromedp.Void](condition, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		active, _ := chromedp.Run(p.Ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : "none"`))
		p.t.Fatalf("e2e: %s: waiting for %s: %v (the focus is on %s)", p.name, what, err, active)
	}
}

// location is the address of the page open in the person's tab.
func location(p *Person) *url.URL {
	p.t.Helper()
	u, err := url.Parse(Get(p, chromedp.Location()))
	if err != nil {
		p.t.Fatal(err)
	}
	return u
}
