package consultation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/mail"
	"lawka/internal/platform/plaintext"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/receipt"
	"lawka/internal/platform/upload"
)

// Answers are a response's answers by question id. An HTML form gives a ranking as
// Ranks (each option's rank, 0 for none); the API gives it as Choices in ranked order.
type Answers map[int64]Answer

// Ranked is a ranking as a form sends it: the rank of each option, by option (0: none).
type Ranked map[int64][]int

// validate checks answers against the questions and returns them cleaned up (empty
// answers dropped); with all, every required question must be answered. Each problem
// names the question's field ("q12").
func validate(c Consultation, in Answers, ranks Ranked, all bool) (Answers, error) {
	bad := problem.Fields{}
	out := Answers{}
	for qid, r := range ranks {
		q, ok := c.Question(qid)
		if !ok || q.Kind != Ranking {
			bad.Add(fmt.Sprintf("q%d", qid), "consultations.unknown_question")
			continue
		}
		if key := fromRanks(q, r, in); key != "" {
			bad.Add(q.Field(), key)
		}
	}
	for qid, a := range in {
		q, ok := c.Question(qid)
		if !ok {
			bad.Add(fmt.Sprintf("q%d", qid), "consultations.unknown_question")
			continue
		}
		a.Text = strings.TrimSpace(a.Text)
		if a.Empty() {
			continue
		}
		if key := checkAnswer(q, a); key != "" {
			bad.Add(q.Field(), key)
			continue
		}
		out[qid] = a
	}
	if all {
		for _, q := range c.Questions {
			if _, ok := out[q.ID]; q.Required && !ok && bad[q.Field()] == "" {
				bad.Add(q.Field(), "consultations.required")
			}
		}
	}
	return out, bad.Err()
}

// fromRanks turns a form's ranks into choices in ranked order (into in), or says why not.
func fromRanks(q Question, ranks []int, in Answers) string {
	n := len(q.Options)
	if len(ranks) != n {
		return "consultations.choice_invalid"
	}
	order := make([]int, n)
	given := 0
	for opt, r := range ranks {
		switch {
		case r == 0:
			continue
		case r < 1 || r > n:
			return "consultations.choice_invalid"
		case order[r-1] != 0:
			return "consultations.ranking_duplicate"
		}
		order[r-1] = opt + 1
		given++
	}
	switch given {
	case 0:
		delete(in, q.ID)
		return ""
	case n:
		in[q.ID] = Answer{Choices: order}
		return ""
	}
	return "consultations.ranking_gap"
}

func checkAnswer(q Question, a Answer) string {
	n := len(q.Options)
	inRange := func() bool {
		return !slices.ContainsFunc(a.Choices, func(c int) bool { return c < 1 || c > n })
	}
	distinct := func() bool {
		s := slices.Clone(a.Choices)
		slices.Sort(s)
		return len(slices.Compact(s)) == len(a.Choices)
	}
	switch q.Kind {
	case Single:
		if len(a.Choices) != 1 || a.Scale != 0 || a.Text != "" || !inRange() {
			return "consultations.choice_invalid"
		}
	case Multiple:
		if a.Scale != 0 || a.Text != "" || !inRange() || !distinct() || len(a.Choices) == 0 {
			return "consultations.choice_invalid"
		}
	case Scale:
		if a.Scale < 1 || a.Scale > 5 || len(a.Choices) > 0 || a.Text != "" {
			return "consultations.scale_invalid"
		}
	case Ranking:
		switch {
		case a.Scale != 0 || a.Text != "" || !inRange():
			return "consultations.choice_invalid"
		case !distinct():
			return "consultations.ranking_duplicate"
		case len(a.Choices) != n:
			return "consultations.ranking_gap"
		}
	case Text:
		if len(a.Choices) > 0 || a.Scale != 0 || !plaintext.Valid(a.Text) {
			return "consultations.text_invalid"
		}
		if q.MaxLength != nil && utf8.RuneCountInString(a.Text) > *q.MaxLength {
			return "consultations.text_too_long"
		}
	}
	return ""
}

// eligible says whether p may respond online to c.
func eligible(p auth.Principal, c Consultation) error {
	if err := auth.RequireActive(p); err != nil {
		return err
	}
	notEligible := &problem.Error{Status: 403, Code: "not_eligible", Key: "consultations.not_eligible_" + c.Eligibility}
	switch c.Eligibility {
	case "verified":
		if !p.Verified {
			return notEligible
		}
	case "members":
		if !p.Member {
			return notEligible
		}
	}
	return nil
}

// CanRespond says whether p may respond to c online now (nil) or why not.
func (s *Service) CanRespond(p auth.Principal, c Consultation) error {
	if c.Status != Published || c.Phase == Information {
		return problem.Conflict("consultation_not_open", "consultations.not_open")
	}
	if c.Phase != Open {
		return problem.Conflict("consultation_closed", "consultations.closed")
	}
	return eligible(p, c)
}

// FormatReceipt writes a receipt in groups of four ("ABCD-EFGH-…").
func FormatReceipt(r string) string {
	var parts []string
	for len(r) > 4 {
		parts = append(parts, r[:4])
		r = r[4:]
	}
	return strings.Join(append(parts, r), "-")
}

// NormalizeReceipt reads a receipt as people type it.
func NormalizeReceipt(r string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(r)))
}

// Save modes.
const (
	// Upsert saves the caller's own response, new or not (the HTML form).
	Upsert = iota
	// CreateOnly refuses when the caller has already submitted a response (the API's POST).
	CreateOnly
	// EditOnly changes a response the caller already has (the API's PATCH).
	EditOnly
)

// Save saves p's own response to consultation id: a draft (submit false: required
// answers may be missing) or submitted, with a receipt and a confirmation mail. A
// submitted response is changed until the close, and stays submitted. It returns the
// response and whether it was new. Nothing is saved when anything is wrong.
func (s *Service) Save(ctx context.Context, p auth.Principal, id int64, in Answers, ranks Ranked, submit bool, mode int) (Response, bool, error) {
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return Response{}, false, err
	}
	if err := s.CanRespond(p, c); err != nil {
		return Response{}, false, err
	}
	answers, err := validate(c, in, ranks, submit)
	if err != nil {
		return Response{}, false, err
	}
	var rid int64
	created, first := false, false
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		created, first = false, false
		// One response per participant: the unique (consultation, user) decides between
		// two saves at once; the second waits for the first and then edits its row.
		err := tx.QueryRow(ctx, `INSERT INTO consultation_responses (consultation_id, user_id, channel, status)
			VALUES ($1, $2, 'online', 'draft') ON CONFLICT (consultation_id, user_id) DO NOTHING RETURNING id`, id, p.UserID).Scan(&rid)
		switch {
		case err == nil:
			created = true
			if mode == EditOnly {
				return problem.NotFound()
			}
		case errors.Is(err, pgx.ErrNoRows):
		default:
			return err
		}
		var status string
		if err := tx.QueryRow(ctx, `SELECT id, status FROM consultation_responses WHERE consultation_id = $1 AND user_id = $2
			FOR UPDATE`, id, p.UserID).Scan(&rid, &status); err != nil {
			return err
		}
		if status == Submitted && mode == CreateOnly {
			return problem.Conflict("already_responded", "consultations.already_responded")
		}
		if status == Submitted && !submit {
			return problem.Conflict("already_submitted", "consultations.already_submitted")
		}
		if submit {
			first = status != Submitted
			if _, err := tx.Exec(ctx, `UPDATE consultation_responses SET status = 'submitted', receipt = coalesce(receipt, $2),
				submitted_at = coalesce(submitted_at, now()), updated_at = now(),
				neighbourhood_id = (SELECT home_neighbourhood_id FROM users WHERE id = $3) WHERE id = $1`,
				rid, receipt.New(), p.UserID); err != nil {
				return err
			}
		} else if _, err := tx.Exec(ctx, `UPDATE consultation_responses SET updated_at = now() WHERE id = $1`, rid); err != nil {
			return err
		}
		if err := writeAnswers(ctx, tx, rid, answers); err != nil {
			return err
		}
		if submit {
			return s.mailReceipt(ctx, tx, p.UserID, c, rid, first)
		}
		return nil
	})
	if err != nil {
		return Response{}, false, err
	}
	r, err := s.response(ctx, rid)
	return r, created, err
}

// mailReceipt queues the confirmation with the receipt, in the participant's language.
func (s *Service) mailReceipt(ctx context.Context, tx pgx.Tx, userID int64, c Consultation, rid int64, first bool) error {
	if s.I18n == nil {
		return nil
	}
	var to, name, locale, receipt string
	err := tx.QueryRow(ctx, `SELECT u.email, u.display_name, coalesce(u.locale, ''), r.receipt FROM users u, consultation_responses r
		WHERE u.id = $1 AND r.id = $2 AND u.deleted_at IS NULL`, userID, rid).Scan(&to, &name, &locale, &receipt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	l := s.I18n.For(locale)
	key := "mail.consultation_changed"
	if first {
		key = "mail.consultation_received"
	}
	args := []any{"Name", name, "Title", c.Title, "Receipt", FormatReceipt(receipt), "Closes", l.DateTime(c.ClosesAt),
		"Link", s.Link(c.ID), "Check", fmt.Sprintf("%s/pokwitowanie?kod=%s", s.Link(c.ID), receipt)}
	return mail.Enqueue(ctx, tx, mail.Message{To: to, Subject: l.T(key+".subject", args...), Body: l.T(key+".body", args...)})
}

func (s *Service) response(ctx context.Context, rid int64) (Response, error) {
	var r Response
	var receipt *string
	err := s.pool.QueryRow(ctx, `SELECT id, consultation_id, channel, status, receipt, created_at, updated_at, submitted_at
		FROM consultation_responses WHERE id = $1`, rid).Scan(&r.ID, &r.ConsultationID, &r.Channel, &r.Status, &receipt,
		&r.CreatedAt, &r.UpdatedAt, &r.SubmittedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, problem.NotFound()
	}
	if err != nil {
		return r, err
	}
	if receipt != nil {
		r.Receipt = FormatReceipt(*receipt)
	}
	r.Answers, err = readAnswers(ctx, s.pool, rid)
	return r, err
}

// Mine reads p's own response to consultation id (problem.NotFound when none).
func (s *Service) Mine(ctx context.Context, p auth.Principal, id int64) (Response, error) {
	if !p.SignedIn() {
		return Response{}, problem.Unauthorized()
	}
	if err := s.CanView(ctx, p, id); err != nil {
		return Response{}, err
	}
	var rid int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM consultation_responses WHERE consultation_id = $1 AND user_id = $2`,
		id, p.UserID).Scan(&rid)
	if errors.Is(err, pgx.ErrNoRows) {
		return Response{}, problem.NotFound()
	}
	if err != nil {
		return Response{}, err
	}
	return s.response(ctx, rid)
}

// ReceiptCheck is what checking a receipt tells: whether it is a counted response.
type ReceiptCheck struct {
	Found       bool       `json:"found"`
	Channel     string     `json:"channel,omitempty"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
}

// CheckReceipt says whether code is the receipt of a response counted in consultation
// id (anyone may ask: a receipt tells nothing of the answers or who gave them).
func (s *Service) CheckReceipt(ctx context.Context, p auth.Principal, id int64, code string) (ReceiptCheck, error) {
	if err := s.CanView(ctx, p, id); err != nil {
		return ReceiptCheck{}, err
	}
	code = NormalizeReceipt(code)
	if code == "" || len(code) > 40 {
		return ReceiptCheck{}, problem.Invalid(map[string]string{"kod": "consultations.receipt_invalid"})
	}
	var out ReceiptCheck
	err := s.pool.QueryRow(ctx, `SELECT channel, submitted_at, updated_at FROM consultation_responses
		WHERE consultation_id = $1 AND receipt = $2 AND status = 'submitted'`, id, code).Scan(&out.Channel, &out.SubmittedAt, &out.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return ReceiptCheck{}, nil
	}
	out.Found = err == nil
	return out, err
}

// PaperInput is a paper form as a moderator types it in.
type PaperInput struct {
	Answers         Answers      `json:"answers"`
	NeighbourhoodID *int64       `json:"neighbourhood_id"`
	Note            string       `json:"note"`
	Ranks           Ranked       `json:"-"`
	Scan            *upload.File `json:"-"`
}

// Paper records a response received on paper (moderators and admins), while the
// consultation is open and during the analysis (forms collected until the close are
// typed in afterwards). Required answers may be missing: a paper form counts as the
// person filled it in. It returns the new response with its receipt.
func (s *Service) Paper(ctx context.Context, p auth.Principal, id int64, in PaperInput) (Response, error) {
	if err := auth.RequireStaff(p); err != nil {
		return Response{}, err
	}
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return Response{}, err
	}
	if c.Status != Published || c.Phase == Information {
		return Response{}, problem.Conflict("consultation_not_open", "consultations.not_open")
	}
	if c.Phase == Report {
		return Response{}, problem.Conflict("consultation_closed", "consultations.paper_closed")
	}
	answers, verr := validate(c, in.Answers, in.Ranks, false)
	bad := problem.Fields{}
	if pe, ok := problem.As(verr); ok {
		bad = pe.Fields
	} else if verr != nil {
		return Response{}, verr
	}
	in.Note = strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Note) > 500 || !plaintext.Valid(in.Note) {
		bad.Add("note", "consultations.note_too_long")
	}
	if len(answers) == 0 && len(bad) == 0 {
		bad.Add("answers", "consultations.paper_empty")
	}
	if in.NeighbourhoodID != nil && s.Places != nil {
		ok, err := s.Places.Exists(ctx, *in.NeighbourhoodID)
		if err != nil {
			return Response{}, err
		}
		if !ok {
			bad.Add("neighbourhood_id", "consultations.district_unknown")
		}
	}
	if err := bad.Err(); err != nil {
		return Response{}, err
	}
	var rid int64
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		scan, err := upload.StoreOptional(ctx, tx, in.Scan, p.UserID)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO consultation_responses (consultation_id, channel, status, receipt, neighbourhood_id,
			entered_by, scan_file_id, paper_note, submitted_at) VALUES ($1, 'paper', 'submitted', $2, $3, $4, $5, $6, now())
			RETURNING id`, id, receipt.New(), in.NeighbourhoodID, p.UserID, scan, in.Note).Scan(&rid); err != nil {
			return err
		}
		if err := writeAnswers(ctx, tx, rid, answers); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "consultation.paper", TargetType: "consultation",
			TargetID: id, Details: map[string]any{"response_id": rid}})
	})
	if err != nil {
		return Response{}, err
	}
	return s.response(ctx, rid)
}

// CheckPaper marks a paper response as checked against its form by a second
// moderator: never the one who typed it in. Checking again changes nothing.
func (s *Service) CheckPaper(ctx context.Context, p auth.Principal, id, rid int64) error {
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	if _, err := s.Read(ctx, p, id); err != nil {
		return err
	}
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var enteredBy, checkedBy *int64
		err := tx.QueryRow(ctx, `SELECT entered_by, checked_by FROM consultation_responses
			WHERE id = $1 AND consultation_id = $2 AND channel = 'paper' FOR UPDATE`, rid, id).Scan(&enteredBy, &checkedBy)
		if errors.Is(err, pgx.ErrNoRows) {
			return problem.NotFound()
		}
		if err != nil {
			return err
		}
		if checkedBy != nil {
			return nil
		}
		if enteredBy != nil && *enteredBy == p.UserID {
			return problem.Conflict("own_entry", "consultations.check_own")
		}
		if _, err := tx.Exec(ctx, `UPDATE consultation_responses SET checked_by = $2, checked_at = now() WHERE id = $1`,
			rid, p.UserID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "consultation.paper_check", TargetType: "consultation",
			TargetID: id, Details: map[string]any{"response_id": rid}})
	})
}

// PaperEntries lists a consultation's paper responses, latest first (staff).
func (s *Service) PaperEntries(ctx context.Context, p auth.Principal, id int64) ([]PaperEntry, error) {
	if err := auth.RequireStaff(p); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT r.id, r.receipt, coalesce(n.name, ''), r.paper_note, coalesce(r.entered_by, 0),
		coalesce(e.display_name, ''), coalesce(k.display_name, ''), r.checked_at, r.scan_file_id IS NOT NULL, r.created_at
		FROM consultation_responses r LEFT JOIN neighbourhoods n ON n.id = r.neighbourhood_id
		LEFT JOIN users e ON e.id = r.entered_by LEFT JOIN users k ON k.id = r.checked_by
		WHERE r.consultation_id = $1 AND r.channel = 'paper' ORDER BY r.id DESC LIMIT 500`, id)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PaperEntry])
	for i := range list {
		list[i].Receipt = FormatReceipt(list[i].Receipt)
	}
	return list, err
}

// Scan returns the scan of a paper response (staff).
func (s *Service) Scan(ctx context.Context, p auth.Principal, id, rid int64) (upload.File, error) {
	if err := auth.RequireStaff(p); err != nil {
		return upload.File{}, err
	}
	return upload.LoadBy(ctx, s.pool, `SELECT scan_file_id FROM consultation_responses WHERE id = $1 AND consultation_id = $2`, rid, id)
}
