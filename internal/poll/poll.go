// Package poll runs live polls: moderators create, open and close them; participants
// vote once (changing their vote where allowed); every acknowledged vote is in
// PostgreSQL; paper ballots count beside online ones; viewers see results move live.
package poll

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
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
	Publish(ctx context.Context, room, msgType string, data any) error
}

// Service holds the poll rules.
type Service struct {
	pool *pgxpool.Pool
	pub  Publisher
	log  *slog.Logger
}

// NewService builds the service; pub may be nil (command line, seeds).
func NewService(pool *pgxpool.Pool, pub Publisher, log *slog.Logger) *Service {
	return &Service{pool: pool, pub: pub, log: log}
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
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
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
		if _, err := tx.Exec(ctx, `UPDATE polls SET status = $2, `+stamp+` = clock_timestamp() WHERE id = $1`, id, to); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "poll." + map[string]string{"open": "open", "closed": "close"}[to],
			TargetType: "poll", TargetID: id})
	})
	if err != nil {
		return Poll{}, err
	}
	s.publishTally(ctx, id)
	return s.Get(ctx, id)
}

// Participant is who votes: an account, or an anonymous participant of an open poll
// (a signed cookie).
type Participant struct {
	auth.Principal
	AnonID string
}

func (pt Participant) key() string {
	if pt.SignedIn() {
		return "user:" + strconv.FormatInt(pt.UserID, 10)
	}
	if pt.AnonID != "" {
		return "anon:" + pt.AnonID
	}
	return ""
}

// Vote records a ballot. It returns the receipt and whether this was the first ballot
// (201) rather than a retry or a change (200). Retries with the same choices or the
// same idempotency key count once.
func (s *Service) Vote(ctx context.Context, pt Participant, pollID int64, optionIDs []int64, idempotencyKey string) (receipt string, created bool, err error) {
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var status, kind, eligibility string
		var maxChoices int
		var allowChange bool
		err := tx.QueryRow(ctx, `SELECT CASE WHEN status = 'open' AND closes_at <= now() THEN 'closed' ELSE status END,
			kind, max_choices, eligibility, allow_change FROM polls WHERE id = $1 FOR SHARE`, pollID).
			Scan(&status, &kind, &maxChoices, &eligibility, &allowChange)
		if errors.Is(err, pgx.ErrNoRows) {
			return problem.NotFound()
		}
		if err != nil {
			return err
		}
		switch status {
		case "draft":
			return problem.Conflict("poll_not_open", "polls.not_open")
		case "closed":
			return problem.Conflict("poll_closed", "polls.closed")
		}
		if err := eligible(pt, eligibility); err != nil {
			return err
		}
		if err := s.checkChoices(ctx, tx, pollID, optionIDs, maxChoices); err != nil {
			return err
		}
		key := pt.key()
		if idempotencyKey != "" {
			var r string
			err := tx.QueryRow(ctx, `SELECT receipt FROM ballots WHERE poll_id = $1 AND idempotency_key = $2 AND participant = $3`,
				pollID, idempotencyKey, key).Scan(&r)
			if err == nil {
				receipt, created = r, true
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		var userID *int64
		if pt.SignedIn() {
			userID = &pt.UserID
		}
		var idem *string
		if idempotencyKey != "" {
			idem = &idempotencyKey
		}
		var ballotID int64
		err = tx.QueryRow(ctx, `INSERT INTO ballots (poll_id, participant, user_id, receipt, idempotency_key, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, clock_timestamp(), clock_timestamp())
			ON CONFLICT (poll_id, participant) DO NOTHING RETURNING id, receipt`,
			pollID, key, userID, newReceipt(), idem).Scan(&ballotID, &receipt)
		if err == nil {
			created = true
			_, err = tx.Exec(ctx, `INSERT INTO ballot_choices (ballot_id, option_id) SELECT $1, unnest($2::bigint[])`, ballotID, optionIDs)
			return err
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			if db.IsUniqueViolation(err, "ballots_idempotency") {
				return problem.Conflict("idempotency_key_reused", "polls.idempotency_key_reused")
			}
			return err
		}
		// The participant voted before: a retry (same choices) or a change.
		var have []int64
		if err := tx.QueryRow(ctx, `SELECT b.id, b.receipt, array(SELECT option_id FROM ballot_choices c WHERE c.ballot_id = b.id ORDER BY option_id)
			FROM ballots b WHERE b.poll_id = $1 AND b.participant = $2 FOR UPDATE`, pollID, key).Scan(&ballotID, &receipt, &have); err != nil {
			return err
		}
		want := slices.Clone(optionIDs)
		slices.Sort(want)
		if slices.Equal(have, want) {
			return nil
		}
		if !allowChange {
			return problem.Conflict("vote_locked", "polls.vote_locked")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM ballot_choices WHERE ballot_id = $1`, ballotID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE ballots SET updated_at = clock_timestamp() WHERE id = $1`, ballotID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO ballot_choices (ballot_id, option_id) SELECT $1, unnest($2::bigint[])`, ballotID, optionIDs)
		return err
	})
	if err != nil {
		return "", false, err
	}
	s.publishTally(ctx, pollID)
	return receipt, created, nil
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

func (s *Service) checkChoices(ctx context.Context, tx pgx.Tx, pollID int64, ids []int64, maxChoices int) error {
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
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM poll_options WHERE poll_id = $1 AND id = ANY($2)`, pollID, ids).Scan(&n); err != nil {
		return err
	}
	if n != len(ids) {
		return bad("polls.unknown_option")
	}
	return nil
}

var receiptEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func newReceipt() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return receiptEncoding.EncodeToString(b)
}

// Results counts ballots from PostgreSQL. Hidden results (after close) are shown to the
// staff only until the close.
func (s *Service) Results(ctx context.Context, p auth.Principal, id int64) (Results, error) {
	poll, err := s.Get(ctx, id)
	if err != nil {
		return Results{}, err
	}
	if poll.Status == "draft" && !p.Staff() {
		return Results{}, problem.NotFound()
	}
	if poll.ResultsVisibility == "after_close" && poll.Status != "closed" && !p.Staff() {
		return Results{}, &problem.Error{Status: 403, Code: "results_hidden", Key: "polls.results_hidden"}
	}
	return count(ctx, s.pool, poll)
}

func count(ctx context.Context, q db.Querier, poll Poll) (Results, error) {
	r := Results{PollID: poll.ID, Status: poll.Status}
	var online, paper int
	if err := q.QueryRow(ctx, `SELECT (SELECT count(*) FROM ballots WHERE poll_id = $1)::int,
		(SELECT coalesce(sum(ballots), 0) FROM paper_counts WHERE poll_id = $1)::int`, poll.ID).Scan(&online, &paper); err != nil {
		return r, err
	}
	r.ByChannel = map[string]int{"online": online, "paper": paper}
	r.Total = online + paper
	rows, err := q.Query(ctx, `SELECT o.id, o.label,
		(SELECT count(*) FROM ballot_choices c WHERE c.option_id = o.id)::int,
		(SELECT coalesce(sum(pc.votes), 0) FROM paper_count_options pc WHERE pc.option_id = o.id)::int
		FROM poll_options o WHERE o.poll_id = $1 ORDER BY o.position`, poll.ID)
	if err != nil {
		return r, err
	}
	r.Options, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (OptionResult, error) {
		var o OptionResult
		err := row.Scan(&o.ID, &o.Label, &o.Online, &o.Paper)
		o.Votes = o.Online + o.Paper
		return o, err
	})
	return r, err
}

// Tally is what viewers receive live: {"status","total","options":[{id,votes}]}.
type Tally struct {
	Status  string        `json:"status"`
	Total   int           `json:"total"`
	Options []TallyOption `json:"options"`
}

// TallyOption is one option's votes.
type TallyOption struct {
	ID    int64 `json:"id"`
	Votes int   `json:"votes"`
}

// tally reads what viewers see in one round trip (it runs after every vote), and whether
// results are hidden until the close.
func tally(ctx context.Context, q db.Querier, id int64) (t Tally, hidden bool, err error) {
	var ids []int64
	var votes []int32
	err = q.QueryRow(ctx, `SELECT CASE WHEN p.status = 'open' AND p.closes_at <= now() THEN 'closed' ELSE p.status END,
		p.results_visibility = 'after_close',
		(SELECT count(*) FROM ballots b WHERE b.poll_id = p.id)::int
			+ (SELECT coalesce(sum(ballots), 0) FROM paper_counts c WHERE c.poll_id = p.id)::int,
		array(SELECT o.id FROM poll_options o WHERE o.poll_id = p.id ORDER BY o.position),
		array(SELECT ((SELECT count(*) FROM ballot_choices bc WHERE bc.option_id = o.id)
			+ (SELECT coalesce(sum(pc.votes), 0) FROM paper_count_options pc WHERE pc.option_id = o.id))::int
			FROM poll_options o WHERE o.poll_id = p.id ORDER BY o.position)
		FROM polls p WHERE p.id = $1`, id).Scan(&t.Status, &hidden, &t.Total, &ids, &votes)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, false, problem.NotFound()
	}
	for i, oid := range ids {
		t.Options = append(t.Options, TallyOption{ID: oid, Votes: int(votes[i])})
	}
	return t, hidden && t.Status != "closed", err
}

// publishTally pushes the poll's current tally to its viewers (when results are live).
// A failure here never fails the vote: the vote is already committed.
func (s *Service) publishTally(ctx context.Context, id int64) {
	if s.pub == nil {
		return
	}
	t, hidden, err := tally(ctx, s.pool, id)
	if err != nil {
		s.log.Warn("poll: tally for viewers failed", "poll", id, "error", err)
		return
	}
	if hidden {
		return
	}
	if err := s.pub.Publish(ctx, "poll:"+strconv.FormatInt(id, 10), "poll.tally", t); err != nil {
		s.log.Warn("poll: publishing the tally failed", "poll", id, "error", err)
	}
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
	s.publishTally(ctx, id)
	return nil
}
