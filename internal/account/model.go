// Package account holds people's accounts, sessions and roles: registration with an
// email confirmation, sign-in for browsers (cookies) and API clients (bearer tokens),
// password reset, changes of email and password. Everyone is a resident; advocates,
// moderators and admins carry extra roles.
package account

import (
	"time"

	"lawka/internal/platform/auth"
)

// Roles, as the auth package names them.
const (
	RoleResident  = auth.Resident
	RoleAdvocate  = auth.Advocate
	RoleModerator = auth.Moderator
	RoleAdmin     = auth.Admin
)

// StaffRoles are the roles stored per account (resident is implicit).
var StaffRoles = []string{RoleAdvocate, RoleModerator, RoleAdmin}

// TermsVersion is the version of the terms and privacy notice people accept now.
const TermsVersion = "2026-11-01"

// User is an account.
type User struct {
	ID              int64
	Email           string
	DisplayName     string
	Roles           []string // always includes "resident"
	Verified        bool
	Member          bool
	EmailConfirmed  bool
	Locale          string
	NeighbourhoodID *int64
	CreatedAt       time.Time
}

// NewUser is what creating an account needs.
type NewUser struct {
	Email           string
	Password        string
	DisplayName     string
	NeighbourhoodID *int64
	Locale          string
	AcceptTerms     bool
	Roles           []string
	Verified        bool
	EmailConfirmed  bool
	Demo            bool
}

// Session is one signed-in browser or API token, as "your sessions" lists them.
type Session struct {
	ID         int64     `db:"id" json:"id"`
	Kind       string    `db:"kind" json:"kind"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	LastSeenAt time.Time `db:"last_seen_at" json:"last_seen_at"`
	UserAgent  string    `db:"user_agent" json:"user_agent"`
	IP         string    `db:"ip" json:"ip"`
	Current    bool      `db:"-" json:"current"`
}

// JSON is the API's User: email only to its owner and admins.
type JSON struct {
	ID          int64    `json:"id"`
	DisplayName string   `json:"display_name"`
	Roles       []string `json:"roles"`
	Verified    bool     `json:"verified"`
	Member      bool     `json:"member"`
	Email       string   `json:"email,omitempty"`
}

// ForViewer shapes u for the API, showing the email when viewer may see it.
func (u User) ForViewer(viewer auth.Principal) JSON {
	j := JSON{ID: u.ID, DisplayName: u.DisplayName, Roles: u.Roles, Verified: u.Verified, Member: u.Member}
	if viewer.UserID == u.ID || viewer.Has(auth.Admin) {
		j.Email = u.Email
	}
	return j
}
