package account

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
)

// PersonalData is a feature's share of a person's data: what "download my data"
// includes and what "delete my account" erases. Each feature that stores something
// tied to a person registers one (signatures, comments, votes, …).
type PersonalData interface {
	// Name is the key of this part in the export ("signatures").
	Name() string
	// Export returns the person's data of this feature.
	Export(ctx context.Context, q db.Querier, userID int64) (any, error)
	// Erase removes or unlinks the person's data inside the erasure transaction;
	// public contributions stay, shown as from a deleted participant, and counts do
	// not change.
	Erase(ctx context.Context, tx pgx.Tx, userID int64) error
}

// ExportedAccount is the account part of the archive.
type ExportedAccount struct {
	ID              int64      `json:"id"`
	Email           string     `json:"email"`
	DisplayName     string     `json:"display_name"`
	Locale          *string    `json:"locale"`
	HomeDistrictID  *int64     `json:"home_district_id"`
	CreatedAt       time.Time  `json:"created_at"`
	EmailConfirmed  *time.Time `json:"email_confirmed_at"`
	TermsVersion    *string    `json:"terms_version"`
	TermsAcceptedAt *time.Time `json:"terms_accepted_at"`
	VerifiedAt      *time.Time `json:"verified_at"`
	VerifiedMethod  *string    `json:"verified_method"`
	Roles           []string   `json:"roles"`
}

// Export gathers everything tied to the signed-in person into one archive.
func (s *Service) Export(ctx context.Context, p auth.Principal) (map[string]any, error) {
	if !p.SignedIn() {
		return nil, problem.Unauthorized()
	}
	var a ExportedAccount
	err := s.pool.QueryRow(ctx, `SELECT id, email, display_name, locale, home_neighbourhood_id, created_at,
		email_confirmed_at, terms_version, terms_accepted_at, verified_at, verified_method,
		array(SELECT role FROM user_roles r WHERE r.user_id = u.id ORDER BY role)
		FROM users u WHERE id = $1 AND deleted_at IS NULL`, p.UserID).Scan(&a.ID, &a.Email, &a.DisplayName, &a.Locale,
		&a.HomeDistrictID, &a.CreatedAt, &a.EmailConfirmed, &a.TermsVersion, &a.TermsAcceptedAt, &a.VerifiedAt,
		&a.VerifiedMethod, &a.Roles)
	if err != nil {
		return nil, err
	}
	a.Roles = append([]string{RoleResident}, a.Roles...)
	sessions, err := s.Sessions.List(ctx, p.UserID, p.SessionID)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT at, action, target_type, target_id, reason FROM audit_log
		WHERE actor_id = $1 OR (target_type = 'user' AND target_id = $1) ORDER BY id`, p.UserID)
	if err != nil {
		return nil, err
	}
	type auditRow struct {
		At         time.Time `json:"at"`
		Action     string    `json:"action"`
		TargetType string    `json:"target_type"`
		TargetID   *int64    `json:"target_id"`
		Reason     string    `json:"reason"`
	}
	history, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auditRow, error) {
		var a auditRow
		err := r.Scan(&a.At, &a.Action, &a.TargetType, &a.TargetID, &a.Reason)
		return a, err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"exported_at": time.Now().UTC(),
		"account":     a,
		"sessions":    sessions,
		"history":     history,
	}
	for _, part := range s.Parts {
		data, err := part.Export(ctx, s.pool, p.UserID)
		if err != nil {
			return nil, err
		}
		out[part.Name()] = data
	}
	return out, nil
}

// DeleteAccount erases the person's personal data after checking their password: the
// account row stays as a tombstone ("Usunięty uczestnik") so public contributions keep
// their place, votes stay counted but unlinked, and every session ends.
func (s *Service) DeleteAccount(ctx context.Context, p auth.Principal, password string, confirm bool) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	bad := problem.Fields{}
	if !confirm {
		bad.Add("confirm_delete", "account.delete_confirm_required")
	}
	if err := bad.Err(); err != nil {
		return err
	}
	if err := s.reauthenticate(ctx, p, password); err != nil {
		return err
	}
	var ended []endedSession
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		for _, part := range s.Parts {
			if err := part.Erase(ctx, tx, p.UserID); err != nil {
				return err
			}
		}
		var email string
		if err := tx.QueryRow(ctx, `SELECT email FROM users WHERE id = $1`, p.UserID).Scan(&email); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `DELETE FROM sessions WHERE user_id = $1 RETURNING id, user_id, token_hash`, p.UserID)
		if err != nil {
			return err
		}
		if ended, err = pgx.CollectRows(rows, pgx.RowToStructByPos[endedSession]); err != nil {
			return err
		}
		steps := []string{
			// mail to a pending new address carries the person's name too
			`DELETE FROM mail_outbox WHERE to_address IN (SELECT new_email FROM email_tokens
				WHERE user_id = $1 AND purpose = 'change_email' AND new_email IS NOT NULL)`,
			`DELETE FROM email_tokens WHERE user_id = $1`,
			`DELETE FROM recovery_codes WHERE user_id = $1`,
			`DELETE FROM login_challenges WHERE user_id = $1`,
			`DELETE FROM user_roles WHERE user_id = $1`,
			`UPDATE invitation_codes SET redeemed_by = NULL WHERE redeemed_by = $1`,
			`UPDATE users SET email = 'deleted-' || id || '@invalid', display_name = '-', password_hash = '',
				locale = NULL, home_neighbourhood_id = NULL, email_confirmed_at = NULL, verified_at = NULL,
				verified_by = NULL, verified_method = NULL, verified_note = '', terms_version = NULL,
				terms_accepted_at = NULL, totp_secret = NULL, totp_pending_secret = NULL, totp_enabled_at = NULL,
				blocked_reason = CASE WHEN blocked_at IS NULL THEN NULL ELSE '' END, deleted_at = now() WHERE id = $1`,
		}
		for _, q := range steps {
			if _, err := tx.Exec(ctx, q, p.UserID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM mail_outbox WHERE to_address = $1`, email); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "user.erase", TargetType: "user", TargetID: p.UserID})
	})
	if err != nil {
		return err
	}
	return s.Sessions.afterEnd(ctx, ended)
}
