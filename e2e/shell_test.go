package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// The shell of every page: layout, language, footer, accessibility, small screens.

func TestHomeAccessibleInEveryLanguage(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	for _, tc := range []struct{ lang, title, euNotice string }{
		{"pl", "Dzielnice Krakowa", "Sfinansowane ze środków UE"},
		{"en", "Kraków's districts", "Funded by the European Union"},
		{"uk", "Райони Кракова", "Фінансується Європейським Союзом"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			t.Parallel()
			p := NewBrowser(t).NewPerson("visitor")
			if status := p.Open(srv.URL + "/?lang=" + tc.lang); status != 200 {
				t.Fatalf("home: status %d", status)
			}
			if lang := Get(p, chromedp.AttributeValue(chromedp.CSS("html"), "lang")).Value; lang != tc.lang {
				t.Errorf("<html lang> = %q, want %q", lang, tc.lang)
			}
			if h1 := Get(p, chromedp.Text(chromedp.CSS("h1"))); h1 != tc.title {
				t.Errorf("h1 = %q, want %q", h1, tc.title)
			}
			if n := Get(p, chromedp.Evaluate[int](`document.querySelectorAll('.district-list a[href^="/dzielnice/"]').length`)); n != 18 {
				t.Errorf("%d district links, want 18", n)
			}
			if footer := Get(p, chromedp.Text(chromedp.CSS("footer"))); !strings.Contains(footer, tc.euNotice) {
				t.Errorf("footer lacks the EU funding notice %q:\n%s", tc.euNotice, footer)
			}
			CheckA11y(t, p.Ctx, "home ("+tc.lang+")")
			p.CheckConsole("home (" + tc.lang + ")")
		})
	}
}

func TestPagesAccessible(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	for _, tc := range []struct {
		name, path string
		status     int
		check      func(t *testing.T, p *Person)
	}{
		{"district", "/dzielnice/podgorze?lang=pl", 200, func(t *testing.T, p *Person) {
			if h1 := Get(p, chromedp.Text(chromedp.CSS("h1"))); !strings.Contains(h1, "Podgórze") {
				t.Errorf("district h1 = %q, want it to name Podgórze", h1)
			}
		}},
		{"declaration", "/deklaracja?lang=pl", 200, func(t *testing.T, p *Person) {
			if text := Get(p, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(text, "Koalicji na rzecz sąsiedztw") {
				t.Errorf("the declaration page lacks its text:\n%.300s", text)
			}
		}},
		{"404", "/nie-ma-takiej-strony?lang=pl", 404, func(t *testing.T, p *Person) {
			if title := Get(p, chromedp.Title()); !strings.HasPrefix(title, "Błąd 404") {
				t.Errorf("404 page title = %q, want it to start with %q", title, "Błąd 404")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := NewBrowser(t).NewPerson("visitor")
			if status := p.Open(srv.URL + tc.path); status != tc.status {
				t.Errorf("status %d, want %d", status, tc.status)
			}
			tc.check(t, p)
			CheckA11y(t, p.Ctx, tc.name)
			p.CheckConsole(tc.name)
		})
	}
}

// TestLanguageSwitchWithoutJavaScript: the switch is a plain link that sets a cookie, and
// the skip link is the first stop for keyboard users (WCAG 2.4.1).
func TestLanguageSwitchWithoutJavaScript(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	p := NewBrowser(t).NewPerson("keyboard user")
	p.DisableJavaScript()

	p.Open(srv.URL + "/") // the browser asks for Polish (Accept-Language), so no cookie yet
	if Get(p, chromedp.Evaluate[bool](`document.documentElement.classList.contains("js")`)) {
		t.Fatal("app.js ran: JavaScript is not disabled")
	}
	if h1 := Get(p, chromedp.Text(chromedp.CSS("h1"))); h1 != "Dzielnice Krakowa" {
		t.Fatalf("h1 = %q before switching, want the Polish title", h1)
	}
	if _, err := chromedp.RunResponse(p.Ctx, chromedp.Click(chromedp.CSS(`.lang-switch a[hreflang="en"]`))); err != nil {
		t.Fatalf("clicking EN: %v", err)
	}
	assertEnglish := func(page string) {
		t.Helper()
		if lang := Get(p, chromedp.AttributeValue(chromedp.CSS("html"), "lang")).Value; lang != "en" {
			t.Errorf("%s: <html lang> = %q, want en", page, lang)
		}
		if cur := Get(p, chromedp.AttributeValue(chromedp.CSS(".lang-switch a[aria-current]"), "hreflang")).Value; cur != "en" {
			t.Errorf("%s: the language switch marks %q as current, want en", page, cur)
		}
	}
	assertEnglish("home after clicking EN")
	if h1 := Get(p, chromedp.Text(chromedp.CSS("h1"))); h1 != "Kraków's districts" {
		t.Errorf("h1 = %q after clicking EN", h1)
	}
	p.Open(srv.URL + "/deklaracja")
	assertEnglish("the declaration, opened without ?lang")

	// Keyboard: the first Tab from the top of the page reaches the skip link, now on screen.
	p.Do(chromedp.KeyEvent("\t"))
	type box struct {
		Class, Href, Text        string
		Left, Top, Right, Bottom float64
		ViewportW, ViewportH     float64
	}
	skip := Get(p, chromedp.Evaluate[box](`(() => {
  const e = document.activeElement, r = e.getBoundingClientRect();
  return {Class: e.className, Href: e.getAttribute("href") || "", Text: e.textContent.trim(),
    Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom,
    ViewportW: innerWidth, ViewportH: innerHeight};
})()`))
	if skip.Class != "skip-link" || skip.Href != "#main" {
		t.Fatalf("the first Tab focused %q (href %q), want the skip link to #main", skip.Class, skip.Href)
	}
	if skip.Text != "Skip to content" {
		t.Errorf("skip link text = %q, want the English %q", skip.Text, "Skip to content")
	}
	if skip.Right <= skip.Left || skip.Bottom <= skip.Top || skip.Left < 0 || skip.Top < 0 ||
		skip.Right > skip.ViewportW || skip.Bottom > skip.ViewportH {
		t.Errorf("the focused skip link is not on screen: box (%.0f,%.0f)–(%.0f,%.0f), viewport %.0f×%.0f",
			skip.Left, skip.Top, skip.Right, skip.Bottom, skip.ViewportW, skip.ViewportH)
	}
	// Following it moves the focus to the main content.
	p.Do(chromedp.KeyEvent("\r"))
	if id := Get(p, chromedp.Evaluate[string](`document.activeElement.id`)); id != "main" {
		t.Errorf("after following the skip link the focus is on #%q, want #main", id)
	}
	p.CheckConsole("declaration without JavaScript")
}

func TestNoHorizontalScrollAt320(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	p := NewBrowser(t).NewPerson("small phone")
	p.Do(chromedp.EmulateViewport(320, 640, chromedp.EmulatePortrait))
	for _, path := range []string{"/?lang=pl", "/?lang=uk", "/dzielnice/nowa-huta?lang=pl", "/deklaracja?lang=pl", "/wydarzenia?lang=pl", "/wydarzenia/1?lang=uk"} {
		p.Open(srv.URL + path)
		width := Get(p, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if width > 320 {
			wide := Get(p, chromedp.Evaluate[[]string](`[...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > 320.5)
  .slice(0, 5).map(e => e.outerHTML.slice(0, 120))`))
			t.Errorf("%s scrolls sideways at 320 px (scrollWidth %d); too wide:\n  %s", path, width, strings.Join(wide, "\n  "))
		}
	}
}

// TestScreenshots is a tool, not a test: `make screenshots` refreshes docs/screenshots.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("LAWKA_SCREENSHOTS")
	if dir == "" {
		t.Skip("set LAWKA_SCREENSHOTS to refresh the README screenshots")
	}
	srv := servertest.Start(t, servertest.Options{})
	p := NewBrowser(t).NewPerson("photographer")
	shoot := func(name, path string, width, height int64, fullPage bool, opts ...chromedp.EmulateViewportOption) {
		t.Helper()
		p.Do(chromedp.EmulateViewport(width, height, opts...))
		p.Open(srv.URL + path)
		if fullPage {
			h := Get(p, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
			p.Do(chromedp.EmulateViewport(width, h, opts...))
		}
		png := Get(p, chromedp.Action[[]byte](func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
			r, err := cdp.Call(ctx, tg, page.CaptureScreenshot, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng})
			return r.Data, err
		}))
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shoot("home.png", "/?lang=pl", 1280, 1000, true)
	shoot("home-mobile.png", "/?lang=pl", 390, 844, false, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
	shoot("allies.png", "/sojusznicy?lang=pl", 1280, 900, false)
	shoot("register-mobile.png", "/rejestracja?lang=pl", 390, 844, false, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
	var proposal, poll int64
	if err := srv.Pool.QueryRow(context.Background(), `SELECT (SELECT target_id FROM comment_stats WHERE target_type = 'proposal'
		ORDER BY comments DESC LIMIT 1), (SELECT id FROM polls WHERE status = 'open' ORDER BY id LIMIT 1)`).Scan(&proposal, &poll); err != nil {
		t.Fatal(err)
	}
	shoot("proposals.png", "/propozycje?lang=pl", 1280, 1000, false)
	shoot("proposal-mobile.png", fmt.Sprintf("/propozycje/%d?lang=pl", proposal), 390, 844, false, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
	shoot("poll.png", fmt.Sprintf("/ankiety/%d?lang=pl", poll), 1280, 1000, false)
	var workshop int64
	if err := srv.Pool.QueryRow(context.Background(), `SELECT id FROM events WHERE capacity IS NOT NULL AND starts_at > now()
		ORDER BY starts_at LIMIT 1`).Scan(&workshop); err != nil {
		t.Fatal(err)
	}
	var consultation, debate int64
	if err := srv.Pool.QueryRow(context.Background(), `SELECT (SELECT id FROM consultations ORDER BY id LIMIT 1),
		(SELECT d.event_id FROM debates d JOIN events e ON e.id = d.event_id ORDER BY e.starts_at DESC LIMIT 1)`).Scan(&consultation, &debate); err != nil {
		t.Fatal(err)
	}
	shoot("district.png", "/dzielnice/podgorze?lang=pl", 1280, 1000, true)
	shoot("consultation.png", fmt.Sprintf("/konsultacje/%d?lang=pl", consultation), 1280, 1000, false)
	shoot("debate-projector.png", fmt.Sprintf("/debaty/%d/rzutnik?lang=pl", debate), 1280, 720, false)
	shoot("events.png", "/wydarzenia?lang=pl", 1280, 1000, false)
	shoot("event-mobile.png", fmt.Sprintf("/wydarzenia/%d?lang=pl", workshop), 390, 844, false, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
	shoot("promises.png", "/obietnice?lang=pl", 1280, 1000, false)
	var krakow, response, report int64
	if err := srv.Pool.QueryRow(context.Background(), `SELECT (SELECT d.event_id FROM debates d JOIN events e ON e.id = d.event_id
		WHERE e.starts_at::date = '2024-04-27'), (SELECT min(id) FROM response_documents),
		(SELECT id FROM consultations WHERE report_at < now() ORDER BY id LIMIT 1)`).Scan(&krakow, &response, &report); err != nil {
		t.Fatal(err)
	}
	shoot("debate-archive.png", fmt.Sprintf("/debaty/%d/archiwum?lang=pl", krakow), 1280, 1000, false)
	shoot("consultation-report.png", fmt.Sprintf("/konsultacje/%d/raport?lang=pl", report), 1280, 1000, false)
	// The coalition's response in review is its editors' until submitted.
	signIn(t, p, srv, "advocate@example.org", seed.DemoPassword)
	shoot("response.png", fmt.Sprintf("/stanowiska/%d?lang=pl", response), 1280, 1000, false)
}
