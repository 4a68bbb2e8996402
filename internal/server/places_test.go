package server_test

import (
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
