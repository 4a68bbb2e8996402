package consultation

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/markdown"
	"lawka/internal/platform/plaintext"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/upload"
)

// Places is the neighbourhood feature as consultations need it.
type Places interface {
	Exists(ctx context.Context, id int64) (bool, error)
	DistrictChoices(ctx context.Context) ([]Choice, error)
}

// Deps are what the service needs besides the database; all may be zero (seeds, tests
// of the rules), except that mail needs I18n.
type Deps struct {
	Places    Places
	I18n      *i18n.Bundle
	PublicURL string
	Log       *slog.Logger
}

// Service holds the consultation rules; every method checks who may do what.
type Service struct {
	pool *pgxpool.Pool
	Deps
	// Now is the clock (tests move it).
	Now func() time.Time
}

// NewService builds the service.
func NewService(pool *pgxpool.Pool, d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	d.PublicURL = strings.TrimSuffix(d.PublicURL, "/")
	return &Service{pool: pool, Deps: d, Now: time.Now}
}

// QuestionInput is one question as the staff write it.
type QuestionInput struct {
	Kind      string   `json:"kind"`
	Prompt    string   `json:"prompt"`
	Hint      string   `json:"hint"`
	Required  bool     `json:"required"`
	Options   []string `json:"options"`
	MaxLength *int     `json:"max_length"`
}

// Input is what creating or editing a consultation takes. Times are RFC 3339, or
// "2006-01-02T15:04" in Europe/Warsaw (what a form's date and time fields give).
type Input struct {
	Title         string          `json:"title"`
	OrganiserKind string          `json:"organiser_kind"`
	Organiser     string          `json:"organiser"`
	Description   string          `json:"description"`
	Eligibility   string          `json:"eligibility"`
	Status        string          `json:"status"` // draft (default) or published
	OpensAt       string          `json:"opens_at"`
	ClosesAt      string          `json:"closes_at"`
	ReportAt      string          `json:"report_at"`
	DistrictIDs   []int64         `json:"district_ids"`
	Questions     []QuestionInput `json:"questions"`
	Files         []upload.File   `json:"-"`
	Remove        []int64         `json:"-"`
}

type checked struct {
	Input
	opens, closes, report time.Time
}

// QuestionField names a part of the n-th question (from 1) in errors and forms.
func QuestionField(n int, part string) string { return fmt.Sprintf("question_%d_%s", n, part) }

func (s *Service) check(ctx context.Context, in Input) (checked, error) {
	bad := problem.Fields{}
	c := checked{Input: in}
	c.Title = strings.TrimSpace(in.Title)
	c.Organiser = strings.Join(strings.Fields(in.Organiser), " ")
	c.Description = strings.TrimSpace(in.Description)
	for field, v := range map[string]string{"title": c.Title, "organiser": c.Organiser, "description": c.Description} {
		if !plaintext.Valid(v) {
			bad.Add(field, "consultations.text_invalid")
		}
	}
	if n := utf8.RuneCountInString(c.Title); n < 3 || n > 200 {
		bad.Add("title", "consultations.title_length")
	}
	if !slices.Contains(OrganiserKinds, c.OrganiserKind) {
		bad.Add("organiser_kind", "consultations.organiser_kind_unknown")
	}
	if n := utf8.RuneCountInString(c.Organiser); n < 2 || n > 200 {
		bad.Add("organiser", "consultations.organiser_length")
	}
	if utf8.RuneCountInString(c.Description) > 20000 {
		bad.Add("description", "consultations.description_too_long")
	}
	if !slices.Contains(Eligibilities, c.Eligibility) {
		bad.Add("eligibility", "consultations.eligibility_unknown")
	}
	if c.Status == "" {
		c.Status = Draft
	}
	if c.Status != Draft && c.Status != Published {
		bad.Add("status", "consultations.status_unknown")
	}
	var ok [3]bool
	c.opens, ok[0] = i18n.ParseTime(in.OpensAt)
	c.closes, ok[1] = i18n.ParseTime(in.ClosesAt)
	c.report, ok[2] = i18n.ParseTime(in.ReportAt)
	for i, f := range []string{"opens_at", "closes_at", "report_at"} {
		if !ok[i] {
			bad.Add(f, "consultations.time_invalid")
		}
	}
	if ok[0] && ok[1] && !c.closes.After(c.opens) {
		bad.Add("closes_at", "consultations.closes_before_opens")
	}
	if ok[1] && ok[2] && c.report.Before(c.closes) {
		bad.Add("report_at", "consultations.report_before_close")
	}
	seen := map[int64]bool{}
	for _, d := range c.DistrictIDs {
		if seen[d] {
			bad.Add("district_ids", "consultations.district_unknown")
			continue
		}
		seen[d] = true
		if d <= 0 {
			bad.Add("district_ids", "consultations.district_unknown")
		} else if s.Places != nil {
			exists, err := s.Places.Exists(ctx, d)
			if err != nil {
				return c, err
			}
			if !exists {
				bad.Add("district_ids", "consultations.district_unknown")
			}
		}
	}
	if len(c.Questions) == 0 {
		bad.Add("questions", "consultations.questions_none")
	}
	if len(c.Questions) > MaxQuestions {
		bad.Add("questions", "consultations.questions_too_many")
	}
	c.Questions = slices.Clone(c.Questions)
	for i := range c.Questions {
		checkQuestion(&c.Questions[i], i+1, bad)
	}
	return c, bad.Err()
}

func checkQuestion(q *QuestionInput, n int, bad problem.Fields) {
	q.Prompt = strings.TrimSpace(q.Prompt)
	q.Hint = strings.TrimSpace(q.Hint)
	if !slices.Contains(Kinds, q.Kind) {
		bad.Add(QuestionField(n, "kind"), "consultations.kind_unknown")
	}
	if l := utf8.RuneCountInString(q.Prompt); l < 3 || l > 500 || !plaintext.Valid(q.Prompt) {
		bad.Add(QuestionField(n, "prompt"), "consultations.prompt_length")
	}
	if utf8.RuneCountInString(q.Hint) > 500 || !plaintext.Valid(q.Hint) {
		bad.Add(QuestionField(n, "hint"), "consultations.hint_too_long")
	}
	var opts []string
	for _, o := range q.Options {
		if o = strings.TrimSpace(o); o != "" {
			opts = append(opts, o)
		}
	}
	q.Options = opts
	switch q.Kind {
	case Single, Multiple, Ranking:
		if len(opts) < 2 || len(opts) > MaxOptions {
			bad.Add(QuestionField(n, "options"), "consultations.options_count")
		}
		seen := map[string]bool{}
		for _, o := range opts {
			if utf8.RuneCountInString(o) > 200 || !plaintext.Valid(o) || seen[strings.ToLower(o)] {
				bad.Add(QuestionField(n, "options"), "consultations.option_invalid")
			}
			seen[strings.ToLower(o)] = true
		}
		q.MaxLength = nil
	case Scale:
		q.Options, q.MaxLength = nil, nil
	case Text:
		q.Options = nil
		if q.MaxLength == nil {
			def := 2000
			q.MaxLength = &def
		}
		if *q.MaxLength < 10 || *q.MaxLength > MaxTextLength {
			bad.Add(QuestionField(n, "max_length"), "consultations.max_length_invalid")
		}
	}
}

// sameQuestions says whether the saved questions are the ones in the input.
func sameQuestions(saved []Question, in []QuestionInput) bool {
	if len(saved) != len(in) {
		return false
	}
	for i, q := range saved {
		n := in[i]
		if q.Kind != n.Kind || q.Prompt != n.Prompt || q.Hint != n.Hint || q.Required != n.Required ||
			!slices.Equal(q.Labels(), n.Options) && !(len(q.Options) == 0 && len(n.Options) == 0) {
			return false
		}
		if (q.MaxLength == nil) != (n.MaxLength == nil) || q.MaxLength != nil && *q.MaxLength != *n.MaxLength {
			return false
		}
	}
	return true
}

// Create adds a consultation (moderators and admins).
func (s *Service) Create(ctx context.Context, p auth.Principal, in Input) (Consultation, error) {
	if err := auth.RequireStaff(p); err != nil {
		return Consultation{}, err
	}
	c, err := s.check(ctx, in)
	if err != nil {
		return Consultation{}, err
	}
	var id int64
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO consultations (title, organiser_kind, organiser, description, description_html,
			eligibility, status, opens_at, closes_at, report_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			RETURNING id`, c.Title, c.OrganiserKind, c.Organiser, c.Description, string(markdown.HTML(c.Description)),
			c.Eligibility, c.Status, c.opens, c.closes, c.report, p.UserID).Scan(&id); err != nil {
			return err
		}
		if err := s.writeParts(ctx, tx, id, c, true); err != nil {
			return err
		}
		if err := attachments.Change(ctx, tx, id, p.UserID, c.Files, nil); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "consultation.create", TargetType: "consultation", TargetID: id})
	})
	if err != nil {
		return Consultation{}, err
	}
	return s.Get(ctx, p, id)
}

// writeParts saves the districts and, when questions is set, the questions.
func (s *Service) writeParts(ctx context.Context, tx pgx.Tx, id int64, c checked, questions bool) error {
	if _, err := tx.Exec(ctx, `DELETE FROM consultation_districts WHERE consultation_id = $1`, id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO consultation_districts (consultation_id, neighbourhood_id)
		SELECT $1, unnest($2::bigint[])`, id, c.DistrictIDs); err != nil {
		return err
	}
	if !questions {
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM consultation_questions WHERE consultation_id = $1`, id); err != nil {
		return err
	}
	for i, q := range c.Questions {
		opts := q.Options
		if opts == nil {
			opts = []string{}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO consultation_questions (consultation_id, position, kind, prompt, hint, required,
			options, max_length) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			id, i+1, q.Kind, q.Prompt, q.Hint, q.Required, opts, q.MaxLength); err != nil {
			return err
		}
	}
	return nil
}

// Edit saves a new version of a consultation (moderators and admins). The questions
// change only while nobody has answered (not even a draft), and a consultation with
// responses stays published.
func (s *Service) Edit(ctx context.Context, p auth.Principal, id int64, in Input) (Consultation, error) {
	if err := auth.RequireStaff(p); err != nil {
		return Consultation{}, err
	}
	c, err := s.check(ctx, in)
	if err != nil {
		return Consultation{}, err
	}
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockConsultation(ctx, tx, id); err != nil {
			return err
		}
		var answered int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM consultation_responses WHERE consultation_id = $1`, id).Scan(&answered); err != nil {
			return err
		}
		saved, err := readQuestions(ctx, tx, id)
		if err != nil {
			return err
		}
		same := sameQuestions(saved, c.Questions)
		if answered > 0 && !same {
			return &problem.Error{Status: 409, Code: "questions_locked", Key: "consultations.questions_locked",
				Fields: map[string]string{"questions": "consultations.questions_locked"}}
		}
		if answered > 0 && c.Status == Draft {
			return &problem.Error{Status: 409, Code: "consultation_has_responses", Key: "consultations.has_responses",
				Fields: map[string]string{"status": "consultations.has_responses"}}
		}
		if _, err := tx.Exec(ctx, `UPDATE consultations SET title = $2, organiser_kind = $3, organiser = $4, description = $5,
			description_html = $6, eligibility = $7, status = $8, opens_at = $9, closes_at = $10, report_at = $11, updated_at = now()
			WHERE id = $1`, id, c.Title, c.OrganiserKind, c.Organiser, c.Description, string(markdown.HTML(c.Description)),
			c.Eligibility, c.Status, c.opens, c.closes, c.report); err != nil {
			return err
		}
		if err := s.writeParts(ctx, tx, id, c, !same); err != nil {
			return err
		}
		if err := attachments.Change(ctx, tx, id, p.UserID, c.Files, c.Remove); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "consultation.edit", TargetType: "consultation", TargetID: id})
	})
	if err != nil {
		return Consultation{}, err
	}
	return s.Get(ctx, p, id)
}

// visible says whether p may see c: drafts are the staff's.
func visible(p auth.Principal, c Consultation) bool { return c.Status != Draft || p.Staff() }

// Get reads one consultation as p may see it, with its questions and documents.
// Titles are consultations' titles by id, read through q in one query (inside the
// caller's transaction); missing ids are left out.
func (s *Service) Titles(ctx context.Context, q db.Querier, ids []int64) (map[int64]string, error) {
	return db.Titles(ctx, q, "consultations", ids)
}

func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Consultation, error) {
	c, err := s.Read(ctx, p, id)
	if err != nil {
		return Consultation{}, err
	}
	if c.Questions, err = readQuestions(ctx, s.pool, id); err != nil {
		return Consultation{}, err
	}
	if c.Attachments, err = attachments.List(ctx, s.pool, id); err != nil {
		return Consultation{}, err
	}
	return c, nil
}

// Read reads one consultation as p may see it, without questions and documents.
func (s *Service) Read(ctx context.Context, p auth.Principal, id int64) (Consultation, error) {
	c, err := readConsultation(ctx, s.pool, id)
	if err != nil {
		return Consultation{}, err
	}
	if !visible(p, c) {
		return Consultation{}, problem.NotFound()
	}
	c.Phase = c.PhaseAt(s.Now())
	return c, nil
}

// CanView answers other features: may p see consultation id?
func (s *Service) CanView(ctx context.Context, p auth.Principal, id int64) error {
	_, err := s.Read(ctx, p, id)
	return err
}

// Attachment returns a consultation's document to whoever may see the consultation.
func (s *Service) Attachment(ctx context.Context, p auth.Principal, id, fileID int64) (upload.File, error) {
	if err := s.CanView(ctx, p, id); err != nil {
		return upload.File{}, err
	}
	return attachments.Load(ctx, s.pool, id, fileID)
}

// List returns published consultations, those still open or upcoming first (by their
// close), then the closed ones, latest first; districtID > 0 narrows to a district.
func (s *Service) List(ctx context.Context, districtID int64, limit int) ([]Consultation, error) {
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	list, err := queryConsultations(ctx, s.pool, `WHERE c.status = 'published'
		AND ($1 = 0 OR EXISTS (SELECT 1 FROM consultation_districts d WHERE d.consultation_id = c.id AND d.neighbourhood_id = $1))
		ORDER BY (c.closes_at > $2) DESC, CASE WHEN c.closes_at > $2 THEN c.closes_at END, c.closes_at DESC, c.id DESC LIMIT $3`,
		districtID, s.Now(), limit)
	if err != nil {
		return nil, err
	}
	s.phases(list)
	return list, nil
}

// All lists every consultation, drafts too, latest first (the staff's list).
func (s *Service) All(ctx context.Context, p auth.Principal) ([]Consultation, error) {
	if err := auth.RequireStaff(p); err != nil {
		return nil, err
	}
	list, err := queryConsultations(ctx, s.pool, `ORDER BY c.created_at DESC, c.id DESC LIMIT 300`)
	if err != nil {
		return nil, err
	}
	s.phases(list)
	return list, nil
}

func (s *Service) phases(list []Consultation) {
	now := s.Now()
	for i := range list {
		list[i].Phase = list[i].PhaseAt(now)
	}
}

// Link is a consultation's page as an absolute address.
func (s *Service) Link(id int64) string { return fmt.Sprintf("%s/konsultacje/%d", s.PublicURL, id) }
