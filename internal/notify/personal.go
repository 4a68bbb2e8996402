package notify

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
)

// PersonalData is this feature's share of a person's data: their follows, their
// notifications and their mail settings in the export; all of it erased with the
// account, and their name taken off the notifications their acts caused for others.
type PersonalData struct{}

// Name is the key in the export.
func (PersonalData) Name() string { return "notifications" }

type exported struct {
	DailyDigest   bool                   `json:"daily_digest"`
	Follows       []exportedFollow       `json:"follows"`
	Notifications []exportedNotification `json:"notifications"`
}

type exportedFollow struct {
	TargetType string    `json:"target_type"`
	TargetID   int64     `json:"target_id"`
	Since      time.Time `json:"since"`
}

type exportedNotification struct {
	ID         int64          `json:"id"`
	Kind       string         `json:"kind"`
	TargetType string         `json:"target_type"`
	TargetID   int64          `json:"target_id"`
	Data       map[string]any `json:"data"`
	ReadAt     *time.Time     `json:"read_at"`
	CreatedAt  time.Time      `json:"created_at"`
}

// Export lists the person's follows, notifications and digest setting.
func (PersonalData) Export(ctx context.Context, q db.Querier, userID int64) (any, error) {
	out := exported{Follows: []exportedFollow{}, Notifications: []exportedNotification{}}
	err := q.QueryRow(ctx, `SELECT coalesce((SELECT daily_digest FROM notification_settings WHERE user_id = $1), false)`,
		userID).Scan(&out.DailyDigest)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT target_type, target_id, created_at FROM follows WHERE user_id = $1
		ORDER BY created_at, target_type, target_id`, userID)
	if err != nil {
		return nil, err
	}
	if out.Follows, err = pgx.CollectRows(rows, pgx.RowToStructByPos[exportedFollow]); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT id, kind, target_type, target_id, data, read_at, created_at FROM notifications
		WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	if out.Notifications, err = pgx.CollectRows(rows, pgx.RowToStructByPos[exportedNotification]); err != nil {
		return nil, err
	}
	return out, nil
}

// Erase deletes the person's follows, notifications, count and settings, and unlinks
// them from notifications others got about their acts (shown as from "someone").
func (PersonalData) Erase(ctx context.Context, tx pgx.Tx, userID int64) error {
	for _, q := range []string{
		`DELETE FROM follows WHERE user_id = $1`,
		`DELETE FROM notifications WHERE user_id = $1`,
		`DELETE FROM notification_counts WHERE user_id = $1`,
		`DELETE FROM notification_settings WHERE user_id = $1`,
		`UPDATE notifications SET actor_id = NULL WHERE actor_id = $1`,
	} {
		if _, err := tx.Exec(ctx, q, userID); err != nil {
			return err
		}
	}
	return nil
}
