package coalition

import (
	"context"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
)

// PersonalData is the coalition's share of a person's data: their signatures and the
// organisations they act for. On erasure a personal signature is withdrawn and its
// name removed; an organisation's signature stays (the organisation still signed) but
// loses its representative's name and scan.
type PersonalData struct{}

// Name is the key in the export.
func (PersonalData) Name() string { return "coalition" }

// Export lists the person's signatures and organisation memberships.
func (PersonalData) Export(ctx context.Context, q db.Querier, userID int64) (any, error) {
	rows, err := q.Query(ctx, `SELECT `+signatureColumns+signatureFrom+` WHERE s.user_id = $1 ORDER BY s.id`, userID)
	if err != nil {
		return nil, err
	}
	sigs, err := pgx.CollectRows(rows, pgx.RowToStructByName[Signature])
	if err != nil {
		return nil, err
	}
	type membership struct {
		Organisation string `json:"organisation"`
		Role         string `json:"role"`
	}
	rows, err = q.Query(ctx, `SELECT o.name, m.role FROM organisation_members m JOIN organisations o ON o.id = m.organisation_id
		WHERE m.user_id = $1 ORDER BY o.name`, userID)
	if err != nil {
		return nil, err
	}
	members, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (membership, error) {
		var m membership
		err := r.Scan(&m.Organisation, &m.Role)
		return m, err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"signatures": sigs, "organisations": members}, nil
}

// Erase removes the person's names and scans from signatures and their memberships.
func (PersonalData) Erase(ctx context.Context, tx pgx.Tx, userID int64) error {
	steps := []string{
		`UPDATE signatures SET status = 'withdrawn', withdrawn_at = now()
			WHERE user_id = $1 AND organisation_id IS NULL AND status IN ('pending', 'confirmed')`,
		`UPDATE signatures SET full_name = '---', role_title = '', scan_file_id = NULL WHERE user_id = $1`,
		`DELETE FROM files WHERE uploaded_by = $1`,
		`DELETE FROM organisation_members WHERE user_id = $1`,
		`DELETE FROM organisation_invites WHERE used_by = $1 OR email = (SELECT email FROM users WHERE id = $1)`,
	}
	for _, q := range steps {
		if _, err := tx.Exec(ctx, q, userID); err != nil {
			return err
		}
	}
	return nil
}

// WithdrawListing withdraws the person's consent to be named on the public list of
// allies: their personal signatures stay, unlisted.
func (s *Signatures) WithdrawListing(ctx context.Context, userID int64) error {
	_, err := s.pool.Exec(ctx, `UPDATE signatures SET list_publicly = false WHERE user_id = $1 AND organisation_id IS NULL`, userID)
	return err
}
