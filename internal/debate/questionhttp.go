package debate

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
	"lawka/internal/platform/realtime"
	"lawka/internal/platform/render"
)

// Asking is rate-limited per participant and per address (more generously: a hall may
// share one), upvoting per participant.
var (
	questionsPerParticipant = ratelimit.Rule{Name: "debate-question:participant", Limit: 3, Window: time.Minute}
	questionsPerIP          = ratelimit.Rule{Name: "debate-question:ip", Limit: 30, Window: time.Minute}
	upvotesPerParticipant   = ratelimit.Rule{Name: "debate-upvote:participant", Limit: 60, Window: time.Minute}
	newAskersPerIP          = ratelimit.Rule{Name: "participant:ip", Limit: 1000, Window: 10 * time.Minute}
	// the polls' own rule (the same bucket): a phone votes here or on the poll's page
	pollVotesPerParticipant = ratelimit.Rule{Name: "vote:participant", Limit: 30, Window: time.Minute}
)

// asker is who acts with this request: the account, or this browser's participant id,
// issued now when create (counted per address) and it has none.
func (h *Handlers) asker(c *fiber.Ctx, create bool) (Asker, error) {
	a := Asker{Principal: auth.From(c)}
	if a.SignedIn() {
		return a, nil
	}
	id, err := h.ids.ID(c, false)
	if err != nil || id != "" || !create {
		a.AnonID = id
		return a, err
	}
	if ok, wait := h.limits.Allow(c.UserContext(), newAskersPerIP, httpx.ClientIP(c)); !ok {
		return a, problem.TooMany(wait)
	}
	a.AnonID, err = h.ids.ID(c, true)
	return a, err
}

// limit counts one attempt under each rule and refuses (429) past a limit.
func (h *Handlers) limit(c *fiber.Ctx, a Asker, rules ...ratelimit.Rule) error {
	for _, rule := range rules {
		subject := a.Key()
		if rule == questionsPerIP {
			subject = httpx.ClientIP(c)
		}
		if ok, wait := h.limits.Allow(c.UserContext(), rule, subject); !ok {
			return problem.TooMany(wait)
		}
	}
	return nil
}

func (h *Handlers) ask(c *fiber.Ctx, in AskInput) (Question, error) {
	id, err := debateID(c)
	if err != nil {
		return Question{}, err
	}
	a, err := h.asker(c, true)
	if err != nil {
		return Question{}, err
	}
	return h.svc.Ask(c.UserContext(), a, id, in, func() error { return h.limit(c, a, questionsPerParticipant, questionsPerIP) })
}

func (h *Handlers) vote(c *fiber.Ctx, on bool) (votes int, voted bool, err error) {
	id, qid, err := question(c)
	if err != nil {
		return 0, false, err
	}
	a, err := h.asker(c, true)
	if err != nil {
		return 0, false, err
	}
	if err := h.limit(c, a, upvotesPerParticipant); err != nil {
		return 0, false, err
	}
	return h.svc.Vote(c.UserContext(), a, id, qid, on)
}

// question reads the debate and question of a question's route.
func question(c *fiber.Ctx) (id, qid int64, err error) {
	if id, err = debateID(c); err == nil {
		qid, err = param(c, "question")
	}
	return id, qid, err
}

// APIQuestions answers GET /api/v1/debates/{id}/questions?sort=votes|time: the
// approved questions, with the ones the caller upvoted marked.
func (h *Handlers) APIQuestions(c *fiber.Ctx) error {
	id, err := debateID(c)
	if err != nil {
		return err
	}
	sort := c.Query("sort", "votes")
	if sort != "votes" && sort != "time" {
		return problem.Invalid(map[string]string{"sort": "debates.sort_unknown"})
	}
	a, err := h.asker(c, false)
	if err != nil {
		return err
	}
	b, voted, err := h.svc.Questions(c.UserContext(), a, id)
	if err != nil {
		return err
	}
	if sort == "time" {
		byTime(b.Items)
	}
	ids := []int64{}
	for _, q := range b.Items {
		if voted[q.ID] {
			ids = append(ids, q.ID)
		}
	}
	return c.JSON(fiber.Map{"items": b.Items, "version": b.Version, "voted": ids})
}

// APIQueue answers GET /api/v1/debates/{id}/questions/queue (the debate's moderators).
func (h *Handlers) APIQueue(c *fiber.Ctx) error {
	id, err := debateID(c)
	if err != nil {
		return err
	}
	b, err := h.svc.Queue(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": b.Items, "version": b.Version})
}

// APIAsk answers POST /api/v1/debates/{id}/questions {"body","anonymous"}.
func (h *Handlers) APIAsk(c *fiber.Ctx) error {
	var in AskInput
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	q, err := h.ask(c, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"question": q})
}

// APIVote answers POST (upvote) and DELETE (take it back) /api/v1/debates/{id}/questions/{q}/vote.
func (h *Handlers) APIVote(c *fiber.Ctx) error {
	votes, voted, err := h.vote(c, c.Method() == fiber.MethodPost)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"votes": votes, "voted": voted})
}

// APIModerate answers POST /api/v1/debates/{id}/questions/{q}/moderation
// {"action","reason","into_id","body"} (the debate's moderators).
func (h *Handlers) APIModerate(c *fiber.Ctx) error {
	id, qid, err := question(c)
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), auth.From(c)
	if err := h.svc.MayRun(ctx, p, id); err != nil {
		return err
	}
	var m Moderation
	if err := httpx.DecodeJSON(c, &m); err != nil {
		return err
	}
	q, err := h.svc.Moderate(ctx, p, id, qid, m)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"question": q})
}

// byTime orders questions oldest first.
func byTime(list []Question) {
	slices.SortFunc(list, func(a, b Question) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// refused turns a refusal the page explains into its message; other errors go on.
func refused(c *fiber.Ctx, err error) (int, string, error) {
	pe, ok := problem.As(err)
	eligibility := ok && slices.Contains([]string{"sign_in_required", "not_verified", "not_member"}, pe.Code)
	if !ok || !eligibility && (pe.Status == fiber.StatusNotFound || pe.Status == fiber.StatusForbidden || pe.Status == fiber.StatusUnauthorized) {
		return 0, "", err
	}
	msg := httpx.L(c).T(pe.Key, pe.Args...)
	for _, key := range pe.Fields {
		msg = httpx.L(c).T(key)
	}
	return pe.Status, msg, nil
}

// audience draws the phone view: the live state, the approved questions (by votes, or
// by time with ?kolejnosc=czas) and the question form.
func (h *Handlers) audience(c *fiber.Ctx, status int, form render.Form, problemText string) error {
	return h.audienceWith(c, status, form, problemText, "")
}

// audienceWith draws the phone view with a refused ballot explained (pollProblem).
func (h *Handlers) audienceWith(c *fiber.Ctx, status int, form render.Form, problemText, pollProblem string) error {
	d, err := h.debate(c)
	if err != nil {
		return err
	}
	a, err := h.asker(c, false)
	if err != nil {
		return err
	}
	b, voted, err := h.svc.Questions(c.UserContext(), a, d.ID)
	if err != nil {
		return err
	}
	own, err := h.svc.Own(c.UserContext(), a, d.ID)
	if err != nil {
		return err
	}
	v := h.view(c, d)
	v.Order = "glosy"
	if c.Query("kolejnosc") == "czas" || c.FormValue("order") == "czas" {
		v.Order = "czas"
		byTime(b.Items)
	}
	v.Questions, v.Voted, v.Own, v.Form, v.Problem, v.Version = b.Items, voted, own, form, problemText, b.Version
	v.AskNeed, v.PollProblem = Need(a.Principal, d.State.Eligibility), pollProblem
	if err := h.onAir(c, &v); err != nil {
		return err
	}
	switch c.Query("zrobione") {
	case "pytanie":
		v.Notice = httpx.L(c).T("debates.question_sent")
		if !d.State.PostModeration {
			v.Notice = httpx.L(c).T("debates.question_waits")
		}
	case "glos":
		v.Notice = httpx.L(c).T("debates.vote_saved")
	case "ankieta":
		v.PollNotice = httpx.L(c).T("debates.ballot_saved")
	}
	return h.pages.HTML(c, status, "debate/audience", render.View{Title: d.Title, Section: "nav.events",
		Error: status >= 400, Data: v})
}

// Ask is the phone view's question form.
func (h *Handlers) Ask(c *fiber.Ctx) error {
	in := AskInput{Body: strings.Clone(c.FormValue("body")), Anonymous: c.FormValue("anonymous") == "yes"}
	if _, err := h.ask(c, in); err != nil {
		status, msg, err := refused(c, err)
		if err != nil {
			return err
		}
		form := render.NewForm("body", "anonymous")
		form.Values["body"] = in.Body
		if in.Anonymous {
			form.Values["anonymous"] = "yes"
		}
		form.Errors["body"] = msg
		return h.audience(c, status, form, "")
	}
	id, _ := debateID(c)
	return c.Redirect(fmt.Sprintf("/debaty/%d/na-zywo?zrobione=pytanie#pytania", id), fiber.StatusSeeOther)
}

// Upvote is a question's upvote button on the phone view (undo=yes takes it back).
func (h *Handlers) Upvote(c *fiber.Ctx) error {
	if _, _, err := h.vote(c, c.FormValue("undo") != "yes"); err != nil {
		status, msg, err := refused(c, err)
		if err != nil {
			return err
		}
		return h.audience(c, status, render.NewForm("body", "anonymous"), msg)
	}
	id, qid, _ := question(c)
	order := ""
	if c.FormValue("order") == "czas" {
		order = "&kolejnosc=czas"
	}
	return c.Redirect(fmt.Sprintf("/debaty/%d/na-zywo?zrobione=glos%s#pytanie-%d", id, order, qid), fiber.StatusSeeOther)
}

// ModerateQuestion is the console's form on a question.
func (h *Handlers) ModerateQuestion(c *fiber.Ctx) error {
	id, qid, err := question(c)
	if err != nil {
		return err
	}
	p := auth.From(c)
	if err := h.svc.MayRun(c.UserContext(), p, id); err != nil {
		return err
	}
	m := Moderation{Action: strings.Clone(c.FormValue("action")), Reason: strings.Clone(c.FormValue("reason")),
		Body: strings.Clone(c.FormValue("body"))}
	if raw := strings.TrimSpace(c.FormValue("into_id")); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			n = -1
		}
		m.IntoID = &n
	}
	if _, err := h.svc.Moderate(c.UserContext(), p, id, qid, m); err != nil {
		status, msg, err := refused(c, err)
		if err != nil {
			return err
		}
		return h.console(c, status, msg, render.NewForm("text"))
	}
	return c.Redirect(fmt.Sprintf("/debaty/%d/konsola?zrobione=%s#pytania", id, url.QueryEscape(m.Action)), fiber.StatusSeeOther)
}

// BoardRoom lets viewers follow a debate's approved questions ("debate-questions:<id>").
func BoardRoom(svc *Service) realtime.Numbered {
	return realtime.Numbered{Allow: svc.CanView, State: func(ctx context.Context, id int64) (string, any, error) {
		b, err := svc.board(ctx, id)
		return BoardMessage, b, err
	}}
}

// QueueRoom lets the debate's moderators follow every question ("debate-queue:<id>").
func QueueRoom(svc *Service) realtime.Numbered {
	return realtime.Numbered{Allow: svc.MayRun, State: func(ctx context.Context, id int64) (string, any, error) {
		b, err := svc.queue(ctx, id)
		return QueueMessage, b, err
	}}
}
