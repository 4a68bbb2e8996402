package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lawka/internal/server/servertest"
)

// TestJourneyNotifications: an author has their proposal open; a moderator answers it
// officially; the count beside the author's account link moves without a reload, and
// the author opens the notifications page from it, reads the answer and marks all as
// read. Every page passes the accessibility checks.
func TestJourneyNotifications(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	b := NewBrowser(t)
	anna := b.NewPersonWithin("author", 90*time.Second)
	marek := b.NewPersonWithin("moderator", 90*time.Second)
	signIn(t, anna, srv, "anna.mieszkanka@example.org", "lawka-demo-2026")
	signIn(t, marek, srv, "moderator@example.org", "lawka-demo-2026")

	var id int64
	if err := srv.Pool.QueryRow(context.Background(), `SELECT p.id FROM proposals p JOIN users u ON u.id = p.author_id
		WHERE u.email = 'anna.mieszkanka@example.org' AND p.status = 'published' ORDER BY p.id LIMIT 1`).Scan(&id); err != nil {
		t.Fatalf("the author's published demo proposal: %v", err)
	}
	page := fmt.Sprintf("%s/propozycje/%d", srv.URL, id)
	if status := anna.Open(page); status != 200 {
		t.Fatalf("the author's proposal: %d", status)
	}
	// The author follows their own proposal (the seed made it so, as writing one does).
	if names := accessibleNames(anna, "button", func(n string) bool { return n == "Przestań obserwować" }); len(names) != 1 {
		t.Fatalf("the author's page offers no 'stop following' button")
	}
	CheckA11y(t, anna.Ctx, "proposal page with the follow form")
	before, err := strconv.Atoi(strings.TrimSpace(Get(anna, chromedp.Evaluate[string](`document.querySelector("[data-unread-number]").textContent`))))
	if err != nil {
		t.Fatalf("the header's unread count: %v", err)
	}
	// The page stays open from here: what changes on it changes live.
	Get(anna, chromedp.Evaluate[string](`document.body.dataset.stayed = "yes"`))

	if status := marek.Open(page); status != 200 {
		t.Fatalf("the moderator opening the proposal: %d", status)
	}
	marek.Do(chromedp.Click(chromedp.CSS(`label[for="to-under_review"]`)),
		chromedp.SendKeys(chromedp.ID("answer"), "Dziękujemy. Zarząd Zieleni Miejskiej sprawdzi, czy parking można zamienić w skwer."))
	if status := clickThrough(marek, button("Zapisz decyzję")); status != 200 {
		t.Fatalf("the decision: %d", status)
	}

	want := strconv.Itoa(before + 1)
	Get(anna, chromedp.Poll[bool](`(() => {
  const n = document.querySelector("[data-unread-number]");
  return n && n.textContent === `+strconv.Quote(want)+` && !n.closest("[data-unread-count]").hidden && document.body.dataset.stayed === "yes";
})()`, chromedp.WithPollingTimeout(30*time.Second)))
	// Screen readers hear it too (politely, within a few seconds).
	Get(anna, chromedp.Poll[bool](`document.querySelector("[data-unread-live]").textContent.includes(`+strconv.Quote(want)+`)`,
		chromedp.WithPollingTimeout(10*time.Second)))
	anna.CheckConsole("proposal page after the answer")

	if names := accessibleNames(anna, "link", func(n string) bool { return strings.HasPrefix(n, "Powiadomienia") }); len(names) != 1 ||
		!strings.Contains(names[0], "nieprzeczytane: "+want) {
		t.Errorf("the header link's accessible name: %q, want it to say %s unread", names, want)
	}
	res, err := chromedp.RunResponse(anna.Ctx, chromedp.Click(chromedp.CSS("a.notify-link")))
	if err != nil || res == nil || res.Status != 200 {
		t.Fatalf("the notifications page from the header: %v %v", res, err)
	}
	if h1 := Get(anna, chromedp.Text(chromedp.CSS("h1"))); h1 != "Powiadomienia" {
		t.Fatalf("h1 = %q", h1)
	}
	items := Get(anna, chromedp.Text(chromedp.CSS(".notifications")))
	if !strings.Contains(items, "Oficjalna odpowiedź w sprawie „Zielony skwer") || !strings.Contains(items, "Rozpatrywana") {
		t.Fatalf("the list does not show the answer:\n%s", items)
	}
	CheckA11y(t, anna.Ctx, "notifications page")
	if status := clickThrough(anna, button("Oznacz wszystkie jako przeczytane")); status != 200 {
		t.Fatalf("mark all as read: %d", status)
	}
	waitFor(anna, "the count to go", `document.querySelector("[data-unread-count]").hidden`)
	CheckA11y(t, anna.Ctx, "notifications page, all read")
	anna.CheckConsole("notifications page")
	if status := clickThrough(anna, link("Oficjalna odpowiedź w sprawie „Zielony skwer zamiast parkingu przy Królewskiej”: Rozpatrywana")); status != 200 {
		t.Fatalf("following the notification's link: %d", status)
	}
	if got := location(anna).Path; got != fmt.Sprintf("/propozycje/%d", id) {
		t.Errorf("the notification leads to %s", got)
	}
}
