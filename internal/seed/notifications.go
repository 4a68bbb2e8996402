package seed

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/notify"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
)

// seedNotifications has the demo proposals' authors follow them and tells them, as the
// live platform would have, of the official answers their proposals got, so the
// header shows unread notifications on first start (the resident's among them).
func seedNotifications(ctx context.Context, pool *pgxpool.Pool) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM follows)`).Scan(&exists); err != nil || exists {
		return err
	}
	svc := notify.NewService(pool, notify.Deps{})
	svc.Register("proposal", seedFollowable{})
	rows, err := pool.Query(ctx, `SELECT p.id, p.author_id, p.title, c.from_status, c.to_status, coalesce(c.decided_by, 0),
		c.decided_by IS DISTINCT FROM p.author_id
		FROM proposals p JOIN proposal_status_changes c ON c.proposal_id = p.id
		WHERE p.author_id IS NOT NULL ORDER BY c.id`)
	if err != nil {
		return err
	}
	type change struct {
		proposal, author int64
		title, from, to  string
		actor            int64
		official         bool
	}
	changes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (change, error) {
		var c change
		err := r.Scan(&c.proposal, &c.author, &c.title, &c.from, &c.to, &c.actor, &c.official)
		return c, err
	})
	if err != nil {
		return err
	}
	return db.Tx(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO follows (user_id, target_type, target_id, created_at)
			SELECT author_id, 'proposal', id, created_at FROM proposals WHERE author_id IS NOT NULL ON CONFLICT DO NOTHING`); err != nil {
			return err
		}
		for _, c := range changes {
			_, err := svc.Notify(ctx, tx, notify.Event{Kind: notify.KindStatus, Target: notify.Target{Type: "proposal", ID: c.proposal},
				ActorID: c.actor, Data: map[string]any{"title": c.title, "from": c.from, "to": c.to, "official": c.official}})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// seedFollowable stands for proposals while seeding (everything there is public).
type seedFollowable struct{}

func (seedFollowable) CanFollow(context.Context, auth.Principal, int64) error { return nil }

func (seedFollowable) Path(id int64) string { return "/propozycje/" + strconv.FormatInt(id, 10) }
