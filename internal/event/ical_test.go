package event

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"

	"lawka/internal/platform/i18n"
	"lawka/web"
)

// TestCalendarIsValidICalendar: the output has CRLF line ends, lines of at most 75
// octets that never split a character, escaped text that reads back as written, stable
// UIDs, a DTSTAMP, UTC times and the cancelled status.
func TestCalendarIsValidICalendar(t *testing.T) {
	bundle, err := i18n.Load(web.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	l := bundle.For("pl")
	svc := NewService(nil, Deps{PublicURL: "https://lawka.example.org/"})
	starts := time.Date(2024, 6, 28, 9, 0, 0, 0, i18n.Warsaw)
	title := `„Krocząca” wizyta studyjna; Wrocław, Sieć CAL \ Żywa Pracownia`
	desc := "Dzień 1: spotkanie z Joanną Warecką, koordynatorką Sieci Centrów Aktywności Lokalnej.\r\nDzień 2: Wydział Partycypacji UM Wrocław — rozmowy o tym, jak tworzyć miejsca otwarte, jak działać z mieszkańcami, jak zachęcać do aktywności."
	list := []Event{
		{ID: 7, Kind: "study_visit", Title: title, Description: desc, StartsAt: starts, EndsAt: starts.Add(33 * time.Hour),
			Address: "Wrocław, Centrum Aktywności Lokalnej, ul. Przykładowa 1", Status: Published, Sequence: 3,
			CreatedAt: starts.AddDate(0, -1, 0), UpdatedAt: starts.AddDate(0, 0, -2)},
		{ID: 8, Kind: "online_meeting", Title: "Spotkanie informacyjne online", StartsAt: starts.AddDate(0, 1, 0),
			EndsAt: starts.AddDate(0, 1, 0).Add(time.Hour), OnlineURL: "https://meet.example.org/koalicja?x=1,2;3",
			Status: Cancelled, CancelReason: "Choroba prowadzącej", CreatedAt: starts, UpdatedAt: starts},
	}
	out := svc.Calendar(l, "Ławka — wydarzenia", list)
	if out != svc.Calendar(l, "Ławka — wydarzenia", list) {
		t.Fatal("the same events give a different calendar")
	}
	if !strings.HasPrefix(out, "BEGIN:VCALENDAR\r\n") || !strings.HasSuffix(out, "END:VCALENDAR\r\n") {
		t.Fatalf("not a calendar object:\n%s", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
	folded := 0
	for i, line := range lines {
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 75 {
			t.Errorf("line %d has %d octets: %q", i+1, len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d splits a character: %q", i+1, line)
		}
		if strings.HasPrefix(line, " ") {
			folded++
		}
	}
	if folded < 3 {
		t.Errorf("only %d folded lines: the long description should fold", folded)
	}
	unfolded := strings.ReplaceAll(out, "\r\n ", "")
	for _, want := range []string{"VERSION:2.0\r\n", "METHOD:PUBLISH\r\n", "UID:event-7@lawka.example.org\r\n",
		"DTSTART:20240628T070000Z\r\n", "DTEND:20240629T160000Z\r\n", "SEQUENCE:3\r\n", "STATUS:CANCELLED\r\n",
		`SUMMARY:„Krocząca” wizyta studyjna\; Wrocław\, Sieć CAL \\ Żywa Pracownia`} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("the calendar lacks %q:\n%s", want, out)
		}
	}

	cal, err := ics.ParseCalendar(strings.NewReader(out))
	if err != nil {
		t.Fatalf("parsing our own output: %v", err)
	}
	events := cal.Events()
	if len(events) != 2 {
		t.Fatalf("%d events read back", len(events))
	}
	get := func(e *ics.VEvent, p ics.ComponentProperty) string {
		if v := e.GetProperty(p); v != nil {
			return v.Value
		}
		return ""
	}
	visit := events[0]
	if got := get(visit, ics.ComponentPropertySummary); got != title {
		t.Errorf("summary read back as %q", got)
	}
	if got := get(visit, ics.ComponentPropertyDescription); !strings.HasPrefix(got, strings.ReplaceAll(desc, "\r\n", "\n")) ||
		!strings.HasSuffix(got, "\n\nhttps://lawka.example.org/wydarzenia/7") {
		t.Errorf("description read back as %q", got)
	}
	if st, err := visit.GetStartAt(); err != nil || !st.Equal(starts) {
		t.Errorf("start read back as %v (%v)", st, err)
	}
	if stamp, err := visit.GetDtStampTime(); err != nil || !stamp.Equal(list[0].UpdatedAt) {
		t.Errorf("DTSTAMP read back as %v (%v)", stamp, err)
	}
	online := events[1]
	if got := get(online, ics.ComponentPropertyLocation); got != "online: https://meet.example.org/koalicja?x=1,2;3" {
		t.Errorf("location read back as %q", got)
	}
	if got := get(online, ics.ComponentPropertyDescription); !strings.Contains(got, "Powód: Choroba prowadzącej") {
		t.Errorf("a cancelled event's description: %q", got)
	}
}
