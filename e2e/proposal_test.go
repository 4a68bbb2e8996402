package e2e

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"lawka/internal/server/servertest"
)

// TestJourneyProposal: a resident writes a proposal (first with mistakes, which the form
// names) and marks its place on the map with the keyboard alone; another resident
// supports it and the author's open page shows the support without reloading. Every
// page passes the accessibility checks.
func TestJourneyProposal(t *testing.T) {
	tiles := tileServer(t)
	srv := servertest.Start(t, servertest.Options{Env: map[string]string{"LAWKA_MAP_TILES": tiles.URL + "/{z}/{x}/{y}.png"}})
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
	ola.Do(chromedp.SendKeys(chromedp.ID("location_label"), "Skwer przy Bronowickiej"))
	markPlaceWithKeyboard(t, ola)
	CheckA11y(t, ola.Ctx, "new proposal form with the map open")
	ola.CheckConsole("new proposal form with the map open")
	if tiles.served.Load() == 0 {
		t.Error("the map loaded no tiles")
	}
	if status := clickThrough(ola, button("Opublikuj propozycję")); status != 200 {
		t.Fatalf("publishing: %d", status)
	}
	if h1 := Get(ola, chromedp.Text(chromedp.CSS("h1"))); h1 != "Stół do ping-ponga" {
		t.Fatalf("after publishing, h1 = %q", h1)
	}
	if place := Get(ola, chromedp.Text(chromedp.CSS(".place"))); !strings.Contains(place, "Skwer przy Bronowickiej") ||
		!strings.Contains(place, "Otwórz w OpenStreetMap") {
		t.Fatalf("the proposal page shows the place as %q", place)
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

// markPlaceWithKeyboard opens the map picker and marks a point north-west of the city
// centre with the keyboard alone: Enter on "Wybierz na mapie", Tab to the map, arrow
// keys. The coordinate fields then hold the point and the live region says so.
func markPlaceWithKeyboard(t *testing.T, p *Person) {
	t.Helper()
	p.Do(chromedp.Focus(chromedp.CSS("[data-map-open]")), chromedp.KeyEvent("\r"))
	waitFor(p, "the map to open", `!document.querySelector("[data-map-panel]").hidden`)
	for range 3 { // past "use my location" and "remove the coordinates"
		p.Do(chromedp.KeyEvent(kb.Tab))
	}
	waitFor(p, "the map to have the focus", `document.activeElement && document.activeElement.matches("[data-map]")`)
	p.Do(chromedp.KeyEvent(kb.ArrowLeft), chromedp.KeyEvent(kb.ArrowLeft), chromedp.KeyEvent(kb.ArrowUp, chromedp.KeyModifiers(chromedp.ModifierShift)))
	lat, _ := strconv.ParseFloat(Get(p, chromedp.Value(chromedp.ID("latitude"))), 64)
	lon, _ := strconv.ParseFloat(Get(p, chromedp.Value(chromedp.ID("longitude"))), 64)
	// The first arrow puts the marker in the middle (the Main Square, 50.0617 N 19.9373 E).
	if !(lat > 50.0617 && lat < 50.13 && lon < 19.9373 && lon > 19.78) {
		t.Fatalf("after the arrow keys the fields hold %v, %v: want a point north-west of the Main Square", lat, lon)
	}
	waitFor(p, "the live region to say where the marker is", `document.querySelector("[data-map-status]").textContent.startsWith("Zaznaczono punkt")`)
	if Get(p, chromedp.Evaluate[bool](`document.querySelector("[data-map-marker]").hidden`)) {
		t.Fatal("the marker is not shown")
	}
}

// tiles is a stand-in tile server: every tile is the same small PNG.
type tiles struct {
	URL    string
	served atomic.Int64
}

func tileServer(t *testing.T) *tiles {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{0xe8, 0xee, 0xe0, 0xff}}, image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	ts := &tiles{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.served.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	ts.URL = srv.URL
	return ts
}
