package account

import (
	"context"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/i18n"
	mailbox "lawka/internal/platform/mail"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
)

// Throttles. Sign-in: 5 a minute per address and 30 per client address; password
// reset: 3 per 15 minutes per address; registration: 10 an hour per client address.
var (
	loginPerEmail = ratelimit.Rule{Name: "login:email", Limit: 5, Window: time.Minute}
	loginPerIP    = ratelimit.Rule{Name: "login:ip", Limit: 30, Window: time.Minute}
	resetPerEmail = ratelimit.Rule{Name: "reset:email", Limit: 3, Window: 15 * time.Minute}
	resetPerIP    = ratelimit.Rule{Name: "reset:ip", Limit: 20, Window: 15 * time.Minute}
	registerPerIP = ratelimit.Rule{Name: "register:ip", Limit: 10, Window: time.Hour}
)

// Token lifetimes.
const (
	confirmTTL = 7 * 24 * time.Hour
	resetTTL   = time.Hour
	changeTTL  = 24 * time.Hour
)

// NeighbourhoodChecker tells whether a district exists (the neighbourhood feature
// answers; declared here so account does not depend on it).
type NeighbourhoodChecker interface {
	Exists(ctx context.Context, id int64) (bool, error)
}

// Service holds the account rules.
type Service struct {
	pool *pgxpool.Pool
	Deps
	publicURL string
}

// Deps are the service's collaborators. The command line and the seed leave them empty:
// they only create accounts.
type Deps struct {
	Sessions  *Sessions
	Limits    *ratelimit.Limiter
	I18n      *i18n.Bundle
	PublicURL string
	Districts NeighbourhoodChecker
	Parts     []PersonalData // other features' personal data, for export and erasure
	// RequireStaffTOTP makes moderators and admins use two-step sign-in.
	RequireStaffTOTP bool
}

// NewService builds the service.
func NewService(pool *pgxpool.Pool, d Deps) *Service {
	return &Service{pool: pool, Deps: d, publicURL: strings.TrimSuffix(d.PublicURL, "/")}
}

// Client is where a request comes from, for throttling and the sessions list.
type Client struct {
	IP, UserAgent string
	Lang          string // the language of the request, for mail when the account has none
}

func normaliseEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func checkEmail(bad problem.Fields, field, email string) {
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		bad.Add(field, "account.email_invalid")
	}
}

func (s *Service) throttle(ctx context.Context, rule ratelimit.Rule, subject string) error {
	if s.Limits == nil {
		return nil
	}
	if ok, wait := s.Limits.Allow(ctx, rule, subject); !ok {
		return problem.TooMany(wait)
	}
	return nil
}

// Create validates and stores an account without a session (the command line, seeds).
func (s *Service) Create(ctx context.Context, in NewUser) (User, error) {
	in.Email = normaliseEmail(in.Email)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	bad := problem.Fields{}
	checkEmail(bad, "email", in.Email)
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
	var u User
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		id, err := insertUser(ctx, tx, in, hash)
		if err != nil {
			return err
		}
		u, _, err = userByID(ctx, tx, id)
		return err
	})
	return u, err
}

// Exists reports whether an account with email exists.
func (s *Service) Exists(ctx context.Context, email string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE email = $1 AND deleted_at IS NULL)`,
		normaliseEmail(email)).Scan(&ok)
	return ok, err
}

// Registration is what a person fills in to join.
type Registration struct {
	Email           string `json:"email"`
	Password        string `json:"password"`
	DisplayName     string `json:"display_name"`
	NeighbourhoodID *int64 `json:"neighbourhood_id,omitempty"`
	AcceptTerms     bool   `json:"accept_terms"`
}

// Register creates a resident's account and mails a confirmation link. It does not sign
// them in; the caller decides (the web form does, the API does not).
func (s *Service) Register(ctx context.Context, in Registration, cl Client) (User, error) {
	in.Email = normaliseEmail(in.Email)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	bad := problem.Fields{}
	checkEmail(bad, "email", in.Email)
	if key := passwordProblem(in.Password); key != "" {
		bad.Add("password", key)
	} else if strings.EqualFold(in.Password, in.Email) {
		bad.Add("password", "account.password_is_email")
	}
	if n := utf8.RuneCountInString(in.DisplayName); n < 1 || n > 80 {
		bad.Add("display_name", "account.display_name_length")
	}
	if in.NeighbourhoodID != nil && s.Districts != nil {
		ok, err := s.Districts.Exists(ctx, *in.NeighbourhoodID)
		if err != nil {
			return User{}, err
		}
		if !ok {
			bad.Add("neighbourhood_id", "account.neighbourhood_unknown")
		}
	}
	if !in.AcceptTerms {
		bad.Add("accept_terms", "account.terms_required")
	}
	if err := bad.Err(); err != nil {
		return User{}, err
	}
	if err := s.throttle(ctx, registerPerIP, cl.IP); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		id, err := insertUser(ctx, tx, NewUser{Email: in.Email, DisplayName: in.DisplayName,
			NeighbourhoodID: in.NeighbourhoodID, AcceptTerms: true}, hash)
		if err != nil {
			return err
		}
		if u, _, err = userByID(ctx, tx, id); err != nil {
			return err
		}
		return s.mailConfirmation(ctx, tx, u, cl.Lang)
	})
	return u, err
}

func (s *Service) mailConfirmation(ctx context.Context, tx pgx.Tx, u User, lang string) error {
	token, err := insertEmailToken(ctx, tx, u.ID, purposeConfirm, "", confirmTTL)
	if err != nil {
		return err
	}
	return s.mail(ctx, tx, u.Email, u, lang, "mail.confirm", "Link", s.publicURL+"/potwierdz-email?token="+token)
}

// mail queues a translated message; key.subject and key.body are its texts.
func (s *Service) mail(ctx context.Context, q db.Querier, to string, u User, lang, key string, args ...any) error {
	if s.I18n == nil {
		return nil
	}
	if u.Locale != "" {
		lang = u.Locale
	}
	l := s.I18n.For(lang)
	args = append(args, "Name", u.DisplayName, "Site", s.publicURL)
	return mailbox.Enqueue(ctx, q, mailbox.Message{To: to, Subject: l.T(key+".subject", args...), Body: l.T(key+".body", args...)})
}

// ResendConfirmation mails a new confirmation link to a signed-in person.
func (s *Service) ResendConfirmation(ctx context.Context, p auth.Principal, cl Client) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	if err := s.throttle(ctx, resetPerEmail, "confirm:"+itoa(p.UserID)); err != nil {
		return err
	}
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		u, _, err := userByID(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		if u.EmailConfirmed {
			return nil
		}
		return s.mailConfirmation(ctx, tx, u, cl.Lang)
	})
}

// ErrInvalidCredentials is the one answer to a wrong email or password: it does not
// say which, so it does not reveal who has an account.
func ErrInvalidCredentials() *problem.Error {
	return &problem.Error{Status: 401, Code: "invalid_credentials", Key: "account.invalid_credentials"}
}

// Login checks the password and starts a session of kind "browser" or "api". When the
// account uses two-step sign-in, an API login needs totpCode, and a browser login gets
// a challenge (and no session) to finish with CompleteLogin.
func (s *Service) Login(ctx context.Context, email, password, kind string, cl Client) (User, string, error) {
	u, token, _, err := s.LoginTOTP(ctx, email, password, "", kind, cl)
	return u, token, err
}

// LoginTOTP is Login with the second step: it returns either a session token or, for a
// browser without a code, a challenge.
func (s *Service) LoginTOTP(ctx context.Context, email, password, totpCode, kind string, cl Client) (u User, token, challenge string, err error) {
	u, err = s.checkPassword(ctx, email, password, cl)
	if err != nil {
		return User{}, "", "", err
	}
	on, err := hasTOTP(ctx, s.pool, u.ID)
	if err != nil {
		return User{}, "", "", err
	}
	if on {
		if totpCode == "" {
			if kind == "api" {
				return User{}, "", "", TOTPRequired()
			}
			challenge, err = newChallenge(ctx, s.pool, u.ID)
			return u, "", challenge, err
		}
		ok, err := s.checkSecondStep(ctx, u.ID, totpCode)
		if err != nil {
			return User{}, "", "", err
		}
		if !ok {
			return User{}, "", "", totpProblem()
		}
	}
	token, err = s.Sessions.create(ctx, s.pool, u.ID, kind, cl.UserAgent, cl.IP)
	return u, token, "", err
}

// checkPassword is the first step of every sign-in, throttled per address and client.
func (s *Service) checkPassword(ctx context.Context, email, password string, cl Client) (User, error) {
	email = normaliseEmail(email)
	if email == "" || password == "" || len(password) > 4*MaxPasswordLen {
		bad := problem.Fields{}
		if email == "" {
			bad.Add("email", "account.email_required")
		}
		if password == "" {
			bad.Add("password", "account.password_required")
		}
		if err := bad.Err(); err != nil {
			return User{}, err
		}
		return User{}, ErrInvalidCredentials()
	}
	if err := s.throttle(ctx, loginPerIP, cl.IP); err != nil {
		return User{}, err
	}
	if err := s.throttle(ctx, loginPerEmail, email); err != nil {
		return User{}, err
	}
	u, hash, err := userByEmail(ctx, s.pool, email)
	if p, notFound := problem.As(err); notFound && p.Status == 404 {
		CheckPassword(password, dummyHash)
		return User{}, ErrInvalidCredentials()
	}
	if err != nil {
		return User{}, err
	}
	if !CheckPassword(password, hash) {
		return User{}, ErrInvalidCredentials()
	}
	if s.Limits != nil {
		s.Limits.Reset(ctx, loginPerEmail, email)
	}
	return u, nil
}

// Logout ends the session the request came with.
func (s *Service) Logout(ctx context.Context, p auth.Principal) error {
	if !p.SignedIn() {
		return nil
	}
	return s.Sessions.Revoke(ctx, p.UserID, p.SessionID)
}

// Me returns the signed-in person's account.
func (s *Service) Me(ctx context.Context, p auth.Principal) (User, error) {
	if !p.SignedIn() {
		return User{}, problem.Unauthorized()
	}
	u, _, err := userByID(ctx, s.pool, p.UserID)
	if err != nil {
		return u, err
	}
	u.Member, err = isMember(ctx, s.pool, p.UserID)
	return u, err
}

// ConfirmEmail uses a confirmation or email-change link.
func (s *Service) ConfirmEmail(ctx context.Context, token string) (User, error) {
	var u User
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		userID, _, err := useEmailToken(ctx, tx, token, purposeConfirm)
		if err == nil {
			if _, err := tx.Exec(ctx, `UPDATE users SET email_confirmed_at = coalesce(email_confirmed_at, now()) WHERE id = $1`, userID); err != nil {
				return err
			}
			u, _, err = userByID(ctx, tx, userID)
			return err
		}
		userID, newEmail, cerr := useEmailToken(ctx, tx, token, purposeChange)
		if cerr != nil {
			return err
		}
		old, _, err := userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET email = $2, email_confirmed_at = now() WHERE id = $1`, userID, newEmail); err != nil {
			if db.IsUniqueViolation(err, "users_email_key") {
				return problem.Conflict("email_taken", "account.email_taken")
			}
			return err
		}
		if err := s.mail(ctx, tx, old.Email, old, "", "mail.email_changed", "NewEmail", newEmail); err != nil {
			return err
		}
		u, _, err = userByID(ctx, tx, userID)
		return err
	})
	if err == nil && s.Sessions != nil {
		_ = s.Sessions.Forget(ctx, u.ID)
	}
	return u, err
}

// CheckToken tells whether a mailed link is still valid (before showing its form).
func (s *Service) CheckToken(ctx context.Context, token, purpose string) error {
	return checkEmailToken(ctx, s.pool, token, purpose)
}

// RequestReset mails a reset link if the address has an account. It answers the same
// either way, so it cannot be used to learn who has an account.
func (s *Service) RequestReset(ctx context.Context, email string, cl Client) error {
	email = normaliseEmail(email)
	bad := problem.Fields{}
	checkEmail(bad, "email", email)
	if err := bad.Err(); err != nil {
		return err
	}
	if err := s.throttle(ctx, resetPerIP, cl.IP); err != nil {
		return err
	}
	if err := s.throttle(ctx, resetPerEmail, email); err != nil {
		return err
	}
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		u, _, err := userByEmail(ctx, tx, email)
		if _, notFound := problem.As(err); notFound {
			return nil
		}
		if err != nil {
			return err
		}
		token, err := insertEmailToken(ctx, tx, u.ID, purposeReset, "", resetTTL)
		if err != nil {
			return err
		}
		return s.mail(ctx, tx, u.Email, u, cl.Lang, "mail.reset", "Link", s.publicURL+"/haslo/nowe?token="+token)
	})
}

// ResetPassword sets a new password with a reset link, ends every session and tells
// the person by mail.
func (s *Service) ResetPassword(ctx context.Context, token, password string, cl Client) error {
	if err := checkEmailToken(ctx, s.pool, token, purposeReset); err != nil {
		return err // a dead link first: fixing the password would not help
	}
	if key := passwordProblem(password); key != "" {
		return problem.Invalid(map[string]string{"password": key})
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	var userID int64
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		id, _, err := useEmailToken(ctx, tx, token, purposeReset)
		if err != nil {
			return err
		}
		userID = id
		return s.setPassword(ctx, tx, id, hash, cl)
	})
	if err != nil {
		return err
	}
	return s.Sessions.RevokeAll(ctx, userID)
}

func (s *Service) setPassword(ctx context.Context, tx pgx.Tx, userID int64, hash string, cl Client) error {
	if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, password_changed_at = now(),
		email_confirmed_at = coalesce(email_confirmed_at, now()) WHERE id = $1`, userID, hash); err != nil {
		return err
	}
	u, _, err := userByID(ctx, tx, userID)
	if err != nil {
		return err
	}
	return s.mail(ctx, tx, u.Email, u, cl.Lang, "mail.password_changed")
}

// ChangePassword needs the current password; afterwards every session ends and a new
// one is returned for the browser that made the change.
func (s *Service) ChangePassword(ctx context.Context, p auth.Principal, current, next string, cl Client) (string, error) {
	if !p.SignedIn() {
		return "", problem.Unauthorized()
	}
	if err := s.reauthenticate(ctx, p, current); err != nil {
		return "", err
	}
	if key := passwordProblem(next); key != "" {
		return "", problem.Invalid(map[string]string{"new_password": key})
	}
	hash, err := HashPassword(next)
	if err != nil {
		return "", err
	}
	if err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error { return s.setPassword(ctx, tx, p.UserID, hash, cl) }); err != nil {
		return "", err
	}
	if err := s.Sessions.RevokeAll(ctx, p.UserID); err != nil {
		return "", err
	}
	return s.Sessions.create(ctx, s.pool, p.UserID, "browser", cl.UserAgent, cl.IP)
}

// reauthenticate checks the current password before a sensitive change, throttled like
// a sign-in.
func (s *Service) reauthenticate(ctx context.Context, p auth.Principal, password string) error {
	if err := s.throttle(ctx, loginPerEmail, "user:"+itoa(p.UserID)); err != nil {
		return err
	}
	_, hash, err := userByID(ctx, s.pool, p.UserID)
	if err != nil {
		return err
	}
	if password == "" || !CheckPassword(password, hash) {
		return problem.Invalid(map[string]string{"current_password": "account.current_password_wrong"})
	}
	if s.Limits != nil {
		s.Limits.Reset(ctx, loginPerEmail, "user:"+itoa(p.UserID))
	}
	return nil
}

// RequestEmailChange needs the current password and mails a link to the new address;
// the address changes when that link is used.
func (s *Service) RequestEmailChange(ctx context.Context, p auth.Principal, password, newEmail string, cl Client) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	newEmail = normaliseEmail(newEmail)
	bad := problem.Fields{}
	checkEmail(bad, "new_email", newEmail)
	if err := bad.Err(); err != nil {
		return err
	}
	if err := s.reauthenticate(ctx, p, password); err != nil {
		return err
	}
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)`, newEmail).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return &problem.Error{Status: 409, Code: "email_taken", Key: "account.email_taken",
				Fields: map[string]string{"new_email": "account.email_taken"}}
		}
		u, _, err := userByID(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		token, err := insertEmailToken(ctx, tx, u.ID, purposeChange, newEmail, changeTTL)
		if err != nil {
			return err
		}
		return s.mail(ctx, tx, newEmail, u, cl.Lang, "mail.change_email", "Link", s.publicURL+"/potwierdz-email?token="+token)
	})
}

// SetLocale saves the person's language ("" follows the language switch).
func (s *Service) SetLocale(ctx context.Context, p auth.Principal, lang string) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	if lang != "" && !i18n.Supported(lang) {
		return problem.Invalid(map[string]string{"locale": "account.locale_unknown"})
	}
	var v *string
	if lang != "" {
		v = &lang
	}
	if _, err := s.pool.Exec(ctx, `UPDATE users SET locale = $2 WHERE id = $1`, p.UserID, v); err != nil {
		return err
	}
	return s.Sessions.Forget(ctx, p.UserID)
}

// ListSessions returns the person's active sessions.
func (s *Service) ListSessions(ctx context.Context, p auth.Principal) ([]Session, error) {
	if !p.SignedIn() {
		return nil, problem.Unauthorized()
	}
	return s.Sessions.List(ctx, p.UserID, p.SessionID)
}

// RevokeSession ends one of the person's own sessions.
func (s *Service) RevokeSession(ctx context.Context, p auth.Principal, id int64) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	return s.Sessions.Revoke(ctx, p.UserID, id)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
