// Package account holds people's accounts and roles. Everyone is a resident; advocates,
// moderators and admins carry extra roles.
package account

import (
	"context"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
)

// Roles beyond "resident", which everyone has.
const (
	RoleResident  = "resident"
	RoleAdvocate  = "advocate"
	RoleModerator = "moderator"
	RoleAdmin     = "admin"
)

// StaffRoles are the roles stored per account.
var StaffRoles = []string{RoleAdvocate, RoleModerator, RoleAdmin}

// User is an account.
type User struct {
	ID          int64
	Email       string
	DisplayName string
	Roles       []string // always includes "resident"
	Verified    bool
	CreatedAt   time.Time
}

// NewUser is what creating an account needs.
type NewUser struct {
	Email          string
	Password       string
	DisplayName    string
	Roles          []string
	Verified       bool
	EmailConfirmed bool
	Demo           bool
}

// Service holds the account rules.
type Service struct{ pool *pgxpool.Pool }

// NewService wraps pool.
func NewService(pool *pgxpool.Pool) *Service { return &Service{pool: pool} }

// Create validates and stores a new account. A taken email is a 409 email_taken.
func (s *Service) Create(ctx context.Context, in NewUser) (User, error) {
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	bad := problem.Fields{}
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 254 {
		bad.Add("email", "account.email_invalid")
	}
	if key := passwordProblem(in.Password); key != "" {
		bad.Add("password", key)
	}
	if n := utf8.RuneCountInString(in.DisplayName); n < 1 || n > 80 {
		bad.Add("display_name", "account.display_name_length")
	}
	for _, r := range in.Roles {
		if r != RoleResident && !slices.Contains(StaffRoles, r) {
			bad.Add("role", "account.role_unknown")
		}
	}
	if err := bad.Err(); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	u := User{Email: in.Email, DisplayName: in.DisplayName, Verified: in.Verified, Roles: []string{RoleResident}}
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO users (email, password_hash, display_name, verified_at, email_confirmed_at, demo)
			VALUES ($1, $2, $3, CASE WHEN $4 THEN now() END, CASE WHEN $5 THEN now() END, $6)
			RETURNING id, created_at`,
			in.Email, hash, in.DisplayName, in.Verified, in.EmailConfirmed, in.Demo).Scan(&u.ID, &u.CreatedAt)
		if err != nil {
			return err
		}
		for _, r := range in.Roles {
			if r == RoleResident || slices.Contains(u.Roles, r) {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, u.ID, r); err != nil {
				return err
			}
			u.Roles = append(u.Roles, r)
		}
		return nil
	})
	if db.IsUniqueViolation(err, "users_email_key") {
		return User{}, problem.Conflict("email_taken", "account.email_taken")
	}
	return u, err
}

// Exists reports whether an account with email exists.
func (s *Service) Exists(ctx context.Context, email string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)`,
		strings.ToLower(strings.TrimSpace(email))).Scan(&ok)
	return ok, err
}
