package coalition

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/mail"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
	"lawka/internal/platform/upload"
)

// Organisation kinds, as the Declaration names its signatories.
var Kinds = []string{"ngo", "public_institution", "business", "informal_group"}

// Organisation is a signatory organisation.
type Organisation struct {
	ID              int64   `db:"id"`
	Name            string  `db:"name"`
	Kind            string  `db:"kind"`
	KRS             *string `db:"krs"`
	Website         *string `db:"website"`
	NeighbourhoodID *int64  `db:"neighbourhood_id"`
}

// Signature is one signature of the Declaration, personal or for an organisation.
type Signature struct {
	ID               int64      `db:"id" json:"id"`
	Version          int        `db:"version" json:"declaration_version"`
	UserID           *int64     `db:"user_id" json:"-"`
	OrganisationID   *int64     `db:"organisation_id" json:"organisation_id,omitempty"`
	OrganisationName *string    `db:"organisation_name" json:"organisation_name,omitempty"`
	OrganisationKind *string    `db:"organisation_kind" json:"organisation_kind,omitempty"`
	FullName         string     `db:"full_name" json:"full_name"`
	RoleTitle        string     `db:"role_title" json:"role_title,omitempty"`
	ListPublicly     bool       `db:"list_publicly" json:"list_publicly"`
	Channel          string     `db:"channel" json:"channel"`
	HasScan          bool       `db:"has_scan" json:"has_scan"`
	Status           string     `db:"status" json:"status"`
	DecisionReason   string     `db:"decision_reason" json:"decision_reason,omitempty"`
	CreatedAt        time.Time  `db:"created_at" json:"created_at"`
	DecidedAt        *time.Time `db:"decided_at" json:"decided_at,omitempty"`
	SignerEmail      *string    `db:"signer_email" json:"-"`
	EventID          *int64     `db:"event_id" json:"event_id,omitempty"` // signed on paper at this event
}

// Ally is an entry of the public list of allies.
type Ally struct {
	Kind         string    `db:"kind" json:"type"`
	Name         string    `db:"name" json:"name"`
	District     *string   `db:"district" json:"district,omitempty"`
	DistrictSlug *string   `db:"district_slug" json:"district_slug,omitempty"`
	Website      *string   `db:"website" json:"website,omitempty"`
	Since        time.Time `db:"since" json:"since"`
}

// SessionForgetter refreshes a person's cached sign-in after their membership changes.
type SessionForgetter interface {
	Forget(ctx context.Context, userIDs ...int64) error
}

// Signatures holds the rules of signing: who may sign, for whom, and how moderators
// confirm. Every decision is audited and the signer is told by mail.
type Signatures struct {
	pool      *pgxpool.Pool
	sessions  SessionForgetter
	i18n      *i18n.Bundle
	publicURL string
	limits    *ratelimit.Limiter
}

// NewSignatures builds the service; limits may be nil (seeds).
func NewSignatures(pool *pgxpool.Pool, sessions SessionForgetter, bundle *i18n.Bundle, publicURL string, limits *ratelimit.Limiter) *Signatures {
	return &Signatures{pool: pool, sessions: sessions, i18n: bundle, publicURL: strings.TrimSuffix(publicURL, "/"), limits: limits}
}

func requireConfirmed(p auth.Principal) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	if !p.Confirmed {
		return &problem.Error{Status: 403, Code: "email_unconfirmed", Key: "coalition.email_unconfirmed"}
	}
	return nil
}

func currentVersion(ctx context.Context, q db.Querier) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM declaration_versions WHERE published_at <= now() ORDER BY version DESC LIMIT 1`).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, problem.NotFound()
	}
	return id, err
}

func checkFullName(bad problem.Fields, name string) string {
	name = strings.Join(strings.Fields(name), " ")
	if n := utf8.RuneCountInString(name); n < 3 || n > 120 || !strings.Contains(name, " ") {
		bad.Add("full_name", "coalition.full_name_invalid")
	}
	return name
}

// PersonSigning is a personal signature.
type PersonSigning struct {
	FullName     string
	Agree        bool
	ListPublicly bool
}

// SignAsPerson records a personal signature, pending a moderator's confirmation.
func (s *Signatures) SignAsPerson(ctx context.Context, p auth.Principal, in PersonSigning) (Signature, error) {
	if err := requireConfirmed(p); err != nil {
		return Signature{}, err
	}
	bad := problem.Fields{}
	name := checkFullName(bad, in.FullName)
	if !in.Agree {
		bad.Add("agree", "coalition.agree_required")
	}
	if err := bad.Err(); err != nil {
		return Signature{}, err
	}
	var id int64
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		version, err := currentVersion(ctx, tx)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO signatures (declaration_version_id, user_id, full_name, list_publicly)
			VALUES ($1, $2, $3, $4) RETURNING id`, version, p.UserID, name, in.ListPublicly).Scan(&id)
		if db.IsUniqueViolation(err, "signatures_person_live") {
			return problem.Conflict("already_signed", "coalition.already_signed")
		}
		return err
	})
	if err != nil {
		return Signature{}, err
	}
	return s.get(ctx, id)
}

// OrganisationSigning is a signature on behalf of an organisation, by its representative.
type OrganisationSigning struct {
	OrganisationID  *int64       `json:"organisation_id,omitempty"` // one the person already represents
	Name            string       `json:"name"`
	Kind            string       `json:"type"`
	KRS             string       `json:"krs"`
	Website         string       `json:"website"`
	NeighbourhoodID *int64       `json:"neighbourhood_id,omitempty"`
	FullName        string       `json:"full_name"`
	RoleTitle       string       `json:"role_title"`
	Authority       bool         `json:"authority_confirmed"`
	ListPublicly    bool         `json:"list_publicly"`
	Scan            *upload.File `json:"-"`
}

var krsPattern = regexp.MustCompile(`^[0-9]{10}$`)

// ValidKRS checks a KRS number. The National Court Register number is ten digits with
// leading zeros and, unlike NIP or REGON, carries no check digit, so the digits are
// all that can be checked: exactly ten, not all zero.
func ValidKRS(krs string) bool {
	return krsPattern.MatchString(krs) && strings.Trim(krs, "0") != ""
}

// NormaliseKRS accepts "KRS 0000123456", "123456" and the like.
func NormaliseKRS(s string) string {
	s = strings.TrimSpace(strings.ToUpper(s))
	s = strings.TrimPrefix(s, "KRS")
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == ':' {
			return -1
		}
		return r
	}, s)
	if s != "" && len(s) < 10 && krsPattern.MatchString(strings.Repeat("0", 10-len(s))+s) {
		s = strings.Repeat("0", 10-len(s)) + s
	}
	return s
}

// SignForOrganisation records an organisation's signature by its representative, with
// an optional signed scan. A new organisation is created; an existing one may be signed
// for only by a person who already represents it.
func (s *Signatures) SignForOrganisation(ctx context.Context, p auth.Principal, in OrganisationSigning) (Signature, error) {
	if err := requireConfirmed(p); err != nil {
		return Signature{}, err
	}
	bad := problem.Fields{}
	name := checkFullName(bad, in.FullName)
	role := strings.TrimSpace(in.RoleTitle)
	if n := utf8.RuneCountInString(role); n < 2 || n > 120 {
		bad.Add("role_title", "coalition.role_title_length")
	}
	if !in.Authority {
		bad.Add("authority_confirmed", "coalition.authority_required")
	}
	org := Organisation{}
	if in.OrganisationID == nil {
		org.Name = strings.Join(strings.Fields(in.Name), " ")
		if n := utf8.RuneCountInString(org.Name); n < 2 || n > 200 {
			bad.Add("name", "coalition.org_name_length")
		}
		org.Kind = in.Kind
		if !slices.Contains(Kinds, in.Kind) {
			bad.Add("type", "coalition.org_kind_unknown")
		}
		if krs := NormaliseKRS(in.KRS); krs != "" {
			if !ValidKRS(krs) {
				bad.Add("krs", "coalition.krs_invalid")
			}
			org.KRS = &krs
		}
		if w := strings.TrimSpace(in.Website); w != "" {
			if !strings.Contains(w, "://") {
				w = "https://" + w
			}
			u, err := url.Parse(w)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.Contains(u.Host, ".") || len(w) > 200 {
				bad.Add("website", "coalition.website_invalid")
			}
			org.Website = &w
		}
		org.NeighbourhoodID = in.NeighbourhoodID
	}
	if err := bad.Err(); err != nil {
		return Signature{}, err
	}
	var id int64
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		version, err := currentVersion(ctx, tx)
		if err != nil {
			return err
		}
		orgID := int64(0)
		if in.OrganisationID != nil {
			var represents bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organisation_members WHERE organisation_id = $1
				AND user_id = $2 AND role = 'representative')`, *in.OrganisationID, p.UserID).Scan(&represents); err != nil {
				return err
			}
			if !represents {
				return problem.Invalid(map[string]string{"organisation_id": "coalition.not_representative"})
			}
			orgID = *in.OrganisationID
		} else {
			if org.NeighbourhoodID != nil {
				var ok bool
				if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM neighbourhoods WHERE id = $1)`, *org.NeighbourhoodID).Scan(&ok); err != nil {
					return err
				}
				if !ok {
					return problem.Invalid(map[string]string{"neighbourhood_id": "account.neighbourhood_unknown"})
				}
			}
			err := tx.QueryRow(ctx, `INSERT INTO organisations (name, kind, krs, website, neighbourhood_id, created_by)
				VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, org.Name, org.Kind, org.KRS, org.Website, org.NeighbourhoodID, p.UserID).Scan(&orgID)
			switch {
			case db.IsUniqueViolation(err, "organisations_name_key"):
				return &problem.Error{Status: 409, Code: "organisation_exists", Key: "coalition.org_exists",
					Fields: map[string]string{"name": "coalition.org_exists"}}
			case db.IsUniqueViolation(err, "organisations_krs_key"):
				return &problem.Error{Status: 409, Code: "organisation_exists", Key: "coalition.org_exists",
					Fields: map[string]string{"krs": "coalition.org_exists"}}
			case err != nil:
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO organisation_members (organisation_id, user_id, role)
				VALUES ($1, $2, 'representative')`, orgID, p.UserID); err != nil {
				return err
			}
		}
		scanID, err := upload.StoreOptional(ctx, tx, in.Scan, p.UserID)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO signatures (declaration_version_id, user_id, organisation_id, full_name,
			role_title, authority_confirmed, list_publicly, scan_file_id) VALUES ($1, $2, $3, $4, $5, true, $6, $7) RETURNING id`,
			version, p.UserID, orgID, name, role, in.ListPublicly, scanID).Scan(&id)
		if db.IsUniqueViolation(err, "signatures_organisation_live") {
			return problem.Conflict("already_signed", "coalition.org_already_signed")
		}
		return err
	})
	if err != nil {
		return Signature{}, err
	}
	return s.get(ctx, id)
}

const signatureColumns = `s.id, v.version, s.user_id, s.organisation_id, o.name AS organisation_name, o.kind AS organisation_kind,
	s.full_name, s.role_title, s.list_publicly, s.channel, s.scan_file_id IS NOT NULL AS has_scan, s.status,
	s.decision_reason, s.created_at, s.decided_at, u.email AS signer_email, s.event_id`

const signatureFrom = ` FROM signatures s JOIN declaration_versions v ON v.id = s.declaration_version_id
	LEFT JOIN organisations o ON o.id = s.organisation_id LEFT JOIN users u ON u.id = s.user_id`

func (s *Signatures) get(ctx context.Context, id int64) (Signature, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+signatureColumns+signatureFrom+` WHERE s.id = $1`, id)
	if err != nil {
		return Signature{}, err
	}
	sig, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Signature])
	if errors.Is(err, pgx.ErrNoRows) {
		return sig, problem.NotFound()
	}
	return sig, err
}

// Mine lists the person's signatures (own and for organisations), newest first.
func (s *Signatures) Mine(ctx context.Context, p auth.Principal) ([]Signature, error) {
	if !p.SignedIn() {
		return nil, problem.Unauthorized()
	}
	rows, err := s.pool.Query(ctx, `SELECT `+signatureColumns+signatureFrom+` WHERE s.user_id = $1 ORDER BY s.id DESC`, p.UserID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Signature])
}

// Represented lists the organisations the person represents.
func (s *Signatures) Represented(ctx context.Context, p auth.Principal) ([]Organisation, error) {
	if !p.SignedIn() {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT o.id, o.name, o.kind, o.krs, o.website, o.neighbourhood_id FROM organisations o
		JOIN organisation_members m ON m.organisation_id = o.id AND m.user_id = $1 AND m.role = 'representative'
		ORDER BY o.name`, p.UserID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Organisation])
}

// Withdraw takes back a signature (its signer only): it leaves the list of allies and,
// if it was what made the person a member, membership ends.
func (s *Signatures) Withdraw(ctx context.Context, p auth.Principal, id int64) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE signatures SET status = 'withdrawn', withdrawn_at = now()
			WHERE id = $1 AND user_id = $2 AND status IN ('pending', 'confirmed')`, id, p.UserID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return problem.NotFound()
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "signature.withdraw", TargetType: "signature", TargetID: id})
	})
	if err != nil {
		return err
	}
	return s.forgetAffected(ctx, id)
}

// forgetAffected refreshes the cached sign-ins of everyone whose membership a signature
// carries: its signer and its organisation's people.
func (s *Signatures) forgetAffected(ctx context.Context, id int64) error {
	if s.sessions == nil {
		return nil
	}
	rows, err := s.pool.Query(ctx, `SELECT user_id FROM signatures WHERE id = $1 AND user_id IS NOT NULL
		UNION SELECT m.user_id FROM signatures s JOIN organisation_members m ON m.organisation_id = s.organisation_id WHERE s.id = $1`, id)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	return s.sessions.Forget(ctx, ids...)
}

// Pending lists signatures waiting for a decision, oldest first (moderators and admins).
func (s *Signatures) Pending(ctx context.Context, p auth.Principal) ([]Signature, error) {
	if err := auth.RequireStaff(p); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+signatureColumns+signatureFrom+` WHERE s.status = 'pending' ORDER BY s.id LIMIT 200`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Signature])
}

// Recent lists decided signatures, newest first, for the moderators' history.
func (s *Signatures) Recent(ctx context.Context, p auth.Principal) ([]Signature, error) {
	if err := auth.RequireStaff(p); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+signatureColumns+signatureFrom+` WHERE s.status <> 'pending' ORDER BY s.id DESC LIMIT 50`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Signature])
}

// Decide confirms or rejects a pending signature (moderators and admins); a rejection
// needs a reason. The signer is told by mail. Confirming an organisation's signature
// makes its representative an advocate.
func (s *Signatures) Decide(ctx context.Context, p auth.Principal, id int64, confirm bool, reason string) error {
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	bad := problem.Fields{}
	if !confirm && reason == "" {
		bad.Add("reason", "account.reason_required")
	}
	if utf8.RuneCountInString(reason) > 500 {
		bad.Add("reason", "account.reason_too_long")
	}
	if err := bad.Err(); err != nil {
		return err
	}
	status, action := "rejected", "signature.reject"
	if confirm {
		status, action = "confirmed", "signature.confirm"
	}
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE signatures SET status = $2, decided_by = $3, decided_at = now(), decision_reason = $4
			WHERE id = $1 AND status = 'pending'`, id, status, p.UserID, reason)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM signatures WHERE id = $1)`, id).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return problem.NotFound()
			}
			return problem.Conflict("already_decided", "coalition.already_decided")
		}
		if err := audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: action, TargetType: "signature",
			TargetID: id, Reason: reason}); err != nil {
			return err
		}
		sigRows, err := tx.Query(ctx, `SELECT `+signatureColumns+signatureFrom+` WHERE s.id = $1`, id)
		if err != nil {
			return err
		}
		sig, err := pgx.CollectExactlyOneRow(sigRows, pgx.RowToStructByName[Signature])
		if err != nil {
			return err
		}
		if confirm && sig.OrganisationID != nil && sig.UserID != nil {
			tag, err := tx.Exec(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, 'advocate') ON CONFLICT DO NOTHING`, *sig.UserID)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				if err := audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "role.grant", TargetType: "user",
					TargetID: *sig.UserID, Reason: "signature confirmed", Details: map[string]any{"role": "advocate", "signature_id": id}}); err != nil {
					return err
				}
			}
		}
		return s.mailDecision(ctx, tx, sig, confirm, reason)
	})
	if err != nil {
		return err
	}
	return s.forgetAffected(ctx, id)
}

func (s *Signatures) mailDecision(ctx context.Context, tx pgx.Tx, sig Signature, confirmed bool, reason string) error {
	if s.i18n == nil || sig.SignerEmail == nil || sig.UserID == nil {
		return nil
	}
	var name, locale string
	if err := tx.QueryRow(ctx, `SELECT display_name, coalesce(locale, '') FROM users WHERE id = $1`, *sig.UserID).Scan(&name, &locale); err != nil {
		return err
	}
	l := s.i18n.For(locale)
	key := "mail.signature_rejected"
	if confirmed {
		key = "mail.signature_confirmed"
	}
	on := sig.FullName
	if sig.OrganisationName != nil {
		on = *sig.OrganisationName
	}
	args := []any{"Name", name, "Signatory", on, "Reason", reason, "Site", s.publicURL}
	return mail.Enqueue(ctx, tx, mail.Message{To: *sig.SignerEmail, Subject: l.T(key+".subject", args...), Body: l.T(key+".body", args...)})
}

// Scan returns a signature's uploaded scan to the staff or to its signer.
func (s *Signatures) Scan(ctx context.Context, p auth.Principal, id int64) (upload.File, error) {
	if !p.SignedIn() {
		return upload.File{}, problem.Unauthorized()
	}
	// The signer's own scan, or any for the staff; another person's is not found.
	return upload.LoadBy(ctx, s.pool, `SELECT scan_file_id FROM signatures WHERE id = $1 AND ($2 OR user_id = $3)`,
		id, p.Staff(), p.UserID)
}

// AllyFilter narrows the list of allies.
type AllyFilter struct {
	Kind         string // "person" or an organisation kind
	DistrictSlug string
}

// Allies lists confirmed signatories who agreed to be listed, organisations first
// then people, each alphabetically (by the database's collation).
func (s *Signatures) Allies(ctx context.Context, f AllyFilter) ([]Ally, error) {
	if f.Kind != "" && f.Kind != "person" && !slices.Contains(Kinds, f.Kind) {
		return nil, problem.Invalid(map[string]string{"type": "coalition.org_kind_unknown"})
	}
	rows, err := s.pool.Query(ctx, `
		SELECT coalesce(o.kind, 'person') AS kind, coalesce(o.name, s.full_name) AS name, n.name AS district,
			n.slug AS district_slug, o.website, coalesce(s.decided_at, s.created_at) AS since
		FROM signatures s
		LEFT JOIN organisations o ON o.id = s.organisation_id
		LEFT JOIN users u ON u.id = s.user_id
		LEFT JOIN neighbourhoods n ON n.id = coalesce(o.neighbourhood_id, CASE WHEN s.organisation_id IS NULL THEN u.home_neighbourhood_id END)
		WHERE s.status = 'confirmed' AND s.list_publicly
		  AND ($1 = '' OR coalesce(o.kind, 'person') = $1)
		  AND ($2 = '' OR n.slug = $2)
		ORDER BY (o.id IS NULL), lower(coalesce(o.name, s.full_name))`, f.Kind, f.DistrictSlug)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Ally])
}
