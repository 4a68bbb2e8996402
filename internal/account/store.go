package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
)

// userColumns are read by every user query; scanUser matches their order.
const userColumns = `u.id, u.email, u.display_name, u.verified_at IS NOT NULL, u.email_confirmed_at IS NOT NULL,
	coalesce(u.locale, ''), u.home_neighbourhood_id, u.created_at, u.password_hash,
	array(SELECT r.role FROM user_roles r WHERE r.user_id = u.id ORDER BY r.role)`

func scanUser(row pgx.Row) (User, string, error) {
	var u User
	var hash string
	var roles []string
	err := row.Scan(&u.ID, &u.Email, &u.DisplayName, &u.Verified, &u.EmailConfirmed, &u.Locale,
		&u.NeighbourhoodID, &u.CreatedAt, &hash, &roles)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, "", problem.NotFound()
	}
	u.Roles = append([]string{RoleResident}, roles...)
	return u, hash, err
}

func userByEmail(ctx context.Context, q db.Querier, email string) (User, string, error) {
	return scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.email = $1 AND u.deleted_at IS NULL`, email))
}

func userByID(ctx context.Context, q db.Querier, id int64) (User, string, error) {
	return scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL`, id))
}

func insertUser(ctx context.Context, tx pgx.Tx, in NewUser, hash string) (int64, error) {
	var id int64
	var terms *string
	if in.AcceptTerms {
		v := TermsVersion
		terms = &v
	}
	var locale *string
	if in.Locale != "" {
		locale = &in.Locale
	}
	err := tx.QueryRow(ctx, `
		INSERT INTO users (email, password_hash, display_name, home_neighbourhood_id, locale,
			terms_version, terms_accepted_at, verified_at, verified_method, email_confirmed_at, demo)
		VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6::text IS NOT NULL THEN now() END,
			CASE WHEN $7 THEN now() END, CASE WHEN $7 THEN 'admin' END, CASE WHEN $8 THEN now() END, $9)
		RETURNING id`,
		in.Email, hash, in.DisplayName, in.NeighbourhoodID, locale, terms, in.Verified, in.EmailConfirmed, in.Demo).Scan(&id)
	if db.IsUniqueViolation(err, "users_email_key") {
		return 0, &problem.Error{Status: 409, Code: "email_taken", Key: "account.email_taken",
			Fields: map[string]string{"email": "account.email_taken"}}
	}
	if err != nil {
		return 0, err
	}
	for _, r := range in.Roles {
		if r == RoleResident {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, r); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// newToken makes a random 256-bit token and the hash that is stored instead of it.
func newToken() (token string, hash []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Email token purposes.
const (
	purposeConfirm = "confirm_email"
	purposeReset   = "reset_password"
	purposeChange  = "change_email"
)

func insertEmailToken(ctx context.Context, q db.Querier, userID int64, purpose, newEmail string, ttl time.Duration) (string, error) {
	token, hash := newToken()
	var ne *string
	if newEmail != "" {
		ne = &newEmail
	}
	_, err := q.Exec(ctx, `INSERT INTO email_tokens (token_hash, user_id, purpose, new_email, expires_at)
		VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`, hash, userID, purpose, ne, ttl.Seconds())
	return token, err
}

// useEmailToken marks a valid token used and returns its user and new email. An unknown,
// used or expired token is problem "token_invalid".
func useEmailToken(ctx context.Context, tx pgx.Tx, token, purpose string) (userID int64, newEmail string, err error) {
	var ne *string
	err = tx.QueryRow(ctx, `UPDATE email_tokens SET used_at = now()
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
		RETURNING user_id, new_email`, hashToken(token), purpose).Scan(&userID, &ne)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", &problem.Error{Status: 400, Code: "token_invalid", Key: "account.token_invalid"}
	}
	if ne != nil {
		newEmail = *ne
	}
	return userID, newEmail, err
}

// checkEmailToken tells whether a token is valid without using it (to show its form).
func checkEmailToken(ctx context.Context, q db.Querier, token, purpose string) error {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM email_tokens WHERE token_hash = $1 AND purpose = $2
		AND used_at IS NULL AND expires_at > now())`, hashToken(token), purpose).Scan(&ok)
	if err == nil && !ok {
		return &problem.Error{Status: 400, Code: "token_invalid", Key: "account.token_invalid"}
	}
	return err
}
