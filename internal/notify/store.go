package notify

import (
	"context"
	"errors"
	"math"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/cursor"
	"lawka/internal/platform/db"
)

func follow(ctx context.Context, q db.Querier, userID int64, t Target) error {
	_, err := q.Exec(ctx, `INSERT INTO follows (user_id, target_type, target_id) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, userID, t.Type, t.ID)
	return err
}

func unfollow(ctx context.Context, q db.Querier, userID int64, t Target) error {
	_, err := q.Exec(ctx, `DELETE FROM follows WHERE user_id = $1 AND target_type = $2 AND target_id = $3`,
		userID, t.Type, t.ID)
	return err
}

func following(ctx context.Context, q db.Querier, userID int64, t Target) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM follows WHERE user_id = $1 AND target_type = $2 AND target_id = $3)`,
		userID, t.Type, t.ID).Scan(&ok)
	return ok, err
}

// fanOut inserts one notification per recipient (followers and ev.Also, once each, not
// the actor, not erased accounts) and moves their counts, in one statement. Counts
// are locked in user order, so two fan-outs to overlapping people wait for each other
// instead of deadlocking.
func fanOut(ctx context.Context, q db.Querier, ev Event) (Sent, error) {
	also, except := ev.Also, ev.Except
	if also == nil {
		also = []int64{}
	}
	if except == nil {
		except = []int64{}
	}
	rows, err := q.Query(ctx, `WITH recipients AS (
			SELECT user_id FROM follows WHERE target_type = $1 AND target_id = $2 AND NOT $7
			UNION SELECT unnest($3::bigint[])
		), kept AS (
			SELECT r.user_id FROM recipients r JOIN users u ON u.id = r.user_id
			WHERE u.deleted_at IS NULL AND r.user_id <> $4 AND r.user_id <> ALL ($8::bigint[])
		), inserted AS (
			INSERT INTO notifications (user_id, kind, target_type, target_id, actor_id, data)
			SELECT user_id, $5, $1, $2, nullif($4, 0), $6 FROM kept
			RETURNING user_id
		)
		INSERT INTO notification_counts AS c (user_id, unread, version)
		SELECT user_id, 1, 1 FROM inserted ORDER BY user_id
		ON CONFLICT (user_id) DO UPDATE SET unread = c.unread + 1, version = c.version + 1
		RETURNING user_id, unread, version`,
		ev.Target.Type, ev.Target.ID, also, ev.ActorID, ev.Kind, ev.Data, ev.Only, except)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Count])
}

// markRead marks the person's unread notifications (ids, or all) read and lowers the
// count by exactly as many as changed, in one statement.
func markRead(ctx context.Context, q db.Querier, userID int64, ids []int64, all bool) (Count, error) {
	if ids == nil {
		ids = []int64{}
	}
	c := Count{UserID: userID}
	err := q.QueryRow(ctx, `WITH changed AS (
			UPDATE notifications SET read_at = now()
			WHERE user_id = $1 AND read_at IS NULL AND ($2 OR id = ANY($3))
			RETURNING 1
		)
		INSERT INTO notification_counts AS c (user_id, unread, version) VALUES ($1, 0, 1)
		ON CONFLICT (user_id) DO UPDATE SET unread = c.unread - (SELECT count(*) FROM changed), version = c.version + 1
		RETURNING unread, version`, userID, all, ids).Scan(&c.Unread, &c.Version)
	return c, err
}

func unread(ctx context.Context, q db.Querier, userID int64) (Count, error) {
	c := Count{UserID: userID}
	err := q.QueryRow(ctx, `SELECT unread, version FROM notification_counts WHERE user_id = $1`, userID).
		Scan(&c.Unread, &c.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, nil
	}
	return c, err
}

// listPage reads a page of the person's notifications, newest first (keyset on id).
func listPage(ctx context.Context, q db.Querier, userID int64, cur string, size int) ([]Notification, string, error) {
	after, err := cursor.Decode(cur)
	if err != nil {
		return nil, "", err
	}
	if after == 0 {
		after = math.MaxInt64
	}
	rows, err := q.Query(ctx, `SELECT n.id, n.kind, n.target_type, n.target_id, n.actor_id, u.display_name,
		u.deleted_at IS NOT NULL, n.data, n.read_at, n.created_at
		FROM notifications n LEFT JOIN users u ON u.id = n.actor_id
		WHERE n.user_id = $1 AND n.id < $2 ORDER BY n.id DESC LIMIT $3`, userID, after, size+1)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, scanNotification)
	if err != nil {
		return nil, "", err
	}
	list, next := cursor.Page(list, size, func(n Notification) int64 { return n.ID })
	if next == 0 {
		return list, "", nil
	}
	return list, cursor.Encode(next), nil
}

func scanNotification(r pgx.CollectableRow) (Notification, error) {
	var n Notification
	var actorID *int64
	var actorName *string
	var erased *bool
	err := r.Scan(&n.ID, &n.Kind, &n.Target.Type, &n.Target.ID, &actorID, &actorName, &erased, &n.Data,
		&n.ReadAt, &n.CreatedAt)
	if actorID != nil && actorName != nil && (erased == nil || !*erased) {
		n.Actor = &Actor{ID: *actorID, DisplayName: *actorName}
	}
	n.Read = n.ReadAt != nil
	if n.Data == nil {
		n.Data = map[string]any{}
	}
	return n, err
}
