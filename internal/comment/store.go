package comment

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
	"lawka/internal/platform/markdown"
	"lawka/internal/platform/problem"
)

// row is a comment as the page queries read it, with the viewer's vote ($1).
type row struct {
	ID            int64      `db:"id"`
	TargetType    string     `db:"target_type"`
	TargetID      int64      `db:"target_id"`
	ParentID      *int64     `db:"parent_id"`
	RootID        *int64     `db:"root_id"`
	Depth         int        `db:"depth"`
	AuthorID      *int64     `db:"author_id"`
	AuthorDisplay *string    `db:"author_display"`
	AuthorName    *string    `db:"author_name"`
	Stance        string     `db:"stance"`
	Body          string     `db:"body"`
	BodyHTML      string     `db:"body_html"`
	Status        string     `db:"status"`
	HiddenReason  string     `db:"hidden_reason"`
	Channel       string     `db:"channel"`
	Up            int        `db:"up"`
	Down          int        `db:"down"`
	Replies       int        `db:"replies"`
	CreatedAt     time.Time  `db:"created_at"`
	EditedAt      *time.Time `db:"edited_at"`
	MyVote        int        `db:"my_vote"`
	HasScan       bool       `db:"has_scan"`
}

// columns and joins of every comment query; $1 is the viewer's user id (0: nobody).
const (
	columns = `c.id, c.target_type, c.target_id, c.parent_id, c.root_id, c.depth, c.author_id,
		u.display_name AS author_display, c.author_name, c.stance, c.body, c.body_html, c.status,
		coalesce(c.hidden_reason, '') AS hidden_reason, c.channel,
		c.up, c.down, c.replies, c.created_at, c.edited_at, coalesce(v.value, 0)::int AS my_vote,
		c.scan_file_id IS NOT NULL AS has_scan`
	joins = ` LEFT JOIN users u ON u.id = c.author_id
		LEFT JOIN comment_votes v ON v.comment_id = c.id AND v.user_id = $1`
)

// comment turns a row into what viewer sees: a tombstone shows neither author nor text.
func (r row) comment(viewer int64) *Comment {
	c := &Comment{ID: r.ID, Target: Target{Type: r.TargetType, ID: r.TargetID}, ParentID: r.ParentID, RootID: r.RootID,
		Depth: r.Depth, Stance: r.Stance, Body: r.Body, BodyHTML: markdown.Stored(r.BodyHTML),
		Status: r.Status, HiddenReason: r.HiddenReason, Channel: r.Channel, Up: r.Up, Down: r.Down, Score: r.Up - r.Down, MyVote: r.MyVote,
		ReplyCount: r.Replies, CreatedAt: r.CreatedAt, EditedAt: r.EditedAt, HasScan: r.HasScan}
	if r.AuthorID != nil {
		c.Author = &Author{ID: *r.AuthorID}
		if r.AuthorDisplay != nil {
			c.Author.DisplayName = *r.AuthorDisplay
		}
		c.Mine = viewer != 0 && *r.AuthorID == viewer
	}
	if r.AuthorName != nil {
		c.AuthorName = *r.AuthorName
	}
	c.Erased = r.Channel == Online && r.AuthorID == nil
	// Authors still see their comment while it waits for a moderator.
	if r.Status != Visible && !(r.Status == Pending && c.Mine) {
		c.Author, c.AuthorName, c.Body, c.BodyHTML, c.EditedAt, c.HasScan = nil, "", "", "", nil, false
	}
	return c
}

func collect(rows pgx.Rows, viewer int64) ([]*Comment, error) {
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[row])
	if err != nil {
		return nil, err
	}
	out := make([]*Comment, len(list))
	for i, r := range list {
		out[i] = r.comment(viewer)
	}
	return out, nil
}

// load reads one comment as viewer sees it.
func load(ctx context.Context, q db.Querier, viewer, id int64) (*Comment, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM comments c`+joins+` WHERE c.id = $2`, viewer, id)
	if err != nil {
		return nil, err
	}
	list, err := collect(rows, viewer)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, problem.NotFound()
	}
	return list[0], nil
}

// notPending leaves out comments waiting for a moderator, except the viewer's ($1).
const notPending = ` AND (c.status <> 'pending' OR c.author_id = $1)`

// rootQueries are the page queries of each sort: $2 target type, $3 target id, $4 the
// limit, $5 the root to continue after. "best" continues after that root's current
// score; the row comparisons match the indexes' column order, so each page is an index
// range scan of its own length, however long the discussion.
var rootQueries = map[string][2]string{
	Best: {
		` AND c.parent_id IS NULL ORDER BY c.score DESC, c.id DESC LIMIT $4`,
		` AND c.parent_id IS NULL AND (c.score, c.id) < ((SELECT k.score FROM comments k WHERE k.id = $5
			AND k.target_type = $2 AND k.target_id = $3 AND k.parent_id IS NULL), $5::bigint)
			ORDER BY c.score DESC, c.id DESC LIMIT $4`,
	},
	Newest: {
		` AND c.parent_id IS NULL ORDER BY c.id DESC LIMIT $4`,
		` AND c.parent_id IS NULL AND c.id < $5 ORDER BY c.id DESC LIMIT $4`,
	},
	Oldest: {
		` AND c.parent_id IS NULL ORDER BY c.id LIMIT $4`,
		` AND c.parent_id IS NULL AND c.id > $5 ORDER BY c.id LIMIT $4`,
	},
}

// roots reads one page of a target's threads (limit+1 rows, to know whether more follow).
func roots(ctx context.Context, q db.Querier, viewer int64, t Target, sort string, after int64, limit int) ([]*Comment, error) {
	sql := `SELECT ` + columns + ` FROM comments c` + joins + ` WHERE c.target_type = $2 AND c.target_id = $3` + notPending
	args := []any{viewer, t.Type, t.ID, limit}
	if after == 0 {
		sql += rootQueries[sort][0]
	} else {
		sql += rootQueries[sort][1]
		args = append(args, after)
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, viewer)
}

// firstReplies reads up to perRoot replies of each root, oldest first: one index range
// scan per root, whatever the size of its thread.
func firstReplies(ctx context.Context, q db.Querier, viewer int64, rootIDs []int64, perRoot int) ([]*Comment, error) {
	if len(rootIDs) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM unnest($2::bigint[]) AS r(id)
		CROSS JOIN LATERAL (SELECT * FROM comments x WHERE x.root_id = r.id
			AND (x.status <> 'pending' OR x.author_id = $1) ORDER BY x.id LIMIT $3) c`+joins+`
		ORDER BY c.id`, viewer, rootIDs, perRoot)
	if err != nil {
		return nil, err
	}
	return collect(rows, viewer)
}

// threadReplies reads a thread's replies after the reply after, oldest first.
func threadReplies(ctx context.Context, q db.Querier, viewer, rootID, after int64, limit int) ([]*Comment, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM comments c`+joins+`
		WHERE c.root_id = $2 AND c.id > $3`+notPending+` ORDER BY c.id LIMIT $4`, viewer, rootID, after, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, viewer)
}

// summary reads a target's counts and its newest comment's id, in one statement.
func summary(ctx context.Context, q db.Querier, t Target) (Summary, error) {
	var s Summary
	err := q.QueryRow(ctx, `SELECT coalesce(s.comments, 0), coalesce(s.stance_for, 0), coalesce(s.stance_against, 0),
			coalesce(s.stance_neutral, 0), coalesce(s.paper, 0),
			(SELECT coalesce(max(id), 0) FROM comments WHERE target_type = $1 AND target_id = $2)
		FROM (SELECT 1) AS one LEFT JOIN comment_stats s ON s.target_type = $1 AND s.target_id = $2`,
		t.Type, t.ID).Scan(&s.Comments, &s.For, &s.Against, &s.Neutral, &s.Paper, &s.LastID)
	return s, err
}

// since reads a target's visible comments written after the comment after, oldest
// first: what a page that missed live messages has not shown.
func since(ctx context.Context, q db.Querier, viewer int64, t Target, after int64, limit int) ([]*Comment, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM comments c`+joins+`
		WHERE c.target_type = $2 AND c.target_id = $3 AND c.id > $4 AND c.status = 'visible'
		ORDER BY c.id LIMIT $5`, viewer, t.Type, t.ID, after, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, viewer)
}

// count adds delta (1 or −1) to a target's counts for a comment of stance and channel,
// in the caller's transaction.
func count(ctx context.Context, tx pgx.Tx, t Target, stance, channel string, delta int) error {
	paper := 0
	if channel == Paper {
		paper = delta
	}
	f, a, n := 0, 0, 0
	switch stance {
	case For:
		f = delta
	case Against:
		a = delta
	default:
		n = delta
	}
	if delta < 0 {
		// A plain update: the row exists since the comment's post, and an upsert would
		// check its negative insert values before finding the conflict.
		_, err := tx.Exec(ctx, `UPDATE comment_stats SET comments = comments + $3, stance_for = stance_for + $4,
			stance_against = stance_against + $5, stance_neutral = stance_neutral + $6, paper = paper + $7
			WHERE target_type = $1 AND target_id = $2`, t.Type, t.ID, delta, f, a, n, paper)
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO comment_stats AS s (target_type, target_id, comments, stance_for, stance_against, stance_neutral, paper)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (target_type, target_id) DO UPDATE SET comments = s.comments + excluded.comments,
			stance_for = s.stance_for + excluded.stance_for, stance_against = s.stance_against + excluded.stance_against,
			stance_neutral = s.stance_neutral + excluded.stance_neutral, paper = s.paper + excluded.paper`,
		t.Type, t.ID, delta, f, a, n, paper)
	return err
}

// revisions reads a comment's earlier versions, oldest first.
func revisions(ctx context.Context, q db.Querier, id int64) ([]Revision, error) {
	rows, err := q.Query(ctx, `SELECT body, body_html, written_at, created_at FROM comment_revisions
		WHERE comment_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Revision, error) {
		var v Revision
		var html string
		err := r.Scan(&v.Body, &html, &v.WrittenAt, &v.ReplacedAt)
		v.BodyHTML = markdown.Stored(html)
		return v, err
	})
}
