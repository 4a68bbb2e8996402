package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lawka/internal/server/servertest"
)

// TestJourneyProposal: a resident writes a proposal (first with mistakes, which the form
// names); another resident supports it and the author's open page shows the support
// without reloading. Every page passes the accessibility checks.
func TestJourneyProposal(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	b := NewBrowser(t)
	ola := b.NewPersonWithin("author", 90*time.Second)
	jan := b.NewPersonWithin("supporter", 90*time.Second)
	signIn(t, ola, srv, "anna.mieszkanka@example.org", "lawka-demo-2026")
	signIn(t, jan, srv, "resident@example.org", "lawka-demo-2026")

	if status := ola.Open(srv.URL + "/propozycje"); status != 200 {
		t.Fatalf("list: %d", status)
	}
	CheckA11y(t, ola.Ctx, "proposal list")
	if status := clickThrough(ola, link("Dodaj propozycję")); status != 200 {
		t.Fatalf("new proposal form: %d", status)
	}
	CheckA11y(t, ola.Ctx, "new proposal form")
	ola.Do(chromedp.SendKeys(chromedp.ID("title"), "Stół do ping-ponga"))
	if status := clickThrough(ola, button("Opublikuj propozycję")); status != 422 {
		t.Fatalf("an incomplete proposal: %d, want 422", status)
	}
	waitFor(ola, "the error summary to have the focus", `document.activeElement && document.activeElement.matches(".error-summary[role=alert]")`)
	if v := Get(ola, chromedp.Value(chromedp.ID("title"))); v != "Stół do ping-ponga" {
		t.Fatalf("the title typed was lost: %q", v)
	}
	CheckA11y(t, ola.Ctx, "new proposal form with errors")
	ola.CheckConsole("new proposal form with errors")
	ola.Do(chromedp.SendKeys(chromedp.ID("body"), "Betonowy stół do ping-ponga na skwerze przy Bronowickiej, dla dzieci i dorosłych."))
	chooseOption(ola, "neighbourhood_id", "V Krowodrza")
	if status := clickThrough(ola, button("Opublikuj propozycję")); status != 200 {
		t.Fatalf("publishing: %d", status)
	}
	if h1 := Get(ola, chromedp.Text(chromedp.CSS("h1"))); h1 != "Stół do ping-ponga" {
		t.Fatalf("after publishing, h1 = %q", h1)
	}
	CheckA11y(t, ola.Ctx, "proposal page")
	ola.CheckConsole("proposal page")
	page := location(ola)
	Get(ola, chromedp.Evaluate[string](`document.body.dataset.stayed = "yes"`))

	if status := jan.Open(fmt.Sprintf("%s%s", srv.URL, page.Path)); status != 200 {
		t.Fatalf("the supporter opening the page: %d", status)
	}
	if status := clickThrough(jan, button("Popieram")); status != 200 {
		t.Fatalf("supporting: %d", status)
	}
	if got := Get(jan, chromedp.Text(chromedp.CSS("[data-supports]"))); strings.TrimSpace(got) != "1" {
		t.Fatalf("the supporter sees %q supports", got)
	}
	Get(ola, chromedp.Poll[bool](`document.querySelector("[data-supports]").textContent === "1" && document.body.dataset.stayed === "yes"`,
		chromedp.WithPollingTimeout(30*time.Second)))
	CheckA11y(t, jan.Ctx, "proposal page after supporting")
	jan.CheckConsole("proposal page after supporting")
}
