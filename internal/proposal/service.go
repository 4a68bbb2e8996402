package proposal

import (
	"context"
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
	"lawka/internal/platform/cursor"
	"lawka/internal/platform/db"
	"lawka/internal/platform/markdown"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
	"lawka/internal/platform/upload"
)

// Publisher pushes live updates (the realtime hub).
type Publisher interface {
	Publish(ctx context.Context, room, msgType string, data any) error
}

// Choice is a district or topic to pick from a list.
type Choice struct {
	ID   int64
	Name string
}

// Places is the neighbourhood feature as proposals need it: districts and topics.
type Places interface {
	Exists(ctx context.Context, id int64) (bool, error)
	TopicsExist(ctx context.Context, ids []int64) (bool, error)
	DistrictChoices(ctx context.Context) ([]Choice, error)
	DistrictBySlug(ctx context.Context, slug string) (Choice, error)
	TopicChoices(ctx context.Context, lang string) ([]Choice, error)
}

// Service holds the proposal rules; every method checks who may do what.
type Service struct {
	pool      *pgxpool.Pool
	districts Places
	pub       Publisher
	limits    *ratelimit.Limiter
	log       *slog.Logger
	// Notifier tells followers what happens (notify.go; nil: nobody is told).
	Notifier Notifier
	// Gate holds first-time posters' proposals for a moderator (moderation.go; nil:
	// nothing waits).
	Gate Gate
}

// NewService builds the service; pub and limits may be nil (command line, seeds).
func NewService(pool *pgxpool.Pool, districts Places, pub Publisher, limits *ratelimit.Limiter, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{pool: pool, districts: districts, pub: pub, limits: limits, log: log}
}

// RoomOf is the realtime room of a proposal.
func RoomOf(id int64) string { return "proposal:" + strconv.FormatInt(id, 10) }

// Input is what creating or editing a proposal takes.
type Input struct {
	Title           string   `json:"title"`
	Body            string   `json:"body"`
	NeighbourhoodID int64    `json:"neighbourhood_id"`
	TopicIDs        []int64  `json:"topic_ids,omitempty"`
	LocationLabel   string   `json:"location_label,omitempty"`
	Latitude        *float64 `json:"latitude,omitempty"`
	Longitude       *float64 `json:"longitude,omitempty"`
	Draft           bool     `json:"draft,omitempty"`
	// Files to attach and attachments to remove come from forms and uploads, not JSON.
	Files  []upload.File `json:"-"`
	Remove []int64       `json:"-"`
}

var (
	postsPerAccount = ratelimit.Rule{Name: "proposal:user", Limit: 5, Window: time.Hour}
	editsPerAccount = ratelimit.Rule{Name: "proposal-edit:user", Limit: 30, Window: time.Hour}
)

func (s *Service) check(ctx context.Context, in *Input) error {
	bad := problem.Fields{}
	in.Title = strings.TrimSpace(in.Title)
	in.Body = strings.TrimSpace(in.Body)
	in.LocationLabel = strings.TrimSpace(in.LocationLabel)
	for field, v := range map[string]string{"title": in.Title, "body": in.Body, "location_label": in.LocationLabel} {
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			bad.Add(field, "proposals.text_invalid")
		}
	}
	if n := utf8.RuneCountInString(in.Title); n < 5 || n > 150 {
		bad.Add("title", "proposals.title_length")
	}
	if n := utf8.RuneCountInString(in.Body); n < 20 || n > 20000 {
		bad.Add("body", "proposals.body_length")
	}
	if in.NeighbourhoodID <= 0 {
		bad.Add("neighbourhood_id", "proposals.district_required")
	} else if ok, err := s.districts.Exists(ctx, in.NeighbourhoodID); err != nil {
		return err
	} else if !ok {
		bad.Add("neighbourhood_id", "proposals.district_unknown")
	}
	slices.Sort(in.TopicIDs)
	in.TopicIDs = slices.Compact(in.TopicIDs)
	if len(in.TopicIDs) > 5 {
		bad.Add("topic_ids", "proposals.too_many_topics")
	} else if len(in.TopicIDs) > 0 {
		if ok, err := s.districts.TopicsExist(ctx, in.TopicIDs); err != nil {
			return err
		} else if !ok {
			bad.Add("topic_ids", "proposals.topic_unknown")
		}
	}
	checkLocation(in, bad)
	return bad.Err()
}

// Create adds a proposal by a signed-in resident (published at once unless a draft).
func (s *Service) Create(ctx context.Context, p auth.Principal, in Input) (Proposal, error) {
	if err := auth.RequireActive(p); err != nil {
		return Proposal{}, err
	}
	if err := s.check(ctx, &in); err != nil {
		return Proposal{}, err
	}
	if s.limits != nil {
		if ok, wait := s.limits.Allow(ctx, postsPerAccount, strconv.FormatInt(p.UserID, 10)); !ok {
			return Proposal{}, problem.TooMany(wait)
		}
	}
	status := Published
	if in.Draft {
		status = Draft
	}
	var id int64
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		mod := ModVisible
		if status == Published {
			var err error
			if mod, err = s.hold(ctx, tx, p, in.NeighbourhoodID, in.TopicIDs); err != nil {
				return err
			}
		}
		err := tx.QueryRow(ctx, `INSERT INTO proposals (neighbourhood_id, author_id, title, body, body_html, status,
			location_label, latitude, longitude, published_at, moderation)
			VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), $8, $9, CASE WHEN $6 = 'published' THEN now() END, $10) RETURNING id`,
			in.NeighbourhoodID, p.UserID, in.Title, in.Body, string(markdown.HTML(in.Body)), status,
			in.LocationLabel, in.Latitude, in.Longitude, mod).Scan(&id)
		if err != nil {
			return err
		}
		if mod == ModPending {
			if err := s.Gate.Held(ctx, tx, id, p.UserID); err != nil {
				return err
			}
		}
		if err := writeTextAndTopics(ctx, tx, id, p.UserID, in, true); err != nil {
			return err
		}
		if err := s.followOwn(ctx, tx, p.UserID, id); err != nil { // notify hook: the author follows
			return err
		}
		return attachments.Change(ctx, tx, id, p.UserID, in.Files, nil)
	})
	if err != nil {
		return Proposal{}, err
	}
	return s.Get(ctx, p, id)
}

// writeTextAndTopics records a revision and sets the topics.
func writeTextAndTopics(ctx context.Context, tx pgx.Tx, id, editor int64, in Input, first bool) error {
	if _, err := tx.Exec(ctx, `INSERT INTO proposal_revisions (proposal_id, title, body, edited_by) VALUES ($1, $2, $3, $4)`,
		id, in.Title, in.Body, editor); err != nil {
		return err
	}
	if !first {
		if _, err := tx.Exec(ctx, `DELETE FROM proposal_topics WHERE proposal_id = $1`, id); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO proposal_topics (proposal_id, topic_id) SELECT $1, unnest($2::bigint[])`, id, in.TopicIDs)
	return err
}

// read is Get without the attachments: what the rules look at before a change.
func (s *Service) read(ctx context.Context, p auth.Principal, id int64) (Proposal, error) {
	list, err := s.query(ctx, p, `WHERE pr.id = $2`, id)
	if err != nil {
		return Proposal{}, err
	}
	if len(list) == 0 || !visible(p, list[0]) {
		return Proposal{}, problem.NotFound()
	}
	return list[0], nil
}

// Get reads one proposal as p may see it (drafts only for their author and the staff),
// with its attachments.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Proposal, error) {
	pr, err := s.read(ctx, p, id)
	if err != nil {
		return Proposal{}, err
	}
	pr.Attachments, err = attachments.List(ctx, s.pool, id)
	return pr, err
}

// Attachment returns an attachment's file, to whoever may see the proposal.
func (s *Service) Attachment(ctx context.Context, p auth.Principal, id, fileID int64) (upload.File, error) {
	if _, err := s.read(ctx, p, id); err != nil {
		return upload.File{}, err
	}
	return attachments.Load(ctx, s.pool, id, fileID)
}

// visible says whether p may see pr: drafts and what moderation keeps from the public
// are seen by their author and the staff alone.
func visible(p auth.Principal, pr Proposal) bool {
	return pr.Status != Draft && !pr.Hidden() || p.Staff() || pr.Author != nil && pr.Author.ID == p.UserID
}

// query reads proposals with the viewer's support; where is the rest of the statement
// after the joins ($1 is the viewer, later arguments follow).
func (s *Service) query(ctx context.Context, p auth.Principal, where string, args ...any) ([]Proposal, error) {
	return queryOn(ctx, s.pool, p, where, args...)
}

func queryOn(ctx context.Context, q db.Querier, p auth.Principal, where string, args ...any) ([]Proposal, error) {
	rows, err := q.Query(ctx, `SELECT pr.id, pr.title, pr.body, pr.body_html, pr.status, pr.author_id, u.display_name,
		pr.neighbourhood_id, array(SELECT topic_id FROM proposal_topics t WHERE t.proposal_id = pr.id ORDER BY topic_id),
		pr.supports, pr.channel, pr.location_label, pr.latitude, pr.longitude, pr.created_at, pr.updated_at,
		(SELECT count(*) FROM proposal_revisions r WHERE r.proposal_id = pr.id)::int,
		EXISTS (SELECT 1 FROM proposal_supports s WHERE s.proposal_id = pr.id AND s.user_id = $1),
		coalesce(pr.paper_author, ''), pr.scan_file_id IS NOT NULL, coalesce(cs.comments, 0),
		pr.moderation, coalesce(pr.hidden_reason, '')
		FROM proposals pr LEFT JOIN users u ON u.id = pr.author_id
		LEFT JOIN comment_stats cs ON cs.target_type = 'proposal' AND cs.target_id = pr.id `+where, append([]any{p.UserID}, args...)...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Proposal, error) {
		var pr Proposal
		var authorID *int64
		var authorName, label *string
		var lat, lng *float64
		var body string
		err := r.Scan(&pr.ID, &pr.Title, &pr.Body, &body, &pr.Status, &authorID, &authorName, &pr.NeighbourhoodID,
			&pr.TopicIDs, &pr.Supports, &pr.Channel, &label, &lat, &lng, &pr.CreatedAt, &pr.UpdatedAt, &pr.Revisions, &pr.Supported,
			&pr.PaperAuthor, &pr.HasScan, &pr.Comments, &pr.Moderation, &pr.HiddenReason)
		pr.BodyHTML = markdown.Stored(body)
		if authorID != nil && authorName != nil {
			pr.Author = &Author{ID: *authorID, DisplayName: *authorName}
		}
		if label != nil || lat != nil {
			pr.Location = &Location{Latitude: lat, Longitude: lng}
			if label != nil {
				pr.Location.Label = *label
			}
		}
		return pr, err
	})
}

// Filter narrows and orders a list.
type Filter struct {
	NeighbourhoodID int64
	TopicID         int64
	Status          string
	Query           string
	Sort            string // newest (default), supports, comments
	Cursor          string
	Limit           int
}

// Sorts are the orders a list can have.
var Sorts = []string{"newest", "supports", "comments"}

// PageSize is how many proposals a list page shows.
const PageSize = 20

// List returns a page of published proposals (never drafts) and the cursor of the next.
func (s *Service) List(ctx context.Context, p auth.Principal, f Filter) ([]Proposal, string, error) {
	bad := problem.Fields{}
	if f.Sort == "" {
		f.Sort = "newest"
	}
	if !slices.Contains(Sorts, f.Sort) {
		bad.Add("sort", "proposals.sort_unknown")
	}
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		bad.Add("status", "proposals.status_unknown")
	}
	after, err := cursor.Decode(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	if err := bad.Err(); err != nil {
		return nil, "", err
	}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = PageSize
	}
	where := []string{"pr.status <> 'draft'", "pr.moderation = 'visible'"}
	args := []any{}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args)+1) // $1 is the viewer
	}
	if f.NeighbourhoodID > 0 {
		where = append(where, "pr.neighbourhood_id = "+arg(f.NeighbourhoodID))
	}
	if f.TopicID > 0 {
		where = append(where, "EXISTS (SELECT 1 FROM proposal_topics t WHERE t.proposal_id = pr.id AND t.topic_id = "+arg(f.TopicID)+")")
	}
	if f.Status != "" {
		where = append(where, "pr.status = "+arg(f.Status))
	}
	// Each word must match, without regard to case or Polish letters, as a part of a
	// word ("podgor") or with a typo ("bibloteka"): the trigram index serves both.
	if !utf8.ValidString(f.Query) || strings.ContainsRune(f.Query, 0) {
		bad.Add("q", "proposals.text_invalid")
		return nil, "", bad.Err()
	}
	words := strings.Fields(f.Query)
	if len(words) > 6 {
		bad.Add("q", "proposals.query_too_long")
		return nil, "", bad.Err()
	}
	for _, w := range words {
		like, word := arg("%"+escapeLike(w)+"%"), arg(w)
		where = append(where, "(pr.search_text LIKE lawka_fold("+like+") OR lawka_fold("+word+") <% pr.search_text)")
	}
	// Keyset pagination: the cursor is the last proposal seen; its current sort key is
	// read from the table, so the cursor stays a plain id whatever the sort.
	order := "pr.id DESC"
	switch f.Sort {
	case "supports":
		order = "pr.supports DESC, pr.id DESC"
		if after > 0 {
			c := arg(after)
			where = append(where, "(pr.supports, pr.id) < (SELECT supports, id FROM proposals WHERE id = "+c+")")
		}
	case "comments":
		order = "coalesce(cs.comments, 0) DESC, pr.id DESC"
		if after > 0 {
			c := arg(after)
			where = append(where, "(coalesce(cs.comments, 0), pr.id) < (coalesce((SELECT comments FROM comment_stats "+
				"WHERE target_type = 'proposal' AND target_id = "+c+"), 0), "+c+")")
		}
	default:
		if after > 0 {
			where = append(where, "pr.id < "+arg(after))
		}
	}
	stmt := "WHERE " + strings.Join(where, " AND ") + " ORDER BY " + order + " LIMIT " + strconv.Itoa(f.Limit+1)
	var list []Proposal
	if len(words) == 0 {
		list, err = s.query(ctx, p, stmt, args...)
	} else {
		// A looser match than pg_trgm's default (0.6) lets one typo in a word through.
		err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL pg_trgm.word_similarity_threshold = 0.45`); err != nil {
				return err
			}
			list, err = queryOn(ctx, tx, p, stmt, args...)
			return err
		})
	}
	if err != nil {
		return nil, "", err
	}
	list, next := cursor.Page(list, f.Limit, func(pr Proposal) int64 { return pr.ID })
	if next == 0 {
		return list, "", nil
	}
	return list, cursor.Encode(next), nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Edit saves a new text (the author, or the staff correcting it), keeping the old one
// in the history. Decided proposals are no longer edited.
func (s *Service) Edit(ctx context.Context, p auth.Principal, id int64, in Input) (Proposal, error) {
	cur, err := s.read(ctx, p, id)
	if err != nil {
		return Proposal{}, err
	}
	own := cur.Author != nil && cur.Author.ID == p.UserID
	if !own && !p.Staff() {
		return Proposal{}, problem.Forbidden()
	}
	if err := auth.RequireActive(p); err != nil {
		return Proposal{}, err
	}
	if cur.Status != Draft && cur.Status != Published {
		return Proposal{}, problem.Conflict("proposal_decided", "proposals.not_editable")
	}
	if err := s.check(ctx, &in); err != nil {
		return Proposal{}, err
	}
	if s.limits != nil {
		if ok, wait := s.limits.Allow(ctx, editsPerAccount, strconv.FormatInt(p.UserID, 10)); !ok {
			return Proposal{}, problem.TooMany(wait)
		}
	}
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		// The status again in the WHERE: an edit racing a decision does not change a
		// decided text; the row lock also keeps two edits' attachments within the limit.
		tag, err := tx.Exec(ctx, `UPDATE proposals SET title = $2, body = $3, body_html = $4, neighbourhood_id = $5,
			location_label = nullif($6, ''), latitude = $7, longitude = $8, updated_at = now()
			WHERE id = $1 AND status IN ('draft', 'published')`,
			id, in.Title, in.Body, string(markdown.HTML(in.Body)), in.NeighbourhoodID, in.LocationLabel, in.Latitude, in.Longitude)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return problem.Conflict("proposal_decided", "proposals.not_editable")
		}
		if err := writeTextAndTopics(ctx, tx, id, p.UserID, in, false); err != nil {
			return err
		}
		if err := attachments.Change(ctx, tx, id, p.UserID, in.Files, in.Remove); err != nil {
			return err
		}
		if !own {
			return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "proposal.edit", TargetType: "proposal", TargetID: id})
		}
		return nil
	})
	if err != nil {
		return Proposal{}, err
	}
	return s.Get(ctx, p, id)
}

// SetStatus moves a proposal on: the author publishes a draft or withdraws; moderators
// and admins decide, always with an official answer.
func (s *Service) SetStatus(ctx context.Context, p auth.Principal, id int64, to, answer string) (Proposal, error) {
	cur, err := s.read(ctx, p, id)
	if err != nil {
		return Proposal{}, err
	}
	answer = strings.TrimSpace(answer)
	own := cur.Author != nil && cur.Author.ID == p.UserID
	byStaff := p.Staff() && slices.Contains(staffMoves[cur.Status], to)
	switch {
	case byStaff:
		if n := utf8.RuneCountInString(answer); n < 10 || n > 5000 {
			return Proposal{}, problem.Invalid(map[string]string{"answer": "proposals.answer_length"})
		}
	case own && slices.Contains(authorMoves[cur.Status], to):
		if utf8.RuneCountInString(answer) > 5000 {
			return Proposal{}, problem.Invalid(map[string]string{"answer": "proposals.answer_length"})
		}
	case !own && !p.Staff(), !p.Staff() && slices.Contains([]string{UnderReview, Accepted, Rejected, Implemented}, to):
		return Proposal{}, problem.Forbidden() // decisions are the staff's
	default:
		return Proposal{}, problem.Invalid(map[string]string{"status": "proposals.status_move"})
	}
	var announce func(context.Context) // notify hook: followers' new counts, after the commit
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		// The status in the WHERE makes two simultaneous decisions one decision.
		tag, err := tx.Exec(ctx, `UPDATE proposals SET status = $3, updated_at = now(),
			published_at = CASE WHEN $3 = 'published' THEN coalesce(published_at, now()) ELSE published_at END
			WHERE id = $1 AND status = $2`, id, cur.Status, to)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return problem.Conflict("proposal_changed", "proposals.changed_meanwhile")
		}
		if cur.Status == Draft && own {
			if err := s.holdDraft(ctx, tx, p, cur); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO proposal_status_changes (proposal_id, from_status, to_status, answer, answer_html, decided_by)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, cur.Status, to, answer, string(markdown.HTML(answer)), p.UserID); err != nil {
			return err
		}
		// notify hook: followers hear of the change in its own transaction
		if announce, err = s.statusChanged(ctx, tx, StatusNews{ProposalID: id, ActorID: p.UserID, Title: cur.Title,
			From: cur.Status, To: to, Official: byStaff}); err != nil {
			return err
		}
		if byStaff {
			return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "proposal.status", TargetType: "proposal", TargetID: id,
				Details: map[string]any{"from": cur.Status, "to": to}})
		}
		return nil
	})
	if err != nil {
		return Proposal{}, err
	}
	announce(ctx)
	return s.Get(ctx, p, id)
}

// Support adds (on) or takes back (!on) the viewer's support; repeating either changes
// nothing. It returns the new count and whether the viewer supports it.
func (s *Service) Support(ctx context.Context, p auth.Principal, id int64, on bool) (int, bool, error) {
	if err := auth.RequireActive(p); err != nil {
		return 0, false, err
	}
	cur, err := s.read(ctx, p, id)
	if err != nil {
		return 0, false, err
	}
	if on && (!cur.Open() || cur.Hidden()) {
		return 0, false, problem.Conflict("proposal_closed", "proposals.support_closed")
	}
	var n int
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		// The count moves only when a row really was added or removed.
		q := `WITH changed AS (INSERT INTO proposal_supports (proposal_id, user_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING RETURNING 1)
			UPDATE proposals SET supports = supports + (SELECT count(*) FROM changed) WHERE id = $1 RETURNING supports`
		if !on {
			q = `WITH changed AS (DELETE FROM proposal_supports WHERE proposal_id = $1 AND user_id = $2 RETURNING 1)
			UPDATE proposals SET supports = supports - (SELECT count(*) FROM changed) WHERE id = $1 RETURNING supports`
		}
		return tx.QueryRow(ctx, q, id, p.UserID).Scan(&n)
	})
	if err != nil {
		return 0, false, err
	}
	if s.pub != nil {
		if err := s.pub.Publish(ctx, RoomOf(id), "proposal.supports", map[string]int{"supports": n}); err != nil {
			s.log.Warn("proposal: publishing supports failed", "proposal", id, "error", err)
		}
	}
	return n, on, nil
}

// History is a proposal with its revisions (newest first) and status changes (oldest
// first).
func (s *Service) History(ctx context.Context, p auth.Principal, id int64) (Proposal, []Revision, []StatusChange, error) {
	pr, err := s.read(ctx, p, id)
	if err != nil {
		return pr, nil, nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT r.id, r.title, r.body, coalesce(u.display_name, ''), r.created_at
		FROM proposal_revisions r LEFT JOIN users u ON u.id = r.edited_by WHERE r.proposal_id = $1 ORDER BY r.id DESC`, id)
	if err != nil {
		return pr, nil, nil, err
	}
	revs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Revision])
	if err != nil {
		return pr, nil, nil, err
	}
	changes, err := s.statusChanges(ctx, id)
	return pr, revs, changes, err
}

func (s *Service) statusChanges(ctx context.Context, id int64) ([]StatusChange, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.from_status, c.to_status, c.answer_html, coalesce(u.display_name, ''), c.created_at,
		c.decided_by IS DISTINCT FROM p.author_id
		FROM proposal_status_changes c JOIN proposals p ON p.id = c.proposal_id LEFT JOIN users u ON u.id = c.decided_by
		WHERE c.proposal_id = $1 ORDER BY c.id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (StatusChange, error) {
		var c StatusChange
		var answer string
		err := r.Scan(&c.From, &c.To, &answer, &c.DecidedBy, &c.CreatedAt, &c.ByOfficial)
		c.Answer = markdown.Stored(answer)
		return c, err
	})
}

// Read is a proposal as p may see it, without its attachments (one query): what other
// features' rules look at.
func (s *Service) Read(ctx context.Context, p auth.Principal, id int64) (Proposal, error) {
	return s.read(ctx, p, id)
}

// CanView answers other features (comments): may p see proposal id?
func (s *Service) CanView(ctx context.Context, p auth.Principal, id int64) error {
	_, err := s.read(ctx, p, id)
	return err
}

// Latest lists a district's newest published proposals (for its page).
func (s *Service) Latest(ctx context.Context, p auth.Principal, districtID int64, n int) ([]Proposal, error) {
	list, _, err := s.List(ctx, p, Filter{NeighbourhoodID: districtID, Limit: n})
	return list, err
}

// PaperInput is a proposal handed in on paper, as a moderator types it in.
type PaperInput struct {
	Input
	Author string       // the name written on the form ("" if none)
	Scan   *upload.File // the form, scanned (optional; seen by the staff only)
}

// CreatePaper files a proposal received on paper (moderators and admins): published at
// once, marked "submitted on paper", counted with the rest; who typed it in is kept.
func (s *Service) CreatePaper(ctx context.Context, p auth.Principal, in PaperInput) (Proposal, error) {
	if err := auth.RequireStaff(p); err != nil {
		return Proposal{}, err
	}
	in.Author = strings.TrimSpace(in.Author)
	bad := problem.Fields{}
	if err := s.check(ctx, &in.Input); err != nil {
		pe, ok := problem.As(err)
		if !ok || pe.Fields == nil {
			return Proposal{}, err
		}
		for f, k := range pe.Fields {
			bad.Add(f, k)
		}
	}
	if utf8.RuneCountInString(in.Author) > 120 {
		bad.Add("paper_author", "proposals.paper_author_length")
	}
	if err := bad.Err(); err != nil {
		return Proposal{}, err
	}
	var id int64
	var err error
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		scanID, err := upload.StoreOptional(ctx, tx, in.Scan, p.UserID)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO proposals (neighbourhood_id, title, body, body_html, status, location_label,
			channel, entered_by, scan_file_id, paper_author, published_at, latitude, longitude)
			VALUES ($1, $2, $3, $4, 'published', nullif($5, ''), 'paper', $6, $7, nullif($8, ''), now(), $9, $10) RETURNING id`,
			in.NeighbourhoodID, in.Title, in.Body, string(markdown.HTML(in.Body)), in.LocationLabel, p.UserID, scanID, in.Author,
			in.Latitude, in.Longitude).Scan(&id); err != nil {
			return err
		}
		if err := writeTextAndTopics(ctx, tx, id, p.UserID, in.Input, true); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "proposal.paper", TargetType: "proposal", TargetID: id})
	})
	if err != nil {
		return Proposal{}, err
	}
	return s.Get(ctx, p, id)
}

// Scan returns a paper proposal's scanned form (staff only: it may carry a name and
// an address).
func (s *Service) Scan(ctx context.Context, p auth.Principal, id int64) (upload.File, error) {
	if err := auth.RequireStaff(p); err != nil {
		return upload.File{}, err
	}
	return upload.LoadBy(ctx, s.pool, `SELECT scan_file_id FROM proposals WHERE id = $1`, id)
}

// DiscardDraft deletes the author's own draft, with its versions and files: it was never
// public, so nothing refers to it. A published proposal is withdrawn instead.
func (s *Service) DiscardDraft(ctx context.Context, p auth.Principal, id int64) error {
	cur, err := s.read(ctx, p, id)
	if err != nil {
		return err
	}
	if cur.Author == nil || cur.Author.ID != p.UserID {
		return problem.Forbidden()
	}
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM proposals WHERE id = $1 FOR UPDATE`, id).Scan(&status); err != nil {
			return err
		}
		if status != Draft { // published meanwhile
			return problem.Conflict("proposal_published", "proposals.not_draft")
		}
		// Its topics, versions and attachment links go with it (ON DELETE CASCADE);
		// the attachments' files are nobody else's.
		var files []int64
		if err := tx.QueryRow(ctx, `SELECT array(SELECT file_id FROM proposal_attachments WHERE proposal_id = $1)`, id).
			Scan(&files); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM proposals WHERE id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM files WHERE id = ANY($1)`, files); err != nil {
			return err
		}
		return s.discarded(ctx, tx, p.UserID, id)
	})
}
