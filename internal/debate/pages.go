package debate

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/event"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/participant"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
	"lawka/internal/platform/render"
	"lawka/internal/platform/upload"
	"lawka/internal/poll"
)

// Handlers serves the debates' pages, the API and the realtime room.
type Handlers struct {
	svc       *Service
	pages     *render.Renderer
	publicURL string
	ids       *participant.Cookies // who asks and upvotes without an account
	limits    *ratelimit.Limiter
	// Promises draws the promises part of the page ("debata") or console ("konsola")
	// (nil: none).
	Promises func(c *fiber.Ctx, id int64, back string) (any, error)
	sources  ArchiveSources // polls and promises for the archive (nil: none)
}

// NewHandlers builds the handlers; publicURL is the site's origin (join links, QR
// codes), ids the participant cookies of people without an account, limits the rate
// limiter of questions and upvotes.
func NewHandlers(svc *Service, r *render.Renderer, publicURL string, ids *participant.Cookies, limits *ratelimit.Limiter) *Handlers {
	return &Handlers{svc: svc, pages: r, publicURL: strings.TrimSuffix(publicURL, "/"), ids: ids, limits: limits}
}

// Duration writes milliseconds as a timer shows them: "4:05", "1:02:03".
func Duration(ms int64) string {
	s := max(ms, 0) / 1000
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// Now is the live part of a page as the server draws it (JavaScript then keeps it
// current from the room's state messages).
type Now struct {
	Phase        string
	Item         *Item
	ItemUsed     string
	ItemPlanned  string
	Speaker      *Speaker
	Photo        string // the current speaker's photo ("" for none)
	Timer        string
	TimerRunning bool
	Announcement string
	Seq          int64
}

// Line is a row of the fairness summary, formatted.
type Line struct {
	Usage
	Used, Planned string
}

// View is what every debate page shows: the debate, its live state and where to join.
type View struct {
	Debate   Debate
	When     string
	Live     Now
	JoinURL  string // the address the code and QR open
	JoinHost string // JoinURL without the scheme, for the projector
	Speakers []Line
	Items    []Line
	Timed    bool // some time was measured (a debate Ławka did not run has none)
	CanRun   bool // the viewer runs the console
	Staff    bool
	Notice   string
	Problem  string // a refused console action, explained
	Form     render.Form
	// Questions: the approved ones (phone view) or every one but the merged (console).
	Questions []Question
	Voted     map[int64]bool // the approved questions the viewer upvoted
	Own       map[int64]bool // the viewer's own questions (they take no upvote from them)
	Order     string         // "glosy" or "czas"
	Version   int64          // of the questions
	AskNeed   string         // what the viewer lacks to ask and upvote (see Need)
	// Polls: the one on air (phones, projector, console), the debate's polls and the
	// form for a new one (console), a refused ballot (phone).
	OnAir       *OnAir
	Polls       []poll.Summary
	PollForm    render.Form
	PollProblem string
	PollNotice  string
	Promises    any // the promises part (the promise feature's)
}

func (h *Handlers) view(c *fiber.Ctx, d Debate) View {
	l := httpx.L(c)
	now := h.svc.Now()
	st := d.State
	lv := Now{Phase: st.Phase, Item: st.Item(), Speaker: st.Speaker(), Timer: Duration(st.Timer.At(now)),
		TimerRunning: st.Timer.Running(), Announcement: st.Announcement, Seq: st.Seq}
	if lv.Speaker != nil {
		lv.Photo = lv.Speaker.PhotoURL
	}
	if lv.Item != nil {
		lv.ItemUsed, lv.ItemPlanned = Duration(st.ItemClock.At(now)), Duration(int64(lv.Item.PlannedMinutes)*60000)
	}
	v := View{Debate: d, When: event.When(l, d.Event), Live: lv, JoinURL: h.publicURL + "/d/" + d.Code}
	v.JoinHost = strings.TrimPrefix(strings.TrimPrefix(v.JoinURL, "https://"), "http://")
	speakers, items := st.Fairness(now)
	for _, u := range speakers {
		v.Speakers = append(v.Speakers, Line{Usage: u, Used: Duration(u.UsedMS)})
		v.Timed = v.Timed || u.UsedMS > 0
	}
	for _, u := range items {
		v.Items = append(v.Items, Line{Usage: u, Used: Duration(u.UsedMS), Planned: Duration(u.PlannedMS)})
		v.Timed = v.Timed || u.UsedMS > 0
	}
	p := auth.From(c)
	v.Staff = p.Staff()
	v.CanRun = v.Staff && h.svc.MayRun(c.UserContext(), p, d.ID) == nil
	return v
}

func (h *Handlers) debate(c *fiber.Ctx) (Debate, error) {
	id, err := debateID(c)
	if err != nil {
		return Debate{}, err
	}
	return h.svc.Get(c.UserContext(), auth.From(c), id)
}

// Show is a debate's public page: before (when, where, who speaks, the agenda), during
// (what is on now, how to follow on a phone) and after (how the time was shared).
func (h *Handlers) Show(c *fiber.Ctx) error {
	d, err := h.debate(c)
	if err != nil {
		return err
	}
	v := h.view(c, d)
	switch c.Query("zrobione") {
	case "zapisano":
		v.Notice = httpx.L(c).T("debates.saved")
	case "zdjecie":
		v.Notice = httpx.L(c).T("debates.photo_saved")
	}
	if h.Promises != nil {
		if v.Promises, err = h.Promises(c, d.ID, "debata"); err != nil {
			return err
		}
	}
	return h.pages.HTML(c, fiber.StatusOK, "debate/show", render.View{Title: d.Title, Section: "nav.events", Data: v})
}

// Photo serves a speaker's photo.
func (h *Handlers) Photo(c *fiber.Ctx) error {
	id, sp, err := speaker(c)
	if err != nil {
		return err
	}
	f, err := h.svc.Photo(c.UserContext(), auth.From(c), id, sp)
	if err != nil {
		return err
	}
	return upload.Serve(c, f, fmt.Sprintf("mowca-%d-%d", id, sp), false, false)
}

// SetPhoto is the staff's form under a speaker: a new photo, or "remove" to take it away.
// A refused file shows the debate's page again with the reason.
func (h *Handlers) SetPhoto(c *fiber.Ctx) error {
	id, sp, err := speaker(c)
	if err != nil {
		return err
	}
	p := auth.From(c)
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	var f *upload.File
	if c.FormValue("remove") != "yes" {
		if f, err = upload.FromForm(c, "photo"); err == nil && f == nil {
			err = problem.Invalid(map[string]string{"photo": "debates.photo_required"})
		}
	}
	if err == nil {
		_, err = h.svc.SetPhoto(c.UserContext(), p, id, sp, f)
	}
	if err != nil {
		pe, ok := problem.As(err)
		if !ok || pe.Status != fiber.StatusUnprocessableEntity {
			return err
		}
		d, gerr := h.debate(c)
		if gerr != nil {
			return gerr
		}
		v := h.view(c, d)
		for _, key := range pe.Fields {
			v.Problem = httpx.L(c).T(key)
		}
		return h.pages.HTML(c, pe.Status, "debate/show", render.View{Title: d.Title, Section: "nav.events", Error: true, Data: v})
	}
	return c.Redirect(fmt.Sprintf("/debaty/%d?zrobione=zdjecie#mowcy", id), fiber.StatusSeeOther)
}

// Audience is the phone view: the current item, speaker and timer, large and live, and
// the audience's questions.
func (h *Handlers) Audience(c *fiber.Ctx) error {
	return h.audience(c, fiber.StatusOK, render.NewForm("body", "anonymous"), "")
}

// Projector is the view for the hall's screen: huge type, the join code and QR, no controls.
func (h *Handlers) Projector(c *fiber.Ctx) error {
	d, err := h.debate(c)
	if err != nil {
		return err
	}
	v := h.view(c, d)
	if d.State.OnScreen == nil { // a question on screen comes before the poll's result
		if err := h.onAir(c, &v); err != nil {
			return err
		}
	}
	return h.pages.HTML(c, fiber.StatusOK, "debate/projector", render.View{Title: d.Title, Data: v})
}

// QR is the join address as a QR code (SVG).
func (h *Handlers) QR(c *fiber.Ctx) error {
	d, err := h.debate(c)
	if err != nil {
		return err
	}
	svg, err := QRSVG(h.publicURL+"/d/"+d.Code, httpx.L(c).T("debates.qr_title", "Code", d.Code))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/svg+xml")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(svg)
}

// Join opens a debate by its code: /d/KOD, or the form at /d (?kod=).
func (h *Handlers) Join(c *fiber.Ctx) error {
	code := c.Params("code")
	if code == "" {
		code = c.Query("kod")
	}
	l := httpx.L(c)
	form := render.NewForm("kod")
	if code == "" {
		return h.pages.HTML(c, fiber.StatusOK, "debate/join", render.View{Title: l.T("debates.join_title"), Section: "nav.events",
			Data: form})
	}
	id, err := h.svc.ByCode(c.UserContext(), code)
	if err == nil {
		err = h.svc.CanView(c.UserContext(), auth.From(c), id)
	}
	if err != nil {
		if _, ok := problem.As(err); !ok {
			return err
		}
		form.Values["kod"] = strings.Clone(code)
		form.Errors["kod"] = l.T("debates.code_unknown")
		return h.pages.HTML(c, fiber.StatusNotFound, "debate/join", render.View{Title: l.T("debates.join_title"),
			Section: "nav.events", Error: true, Data: form})
	}
	return c.Redirect(fmt.Sprintf("/debaty/%d/na-zywo", id), fiber.StatusSeeOther)
}

// Console is the moderators' desk: the state, the actions and the fairness summary.
func (h *Handlers) Console(c *fiber.Ctx) error {
	if _, err := h.running(c); err != nil {
		return err
	}
	return h.console(c, fiber.StatusOK, "", render.NewForm("text"))
}

func (h *Handlers) console(c *fiber.Ctx, status int, refused string, form render.Form) error {
	return h.consoleWith(c, status, refused, form, render.Form{})
}

// consoleWith draws the console; pollForm is the new poll's form as sent (empty: a fresh one).
func (h *Handlers) consoleWith(c *fiber.Ctx, status int, refused string, form, pollForm render.Form) error {
	d, err := h.debate(c)
	if err != nil {
		return err
	}
	v := h.view(c, d)
	v.Problem, v.Form, v.PollForm = refused, form, pollForm
	if v.PollForm.Values == nil {
		v.PollForm = poll.NewForm(d.State.Eligibility)
	}
	if err := h.onAir(c, &v); err != nil {
		return err
	}
	if v.OnAir != nil { // the staff's room: the tally even while it is hidden from voters
		v.OnAir.Room = "pollwatch:" + strconv.FormatInt(v.OnAir.Poll.ID, 10)
	}
	if v.Polls, err = h.svc.DebatePolls(c.UserContext(), auth.From(c), d.ID); err != nil {
		return err
	}
	q, err := h.svc.queue(c.UserContext(), d.ID)
	if err != nil {
		return err
	}
	v.Questions, v.Version = q.Items, q.Version
	if h.Promises != nil {
		if v.Promises, err = h.Promises(c, d.ID, "konsola"); err != nil {
			return err
		}
	}
	if done := c.Query("zrobione"); done != "" && refused == "" {
		v.Notice = httpx.L(c).T("debates.done")
	}
	return h.pages.HTML(c, status, "debate/console", render.View{Title: httpx.L(c).T("debates.console_title"),
		Section: "nav.events", Error: form.HasErrors() || pollForm.HasErrors(), Data: v})
}

// Act is the console's form: one action based on the version the page showed. A
// refused action shows the console again, with the current state and why.
func (h *Handlers) Act(c *fiber.Ctx) error {
	id, err := h.running(c)
	if err != nil {
		return err
	}
	p := auth.From(c)
	cmd := Command{Action: strings.Clone(c.FormValue("action")), Text: strings.Clone(c.FormValue("text"))}
	num := func(name string) *int64 {
		raw := strings.TrimSpace(c.FormValue(name))
		if raw == "" {
			return nil
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			n = -1 // the service names the field
		}
		return &n
	}
	cmd.ExpectedSeq, cmd.ItemID, cmd.SpeakerID = num("expected_seq"), num("item_id"), num("speaker_id")
	cmd.QuestionID, cmd.PollID = num("question_id"), num("poll_id")
	if _, err := h.svc.Act(c.UserContext(), p, id, cmd); err != nil {
		form := render.NewForm("text")
		form.Values["text"] = cmd.Text
		pe, ok := problem.As(err)
		if !ok || pe.Status == fiber.StatusNotFound || pe.Status == fiber.StatusForbidden {
			return err
		}
		refused := httpx.L(c).T(pe.Key, pe.Args...)
		if pe.Fields["text"] != "" {
			httpx.FormProblem(c, err, &form)
			refused = ""
		} else if len(pe.Fields) > 0 {
			for _, key := range pe.Fields {
				refused = httpx.L(c).T(key)
			}
		}
		return h.console(c, pe.Status, refused, form)
	}
	return c.Redirect(fmt.Sprintf("/debaty/%d/konsola?zrobione=%s", id, url.QueryEscape(cmd.Action)), fiber.StatusSeeOther)
}

// FormPage is the staff's form for a new debate.
type FormPage struct {
	Form       render.Form
	Districts  []event.Choice
	Moderators []Moderator
	// the districts and moderators ticked
	ChosenDistricts, ChosenModerators map[int64]bool
}

var formFields = []string{"title", "description", "starts_at", "starts_at_time", "ends_at", "ends_at_time", "address",
	"stream_url", "accessibility", "organisers", "status", "eligibility", "speakers", "agenda", "district_ids", "moderator_ids"}

// formPage gathers what a debate's forms offer: the districts and the staff.
func (h *Handlers) formPage(c *fiber.Ctx, form render.Form, districts, mods map[int64]bool) (FormPage, error) {
	ctx, p := c.UserContext(), auth.From(c)
	staff, err := h.svc.StaffAccounts(ctx, p)
	if err != nil {
		return FormPage{}, err
	}
	page := FormPage{Form: form, Moderators: staff, ChosenDistricts: districts, ChosenModerators: mods}
	if h.svc.Places != nil {
		if page.Districts, err = h.svc.Places.DistrictChoices(ctx); err != nil {
			return FormPage{}, err
		}
	}
	return page, nil
}

func (h *Handlers) form(c *fiber.Ctx, status int, form render.Form, districts, mods map[int64]bool) error {
	page, err := h.formPage(c, form, districts, mods)
	if err != nil {
		return err
	}
	return h.pages.HTML(c, status, "debate/form", render.View{Title: httpx.L(c).T("debates.new_title"), Section: "nav.admin",
		Error: form.HasErrors(), Data: page})
}

// New shows the empty form (staff).
func (h *Handlers) New(c *fiber.Ctx) error {
	if err := auth.RequireStaff(auth.From(c)); err != nil {
		return err
	}
	form := render.NewForm(formFields...)
	form.Values["status"], form.Values["eligibility"] = event.Draft, "open"
	return h.form(c, fiber.StatusOK, form, nil, map[int64]bool{auth.From(c).UserID: true})
}

// lines splits a textarea into its non-empty lines, each cut at the first "|" into two.
func lines(s string) [][2]string {
	var out [][2]string
	for _, ln := range strings.Split(s, "\n") {
		ln = strings.TrimSpace(ln)
		if ln == "" {
			continue
		}
		a, b, _ := strings.Cut(ln, "|")
		out = append(out, [2]string{strings.TrimSpace(a), strings.TrimSpace(b)})
	}
	return out
}

// speakerLines reads "name | role" lines.
func speakerLines(s string) []SpeakerInput {
	var out []SpeakerInput
	for _, sp := range lines(s) {
		out = append(out, SpeakerInput{Name: sp[0], Role: sp[1]})
	}
	return out
}

// agendaLines reads "topic | minutes" lines.
func agendaLines(s string) []ItemInput {
	var out []ItemInput
	for _, it := range lines(s) {
		n, err := strconv.Atoi(it[1])
		if err != nil {
			n = -1 // the service names the field
		}
		out = append(out, ItemInput{Topic: it[0], PlannedMinutes: n})
	}
	return out
}

// Create saves the form (speakers as "name | role" lines, the agenda as "topic |
// minutes" lines) and opens the new debate.
func (h *Handlers) Create(c *fiber.Ctx) error {
	p := auth.From(c)
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	form := render.NewForm(formFields...)
	httpx.FormValues(c, &form, formFields...)
	v := form.Values
	at := form.DateTime
	in := Input{Title: v["title"], Description: v["description"], StartsAt: at("starts_at"), EndsAt: at("ends_at"),
		Address: v["address"], StreamURL: v["stream_url"], Accessibility: v["accessibility"], Organisers: v["organisers"],
		Status: v["status"], Eligibility: v["eligibility"]}
	in.Speakers, in.Agenda = speakerLines(v["speakers"]), agendaLines(v["agenda"])
	in.DistrictIDs, in.ModeratorIDs = httpx.FormIDs(c, "district_ids"), httpx.FormIDs(c, "moderator_ids")
	districts, mods := map[int64]bool{}, map[int64]bool{}
	for _, id := range in.DistrictIDs {
		districts[id] = true
	}
	for _, id := range in.ModeratorIDs {
		mods[id] = true
	}
	d, err := h.svc.Create(c.UserContext(), p, in)
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.form(c, status, form, districts, mods)
	}
	return c.Redirect(fmt.Sprintf("/debaty/%d?zrobione=zapisano", d.ID), fiber.StatusSeeOther)
}
