package account

import (
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/cursor"
	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
)

// What moderators and admins do with accounts: find people, grant and revoke roles,
// verify residents in person, and print invitation codes that verify those who redeem
// them. Every change is written to the audit log in the same transaction.

// UserSummary is a row of the staff's people list.
type UserSummary struct {
	ID             int64     `db:"id"`
	Email          string    `db:"email"`
	DisplayName    string    `db:"display_name"`
	Roles          []string  `db:"roles"`
	Verified       bool      `db:"verified"`
	Member         bool      `db:"member"`
	EmailConfirmed bool      `db:"email_confirmed"`
	Demo           bool      `db:"demo"`
	CreatedAt      time.Time `db:"created_at"`
}

// UserDetail is one person as the staff see them.
type UserDetail struct {
	UserSummary
	VerifiedAt     *time.Time `db:"verified_at"`
	VerifiedMethod *string    `db:"verified_method"`
	VerifiedNote   string     `db:"verified_note"`
	VerifiedByName *string    `db:"verified_by_name"`
	BlockedAt      *time.Time `db:"blocked_at"`
	BlockedReason  *string    `db:"blocked_reason"`
	BlockedByName  *string    `db:"blocked_by_name"`
}

const pageSize = 50

const summaryColumns = `u.id, u.email, u.display_name,
	array(SELECT r.role FROM user_roles r WHERE r.user_id = u.id ORDER BY r.role) AS roles,
	u.verified_at IS NOT NULL AS verified, is_member(u.id) AS member, u.email_confirmed_at IS NOT NULL AS email_confirmed,
	u.demo, u.created_at`

// ListUsers finds people by name or email (q), optionally with a role, newest first;
// after is the last id of the previous page.
func (s *Service) ListUsers(ctx context.Context, p auth.Principal, q, role string, after int64) ([]UserSummary, int64, error) {
	if err := auth.RequireStaff(p); err != nil {
		return nil, 0, err
	}
	if role != "" && !slices.Contains(StaffRoles, role) && role != "verified" {
		return nil, 0, problem.Invalid(map[string]string{"role": "account.role_unknown"})
	}
	q = strings.TrimSpace(q)
	if utf8.RuneCountInString(q) > 100 {
		return nil, 0, problem.Invalid(map[string]string{"q": "account.search_too_long"})
	}
	rows, err := s.pool.Query(ctx, `SELECT `+summaryColumns+` FROM users u
		WHERE u.deleted_at IS NULL
		  AND ($1 = '' OR u.display_name ILIKE '%' || $1 || '%' OR ($5 AND u.email ILIKE '%' || $1 || '%'))
		  AND ($2 = '' OR ($2 = 'verified' AND u.verified_at IS NOT NULL)
		       OR EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = $2))
		  AND ($3 = 0 OR u.id < $3)
		ORDER BY u.id DESC LIMIT $4`, escapeLike(q), role, after, pageSize+1, p.Has(auth.Admin))
	if err != nil {
		return nil, 0, err
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[UserSummary])
	if err != nil {
		return nil, 0, err
	}
	list, next := cursor.Page(list, pageSize, func(x UserSummary) int64 { return x.ID })
	for i := range list {
		list[i].Roles = append([]string{RoleResident}, list[i].Roles...)
	}
	return list, next, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// GetUser shows one person to the staff.
func (s *Service) GetUser(ctx context.Context, p auth.Principal, id int64) (UserDetail, error) {
	if err := auth.RequireStaff(p); err != nil {
		return UserDetail{}, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+summaryColumns+`, u.verified_at, u.verified_method, u.verified_note,
		(SELECT v.display_name FROM users v WHERE v.id = u.verified_by) AS verified_by_name,
		u.blocked_at, u.blocked_reason, (SELECT b.display_name FROM users b WHERE b.id = u.blocked_by) AS blocked_by_name
		FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL`, id)
	if err != nil {
		return UserDetail{}, err
	}
	d, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[UserDetail])
	if errors.Is(err, pgx.ErrNoRows) {
		return d, problem.NotFound()
	}
	d.Roles = append([]string{RoleResident}, d.Roles...)
	return d, err
}

func checkReason(bad problem.Fields, reason string, required bool) string {
	reason = strings.TrimSpace(reason)
	n := utf8.RuneCountInString(reason)
	if required && n == 0 {
		bad.Add("reason", "account.reason_required")
	}
	if n > 500 {
		bad.Add("reason", "account.reason_too_long")
	}
	return reason
}

// SetRoles gives a person exactly the listed extra roles (admins only). An admin cannot
// take their own admin role away, so the platform is never left without one by mistake.
func (s *Service) SetRoles(ctx context.Context, p auth.Principal, id int64, roles []string, reason string) error {
	if err := auth.RequireAdmin(p); err != nil {
		return err
	}
	bad := problem.Fields{}
	want := []string{}
	for _, r := range roles {
		switch {
		case r == RoleResident:
		case !slices.Contains(StaffRoles, r):
			bad.Add("roles", "account.role_unknown")
		case !slices.Contains(want, r):
			want = append(want, r)
		}
	}
	reason = checkReason(bad, reason, true)
	if id == p.UserID && !slices.Contains(want, RoleAdmin) {
		bad.Add("roles", "account.cannot_drop_own_admin")
	}
	if err := bad.Err(); err != nil {
		return err
	}
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var have []string
		if err := tx.QueryRow(ctx, `SELECT array(SELECT role FROM user_roles WHERE user_id = u.id ORDER BY role)
			FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL FOR UPDATE`, id).Scan(&have); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return problem.NotFound()
			}
			return err
		}
		for _, r := range StaffRoles {
			switch had, wants := slices.Contains(have, r), slices.Contains(want, r); {
			case wants && !had:
				if _, err := tx.Exec(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, id, r); err != nil {
					return err
				}
				if err := audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "role.grant", TargetType: "user",
					TargetID: id, Reason: reason, Details: map[string]any{"role": r}}); err != nil {
					return err
				}
			case had && !wants:
				if _, err := tx.Exec(ctx, `DELETE FROM user_roles WHERE user_id = $1 AND role = $2`, id, r); err != nil {
					return err
				}
				if err := audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "role.revoke", TargetType: "user",
					TargetID: id, Reason: reason, Details: map[string]any{"role": r}}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.Sessions.Forget(ctx, id)
}

// Verify marks a resident as verified in person (moderators and admins); note says
// where, e.g. "spotkanie w Klubie Sąsiedzkim Podgórze".
func (s *Service) Verify(ctx context.Context, p auth.Principal, id int64, note string) error {
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	bad := problem.Fields{}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > 500 {
		bad.Add("note", "account.reason_too_long")
	}
	if err := bad.Err(); err != nil {
		return err
	}
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET verified_at = now(), verified_by = $2, verified_method = 'in_person',
			verified_note = $3 WHERE id = $1 AND deleted_at IS NULL AND verified_at IS NULL`, id, p.UserID, note)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return s.notFoundOr(ctx, tx, id, problem.Conflict("already_verified", "account.already_verified"))
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "user.verify", TargetType: "user",
			TargetID: id, Reason: note, Details: map[string]any{"method": "in_person"}})
	})
	if err != nil {
		return err
	}
	return s.Sessions.Forget(ctx, id)
}

// Unverify withdraws a verification (admins), with a reason.
func (s *Service) Unverify(ctx context.Context, p auth.Principal, id int64, reason string) error {
	if err := auth.RequireAdmin(p); err != nil {
		return err
	}
	bad := problem.Fields{}
	reason = checkReason(bad, reason, true)
	if err := bad.Err(); err != nil {
		return err
	}
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET verified_at = NULL, verified_by = NULL, verified_method = NULL,
			verified_note = '' WHERE id = $1 AND deleted_at IS NULL AND verified_at IS NOT NULL`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return s.notFoundOr(ctx, tx, id, problem.Conflict("not_verified", "account.not_verified"))
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "user.unverify", TargetType: "user",
			TargetID: id, Reason: reason})
	})
	if err != nil {
		return err
	}
	return s.Sessions.Forget(ctx, id)
}

func (s *Service) notFoundOr(ctx context.Context, tx pgx.Tx, id int64, other error) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND deleted_at IS NULL)`, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return problem.NotFound()
	}
	return other
}

// Batch is a set of invitation codes printed for one event.
type Batch struct {
	ID        int64     `db:"id"`
	Label     string    `db:"label"`
	CreatedAt time.Time `db:"created_at"`
	ExpiresAt time.Time `db:"expires_at"`
	Total     int       `db:"total"`
	Redeemed  int       `db:"redeemed"`
	CreatedBy *string   `db:"created_by_name"`
}

// Code is one printed code.
type Code struct {
	Code     string `db:"code"`
	Redeemed bool   `db:"redeemed"`
}

// Pretty groups a code for reading aloud and typing: "ABCD-EFGH-JK".
func (c Code) Pretty() string { return c.Code[:4] + "-" + c.Code[4:8] + "-" + c.Code[8:] }

// codeAlphabet leaves out 0, O, 1 and I, which people mix up on paper.
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func newCode() string {
	b := make([]byte, 10)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(codeAlphabet))))
		if err != nil {
			panic(err)
		}
		b[i] = codeAlphabet[n.Int64()]
	}
	return string(b)
}

// Limits of a batch.
const (
	MaxBatchSize = 500
	MaxBatchDays = 365
)

// CreateBatch makes count codes valid for days, for an event named label.
func (s *Service) CreateBatch(ctx context.Context, p auth.Principal, label string, count, days int) (int64, error) {
	if err := auth.RequireStaff(p); err != nil {
		return 0, err
	}
	bad := problem.Fields{}
	label = strings.TrimSpace(label)
	if n := utf8.RuneCountInString(label); n < 1 || n > 200 {
		bad.Add("label", "account.batch_label_length")
	}
	if count < 1 || count > MaxBatchSize {
		bad.Add("count", "account.batch_count_range")
	}
	if days < 1 || days > MaxBatchDays {
		bad.Add("days", "account.batch_days_range")
	}
	if err := bad.Err(); err != nil {
		return 0, err
	}
	var id int64
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO invitation_batches (label, created_by, expires_at)
			VALUES ($1, $2, now() + make_interval(days => $3)) RETURNING id`, label, p.UserID, days).Scan(&id); err != nil {
			return err
		}
		codes := make([]string, 0, count)
		for len(codes) < count {
			codes = append(codes, newCode())
		}
		tag, err := tx.Exec(ctx, `INSERT INTO invitation_codes (code, batch_id) SELECT unnest($1::text[]), $2
			ON CONFLICT DO NOTHING`, codes, id)
		if err != nil {
			return err
		}
		if int(tag.RowsAffected()) != count {
			return errors.New("invitation codes: a random code collided; try again")
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "invitation.create_batch",
			TargetType: "invitation_batch", TargetID: id, Reason: label, Details: map[string]any{"count": count, "days": days}})
	})
	return id, err
}

const batchColumns = `b.id, b.label, b.created_at, b.expires_at,
	(SELECT count(*) FROM invitation_codes c WHERE c.batch_id = b.id)::int AS total,
	(SELECT count(*) FROM invitation_codes c WHERE c.batch_id = b.id AND c.redeemed_at IS NOT NULL)::int AS redeemed,
	(SELECT u.display_name FROM users u WHERE u.id = b.created_by) AS created_by_name`

// Batches lists the invitation batches, newest first.
func (s *Service) Batches(ctx context.Context, p auth.Principal) ([]Batch, error) {
	if err := auth.RequireStaff(p); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+batchColumns+` FROM invitation_batches b ORDER BY b.id DESC LIMIT 200`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Batch])
}

// BatchCodes returns a batch and its codes, for printing.
func (s *Service) BatchCodes(ctx context.Context, p auth.Principal, id int64) (Batch, []Code, error) {
	if err := auth.RequireStaff(p); err != nil {
		return Batch{}, nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+batchColumns+` FROM invitation_batches b WHERE b.id = $1`, id)
	if err != nil {
		return Batch{}, nil, err
	}
	b, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Batch])
	if errors.Is(err, pgx.ErrNoRows) {
		return b, nil, problem.NotFound()
	}
	if err != nil {
		return b, nil, err
	}
	rows, err = s.pool.Query(ctx, `SELECT code, redeemed_at IS NOT NULL AS redeemed FROM invitation_codes
		WHERE batch_id = $1 ORDER BY code`, id)
	if err != nil {
		return b, nil, err
	}
	codes, err := pgx.CollectRows(rows, pgx.RowToStructByName[Code])
	return b, codes, err
}

var redeemPerUser = ratelimit.Rule{Name: "redeem:user", Limit: 10, Window: time.Hour}

// NormaliseCode accepts what people type: lower case, spaces and dashes.
func NormaliseCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
}

// RedeemCode verifies the signed-in resident with an unused, unexpired code.
func (s *Service) RedeemCode(ctx context.Context, p auth.Principal, code string) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	if p.Verified {
		return problem.Conflict("already_verified", "account.already_verified_self")
	}
	if err := s.throttle(ctx, redeemPerUser, itoa(p.UserID)); err != nil {
		return err
	}
	code = NormaliseCode(code)
	invalid := &problem.Error{Status: 422, Code: "code_invalid", Key: "account.code_invalid",
		Fields: map[string]string{"code": "account.code_invalid"}}
	if len(code) != 10 {
		return invalid
	}
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var batchID int64
		err := tx.QueryRow(ctx, `UPDATE invitation_codes c SET redeemed_by = $2, redeemed_at = now()
			FROM invitation_batches b
			WHERE c.code = $1 AND c.batch_id = b.id AND c.redeemed_at IS NULL AND b.expires_at > now()
			RETURNING c.batch_id`, code, p.UserID).Scan(&batchID)
		if errors.Is(err, pgx.ErrNoRows) {
			return invalid
		}
		if db.IsUniqueViolation(err, "") {
			return problem.Conflict("already_verified", "account.already_verified_self")
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE users SET verified_at = now(), verified_method = 'code', verified_note = $2
			WHERE id = $1 AND verified_at IS NULL`, p.UserID, "batch "+itoa(batchID))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return problem.Conflict("already_verified", "account.already_verified_self")
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "user.verify", TargetType: "user",
			TargetID: p.UserID, Details: map[string]any{"method": "code", "batch_id": batchID}})
	})
	if err != nil {
		return err
	}
	return s.Sessions.Forget(ctx, p.UserID)
}

// Block stops a person from writing anything public (moderators and admins), with a
// reason, audited; their open pages are signed in again without the right to write.
// Only admins block moderators, and nobody blocks an admin or themselves.
func (s *Service) Block(ctx context.Context, p auth.Principal, id int64, reason string) error {
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	bad := problem.Fields{}
	reason = checkReason(bad, reason, true)
	if id == p.UserID {
		bad.Add("reason", "account.cannot_block_self")
	}
	if err := bad.Err(); err != nil {
		return err
	}
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var roles []string
		var blocked bool
		err := tx.QueryRow(ctx, `SELECT array(SELECT role FROM user_roles WHERE user_id = u.id), blocked_at IS NOT NULL
			FROM users u WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`, id).Scan(&roles, &blocked)
		if errors.Is(err, pgx.ErrNoRows) {
			return problem.NotFound()
		}
		if err != nil {
			return err
		}
		switch {
		case slices.Contains(roles, RoleAdmin):
			return problem.Conflict("cannot_block_admin", "account.cannot_block_admin")
		case slices.Contains(roles, RoleModerator) && !p.Has(auth.Admin):
			return problem.Forbidden() // moderators do not block each other
		case blocked:
			return problem.Conflict("already_blocked", "account.already_blocked")
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET blocked_at = now(), blocked_reason = $2, blocked_by = $3 WHERE id = $1`,
			id, reason, p.UserID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "user.block", TargetType: "user", TargetID: id, Reason: reason})
	})
	if err != nil {
		return err
	}
	return s.Sessions.Forget(ctx, id)
}

// Unblock gives a blocked person their voice back (moderators and admins), audited.
func (s *Service) Unblock(ctx context.Context, p auth.Principal, id int64, reason string) error {
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	bad := problem.Fields{}
	reason = checkReason(bad, reason, false)
	if err := bad.Err(); err != nil {
		return err
	}
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET blocked_at = NULL, blocked_reason = NULL, blocked_by = NULL
			WHERE id = $1 AND deleted_at IS NULL AND blocked_at IS NOT NULL`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return s.notFoundOr(ctx, tx, id, problem.Conflict("not_blocked", "account.not_blocked"))
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "user.unblock", TargetType: "user", TargetID: id, Reason: reason})
	})
	if err != nil {
		return err
	}
	return s.Sessions.Forget(ctx, id)
}
