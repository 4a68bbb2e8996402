package poll

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/participant"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
)

// Handlers serves the polls API.
type Handlers struct {
	svc    *Service
	limits *ratelimit.Limiter
	ids    *participant.Cookies
	secure bool
}

// NewHandlers builds the handlers; loadKey gives the key that signs participant cookies.
func NewHandlers(svc *Service, limits *ratelimit.Limiter, loadKey func(context.Context) ([]byte, error), secure bool) *Handlers {
	return &Handlers{svc: svc, limits: limits, ids: participant.New(loadKey, secure), secure: secure}
}

// idempotencyKey is what a client may use as a key: letters, digits and . _ : - (a
// UUID, say), so nothing a client sends can fail a whole batch of others' votes.
var idempotencyKey = regexp.MustCompile(`^[A-Za-z0-9._:-]*$`)

// Voting is rate-limited per participant, and new anonymous participants per address
// (generously: a whole hall may vote through one address).
var (
	votesPerParticipant  = ratelimit.Rule{Name: "vote:participant", Limit: 30, Window: time.Minute}
	newParticipantsPerIP = ratelimit.Rule{Name: "participant:ip", Limit: 1000, Window: 10 * time.Minute}
)

// voter is who votes with this request: the signed-in account, or this browser's
// participant id (issued now if it has none).
func (h *Handlers) voter(c *fiber.Ctx) (Participant, error) {
	ctx := c.UserContext()
	pt := Participant{Principal: auth.From(c)}
	if !pt.SignedIn() {
		id, err := h.ids.ID(c, false)
		if err != nil {
			return pt, err
		}
		if id == "" {
			if ok, wait := h.limits.Allow(ctx, newParticipantsPerIP, httpx.ClientIP(c)); !ok {
				return pt, problem.TooMany(wait)
			}
			if id, err = h.ids.ID(c, true); err != nil {
				return pt, err
			}
		}
		pt.AnonID = id
	}
	if ok, wait := h.limits.Allow(ctx, votesPerParticipant, pt.key()); !ok {
		return pt, problem.TooMany(wait)
	}
	return pt, nil
}

func pollID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound()
	}
	return id, nil
}

// APICreate answers POST /api/v1/polls.
func (h *Handlers) APICreate(c *fiber.Ctx) error {
	if err := auth.RequireStaff(auth.From(c)); err != nil {
		return err
	}
	var in New
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	p, err := h.svc.Create(c.UserContext(), auth.From(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"poll": p})
}

// APIGet answers GET /api/v1/polls/{id}.
func (h *Handlers) APIGet(c *fiber.Ctx) error {
	id, err := pollID(c)
	if err != nil {
		return err
	}
	p, err := h.svc.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	if p.Status == "draft" && !auth.From(c).Staff() {
		return problem.NotFound()
	}
	return c.JSON(fiber.Map{"poll": p})
}

// APIOpen answers POST /api/v1/polls/{id}/open.
func (h *Handlers) APIOpen(c *fiber.Ctx) error { return h.transition(c, h.svc.Open) }

// APIClose answers POST /api/v1/polls/{id}/close.
func (h *Handlers) APIClose(c *fiber.Ctx) error { return h.transition(c, h.svc.Close) }

func (h *Handlers) transition(c *fiber.Ctx, do func(context.Context, auth.Principal, int64) (Poll, error)) error {
	id, err := pollID(c)
	if err != nil {
		return err
	}
	p, err := do(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"poll": p})
}

// APIVote answers POST /api/v1/polls/{id}/votes {"option_ids":[…]}: 201 with a receipt
// the first time, 200 for a retry or a change.
func (h *Handlers) APIVote(c *fiber.Ctx) error {
	id, err := pollID(c)
	if err != nil {
		return err
	}
	var in struct {
		OptionIDs []int64 `json:"option_ids"`
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	pt, err := h.voter(c)
	if err != nil {
		return err
	}
	key := c.Get("Idempotency-Key")
	if len(key) > 100 || !idempotencyKey.MatchString(key) {
		return problem.Invalid(map[string]string{"Idempotency-Key": "polls.idempotency_key_length"})
	}
	receipt, created, err := h.svc.Vote(c.UserContext(), pt, id, in.OptionIDs, strings.Clone(key))
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(fiber.Map{"receipt": receipt})
}

// APIResults answers GET /api/v1/polls/{id}/results.
func (h *Handlers) APIResults(c *fiber.Ctx) error {
	id, err := pollID(c)
	if err != nil {
		return err
	}
	r, err := h.svc.Results(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

// APIPaper answers POST /api/v1/polls/{id}/paper.
func (h *Handlers) APIPaper(c *fiber.Ctx) error {
	if err := auth.RequireStaff(auth.From(c)); err != nil {
		return err
	}
	id, err := pollID(c)
	if err != nil {
		return err
	}
	var in PaperEntry
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.svc.AddPaper(c.UserContext(), auth.From(c), id, in); err != nil {
		return err
	}
	r, err := h.svc.Results(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

// Room lets viewers watch a poll's tally live ("poll:<id>"), as far as they may see it.
type Room struct{ Svc *Service }

// Authorize admits whoever may see the results now.
func (r Room) Authorize(ctx context.Context, p auth.Principal, id string) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return problem.NotFound()
	}
	return r.Svc.Readable(ctx, p, n)
}

// Snapshot is the current tally.
func (r Room) Snapshot(ctx context.Context, id string) (string, any, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return "", nil, problem.NotFound()
	}
	c, err := r.Svc.counts(ctx, n) // Authorize already decided who may see it
	return "poll.tally", c.tally(), err
}

// WatchRoom is the staff's view of a poll ("pollwatch:<id>"): the live tally even while
// results are hidden from voters.
type WatchRoom struct{ Svc *Service }

// Authorize admits moderators and admins.
func (r WatchRoom) Authorize(ctx context.Context, p auth.Principal, id string) error {
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return problem.NotFound()
	}
	_, err = r.Svc.definition(ctx, n)
	return err
}

// Snapshot is the current tally.
func (r WatchRoom) Snapshot(ctx context.Context, id string) (string, any, error) {
	return Room(r).Snapshot(ctx, id)
}

// PersonalData unlinks a person's ballots on erasure: they stay counted.
type PersonalData struct{}

// Name is the key in the export.
func (PersonalData) Name() string { return "polls" }

// Export lists the person's ballots with their receipts and choices.
func (PersonalData) Export(ctx context.Context, q db.Querier, userID int64) (any, error) {
	rows, err := q.Query(ctx, `SELECT b.poll_id, b.receipt, b.created_at,
		array(SELECT o.label FROM ballot_choices c JOIN poll_options o ON o.id = c.option_id WHERE c.ballot_id = b.id ORDER BY o.position)
		FROM ballots b WHERE b.user_id = $1 ORDER BY b.id`, userID)
	if err != nil {
		return nil, err
	}
	type ballot struct {
		PollID  int64    `json:"poll_id"`
		Receipt string   `json:"receipt"`
		At      any      `json:"at"`
		Choices []string `json:"choices"`
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ballot, error) {
		var b ballot
		err := r.Scan(&b.PollID, &b.Receipt, &b.At, &b.Choices)
		return b, err
	})
}

// Erase unlinks the ballots from the account; the participant key keeps one ballot
// per person, so tallies do not change.
func (PersonalData) Erase(ctx context.Context, tx pgx.Tx, userID int64) error {
	_, err := tx.Exec(ctx, `UPDATE ballots SET user_id = NULL, participant = 'erased:' || id WHERE user_id = $1`, userID)
	return err
}
