package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"lawka/internal/server/servertest"
)

const demoPassword = "lawka-demo-2026"

type commentJSON struct {
	ID          int64
	ParentID    *int64 `json:"parent_id"`
	Depth       int
	Stance      string
	Body        string
	BodyHTML    string `json:"body_html"`
	Status      string
	Channel     string
	Up, Down    int
	Score       int
	MyVote      int    `json:"my_vote"`
	ReplyCount  int    `json:"reply_count"`
	MoreReplies int    `json:"more_replies"`
	AuthorName  string `json:"author_name"`
	Author      *struct {
		ID          int64
		DisplayName string `json:"display_name"`
	}
	Replies []commentJSON
}

type commentListJSON struct {
	Items      []commentJSON
	NextCursor string `json:"next_cursor"`
}

func signedInAPI(t *testing.T, s *servertest.Running, email string) *servertest.API {
	t.Helper()
	a := s.API(t)
	a.Login(email, demoPassword)
	return a
}

func postComment(t *testing.T, a *servertest.API, proposal int64, body map[string]any) commentJSON {
	t.Helper()
	r := a.Do(http.MethodPost, fmt.Sprintf("/api/v1/proposals/%d/comments", proposal), body)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("post comment %v: %d %s", body, r.StatusCode, r.Body)
	}
	var out struct{ Comment commentJSON }
	r.JSON(t, &out)
	return out.Comment
}

func listComments(t *testing.T, a *servertest.API, proposal int64, query string) commentListJSON {
	t.Helper()
	r := a.Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d/comments%s", proposal, query), nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("list comments: %d %s", r.StatusCode, r.Body)
	}
	var out commentListJSON
	r.JSON(t, &out)
	return out
}

func testProposal(t *testing.T, s *servertest.Running, a *servertest.API, title string) int64 {
	t.Helper()
	return newProposal(t, a, map[string]any{"title": title, "neighbourhood_id": districtID(t, s, "podgorze"),
		"body": "Propozycja do rozmowy w komentarzach: " + title + ". Prosimy o opinie sąsiadów."}).ID
}

// TestCommentsThreadVotesAndLive: over the API, residents comment and reply; everyone
// watching the proposal's room gets each new comment; the list nests replies, carries
// the viewer's own vote and sorts by it.
func TestCommentsThreadVotesAndLive(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ola := signedInAPI(t, s, "resident@example.org")
	ewa := signedInAPI(t, s, "advocate@example.org")
	anna := signedInAPI(t, s, "anna.mieszkanka@example.org")
	p := testProposal(t, s, ola, "Ławki nad Wilgą")

	viewer := mustDial(t, s, "")
	send(t, viewer, map[string]any{"type": "subscribe", "rooms": []string{fmt.Sprintf("proposal:%d", p)}})
	if m := readMsg(t, viewer); m.Type != "subscribed" {
		t.Fatalf("%+v", m)
	}
	readMsg(t, viewer) // the room's snapshot

	first := postComment(t, ewa, p, map[string]any{"body": "Popieram, **koniecznie** z oparciem.", "stance": "for"})
	if first.Depth != 0 || first.ParentID != nil || first.Author == nil || first.Author.DisplayName == "" ||
		first.BodyHTML != "<p>Popieram, <strong>koniecznie</strong> z oparciem.</p>\n" || first.Channel != "online" {
		t.Fatalf("posted comment: %+v", first)
	}
	var live struct {
		ID       int64
		ParentID *int64 `json:"parent_id"`
		Depth    int
		Stance   string
		BodyHTML string `json:"body_html"`
		Channel  string
		Author   struct {
			ID          int64
			DisplayName string `json:"display_name"`
		}
		CreatedAt string `json:"created_at"`
	}
	for {
		m := readMsg(t, viewer)
		if m.Type != "comment.created" {
			continue
		}
		if err := json.Unmarshal(m.Data, &live); err != nil {
			t.Fatal(err)
		}
		break
	}
	if live.ID != first.ID || live.ParentID != nil || live.Stance != "for" || live.BodyHTML != first.BodyHTML ||
		live.Author.ID != first.Author.ID || live.Author.DisplayName != first.Author.DisplayName || live.CreatedAt == "" || live.Channel != "online" {
		t.Errorf("live message %+v for %+v", live, first)
	}

	reply := postComment(t, anna, p, map[string]any{"body": "A może z daszkiem?", "stance": "neutral", "parent_id": first.ID})
	second := postComment(t, anna, p, map[string]any{"body": "Jestem przeciw — tam jest za wąsko.", "stance": "against"})
	if reply.Depth != 1 || *reply.ParentID != first.ID {
		t.Fatalf("reply: %+v", reply)
	}
	for {
		m := readMsg(t, viewer)
		if m.Type == "comment.created" && strings.Contains(string(m.Data), fmt.Sprintf(`"parent_id":%d`, first.ID)) {
			break
		}
	}

	// Votes: one per account, not on one's own comment.
	vote := func(a *servertest.API, id int64, value int) servertest.Response {
		return a.Do(http.MethodPost, fmt.Sprintf("/api/v1/comments/%d/vote", id), map[string]any{"value": value})
	}
	if r := vote(ola, second.ID, 1); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `"up":1`) {
		t.Fatalf("vote: %d %s", r.StatusCode, r.Body)
	}
	if r := vote(ola, second.ID, 1); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `"up":1`) {
		t.Fatalf("the same vote again: %d %s", r.StatusCode, r.Body)
	}
	if r := vote(ewa, second.ID, 1); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `"up":2`) {
		t.Fatalf("a second voter: %d %s", r.StatusCode, r.Body)
	}
	if r := vote(anna, second.ID, 1); r.StatusCode != http.StatusForbidden || apiErr(t, r).Code != "own_comment" {
		t.Fatalf("voting on one's own comment: %d %s", r.StatusCode, r.Body)
	}

	list := listComments(t, ola, p, "?sort=best")
	if len(list.Items) != 2 || list.Items[0].ID != second.ID || list.Items[0].MyVote != 1 || list.Items[0].Up != 2 ||
		list.Items[1].ID != first.ID || len(list.Items[1].Replies) != 1 || list.Items[1].Replies[0].ID != reply.ID ||
		list.Items[1].ReplyCount != 1 || list.NextCursor != "" {
		t.Fatalf("best first: %+v", list)
	}
	if l := listComments(t, ola, p, "?sort=oldest"); l.Items[0].ID != first.ID {
		t.Errorf("oldest first: %+v", l.Items)
	}
	if l := listComments(t, s.API(t), p, "?sort=newest"); l.Items[0].ID != second.ID || l.Items[0].MyVote != 0 {
		t.Errorf("newest first, for a visitor: %+v", l.Items)
	}
}

// TestCommentBadInputIsNamedAndNothingSaved: empty and oversized bodies, a reply to a
// comment of another proposal, a reply beyond the depth limit, unknown stances, fields
// and sorts: a 4xx naming the field, and not one comment or count saved.
func TestCommentBadInputIsNamedAndNothingSaved(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ola := signedInAPI(t, s, "resident@example.org")
	ewa := signedInAPI(t, s, "advocate@example.org")
	p := testProposal(t, s, ola, "Kosze na psie odchody")
	other := testProposal(t, s, ola, "Toaleta w parku Bednarskiego")
	elsewhere := postComment(t, ewa, other, map[string]any{"body": "Pod inną propozycją", "stance": "for"})
	parent := postComment(t, ewa, p, map[string]any{"body": "Poziom 0", "stance": "for"})
	for depth := 1; depth <= 4; depth++ {
		who := []*servertest.API{ola, ewa}[depth%2]
		parent = postComment(t, who, p, map[string]any{"body": fmt.Sprintf("Poziom %d", depth), "stance": "neutral", "parent_id": parent.ID})
	}
	comments, stats := count(t, s, `SELECT count(*)::int FROM comments`), scalar[string](t, s, `SELECT string_agg(s::text, ';' ORDER BY target_id) FROM comment_stats s`)

	path := fmt.Sprintf("/api/v1/proposals/%d/comments", p)
	cases := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"empty body", map[string]any{"body": "", "stance": "for"}, 422, "body"},
		{"spaces only", map[string]any{"body": " \n\t ", "stance": "for"}, 422, "body"},
		{"oversized body", map[string]any{"body": strings.Repeat("ą", 5001), "stance": "for"}, 422, "body"},
		{"no stance", map[string]any{"body": "Tak"}, 422, "stance"},
		{"unknown stance", map[string]any{"body": "Tak", "stance": "yes"}, 422, "stance"},
		{"reply to another proposal's comment", map[string]any{"body": "Tak", "stance": "for", "parent_id": elsewhere.ID}, 422, "parent_id"},
		{"reply beyond the depth", map[string]any{"body": "Tak", "stance": "for", "parent_id": parent.ID}, 422, "parent_id"},
		{"reply to no comment", map[string]any{"body": "Tak", "stance": "for", "parent_id": 987654321}, 422, "parent_id"},
		{"unknown field", map[string]any{"body": "Tak", "stance": "for", "author_id": 1}, 422, "author_id"},
		{"parent_id of the wrong type", map[string]any{"body": "Tak", "stance": "for", "parent_id": "1"}, 422, "parent_id"},
		{"not JSON", "body=Tak", 415, ""},
	}
	for _, tc := range cases {
		var r servertest.Response
		if raw, ok := tc.body.(string); ok {
			r = ola.Do(http.MethodPost, path, raw, "Content-Type", "application/x-www-form-urlencoded")
		} else {
			r = ola.Do(http.MethodPost, path, tc.body)
		}
		e := apiErr(t, r)
		if r.StatusCode != tc.status || tc.field != "" && e.Fields[tc.field] == "" || e.Message == "" {
			t.Errorf("%s: %d %s, want %d naming %q", tc.name, r.StatusCode, r.Body, tc.status, tc.field)
		}
	}
	for q, field := range map[string]string{"?sort=popular": "sort", "?cursor=xyz": "cursor", "?sort=best;DROP": "sort"} {
		r := ola.Do(http.MethodGet, path+q, nil)
		if e := apiErr(t, r); r.StatusCode/100 != 4 || e.Fields[field] == "" {
			t.Errorf("GET %s: %d %s, want a 4xx naming %q", q, r.StatusCode, r.Body, field)
		}
	}
	if r := ola.Do(http.MethodPatch, fmt.Sprintf("/api/v1/comments/%d", elsewhere.ID), map[string]any{"body": ""}); r.StatusCode != 403 {
		t.Errorf("editing someone else's comment: %d", r.StatusCode)
	}
	if r := ewa.Do(http.MethodPatch, fmt.Sprintf("/api/v1/comments/%d", elsewhere.ID), map[string]any{"body": strings.Repeat("x", 5001)}); r.StatusCode != 422 || apiErr(t, r).Fields["body"] == "" {
		t.Errorf("an oversized edit: %d %s", r.StatusCode, r.Body)
	}
	if r := ewa.Do(http.MethodPost, fmt.Sprintf("/api/v1/comments/%d/vote", parent.ID), map[string]any{"value": 5}); r.StatusCode != 422 || apiErr(t, r).Fields["value"] == "" {
		t.Errorf("a vote of 5: %d %s", r.StatusCode, r.Body)
	}

	// The same through the form: the page comes back with the problems and the text.
	b := s.Browser(t)
	b.SignIn("resident@example.org", demoPassword)
	page := fmt.Sprintf("/propozycje/%d", p)
	typed := "Mój długi komentarz, którego nie chcę stracić — Zażółć gęślą jaźń."
	r := b.Submit(page, "/komentarze", url.Values{"target_type": {"proposal"}, "target_id": {strconv.FormatInt(p, 10)}, "body": {typed}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Title(), "Błąd:") {
		t.Fatalf("form without a stance: %d %q", r.StatusCode, r.Title())
	}
	checkFieldError(t, r.Body, "stance", tr("pl", "comments.stance_unknown"))
	if !strings.Contains(r.Body, ">"+template.HTMLEscapeString(typed)+"</textarea>") {
		t.Error("the typed comment was lost")
	}
	r = b.Post("/komentarze", url.Values{"target_type": {"proposal"}, "target_id": {strconv.FormatInt(p, 10)}, "stance": {"against"},
		"body": {"Odpowiedź za głęboko"}, "parent_id": {strconv.FormatInt(parent.ID, 10)}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, template.HTMLEscapeString(tr("pl", "comments.too_deep"))) ||
		!strings.Contains(r.Body, `value="against" checked`) {
		t.Errorf("a reply beyond the depth through the form: %d %q", r.StatusCode, r.Title())
	}
	if n := count(t, s, `SELECT count(*)::int FROM comments`); n != comments {
		t.Errorf("%d comments saved by refused requests", n-comments)
	}
	if st := scalar[string](t, s, `SELECT string_agg(s::text, ';' ORDER BY target_id) FROM comment_stats s`); st != stats {
		t.Errorf("refused requests changed the counts: %s → %s", stats, st)
	}
}

// TestCommentFormsWithoutJavaScript: everything with plain forms: comment, reply, edit
// (the history keeps the old text), vote, delete (a tombstone keeps the reply).
func TestCommentFormsWithoutJavaScript(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ola := s.Browser(t)
	ola.SignIn("resident@example.org", demoPassword)
	p := testProposal(t, s, signedInAPI(t, s, "anna.mieszkanka@example.org"), "Więcej drzew na Zabłociu")
	page := fmt.Sprintf("/propozycje/%d", p)
	id := strconv.FormatInt(p, 10)

	r := ola.Submit(page, "/komentarze", url.Values{"target_type": {"proposal"}, "target_id": {id}, "stance": {"for"},
		"body": {"Tak! Najlepiej *lipy*, pachną w czerwcu."}})
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, page+"#komentarz-") {
		t.Fatalf("posting: %d → %q (%s)", r.StatusCode, loc, r.Title())
	}
	cid := strings.TrimPrefix(loc, page+"#komentarz-")
	body := ola.Get(page).Body
	for _, want := range []string{`id="komentarz-` + cid + `"`, "<em>lipy</em>", "Jan Demo (mieszkaniec)", `href="/komentarze/` + cid + `/edycja"`,
		tr("pl", "comments.stance_for")} {
		if !strings.Contains(body, want) {
			t.Errorf("the proposal page lacks %q", want)
		}
	}

	ewa := s.Browser(t)
	ewa.SignIn("advocate@example.org", demoPassword)
	reply := ewa.Get("/komentarze/" + cid + "/odpowiedz")
	if reply.StatusCode != http.StatusOK || !strings.Contains(reply.Body, "<em>lipy</em>") || !strings.Contains(reply.Body, `name="parent_id" value="`+cid+`"`) {
		t.Fatalf("reply form: %d", reply.StatusCode)
	}
	r = ewa.Post("/komentarze", url.Values{"target_type": {"proposal"}, "target_id": {id}, "parent_id": {cid}, "stance": {"neutral"},
		"body": {"Lipy tak, ale nie przy samej jezdni."}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("replying: %d %s", r.StatusCode, r.Title())
	}
	rid := strings.TrimPrefix(r.Header.Get("Location"), page+"#komentarz-")

	// Ewa finds it helpful: the button says so afterwards, and she is back at the comment.
	ewa.Get(page)
	r = ewa.Post("/komentarze/"+cid+"/ocena", url.Values{"value": {"1"}, "next": {page + "?komentarze=najnowsze"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != page+"?komentarze=najnowsze#komentarz-"+cid {
		t.Fatalf("voting: %d → %q", r.StatusCode, r.Header.Get("Location"))
	}
	if b := ewa.Get(page).Body; !strings.Contains(b, `value="0" aria-pressed="true" data-vote="up"`) {
		t.Error("the helpful button is not shown pressed after voting")
	}
	r = ewa.Post("/komentarze/"+cid+"/ocena", url.Values{"value": {"1"}, "next": {"//evil.example/"}})
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, page+"#") {
		t.Errorf("a vote with a foreign next went to %q", loc)
	}

	// Ola corrects her comment; the history keeps the first version.
	if r := ewa.Get("/komentarze/" + cid + "/edycja"); r.StatusCode != http.StatusForbidden {
		t.Errorf("someone else's edit form: %d", r.StatusCode)
	}
	edit := ola.Get("/komentarze/" + cid + "/edycja")
	if edit.StatusCode != http.StatusOK || !strings.Contains(edit.Body, "Tak! Najlepiej *lipy*, pachną w czerwcu.</textarea>") {
		t.Fatalf("edit form: %d", edit.StatusCode)
	}
	if r := ola.Post("/komentarze/"+cid+"/edycja", url.Values{"body": {"Tak! Najlepiej *lipy* albo klony."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("editing: %d %s", r.StatusCode, r.Title())
	}
	hist := s.Browser(t).Get("/komentarze/" + cid + "/historia")
	if hist.StatusCode != http.StatusOK || !strings.Contains(hist.Body, "<em>lipy</em> albo klony.") || !strings.Contains(hist.Body, "pachną w czerwcu") {
		t.Errorf("history: %d", hist.StatusCode)
	}
	if !strings.Contains(ola.Get(page).Body, `href="/komentarze/`+cid+`/historia"`) {
		t.Error("the edited comment does not link its history")
	}

	// Ola deletes it: a tombstone, Ewa's reply stays, the count goes down.
	if r := ola.Get("/komentarze/" + cid + "/usun"); r.StatusCode != http.StatusOK {
		t.Fatalf("delete page: %d", r.StatusCode)
	}
	if r := ola.Post("/komentarze/"+cid+"/usun", url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("deleting: %d", r.StatusCode)
	}
	body = s.Browser(t).Get(page).Body
	if !strings.Contains(body, tr("pl", "comments.deleted_heading")) || strings.Contains(body, "klony") ||
		!strings.Contains(body, `id="komentarz-`+rid+`"`) || !strings.Contains(body, "nie przy samej jezdni") {
		t.Error("after the delete the page does not show a tombstone with the reply under it")
	}
	if n := count(t, s, `SELECT comments FROM comment_stats WHERE target_type = 'proposal' AND target_id = $1`, p); n != 1 {
		t.Errorf("%d comments counted after the delete, want 1", n)
	}
	// The thread's own page shows the same.
	if th := s.Browser(t).Get("/komentarze/" + rid); th.StatusCode != http.StatusOK || !strings.Contains(th.Body, "nie przy samej jezdni") {
		t.Errorf("thread page: %d", th.StatusCode)
	}
}

// TestPaperComments: a moderator enters a comment received on paper with its scan; it
// shows the paper mark, counts with the rest, and only the staff fetch the scan.
func TestPaperComments(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	p := testProposal(t, s, signedInAPI(t, s, "resident@example.org"), "Przejście dla pieszych przy szkole")
	id := strconv.FormatInt(p, 10)
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", demoPassword)
	form := "/komentarze/papier?target_type=proposal&target_id=" + id
	if r := mod.Get(form); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `enctype="multipart/form-data"`) {
		t.Fatalf("paper form: %d", r.StatusCode)
	}
	fields := url.Values{"target_type": {"proposal"}, "target_id": {id}, "stance": {"for"}, "author_name": {"Halina K."},
		"body": {"Proszę o zebrę i światła — dzieci przechodzą tu codziennie."}}
	bad := mod.PostMultipart("/komentarze/papier", fields, servertest.FormFile{Field: "scan", Name: "skan.txt", Content: []byte("to nie jest PDF")})
	if bad.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "Proszę o zebrę") {
		t.Fatalf("a scan that is not a PDF or image: %d %q", bad.StatusCode, bad.Title())
	}
	r := mod.PostMultipart("/komentarze/papier", fields, servertest.FormFile{Field: "scan", Name: "skan.pdf", Content: []byte("%PDF-1.4\n% uwaga z urny\n")})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("paper comment: %d %q", r.StatusCode, r.Title())
	}
	cid := strings.TrimPrefix(r.Header.Get("Location"), "/propozycje/"+id+"#komentarz-")
	body := s.Browser(t).Get("/propozycje/" + id).Body
	if !strings.Contains(body, "Halina K.") || !strings.Contains(body, tr("pl", "comments.on_paper")) || strings.Contains(body, "/komentarze/"+cid+"/skan") {
		t.Error("a visitor does not see the paper mark, or sees the scan link")
	}
	if !strings.Contains(mod.Get("/propozycje/"+id).Body, "/komentarze/"+cid+"/skan") {
		t.Error("the moderator has no link to the scan")
	}
	if r := mod.Get("/komentarze/" + cid + "/skan"); r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("the moderator's scan: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	res := s.Browser(t)
	res.SignIn("resident@example.org", demoPassword)
	if r := res.Get("/komentarze/" + cid + "/skan"); r.StatusCode != http.StatusForbidden {
		t.Errorf("a resident fetching the scan: %d", r.StatusCode)
	}
	var n, paper int
	if err := s.Pool.QueryRow(context.Background(), `SELECT comments, paper FROM comment_stats WHERE target_type = 'proposal' AND target_id = $1`, p).Scan(&n, &paper); err != nil || n != 1 || paper != 1 {
		t.Errorf("counts: %d comments, %d on paper (%v)", n, paper, err)
	}
	list := listComments(t, s.API(t), p, "")
	if len(list.Items) != 1 || list.Items[0].Channel != "paper" || list.Items[0].Author != nil || list.Items[0].AuthorName != "Halina K." {
		t.Errorf("in the API: %+v", list.Items)
	}
}

// TestCommentTextIsInert: script tags, event handlers, javascript: links and SVG tricks
// in comments and in a display name, with Polish text around them, come out as text or
// are removed: on the proposal page, the thread, the history and the reply form, in the
// JSON and in the live message.
func TestCommentTextIsInert(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	name := `Ola <script>alert("imię")</script><img src=x onerror=alert(1)> Żółć`
	if _, err := s.Pool.Exec(ctx, `UPDATE users SET display_name = $1 WHERE email = 'advocate@example.org'`, name); err != nil {
		t.Fatal(err)
	}
	ewa := signedInAPI(t, s, "advocate@example.org")
	p := testProposal(t, s, signedInAPI(t, s, "resident@example.org"), "Ławka przy przystanku")
	viewer := mustDial(t, s, "")
	send(t, viewer, map[string]any{"type": "subscribe", "rooms": []string{fmt.Sprintf("proposal:%d", p)}})
	readMsg(t, viewer)
	readMsg(t, viewer)

	// Block-level HTML (a line that starts with <script>, <iframe>, <p …>) is left out
	// whole by Markdown, so the Polish text around those is in paragraphs of its own.
	payloads := []string{
		"Zażółć gęślą jaźń\n\n<script>alert(\"ławka\")</script>\n\nKoniec zdania.",
		`Przystanek <img src=x onerror="alert(1)"> przy Wiśle`,
		`[Zobacz plan](javascript:alert(document.cookie)) — Dębniki`,
		`Dzielnica <a href="javascript:alert(1)" onclick="alert(2)">Nowa Huta</a> i Czyżyny`,
		"Podgórze\n\n<svg onload=alert(1)><script>alert(1)</script></svg>",
		"<iframe src=\"//evil.example\"></iframe>\n\nBronowice",
		"<p style=\"background:url(javascript:alert(1))\">Krowodrza</p>\n\nGrzegórzki",
		`Łagiewniki "><script>alert(1)</script><!--`,
		"[link](JaVaScRiPt:alert(1)) `<script>` w kodzie",
	}
	var ids []int64
	for _, body := range payloads {
		ids = append(ids, postComment(t, ewa, p, map[string]any{"body": body, "stance": "neutral"}).ID)
	}
	if _, err := s.Pool.Exec(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	edited := ids[0]
	if r := ewa.Do(http.MethodPatch, fmt.Sprintf("/api/v1/comments/%d", edited), map[string]any{"body": payloads[1] + " (poprawione)"}); r.StatusCode != http.StatusOK {
		t.Fatalf("edit: %d %s", r.StatusCode, r.Body)
	}

	bad := []string{"<script>alert", "<img src=x onerror", `onerror="alert`, `href="javascript:`, "javascript:alert", `href="JaVaScRiPt`,
		"<iframe", "<svg onload", `onclick="alert`, `style="background`, `"><script>`}
	inert := func(where, body string) {
		t.Helper()
		for _, b := range bad {
			if strings.Contains(body, b) {
				t.Errorf("%s carries %q", where, b)
			}
		}
	}
	escapedName := template.HTMLEscapeString(name)
	b := s.Browser(t)
	b.SignIn("resident@example.org", demoPassword)
	pages := map[string]string{
		"the proposal page": fmt.Sprintf("/propozycje/%d", p),
		"the thread page":   fmt.Sprintf("/komentarze/%d", ids[3]),
		"the history page":  fmt.Sprintf("/komentarze/%d/historia", edited),
		"the reply form":    fmt.Sprintf("/komentarze/%d/odpowiedz", ids[2]),
		"the oldest first":  fmt.Sprintf("/propozycje/%d?komentarze=najstarsze", p),
	}
	for where, path := range pages {
		r := b.Get(path)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", where, r.StatusCode)
		}
		inert(where, r.Body)
		if where != "the history page" && !strings.Contains(r.Body, escapedName) {
			t.Errorf("%s does not show the display name as text", where)
		}
	}
	page := b.Get(pages["the proposal page"]).Body
	if h := b.Get(pages["the history page"]).Body; !strings.Contains(h, "Zażółć gęślą jaźń") || !strings.Contains(h, "Koniec zdania.") {
		t.Error("the history page lost the Polish text around the first version's payload")
	}
	for _, text := range []string{"przy Wiśle", "Dębniki", "Dzielnica", "Nowa Huta", "i Czyżyny", "Podgórze", "Bronowice", "Grzegórzki", "Łagiewniki", "<code>&lt;script&gt;</code> w kodzie"} {
		if !strings.Contains(page, text) {
			t.Errorf("the Polish text %q around a payload is missing from the page", text)
		}
	}

	// JSON: the text is intact as data, never raw HTML a careless client could insert.
	r := s.API(t).Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d/comments?sort=oldest", p), nil)
	if strings.Contains(r.Body, "<script") || strings.Contains(r.Body, "<img") {
		t.Error("the JSON list carries a raw <script")
	}
	var list commentListJSON
	r.JSON(t, &list)
	if len(list.Items) != len(payloads) || list.Items[0].Author == nil || list.Items[0].Author.DisplayName != name || list.Items[2].Body != payloads[2] {
		t.Fatalf("the JSON does not carry the text as written: %+v", list.Items[:1])
	}
	for _, c := range list.Items {
		inert(fmt.Sprintf("body_html of comment %d", c.ID), strings.ToLower(c.BodyHTML))
	}
	for range payloads {
		m := readMsg(t, viewer)
		if m.Type == "comment.created" {
			inert("a live message", string(m.Data))
			if strings.Contains(string(m.Data), "<script") {
				t.Error("a live message carries a raw <script")
			}
		}
	}
}

// pageQueries counts what the server asks PostgreSQL while it is on.
type pageQueries struct {
	on atomic.Bool
	mu sync.Mutex
	n  int
}

func (q *pageQueries) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	if q.on.Load() {
		q.mu.Lock()
		q.n++
		q.mu.Unlock()
	}
	return ctx
}

func (q *pageQueries) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestProposalPageQueriesDoNotGrowWithComments: the proposal page takes as many queries
// with 2,000 comments as with 10 (counted by a tracer on the server's pool; the fewest
// of several loads, so a background worker's query never counts).
func TestProposalPageQueriesDoNotGrowWithComments(t *testing.T) {
	t.Parallel()
	trace := &pageQueries{}
	s := servertest.Start(t, servertest.Options{DBTracer: trace})
	ola := signedInAPI(t, s, "resident@example.org")
	ewa := signedInAPI(t, s, "advocate@example.org")
	small := testProposal(t, s, ola, "Mała rozmowa o ławkach")
	big := testProposal(t, s, ola, "Wielka rozmowa o parkowaniu")
	for i := range 5 {
		c := postComment(t, ewa, small, map[string]any{"body": fmt.Sprintf("Wątek %d", i), "stance": "for"})
		postComment(t, ola, small, map[string]any{"body": "Odpowiedź", "stance": "against", "parent_id": c.ID})
	}
	ctx := context.Background()
	author := scalar[int64](t, s, `SELECT id FROM users WHERE email = 'anna.mieszkanka@example.org'`)
	for _, q := range []string{
		`INSERT INTO comments (target_type, target_id, author_id, stance, body, body_html, up)
			SELECT 'proposal', $1, $2, 'for', 'Wątek ' || g, '<p>Wątek ' || g || '</p>', g % 9 FROM generate_series(1, 1000) g`,
		`INSERT INTO comments (target_type, target_id, parent_id, root_id, depth, author_id, stance, body, body_html)
			SELECT 'proposal', $1, r.id, r.id, 1, $2, 'neutral', 'Odpowiedź ' || g, '<p>Odpowiedź</p>'
			FROM (SELECT id FROM comments WHERE target_id = $1 AND parent_id IS NULL ORDER BY up DESC, id DESC LIMIT 40) r,
			generate_series(1, 25) g`,
		`UPDATE comments r SET replies = (SELECT count(*) FROM comments c WHERE c.root_id = r.id)
			WHERE target_id = $1 AND parent_id IS NULL AND $2::bigint > 0`,
		`INSERT INTO comment_stats (target_type, target_id, comments, stance_for, stance_neutral)
			SELECT 'proposal', $1, count(*), count(*) FILTER (WHERE stance = 'for'), count(*) FILTER (WHERE stance = 'neutral')
			FROM comments WHERE target_id = $1 AND $2::bigint > 0`,
	} {
		if _, err := s.Pool.Exec(ctx, q, big, author); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if n := count(t, s, `SELECT count(*)::int FROM comments WHERE target_id = $1`, big); n != 2000 {
		t.Fatalf("%d comments on the big one", n)
	}
	viewer := s.Browser(t)
	viewer.SignIn("marta.sasiadka@example.org", demoPassword)
	// The fewest of five loads after the first (which fills caches): the tracer sees the
	// whole pool, so a background worker's query (the poll reconciler every 5 s) may land
	// in a load's window on a busy machine.
	queries := func(id int64) (fewest int, body string) {
		for i := range 6 {
			trace.mu.Lock()
			trace.n = 0
			trace.mu.Unlock()
			trace.on.Store(true)
			r := viewer.Get(fmt.Sprintf("/propozycje/%d", id))
			trace.on.Store(false)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("page: %d", r.StatusCode)
			}
			trace.mu.Lock()
			if i == 1 || i > 1 && trace.n < fewest { // the first load fills caches
				fewest = trace.n
			}
			trace.mu.Unlock()
			body = r.Body
		}
		return fewest, body
	}
	nSmall, _ := queries(small)
	nBig, body := queries(big)
	if !strings.Contains(body, tr("pl", "comments.more")) || !strings.Contains(body, "Pokaż całą rozmowę") {
		t.Fatal("the big discussion's page does not show a page of threads with more to come")
	}
	if nSmall != nBig || nBig == 0 {
		t.Errorf("the proposal page took %d queries with 10 comments and %d with 2,000", nSmall, nBig)
	}
	t.Logf("the proposal page takes %d queries", nBig)
}
