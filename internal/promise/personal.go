package promise

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
)

// PersonalData exports and erases what a person did in the promise tracker.
type PersonalData struct{}

// Name is the key in the export.
func (PersonalData) Name() string { return "promises" }

// Export lists the promises the person logged and the updates they wrote.
func (PersonalData) Export(ctx context.Context, q db.Querier, userID int64) (any, error) {
	type logged struct {
		ID       int64     `json:"id"`
		DebateID int64     `json:"debate_id"`
		Text     string    `json:"text"`
		At       time.Time `json:"at"`
	}
	rows, err := q.Query(ctx, `SELECT id, event_id, text, created_at FROM promises WHERE created_by = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	promises, err := pgx.CollectRows(rows, pgx.RowToStructByPos[logged])
	if err != nil {
		return nil, err
	}
	type written struct {
		ID        int64     `json:"id"`
		PromiseID int64     `json:"promise_id"`
		Date      string    `json:"date"`
		ToStatus  *string   `json:"to_status"`
		Note      string    `json:"note"`
		Links     []string  `json:"links"`
		At        time.Time `json:"at"`
	}
	rows, err = q.Query(ctx, `SELECT id, promise_id, to_char(happened_on, 'YYYY-MM-DD'), to_status, note, links, created_at
		FROM promise_updates WHERE author_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	updates, err := pgx.CollectRows(rows, pgx.RowToStructByPos[written])
	if promises == nil {
		promises = []logged{}
	}
	if updates == nil {
		updates = []written{}
	}
	return map[string]any{"logged": promises, "updates": updates}, err
}

// Erase unlinks the person from the promises they logged, the updates they wrote and
// the history lines of their changes: the public record stays, without their name.
func (PersonalData) Erase(ctx context.Context, tx pgx.Tx, userID int64) error {
	for _, sql := range []string{
		`UPDATE promises SET created_by = NULL WHERE created_by = $1`,
		`UPDATE promise_updates SET author_id = NULL WHERE author_id = $1`,
		`UPDATE promise_changes SET actor_id = NULL WHERE actor_id = $1`,
	} {
		if _, err := tx.Exec(ctx, sql, userID); err != nil {
			return err
		}
	}
	return nil
}
