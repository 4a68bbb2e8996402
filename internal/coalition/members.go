package coalition

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	mailbox "lawka/internal/platform/mail"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
)

// invitesPerUser keeps invitations from becoming a way to mail strangers.
var invitesPerUser = ratelimit.Rule{Name: "invite:user", Limit: 20, Window: time.Hour}

// inviteTTL is how long an invitation to join an organisation stays valid.
const inviteTTL = 7 * 24 * time.Hour

// Member is a person acting for an organisation.
type Member struct {
	UserID      int64  `db:"user_id"`
	DisplayName string `db:"display_name"`
	Role        string `db:"role"`
}

// MyOrganisation is an organisation the person acts for, with its people.
type MyOrganisation struct {
	Organisation
	MyRole  string
	Signed  string // status of its live signature ("" when none)
	Members []Member
}

// MyOrganisations lists the organisations the person acts for.
func (s *Signatures) MyOrganisations(ctx context.Context, p auth.Principal) ([]MyOrganisation, error) {
	if !p.SignedIn() {
		return nil, problem.Unauthorized()
	}
	rows, err := s.pool.Query(ctx, `SELECT o.id, o.name, o.kind, o.krs, o.website, o.neighbourhood_id, m.role,
		coalesce((SELECT s.status FROM signatures s WHERE s.organisation_id = o.id AND s.status IN ('pending', 'confirmed')), '')
		FROM organisations o JOIN organisation_members m ON m.organisation_id = o.id AND m.user_id = $1 ORDER BY o.name`, p.UserID)
	if err != nil {
		return nil, err
	}
	orgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (MyOrganisation, error) {
		var o MyOrganisation
		err := r.Scan(&o.ID, &o.Name, &o.Kind, &o.KRS, &o.Website, &o.NeighbourhoodID, &o.MyRole, &o.Signed)
		return o, err
	})
	if err != nil {
		return nil, err
	}
	// Everyone of all these organisations in one query, then shared out.
	orgIDs := make([]int64, len(orgs))
	for i, o := range orgs {
		orgIDs[i] = o.ID
	}
	rows, err = s.pool.Query(ctx, `SELECT m.organisation_id, m.user_id, u.display_name, m.role FROM organisation_members m
		JOIN users u ON u.id = m.user_id WHERE m.organisation_id = ANY($1) ORDER BY m.role DESC, u.display_name`, orgIDs)
	if err != nil {
		return nil, err
	}
	type row struct {
		OrgID int64
		Member
	}
	members, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var m row
		err := r.Scan(&m.OrgID, &m.UserID, &m.DisplayName, &m.Role)
		return m, err
	})
	if err != nil {
		return nil, err
	}
	for i := range orgs {
		for _, m := range members {
			if m.OrgID == orgs[i].ID {
				orgs[i].Members = append(orgs[i].Members, m.Member)
			}
		}
	}
	return orgs, nil
}

func hashInvite(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Invite mails a colleague a link that makes them an advocate of the organisation
// (its representatives only).
func (s *Signatures) Invite(ctx context.Context, p auth.Principal, orgID int64, email string) error {
	if err := requireConfirmed(p); err != nil {
		return err
	}
	if s.limits != nil {
		if ok, wait := s.limits.Allow(ctx, invitesPerUser, strconv.FormatInt(p.UserID, 10)); !ok {
			return problem.TooMany(wait)
		}
	}
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var orgName, inviter string
		var confirmed bool
		err := tx.QueryRow(ctx, `SELECT o.name, u.display_name, EXISTS (SELECT 1 FROM signatures s
				WHERE s.organisation_id = o.id AND s.status = 'confirmed')
			FROM organisations o
			JOIN organisation_members m ON m.organisation_id = o.id AND m.user_id = $2 AND m.role = 'representative'
			JOIN users u ON u.id = $2 WHERE o.id = $1`, orgID, p.UserID).Scan(&orgName, &inviter, &confirmed)
		if errors.Is(err, pgx.ErrNoRows) {
			return problem.Forbidden()
		}
		if err != nil {
			return err
		}
		if !confirmed {
			// Advocates act for a coalition member: only after a moderator confirmed it.
			return problem.Conflict("organisation_not_confirmed", "coalition.org_not_confirmed")
		}
		email = strings.ToLower(strings.TrimSpace(email))
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
			return problem.Invalid(map[string]string{"email": "account.email_invalid"})
		}
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		token := base64.RawURLEncoding.EncodeToString(b)
		if _, err := tx.Exec(ctx, `INSERT INTO organisation_invites (token_hash, organisation_id, invited_by, email, expires_at)
			VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`, hashInvite(token), orgID, p.UserID, email, inviteTTL.Seconds()); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "organisation.invite", TargetType: "organisation", TargetID: orgID}); err != nil {
			return err
		}
		if s.i18n == nil {
			return nil
		}
		l := s.i18n.For(p.Locale)
		args := []any{"Inviter", inviter, "Organisation", orgName, "Link", s.publicURL + "/zaproszenie?token=" + token, "Site", s.publicURL}
		return mailbox.Enqueue(ctx, tx, mailbox.Message{To: email, Subject: l.T("mail.org_invite.subject", args...), Body: l.T("mail.org_invite.body", args...)})
	})
}

// InviteInfo names the organisation an invitation is for (before accepting it).
func (s *Signatures) InviteInfo(ctx context.Context, token string) (string, error) {
	var name string
	err := s.pool.QueryRow(ctx, `SELECT o.name FROM organisation_invites i JOIN organisations o ON o.id = i.organisation_id
		WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > now()`, hashInvite(token)).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", &problem.Error{Status: 400, Code: "token_invalid", Key: "account.token_invalid"}
	}
	return name, err
}

// AcceptInvite makes the signed-in person an advocate of the inviting organisation.
func (s *Signatures) AcceptInvite(ctx context.Context, p auth.Principal, token string) error {
	if err := requireConfirmed(p); err != nil {
		return err
	}
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var orgID int64
		// The invitation is for the address it was sent to, and for a confirmed member.
		err := tx.QueryRow(ctx, `UPDATE organisation_invites i SET used_at = now(), used_by = $2
			FROM users u WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > now()
			  AND u.id = $2 AND u.email = i.email
			  AND EXISTS (SELECT 1 FROM signatures s WHERE s.organisation_id = i.organisation_id AND s.status = 'confirmed')
			RETURNING i.organisation_id`, hashInvite(token), p.UserID).Scan(&orgID)
		if errors.Is(err, pgx.ErrNoRows) {
			return &problem.Error{Status: 400, Code: "token_invalid", Key: "account.token_invalid"}
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO organisation_members (organisation_id, user_id, role) VALUES ($1, $2, 'advocate')
			ON CONFLICT (organisation_id, user_id) DO NOTHING`, orgID, p.UserID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, 'advocate') ON CONFLICT DO NOTHING`, p.UserID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			if err := audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "role.grant", TargetType: "user", TargetID: p.UserID,
				Reason: "organisation invitation", Details: map[string]any{"role": "advocate", "organisation_id": orgID}}); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "organisation.join", TargetType: "organisation", TargetID: orgID})
	})
	if err != nil {
		return err
	}
	if s.sessions != nil {
		return s.sessions.Forget(ctx, p.UserID)
	}
	return nil
}
