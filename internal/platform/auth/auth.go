// Package auth is the signed-in person as every feature sees them: the account feature
// resolves the session and puts a Principal on the request; services take the
// Principal and decide. Features import this, not the account feature.
package auth

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/problem"
)

// Roles.
const (
	Resident  = "resident"
	Advocate  = "advocate"
	Moderator = "moderator"
	Admin     = "admin"
)

// Principal is who is asking. The zero value is a signed-out visitor.
type Principal struct {
	UserID      int64
	SessionID   int64
	DisplayName string
	Roles       []string
	Verified    bool // a resident confirmed in person or by an invitation code
	Member      bool // a confirmed signature of the Declaration (own or organisation's)
	Confirmed   bool // email address confirmed
	Locale      string
	TOTP        bool // two-step sign-in is on
	ViaBearer   bool // an API token, not a browser cookie (no CSRF needed)
	Blocked     bool // blocked by moderation: reads, but writes nothing
}

// SignedIn reports whether anyone is signed in.
func (p Principal) SignedIn() bool { return p.UserID != 0 }

// Has reports whether p holds role (everyone signed in is a resident).
func (p Principal) Has(role string) bool {
	if !p.SignedIn() {
		return false
	}
	return role == Resident || slices.Contains(p.Roles, role)
}

// Staff reports whether p moderates or administers.
func (p Principal) Staff() bool { return p.Has(Moderator) || p.Has(Admin) }

type key int

const principalKey key = 0

// Set puts p on the request.
func Set(c *fiber.Ctx, p Principal) { c.Locals(principalKey, p) }

// From returns the request's principal (a visitor when none was set).
func From(c *fiber.Ctx) Principal {
	p, _ := c.Locals(principalKey).(Principal)
	return p
}

// RequireStaff is the check of moderator-or-admin actions: 401 for visitors, 403 for
// others.
func RequireStaff(p Principal) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	if !p.Staff() {
		return problem.Forbidden()
	}
	return nil
}

// RequireAdmin is the check of admin-only actions.
func RequireAdmin(p Principal) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	if !p.Has(Admin) {
		return problem.Forbidden()
	}
	return nil
}

// RequireActive is the check of everything that writes in public (posts, comments,
// supports, votes, reports): 401 for visitors, 403 account_blocked for a blocked account.
func RequireActive(p Principal) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	if p.Blocked {
		return &problem.Error{Status: 403, Code: "account_blocked", Key: "error.account_blocked"}
	}
	return nil
}
