package debate

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
	"lawka/internal/poll"
)

// Polls is the poll feature as a debate's console, phones and projector use it: polls
// made for the debate, opened and closed under the debate's lock, votes and results.
type Polls interface {
	Create(ctx context.Context, p auth.Principal, in poll.New) (poll.Poll, error)
	SwitchIn(ctx context.Context, tx pgx.Tx, p auth.Principal, id int64, open bool) error
	Switched(ctx context.Context, id int64)
	Vote(ctx context.Context, pt poll.Participant, pollID int64, optionIDs []int64, idem string) (string, bool, error)
	Results(ctx context.Context, p auth.Principal, id int64) (poll.Results, error)
	ForDebate(ctx context.Context, debateID int64) ([]poll.Summary, error)
}

// DebatePolls lists the polls made for debate id (its moderators and admins).
func (s *Service) DebatePolls(ctx context.Context, p auth.Principal, id int64) ([]poll.Summary, error) {
	if err := s.MayRun(ctx, p, id); err != nil {
		return nil, err
	}
	if s.Polls == nil {
		return nil, nil
	}
	return s.Polls.ForDebate(ctx, id)
}

// VotePoll is a phone's ballot in the poll on air of debate id; the poll's own rules
// (eligibility, one ballot per participant, open or not) apply. A poll no longer on air
// is refused (409 poll_not_on_air), so a phone left behind cannot vote in the wrong one.
func (s *Service) VotePoll(ctx context.Context, pt poll.Participant, id, pollID int64, optionIDs []int64) (string, error) {
	if err := s.CanView(ctx, pt.Principal, id); err != nil {
		return "", err
	}
	r, err := readRow(ctx, s.pool, id, false)
	if err != nil {
		return "", err
	}
	if s.Polls == nil || r.PollID == nil || *r.PollID != pollID {
		return "", conflict("poll_not_on_air")
	}
	receipt, _, err := s.Polls.Vote(ctx, pt, pollID, optionIDs, "")
	return receipt, err
}

// Need is what p lacks to take part under an eligibility: "" (nothing), or the code of
// the refusal (sign_in_required, not_verified, not_member).
func Need(p auth.Principal, eligibility string) string {
	if pe, ok := problem.As(Admits(p, eligibility)); ok {
		return pe.Code
	}
	return ""
}

// OnAir is the poll on air as a page draws it.
type OnAir struct {
	Poll    poll.Poll
	Results *poll.Results // nil: hidden until the close
	Bars    []poll.Bar
	Need    string // what the viewer lacks to vote (see Need)
	Room    string // its tally's realtime room
}

// onAir fills in the poll on air of v's debate, as viewer p may see it.
func (h *Handlers) onAir(c *fiber.Ctx, v *View) error {
	pl := v.Debate.State.Poll
	if pl == nil || h.svc.Polls == nil {
		return nil
	}
	p := auth.From(c)
	a := &OnAir{Poll: *pl, Need: Need(p, pl.Eligibility), Room: "poll:" + strconv.FormatInt(pl.ID, 10)}
	r, err := h.svc.Polls.Results(c.UserContext(), p, pl.ID)
	if err == nil {
		a.Results, a.Bars = &r, poll.Bars(&r)
	} else if pe, ok := problem.As(err); !ok || pe.Code != "results_hidden" {
		return err
	}
	v.OnAir = a
	return nil
}

// CreatePoll is the console's form for a poll written on the spot (options one per
// line); with launch=yes it goes on air at once. Bad input shows the console again with
// the form's errors, and nothing is stored.
func (h *Handlers) CreatePoll(c *fiber.Ctx) error {
	id, err := h.running(c)
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), auth.From(c)
	in, form := poll.FromForm(c)
	pl, err := h.svc.CreatePoll(ctx, p, id, in)
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok || status == fiber.StatusForbidden || status == fiber.StatusNotFound {
			return err
		}
		return h.consoleWith(c, status, "", render.NewForm("text"), form)
	}
	done := "poll_created"
	if c.FormValue("launch") == "yes" {
		seq, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue("expected_seq")), 10, 64)
		if _, err := h.svc.Act(ctx, p, id, Command{Action: ActPollLaunch, ExpectedSeq: &seq, PollID: &pl.ID}); err != nil {
			status, msg, err := refused(c, err)
			if err != nil {
				return err
			}
			return h.console(c, status, msg+" "+httpx.L(c).T("debates.poll_kept"), render.NewForm("text"))
		}
		done = ActPollLaunch
	}
	return c.Redirect(fmt.Sprintf("/debaty/%d/konsola?zrobione=%s#ankiety", id, done), fiber.StatusSeeOther)
}

// VotePoll is the phone's plain ballot form in the poll on air.
func (h *Handlers) VotePoll(c *fiber.Ctx) error {
	id, err := debateID(c)
	if err != nil {
		return err
	}
	pollID, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue("poll_id")), 10, 64)
	var options []int64
	for _, raw := range c.Request().PostArgs().PeekMulti("option_ids") {
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			options = nil
			break
		}
		options = append(options, n)
	}
	a, err := h.asker(c, true)
	if err == nil {
		err = h.limit(c, a, pollVotesPerParticipant)
	}
	if err == nil {
		_, err = h.svc.VotePoll(c.UserContext(), poll.Participant{Principal: a.Principal, AnonID: a.AnonID}, id, pollID, options)
	}
	if err != nil {
		pe, ok := problem.As(err)
		if !ok || pe.Status == fiber.StatusNotFound {
			return err
		}
		msg := httpx.L(c).T(pe.Key, pe.Args...)
		for _, key := range pe.Fields {
			msg = httpx.L(c).T(key)
		}
		return h.audienceWith(c, pe.Status, render.NewForm("body", "anonymous"), "", msg)
	}
	return c.Redirect(fmt.Sprintf("/debaty/%d/na-zywo?zrobione=ankieta#ankieta", id), fiber.StatusSeeOther)
}
