package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// TestJourneyProposalCommentedLive: a resident posts a proposal and starts writing a
// comment under it; another resident comments; the first sees "1 new comment — show"
// appear without a reload and without losing a letter of what she is typing, shows it,
// and finds it in the thread. Both pages pass axe.
func TestJourneyProposalCommentedLive(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	b := NewBrowser(t)
	ola := b.NewPersonWithin("resident", 3*Timeout)
	ewa := b.NewPersonWithin("advocate", 3*Timeout)
	signIn(t, ola, srv, "resident@example.org", seed.DemoPassword)
	signIn(t, ewa, srv, "advocate@example.org", seed.DemoPassword)

	// Ola writes a proposal with the form.
	if status := ola.Open(srv.URL + "/propozycje/nowa"); status != 200 {
		t.Fatalf("new proposal form: %d", status)
	}
	ola.Do(
		chromedp.SendKeys(chromedp.ID("title"), "Ławki w cieniu na Bulwarze Podolskim"),
		chromedp.SendKeys(chromedp.ID("body"), "Latem na Bulwarze Podolskim brakuje ławek w cieniu drzew. Proponujemy pięć nowych."),
	)
	chooseOption(ola, "neighbourhood_id", "XIII Podgórze")
	if status := clickThrough(ola, button("Opublikuj propozycję")); status != 200 {
		t.Fatalf("publishing: %d", status)
	}
	page := location(ola)
	if !strings.HasPrefix(page.Path, "/propozycje/") {
		t.Fatalf("after publishing Ola is on %s", page)
	}
	proposal := srv.URL + page.Path
	waitFor(ola, "the comments section", `document.querySelector("[data-comments]") !== null`)
	CheckA11y(t, ola.Ctx, "a new proposal's page with its empty comments section")
	ola.CheckConsole("a new proposal's page")

	// She starts a comment of her own and leaves the cursor in it.
	ola.Do(chromedp.SendKeys(chromedp.ID("body"), "Dziękuję za każdą uwagę — zbieram je do poprawek"))
	typing := Get(ola, chromedp.Evaluate[string](`document.getElementById("body").value`))
	if !strings.HasPrefix(typing, "Dziękuję za ka") {
		t.Fatalf("typing into the comment field gave %q", typing)
	}
	Get(ola, chromedp.Evaluate[string](`document.body.dataset.stayed = "yes"`))

	// Ewa opens the page and comments with the plain form.
	if status := ewa.Open(proposal); status != 200 {
		t.Fatalf("Ewa opening the proposal: %d", status)
	}
	ewa.Do(chromedp.Click(chromedp.ID("stance-for")))
	ewa.Do(chromedp.SendKeys(chromedp.ID("body"), "Popieram! Najlepiej ławki z oparciem, dla seniorów."))
	if status := clickThrough(ewa, button("Dodaj komentarz")); status != 200 {
		t.Fatalf("Ewa commenting: %d", status)
	}
	if !strings.HasPrefix(location(ewa).Fragment, "komentarz-") {
		t.Errorf("after commenting Ewa is at %s, not at her comment", location(ewa))
	}
	CheckA11y(t, ewa.Ctx, "the proposal page with a comment")
	ewa.CheckConsole("the proposal page after commenting")

	// Ola's page shows a calm "show" button; nothing she typed moved or went away.
	_, err := chromedp.Run(ola.Ctx, chromedp.Poll[chromedp.Void](`!document.querySelector("[data-comments-new]").hidden`,
		chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("the new comment never announced itself on Ola's page: %v", err)
	}
	state := Get(ola, chromedp.Evaluate[map[string]any](`({
		stayed: document.body.dataset.stayed,
		typed: document.getElementById("body").value,
		focus: document.activeElement && document.activeElement.id,
		inserted: document.querySelectorAll("[data-comment-list] > li").length,
		button: document.querySelector("[data-comments-show]").textContent,
	})`))
	if state["stayed"] != "yes" || state["typed"] != typing || state["focus"] != "body" || state["inserted"] != float64(0) {
		t.Fatalf("Ola's page changed under her: %v", state)
	}
	if state["button"] != "1 nowy komentarz — pokaż" {
		t.Errorf("the button says %q", state["button"])
	}
	CheckA11y(t, ola.Ctx, "the proposal page with a new comment waiting")

	ola.Do(chromedp.Click("button 1 nowy komentarz — pokaż", button("1 nowy komentarz — pokaż").query()))
	waitFor(ola, "Ewa's comment in the thread", `[...document.querySelectorAll("[data-comment-list] > li")].some(li =>
		li.textContent.includes("Popieram! Najlepiej ławki z oparciem") && li.querySelector("h3").textContent.includes("Ewa"))`)
	state = Get(ola, chromedp.Evaluate[map[string]any](`({
		stayed: document.body.dataset.stayed,
		typed: document.getElementById("body").value,
		hidden: document.querySelector("[data-comments-new]").hidden,
		focusInComment: Boolean(document.activeElement && document.activeElement.closest("[data-comment-list]")),
		count: document.querySelector("[data-comments-count]").textContent,
	})`))
	if state["stayed"] != "yes" || state["typed"] != typing || state["hidden"] != true || state["focusInComment"] != true || state["count"] != "1" {
		t.Errorf("after showing the new comment: %v", state)
	}
	CheckA11y(t, ola.Ctx, "the proposal page with the live comment shown")
	ola.CheckConsole("the proposal page, live")

	// The comment Ola saw live is the one the server keeps.
	var n int
	if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM comments WHERE target_type = 'proposal' AND target_id::text = $1`,
		strings.TrimPrefix(page.Path, "/propozycje/")).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d comments stored (%v)", n, err)
	}
}

// TestJourneyCachedPageCatchesUp: signed-out visitors get a proposal page from the page
// cache, which may be older than the newest comment. The page knows the live room's
// number it was rendered at; on subscribing it sees it is behind, asks for the comments
// it missed and offers them like live ones.
func TestJourneyCachedPageCatchesUp(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Env: map[string]string{"LAWKA_PAGE_CACHE_TTL": "1m"}})
	var id int64
	if err := srv.Pool.QueryRow(t.Context(), `SELECT p.id FROM proposals p WHERE p.status = 'published' AND p.moderation = 'visible'
		AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.target_type = 'proposal' AND c.target_id = p.id) ORDER BY p.id LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	path := srv.URL + "/propozycje/" + strconv.FormatInt(id, 10)
	b := NewBrowser(t)
	first := b.NewPerson("first visitor")
	if status := first.Open(path); status != 200 {
		t.Fatalf("first visitor: %d", status)
	}

	// A resident comments after the page went into the cache.
	api := srv.API(t)
	api.Login("advocate@example.org", seed.DemoPassword)
	if r := api.Do("POST", "/api/v1/proposals/"+strconv.FormatInt(id, 10)+"/comments",
		map[string]any{"body": "Komentarz napisany po zapamiętaniu strony", "stance": "against"}); r.StatusCode != 201 {
		t.Fatalf("comment: %d %s", r.StatusCode, r.Body)
	}

	// The next visitor gets the cached page, without the comment in its HTML…
	next := b.NewPerson("next visitor")
	if status := next.Open(path); status != 200 {
		t.Fatalf("next visitor: %d", status)
	}
	html := Get(next, chromedp.Evaluate[string](`document.querySelector("[data-comment-list]").innerHTML`))
	if strings.Contains(html, "Komentarz napisany po zapamiętaniu") {
		t.Fatal("the second view was rendered afresh; this test needs the cached page")
	}
	// …and its script catches up: the missed comment waits behind the button.
	_, err := chromedp.Run(next.Ctx, chromedp.Poll[chromedp.Void](`!document.querySelector("[data-comments-new]").hidden`,
		chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("the missed comment never announced itself: %v", err)
	}
	next.Do(chromedp.Click("button 1 nowy komentarz — pokaż", button("1 nowy komentarz — pokaż").query()))
	waitFor(next, "the missed comment in the thread", `[...document.querySelectorAll("[data-comment-list] > li")].some(li =>
		li.textContent.includes("Komentarz napisany po zapamiętaniu strony"))`)
	if n := Get(next, chromedp.Evaluate[string](`document.querySelector("[data-comments-count]").textContent`)); n != "1" {
		t.Errorf("the count says %q after catching up", n)
	}
	CheckA11y(t, next.Ctx, "a cached proposal page after catching up")
	next.CheckConsole("a cached proposal page")
}
