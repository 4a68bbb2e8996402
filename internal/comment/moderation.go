package comment

import (
	"context"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
)

// Gate is the moderation feature as comments need it: whether a comment waits for a
// moderator (pre-moderation of first-time posters where the target's place asks for
// it), and opening the case of one that does. Without one (seeds, tests) nothing waits.
type Gate interface {
	Hold(ctx context.Context, q db.Querier, p auth.Principal, t Target) (bool, error)
	Held(ctx context.Context, tx pgx.Tx, id, authorID int64) error
}

// ForModeration reads comments by id whatever their status, text included (for the
// moderation feature, which shows them to moderators).
func (s *Service) ForModeration(ctx context.Context, q db.Querier, ids []int64) ([]*Comment, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM comments c`+joins+` WHERE c.id = ANY($2) ORDER BY c.id`, int64(0), ids)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[row])
	if err != nil {
		return nil, err
	}
	out := make([]*Comment, len(list))
	for i, r := range list {
		// as written, whatever the status: moderators decide on the text itself
		visible := r
		visible.Status = Visible
		out[i] = visible.comment(0)
		out[i].Status = r.Status
	}
	return out, nil
}

// SetModeration shows (to visible) or hides (to hidden, with the public reason) a
// comment inside the moderation feature's transaction, keeping the target's counts: a
// comment counts while visible. A held comment shown for the first time is announced
// then, live and to the people its posting would have told. A deleted comment stays
// deleted.
func (s *Service) SetModeration(ctx context.Context, tx pgx.Tx, id int64, to, reason string) (func(context.Context), error) {
	nothing := func(context.Context) {}
	var t Target
	var status, stance, channel string
	var parent *int64
	var author *int64
	if err := tx.QueryRow(ctx, `SELECT target_type, target_id, status, stance, channel, parent_id, author_id FROM comments
		WHERE id = $1 FOR UPDATE`, id).Scan(&t.Type, &t.ID, &status, &stance, &channel, &parent, &author); err != nil {
		return nil, err
	}
	if status == Deleted || status == to && to == Visible {
		return nothing, nil
	}
	var hidden *string
	if to == Hidden {
		hidden = &reason
	}
	if _, err := tx.Exec(ctx, `UPDATE comments SET status = $2, hidden_reason = $3 WHERE id = $1`, id, to, hidden); err != nil {
		return nil, err
	}
	switch {
	case status == Visible && to == Hidden:
		return nothing, count(ctx, tx, t, stance, channel, -1)
	case status == Hidden && to == Visible:
		return nothing, count(ctx, tx, t, stance, channel, 1)
	case status == Pending && to == Visible:
		news := News{Target: t, CommentID: id}
		k, err := s.kind(t.Type)
		if err != nil {
			return nil, err
		}
		// the title before the counts' row lock (see News.Title)
		if news.Title, err = k.Title(ctx, t.ID); err != nil {
			return nil, err
		}
		if err := count(ctx, tx, t, stance, channel, 1); err != nil {
			return nil, err
		}
		if author != nil {
			news.AuthorID = *author
		}
		if parent != nil {
			if err := tx.QueryRow(ctx, `SELECT coalesce(author_id, 0) FROM comments WHERE id = $1`, *parent).
				Scan(&news.ParentAuthorID); err != nil {
				return nil, err
			}
		}
		announce, err := s.commented(ctx, tx, news)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) {
			announce(ctx)
			if c, err := load(ctx, s.pool, 0, id); err == nil {
				s.publish(ctx, k.Room(t.ID), c)
			}
		}, nil
	}
	return nothing, nil
}

// HasVisible says whether the person has a comment the public sees.
func (s *Service) HasVisible(ctx context.Context, q db.Querier, userID int64) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM comments WHERE author_id = $1 AND status = 'visible')`, userID).Scan(&ok)
	return ok, err
}
