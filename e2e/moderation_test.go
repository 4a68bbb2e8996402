package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// TestJourneyReportsHideACommentAndAModeratorRestoresIt: Marta comments on a proposal;
// three residents each follow the comment's "Zgłoś" link with the keyboard, pick a
// reason and send the report; the third report hides the comment, so a visitor sees the
// placeholder instead of its text; a moderator finds it in the queue with its three
// reports (its case page lists them), ticks it and restores it; its text is back for everyone, and Marta reads
// what happened on her notifications page. Every page passes axe.
func TestJourneyReportsHideACommentAndAModeratorRestoresIt(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	b := NewBrowser(t)

	// Marta writes a proposal and a comment under it over the API.
	const title = "Stojaki rowerowe przy Hali Targowej (test moderacji)"
	const text = "Stojaki przydałyby się też od strony ulicy Grzegórzeckiej, tam zawsze brakuje miejsca."
	marta := srv.API(t)
	marta.Login("marta.sasiadka@example.org", seed.DemoPassword)
	var district int64
	if err := srv.Pool.QueryRow(t.Context(), `SELECT id FROM neighbourhoods WHERE slug = 'grzegorzki'`).Scan(&district); err != nil {
		t.Fatalf("the district: %v", err)
	}
	r := marta.Do(http.MethodPost, "/api/v1/proposals", map[string]any{"title": title, "neighbourhood_id": district,
		"body": "Przy Hali Targowej rowery stoją przypięte do barierek. Proponujemy dwadzieścia stojaków."})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("Marta's proposal: %d %s", r.StatusCode, r.Body)
	}
	var created struct{ Proposal struct{ ID int64 } }
	r.JSON(t, &created)
	proposal := fmt.Sprintf("%s/propozycje/%d", srv.URL, created.Proposal.ID)
	r = marta.Do(http.MethodPost, fmt.Sprintf("/api/v1/proposals/%d/comments", created.Proposal.ID),
		map[string]any{"body": text, "stance": "for"})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("Marta's comment: %d %s", r.StatusCode, r.Body)
	}
	var posted struct{ Comment struct{ ID int64 } }
	r.JSON(t, &posted)
	id := posted.Comment.ID
	card := fmt.Sprintf(`document.getElementById("komentarz-%d")`, id)

	// Three residents report it, one after another, with the keyboard.
	reporters := []struct{ email, reason, note string }{
		{"resident@example.org", "Spam lub reklama", ""},
		{"anna.mieszkanka@example.org", "Nie na temat", "Komentarz nie dotyczy tej propozycji."},
		{"advocate@example.org", "Spam lub reklama", ""},
	}
	for i, rep := range reporters {
		last := i == len(reporters)-1
		p := b.NewPersonWithin(rep.email, 2*Timeout)
		signIn(t, p, srv, rep.email, seed.DemoPassword)
		if status := p.Open(proposal); status != 200 {
			t.Fatalf("%s opening the proposal: %d", rep.email, status)
		}
		waitFor(p, "Marta's comment", card+` !== null && `+card+`.textContent.includes(`+strconv.Quote(text[:40])+`)`)
		reportLink := link("Zgłoś komentarz nr " + strconv.FormatInt(id, 10))
		p.Do(chromedp.Focus(reportLink.role+" "+reportLink.name, reportLink.query()))
		focus := Get(p, chromedp.Evaluate[map[string]any](`(() => {
  const a = document.activeElement, box = a.getBoundingClientRect();
  return {tag: a.tagName, href: a.getAttribute("href"), tabIndex: a.tabIndex, shown: box.width > 0 && box.height > 0,
    inComment: Boolean(a.closest("#komentarz-`+strconv.FormatInt(id, 10)+`"))};
})()`))
		if focus["tag"] != "A" || focus["href"] != fmt.Sprintf("/zglos?typ=comment&id=%d", id) || focus["tabIndex"] != float64(0) ||
			focus["shown"] != true || focus["inComment"] != true {
			t.Fatalf("%s: the report link is not a visible stop in the tab order: %v", rep.email, focus)
		}
		res, err := chromedp.RunResponse(p.Ctx, chromedp.KeyEvent(kb.Enter))
		if err != nil || res == nil || res.Status != 200 {
			t.Fatalf("%s: Enter on the report link: %v %v", rep.email, res, err)
		}
		if got := location(p); got.Path != "/zglos" {
			t.Fatalf("%s: Enter on the report link led to %s", rep.email, got)
		}
		if h1 := Get(p, chromedp.Text(chromedp.CSS("h1"))); h1 != "Zgłoś wpis moderacji" {
			t.Errorf("the report form's h1 = %q", h1)
		}
		if quoted := Get(p, chromedp.Text(chromedp.CSS("main blockquote"))); !strings.Contains(quoted, text[:40]) {
			t.Errorf("the report form quotes %q, not the comment", quoted)
		}
		if i == 0 {
			CheckA11y(t, p.Ctx, "the report form")
		}
		p.CheckConsole("the report form")

		radio := target{"radio", rep.reason}
		p.Do(chromedp.Click(radio.role+" "+radio.name, radio.query()))
		waitFor(p, "the reason "+rep.reason+" chosen", `document.querySelector('input[name="reason"]:checked') !== null &&
  document.querySelector('input[name="reason"]:checked').labels[0].textContent.trim() === `+strconv.Quote(rep.reason))
		if rep.note != "" {
			p.Do(chromedp.SendKeys(chromedp.ID("note"), rep.note))
		}
		if status := clickThrough(p, button("Wyślij zgłoszenie")); status != 200 {
			t.Fatalf("%s sending the report: %d", rep.email, status)
		}
		if h1 := Get(p, chromedp.Text(chromedp.CSS("h1"))); h1 != "Dziękujemy za zgłoszenie" {
			t.Fatalf("%s: after sending, h1 = %q (on %s)", rep.email, h1, location(p))
		}
		want := "Moderacja przejrzy ten wpis."
		if last {
			want = "ukryliśmy go do decyzji moderatora"
		}
		if said := Get(p, chromedp.Text(chromedp.CSS("[role=status]"))); !strings.Contains(said, want) {
			t.Errorf("%s: the thank-you page says %q, want %q", rep.email, said, want)
		}
		if i == 0 || last {
			CheckA11y(t, p.Ctx, fmt.Sprintf("the thank-you page after report %d", i+1))
		}
		p.CheckConsole("the thank-you page")
		if status := clickThrough(p, link("Wróć do „"+title+"”")); status != 200 || location(p).Path != fmt.Sprintf("/propozycje/%d", created.Proposal.ID) {
			t.Errorf("%s: back to the proposal: %d %s", rep.email, status, location(p))
		}
	}

	// A visitor sees the placeholder, not the text.
	seeComment := func(what string, hidden bool) {
		t.Helper()
		visitor := b.NewPerson("visitor")
		if status := visitor.Open(proposal); status != 200 {
			t.Fatalf("the visitor opening the proposal: %d", status)
		}
		waitFor(visitor, "the comment's card", card+` !== null`)
		shown := Get(visitor, chromedp.Evaluate[string](card+`.textContent`))
		placeholder := strings.Contains(shown, "Ukryte po zgłoszeniach użytkowników, czeka na decyzję moderatora.")
		if strings.Contains(shown, text[:40]) == hidden || placeholder != hidden {
			t.Fatalf("%s, the visitor sees: %q", what, strings.Join(strings.Fields(shown), " "))
		}
		CheckA11y(t, visitor.Ctx, "the proposal page, "+what)
		visitor.CheckConsole("the proposal page, " + what)
	}
	seeComment("after three reports", true)

	// The moderator finds it in the queue with its three reports, ticks it and restores it.
	mod := b.NewPersonWithin("moderator", 3*Timeout)
	signIn(t, mod, srv, "moderator@example.org", seed.DemoPassword)
	if status := mod.Open(srv.URL + "/moderacja"); status != 200 {
		t.Fatalf("the queue: %d", status)
	}
	entry := fmt.Sprintf(`document.querySelector('input[name="item"][value="comment:%d"]').closest("li")`, id)
	waitFor(mod, "the comment in the queue", fmt.Sprintf(`document.querySelector('input[name="item"][value="comment:%d"]') !== null`, id))
	got := strings.Join(strings.Fields(Get(mod, chromedp.Evaluate[string](entry+`.textContent`))), " ")
	for _, want := range []string{text[:40], "3 zgłoszenia", "Spam lub reklama × 2", "Nie na temat × 1", "ukryty"} {
		if !strings.Contains(got, want) {
			t.Errorf("the queue's entry lacks %q: %s", want, got)
		}
	}
	CheckA11y(t, mod.Ctx, "the moderation queue")
	mod.CheckConsole("the moderation queue")

	// The case page lists the three reports.
	// (Chromium puts a space before the visually hidden ": title" in the name.)
	open := accessibleNames(mod, "link", func(n string) bool {
		return strings.HasPrefix(n, "Otwórz sprawę") && strings.HasSuffix(n, ": "+title)
	})
	if len(open) != 1 {
		t.Fatalf("the queue's links to the case: %q", open)
	}
	if status := clickThrough(mod, link(open[0])); status != 200 || !strings.HasPrefix(location(mod).Path, "/moderacja/sprawy/") {
		t.Fatalf("the case page: %d %s", status, location(mod))
	}
	if h := Get(mod, chromedp.Text(chromedp.ID("reports-heading"))); h != "3 zgłoszenia" {
		t.Errorf("the case page's reports heading = %q", h)
	}
	if n := Get(mod, chromedp.Evaluate[int](`document.querySelectorAll("#reports-heading + .table-wrap tbody tr").length`)); n != 3 {
		t.Errorf("the case page lists %d reports, want 3", n)
	}
	CheckA11y(t, mod.Ctx, "the moderation case page")
	mod.CheckConsole("the moderation case page")
	if status := mod.Open(srv.URL + "/moderacja"); status != 200 {
		t.Fatalf("back to the queue: %d", status)
	}
	waitFor(mod, "the comment in the queue again", fmt.Sprintf(`document.querySelector('input[name="item"][value="comment:%d"]') !== null`, id))
	tick := target{"checkbox", "Komentarz " + title}
	mod.Do(chromedp.Click(tick.role+" "+tick.name, tick.query()))
	waitFor(mod, "the entry ticked", entry+`.querySelector('input[name="item"]').checked`)
	if status := clickThrough(mod, button("Pokaż zaznaczone (przywróć, zatwierdź, zostaw)")); status != 200 {
		t.Fatalf("restoring: %d", status)
	}
	if notice := Get(mod, chromedp.Text(chromedp.CSS("[role=status]"))); notice != "Gotowe: zmieniono 1 wpis." {
		t.Errorf("after restoring, the queue says %q", notice)
	}
	if still := Get(mod, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector('input[name="item"][value="comment:%d"]') !== null`, id))); still {
		t.Error("the restored comment is still in the queue")
	}
	CheckA11y(t, mod.Ctx, "the moderation queue after a decision")
	mod.CheckConsole("the moderation queue after a decision")

	seeComment("after the moderator restored it", false)

	// Marta reads both decisions on her notifications page.
	author := b.NewPersonWithin("author", 2*Timeout)
	signIn(t, author, srv, "marta.sasiadka@example.org", seed.DemoPassword)
	if status := author.Open(srv.URL + "/powiadomienia"); status != 200 {
		t.Fatalf("the notifications page: %d", status)
	}
	items := Get(author, chromedp.Text(chromedp.CSS(".notifications")))
	for _, want := range []string{
		"Moderacja przywróciła Twój wpis w sprawie „" + title + "”.",
		"Twój wpis w sprawie „" + title + "” ukryto po zgłoszeniach, do decyzji moderatora.",
	} {
		if !strings.Contains(items, want) {
			t.Errorf("the notifications page lacks %q:\n%s", want, items)
		}
	}
	CheckA11y(t, author.Ctx, "the notifications page with moderation news")
	author.CheckConsole("the notifications page")

	// One report hid the comment: one audit record says so; the restore is audited too.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for action, want := range map[string]int{"content.auto_hide": 1, "content.restore": 1} {
		var n int
		if err := srv.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = $1 AND target_type = 'comment' AND target_id = $2`,
			action, id).Scan(&n); err != nil || n != want {
			t.Errorf("%d %s audit records of the comment, want %d (%v)", n, action, want, err)
		}
	}
}
