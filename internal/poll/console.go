package poll

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/render"
)

// The moderators' screens: create a poll, open and close it, enter paper ballots and
// watch the result (the public page, live).

// Summary is a row of the moderators' list.
type Summary struct {
	ID        int64
	Question  string
	Status    string
	Total     int
	CreatedAt time.Time
}

// List returns the newest polls (moderators and admins).
func (s *Service) List(ctx context.Context, p auth.Principal) ([]Summary, error) {
	if err := auth.RequireStaff(p); err != nil {
		return nil, err
	}
	return s.summaries(ctx, `ORDER BY p.id DESC LIMIT 100`)
}

// ForDebate lists the polls made for a debate, oldest first (the caller has checked
// that the console is theirs).
func (s *Service) ForDebate(ctx context.Context, debateID int64) ([]Summary, error) {
	return s.summaries(ctx, `WHERE p.debate_id = $1 ORDER BY p.id`, debateID)
}

func (s *Service) summaries(ctx context.Context, where string, args ...any) ([]Summary, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.id, p.question,
		CASE WHEN p.status = 'open' AND p.closes_at <= now() THEN 'closed' ELSE p.status END,
		(SELECT count(*) FROM ballots b WHERE b.poll_id = p.id)::int + (SELECT coalesce(sum(ballots), 0) FROM paper_counts c WHERE c.poll_id = p.id)::int,
		p.created_at FROM polls p `+where, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Summary])
}

// ConsolePage is the moderators' list with the new-poll form.
type ConsolePage struct {
	Polls []Summary
	Form  render.Form
}

var createFields = []string{"question", "kind", "options", "max_choices", "eligibility", "results_visibility"}

func (pg *Pages) console(c *fiber.Ctx, status int, form render.Form) error {
	list, err := pg.svc.List(c.UserContext(), auth.From(c))
	if err != nil {
		return err
	}
	return pg.render.HTML(c, status, "poll/console", render.View{Title: httpx.L(c).T("polls.console_title"),
		Section: "nav.admin", Error: form.HasErrors(), Data: ConsolePage{Polls: list, Form: form}})
}

// Console lists polls and offers the form for a new one.
func (pg *Pages) Console(c *fiber.Ctx) error {
	return pg.console(c, fiber.StatusOK, NewForm("registered"))
}

// FromForm reads the new-poll form (the "poll-fields" partial: options one per line)
// as sent, and what it asks for.
func FromForm(c *fiber.Ctx) (New, render.Form) {
	form := render.NewForm(createFields...)
	httpx.FormValues(c, &form, createFields...)
	in := New{Question: form.Values["question"], Kind: form.Values["kind"], Eligibility: form.Values["eligibility"],
		ResultsVisibility: form.Values["results_visibility"]}
	for _, line := range strings.Split(form.Values["options"], "\n") {
		if line = strings.TrimSpace(line); line != "" {
			in.Options = append(in.Options, line)
		}
	}
	if raw := strings.TrimSpace(form.Values["max_choices"]); raw != "" {
		if n, err := strconv.Atoi(raw); err == nil {
			in.MaxChoices = &n
		} else {
			bad := -1
			in.MaxChoices = &bad
		}
	}
	allow := c.FormValue("allow_change") == "yes"
	in.AllowChange = &allow
	if !allow {
		form.Values["allow_change"] = "no"
	}
	return in, form
}

// NewForm is the empty new-poll form with its defaults.
func NewForm(eligibility string) render.Form {
	form := render.NewForm(createFields...)
	form.Values["kind"], form.Values["eligibility"], form.Values["results_visibility"] = "single", eligibility, "live"
	return form
}

// Create makes a poll from the form and opens its page.
func (pg *Pages) Create(c *fiber.Ctx) error {
	in, form := FromForm(c)
	p, err := pg.svc.Create(c.UserContext(), auth.From(c), in)
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusForbidden {
			return err
		}
		return pg.console(c, status, form)
	}
	return c.Redirect(fmt.Sprintf("/admin/ankiety/%d", p.ID), fiber.StatusSeeOther)
}

// ManagePage is one poll's controls.
type ManagePage struct {
	Poll    Poll
	Results *Results
	Bars    []Bar
	Room    string // the staff's live room: results even while they are hidden from voters
	Paper   render.Form
	Notice  string
}

func (pg *Pages) manage(c *fiber.Ctx, status int, paper render.Form) error {
	id, err := pollID(c)
	if err != nil {
		return err
	}
	p := auth.From(c)
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	poll, err := pg.svc.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	res, err := pg.svc.Results(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	page := ManagePage{Poll: poll, Results: &res, Bars: bars(&res), Room: fmt.Sprintf("pollwatch:%d", id), Paper: paper}
	if d := c.Query("done"); d == "open" || d == "close" || d == "paper" {
		page.Notice = httpx.L(c).T("polls.done_" + d)
	}
	return pg.render.HTML(c, status, "poll/manage", render.View{Title: poll.Question, Section: "nav.admin",
		Error: paper.HasErrors(), Data: page})
}

// Manage shows one poll's controls.
func (pg *Pages) Manage(c *fiber.Ctx) error {
	return pg.manage(c, fiber.StatusOK, render.NewForm("counts", "note"))
}

// OpenPoll and ClosePoll are the console's buttons.
func (pg *Pages) OpenPoll(c *fiber.Ctx) error  { return pg.switchPoll(c, pg.svc.Open, "open") }
func (pg *Pages) ClosePoll(c *fiber.Ctx) error { return pg.switchPoll(c, pg.svc.Close, "close") }

func (pg *Pages) switchPoll(c *fiber.Ctx, do func(context.Context, auth.Principal, int64) (Poll, error), done string) error {
	id, err := pollID(c)
	if err != nil {
		return err
	}
	if _, err := do(c.UserContext(), auth.From(c), id); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/admin/ankiety/%d?done=%s", id, done), fiber.StatusSeeOther)
}

// Paper records paper ballots from the form (a count field per option).
func (pg *Pages) Paper(c *fiber.Ctx) error {
	id, err := pollID(c)
	if err != nil {
		return err
	}
	poll, err := pg.svc.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	form := render.NewForm("counts", "note")
	httpx.FormValues(c, &form, "note")
	in := PaperEntry{Counts: map[string]int{}, Note: form.Values["note"]}
	for _, o := range poll.Options {
		key := "count_" + strconv.FormatInt(o.ID, 10)
		raw := strings.TrimSpace(c.FormValue(key))
		form.Values[key] = strings.Clone(raw)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			n = -1
		}
		in.Counts[strconv.FormatInt(o.ID, 10)] = n
	}
	if err := pg.svc.AddPaper(c.UserContext(), auth.From(c), id, in); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusForbidden {
			return err
		}
		return pg.manage(c, status, form)
	}
	return c.Redirect(fmt.Sprintf("/admin/ankiety/%d?done=paper", id), fiber.StatusSeeOther)
}
