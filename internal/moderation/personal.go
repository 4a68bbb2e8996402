package moderation

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
)

// PersonalData is the moderation feature's share of a person's data: the reports they
// made and the appeals they wrote. On erasure their reports go (the decisions made on
// them stay, with their audit records) and their appeals lose their text.
type PersonalData struct{}

// Name is the key in the export.
func (PersonalData) Name() string { return "moderation" }

type exportedReport struct {
	ItemType  string    `json:"item_type"`
	ItemID    int64     `json:"item_id"`
	Reason    string    `json:"reason"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

type exportedAppeal struct {
	ItemType   string    `json:"item_type"`
	ItemID     int64     `json:"item_id"`
	Text       string    `json:"text"`
	AppealedAt time.Time `json:"appealed_at"`
	Outcome    *string   `json:"outcome"`
}

// Export lists the person's reports and appeals.
func (PersonalData) Export(ctx context.Context, q db.Querier, userID int64) (any, error) {
	rows, err := q.Query(ctx, `SELECT c.item_type, c.item_id, r.reason, r.note, r.created_at
		FROM reports r JOIN moderation_cases c ON c.id = r.case_id WHERE r.reporter_id = $1 ORDER BY r.id`, userID)
	if err != nil {
		return nil, err
	}
	reports, err := pgx.CollectRows(rows, pgx.RowToStructByPos[exportedReport])
	if err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT item_type, item_id, appeal, appealed_at, appeal_outcome FROM moderation_cases
		WHERE author_id = $1 AND appeal IS NOT NULL ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	appeals, err := pgx.CollectRows(rows, pgx.RowToStructByPos[exportedAppeal])
	if err != nil {
		return nil, err
	}
	return map[string]any{"reports": reports, "appeals": appeals}, nil
}

// Erase drops the person's reports and the words of their appeals, and unlinks them
// from the cases about their items.
func (PersonalData) Erase(ctx context.Context, tx pgx.Tx, userID int64) error {
	for _, q := range []string{
		`DELETE FROM reports WHERE reporter_id = $1`,
		`UPDATE moderation_cases SET appeal = '—' WHERE author_id = $1 AND appeal IS NOT NULL`,
		`UPDATE moderation_cases SET author_id = NULL WHERE author_id = $1`,
		`UPDATE moderation_cases SET decided_by = NULL WHERE decided_by = $1`,
	} {
		if _, err := tx.Exec(ctx, q, userID); err != nil {
			return err
		}
	}
	return nil
}
