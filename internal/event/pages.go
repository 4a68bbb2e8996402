package event

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
	"lawka/internal/platform/upload"
)

// Handlers serves the events' pages, the API and the iCalendar feeds.
type Handlers struct {
	svc   *Service
	pages *render.Renderer
	// DebatePage returns the page of the live debate that event id is ("" when it is
	// none); set by the server.
	DebatePage func(ctx context.Context, id int64) (string, error)
}

// NewHandlers builds the handlers.
func NewHandlers(svc *Service, r *render.Renderer) *Handlers {
	return &Handlers{svc: svc, pages: r}
}

func eventID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound()
	}
	return id, nil
}

// When writes an event's time as people write it: "24 października 2026, 11:00–14:00",
// or both ends in full when it spans days.
func When(l *i18n.Localizer, e Event) string {
	if e.SameDay(i18n.Warsaw) {
		return l.DateTime(e.StartsAt) + "–" + e.EndsAt.In(i18n.Warsaw).Format("15:04")
	}
	return l.DateTime(e.StartsAt) + " – " + l.DateTime(e.EndsAt)
}

// Item is an event as a list shows it.
type Item struct {
	Event
	When     string
	District string
}

func (h *Handlers) items(l *i18n.Localizer, list []Event, names map[int64]string) []Item {
	out := make([]Item, len(list))
	for i, e := range list {
		out[i] = Item{Event: e, When: When(l, e)}
		if e.NeighbourhoodID != nil {
			out[i].District = names[*e.NeighbourhoodID]
		}
	}
	return out
}

func names(cs []Choice) map[int64]string {
	m := make(map[int64]string, len(cs))
	for _, c := range cs {
		m[c.ID] = c.Name
	}
	return m
}

// CalendarPage is the calendar with its filters.
type CalendarPage struct {
	Kind, Month     string
	NeighbourhoodID int64
	Form            render.Form
	Kinds           []string
	Districts       []Choice
	Upcoming, Past  []Item
	// The next pages' addresses ("" on the last).
	MoreUpcoming, MorePast string
	Feed                   string
}

// calendarFilter reads the filters of the calendar page and of the API; a malformed
// number names its field.
func calendarFilter(c *fiber.Ctx) (Filter, error) {
	f := Filter{Kind: strings.Clone(c.Query("kind")), Month: strings.Clone(c.Query("month")),
		When: strings.Clone(c.Query("when")), Cursor: strings.Clone(c.Query("cursor"))}
	bad := problem.Fields{}
	if raw := c.Query("neighbourhood_id"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			bad.Add("neighbourhood_id", "events.filter_number")
		}
		f.NeighbourhoodID = n
	}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n <= 0 || n > 100 {
			bad.Add("limit", "events.filter_number")
		}
		f.Limit = n
	}
	return f, bad.Err()
}

// Calendar shows upcoming and past events with filters by kind, district and month
// (a GET form: works without JavaScript, and the address can be shared).
func (h *Handlers) Calendar(c *fiber.Ctx) error {
	ctx := c.UserContext()
	l := httpx.L(c)
	p := auth.From(c)
	page := CalendarPage{Kinds: Kinds, Form: render.NewForm("kind", "neighbourhood_id", "month")}
	var err error
	if h.svc.Places != nil {
		if page.Districts, err = h.svc.Places.DistrictChoices(ctx); err != nil {
			return err
		}
	}
	f, err := calendarFilter(c)
	page.Kind, page.Month, page.NeighbourhoodID = f.Kind, f.Month, f.NeighbourhoodID
	status := fiber.StatusOK
	if err == nil {
		var upcoming, past []Event
		up, pastF := f, f
		up.When, up.Cursor = "upcoming", strings.Clone(c.Query("dalej"))
		pastF.When, pastF.Cursor, pastF.Limit = "past", strings.Clone(c.Query("wczesniej")), 10
		var nextUp, nextPast string
		if upcoming, nextUp, err = h.svc.List(ctx, p, up); err == nil {
			past, nextPast, err = h.svc.List(ctx, p, pastF)
		}
		n := names(page.Districts)
		page.Upcoming, page.Past = h.items(l, upcoming, n), h.items(l, past, n)
		page.MoreUpcoming, page.MorePast = more(c, "dalej", nextUp), more(c, "wczesniej", nextPast)
	}
	if err != nil {
		st, ok := httpx.FormProblem(c, err, &page.Form)
		if !ok {
			return err
		}
		status = st
	}
	q := url.Values{}
	if f.Kind != "" {
		q.Set("kind", f.Kind)
	}
	if f.NeighbourhoodID > 0 {
		q.Set("neighbourhood_id", strconv.FormatInt(f.NeighbourhoodID, 10))
	}
	page.Feed = "/wydarzenia.ics"
	if len(q) > 0 {
		page.Feed += "?" + q.Encode()
	}
	return h.pages.HTML(c, status, "event/calendar", render.View{Title: l.T("events.title"), Section: "nav.events",
		Error: page.Form.HasErrors(), Data: page})
}

// more is the address of the next page of one half of the calendar.
func more(c *fiber.Ctx, param, next string) string {
	if next == "" {
		return ""
	}
	q := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) { q.Set(string(k), string(v)) })
	q.Set(param, next)
	return "/wydarzenia?" + q.Encode()
}

// ShowPage is one event's page.
type ShowPage struct {
	Event      Event
	When       string
	Closes     string
	District   Choice
	MapURL     string
	Staff      bool
	Notice     string
	PlacesLeft int
	CanCancel  bool   // the viewer's registration can still be taken back
	DebatePage string // the live debate's page, when the event is one
}

// Show is an event's page: when and where, how to get in, registration, minutes and
// files afterwards, and the staff's tools.
func (h *Handlers) Show(c *fiber.Ctx) error {
	id, err := eventID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	l := httpx.L(c)
	p := auth.From(c)
	e, err := h.svc.Get(ctx, p, id)
	if err != nil {
		return err
	}
	page := ShowPage{Event: e, When: When(l, e), Staff: p.Staff(), PlacesLeft: e.PlacesLeft(),
		CanCancel: e.Mine != nil && e.Status == Published && !e.Started(h.svc.Now())}
	if e.Registration {
		page.Closes = l.DateTime(e.ClosesAt())
	}
	if e.Kind == "debate" && h.DebatePage != nil {
		if page.DebatePage, err = h.DebatePage(ctx, e.ID); err != nil {
			return err
		}
	}
	if e.NeighbourhoodID != nil && h.svc.Places != nil {
		ds, err := h.svc.Places.DistrictChoices(ctx)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if d.ID == *e.NeighbourhoodID {
				page.District = d
			}
		}
	}
	if e.Address != "" {
		page.MapURL = "https://www.openstreetmap.org/search?query=" + strings.ReplaceAll(url.QueryEscape(e.Address), "+", "%20")
	}
	switch c.Query("zrobione") {
	case "zapis":
		if e.Mine != nil && e.Mine.Status == Waiting {
			page.Notice = l.T("events.done_waiting", "Position", e.Mine.Position)
		} else if e.Mine != nil {
			page.Notice = l.T("events.done_registered")
		}
	case "rezygnacja":
		page.Notice = l.T("events.done_cancelled")
	case "zapisano":
		page.Notice = l.T("events.saved")
	case "odwolano":
		page.Notice = l.T("events.done_cancel")
	case "notatka":
		page.Notice = l.T("events.done_minutes")
	}
	return h.pages.HTML(c, fiber.StatusOK, "event/show", render.View{Title: e.Title, Section: "nav.events", Data: page})
}

// Register is the "register" button's form.
func (h *Handlers) Register(c *fiber.Ctx) error {
	id, err := eventID(c)
	if err != nil {
		return err
	}
	if _, err := h.svc.Register(c.UserContext(), auth.From(c), id); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/wydarzenia/%d?zrobione=zapis#zapisy", id), fiber.StatusSeeOther)
}

// Unregister is the "cancel my registration" button's form.
func (h *Handlers) Unregister(c *fiber.Ctx) error {
	id, err := eventID(c)
	if err != nil {
		return err
	}
	if _, err := h.svc.Cancel(c.UserContext(), auth.From(c), id); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/wydarzenia/%d?zrobione=rezygnacja#zapisy", id), fiber.StatusSeeOther)
}

// File serves an event's attachment: images inline, PDFs as downloads.
func (h *Handlers) File(c *fiber.Ctx) error {
	id, err := eventID(c)
	if err != nil {
		return err
	}
	fileID, err := strconv.ParseInt(c.Params("file"), 10, 64)
	if err != nil {
		return problem.NotFound()
	}
	f, err := h.svc.Attachment(c.UserContext(), auth.From(c), id, fileID)
	if err != nil {
		return err
	}
	return upload.Serve(c, f, fmt.Sprintf("wydarzenie-%d-%d", id, fileID), false, false)
}

// AdminPage is the staff's list of events.
type AdminPage struct{ Items []Item }

// Admin lists every event, drafts too, for the staff.
func (h *Handlers) Admin(c *fiber.Ctx) error {
	p := auth.From(c)
	list, err := h.svc.All(c.UserContext(), p)
	if err != nil {
		return err
	}
	l := httpx.L(c)
	return h.pages.HTML(c, fiber.StatusOK, "event/admin", render.View{Title: l.T("events.admin_title"), Section: "nav.admin",
		Data: AdminPage{Items: h.items(l, list, nil)}})
}

// FormPage is the staff's form to create or edit an event, with the cancel form.
type FormPage struct {
	Event      *Event // nil for a new one
	Form       render.Form
	CancelForm render.Form
	Kinds      []string
	Districts  []Choice
}

var formFields = []string{"kind", "title", "description", "starts_at", "starts_at_time", "ends_at", "ends_at_time",
	"address", "neighbourhood_id", "accessibility", "online_url", "organisers", "registration", "capacity",
	"registration_closes_at", "registration_closes_at_time", "status"}

func (h *Handlers) form(c *fiber.Ctx, status int, page FormPage) error {
	var err error
	if h.svc.Places != nil {
		if page.Districts, err = h.svc.Places.DistrictChoices(c.UserContext()); err != nil {
			return err
		}
	}
	// A debate stays a debate, and other events never become one (see Debate).
	page.Kinds = slices.DeleteFunc(slices.Clone(Kinds), func(k string) bool { return k == Debate })
	if page.Event != nil && page.Event.Kind == Debate {
		page.Kinds = []string{Debate}
	}
	if page.CancelForm.Values == nil {
		page.CancelForm = render.NewForm("reason")
	}
	l := httpx.L(c)
	title := l.T("events.new_title")
	if page.Event != nil {
		title = l.T("events.edit_title")
	}
	return h.pages.HTML(c, status, "event/form", render.View{Title: title, Section: "nav.admin",
		Error: page.Form.HasErrors() || page.CancelForm.HasErrors(), Data: page})
}

// New shows the empty form (staff).
func (h *Handlers) New(c *fiber.Ctx) error {
	if err := auth.RequireStaff(auth.From(c)); err != nil {
		return err
	}
	form := render.NewForm(formFields...)
	form.Values["kind"], form.Values["status"] = "meeting", Draft
	return h.form(c, fiber.StatusOK, FormPage{Form: form})
}

// inputFrom reads the posted form; dates and times come in separate fields.
func inputFrom(c *fiber.Ctx, form *render.Form) Input {
	httpx.FormValues(c, form, formFields...)
	v := form.Values
	at := form.DateTime
	in := Input{Kind: v["kind"], Title: v["title"], Description: v["description"], StartsAt: at("starts_at"),
		EndsAt: at("ends_at"), Address: v["address"], Accessibility: v["accessibility"], OnlineURL: v["online_url"],
		Organisers: v["organisers"], Registration: v["registration"] == "yes",
		RegistrationClosesAt: at("registration_closes_at"), Status: v["status"]}
	if raw := strings.TrimSpace(v["neighbourhood_id"]); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			n = -1 // the service names the field
		}
		in.NeighbourhoodID = &n
	}
	if raw := strings.TrimSpace(v["capacity"]); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			n = -1 // the service names the field
		}
		in.Capacity = &n
	}
	return in
}

// Create saves the form and opens the new event.
func (h *Handlers) Create(c *fiber.Ctx) error {
	p := auth.From(c)
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	form := render.NewForm(formFields...)
	e, err := h.svc.Create(c.UserContext(), p, inputFrom(c, &form))
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.form(c, status, FormPage{Form: form})
	}
	return c.Redirect(fmt.Sprintf("/wydarzenia/%d?zrobione=zapisano", e.ID), fiber.StatusSeeOther)
}

// fill puts an event's values into the form's fields.
func fill(form *render.Form, e Event) {
	v := form.Values
	v["kind"], v["title"], v["description"], v["address"] = e.Kind, e.Title, e.Description, e.Address
	v["accessibility"], v["online_url"], v["organisers"], v["status"] = e.Accessibility, e.OnlineURL, e.Organisers, e.Status
	split := form.SetDateTime
	split("starts_at", e.StartsAt)
	split("ends_at", e.EndsAt)
	if e.RegistrationClosesAt != nil {
		split("registration_closes_at", *e.RegistrationClosesAt)
	}
	if e.NeighbourhoodID != nil {
		v["neighbourhood_id"] = strconv.FormatInt(*e.NeighbourhoodID, 10)
	}
	if e.Capacity != nil {
		v["capacity"] = strconv.Itoa(*e.Capacity)
	}
	if e.Registration {
		v["registration"] = "yes"
	}
}

// staffEvent reads an event for a staff page.
func (h *Handlers) staffEvent(c *fiber.Ctx) (Event, error) {
	p := auth.From(c)
	if err := auth.RequireStaff(p); err != nil {
		return Event{}, err
	}
	id, err := eventID(c)
	if err != nil {
		return Event{}, err
	}
	return h.svc.Get(c.UserContext(), p, id)
}

// Edit shows the form filled with the event (staff).
func (h *Handlers) Edit(c *fiber.Ctx) error {
	e, err := h.staffEvent(c)
	if err != nil {
		return err
	}
	form := render.NewForm(formFields...)
	fill(&form, e)
	return h.form(c, fiber.StatusOK, FormPage{Event: &e, Form: form})
}

// Update saves an edit.
func (h *Handlers) Update(c *fiber.Ctx) error {
	e, err := h.staffEvent(c)
	if err != nil {
		return err
	}
	form := render.NewForm(formFields...)
	if _, err := h.svc.Edit(c.UserContext(), auth.From(c), e.ID, inputFrom(c, &form)); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusNotFound {
			return err
		}
		return h.form(c, status, FormPage{Event: &e, Form: form})
	}
	return c.Redirect(fmt.Sprintf("/wydarzenia/%d?zrobione=zapisano", e.ID), fiber.StatusSeeOther)
}

// CancelEvent is the staff's "cancel the event" form.
func (h *Handlers) CancelEvent(c *fiber.Ctx) error {
	e, err := h.staffEvent(c)
	if err != nil {
		return err
	}
	cancel := render.NewForm("reason")
	httpx.FormValues(c, &cancel, "reason")
	if _, err := h.svc.CancelEvent(c.UserContext(), auth.From(c), e.ID, cancel.Values["reason"]); err != nil {
		status, ok := httpx.FormProblem(c, err, &cancel)
		if !ok || status == fiber.StatusNotFound {
			return err
		}
		form := render.NewForm(formFields...)
		fill(&form, e)
		return h.form(c, status, FormPage{Event: &e, Form: form, CancelForm: cancel})
	}
	return c.Redirect(fmt.Sprintf("/wydarzenia/%d?zrobione=odwolano", e.ID), fiber.StatusSeeOther)
}

// MinutesPage is the staff's form for the minutes and files.
type MinutesPage struct {
	Event   Event
	When    string
	Form    render.Form
	Started bool
}

func (h *Handlers) minutes(c *fiber.Ctx, status int, e Event, form render.Form) error {
	l := httpx.L(c)
	return h.pages.HTML(c, status, "event/minutes", render.View{Title: l.T("events.minutes_title"), Section: "nav.admin",
		Error: form.HasErrors(), Data: MinutesPage{Event: e, When: When(l, e), Form: form, Started: e.Started(h.svc.Now())}})
}

// Minutes shows the minutes form (staff).
func (h *Handlers) Minutes(c *fiber.Ctx) error {
	e, err := h.staffEvent(c)
	if err != nil {
		return err
	}
	form := render.NewForm("minutes", "attachments")
	form.Values["minutes"] = e.Minutes
	return h.minutes(c, fiber.StatusOK, e, form)
}

// SaveMinutes saves the minutes and the files (a multipart form).
func (h *Handlers) SaveMinutes(c *fiber.Ctx) error {
	e, err := h.staffEvent(c)
	if err != nil {
		return err
	}
	form := render.NewForm("minutes", "attachments")
	httpx.FormValues(c, &form, "minutes")
	in := MinutesInput{Minutes: form.Values["minutes"]}
	in.Remove = httpx.FormIDs(c, "remove")
	if in.Files, err = upload.AllFromForm(c, "attachments"); err == nil {
		_, err = h.svc.SaveMinutes(c.UserContext(), auth.From(c), e.ID, in)
	}
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusNotFound {
			return err
		}
		return h.minutes(c, status, e, form)
	}
	return c.Redirect(fmt.Sprintf("/wydarzenia/%d?zrobione=notatka#notatka", e.ID), fiber.StatusSeeOther)
}

// RegistrationsPage is the staff's list of who registered.
type RegistrationsPage struct {
	Event Event
	When  string
	List  []Registrant
}

// Registrations lists an event's registrations (staff).
func (h *Handlers) Registrations(c *fiber.Ctx) error {
	e, err := h.staffEvent(c)
	if err != nil {
		return err
	}
	list, err := h.svc.Registrations(c.UserContext(), auth.From(c), e.ID)
	if err != nil {
		return err
	}
	l := httpx.L(c)
	return h.pages.HTML(c, fiber.StatusOK, "event/registrations", render.View{Title: l.T("events.registrations_title"),
		Section: "nav.admin", Data: RegistrationsPage{Event: e, When: When(l, e), List: list}})
}
