package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"lawka/internal/platform/i18n"
	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// TestEventPagesJourney: a moderator's form refuses bad input naming the field and keeps
// what was typed, then creates an event; a resident finds it in the calendar and on the
// district page, registers with the page's button, another lands on the waiting list
// and gets the place (and a mail) when the first cancels; the .ics files are served;
// minutes and a file come after the event.
func TestEventPagesJourney(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", seed.DemoPassword)
	var district int64
	if err := s.Pool.QueryRow(ctx, `SELECT id FROM neighbourhoods WHERE slug = 'debniki'`).Scan(&district); err != nil {
		t.Fatal(err)
	}
	day := time.Now().In(i18n.Warsaw).AddDate(0, 0, 14).Format(time.DateOnly)
	form := url.Values{"kind": {"meeting"}, "title": {"Spacer po Dębnikach"}, "description": {"Spotykamy się przy **Rondzie**."},
		"starts_at": {day}, "starts_at_time": {"17:00"}, "ends_at": {day}, "ends_at_time": {"16:00"},
		"address": {"Rondo Grunwaldzkie, Kraków"}, "neighbourhood_id": {strconv.FormatInt(district, 10)},
		"accessibility": {"Trasa bez schodów, 2 km."}, "online_url": {"javascript:alert(1)"}, "organisers": {"Klub Sąsiedzki (demo)"},
		"registration": {"yes"}, "capacity": {"-3"}, "status": {"published"}}
	r := mod.Submit("/admin/wydarzenia/nowe", "/admin/wydarzenia", form)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Title(), "Błąd:") {
		t.Fatalf("bad form: %d %q", r.StatusCode, r.Title())
	}
	for _, field := range []string{"ends_at", "online_url", "capacity"} {
		if !strings.Contains(r.Body, `href="#`+field+`"`) || !strings.Contains(r.Body, `id="`+field+`-error"`) {
			t.Errorf("the error summary or the field does not name %s", field)
		}
	}
	if !strings.Contains(r.Body, `value="Spacer po Dębnikach"`) || !strings.Contains(r.Body, "Spotykamy się przy **Rondzie**.") {
		t.Error("what the moderator typed was lost")
	}
	var n int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE title = 'Spacer po Dębnikach'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d events saved from a bad form (%v)", n, err)
	}
	form.Set("ends_at_time", "19:00")
	form.Set("online_url", "")
	form.Set("capacity", "1")
	r = mod.Post("/admin/wydarzenia", form)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/wydarzenia/") {
		t.Fatalf("good form: %d %s\n%s", r.StatusCode, r.Header.Get("Location"), authzSnippet(r.Body))
	}
	page := strings.SplitN(r.Header.Get("Location"), "?", 2)[0]
	id := strings.TrimPrefix(page, "/wydarzenia/")

	// A resident finds it in the calendar, filtered by kind and district, and on the district page.
	ola := s.Browser(t)
	ola.SignIn("resident@example.org", seed.DemoPassword)
	r = ola.Get("/wydarzenia?kind=meeting&neighbourhood_id=" + strconv.FormatInt(district, 10) + "&month=" + day[:7])
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `href="/wydarzenia/`+id+`"`) {
		t.Fatalf("the calendar does not list the new event: %d", r.StatusCode)
	}
	if r = ola.Get("/wydarzenia?month=2026-13"); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#month"`) {
		t.Errorf("a malformed month: %d", r.StatusCode)
	}
	if r = ola.Get("/dzielnice/debniki"); !strings.Contains(r.Body, `href="/wydarzenia/`+id+`"`) {
		t.Error("the district page does not list the event")
	}
	r = ola.Get(page)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `action="/wydarzenia/`+id+`/zapis"`) ||
		!strings.Contains(r.Body, "<strong>Rondzie</strong>") || !strings.Contains(r.Body, "Trasa bez schodów") ||
		!strings.Contains(r.Body, `href="/wydarzenia/`+id+`.ics"`) || !strings.Contains(r.Body, "openstreetmap.org/search?query=Rondo%20Grunwaldzkie") {
		t.Fatalf("the event page: %d\n%s", r.StatusCode, r.Body[strings.Index(r.Body, "<main"):])
	}
	r = ola.Post(page+"/zapis", nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("registering: %d", r.StatusCode)
	}
	r = ola.Get(r.Header.Get("Location"))
	if !strings.Contains(r.Body, "Zapisaliśmy Cię") || !strings.Contains(r.Body, "Masz miejsce na tym wydarzeniu") {
		t.Errorf("after registering the page says:\n%s", authzSnippet(r.Body))
	}

	// Another resident: the one place is taken, so the waiting list.
	anna := s.Browser(t)
	anna.SignIn("anna.mieszkanka@example.org", seed.DemoPassword)
	r = anna.Get(page)
	if !strings.Contains(r.Body, "Zapisz się na listę rezerwową") {
		t.Errorf("a full event offers no waiting list:\n%s", authzSnippet(r.Body))
	}
	anna.Post(page+"/zapis", nil)
	if r = anna.Get(page + "?zrobione=zapis"); !strings.Contains(r.Body, "Jesteś na liście rezerwowej, 1. w kolejce.") {
		t.Errorf("the waiting person's page:\n%s", authzSnippet(r.Body))
	}
	// Ola cancels: Anna has the place and a mail.
	ola.Get(page)
	if r = ola.Post(page+"/rezygnacja", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancelling: %d", r.StatusCode)
	}
	if r = anna.Get(page); !strings.Contains(r.Body, "Masz miejsce na tym wydarzeniu") {
		t.Error("Anna did not move up")
	}
	mails := s.Mail(t, "anna.mieszkanka@example.org")
	if len(mails) == 0 || mails[0].Subject != "Masz miejsce: Spacer po Dębnikach" {
		t.Errorf("Anna's mail: %+v", mails)
	}

	// The staff see the list; a resident does not.
	if r = mod.Get("/admin/wydarzenia/" + id + "/zapisy"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "anna.mieszkanka@example.org") {
		t.Errorf("the registrations list: %d", r.StatusCode)
	}
	if r = ola.Get("/admin/wydarzenia/" + id + "/zapisy"); r.StatusCode != http.StatusForbidden {
		t.Errorf("a resident reading the registrations: %d", r.StatusCode)
	}

	// The calendar files.
	for _, path := range []string{page + ".ics", "/wydarzenia.ics", "/wydarzenia.ics?kind=gala"} {
		r = ola.Get(path)
		if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/calendar") ||
			!strings.HasPrefix(r.Body, "BEGIN:VCALENDAR\r\n") || strings.Contains(strings.ReplaceAll(r.Body, "\r\n", ""), "\n") {
			t.Errorf("%s: %d %q\n%s", path, r.StatusCode, r.Header.Get("Content-Type"), authzSnippet(r.Body))
		}
	}
	if !strings.Contains(ola.Get(page+".ics").Body, "SUMMARY:Spacer po Dębnikach\r\n") {
		t.Error("the event's .ics lacks its summary")
	}
	if body := ola.Get("/wydarzenia.ics").Body; !strings.Contains(body, "Gala Sojusznik") || !strings.Contains(strings.ReplaceAll(body, "\r\n ", ""), "Spacer po Dębnikach") {
		t.Error("the feed lacks the seeded gala or the new event")
	}

	// Minutes and a file once it has begun (moved into the past here).
	if _, err := s.Pool.Exec(ctx, `UPDATE events SET starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	mod.Get("/admin/wydarzenia/" + id + "/notatka")
	r = mod.PostMultipart("/admin/wydarzenia/"+id+"/notatka", url.Values{"minutes": {"Przyszło **12 osób**."}},
		servertest.FormFile{Field: "attachments", Name: "lista.pdf", ContentType: "application/pdf", Content: []byte("%PDF-1.4\n%lista obecności\n")})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving minutes: %d\n%s", r.StatusCode, authzSnippet(r.Body))
	}
	r = ola.Get(page)
	if !strings.Contains(r.Body, "<strong>12 osób</strong>") || !strings.Contains(r.Body, "/zalaczniki/") {
		t.Fatalf("the minutes are not on the page:\n%s", authzSnippet(r.Body))
	}
	var file string
	if err := s.Pool.QueryRow(ctx, `SELECT file_id::text FROM event_attachments WHERE event_id = $1`, id).Scan(&file); err != nil {
		t.Fatal(err)
	}
	if r = s.Browser(t).Get(page + "/zalaczniki/" + file); r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("the attachment: %d %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	// The Declaration signed on paper at the event: the staff's page links to the form
	// with the event chosen; the signature is confirmed, marked paper, with the event.
	if r = mod.Get(page); !strings.Contains(r.Body, `href="/admin/podpisy/papier?wydarzenie=`+id+`"`) {
		t.Error("the staff's event page does not link to recording a paper signature")
	}
	if r = ola.Get(page); strings.Contains(r.Body, "/admin/podpisy/papier") {
		t.Error("a resident sees the staff's tools")
	}
	r = mod.Get("/admin/podpisy/papier?wydarzenie=" + id)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `<option value="`+id+`" selected>Spacer po Dębnikach`) {
		t.Fatalf("the paper signature form does not preselect the event: %d\n%s", r.StatusCode, authzSnippet(r.Body))
	}
	if r = mod.PostMultipart("/admin/podpisy/papier", url.Values{"full_name": {"X"}, "event_id": {"999999"}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `href="#full_name"`) || !strings.Contains(r.Body, `href="#event_id"`) {
		t.Errorf("a bad paper signature: %d", r.StatusCode)
	}
	r = mod.PostMultipart("/admin/podpisy/papier", url.Values{"full_name": {"Halina Przykładowa"}, "event_id": {id}, "list_publicly": {"yes"}},
		servertest.FormFile{Field: "scan", Name: "podpis.pdf", ContentType: "application/pdf", Content: []byte("%PDF-1.4\n%podpis\n")})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/podpisy?done=paper" {
		t.Fatalf("recording a paper signature: %d %s\n%s", r.StatusCode, r.Header.Get("Location"), authzSnippet(r.Body))
	}
	var sig string
	if err := s.Pool.QueryRow(ctx, `SELECT channel || ' ' || status || ' ' || event_id || ' ' || (scan_file_id IS NOT NULL) || ' ' || (user_id IS NULL)
		FROM signatures WHERE full_name = 'Halina Przykładowa'`).Scan(&sig); err != nil || sig != "paper confirmed "+id+" true true" {
		t.Errorf("the paper signature is stored as %q (%v)", sig, err)
	}
	if r = s.Browser(t).Get("/sojusznicy"); !strings.Contains(r.Body, "Halina Przykładowa") {
		t.Error("the paper signature is not on the list of allies")
	}
	if r = ola.Get("/admin/podpisy/papier"); r.StatusCode != http.StatusForbidden {
		t.Errorf("a resident opening the paper signature form: %d", r.StatusCode)
	}

	// Cancelling needs a reason, named on the form.
	mod.Get("/admin/wydarzenia/" + id)
	if r = mod.Post("/admin/wydarzenia/"+id+"/odwolaj", url.Values{"reason": {""}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `href="#reason"`) {
		t.Errorf("cancelling without a reason: %d", r.StatusCode)
	}
}
