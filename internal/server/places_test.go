package server_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"lawka/internal/server/servertest"
)

// TestAdminsKeepDistrictsAndTopics: an admin renames a district and adds and renames a
// topic in three languages (audited, shown at once); mistakes are named; moderators
// and residents cannot; seeding again does not undo the admin's names.
func TestAdminsKeepDistrictsAndTopics(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	admin := s.Browser(t)
	admin.SignIn("admin@example.org", "lawka-demo-2026")
	podgorze := strconv.FormatInt(districtID(t, s, "podgorze"), 10)

	if r := admin.Submit("/admin/dzielnice", "/admin/dzielnice/"+podgorze, url.Values{"name": {"Podgórze (Stare)"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("rename: %d %s", r.StatusCode, r.Title())
	}
	if r := s.Browser(t).Get("/dzielnice/podgorze"); !strings.Contains(r.Body, "Podgórze (Stare)") {
		t.Fatal("the district page does not show the new name")
	}
	if r := admin.Submit("/admin/dzielnice", "/admin/dzielnice/"+podgorze, url.Values{"name": {"  "}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an empty name: %d", r.StatusCode)
	}

	r := admin.Submit("/admin/dzielnice", "/admin/tematy", url.Values{"name_pl": {"Zieleń i ławki"}, "name_en": {"Greenery and benches"},
		"name_uk": {"Зелень і лавки"}, "position": {"7"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("new topic: %d %s", r.StatusCode, r.Title())
	}
	id := scalar[int64](t, s, `SELECT id FROM topics WHERE slug = 'zielen-i-lawki'`)
	if r := admin.Submit("/admin/dzielnice", "/admin/tematy/"+strconv.FormatInt(id, 10), url.Values{"name_pl": {"Zieleń, ławki i cień"},
		"name_en": {"Greenery, benches and shade"}, "name_uk": {"Зелень, лавки й тінь"}, "position": {"2"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("rename topic: %d", r.StatusCode)
	}
	if r := s.Browser(t).Get("/propozycje/nowa?lang=en"); r.StatusCode != http.StatusOK && r.StatusCode != http.StatusSeeOther {
		t.Fatalf("form: %d", r.StatusCode)
	}
	if r := s.Browser(t).Get("/propozycje?lang=uk"); !strings.Contains(r.Body, "Зелень, лавки й тінь") {
		t.Fatal("the list's topic filter does not show the Ukrainian name")
	}
	if r := admin.Submit("/admin/dzielnice", "/admin/tematy", url.Values{"name_pl": {""}, "position": {"x"}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `href="#name_pl"`) || !strings.Contains(r.Body, `href="#position"`) {
		t.Fatalf("a topic without a Polish name and a bad position: %d", r.StatusCode)
	}
	if n := scalar[int](t, s, `SELECT count(*)::int FROM audit_log WHERE action IN ('neighbourhood.rename', 'topic.create', 'topic.update')`); n != 3 {
		t.Fatalf("%d audit entries, want 3", n)
	}

	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", "lawka-demo-2026")
	if r := mod.Get("/admin/dzielnice"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a moderator on the page: %d", r.StatusCode)
	}
	if r := mod.Post("/admin/tematy", url.Values{"name_pl": {"Temat moderatora"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a moderator adding a topic: %d", r.StatusCode)
	}
}

// TestDistrictPageListsEverythingAboutTheDistrict: a district's page shows its
// proposals, consultations, coming events, the debates held there or about it (past
// ones too) and the places its proposals and events name, each linking to its page.
func TestDistrictPageListsEverythingAboutTheDistrict(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	podgorze := districtID(t, s, "podgorze")
	debate := scalar[int64](t, s, `SELECT e.id FROM events e JOIN debates d ON d.event_id = e.id WHERE e.status = 'published'
		ORDER BY e.starts_at LIMIT 1`)
	if _, err := s.Pool.Exec(t.Context(), `INSERT INTO debate_districts (event_id, neighbourhood_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		debate, podgorze); err != nil {
		t.Fatal(err)
	}
	located := scalar[int64](t, s, `SELECT id FROM proposals WHERE neighbourhood_id = $1 AND location_label IS NOT NULL
		AND status <> 'draft' AND moderation = 'visible' ORDER BY id LIMIT 1`, podgorze)
	label := scalar[string](t, s, `SELECT location_label FROM proposals WHERE id = $1`, located)
	consultation := scalar[int64](t, s, `SELECT c.id FROM consultations c JOIN consultation_districts d ON d.consultation_id = c.id
		WHERE d.neighbourhood_id = $1 ORDER BY c.id LIMIT 1`, podgorze)
	page := s.Browser(t).Get("/dzielnice/podgorze")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("district page: %d", page.StatusCode)
	}
	for what, want := range map[string]string{
		"the debate":           fmt.Sprintf(`href="/debaty/%d"`, debate),
		"the consultation":     fmt.Sprintf(`href="/konsultacje/%d"`, consultation),
		"the located proposal": fmt.Sprintf(`href="/propozycje/%d"`, located),
		"the place's name":     "<strong>" + html.EscapeString(label) + "</strong>",
		"the places heading":   `id="places-heading"`,
		"the debates heading":  `id="debates-heading"`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the district page does not show %s (%s)", what, want)
		}
	}
	other := scalar[string](t, s, `SELECT n.slug FROM neighbourhoods n WHERE n.id IS DISTINCT FROM (SELECT neighbourhood_id FROM events WHERE id = $1)
		AND NOT EXISTS (SELECT 1 FROM debate_districts x WHERE x.event_id = $1 AND x.neighbourhood_id = n.id) ORDER BY n.number LIMIT 1`, debate)
	if r := s.Browser(t).Get("/dzielnice/" + other); strings.Contains(r.Body, fmt.Sprintf(`href="/debaty/%d"`, debate)) {
		t.Errorf("%s, a district the debate is not about, lists it", other)
	}
}
