package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// TestJourneyRegisterForEventWithKeyboard: a resident opens the calendar, reaches the
// online information meeting with Tab alone and opens it with Enter, then registers with
// the keyboard; the page says she has a place and offers to cancel. Then she joins the
// waiting list of the full workshop and sees her place in the queue. The calendar and
// the event pages pass axe.
func TestJourneyRegisterForEventWithKeyboard(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	b := NewBrowser(t)
	ola := b.NewPerson("resident")
	signIn(t, ola, srv, "resident@example.org", seed.DemoPassword)

	if status := ola.Open(srv.URL + "/wydarzenia"); status != 200 {
		t.Fatalf("the calendar: %d", status)
	}
	CheckA11y(t, ola.Ctx, "the calendar of events")
	ola.CheckConsole("the calendar")

	const meeting = "Spotkanie informacyjne online: Koalicja na rzecz sąsiedztw"
	tabTo(t, ola, "the link to the online meeting", `document.activeElement.tagName === "A" && document.activeElement.textContent.trim() === `+jsString(meeting))
	pressEnter(t, ola, "opening the online meeting")
	if h1 := Get(ola, chromedp.Text(chromedp.CSS("h1"))); h1 != meeting {
		t.Fatalf("Enter on the link opened %q (%s)", h1, location(ola))
	}
	CheckA11y(t, ola.Ctx, "an event's page before registering")

	tabTo(t, ola, "the register button", `document.activeElement.tagName === "BUTTON" && document.activeElement.textContent.trim() === "Zapisz się"`)
	pressEnter(t, ola, "registering")
	if loc := location(ola); loc.Fragment != "zapisy" || loc.Query().Get("zrobione") != "zapis" {
		t.Errorf("after registering Ola is at %s", loc)
	}
	main := Get(ola, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(main, "Zapisaliśmy Cię") || !strings.Contains(main, "Masz miejsce na tym wydarzeniu") ||
		len(accessibleNames(ola, "button", func(n string) bool { return n == "Zrezygnuj z udziału" })) != 1 {
		t.Errorf("after registering the page says:\n%.600s", main)
	}
	CheckA11y(t, ola.Ctx, "an event's page with a place")
	ola.CheckConsole("the event page after registering")

	// The full workshop: the waiting list, third in the queue (two were waiting).
	ola.Open(srv.URL + "/wydarzenia")
	const workshop = "Warsztat: jak otworzyć klub sąsiedzki (demo)"
	tabTo(t, ola, "the link to the workshop", `document.activeElement.tagName === "A" && document.activeElement.textContent.trim() === `+jsString(workshop))
	pressEnter(t, ola, "opening the workshop")
	tabTo(t, ola, "the waiting-list button", `document.activeElement.tagName === "BUTTON" && document.activeElement.textContent.trim() === "Zapisz się na listę rezerwową"`)
	pressEnter(t, ola, "joining the waiting list")
	if main := Get(ola, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(main, "Jesteś na liście rezerwowej, 3. w kolejce.") {
		t.Errorf("after joining the waiting list the page says:\n%.600s", main)
	}
	CheckA11y(t, ola.Ctx, "an event's page on the waiting list")

	var statuses string
	if err := srv.Pool.QueryRow(t.Context(), `SELECT string_agg(r.status, ',' ORDER BY e.starts_at) FROM event_registrations r
		JOIN events e ON e.id = r.event_id JOIN users u ON u.id = r.user_id WHERE u.email = 'resident@example.org'`).Scan(&statuses); err != nil ||
		statuses != "waiting,registered" {
		t.Errorf("the resident's registrations are %q (%v), want waiting for the workshop and a place online", statuses, err)
	}
}

// TestEventStaffFormsAccessible: the moderator's form for a new event, the form again
// with its errors after an empty submission (focus on the summary), the minutes form, the
// list of registrations and the paper signature form pass axe.
func TestEventStaffFormsAccessible(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	mod := NewBrowser(t).NewPerson("moderator")
	signIn(t, mod, srv, "moderator@example.org", seed.DemoPassword)
	if status := mod.Open(srv.URL + "/admin/wydarzenia/nowe"); status != 200 {
		t.Fatalf("the new event form: %d", status)
	}
	CheckA11y(t, mod.Ctx, "the new event form")
	if status := clickThrough(mod, button("Zapisz wydarzenie")); status != 422 {
		t.Fatalf("an empty form: %d", status)
	}
	if title := Get(mod, chromedp.Title()); !strings.HasPrefix(title, "Błąd:") {
		t.Errorf("the page with errors is titled %q", title)
	}
	waitFor(mod, "the focus on the error summary", `document.activeElement && document.activeElement.matches("[data-error-summary]")`)
	CheckA11y(t, mod.Ctx, "the new event form with errors")
	var workshop string
	if err := srv.Pool.QueryRow(t.Context(), `SELECT id::text FROM events WHERE capacity IS NOT NULL ORDER BY id LIMIT 1`).Scan(&workshop); err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"/admin/wydarzenia", "/admin/wydarzenia/" + workshop, "/admin/wydarzenia/" + workshop + "/notatka",
		"/admin/wydarzenia/" + workshop + "/zapisy", "/admin/podpisy/papier?wydarzenie=" + workshop} {
		if status := mod.Open(srv.URL + page); status != 200 {
			t.Fatalf("%s: %d", page, status)
		}
		CheckA11y(t, mod.Ctx, page)
		mod.CheckConsole(page)
	}
}

// tabTo presses Tab until the condition on document.activeElement holds (at most 150
// times: every focusable thing on a long page).
func tabTo(t *testing.T, p *Person, what, condition string) {
	t.Helper()
	for range 150 {
		if Get(p, chromedp.Evaluate[bool](condition)) {
			return
		}
		p.Do(chromedp.KeyEvent("\t"))
	}
	t.Fatalf("e2e: %s: Tab never reached %s", p.name, what)
}

// pressEnter presses Enter on the focused element and waits for the page it loads.
func pressEnter(t *testing.T, p *Person, what string) {
	t.Helper()
	res, err := chromedp.RunResponse(p.Ctx, chromedp.KeyEvent("\r"))
	if err != nil || res == nil || res.Status != 200 {
		t.Fatalf("e2e: %s: %s: %v (%v)", p.name, what, err, res)
	}
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
