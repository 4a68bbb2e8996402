package promise

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/debate"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/cursor"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

// Moment writes a promise's moment as a timer shows it ("" when unknown).
func (p Promise) Moment() string {
	if p.MomentMS == nil {
		return ""
	}
	return debate.Duration(*p.MomentMS)
}

// logFields are the console form's fields, in page order (ids stay stable for tests).
var logFields = []string{"promise_speaker", "promise_text", "promise_topic", "promise_item"}

// Section is the promises part of a debate's page or console.
type Section struct {
	DebateID int64
	Items    []Promise
	CanLog   bool
	Form     render.Form
	Speakers []debate.Speaker
	Agenda   []debate.Item
	Back     string // where the form comes back to: "konsola" or "debata"
	Version  int64  // of the debate's promises (its room)
	Notice   string
}

// Statuses lists every status (for the live list's labels).
func (s *Section) Statuses() []string { return Statuses }

// Section reads debate id's promises for its page (back "debata") or console (back
// "konsola"), with the logging form when the viewer may log. The caller has read the
// debate.
func (h *Handlers) Section(c *fiber.Ctx, id int64, back string) (*Section, error) {
	ctx, p := c.UserContext(), auth.From(c)
	list, err := h.svc.ForDebate(ctx, p, id)
	if err != nil {
		return nil, err
	}
	s := &Section{DebateID: id, Items: list, Back: back, Form: render.NewForm(logFields...)}
	for _, pr := range list {
		s.Version += pr.Version + 1
	}
	if c.Query("zrobione") == "obietnica" {
		s.Notice = httpx.L(c).T("promises.logged")
	}
	if p.SignedIn() && h.svc.MayLog(ctx, p, id) == nil {
		if err := h.fillForm(c, s, id); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// fillForm offers the debate's speakers and agenda, the current ones chosen.
func (h *Handlers) fillForm(c *fiber.Ctx, s *Section, id int64) error {
	st, err := h.svc.debates.State(c.UserContext(), id)
	if err != nil {
		return err
	}
	s.CanLog, s.Speakers, s.Agenda = true, st.Speakers, st.Items
	if _, typed := s.Form.Values["promise_speaker"]; !typed {
		s.Form.Values["promise_speaker"] = "none"
		if st.CurrentSpeakerID != nil {
			s.Form.Values["promise_speaker"] = strconv.FormatInt(*st.CurrentSpeakerID, 10)
		}
		s.Form.Values["promise_item"] = "none"
		if st.CurrentItemID != nil {
			s.Form.Values["promise_item"] = strconv.FormatInt(*st.CurrentItemID, 10)
		}
	}
	return nil
}

// choice reads a select's value: "none" or "" is none; a number is itself; anything
// else is -1 (the service names the field).
func choice(raw string) *int64 {
	raw = strings.TrimSpace(raw)
	if raw == "" || raw == "none" {
		return nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		n = -1
	}
	return &n
}

// LogPage is the console form shown again with its problems.
type LogPage struct {
	Debate  debate.Debate
	Section *Section
}

// Log is the console's (and the debate page's) form: POST /debaty/{id}/obietnice. A
// refused promise comes back on a page of its own with the problems and what was typed.
func (h *Handlers) Log(c *fiber.Ctx) error {
	id, p, err := h.logging(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	form := render.NewForm(logFields...)
	httpx.FormValues(c, &form, logFields...)
	back := "debata"
	if c.FormValue("back") == "konsola" {
		back = "konsola"
	}
	in := LogInput{SpeakerID: choice(form.Values["promise_speaker"]), Text: form.Values["promise_text"],
		Topic: form.Values["promise_topic"], ItemID: choice(form.Values["promise_item"])}
	in.NoItem = in.ItemID == nil
	if _, err := h.svc.Log(ctx, p, id, in); err != nil {
		if pe, ok := problem.As(err); ok {
			renamed := map[string]string{}
			for field, key := range pe.Fields {
				renamed[map[string]string{"speaker_id": "promise_speaker", "text": "promise_text", "topic": "promise_topic",
					"agenda_item_id": "promise_item"}[field]] = key
			}
			pe = &problem.Error{Status: pe.Status, Code: pe.Code, Key: pe.Key, Args: pe.Args, Fields: renamed}
			err = pe
		}
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		d, err := h.svc.debates.Get(c.UserContext(), auth.From(c), id)
		if err != nil {
			return err
		}
		s := &Section{DebateID: id, Back: back, Form: form}
		if err := h.fillForm(c, s, id); err != nil {
			return err
		}
		return h.pages.HTML(c, status, "promise/log", render.View{Title: httpx.L(c).T("promises.log_title"),
			Section: "nav.promises", Error: true, Data: LogPage{Debate: d, Section: s}})
	}
	to := fmt.Sprintf("/debaty/%d?zrobione=obietnica#obietnice", id)
	if back == "konsola" {
		to = fmt.Sprintf("/debaty/%d/konsola?zrobione=obietnica#obietnice", id)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// TrackerPage is the public tracker.
type TrackerPage struct {
	Items    []Promise
	Counts   []Count
	Total    int
	Debates  []Choice
	Speakers []Choice
	Topics   []string
	Filter   map[string]string // the filters as chosen (debata, mowca, temat, status)
	Next     string            // the next page's address ("" on the last)
	Later    bool
	Query    string // the filters as a query string, for status links
}

// Tracker is /obietnice: promises by debate, speaker, topic and status, newest first,
// with counts per status (a GET form: works without JavaScript).
func (h *Handlers) Tracker(c *fiber.Ctx) error {
	f, err := filter(c, "debata", "mowca", "temat", "status")
	if err != nil {
		return err
	}
	if f.After, err = cursor.Decode(c.Query("po")); err != nil {
		return err
	}
	ctx, p := c.UserContext(), auth.From(c)
	list, next, err := h.svc.List(ctx, p, f)
	if err != nil {
		return err
	}
	page := TrackerPage{Items: list, Later: f.After > 0, Filter: map[string]string{}}
	if page.Counts, page.Total, err = h.svc.Counts(ctx, p, f); err != nil {
		return err
	}
	if page.Debates, page.Speakers, page.Topics, err = h.svc.Choices(ctx, p); err != nil {
		return err
	}
	q := url.Values{}
	for _, name := range []string{"debata", "mowca", "temat"} {
		if v := strings.Clone(c.Query(name)); v != "" {
			page.Filter[name] = v
			q.Set(name, v)
		}
	}
	page.Filter["status"] = f.Status
	page.Query = q.Encode()
	if next > 0 {
		if f.Status != "" {
			q.Set("status", f.Status)
		}
		q.Set("po", cursor.Encode(next))
		page.Next = "/obietnice?" + q.Encode()
	}
	return h.pages.HTML(c, fiber.StatusOK, "promise/list", render.View{Title: httpx.L(c).T("promises.title"),
		Section: "nav.promises", Data: page})
}

// ShowPage is a promise's page.
type ShowPage struct {
	Detail
	Correction render.Form      // the correction form (advocates, staff)
	Speakers   []debate.Speaker // whom the correction form offers
	CanTrack   bool
	CanFollow  bool
	Following  bool
	Form       render.Form
	Statuses   []string
	Comments   any
	Notice     string
}

var updateFields = []string{"date", "status", "note", "links"}

// Show is a promise's page: its status, where it was made, the updates, the history,
// the follow button, the update form (advocates, staff) and the comments.
func (h *Handlers) Show(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	form := render.NewForm(updateFields...)
	switch c.Query("zrobione") {
	case "aktualizacja":
		return h.show(c, id, fiber.StatusOK, form, httpx.L(c).T("promises.update_saved"))
	case "poprawka":
		return h.show(c, id, fiber.StatusOK, form, httpx.L(c).T("promises.correction_saved"))
	}
	return h.show(c, id, fiber.StatusOK, form, "")
}

func (h *Handlers) show(c *fiber.Ctx, id int64, status int, form render.Form, notice string) error {
	return h.showWith(c, id, status, form, render.NewForm(correctFields...), notice)
}

// showWith draws the promise page with the update form and the correction form as sent.
func (h *Handlers) showWith(c *fiber.Ctx, id int64, status int, form, correction render.Form, notice string) error {
	ctx, p := c.UserContext(), auth.From(c)
	d, err := h.svc.Get(ctx, p, id)
	if err != nil {
		return err
	}
	page := ShowPage{Detail: d, CanTrack: h.svc.CanTrack(p), Form: form, Statuses: Statuses, Notice: notice, Correction: correction}
	if page.CanTrack {
		if _, sent := correction.Values["text"]; !sent {
			correction.Values["text"], correction.Values["topic"] = d.Text, d.Topic
			correction.Values["speaker_id"] = "none"
			if d.SpeakerID != nil {
				correction.Values["speaker_id"] = strconv.FormatInt(*d.SpeakerID, 10)
			}
		}
		correction.Values["version"] = strconv.FormatInt(d.Version, 10)
		st, err := h.svc.debates.State(ctx, d.DebateID)
		if err != nil {
			return err
		}
		page.Speakers = st.Speakers
	}
	if _, ok := form.Values["version"]; !ok || status == fiber.StatusConflict {
		form.Values["version"] = strconv.FormatInt(d.Version, 10)
	}
	if _, ok := form.Values["status"]; !ok {
		form.Values["status"] = d.Status
	}
	if h.Following != nil && p.SignedIn() {
		page.CanFollow = true
		if page.Following, err = h.Following(ctx, p, id); err != nil {
			return err
		}
	}
	if h.Comments != nil {
		if page.Comments, err = h.Comments(c, id); err != nil {
			return err
		}
	}
	return h.pages.HTML(c, status, "promise/show", render.View{Title: d.Short(), Section: "nav.promises",
		Error: form.HasErrors() || correction.HasErrors(), Data: page})
}

// Update is the promise page's update form: a date, perhaps a new status, a note and
// evidence links (one a line), based on the version the page showed. A promise changed
// meanwhile comes back (409) with the current state and what was typed.
func (h *Handlers) Update(c *fiber.Ctx) error {
	id, p, err := h.tracking(c)
	if err != nil {
		return err
	}
	form := render.NewForm(updateFields...)
	httpx.FormValues(c, &form, append(updateFields, "version")...)
	in := UpdateInput{Date: form.Values["date"], Status: form.Values["status"], Note: form.Values["note"],
		Links: strings.Split(form.Values["links"], "\n")}
	if v, err := strconv.ParseInt(strings.TrimSpace(form.Values["version"]), 10, 64); err == nil {
		in.Version = &v
	}
	if _, err := h.svc.AddUpdate(c.UserContext(), p, id, in); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		if pe, _ := problem.As(err); pe != nil && len(pe.Fields) > 0 && pe.Fields["version"] != "" {
			form.General, form.Errors = httpx.L(c).T(pe.Fields["version"]), map[string]string{}
		}
		return h.show(c, id, status, form, "")
	}
	return c.Redirect(Path(id)+"?zrobione=aktualizacja#aktualizacje", fiber.StatusSeeOther)
}
