package drafting

import (
	"context"
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

// Consultations is what this feature asks of consultations.
type Consultations interface {
	// CanView is nil when p may see the consultation (problem.NotFound otherwise).
	CanView(ctx context.Context, p auth.Principal, id int64) error
	// Title is the consultation's title.
	Title(ctx context.Context, id int64) (string, error)
}

// Notifier asks the representatives of organisations that co-signed to confirm a
// changed text, inside q (the save's transaction); the returned function announces it
// after the commit.
type Notifier interface {
	ToConfirm(ctx context.Context, q db.Querier, docID int64, title string, actorID int64, users []int64) (func(context.Context), error)
}

// Publisher pushes live updates (the realtime hub).
type Publisher interface {
	Publish(ctx context.Context, room, msgType string, data any) error
}

// Service holds the rules of response documents.
type Service struct {
	pool          *pgxpool.Pool
	consultations Consultations
	Publisher     Publisher // nil: nothing is pushed live
	Notifier      Notifier  // nil: co-signers see the request on the document only
	Log           *slog.Logger
}

// NewService builds the service.
func NewService(pool *pgxpool.Pool, consultations Consultations) *Service {
	return &Service{pool: pool, consultations: consultations, Log: slog.New(slog.DiscardHandler)}
}

// RoomOf is a document's realtime room: section saves and who is there.
func RoomOf(docID int64) string { return "response:" + strconv.FormatInt(docID, 10) }

// Errors with their codes, for clients to tell them apart.
var (
	errFrozen    = func() error { return problem.Conflict("document_frozen", "drafting.error_frozen") }
	errLocked    = func() error { return problem.Conflict("document_locked", "drafting.error_locked") }
	errNotReview = func() error { return problem.Conflict("not_in_review", "drafting.error_not_in_review") }
)

// StaleError is a save based on a version that is no longer the section's: nothing was
// saved; it carries the saved text and the editor's, to merge.
type StaleError struct {
	Current Section
	Yours   SectionInput
}

func (e *StaleError) Error() string { return "stale_version" }

// Unwrap is the problem the HTTP layer answers with (409 stale_version).
func (e *StaleError) Unwrap() error {
	return &problem.Error{Status: 409, Code: "stale_version", Key: "drafting.error_stale",
		Args: []any{"Version", e.Current.Version}}
}

// Editor reports whether p may edit response documents: the staff, and advocates of a
// member organisation (one whose signature of the Declaration is confirmed).
func (s *Service) Editor(ctx context.Context, p auth.Principal) (bool, error) {
	return editor(ctx, s.pool, p)
}

func editor(ctx context.Context, q db.Querier, p auth.Principal) (bool, error) {
	if !p.SignedIn() {
		return false, nil
	}
	if p.Staff() {
		return true, nil
	}
	if !p.Has(auth.Advocate) {
		return false, nil
	}
	return isEditor(ctx, q, p.UserID)
}

// requireWriter: signed in, not blocked, an editor.
func requireWriter(ctx context.Context, q db.Querier, p auth.Principal) error {
	if err := auth.RequireActive(p); err != nil {
		return err
	}
	return unlessEditor(ctx, q, p, problem.Forbidden())
}

// canSee: a submitted document is public; before that only editors know it exists.
func canSee(ctx context.Context, q db.Querier, p auth.Principal, d Document) error {
	if d.Status == Submitted {
		return nil
	}
	return unlessEditor(ctx, q, p, problem.NotFound())
}

// unlessEditor is nil for an editor, refusal for anyone else.
func unlessEditor(ctx context.Context, q db.Querier, p auth.Principal, refusal error) error {
	ok, err := editor(ctx, q, p)
	if err == nil && !ok {
		err = refusal
	}
	return err
}

// Get reads a document as p may see it.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Document, error) {
	d, err := readDocument(ctx, s.pool, id, false)
	if err != nil {
		return d, err
	}
	if err := canSee(ctx, s.pool, p, d); err != nil {
		return d, err
	}
	d.ConsultationTitle, err = s.consultations.Title(ctx, d.ConsultationID)
	return d, err
}

// CanView is nil when p may see the document (the realtime room asks).
func (s *Service) CanView(ctx context.Context, p auth.Principal, id int64) error {
	d, err := readDocument(ctx, s.pool, id, false)
	if err != nil {
		return err
	}
	return canSee(ctx, s.pool, p, d)
}

// List is the consultation's response documents p may see, newest first.
func (s *Service) List(ctx context.Context, p auth.Principal, consultationID int64) ([]Summary, error) {
	ok, err := editor(ctx, s.pool, p)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT d.id, d.title, d.status, d.updated_at, d.submitted_at,
		(SELECT count(*) FROM response_sections s WHERE s.document_id = d.id)::int,
		(SELECT count(*) FROM response_cosignatures c WHERE c.document_id = d.id)::int
		FROM response_documents d WHERE d.consultation_id = $1 AND ($2 OR d.status = 'submitted') ORDER BY d.id DESC`,
		consultationID, ok)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Summary, error) {
		var m Summary
		err := r.Scan(&m.ID, &m.Title, &m.Status, &m.UpdatedAt, &m.SubmittedAt, &m.Sections, &m.Cosignatures)
		return m, err
	})
}

// NewDocument is what starting a document takes: a title and the first sections' titles.
type NewDocument struct {
	Title    string   `json:"title"`
	Sections []string `json:"sections"`
}

func checkTitle(bad problem.Fields, field, title string, min int) string {
	title = strings.TrimSpace(title)
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		bad.Add(field, "drafting.error_title_required")
	case n < min:
		bad.Add(field, "drafting.error_title_short")
	case n > MaxTitle:
		bad.Add(field, "drafting.error_title_long")
	}
	return title
}

// Create starts a response document to a consultation (editors).
func (s *Service) Create(ctx context.Context, p auth.Principal, consultationID int64, in NewDocument) (Document, error) {
	if err := requireWriter(ctx, s.pool, p); err != nil {
		return Document{}, err
	}
	if err := s.consultations.CanView(ctx, p, consultationID); err != nil {
		return Document{}, err
	}
	bad := problem.Fields{}
	title := checkTitle(bad, "title", in.Title, 3)
	var sections []string
	for _, t := range in.Sections {
		if t = strings.TrimSpace(t); t != "" {
			sections = append(sections, t)
		}
	}
	switch {
	case len(sections) == 0:
		bad.Add("sections", "drafting.error_sections_required")
	case len(sections) > MaxSections:
		bad.Add("sections", "drafting.error_sections_many")
	}
	for _, t := range sections {
		if utf8.RuneCountInString(t) > MaxTitle {
			bad.Add("sections", "drafting.error_title_long")
		}
	}
	if err := bad.Err(); err != nil {
		return Document{}, err
	}
	var id int64
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO response_documents (consultation_id, title, created_by) VALUES ($1, $2, $3)
			RETURNING id`, consultationID, title, p.UserID).Scan(&id); err != nil {
			return err
		}
		for i, t := range sections {
			if err := insertSection(ctx, tx, id, i+1, t, p.UserID, p.UserID); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "response.create", TargetType: "response_document",
			TargetID: id, Details: map[string]any{"consultation_id": consultationID}})
	})
	if err != nil {
		return Document{}, err
	}
	return s.Get(ctx, p, id)
}

// insertSection adds an empty section (its first version, the document's next revision).
func insertSection(ctx context.Context, tx pgx.Tx, docID int64, position int, title string, ownerID, authorID int64) error {
	sec := Section{Title: title, Version: 1}
	if err := tx.QueryRow(ctx, `INSERT INTO response_sections (document_id, position, title, owner_id, updated_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, docID, position, title, ownerID, authorID).Scan(&sec.ID); err != nil {
		return err
	}
	_, err := addRevision(ctx, tx, docID, sec, authorID, nil)
	return err
}

// writable locks the document for a change of its text by p: 404 when p may not see
// it, 403 when p may not edit, 409 when it is frozen or approved.
func writable(ctx context.Context, tx pgx.Tx, p auth.Principal, docID int64) (Document, error) {
	d, err := commentable(ctx, tx, p, docID)
	if err == nil && !Editable(d.Status) {
		err = errLocked()
	}
	return d, err
}

// AddSection adds a section at the end, owned by p.
func (s *Service) AddSection(ctx context.Context, p auth.Principal, docID int64, title string) (Section, error) {
	bad := problem.Fields{}
	title = checkTitle(bad, "title", title, 1)
	var sec Section
	var announce func(context.Context)
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		d, err := writable(ctx, tx, p, docID)
		if err != nil {
			return err
		}
		if err := bad.Err(); err != nil {
			return err
		}
		if len(d.Sections) >= MaxSections {
			return problem.Invalid(map[string]string{"title": "drafting.error_sections_many"})
		}
		pos := 1
		if n := len(d.Sections); n > 0 {
			pos = d.Sections[n-1].Position + 1
		}
		if err := insertSection(ctx, tx, docID, pos, title, p.UserID, p.UserID); err != nil {
			return err
		}
		if announce, err = s.resetCosignatures(ctx, tx, d, p.UserID); err != nil {
			return err
		}
		secs, err := readSections(ctx, tx, docID)
		if err != nil {
			return err
		}
		sec = secs[len(secs)-1]
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "response.section_add", TargetType: "response_document",
			TargetID: docID, Details: map[string]any{"section_id": sec.ID}})
	})
	if err == nil {
		s.after(ctx, announce)
		s.publish(ctx, docID, sec, p)
	}
	return sec, err
}

// Editors lists the people who may edit response documents (to own a section).
func (s *Service) Editors(ctx context.Context) ([]Person, error) { return readEditors(ctx, s.pool, 0) }

// SetOwner makes another editor the owner of a section (editors, while it may change).
func (s *Service) SetOwner(ctx context.Context, p auth.Principal, docID, sectionID, ownerID int64) error {
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		d, err := writable(ctx, tx, p, docID)
		if err != nil {
			return err
		}
		if _, ok := d.Section(sectionID); !ok {
			return problem.NotFound()
		}
		if ownerID <= 0 {
			return problem.Invalid(map[string]string{"owner_id": "drafting.error_owner"})
		}
		who, err := readEditors(ctx, tx, ownerID)
		if err != nil {
			return err
		}
		if len(who) == 0 {
			return problem.Invalid(map[string]string{"owner_id": "drafting.error_owner"})
		}
		if _, err := tx.Exec(ctx, `UPDATE response_sections SET owner_id = $3 WHERE id = $1 AND document_id = $2`,
			sectionID, docID, ownerID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "response.section_owner", TargetType: "response_document",
			TargetID: docID, Details: map[string]any{"section_id": sectionID, "owner_id": ownerID}})
	})
}

// SectionInput is a save of a section: its text and the version it was based on.
type SectionInput struct {
	Title       string `json:"title"`
	Body        string `json:"body"`
	BaseVersion int    `json:"base_version"`
}

func checkSection(in *SectionInput) error {
	bad := problem.Fields{}
	in.Title = checkTitle(bad, "title", in.Title, 1)
	in.Body = strings.ReplaceAll(in.Body, "\r\n", "\n")
	switch n := utf8.RuneCountInString(in.Body); {
	case strings.TrimSpace(in.Body) == "":
		bad.Add("body", "drafting.error_body_required")
	case n > MaxBody:
		bad.Add("body", "drafting.error_body_long")
	}
	if in.BaseVersion < 1 {
		bad.Add("base_version", "drafting.error_base_version")
	}
	return bad.Err()
}

// Save writes a section's new text, only if the section is still at in.BaseVersion:
// of two saves based on one version exactly one is applied, the other gets a
// *StaleError with both texts. Open comments are anchored again, and organisations
// that co-signed are asked to confirm the changed text.
func (s *Service) Save(ctx context.Context, p auth.Principal, docID, sectionID int64, in SectionInput) (Section, error) {
	return s.save(ctx, p, docID, sectionID, in, nil)
}

func (s *Service) save(ctx context.Context, p auth.Principal, docID, sectionID int64, in SectionInput, restoredFrom *int) (Section, error) {
	invalid := checkSection(&in)
	var sec Section
	var announce func(context.Context)
	changed := false
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		d, err := writable(ctx, tx, p, docID)
		if err != nil {
			return err
		}
		cur, ok := d.Section(sectionID)
		if !ok {
			return problem.NotFound()
		}
		if invalid != nil {
			return invalid
		}
		if cur.Version != in.BaseVersion {
			return &StaleError{Current: cur, Yours: in}
		}
		if cur.Title == in.Title && cur.Body == in.Body {
			sec = cur // nothing changed: no new version
			return nil
		}
		// The version check again in the statement itself: the document's row lock
		// already orders saves, this keeps the rule where the data is.
		tag, err := tx.Exec(ctx, `UPDATE response_sections SET title = $3, body = $4, version = version + 1,
			updated_by = $5, updated_at = now() WHERE id = $1 AND document_id = $2 AND version = $6`,
			sectionID, docID, in.Title, in.Body, p.UserID, in.BaseVersion)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return &StaleError{Current: cur, Yours: in}
		}
		sec = cur
		sec.Title, sec.Body, sec.Version = in.Title, in.Body, cur.Version+1
		if _, err := addRevision(ctx, tx, docID, sec, p.UserID, restoredFrom); err != nil {
			return err
		}
		if err := reanchorComments(ctx, tx, sectionID, in.Body); err != nil {
			return err
		}
		if announce, err = s.resetCosignatures(ctx, tx, d, p.UserID); err != nil {
			return err
		}
		changed = true
		details := map[string]any{"section_id": sectionID, "version": sec.Version}
		action := "response.section_save"
		if restoredFrom != nil {
			action, details["restored_from"] = "response.section_restore", *restoredFrom
		}
		if err := audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: action, TargetType: "response_document",
			TargetID: docID, Details: details}); err != nil {
			return err
		}
		secs, err := readSections(ctx, tx, docID)
		if err != nil {
			return err
		}
		sec, _ = Document{Sections: secs}.Section(sectionID)
		return nil
	})
	if err == nil && changed {
		s.after(ctx, announce)
		s.publish(ctx, docID, sec, p)
	}
	return sec, err
}

// resetCosignatures asks every organisation that signed to confirm the changed text,
// and tells their representatives; announce runs after the commit.
func (s *Service) resetCosignatures(ctx context.Context, tx pgx.Tx, d Document, actorID int64) (announce func(context.Context), err error) {
	rows, err := tx.Query(ctx, `WITH reset AS (
			UPDATE response_cosignatures SET status = 'to_confirm' WHERE document_id = $1 AND status = 'signed'
			RETURNING organisation_id)
		SELECT DISTINCT m.user_id FROM organisation_members m JOIN reset r ON r.organisation_id = m.organisation_id
		WHERE m.role = 'representative' ORDER BY 1`, d.ID)
	if err != nil {
		return nil, err
	}
	users, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(users) == 0 || s.Notifier == nil {
		return nil, err
	}
	return s.Notifier.ToConfirm(ctx, tx, d.ID, d.Title, actorID, users)
}

// after runs what waits for the commit (nil: nothing).
func (s *Service) after(ctx context.Context, announce func(context.Context)) {
	if announce != nil {
		announce(ctx)
	}
}

// publish tells the document's open pages that a section changed. A failure is logged:
// the text is saved, and a save based on the old version still gets the merge view.
func (s *Service) publish(ctx context.Context, docID int64, sec Section, p auth.Principal) {
	if s.Publisher == nil {
		return
	}
	err := s.Publisher.Publish(ctx, RoomOf(docID), "response.section", map[string]any{"section_id": sec.ID,
		"version": sec.Version, "title": sec.Title, "by": p.DisplayName})
	if err != nil {
		s.Log.Warn("drafting: live update failed", "document", docID, "error", err)
	}
}

// Revisions lists a document's revisions oldest first (one section's when sectionID is
// not 0).
func (s *Service) Revisions(ctx context.Context, p auth.Principal, docID, sectionID int64) (Document, []Revision, error) {
	d, err := s.Get(ctx, p, docID)
	if err != nil {
		return d, nil, err
	}
	if _, ok := d.Section(sectionID); sectionID != 0 && !ok {
		return d, nil, problem.NotFound()
	}
	revs, err := readRevisions(ctx, s.pool, docID, sectionID)
	return d, revs, err
}

// Restore saves an old version of a section as its newest (history is never
// rewritten); baseVersion is the version the person saw as current.
func (s *Service) Restore(ctx context.Context, p auth.Principal, docID, sectionID int64, version, baseVersion int) (Section, error) {
	if _, err := s.Get(ctx, p, docID); err != nil {
		return Section{}, err
	}
	if err := requireWriter(ctx, s.pool, p); err != nil {
		return Section{}, err
	}
	var old Revision
	err := s.pool.QueryRow(ctx, `SELECT title, body FROM response_revisions WHERE document_id = $1 AND section_id = $2 AND version = $3`,
		docID, sectionID, version).Scan(&old.Title, &old.Body)
	if errors.Is(err, pgx.ErrNoRows) {
		return Section{}, problem.Invalid(map[string]string{"version": "drafting.error_no_version"})
	}
	if err != nil {
		return Section{}, err
	}
	if strings.TrimSpace(old.Body) == "" {
		// The first, empty version of a section: restoring it would only empty it.
		return Section{}, problem.Invalid(map[string]string{"version": "drafting.error_restore_empty"})
	}
	return s.save(ctx, p, docID, sectionID, SectionInput{Title: old.Title, Body: old.Body, BaseVersion: baseVersion}, &version)
}

// CommentInput is a comment on a passage: the passage as it stands in the section's
// text, and optionally where it starts (in characters) when it occurs more than once.
type CommentInput struct {
	SectionID int64  `json:"section_id"`
	Quote     string `json:"quote"`
	Start     *int   `json:"start,omitempty"`
	Body      string `json:"body"`
}

// commentable locks the document for a comment by p: editors, until it is submitted.
func commentable(ctx context.Context, tx pgx.Tx, p auth.Principal, docID int64) (Document, error) {
	d, err := readDocument(ctx, tx, docID, true)
	if err != nil {
		return d, err
	}
	if err := canSee(ctx, tx, p, d); err != nil {
		return d, err
	}
	if err := requireWriter(ctx, tx, p); err != nil {
		return d, err
	}
	if d.Frozen() {
		return d, errFrozen()
	}
	return d, nil
}

// AddComment anchors a comment to a passage of a section (editors, before submission).
func (s *Service) AddComment(ctx context.Context, p auth.Principal, docID int64, in CommentInput) (Comment, error) {
	var c Comment
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		d, err := commentable(ctx, tx, p, docID)
		if err != nil {
			return err
		}
		bad := problem.Fields{}
		sec, ok := d.Section(in.SectionID)
		if !ok {
			bad.Add("section_id", "drafting.error_section")
		}
		quote := strings.ReplaceAll(in.Quote, "\r\n", "\n")
		if strings.TrimSpace(quote) == "" {
			bad.Add("quote", "drafting.error_quote_required")
		} else if utf8.RuneCountInString(quote) > MaxQuote {
			bad.Add("quote", "drafting.error_quote_long")
		}
		body := strings.TrimSpace(in.Body)
		if body == "" {
			bad.Add("comment", "drafting.error_comment_required")
		} else if utf8.RuneCountInString(body) > MaxComment {
			bad.Add("comment", "drafting.error_comment_long")
		}
		var a Anchor
		if ok && bad["quote"] == "" {
			near := 0
			if in.Start != nil {
				near = *in.Start
			}
			if a, ok = Locate(sec.Body, quote, near); !ok {
				bad.Add("quote", "drafting.error_quote_not_found")
			}
		}
		if err := bad.Err(); err != nil {
			return err
		}
		c = Comment{SectionID: sec.ID, Author: &Person{ID: p.UserID, DisplayName: p.DisplayName}, Body: body,
			Quote: a.Quote, Prefix: a.Prefix, Suffix: a.Suffix, Start: a.Start}
		if err := tx.QueryRow(ctx, `INSERT INTO response_comments (document_id, section_id, author_id, body, quote, prefix, suffix, start_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, created_at`, docID, sec.ID, p.UserID, body, a.Quote, a.Prefix, a.Suffix,
			a.Start).Scan(&c.ID, &c.CreatedAt); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "response.comment", TargetType: "response_document",
			TargetID: docID, Details: map[string]any{"comment_id": c.ID}})
	})
	return c, err
}

// Comments lists a document's comments (editors only: they are working notes).
func (s *Service) Comments(ctx context.Context, p auth.Principal, docID int64) ([]Comment, error) {
	ok, err := editor(ctx, s.pool, p)
	if err != nil || !ok {
		return nil, err
	}
	return readComments(ctx, s.pool, docID)
}

// Resolve marks a comment resolved (editors; it stays in the list, marked).
func (s *Service) Resolve(ctx context.Context, p auth.Principal, docID, commentID int64) error {
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := commentable(ctx, tx, p, docID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE response_comments SET resolved_at = coalesce(resolved_at, now()),
			resolved_by = coalesce(resolved_by, $3) WHERE id = $2 AND document_id = $1`, docID, commentID, p.UserID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return problem.NotFound()
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "response.comment_resolve", TargetType: "response_document",
			TargetID: docID, Details: map[string]any{"comment_id": commentID}})
	})
}

// CanMove says whether p may move the document through the workflow: the staff and
// the person who started it.
func CanMove(p auth.Principal, d Document) bool {
	return p.Staff() || d.CreatedBy != nil && d.CreatedBy.ID == p.UserID
}

// Next are the statuses the document may move to now.
func Next(d Document) []string { return transitions[d.Status] }

// Move takes the document to status to. Approval waits until every co-signature
// stands on the current text; submission freezes the document.
func (s *Service) Move(ctx context.Context, p auth.Principal, docID int64, to string) (Document, error) {
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		d, err := readDocument(ctx, tx, docID, true)
		if err != nil {
			return err
		}
		if err := canSee(ctx, tx, p, d); err != nil {
			return err
		}
		if err := auth.RequireActive(p); err != nil {
			return err
		}
		if d.Frozen() {
			return errFrozen()
		}
		if !CanMove(p, d) {
			return problem.Forbidden()
		}
		if !slices.Contains(transitions[d.Status], to) {
			return problem.Invalid(map[string]string{"status": "drafting.error_transition"})
		}
		if to == Approved && slices.ContainsFunc(d.Cosignatures, func(c Cosignature) bool { return c.Status == ToConfirm }) {
			return problem.Conflict("cosignatures_to_confirm", "drafting.error_to_confirm")
		}
		if _, err := tx.Exec(ctx, `UPDATE response_documents SET status = $2, updated_at = now(),
			submitted_at = CASE WHEN $2 = 'submitted' THEN now() END, submitted_by = CASE WHEN $2 = 'submitted' THEN $3::bigint END
			WHERE id = $1`, docID, to, p.UserID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "response.status", TargetType: "response_document",
			TargetID: docID, Details: map[string]any{"from": d.Status, "to": to}})
	})
	if err != nil {
		return Document{}, err
	}
	if s.Publisher != nil {
		if err := s.Publisher.Publish(ctx, RoomOf(docID), "response.status", map[string]any{"status": to}); err != nil {
			s.Log.Warn("drafting: live update failed", "document", docID, "error", err)
		}
	}
	return s.Get(ctx, p, docID)
}

// Signable lists the organisations p represents that may co-sign (member organisations).
func (s *Service) Signable(ctx context.Context, p auth.Principal) ([]Organisation, error) {
	if !p.SignedIn() {
		return nil, nil
	}
	return signable(ctx, s.pool, p.UserID, 0)
}

func signable(ctx context.Context, q db.Querier, userID, orgID int64) ([]Organisation, error) {
	rows, err := q.Query(ctx, `SELECT o.id, o.name FROM organisations o
		JOIN organisation_members m ON m.organisation_id = o.id AND m.user_id = $1 AND m.role = 'representative'
		WHERE EXISTS (SELECT 1 FROM signatures s WHERE s.organisation_id = o.id AND s.status = 'confirmed')
		  AND ($2 = 0 OR o.id = $2) ORDER BY o.name`, userID, orgID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Organisation, error) {
		var o Organisation
		err := r.Scan(&o.ID, &o.Name)
		return o, err
	})
}

// Cosign signs the document on behalf of an organisation p represents, in review; a
// signature to confirm again is confirmed on the current text.
func (s *Service) Cosign(ctx context.Context, p auth.Principal, docID, orgID int64) error {
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		d, err := readDocument(ctx, tx, docID, true)
		if err != nil {
			return err
		}
		if err := canSee(ctx, tx, p, d); err != nil {
			return err
		}
		if err := auth.RequireActive(p); err != nil {
			return err
		}
		orgs, err := signable(ctx, tx, p.UserID, max(orgID, 0))
		if err != nil {
			return err
		}
		if len(orgs) == 0 {
			return problem.Forbidden()
		}
		if orgID <= 0 {
			return problem.Invalid(map[string]string{"organisation_id": "drafting.error_organisation"})
		}
		switch {
		case d.Frozen():
			return errFrozen()
		case d.Status != Review:
			return errNotReview()
		}
		if _, err := tx.Exec(ctx, `INSERT INTO response_cosignatures (document_id, organisation_id, signed_by, signer_name, doc_revision)
			SELECT $1, $2, u.id, u.display_name, $4 FROM users u WHERE u.id = $3
			ON CONFLICT (document_id, organisation_id) DO UPDATE SET status = 'signed', signed_by = excluded.signed_by,
				signer_name = excluded.signer_name, doc_revision = excluded.doc_revision, signed_at = now()`,
			docID, orgID, p.UserID, d.Revision); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "response.cosign", TargetType: "response_document",
			TargetID: docID, Details: map[string]any{"organisation_id": orgID, "revision": d.Revision}})
	})
}

// Export is a document as exports print it (Markdown, the printable page, PDF).
type Export struct {
	Title        string
	Consultation string
	Status       string
	SubmittedAt  *time.Time
	Sections     []ExportSection
	Signatories  []Signatory
}

// ExportSection is one section's title and Markdown text.
type ExportSection struct {
	Title    string
	Markdown string
}

// Signatory is an organisation under the document, who signed for it and when.
type Signatory struct {
	Organisation string
	Person       string
	Date         time.Time
	ToConfirm    bool // the text changed after signing
}

// Export reads the document as p may see it, for printing.
func (s *Service) Export(ctx context.Context, p auth.Principal, docID int64) (Export, error) {
	d, err := s.Get(ctx, p, docID)
	if err != nil {
		return Export{}, err
	}
	return ExportOf(d), nil
}

// ExportOf is the document's export.
func ExportOf(d Document) Export {
	e := Export{Title: d.Title, Consultation: d.ConsultationTitle, Status: d.Status, SubmittedAt: d.SubmittedAt}
	for _, sec := range d.Sections {
		e.Sections = append(e.Sections, ExportSection{Title: sec.Title, Markdown: sec.Body})
	}
	for _, c := range d.Cosignatures {
		e.Signatories = append(e.Signatories, Signatory{Organisation: c.OrganisationName, Person: c.SignerName, Date: c.SignedAt,
			ToConfirm: c.Status == ToConfirm})
	}
	return e
}
