package e2e

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// TestJourneyPromiseLoggedFromTheConsole: a moderator logs a promise from the console's
// form; a visitor on the debate's page sees it arrive live, then finds it in the
// tracker and on its own page. The console, the debate's page, the tracker and the
// promise's page pass axe.
func TestJourneyPromiseLoggedFromTheConsole(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	var id int64
	if err := srv.Pool.QueryRow(t.Context(), `SELECT event_id FROM debates WHERE phase = 'scheduled' ORDER BY event_id LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	debate := srv.URL + "/debaty/" + strconv.FormatInt(id, 10)
	b := NewBrowser(t)
	visitor := b.NewPerson("visitor")
	visitor.Open(debate)
	waitFor(visitor, "the promises' live connection", `document.querySelector('[data-live-room^="debate-promises:"]').dataset.following === "yes"`)

	mod := b.NewPerson("moderator")
	signIn(t, mod, srv, "moderator@example.org", seed.DemoPassword)
	if status := mod.Open(debate + "/konsola"); status != 200 {
		t.Fatalf("the console: %d", status)
	}
	const text = "Do końca roku otworzymy trzy lokale w Nowej Hucie."
	mod.Do(chromedp.SendKeys(chromedp.ID("promise_text"), text), chromedp.SendKeys(chromedp.ID("promise_topic"), "lokale"))
	if status := clickThrough(mod, button("Zapisz obietnicę")); status != 200 {
		t.Fatalf("logging the promise: %d", status)
	}
	waitFor(mod, "the promise on the console", `document.querySelector("#obietnice").textContent.includes("Obietnica zapisana.") &&
		document.querySelector("[data-promise-list]").textContent.includes(`+strconv.Quote(text)+`)`)
	CheckA11y(t, mod.Ctx, "the console with a promise")
	mod.CheckConsole("the console")

	waitFor(visitor, "the promise arriving live", `document.querySelector("[data-promise-list]").textContent.includes(`+strconv.Quote(text)+`)`)
	CheckA11y(t, visitor.Ctx, "the debate's page with its promises")
	visitor.CheckConsole("the debate's page")

	visitor.Open(srv.URL + "/obietnice?temat=lokale")
	waitFor(visitor, "the promise in the tracker", `document.querySelector(".promise-list").textContent.includes(`+strconv.Quote(text)+`)`)
	CheckA11y(t, visitor.Ctx, "the promise tracker")
	if status := clickThrough(visitor, link(text)); status != 200 {
		t.Fatalf("the promise's page: %d", status)
	}
	waitFor(visitor, "the promise's page", `document.querySelector("h1").textContent.includes(`+strconv.Quote(text)+`)`)
	CheckA11y(t, visitor.Ctx, "a promise's page")
	visitor.CheckConsole("the promise's page")
}
