package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lawka/internal/server/servertest"
)

// TestJourneyLivePoll: a moderator opens a poll; two residents vote in two browsers;
// each sees the result move without reloading, and so does the moderator's console.
func TestJourneyLivePoll(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	mod := srv.API(t)
	mod.Login("moderator@example.org", "lawka-demo-2026")
	r := mod.Do(http.MethodPost, "/api/v1/polls", map[string]any{"question": "Gdzie spotkanie sąsiedzkie w grudniu?",
		"kind": "single", "options": []string{"Klub na Podgórzu", "Biblioteka w Nowej Hucie"}, "eligibility": "registered"})
	var created struct{ Poll struct{ ID int64 } }
	r.JSON(t, &created)
	if r := mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/open", created.Poll.ID), nil); r.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", r.StatusCode)
	}
	page := fmt.Sprintf("%s/ankiety/%d", srv.URL, created.Poll.ID)

	b := NewBrowser(t)
	ola := b.NewPersonWithin("resident", 90*time.Second)
	ewa := b.NewPersonWithin("advocate", 90*time.Second)
	signIn(t, ola, srv, "resident@example.org", "lawka-demo-2026")
	signIn(t, ewa, srv, "advocate@example.org", "lawka-demo-2026")
	console := b.NewPersonWithin("moderator", 90*time.Second)
	signIn(t, console, srv, "moderator@example.org", "lawka-demo-2026")
	if status := console.Open(fmt.Sprintf("%s/admin/ankiety/%d", srv.URL, created.Poll.ID)); status != 200 {
		t.Fatalf("console page: %d", status)
	}
	Get(console, chromedp.Evaluate[string](`document.body.dataset.stayed = "yes"`))
	for _, p := range []*Person{ola, ewa} {
		if status := p.Open(page); status != 200 {
			t.Fatalf("poll page: %d", status)
		}
		// A marker that a reload would wipe (kept in the DOM: polling runs in another JS world).
		Get(p, chromedp.Evaluate[string](`document.body.dataset.stayed = "yes"`))
	}
	CheckA11y(t, ola.Ctx, "poll page")
	ola.CheckConsole("poll page")

	voteFor := func(p *Person, option string) {
		t.Helper()
		radio := target{"radio", option}
		p.Do(chromedp.Click("radio "+option, radio.query()))
		if status := clickThrough(p, button("Zagłosuj")); status != 200 {
			t.Fatalf("voting: status %d", status)
		}
		if n := Get(p, chromedp.Evaluate[int](`document.querySelectorAll(".panel-success code").length`)); n != 1 {
			t.Fatalf("no receipt after voting (on %s)", location(p))
		}
		Get(p, chromedp.Evaluate[string](`document.body.dataset.stayed = "yes"`))
	}
	waitTotal := func(p *Person, want int) {
		t.Helper()
		Get(p, chromedp.Poll[bool](fmt.Sprintf(`document.querySelector("[data-total]").textContent === "%d" && document.body.dataset.stayed === "yes"`, want),
			chromedp.WithPollingTimeout(30*time.Second)))
	}

	voteFor(ola, "Klub na Podgórzu")
	waitTotal(ewa, 1) // Ewa's page moved by itself
	if votes := Get(ewa, chromedp.Evaluate[string](`document.querySelector("[data-votes]").textContent`)); votes != "1" {
		t.Fatalf("Ewa sees %q votes for the first option", votes)
	}
	voteFor(ewa, "Biblioteka w Nowej Hucie")
	waitTotal(ola, 2) // and Ola's, on her receipt page
	waitTotal(console, 2)
	CheckA11y(t, console.Ctx, "moderator's poll console, live")
	console.CheckConsole("moderator's poll console")
	CheckA11y(t, ewa.Ctx, "poll page after voting")
	ewa.CheckConsole("poll page after voting")
	ola.CheckConsole("poll page, live")
}
