// Package poll runs live polls: moderators create, open and close them; participants
// vote once (changing their vote where allowed); every acknowledged vote is in
// PostgreSQL; paper ballots count beside online ones; viewers see results move live.
package poll

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/participant"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/receipt"
	"lawka/internal/platform/redisx"
)

// Poll is a question with options.
type Poll struct {
	ID                int64      `json:"id"`
	Question          string     `json:"question"`
	Kind              string     `json:"kind"`
	MaxChoices        int        `json:"max_choices"`
	Eligibility       string     `json:"eligibility"`
	ResultsVisibility string     `json:"results_visibility"`
	AllowChange       bool       `json:"allow_change"`
	DebateID          *int64     `json:"debate_id,omitempty"`
	Status            string     `json:"status"`
	ClosesAt          *time.Time `json:"closes_at,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
	Options           []Option   `json:"options"`
}

// Option is one answer.
type Option struct {
	ID    int64  `json:"id"`
	Label string `json:"label"`
}

// Results are the counts: total counts ballots (participants), votes count choices.
type Results struct {
	PollID    int64          `json:"poll_id"`
	Status    string         `json:"status"`
	Total     int            `json:"total"`
	Options   []OptionResult `json:"options"`
	ByChannel map[string]int `json:"by_channel"`
}

// OptionResult is one option's count, online and on paper.
type OptionResult struct {
	ID     int64  `json:"id"`
	Label  string `json:"label"`
	Votes  int    `json:"votes"`
	Online int    `json:"online"`
	Paper  int    `json:"paper"`
}

// Publisher pushes live updates (the realtime hub).
type Publisher interface {
	// PublishLatest drops a message whose version is not newer than the room's last.
	PublishLatest(ctx context.Context, room, msgType string, epoch, version int64, data any) error
}

// Service holds the poll rules.
type Service struct {
	pool     *pgxpool.Pool
	live     *liveTallies // nil without Redis (command line, seeds)
	pub      Publisher
	log      *slog.Logger
	commits  committer
	defs     sync.Map // poll id → *Poll: the parts that never change after creation
	receipts sync.Map // closed poll id → ReceiptList
	watch    *watcher
}

// NewService builds the service; rdb and pub may be nil (command line, seeds): votes are
// then only written to PostgreSQL.
func NewService(pool *pgxpool.Pool, rdb *redisx.Client, pub Publisher, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{pool: pool, pub: pub, log: log}
	if rdb != nil {
		s.live = &liveTallies{rdb: rdb}
	}
	s.commits.svc = s
	s.watch = newWatcher(s)
	return s
}

// New is what creating a poll needs.
type New struct {
	Question          string     `json:"question"`
	Kind              string     `json:"kind"`
	Options           []string   `json:"options"`
	MaxChoices        *int       `json:"max_choices,omitempty"`
	Eligibility       string     `json:"eligibility"`
	ResultsVisibility string     `json:"results_visibility,omitempty"`
	AllowChange       *bool      `json:"allow_change,omitempty"`
	DebateID          *int64     `json:"debate_id,omitempty"`
	ClosesAt          *time.Time `json:"closes_at,omitempty"`
}

// Create makes a draft poll (moderators and admins).
func (s *Service) Create(ctx context.Context, p auth.Principal, in New) (Poll, error) {
	if err := auth.RequireStaff(p); err != nil {
		return Poll{}, err
	}
	bad := problem.Fields{}
	in.Question = strings.TrimSpace(in.Question)
	if n := utf8.RuneCountInString(in.Question); n < 3 || n > 300 {
		bad.Add("question", "polls.question_length")
	}
	if in.Kind != "single" && in.Kind != "multiple" {
		bad.Add("kind", "polls.kind_unknown")
	}
	var labels []string
	for _, o := range in.Options {
		o = strings.TrimSpace(o)
		if n := utf8.RuneCountInString(o); n < 1 || n > 200 {
			bad.Add("options", "polls.option_length")
		} else if slices.ContainsFunc(labels, func(l string) bool { return strings.EqualFold(l, o) }) {
			bad.Add("options", "polls.option_duplicate")
		}
		labels = append(labels, o)
	}
	if len(labels) < 2 || len(labels) > 20 {
		bad.Add("options", "polls.option_count")
	}
	max := 1
	if in.MaxChoices != nil {
		max = *in.MaxChoices
	} else if in.Kind == "multiple" {
		max = len(labels)
	}
	if max < 1 || max > max2(len(labels), 1) || in.Kind == "single" && max != 1 {
		bad.Add("max_choices", "polls.max_choices_range")
	}
	if !slices.Contains([]string{"open", "registered", "verified", "members"}, in.Eligibility) {
		bad.Add("eligibility", "polls.eligibility_unknown")
	}
	if in.ResultsVisibility == "" {
		in.ResultsVisibility = "live"
	}
	if in.ResultsVisibility != "live" && in.ResultsVisibility != "after_close" {
		bad.Add("results_visibility", "polls.visibility_unknown")
	}
	if in.ClosesAt != nil && !in.ClosesAt.After(time.Now()) {
		bad.Add("closes_at", "polls.closes_at_past")
	}
	if err := bad.Err(); err != nil {
		return Poll{}, err
	}
	allowChange := true
	if in.AllowChange != nil {
		allowChange = *in.AllowChange
	}
	var id int64
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO polls (question, kind, max_choices, eligibility, results_visibility,
			allow_change, debate_id, closes_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			in.Question, in.Kind, max, in.Eligibility, in.ResultsVisibility, allowChange, in.DebateID, in.ClosesAt, p.UserID).Scan(&id); err != nil {
			return err
		}
		for i, l := range labels {
			if _, err := tx.Exec(ctx, `INSERT INTO poll_options (poll_id, position, label) VALUES ($1, $2, $3)`, id, i+1, l); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "poll.create", TargetType: "poll", TargetID: id})
	})
	if err != nil {
		return Poll{}, err
	}
	return s.Get(ctx, id)
}

func max2(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Get reads a poll with its options.
func (s *Service) Get(ctx context.Context, id int64) (Poll, error) {
	return get(ctx, s.pool, id)
}

func get(ctx context.Context, q db.Querier, id int64) (Poll, error) {
	var p Poll
	err := q.QueryRow(ctx, `SELECT id, question, kind, max_choices, eligibility, results_visibility, allow_change,
		debate_id, CASE WHEN status = 'open' AND closes_at <= now() THEN 'closed' ELSE status END, closes_at, created_at
		FROM polls WHERE id = $1`, id).Scan(&p.ID, &p.Question, &p.Kind, &p.MaxChoices, &p.Eligibility,
		&p.ResultsVisibility, &p.AllowChange, &p.DebateID, &p.Status, &p.ClosesAt, &p.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, problem.NotFound()
	}
	if err != nil {
		return p, err
	}
	rows, err := q.Query(ctx, `SELECT id, label FROM poll_options WHERE poll_id = $1 ORDER BY position`, id)
	if err != nil {
		return p, err
	}
	p.Options, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Option, error) {
		var o Option
		err := r.Scan(&o.ID, &o.Label)
		return o, err
	})
	return p, err
}

// Open starts voting (draft → open); Close ends it (open → closed). Closing takes the
// poll's row lock, which every vote shares, so no vote commits after the close.
func (s *Service) Open(ctx context.Context, p auth.Principal, id int64) (Poll, error) {
	return s.transition(ctx, p, id, "draft", "open", "opened_at")
}

// Close ends voting.
func (s *Service) Close(ctx context.Context, p auth.Principal, id int64) (Poll, error) {
	return s.transition(ctx, p, id, "open", "closed", "closed_at")
}

func (s *Service) transition(ctx context.Context, p auth.Principal, id int64, from, to, stamp string) (Poll, error) {
	if err := auth.RequireStaff(p); err != nil {
		return Poll{}, err
	}
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error { return switchIn(ctx, tx, p, id, from, to, stamp) })
	if err != nil {
		return Poll{}, err
	}
	s.Switched(ctx, id)
	return s.Get(ctx, id)
}

// SwitchIn opens (open) or closes poll id inside tx, as one step of another feature's
// change (a debate's console launches its polls under the debate's lock); the caller
// has checked who acts. After the commit, Switched must follow.
func (s *Service) SwitchIn(ctx context.Context, tx pgx.Tx, p auth.Principal, id int64, open bool) error {
	if open {
		return switchIn(ctx, tx, p, id, "draft", "open", "opened_at")
	}
	return switchIn(ctx, tx, p, id, "open", "closed", "closed_at")
}

// Switched lets the cache and the live tally follow a committed opening or close.
func (s *Service) Switched(ctx context.Context, id int64) {
	s.defs.Delete(id)
	s.refresh(ctx, id)
}

// Read reads a poll with its options through q (a transaction of another feature).
func Read(ctx context.Context, q db.Querier, id int64) (Poll, error) { return get(ctx, q, id) }

func switchIn(ctx context.Context, tx pgx.Tx, p auth.Principal, id int64, from, to, stamp string) error {
	var status string
	err := tx.QueryRow(ctx, `SELECT status FROM polls WHERE id = $1 FOR UPDATE`, id).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return problem.NotFound()
	}
	if err != nil {
		return err
	}
	if status == to {
		return nil // idempotent
	}
	if status != from {
		return problem.Conflict("poll_"+status, "polls.wrong_state")
	}
	// clock_timestamp, not now(): the moment the change takes effect (after the lock
	// every vote shares was won), not when this transaction began.
	// A new tally version too, so viewers take the new status as news.
	if _, err := tx.Exec(ctx, `UPDATE polls SET status = $2, `+stamp+` = clock_timestamp(), tally_seq = tally_seq + 1
		WHERE id = $1`, id, to); err != nil {
		return err
	}
	return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "poll." + map[string]string{"open": "open", "closed": "close"}[to],
		TargetType: "poll", TargetID: id})
}

// Participant is who votes: an account, or an anonymous participant of an open poll
// (a signed cookie).
type Participant struct {
	auth.Principal
	AnonID string
}

func (pt Participant) key() string { return participant.Key(pt.Principal, pt.AnonID) }

// Vote records a ballot. It returns the receipt (code) and whether this was the first ballot
// (201) rather than a retry or a change (200). Retries with the same choices or the
// same idempotency key count once. The ballot is in PostgreSQL when Vote returns
// without an error; it is written together with the votes that arrived at the same time.
func (s *Service) Vote(ctx context.Context, pt Participant, pollID int64, optionIDs []int64, idempotencyKey string) (code string, created bool, err error) {
	def, err := s.definition(ctx, pollID)
	if err != nil {
		return "", false, err
	}
	if err := s.votable(ctx, def); err != nil {
		return "", false, err
	}
	if err := eligible(pt, def.Eligibility); err != nil {
		return "", false, err
	}
	if pt.SignedIn() { // a blocked account reads but takes no part, in polls too
		if err := auth.RequireActive(pt.Principal); err != nil {
			return "", false, err
		}
	}
	if err := checkChoices(def, optionIDs, def.MaxChoices); err != nil {
		return "", false, err
	}
	r := &ballotRequest{pollID: pollID, participant: pt.key(), optionIDs: slices.Sorted(slices.Values(optionIDs)),
		idem: idempotencyKey, allowChange: def.AllowChange, receipt: receipt.New()}
	if pt.SignedIn() {
		r.userID = &pt.UserID
	}
	res := s.commits.submit(ctx, r)
	if e, ok := problem.As(res.err); ok && e.Code == "poll_closed" {
		s.defs.Delete(pollID)
	}
	return res.receipt, res.created, res.err
}

// definition is the poll as created (cached: question, options and rules never change;
// its status is read again where it matters).
func (s *Service) definition(ctx context.Context, id int64) (*Poll, error) {
	if p, ok := s.defs.Load(id); ok {
		return p.(*Poll), nil
	}
	p, err := get(ctx, s.pool, id)
	if err != nil {
		return nil, err
	}
	s.defs.Store(id, &p)
	return &p, nil
}

// votable refuses a vote early when the poll is known to be closed or still a draft;
// the batch checks again under the poll's lock.
func (s *Service) votable(ctx context.Context, def *Poll) error {
	status := def.Status
	if status == "open" && def.ClosesAt != nil && !def.ClosesAt.After(time.Now()) {
		status = "closed"
	}
	if status == "draft" {
		if err := s.pool.QueryRow(ctx, `SELECT status FROM polls WHERE id = $1`, def.ID).Scan(&status); err != nil {
			return err
		}
		if status != "draft" {
			s.defs.Delete(def.ID)
		}
	}
	switch status {
	case "draft":
		return problem.Conflict("poll_not_open", "polls.not_open")
	case "closed":
		return problem.Conflict("poll_closed", "polls.closed")
	}
	return nil
}

func eligible(pt Participant, eligibility string) error {
	notEligible := &problem.Error{Status: 403, Code: "not_eligible", Key: "polls.not_eligible"}
	switch eligibility {
	case "open":
		if pt.key() == "" {
			return notEligible
		}
		return nil
	case "registered":
	case "verified":
		if pt.SignedIn() && !pt.Verified {
			return notEligible
		}
	case "members":
		if pt.SignedIn() && !pt.Member {
			return notEligible
		}
	}
	if !pt.SignedIn() {
		return problem.Unauthorized()
	}
	return nil
}

func checkChoices(def *Poll, ids []int64, maxChoices int) error {
	bad := func(key string) error { return problem.Invalid(map[string]string{"option_ids": key}) }
	if len(ids) == 0 {
		return bad("polls.choose_one")
	}
	if len(ids) > maxChoices {
		return bad("polls.too_many_choices")
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			return bad("polls.duplicate_choice")
		}
		seen[id] = true
		if !slices.ContainsFunc(def.Options, func(o Option) bool { return o.ID == id }) {
			return bad("polls.unknown_option")
		}
	}
	return nil
}

// Results are the poll's counts: from Redis while it is open and Redis holds them up to
// date, from PostgreSQL otherwise (and always after the close). Hidden results (after
// close) are shown to the staff only until the close.
func (s *Service) Results(ctx context.Context, p auth.Principal, id int64) (Results, error) {
	def, err := s.definition(ctx, id)
	if err != nil {
		return Results{}, err
	}
	c, err := s.counts(ctx, id) // its status is read with the counts
	if err != nil {
		return Results{}, err
	}
	if err := mayRead(p, def, c.Status); err != nil {
		return Results{}, err
	}
	return c.results(*def), nil
}

// Readable says whether p may see poll id's results now (without counting them).
func (s *Service) Readable(ctx context.Context, p auth.Principal, id int64) error {
	def, err := s.definition(ctx, id)
	if err != nil {
		return err
	}
	var status string
	if err := s.pool.QueryRow(ctx, `SELECT CASE WHEN status = 'open' AND closes_at <= now() THEN 'closed' ELSE status END
		FROM polls WHERE id = $1`, id).Scan(&status); err != nil {
		return err
	}
	return mayRead(p, def, status)
}

// mayRead: a draft is the staff's; results hidden until the close are the staff's until then.
func mayRead(p auth.Principal, def *Poll, status string) error {
	if status == "draft" && !p.Staff() {
		return problem.NotFound()
	}
	if def.ResultsVisibility == "after_close" && status != "closed" && !p.Staff() {
		return &problem.Error{Status: 403, Code: "results_hidden", Key: "polls.results_hidden"}
	}
	return nil
}

// counts reads the tally: PostgreSQL says the status and the sequence number of the
// last change; Redis answers when it has applied that change, PostgreSQL counts otherwise.
func (s *Service) counts(ctx context.Context, id int64) (counts, error) {
	if s.live == nil {
		return countsFromDB(ctx, s.pool, id)
	}
	def, err := s.definition(ctx, id)
	if err != nil {
		return counts{}, err
	}
	var status string
	var epoch, seq int64
	if err := s.pool.QueryRow(ctx, `SELECT CASE WHEN status = 'open' AND closes_at <= now() THEN 'closed' ELSE status END,
		(extract(epoch FROM created_at) * 1000000)::bigint, tally_seq FROM polls WHERE id = $1`, id).Scan(&status, &epoch, &seq); err != nil {
		return counts{}, err
	}
	if status == "open" && !s.watch.redisSkipped() {
		rctx, cancel := context.WithTimeout(ctx, redisWait)
		c, ok, err := s.live.read(rctx, id, optionIDs(def))
		cancel()
		// Only a tally of exactly the change PostgreSQL is at; one a change ahead (a
		// batch committed since) is fine too but rare, and counting is always right.
		if err == nil && ok && c.Epoch == epoch && c.Seq == seq {
			c.Status = status
			return c, nil
		}
	}
	return countsFromDB(ctx, s.pool, id)
}

func optionIDs(p *Poll) []int64 {
	ids := make([]int64, len(p.Options))
	for i, o := range p.Options {
		ids[i] = o.ID
	}
	return ids
}

// Tally is what viewers receive live: {"status","total","options":[{id,votes}],
// "by_channel":{"online","paper"},"version"}.
// Version grows with every change, so a viewer can ignore a tally older than the one shown.
type Tally struct {
	Status    string         `json:"status"`
	Total     int            `json:"total"`
	Options   []TallyOption  `json:"options"`
	ByChannel map[string]int `json:"by_channel"`
	Version   int64          `json:"version"`
}

// TallyOption is one option's votes.
type TallyOption struct {
	ID    int64 `json:"id"`
	Votes int   `json:"votes"`
}

// PaperEntry is a moderator's count of paper ballots.
type PaperEntry struct {
	Counts  map[string]int `json:"counts"`
	Ballots *int           `json:"ballots,omitempty"`
	Note    string         `json:"note"`
}

// AddPaper records paper ballots per option (moderators and admins), audited.
// Ballots defaults to the sum of the counts for a single-choice poll and to the largest
// count for a multiple-choice one.
func (s *Service) AddPaper(ctx context.Context, p auth.Principal, id int64, in PaperEntry) error {
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	poll, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	bad := problem.Fields{}
	counts := map[int64]int{}
	sum, most := 0, 0
	for raw, n := range in.Counts {
		oid, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || !slices.ContainsFunc(poll.Options, func(o Option) bool { return o.ID == oid }) {
			bad.Add("counts", "polls.unknown_option")
			continue
		}
		if n < 0 || n > 1_000_000 {
			bad.Add("counts", "polls.count_range")
		}
		counts[oid] = n
		sum += n
		most = max2(most, n)
	}
	if len(counts) == 0 {
		bad.Add("counts", "polls.choose_one")
	}
	if utf8.RuneCountInString(in.Note) > 500 {
		bad.Add("note", "account.reason_too_long")
	}
	ballots := sum
	if poll.Kind == "multiple" {
		ballots = most
	}
	if in.Ballots != nil {
		ballots = *in.Ballots
		if ballots < most || poll.Kind == "single" && ballots != sum {
			bad.Add("ballots", "polls.paper_ballots_mismatch")
		}
	}
	if err := bad.Err(); err != nil {
		return err
	}
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		// The paper count is a numbered change like a batch of votes.
		if _, err := tx.Exec(ctx, `UPDATE polls SET tally_seq = tally_seq + 1 WHERE id = $1`, id); err != nil {
			return err
		}
		var pcID int64
		if err := tx.QueryRow(ctx, `INSERT INTO paper_counts (poll_id, ballots, note, entered_by) VALUES ($1, $2, $3, $4) RETURNING id`,
			id, ballots, strings.TrimSpace(in.Note), p.UserID).Scan(&pcID); err != nil {
			return err
		}
		for oid, n := range counts {
			if _, err := tx.Exec(ctx, `INSERT INTO paper_count_options (paper_count_id, option_id, votes) VALUES ($1, $2, $3)`, pcID, oid, n); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "poll.paper", TargetType: "poll", TargetID: id,
			Reason: in.Note, Details: map[string]any{"ballots": ballots, "paper_count_id": pcID}})
	})
	if err != nil {
		return err
	}
	s.refresh(ctx, id)
	return nil
}
