package server_test

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"lawka/internal/server/servertest"
)

type proposalJSON struct {
	ID              int64
	Title           string
	Body            string
	BodyHTML        string `json:"body_html"`
	Status          string
	Supports        int
	Supported       bool
	NeighbourhoodID int64 `json:"neighbourhood_id"`
	Author          *struct {
		ID          int64
		DisplayName string `json:"display_name"`
	}
}

func districtID(t *testing.T, s *servertest.Running, slug string) int64 {
	t.Helper()
	return scalar[int64](t, s, `SELECT id FROM neighbourhoods WHERE slug = $1`, slug)
}

func newProposal(t *testing.T, a *servertest.API, body map[string]any) proposalJSON {
	t.Helper()
	r := a.Do(http.MethodPost, "/api/v1/proposals", body)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("create proposal: %d %s", r.StatusCode, r.Body)
	}
	var out struct{ Proposal proposalJSON }
	r.JSON(t, &out)
	return out.Proposal
}

// TestProposalLifecycle: a resident writes a proposal in the browser and corrects it;
// the history keeps both versions; a moderator's decision needs an answer, which
// everyone then reads on the page; a decided proposal is no longer edited.
func TestProposalLifecycle(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ola := s.Browser(t)
	ola.SignIn("resident@example.org", "lawka-demo-2026")
	podgorze := strconv.FormatInt(districtID(t, s, "podgorze"), 10)
	form := url.Values{"title": {"Stojaki na rowery przy Rynku Podgórskim"}, "neighbourhood_id": {podgorze},
		"body": {"Przy Rynku Podgórskim brakuje **stojaków na rowery**; rowery stoją przypięte do drzew."}}
	r := ola.Submit("/propozycje/nowa", "/propozycje", form)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.StatusCode, r.Title())
	}
	page := r.Header.Get("Location")
	id := mustAtoi(t, strings.TrimPrefix(strings.Split(page, "?")[0], "/propozycje/"))
	if r := ola.Get(page); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "<strong>stojaków na rowery</strong>") {
		t.Fatalf("proposal page: %d", r.StatusCode)
	}

	form.Set("title", "Stojaki rowerowe przy Rynku Podgórskim")
	if r := ola.Submit(fmt.Sprintf("/propozycje/%d/edycja", id), fmt.Sprintf("/propozycje/%d/edycja", id), form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", r.StatusCode, r.Title())
	}
	history := s.Browser(t).Get(fmt.Sprintf("/propozycje/%d/historia", id))
	if !strings.Contains(history.Body, "Stojaki na rowery przy Rynku Podgórskim") || !strings.Contains(history.Body, "Stojaki rowerowe przy Rynku Podgórskim") {
		t.Fatalf("history does not show both versions: %d", history.StatusCode)
	}

	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", "lawka-demo-2026")
	action := fmt.Sprintf("/propozycje/%d/status", id)
	if r := mod.Submit(fmt.Sprintf("/propozycje/%d", id), action, url.Values{"status": {"under_review"}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `href="#answer"`) {
		t.Fatalf("a decision without an answer: %d", r.StatusCode)
	}
	answer := "Zarząd Dróg sprawdza, czy chodnik przy rynku jest dość szeroki."
	if r := mod.Post(action, url.Values{"status": {"under_review"}, "answer": {answer}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("decision: %d %s", r.StatusCode, r.Title())
	}
	if r := s.Browser(t).Get(fmt.Sprintf("/propozycje/%d", id)); !strings.Contains(r.Body, answer) || !strings.Contains(r.Body, "Rozpatrywana") {
		t.Fatal("the official answer is not on the public page")
	}
	if r := ola.Submit(fmt.Sprintf("/propozycje/%d", id), fmt.Sprintf("/propozycje/%d/edycja", id), form); r.StatusCode != http.StatusConflict {
		t.Fatalf("editing after a decision: %d, want 409", r.StatusCode)
	}
	// Residents cannot decide, whatever they send.
	if r := ola.Post(action, url.Values{"status": {"accepted"}, "answer": {answer}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("the author deciding: %d, want 403", r.StatusCode)
	}
	if n := scalar[int](t, s, `SELECT count(*)::int FROM proposal_status_changes WHERE proposal_id = $1`, id); n != 1 {
		t.Fatalf("%d status changes recorded, want 1", n)
	}
}

// TestProposalBadInput: each mistake is named, nothing is saved.
func TestProposalBadInput(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	a := s.API(t)
	a.Login("resident@example.org", "lawka-demo-2026")
	good := func() map[string]any {
		return map[string]any{"title": "Więcej koszy na śmieci", "body": "Na skwerze przy szkole brakuje koszy na śmieci.",
			"neighbourhood_id": districtID(t, s, "krowodrza")}
	}
	before := scalar[int](t, s, `SELECT count(*)::int FROM proposals`)
	for _, c := range []struct {
		name, field string
		change      func(m map[string]any)
	}{
		{"empty title", "title", func(m map[string]any) { m["title"] = "  " }},
		{"long title", "title", func(m map[string]any) { m["title"] = strings.Repeat("ł", 151) }},
		{"short body", "body", func(m map[string]any) { m["body"] = "za mało" }},
		{"huge body", "body", func(m map[string]any) { m["body"] = strings.Repeat("a", 20001) }},
		{"no district", "neighbourhood_id", func(m map[string]any) { delete(m, "neighbourhood_id") }},
		{"unknown district", "neighbourhood_id", func(m map[string]any) { m["neighbourhood_id"] = 999999 }},
		{"unknown topic", "topic_ids", func(m map[string]any) { m["topic_ids"] = []int64{999999} }},
		{"place outside Kraków", "latitude", func(m map[string]any) { m["latitude"], m["longitude"] = 52.23, 21.01 }},
	} {
		body := good()
		c.change(body)
		r := a.Do(http.MethodPost, "/api/v1/proposals", body)
		var e struct {
			Error struct {
				Code   string
				Fields map[string]string
			}
		}
		r.JSON(t, &e)
		if r.StatusCode != http.StatusUnprocessableEntity || e.Error.Fields[c.field] == "" {
			t.Errorf("%s: %d %s, want 422 naming %s", c.name, r.StatusCode, r.Body, c.field)
		}
	}
	for _, q := range []string{"sort=loudest", "status=lost", "neighbourhood_id=abc", "cursor=%21%21"} {
		if r := a.Do(http.MethodGet, "/api/v1/proposals?"+q, nil); r.StatusCode/100 != 4 {
			t.Errorf("list with %s: %d, want 4xx", q, r.StatusCode)
		}
	}
	if r := s.Browser(t).Get("/propozycje?sort=loudest"); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#sort"`) {
		t.Errorf("list page with an unknown sort: %d", r.StatusCode)
	}
	if after := scalar[int](t, s, `SELECT count(*)::int FROM proposals`); after != before {
		t.Fatalf("%d proposals saved from bad input", after-before)
	}
}

// TestDraftsStayWithTheirAuthor: a draft is seen by its author and the staff only, and
// never listed.
func TestDraftsStayWithTheirAuthor(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	author := s.API(t)
	author.Login("anna.mieszkanka@example.org", "lawka-demo-2026")
	d := newProposal(t, author, map[string]any{"title": "Szkic: ogród społeczny", "draft": true,
		"body": "Ogród społeczny na nieużytku przy torach, jeszcze do dopracowania.", "neighbourhood_id": districtID(t, s, "krowodrza")})
	if d.Status != "draft" {
		t.Fatalf("status %q", d.Status)
	}
	path := fmt.Sprintf("/api/v1/proposals/%d", d.ID)
	other := s.API(t)
	other.Login("resident@example.org", "lawka-demo-2026")
	mod := s.API(t)
	mod.Login("moderator@example.org", "lawka-demo-2026")
	for who, a := range map[string]*servertest.API{"visitor": s.API(t), "another resident": other} {
		if r := a.Do(http.MethodGet, path, nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s reading a draft: %d", who, r.StatusCode)
		}
	}
	for who, a := range map[string]*servertest.API{"author": author, "moderator": mod} {
		if r := a.Do(http.MethodGet, path, nil); r.StatusCode != http.StatusOK {
			t.Errorf("%s reading the draft: %d", who, r.StatusCode)
		}
	}
	if r := s.API(t).Do(http.MethodGet, "/api/v1/proposals?q=ogr%C3%B3d", nil); strings.Contains(r.Body, "Szkic: ogród") {
		t.Fatal("a draft is listed")
	}
	if r := other.Do(http.MethodPost, path+"/support", nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("supporting someone's draft: %d", r.StatusCode)
	}
	r := author.Do(http.MethodPost, path+"/status", map[string]any{"status": "published", "answer": ""})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("publishing the draft: %d %s", r.StatusCode, r.Body)
	}
	if r := s.API(t).Do(http.MethodGet, path, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("the published proposal: %d", r.StatusCode)
	}
}

// TestSupportIsIdempotentAndLive: supporting twice counts once, taking back twice
// removes once, and a viewer of the page sees the count move.
func TestSupportIsIdempotentAndLive(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	author := s.API(t)
	author.Login("anna.mieszkanka@example.org", "lawka-demo-2026")
	p := newProposal(t, author, map[string]any{"title": "Poidełko na skwerze", "body": "Latem na skwerze przydałoby się poidełko z wodą pitną.",
		"neighbourhood_id": districtID(t, s, "krowodrza")})
	viewer := mustDial(t, s, "")
	send(t, viewer, map[string]any{"type": "subscribe", "rooms": []string{fmt.Sprintf("proposal:%d", p.ID)}})
	if m := readMsg(t, viewer); m.Type != "subscribed" {
		t.Fatalf("%+v", m)
	}
	readMsg(t, viewer) // snapshot
	fan := s.API(t)
	fan.Login("resident@example.org", "lawka-demo-2026")
	path := fmt.Sprintf("/api/v1/proposals/%d/support", p.ID)
	for i, c := range []struct {
		method string
		want   string
	}{
		{http.MethodPost, `{"supported":true,"supports":1}`},
		{http.MethodPost, `{"supported":true,"supports":1}`},
		{http.MethodDelete, `{"supported":false,"supports":0}`},
		{http.MethodDelete, `{"supported":false,"supports":0}`},
		{http.MethodPost, `{"supported":true,"supports":1}`},
	} {
		if r := fan.Do(c.method, path, nil); r.StatusCode != http.StatusOK || r.Body != c.want {
			t.Fatalf("step %d %s: %d %s, want %s", i+1, c.method, r.StatusCode, r.Body, c.want)
		}
	}
	for {
		m := readMsg(t, viewer)
		if m.Type == "proposal.supports" && string(m.Data) == `{"supports":1}` {
			break
		}
	}
	if r := s.API(t).Do(http.MethodPost, path, nil); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a visitor supporting: %d", r.StatusCode)
	}
}

// TestProposalTextIsInert: script, event handlers, javascript: links and SVG tricks in
// a title and body come out as text or are removed, in the page and in the API.
func TestProposalTextIsInert(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	a := s.API(t)
	a.Login("resident@example.org", "lawka-demo-2026")
	title := `Ławka <script>alert(1)</script> przy "szkole"`
	body := "Zażółć gęślą jaźń <img src=x onerror=alert(1)> [kliknij](javascript:alert(1)) " +
		"<svg><script>alert(1)</script></svg> <a href=\"data:text/html,<script>alert(1)</script>\">dane</a> " +
		"<iframe src=//evil.example></iframe> — koniec."
	p := newProposal(t, a, map[string]any{"title": title, "body": body, "neighbourhood_id": districtID(t, s, "podgorze")})
	for _, bad := range []string{"<script", "onerror", "javascript:", "<iframe", "data:text/html"} {
		if strings.Contains(strings.ToLower(p.BodyHTML), bad) {
			t.Errorf("body_html keeps %q: %s", bad, p.BodyHTML)
		}
	}
	page := s.Browser(t).Get(fmt.Sprintf("/propozycje/%d", p.ID))
	if page.StatusCode != http.StatusOK {
		t.Fatalf("page %d", page.StatusCode)
	}
	for _, bad := range []string{"<script>alert", "onerror=", `href="javascript:`, "<iframe", "<svg><script"} {
		if strings.Contains(page.Body, bad) {
			t.Errorf("the page carries %q", bad)
		}
	}
	if !strings.Contains(page.Body, "Ławka &lt;script&gt;alert(1)&lt;/script&gt; przy &#34;szkole&#34;") || !strings.Contains(page.Body, "Zażółć gęślą jaźń") {
		t.Error("the title or the Polish text around the payloads is not shown as text")
	}
}

// TestProposalListFiltersAndPages: filters narrow the list, pages follow one another
// without repeats or gaps, and "most supported" orders by supports.
func TestProposalListFiltersAndPages(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	a := s.API(t)
	a.Login("resident@example.org", "lawka-demo-2026")
	district := districtID(t, s, "swoszowice")
	for i := range 5 {
		newProposal(t, a, map[string]any{"title": fmt.Sprintf("Swoszowice, pomysł %d", i+1),
			"body": "Pomysł dla Swoszowic, opisany dość długo, żeby przeszedł.", "neighbourhood_id": district})
	}
	var seen []int64
	next := ""
	for page := 0; page < 10; page++ {
		q := fmt.Sprintf("/api/v1/proposals?neighbourhood_id=%d&limit=2", district)
		if next != "" {
			q += "&cursor=" + next
		}
		r := a.Do(http.MethodGet, q, nil)
		var list struct {
			Items      []proposalJSON
			NextCursor string `json:"next_cursor"`
		}
		r.JSON(t, &list)
		for _, p := range list.Items {
			if p.NeighbourhoodID != district {
				t.Fatalf("filter let through %+v", p)
			}
			seen = append(seen, p.ID)
		}
		if next = list.NextCursor; next == "" {
			break
		}
	}
	if len(seen) != 5 {
		t.Fatalf("pages gave %v, want the 5 proposals once each", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] >= seen[i-1] {
			t.Fatalf("not newest first: %v", seen)
		}
	}
	r := a.Do(http.MethodGet, "/api/v1/proposals?sort=supports", nil)
	var list struct{ Items []proposalJSON }
	r.JSON(t, &list)
	for i := 1; i < len(list.Items); i++ {
		if list.Items[i].Supports > list.Items[i-1].Supports {
			t.Fatalf("not ordered by supports: %d after %d", list.Items[i].Supports, list.Items[i-1].Supports)
		}
	}
	if len(list.Items) == 0 || list.Items[0].Supports == 0 {
		t.Fatal("the demo proposals with supports are missing")
	}
	if r := s.Browser(t).Get("/propozycje?status=accepted"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Lokal po dawnej bibliotece") ||
		strings.Contains(r.Body, "Bezpłatne sale dla NGO") {
		t.Fatalf("status filter on the page: %d", r.StatusCode)
	}
}

// TestProposalSearchForgivesPolishLettersAndTypos: people type without Polish letters,
// only the start of a word, or with a typo, and still find the proposal.
func TestProposalSearchForgivesPolishLettersAndTypos(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	find := func(q string) []string {
		t.Helper()
		r := s.API(t).Do(http.MethodGet, "/api/v1/proposals?q="+url.QueryEscape(q), nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("search %q: %d %s", q, r.StatusCode, r.Body)
		}
		var list struct{ Items []proposalJSON }
		r.JSON(t, &list)
		var titles []string
		for _, p := range list.Items {
			titles = append(titles, p.Title)
		}
		return titles
	}
	for q, want := range map[string]string{
		"lawka dialogu":   "Ławka dialogu na Rynku Podgórskim", // no Polish letters
		"PODGÓR":          "Ławka dialogu na Rynku Podgórskim", // the start of a word, any case
		"bibloteka":       "Lokal po dawnej bibliotece na klub sąsiedzki",
		"sale ngo":        "Bezpłatne sale dla NGO w domach kultury",
		"oswietlenie":     "Lepsze oświetlenie przejścia na Plantach",
		"ukrainy punkt":   "Punkt konsultacyjny dla mieszkańców z Ukrainy", // words in any order
		"seniorami nowej": "Spacery historyczne po Nowej Hucie z seniorami",
	} {
		got := find(q)
		if !slices.Contains(got, want) {
			t.Errorf("search %q found %q, not %q", q, got, want)
		}
	}
	if got := find("lawka xyzzyq"); len(got) != 0 {
		t.Errorf("every word must match: %q", got)
	}
	if got := find(`100% _ \`); len(got) != 0 {
		t.Errorf("LIKE wildcards must be taken literally: %q", got)
	}
}

// TestDistrictAtomFeed: a district's feed is Atom with that district's published
// proposals only, with absolute links and sanitised HTML content.
func TestDistrictAtomFeed(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	r := s.Browser(t).Get("/dzielnice/podgorze/propozycje.atom")
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		Title   string   `xml:"title"`
		Entries []struct {
			Title   string `xml:"title"`
			ID      string `xml:"id"`
			Content string `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(r.Body), &feed); err != nil {
		t.Fatalf("not Atom: %v\n%s", err, r.Body)
	}
	if len(feed.Entries) != 1 || feed.Entries[0].Title != "Ławka dialogu na Rynku Podgórskim" ||
		!strings.HasPrefix(feed.Entries[0].ID, s.URL+"/propozycje/") || !strings.Contains(feed.Entries[0].Content, "<strong>ławkę dialogu</strong>") {
		t.Fatalf("feed entries %+v", feed.Entries)
	}
	if r := s.Browser(t).Get("/dzielnice/atlantyda/propozycje.atom"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("feed of an unknown district: %d", r.StatusCode)
	}
}

// TestProposalAttachments: photos and PDFs go in with the form, are judged by their
// content (not their name), are served so they cannot act as a page of the site, and
// can be removed by editing.
func TestProposalAttachments(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ola := s.Browser(t)
	ola.SignIn("resident@example.org", "lawka-demo-2026")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
	pdf := []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	form := url.Values{"title": {"Mural na ścianie garażu"}, "neighbourhood_id": {strconv.FormatInt(districtID(t, s, "czyzyny"), 10)},
		"body": {"Szara ściana garażu przy szkole mogłaby mieć mural zaprojektowany przez uczniów."}}
	if r := ola.Get("/propozycje/nowa"); r.StatusCode != http.StatusOK {
		t.Fatalf("form %d", r.StatusCode)
	}
	// A script named like a photo is refused by its content; the text typed stays.
	r := ola.PostMultipart("/propozycje", form, servertest.FormFile{Field: "attachments", Name: "zdjecie.png", ContentType: "image/png",
		Content: []byte("<script>alert(1)</script>")})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#attachments"`) || !strings.Contains(r.Body, "Mural na ścianie garażu") {
		t.Fatalf("a disguised file: %d", r.StatusCode)
	}
	r = ola.PostMultipart("/propozycje", form,
		servertest.FormFile{Field: "attachments", Name: "sciana.png", Content: png},
		servertest.FormFile{Field: "attachments", Name: "projekt.pdf", Content: pdf})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("create with files: %d %s", r.StatusCode, r.Title())
	}
	id := mustAtoi(t, strings.TrimPrefix(strings.Split(r.Header.Get("Location"), "?")[0], "/propozycje/"))
	var files struct {
		Proposal struct {
			Attachments []struct {
				ID          int64
				ContentType string `json:"content_type"`
				URL         string
			}
		}
	}
	s.API(t).Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d", id), nil).JSON(t, &files)
	att := files.Proposal.Attachments
	if len(att) != 2 || att[0].ContentType != "image/png" || att[1].ContentType != "application/pdf" {
		t.Fatalf("attachments %+v", att)
	}
	page := s.Browser(t).Get(fmt.Sprintf("/propozycje/%d", id))
	if !strings.Contains(page.Body, `<img src="`+att[0].URL+`"`) || !strings.Contains(page.Body, `href="`+att[1].URL+`" download`) {
		t.Fatal("the page does not show the photo and link the PDF")
	}
	img := s.Browser(t).Get(att[0].URL)
	if img.StatusCode != http.StatusOK || img.Header.Get("Content-Type") != "image/png" || !strings.Contains(img.Header.Get("Content-Security-Policy"), "sandbox") ||
		img.Header.Get("X-Content-Type-Options") != "nosniff" || img.Body != string(png) {
		t.Fatalf("serving the photo: %d %v", img.StatusCode, img.Header)
	}
	if doc := s.Browser(t).Get(att[1].URL); !strings.HasPrefix(doc.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("a PDF must download, not open as a page: %q", doc.Header.Get("Content-Disposition"))
	}
	if r := s.Browser(t).Get(fmt.Sprintf("/propozycje/%d/zalaczniki/%d", id-1, att[0].ID)); r.StatusCode != http.StatusNotFound {
		t.Fatalf("a file through another proposal's address: %d", r.StatusCode)
	}
	edit := fmt.Sprintf("/propozycje/%d/edycja", id)
	form.Set("remove", strconv.FormatInt(att[0].ID, 10))
	if r := ola.Get(edit); r.StatusCode != http.StatusOK {
		t.Fatalf("edit form %d", r.StatusCode)
	}
	if r := ola.PostMultipart(edit, form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("removing a file: %d %s", r.StatusCode, r.Title())
	}
	if r := s.Browser(t).Get(att[0].URL); r.StatusCode != http.StatusNotFound {
		t.Fatalf("a removed file is still served: %d", r.StatusCode)
	}
	if n := scalar[int](t, s, `SELECT count(*)::int FROM files WHERE id = $1`, att[0].ID); n != 0 {
		t.Fatal("a removed attachment's file is still stored")
	}
}

// TestPaperProposal: a moderator types in a proposal handed in on paper, with its scan;
// it is published marked as such and counted with the rest; the scan stays with the
// staff.
func TestPaperProposal(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", "lawka-demo-2026")
	if r := mod.Get("/admin/propozycje/papier"); r.StatusCode != http.StatusOK {
		t.Fatalf("paper form: %d", r.StatusCode)
	}
	form := url.Values{"paper_author": {"Helena Wiśniewska"}, "title": {"Ławka przy przystanku Rondo Kocmyrzowskie"},
		"body":             {"Starsi mieszkańcy czekają na autobus na stojąco; prosimy o ławkę z oparciem."},
		"neighbourhood_id": {strconv.FormatInt(districtID(t, s, "nowa-huta"), 10)}}
	scan := []byte("%PDF-1.4\n%formularz\n")
	r := mod.PostMultipart("/admin/propozycje/papier", form, servertest.FormFile{Field: "scan", Name: "formularz.pdf", Content: scan})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("filing a paper proposal: %d %s", r.StatusCode, r.Title())
	}
	id := mustAtoi(t, strings.TrimPrefix(strings.Split(r.Header.Get("Location"), "?")[0], "/propozycje/"))
	public := s.Browser(t).Get(fmt.Sprintf("/propozycje/%d", id))
	if !strings.Contains(public.Body, "Helena Wiśniewska") || !strings.Contains(public.Body, "złożona na papierze") || strings.Contains(public.Body, "/skan") {
		t.Fatal("the public page must show the paper mark and the name, and no link to the scan")
	}
	if page := mod.Get(fmt.Sprintf("/propozycje/%d", id)); !strings.Contains(page.Body, fmt.Sprintf("/propozycje/%d/skan", id)) {
		t.Fatal("the moderator's page has no link to the scan")
	}
	if got := mod.Get(fmt.Sprintf("/propozycje/%d/skan", id)); got.StatusCode != http.StatusOK || got.Body != string(scan) {
		t.Fatalf("the moderator reading the scan: %d", got.StatusCode)
	}
	resident := s.Browser(t)
	resident.SignIn("resident@example.org", "lawka-demo-2026")
	if got := resident.Get(fmt.Sprintf("/propozycje/%d/skan", id)); got.StatusCode != http.StatusForbidden {
		t.Fatalf("a resident reading the scan: %d", got.StatusCode)
	}
	if r := resident.Submit("/propozycje", "/admin/propozycje/papier", form); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a resident filing a paper proposal: %d", r.StatusCode)
	}
	st := scalar[string](t, s, `SELECT channel || ' ' || status || ' ' || (author_id IS NULL)::text || ' ' ||
		(entered_by = (SELECT id FROM users WHERE email = 'moderator@example.org'))::text FROM proposals WHERE id = $1`, id)
	if st != "paper published true true" {
		t.Fatalf("stored as %q", st)
	}
	if n := scalar[int](t, s, `SELECT count(*)::int FROM audit_log WHERE action = 'proposal.paper' AND target_id = $1`, id); n != 1 {
		t.Fatalf("%d audit entries for the paper proposal", n)
	}
}

// TestProposalsCountAndSortByComments: a proposal carries its number of comments, and
// "most commented" orders by it.
func TestProposalsCountAndSortByComments(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	a := s.API(t)
	a.Login("resident@example.org", "lawka-demo-2026")
	p := newProposal(t, a, map[string]any{"title": "Tablica ogłoszeń na osiedlu", "neighbourhood_id": districtID(t, s, "mistrzejowice"),
		"body": "Tablica na ogłoszenia sąsiedzkie przy wejściu do parku."})
	for i, stance := range []string{"for", "for", "against"} {
		r := a.Do(http.MethodPost, fmt.Sprintf("/api/v1/proposals/%d/comments", p.ID), map[string]any{"body": fmt.Sprintf("Komentarz numer %d do tablicy.", i+1), "stance": stance})
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("comment %d: %d %s", i+1, r.StatusCode, r.Body)
		}
	}
	var withCount struct {
		Proposal struct{ Comments int }
	}
	a.Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d", p.ID), nil).JSON(t, &withCount)
	if withCount.Proposal.Comments != 3 {
		t.Fatalf("comments = %d, want 3", withCount.Proposal.Comments)
	}
	var list struct {
		Items []struct {
			ID       int64
			Comments int
		}
		NextCursor string `json:"next_cursor"`
	}
	a.Do(http.MethodGet, "/api/v1/proposals?sort=comments&limit=3", nil).JSON(t, &list)
	if len(list.Items) == 0 {
		t.Fatal("no proposals")
	}
	for i := 1; i < len(list.Items); i++ {
		if list.Items[i].Comments > list.Items[i-1].Comments {
			t.Fatalf("not ordered by comments: %+v", list.Items)
		}
	}
	last := list.Items[len(list.Items)-1]
	var next struct {
		Items []struct {
			ID       int64
			Comments int
		}
	}
	a.Do(http.MethodGet, "/api/v1/proposals?sort=comments&limit=3&cursor="+list.NextCursor, nil).JSON(t, &next)
	for _, it := range next.Items {
		if it.Comments > last.Comments || it.Comments == last.Comments && it.ID >= last.ID {
			t.Fatalf("the next page repeats or jumps back: %+v after %+v", it, last)
		}
	}
}

// TestDraftCannotBeWithdrawnIntoPublic: a withdrawn proposal is public, so a draft is
// never withdrawn — it stays its author's until published.
func TestDraftCannotBeWithdrawnIntoPublic(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	a := s.API(t)
	a.Login("anna.mieszkanka@example.org", "lawka-demo-2026")
	d := newProposal(t, a, map[string]any{"title": "Szkic prywatny", "draft": true,
		"body": "Szkic, którego nikt poza autorką nie powinien zobaczyć.", "neighbourhood_id": districtID(t, s, "krowodrza")})
	r := a.Do(http.MethodPost, fmt.Sprintf("/api/v1/proposals/%d/status", d.ID), map[string]any{"status": "withdrawn", "answer": ""})
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("withdrawing a draft: %d %s", r.StatusCode, r.Body)
	}
	if r := s.API(t).Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d", d.ID), nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("the draft is visible: %d", r.StatusCode)
	}
	for _, bad := range []map[string]any{
		{"title": "Zły\x00tytuł", "body": "Treść propozycji wystarczająco długa.", "neighbourhood_id": districtID(t, s, "krowodrza")},
	} {
		if r := a.Do(http.MethodPost, "/api/v1/proposals", bad); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a NUL in the title: %d %s", r.StatusCode, r.Body)
		}
	}
}

// TestAuthorDiscardsADraft: the author deletes their draft with its versions and files;
// nobody else can, and a published proposal is not deleted (it is withdrawn).
func TestAuthorDiscardsADraft(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	anna := s.Browser(t)
	anna.SignIn("anna.mieszkanka@example.org", "lawka-demo-2026")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	form := url.Values{"title": {"Szkic do usunięcia"}, "draft": {"yes"}, "neighbourhood_id": {strconv.FormatInt(districtID(t, s, "krowodrza"), 10)},
		"body": {"Szkic, który autorka zaraz usunie razem ze zdjęciem."}}
	if r := anna.Get("/propozycje/nowa"); r.StatusCode != http.StatusOK {
		t.Fatalf("form %d", r.StatusCode)
	}
	r := anna.PostMultipart("/propozycje", form, servertest.FormFile{Field: "attachments", Name: "a.png", Content: png})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("draft: %d %s", r.StatusCode, r.Title())
	}
	id := mustAtoi(t, strings.TrimPrefix(strings.Split(r.Header.Get("Location"), "?")[0], "/propozycje/"))
	file := scalar[int64](t, s, `SELECT file_id FROM proposal_attachments WHERE proposal_id = $1`, id)
	page := fmt.Sprintf("/propozycje/%d", id)

	mod := s.API(t)
	mod.Login("moderator@example.org", "lawka-demo-2026")
	if r := mod.Do(http.MethodDelete, "/api/v1"+strings.Replace(page, "propozycje", "proposals", 1), nil); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a moderator deleting someone's draft: %d", r.StatusCode)
	}
	r = anna.Submit(page, page+"/usun", nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("discarding: %d", r.StatusCode)
	}
	if list := anna.Get(r.Header.Get("Location")); !strings.Contains(list.Body, "Szkic usunięty") {
		t.Fatal("no word that the draft was deleted")
	}
	if n := scalar[int](t, s, `SELECT (SELECT count(*) FROM proposals WHERE id = $1) + (SELECT count(*) FROM files WHERE id = $2)
		+ (SELECT count(*) FROM proposal_revisions WHERE proposal_id = $1)`, id, file); n != 0 {
		t.Fatalf("%d rows of the discarded draft remain", n)
	}
	api := s.API(t)
	api.Login("anna.mieszkanka@example.org", "lawka-demo-2026")
	pub := newProposal(t, api, map[string]any{"title": "Opublikowana od razu",
		"body": "Ta propozycja jest publiczna i nie zniknie.", "neighbourhood_id": districtID(t, s, "krowodrza")})
	if r := api.Do(http.MethodDelete, fmt.Sprintf("/api/v1/proposals/%d", pub.ID), nil); r.StatusCode != http.StatusConflict {
		t.Fatalf("deleting a published proposal: %d %s", r.StatusCode, r.Body)
	}
	if n := scalar[int](t, s, `SELECT count(*)::int FROM proposals WHERE id = $1`, pub.ID); n != 1 {
		t.Fatal("a published proposal was deleted")
	}
}
