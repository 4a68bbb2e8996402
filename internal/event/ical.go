package event

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	ics "github.com/arran4/golang-ical"
	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/problem"
)

// The iCalendar output (RFC 5545) is written by github.com/arran4/golang-ical: CRLF line
// ends, lines folded at 75 octets without splitting a UTF-8 character, TEXT values
// escaped. Times are UTC; UIDs are stable (event-<id>@<host>); DTSTAMP and LAST-MODIFIED
// are the last change, SEQUENCE grows with every change, so calendar programs that
// subscribed replace their copy, and a cancelled event stays in the feed as CANCELLED.

// plain makes user text safe for an iCalendar TEXT value: the library escapes
// backslashes, commas, semicolons and newlines, but a bare carriage return would end
// the line.
func plain(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// Calendar writes events as one iCalendar object named name.
func (s *Service) Calendar(l *i18n.Localizer, name string, list []Event) string {
	host := "lawka"
	if u, err := url.Parse(s.PublicURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	cal := ics.NewCalendar()
	cal.SetProductId("-//Koalicja na rzecz sasiedztw//Lawka " + host + "//PL")
	cal.SetMethod(ics.MethodPublish)
	cal.SetName(plain(name))
	cal.SetXWRCalName(plain(name))
	for _, e := range list {
		v := cal.AddEvent(fmt.Sprintf("event-%d@%s", e.ID, host))
		v.SetDtStampTime(e.UpdatedAt)
		v.SetCreatedTime(e.CreatedAt)
		v.SetModifiedAt(e.UpdatedAt)
		v.SetSequence(e.Sequence)
		v.SetStartAt(e.StartsAt)
		v.SetEndAt(e.EndsAt)
		v.SetSummary(plain(e.Title))
		link := s.Link(e.ID)
		desc := e.Description
		if e.Status == Cancelled {
			desc = l.T("events.cancelled_notice", "Reason", e.CancelReason) + "\n\n" + desc
		}
		if e.Online() {
			desc += "\n\n" + l.T("events.online_link") + ": " + e.OnlineURL
		}
		v.SetDescription(plain(strings.TrimSpace(desc + "\n\n" + link)))
		v.SetLocation(plain(Place(l, e)))
		v.SetURL(link)
		v.AddCategory(plain(l.T("events.kind_" + e.Kind)))
		if e.Status == Cancelled {
			v.SetStatus(ics.ObjectStatusCancelled)
		} else {
			v.SetStatus(ics.ObjectStatusConfirmed)
		}
	}
	// The library's default line end is the operating system's; RFC 5545 wants CRLF.
	return cal.Serialize(ics.WithNewLineWindows)
}

func sendICS(c *fiber.Ctx, body, filename string, private bool) error {
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	if filename != "" {
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	}
	if private { // a draft, seen by the staff
		c.Set(fiber.HeaderCacheControl, "private, no-store")
	} else {
		c.Set(fiber.HeaderCacheControl, "private, max-age=300") // the text is in the reader's language
	}
	return c.SendString(body)
}

// ICS answers GET /wydarzenia/{id}.ics: one event, to add to a calendar.
func (h *Handlers) ICS(c *fiber.Ctx) error {
	id, err := eventID(c)
	if err != nil {
		return err
	}
	e, err := h.svc.Get(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	l := httpx.L(c)
	return sendICS(c, h.svc.Calendar(l, e.Title, []Event{e}), "wydarzenie-"+strconv.FormatInt(id, 10)+".ics", e.Status == Draft)
}

// Feed answers GET /wydarzenia.ics?kind=&neighbourhood_id=: the calendar to subscribe
// to (the latest 500 events).
func (h *Handlers) Feed(c *fiber.Ctx) error {
	var district int64
	if raw := c.Query("neighbourhood_id"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			return problem.Invalid(map[string]string{"neighbourhood_id": "events.filter_number"})
		}
		district = n
	}
	list, err := h.svc.Feed(c.UserContext(), c.Query("kind"), district)
	if err != nil {
		return err
	}
	l := httpx.L(c)
	return sendICS(c, h.svc.Calendar(l, l.T("events.calendar_name"), list), "", false)
}
