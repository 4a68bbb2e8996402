package comment

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
)

// PersonalData is the comment feature's share of a person's data: their comments and
// votes in the export; on erasure the comments stay, shown as from a deleted
// participant, and the votes are dropped while the counts they made stay.
type PersonalData struct{}

// Name is the key in the export.
func (PersonalData) Name() string { return "comments" }

type exported struct {
	Comments []exportedComment `json:"comments"`
	Votes    []exportedVote    `json:"votes"`
}

type exportedComment struct {
	ID         int64      `json:"id"`
	TargetType string     `json:"target_type"`
	TargetID   int64      `json:"target_id"`
	ParentID   *int64     `json:"parent_id"`
	Stance     string     `json:"stance"`
	Body       string     `json:"body"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	EditedAt   *time.Time `json:"edited_at,omitempty"`
	Revisions  []string   `json:"earlier_versions,omitempty"`
}

type exportedVote struct {
	CommentID int64     `json:"comment_id"`
	Value     int       `json:"value"`
	At        time.Time `json:"at"`
}

// Export lists the person's comments (with earlier versions) and votes.
func (PersonalData) Export(ctx context.Context, q db.Querier, userID int64) (any, error) {
	rows, err := q.Query(ctx, `SELECT c.id, c.target_type, c.target_id, c.parent_id, c.stance, c.body, c.status,
		c.created_at, c.edited_at, array(SELECT r.body FROM comment_revisions r WHERE r.comment_id = c.id ORDER BY r.id)
		FROM comments c WHERE c.author_id = $1 ORDER BY c.id`, userID)
	if err != nil {
		return nil, err
	}
	var out exported
	out.Comments, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (exportedComment, error) {
		var c exportedComment
		err := r.Scan(&c.ID, &c.TargetType, &c.TargetID, &c.ParentID, &c.Stance, &c.Body, &c.Status, &c.CreatedAt,
			&c.EditedAt, &c.Revisions)
		return c, err
	})
	if err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT comment_id, value, created_at FROM comment_votes WHERE user_id = $1 ORDER BY comment_id`, userID)
	if err != nil {
		return nil, err
	}
	out.Votes, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (exportedVote, error) {
		var v exportedVote
		err := r.Scan(&v.CommentID, &v.Value, &v.At)
		return v, err
	})
	return out, err
}

// Erase unlinks the person's comments and edits and drops their votes; the counts on
// comments and targets do not change.
func (PersonalData) Erase(ctx context.Context, tx pgx.Tx, userID int64) error {
	for _, q := range []string{
		`UPDATE comments SET author_id = NULL WHERE author_id = $1`,
		`UPDATE comment_revisions SET edited_by = NULL WHERE edited_by = $1`,
		`DELETE FROM comment_votes WHERE user_id = $1`,
	} {
		if _, err := tx.Exec(ctx, q, userID); err != nil {
			return err
		}
	}
	return nil
}
