package event

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
)

// PersonalData is this feature's share of a person's data: their registrations. Erasing
// the account gives their places to the people waiting (who are told by mail) and
// removes the registrations.
type PersonalData struct{ Svc *Service }

// Name is the key in the export.
func (PersonalData) Name() string { return "event_registrations" }

type exportedRegistration struct {
	EventID   int64     `json:"event_id"`
	Title     string    `json:"title"`
	StartsAt  time.Time `json:"starts_at"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Export lists the person's registrations.
func (PersonalData) Export(ctx context.Context, q db.Querier, userID int64) (any, error) {
	rows, err := q.Query(ctx, `SELECT e.id, e.title, e.starts_at, r.status, r.created_at, r.updated_at
		FROM event_registrations r JOIN events e ON e.id = r.event_id WHERE r.user_id = $1 ORDER BY r.id`, userID)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[exportedRegistration])
	if out == nil {
		out = []exportedRegistration{}
	}
	return out, err
}

// Erase withdraws the person from events still to come (their places go to the next in
// line) and deletes their registrations.
func (d PersonalData) Erase(ctx context.Context, tx pgx.Tx, userID int64) error {
	rows, err := tx.Query(ctx, `SELECT r.event_id, r.status FROM event_registrations r JOIN events e ON e.id = r.event_id
		WHERE r.user_id = $1 AND r.status <> 'cancelled' AND e.starts_at > $2 ORDER BY r.event_id`, userID, d.Svc.Now())
	if err != nil {
		return err
	}
	type active struct {
		EventID int64
		Status  string
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[active])
	if err != nil {
		return err
	}
	for _, a := range list {
		ev, err := lockEvent(ctx, tx, a.EventID)
		if err != nil {
			return err
		}
		if err := d.Svc.withdraw(ctx, tx, ev, userID, a.Status); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `DELETE FROM event_registrations WHERE user_id = $1`, userID)
	return err
}
