package account

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
)

// Two-step sign-in: after the password, a 6-digit code from an authenticator app (or a
// single-use recovery code). Open to everyone; required of staff where the setting
// LAWKA_REQUIRE_2FA_FOR_STAFF says so.

const (
	totpPeriod     = 30
	challengeTTL   = 5 * time.Minute
	challengeTries = 5
	recoveryCount  = 10
)

func totpProblem() *problem.Error {
	return &problem.Error{Status: 401, Code: "totp_invalid", Key: "account.totp_invalid",
		Fields: map[string]string{"code": "account.totp_invalid"}}
}

// TOTPRequired is the answer to an API sign-in that needs its second step: send the
// same request again with "totp_code".
func TOTPRequired() *problem.Error {
	return &problem.Error{Status: 401, Code: "totp_required", Key: "account.totp_required"}
}

// checkTOTP accepts a code for the current 30-second step or either neighbour, once: the
// step is remembered so the same code cannot be replayed.
func checkTOTP(ctx context.Context, tx pgx.Tx, userID int64, secret, code string) (bool, error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return false, nil
	}
	var last int64
	if err := tx.QueryRow(ctx, `SELECT totp_last_counter FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&last); err != nil {
		return false, err
	}
	now := time.Now()
	for _, skew := range []int64{0, -1, 1} {
		at := now.Add(time.Duration(skew*totpPeriod) * time.Second)
		counter := at.Unix() / totpPeriod
		want, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return false, err
		}
		if want == code {
			if counter <= last {
				return false, nil
			}
			_, err := tx.Exec(ctx, `UPDATE users SET totp_last_counter = $2 WHERE id = $1`, userID, counter)
			return err == nil, err
		}
	}
	return false, nil
}

func hashRecovery(code string) []byte {
	code = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	h := sha256.Sum256([]byte(code))
	return h[:]
}

// secondStepPerUser caps guesses of the second step per account, whatever the number
// of challenges or addresses they come from.
var secondStepPerUser = ratelimit.Rule{Name: "totp:user", Limit: 10, Window: 15 * time.Minute}

// checkSecondStep throttles and then checks a second step for userID.
func (s *Service) checkSecondStep(ctx context.Context, userID int64, code string) (bool, error) {
	if err := s.throttle(ctx, secondStepPerUser, itoa(userID)); err != nil {
		return false, err
	}
	var ok bool
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		ok, err = secondFactor(ctx, tx, userID, code)
		return err
	})
	return ok, err
}

// secondFactor checks a TOTP code or, failing that, an unused recovery code.
func secondFactor(ctx context.Context, tx pgx.Tx, userID int64, code string) (bool, error) {
	var secret *string
	if err := tx.QueryRow(ctx, `SELECT totp_secret FROM users WHERE id = $1`, userID).Scan(&secret); err != nil {
		return false, err
	}
	if secret == nil {
		return true, nil
	}
	if ok, err := checkTOTP(ctx, tx, userID, *secret, code); ok || err != nil {
		return ok, err
	}
	tag, err := tx.Exec(ctx, `UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
		userID, hashRecovery(code))
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

func hasTOTP(ctx context.Context, q db.Querier, userID int64) (bool, error) {
	var on bool
	err := q.QueryRow(ctx, `SELECT totp_enabled_at IS NOT NULL FROM users WHERE id = $1`, userID).Scan(&on)
	return on, err
}

// newChallenge remembers a right password while the second step is asked for.
func newChallenge(ctx context.Context, q db.Querier, userID int64) (string, error) {
	token, hash := newToken()
	_, err := q.Exec(ctx, `INSERT INTO login_challenges (token_hash, user_id, expires_at)
		VALUES ($1, $2, now() + make_interval(secs => $3))`, hash, userID, challengeTTL.Seconds())
	return token, err
}

// CompleteLogin finishes a browser sign-in with the second step.
func (s *Service) CompleteLogin(ctx context.Context, challenge, code string, cl Client) (User, string, error) {
	expired := &problem.Error{Status: 400, Code: "challenge_expired", Key: "account.challenge_expired"}
	if challenge == "" {
		return User{}, "", expired
	}
	var userID int64
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE login_challenges SET attempts = attempts + 1
			WHERE token_hash = $1 AND expires_at > now() AND attempts < $2 RETURNING user_id`,
			hashToken(challenge), challengeTries).Scan(&userID)
		if errors.Is(err, pgx.ErrNoRows) {
			return expired
		}
		return err
	})
	if err != nil {
		return User{}, "", err
	}
	ok, err := s.checkSecondStep(ctx, userID, code)
	if err != nil {
		return User{}, "", err
	}
	if !ok {
		return User{}, "", totpProblem()
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM login_challenges WHERE token_hash = $1`, hashToken(challenge)); err != nil {
		return User{}, "", err
	}
	u, _, err := userByID(ctx, s.pool, userID)
	if err != nil {
		return User{}, "", err
	}
	token, err := s.Sessions.create(ctx, s.pool, userID, "browser", cl.UserAgent, cl.IP)
	return u, token, err
}

// Enrolment is what the person sees while setting up two-step sign-in.
type Enrolment struct {
	Secret string       // base32, to type into an app by hand
	QRCode template.URL // data: URL of a PNG QR code we made ourselves
}

func alreadyOn() *problem.Error {
	return &problem.Error{Status: 409, Code: "totp_already_enabled", Key: "account.totp_already_enabled"}
}

// StartTOTP makes a new secret, pending until the person confirms a code from it. When
// two-step sign-in is on already it must be turned off first (password and code), so
// a stolen session cannot swap the secret.
func (s *Service) StartTOTP(ctx context.Context, p auth.Principal) (Enrolment, error) {
	if !p.SignedIn() {
		return Enrolment{}, problem.Unauthorized()
	}
	if on, err := hasTOTP(ctx, s.pool, p.UserID); err != nil || on {
		if err == nil {
			err = alreadyOn()
		}
		return Enrolment{}, err
	}
	u, _, err := userByID(ctx, s.pool, p.UserID)
	if err != nil {
		return Enrolment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Ławka", AccountName: u.Email, Period: totpPeriod})
	if err != nil {
		return Enrolment{}, err
	}
	if _, err := s.pool.Exec(ctx, `UPDATE users SET totp_pending_secret = $2 WHERE id = $1`, p.UserID, key.Secret()); err != nil {
		return Enrolment{}, err
	}
	return enrolmentFor(key)
}

// PendingTOTP shows the pending secret again (after a wrong code).
func (s *Service) PendingTOTP(ctx context.Context, p auth.Principal) (Enrolment, error) {
	var secret *string
	var email string
	if err := s.pool.QueryRow(ctx, `SELECT totp_pending_secret, email FROM users WHERE id = $1`, p.UserID).Scan(&secret, &email); err != nil {
		return Enrolment{}, err
	}
	if secret == nil {
		return Enrolment{}, nil
	}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/Ławka:" + email,
		RawQuery: url.Values{"secret": {*secret}, "issuer": {"Ławka"}, "period": {"30"}}.Encode()}
	key, err := otp.NewKeyFromURL(u.String())
	if err != nil {
		return Enrolment{}, err
	}
	return enrolmentFor(key)
}

func enrolmentFor(key *otp.Key) (Enrolment, error) {
	img, err := key.Image(240, 240)
	if err != nil {
		return Enrolment{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(),
		QRCode: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))}, nil // #nosec: our own PNG
}

// ConfirmTOTP turns two-step sign-in on with a code from the pending secret and returns
// the recovery codes, shown once.
func (s *Service) ConfirmTOTP(ctx context.Context, p auth.Principal, code string) ([]string, error) {
	if !p.SignedIn() {
		return nil, problem.Unauthorized()
	}
	var codes []string
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var pending *string
		if err := tx.QueryRow(ctx, `SELECT totp_pending_secret FROM users WHERE id = $1`, p.UserID).Scan(&pending); err != nil {
			return err
		}
		if pending == nil {
			return &problem.Error{Status: 409, Code: "totp_not_started", Key: "account.totp_not_started"}
		}
		if on, err := hasTOTP(ctx, tx, p.UserID); err != nil || on {
			if err == nil {
				err = alreadyOn()
			}
			return err
		}
		ok, err := checkTOTP(ctx, tx, p.UserID, *pending, code)
		if err != nil {
			return err
		}
		if !ok {
			return totpProblem()
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL,
			totp_enabled_at = now() WHERE id = $1`, p.UserID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, p.UserID); err != nil {
			return err
		}
		for len(codes) < recoveryCount {
			c := newCode()[:8]
			codes = append(codes, c[:4]+"-"+c[4:])
			if _, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`, p.UserID, hashRecovery(c)); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "user.totp_enable", TargetType: "user", TargetID: p.UserID})
	})
	if err != nil {
		return nil, err
	}
	return codes, s.Sessions.Forget(ctx, p.UserID)
}

// DisableTOTP turns two-step sign-in off (password and a current code needed). Staff
// who must use it cannot turn it off.
func (s *Service) DisableTOTP(ctx context.Context, p auth.Principal, password, code string) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	if s.RequireStaffTOTP && p.Staff() {
		return &problem.Error{Status: 403, Code: "totp_required_for_staff", Key: "account.totp_required_for_staff"}
	}
	if err := s.reauthenticate(ctx, p, password); err != nil {
		return err
	}
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		ok, err := secondFactor(ctx, tx, p.UserID, code)
		if err != nil {
			return err
		}
		if !ok {
			return totpProblem()
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_enabled_at = NULL
			WHERE id = $1`, p.UserID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, p.UserID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "user.totp_disable", TargetType: "user", TargetID: p.UserID})
	})
	if err != nil {
		return err
	}
	return s.Sessions.Forget(ctx, p.UserID)
}

// RecoveryCodesLeft counts unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, p auth.Principal) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, p.UserID).Scan(&n)
	return n, err
}
