package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"lawka/internal/server/servertest"
)

type placeJSON struct {
	Label     string
	Latitude  *float64
	Longitude *float64
}

// TestProposalLocationIsChecked: a place outside Kraków, one coordinate without the
// other, a coordinate that is no number and a label too long are each named on their
// field (422, in the API and in the form, the form keeping what was typed), and
// nothing is saved: no new proposal, no change to an existing one.
func TestProposalLocationIsChecked(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	a := s.API(t)
	a.Login("resident@example.org", "lawka-demo-2026")
	district := districtID(t, s, "podgorze")
	good := func() map[string]any {
		return map[string]any{"title": "Ławka przy przystanku", "body": "Przy przystanku tramwajowym brakuje ławki dla starszych osób.",
			"neighbourhood_id": district, "location_label": "Rynek Podgórski", "latitude": 50.044, "longitude": 19.949}
	}
	existing := newProposal(t, a, good())
	before := scalar[int](t, s, `SELECT count(*)::int FROM proposals`)
	for _, c := range []struct {
		name   string
		fields []string
		change func(m map[string]any)
	}{
		{"Warsaw", []string{"latitude", "longitude"}, func(m map[string]any) { m["latitude"], m["longitude"] = 52.23, 21.01 }},
		{"south of the city", []string{"latitude"}, func(m map[string]any) { m["latitude"] = 49.95 }},
		{"east of the city", []string{"longitude"}, func(m map[string]any) { m["longitude"] = 20.24 }},
		{"latitude only", []string{"longitude"}, func(m map[string]any) { delete(m, "longitude") }},
		{"longitude only", []string{"latitude"}, func(m map[string]any) { m["latitude"] = nil }},
		{"latitude not a number", []string{"latitude"}, func(m map[string]any) { m["latitude"] = "50.04" }},
		{"label too long", []string{"location_label"}, func(m map[string]any) { m["location_label"] = strings.Repeat("ż", 201) }},
	} {
		for _, method := range []string{http.MethodPost, http.MethodPatch} {
			body := good()
			c.change(body)
			path := "/api/v1/proposals"
			if method == http.MethodPatch {
				path = fmt.Sprintf("/api/v1/proposals/%d", existing.ID)
			}
			r := a.Do(method, path, body)
			var e struct {
				Error struct{ Fields map[string]string }
			}
			r.JSON(t, &e)
			if r.StatusCode != http.StatusUnprocessableEntity || len(e.Error.Fields) != len(c.fields) {
				t.Errorf("%s %s: %d %s, want 422 naming %v", method, c.name, r.StatusCode, r.Body, c.fields)
				continue
			}
			for _, f := range c.fields {
				if e.Error.Fields[f] == "" {
					t.Errorf("%s %s: %s, want %s named", method, c.name, r.Body, f)
				}
			}
		}
	}
	if after := scalar[int](t, s, `SELECT count(*)::int FROM proposals`); after != before {
		t.Errorf("%d proposals saved from bad places", after-before)
	}
	if n := scalar[int](t, s, `SELECT count(*)::int FROM proposals WHERE id = $1 AND latitude = 50.044 AND longitude = 19.949
		AND location_label = 'Rynek Podgórski'`, existing.ID); n != 1 {
		t.Error("a refused edit changed the place")
	}

	ola := s.Browser(t)
	ola.SignIn("resident@example.org", "lawka-demo-2026")
	form := url.Values{"title": {"Ławka przy przystanku"}, "body": {"Przy przystanku tramwajowym brakuje ławki dla starszych osób."},
		"neighbourhood_id": {strconv.FormatInt(district, 10)}, "location_label": {"Przystanek"}, "latitude": {"pięćdziesiąt"}, "longitude": {"19,949"}}
	r := ola.Submit("/propozycje/nowa", "/propozycje", form)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#latitude"`) ||
		!strings.Contains(r.Body, `value="pięćdziesiąt"`) || !strings.Contains(r.Body, `value="19,949"`) ||
		!strings.Contains(r.Body, "Wpisz współrzędną jako liczbę") {
		t.Errorf("the form with a latitude in words: %d", r.StatusCode)
	}
	form.Set("latitude", "")
	if r := ola.Submit("/propozycje/nowa", "/propozycje", form); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `href="#latitude"`) || !strings.Contains(r.Body, "Podaj obie współrzędne albo żadnej.") {
		t.Errorf("the form with a longitude only: %d", r.StatusCode)
	}
	if after := scalar[int](t, s, `SELECT count(*)::int FROM proposals`); after != before {
		t.Errorf("%d proposals saved from bad forms", after-before)
	}
}

// TestProposalLocationRoundTrips: a place typed in the form (with a decimal comma) is on
// the proposal's page with its coordinates and an OpenStreetMap link, in the edit form,
// in the API and on the lists; the API sets and changes it too.
func TestProposalLocationRoundTrips(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ola := s.Browser(t)
	ola.SignIn("resident@example.org", "lawka-demo-2026")
	district := districtID(t, s, "podgorze")
	form := url.Values{"title": {"Poidełko na Rynku Podgórskim"}, "body": {"Latem na rynku przydałoby się poidełko z wodą pitną."},
		"neighbourhood_id": {strconv.FormatInt(district, 10)}, "location_label": {"Rynek Podgórski"}, "latitude": {"50,044"}, "longitude": {" 19.949 "}}
	r := ola.Submit("/propozycje/nowa", "/propozycje", form)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.StatusCode, r.Title())
	}
	id := mustAtoi(t, strings.TrimPrefix(strings.Split(r.Header.Get("Location"), "?")[0], "/propozycje/"))
	page := s.Browser(t).Get(fmt.Sprintf("/propozycje/%d", id))
	for _, want := range []string{"Rynek Podgórski", "50.04400° N, 19.94900° E",
		`<a href="https://www.openstreetmap.org/?mlat=50.04400&amp;mlon=19.94900#map=17/50.04400/19.94900">Otwórz w OpenStreetMap</a>`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the proposal page lacks %s", want)
		}
	}
	edit := ola.Get(fmt.Sprintf("/propozycje/%d/edycja", id))
	if !strings.Contains(edit.Body, `value="50.044"`) || !strings.Contains(edit.Body, `value="19.949"`) || !strings.Contains(edit.Body, `value="Rynek Podgórski"`) {
		t.Error("the edit form does not show the place")
	}
	for _, list := range []string{"/propozycje", "/dzielnice/podgorze"} {
		if r := s.Browser(t).Get(list); !strings.Contains(r.Body, `</svg><span class="visually-hidden">Miejsce:</span> Rynek Podgórski</p>`) {
			t.Errorf("%s does not show the place", list)
		}
	}

	a := s.API(t)
	a.Login("resident@example.org", "lawka-demo-2026")
	var got struct{ Proposal struct{ Location *placeJSON } }
	a.Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d", id), nil).JSON(t, &got)
	if l := got.Proposal.Location; l == nil || l.Label != "Rynek Podgórski" || l.Latitude == nil || *l.Latitude != 50.044 || *l.Longitude != 19.949 {
		t.Fatalf("API location after the form: %+v", l)
	}
	r = a.Do(http.MethodPatch, fmt.Sprintf("/api/v1/proposals/%d", id), map[string]any{"title": "Poidełko na Rynku Podgórskim",
		"body": "Latem na rynku przydałoby się poidełko z wodą pitną.", "neighbourhood_id": district, "latitude": 50.0451, "longitude": 19.9502})
	r.JSON(t, &got)
	if l := got.Proposal.Location; r.StatusCode != http.StatusOK || l == nil || l.Label != "" || *l.Latitude != 50.0451 || *l.Longitude != 19.9502 {
		t.Fatalf("API edit of the place: %d %s", r.StatusCode, r.Body)
	}
	r = a.Do(http.MethodPatch, fmt.Sprintf("/api/v1/proposals/%d", id), map[string]any{"title": "Poidełko na Rynku Podgórskim",
		"body": "Latem na rynku przydałoby się poidełko z wodą pitną.", "neighbourhood_id": district})
	if !strings.Contains(r.Body, `"proposal"`) || strings.Contains(r.Body, `"location"`) {
		t.Fatalf("an edit without a place keeps one: %s", r.Body)
	}

	// A proposal handed in on paper keeps its place too.
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", "lawka-demo-2026")
	form.Set("latitude", "50.0718")
	form.Set("longitude", "20.0378")
	if r := mod.Submit("/admin/propozycje/papier", "/admin/propozycje/papier", form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("paper proposal with a place: %d %s", r.StatusCode, r.Title())
	}
	if n := scalar[int](t, s, `SELECT count(*)::int FROM proposals WHERE channel = 'paper' AND latitude = 50.0718 AND longitude = 20.0378`); n != 1 {
		t.Fatal("the paper proposal's point was not saved")
	}
}

// TestMapTilesSetting: the tile server's origin is in the CSP and the form offers the
// map; set empty, neither (the coordinate fields stay).
func TestMapTilesSetting(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		tiles  *string
		origin string
	}{
		{nil, "https://tile.openstreetmap.org"},
		{ptr("http://127.0.0.1:9/{z}/{x}/{y}.png"), "http://127.0.0.1:9"},
		{ptr(""), ""},
	} {
		env := map[string]string{}
		if c.tiles != nil {
			env["LAWKA_MAP_TILES"] = *c.tiles
		}
		s := servertest.Start(t, servertest.Options{Env: env})
		b := s.Browser(t)
		b.SignIn("resident@example.org", "lawka-demo-2026")
		r := b.Get("/propozycje/nowa")
		csp := r.Header.Get("Content-Security-Policy")
		hasMap := strings.Contains(r.Body, "data-map-open")
		if c.origin == "" {
			if strings.Contains(csp, "tile") || strings.Contains(csp, "127.0.0.1") || hasMap || !strings.Contains(r.Body, `id="latitude"`) {
				t.Errorf("map off: CSP %q, map offered %v", csp, hasMap)
			}
			continue
		}
		if !strings.Contains(csp, "img-src 'self' data: "+c.origin+";") || !hasMap {
			t.Errorf("tiles %v: CSP %q, map offered %v", c.tiles, csp, hasMap)
		}
	}
}

func ptr[T any](v T) *T { return &v }
