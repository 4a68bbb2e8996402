package account

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/redisx"
)

// Session lifetimes: a browser session ends after a week without use or a month in
// all; an API token after a month idle or three months in all.
var lifetimes = map[string]struct{ idle, absolute time.Duration }{
	"browser": {7 * 24 * time.Hour, 30 * 24 * time.Hour},
	"api":     {30 * 24 * time.Hour, 90 * 24 * time.Hour},
}

// cacheTTL bounds how long a resolved session is served from Redis; revocation deletes
// the cached entry at once, so this only limits staleness if that delete fails.
const cacheTTL = time.Minute

// Sessions creates, resolves and revokes sessions. PostgreSQL holds them; Redis caches
// the resolved principal so a request does not cost a query.
type Sessions struct {
	pool   *pgxpool.Pool
	rdb    *redisx.Client
	cookie string
	secure bool
	i18n   *i18n.Bundle
	// Ended is told which sessions ended, so their open websockets close at once.
	Ended func(ctx context.Context, userID int64, sessionIDs []int64)
	// Changed is told whose roles or standing changed, so their websockets reconnect
	// and their rooms are authorised again.
	Changed func(ctx context.Context, userID int64)
}

// NewSessions builds the session store; secure (an https site) uses a __Host- cookie.
func NewSessions(pool *pgxpool.Pool, rdb *redisx.Client, bundle *i18n.Bundle, secure bool) *Sessions {
	name := "lawka_session"
	if secure {
		name = "__Host-lawka_session"
	}
	return &Sessions{pool: pool, rdb: rdb, cookie: name, secure: secure, i18n: bundle}
}

// create starts a session for userID and returns its token.
func (s *Sessions) create(ctx context.Context, q db.Querier, userID int64, kind, userAgent, ip string) (string, error) {
	token, hash := newToken()
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	_, err := q.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, kind, expires_at, user_agent, ip)
		VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5, $6)`,
		hash, userID, kind, lifetimes[kind].absolute.Seconds(), userAgent, ip)
	return token, err
}

func (s *Sessions) cacheKey(hash []byte) string {
	return s.rdb.Key("session", "{"+hex.EncodeToString(hash)+"}")
}

// Resolve turns a token into the principal it signs in, or a visitor.
func (s *Sessions) Resolve(ctx context.Context, token string) (auth.Principal, error) {
	if token == "" || len(token) > 100 {
		return auth.Principal{}, nil
	}
	hash := hashToken(token)
	key := s.cacheKey(hash)
	if raw, err := s.rdb.Get(ctx, key).Bytes(); err == nil {
		if string(raw) == revokedMarker {
			return auth.Principal{}, nil
		}
		var p auth.Principal
		if string(raw) != staleMarker && json.Unmarshal(raw, &p) == nil {
			return p, nil
		}
	}
	var p auth.Principal
	var kind string
	err := s.pool.QueryRow(ctx, `
		SELECT s.id, s.kind, u.id, u.display_name, u.verified_at IS NOT NULL, u.email_confirmed_at IS NOT NULL,
			coalesce(u.locale, ''), u.totp_enabled_at IS NOT NULL, u.blocked_at IS NOT NULL,
			array(SELECT r.role FROM user_roles r WHERE r.user_id = u.id ORDER BY r.role)
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.deleted_at IS NULL
		  AND s.last_seen_at > now() - CASE s.kind WHEN 'api' THEN make_interval(secs => $2) ELSE make_interval(secs => $3) END`,
		hash, lifetimes["api"].idle.Seconds(), lifetimes["browser"].idle.Seconds()).
		Scan(&p.SessionID, &kind, &p.UserID, &p.DisplayName, &p.Verified, &p.Confirmed, &p.Locale, &p.TOTP, &p.Blocked, &p.Roles)
	if errors.Is(err, pgx.ErrNoRows) {
		// Remember "no such session" for a while: a client repeating a dead or made-up
		// token costs Redis, not PostgreSQL. Tokens are random, so none of these can
		// become valid later.
		_ = s.rdb.SetNX(ctx, key, revokedMarker, cacheTTL).Err()
		return auth.Principal{}, nil
	}
	if err != nil {
		return auth.Principal{}, err
	}
	p.Member, err = isMember(ctx, s.pool, p.UserID)
	if err != nil {
		return auth.Principal{}, err
	}
	if _, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = now()
		WHERE id = $1 AND last_seen_at < now() - interval '1 minute'`, p.SessionID); err != nil {
		return auth.Principal{}, err
	}
	// SetNX, so a revocation that raced this lookup (and left its marker) wins.
	if raw, err := json.Marshal(p); err == nil {
		_ = s.rdb.SetNX(ctx, key, raw, cacheTTL).Err()
	}
	return p, nil
}

// isMember reports whether the person's own or their organisation's signature of the
// Declaration is confirmed (the is_member function in the schema).
func isMember(ctx context.Context, q db.Querier, userID int64) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT is_member($1)`, userID).Scan(&ok)
	return ok, err
}

// revokedMarker replaces a revoked session's cache entry for cacheTTL, so a lookup that
// read the session just before it was revoked cannot put it back in the cache.
const revokedMarker = "revoked"

// staleMarker says "read this session from PostgreSQL for now" (see dropCache).
const staleMarker = "stale"

// Revoke ends one session of userID (a person may end only their own: another's is
// not found).
func (s *Sessions) Revoke(ctx context.Context, userID, sessionID int64) error {
	n, err := s.revokeWhere(ctx, `user_id = $1 AND id = $2`, userID, sessionID)
	if err == nil && n == 0 {
		return problem.NotFound()
	}
	return err
}

// RevokeAll ends every session of userID (sign-out everywhere, password change, erasure).
func (s *Sessions) RevokeAll(ctx context.Context, userID int64) error {
	_, err := s.revokeWhere(ctx, `user_id = $1`, userID)
	return err
}

// Forget drops the cached principals of these people (after a role, verification or
// membership change), so their next request reads the new state.
func (s *Sessions) Forget(ctx context.Context, userIDs ...int64) error {
	if len(userIDs) == 0 {
		return nil
	}
	if s.Changed != nil {
		for _, id := range userIDs {
			s.Changed(ctx, id)
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT token_hash FROM sessions WHERE user_id = ANY($1) AND revoked_at IS NULL`, userIDs)
	if err != nil {
		return err
	}
	hashes, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return err
	}
	return s.dropCache(ctx, hashes)
}

func (s *Sessions) revokeWhere(ctx context.Context, where string, args ...any) (int, error) {
	rows, err := s.pool.Query(ctx, `UPDATE sessions SET revoked_at = now() WHERE revoked_at IS NULL AND `+where+
		` RETURNING id, user_id, token_hash`, args...)
	if err != nil {
		return 0, err
	}
	ended, err := pgx.CollectRows(rows, pgx.RowToStructByPos[endedSession])
	if err != nil {
		return 0, err
	}
	return len(ended), s.afterEnd(ctx, ended)
}

// endedSession is a session that just ended.
type endedSession struct {
	ID     int64
	UserID int64
	Hash   []byte
}

// afterEnd marks ended sessions in the cache and closes their websockets.
func (s *Sessions) afterEnd(ctx context.Context, ended []endedSession) error {
	hashes := make([][]byte, len(ended))
	byUser := map[int64][]int64{}
	for i, e := range ended {
		hashes[i] = e.Hash
		byUser[e.UserID] = append(byUser[e.UserID], e.ID)
	}
	if s.Ended != nil {
		for user, ids := range byUser {
			s.Ended(ctx, user, ids)
		}
	}
	return s.markRevoked(ctx, hashes)
}

// markRevoked replaces the cached principals of ended sessions with the revoked marker.
// If Redis is down the entries expire within cacheTTL; the revocation itself is already
// in PostgreSQL.
func (s *Sessions) markRevoked(ctx context.Context, hashes [][]byte) error {
	return s.mark(ctx, hashes, revokedMarker)
}

// dropCache forgets cached principals of live sessions (their roles or state changed):
// a "stale" marker for cacheTTL makes lookups read PostgreSQL and keeps a lookup that
// raced the change from caching the old state.
func (s *Sessions) dropCache(ctx context.Context, hashes [][]byte) error {
	return s.mark(ctx, hashes, staleMarker)
}

func (s *Sessions) mark(ctx context.Context, hashes [][]byte, marker string) error {
	if len(hashes) == 0 {
		return nil
	}
	pipe := s.rdb.Pipeline()
	for _, h := range hashes {
		pipe.Set(ctx, s.cacheKey(h), marker, cacheTTL)
	}
	_, _ = pipe.Exec(ctx)
	return nil
}

// List returns userID's active sessions, newest first.
func (s *Sessions) List(ctx context.Context, userID, currentID int64) ([]Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, kind, created_at, last_seen_at, user_agent, ip FROM sessions
		WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() ORDER BY last_seen_at DESC`, userID)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[Session])
	for i := range list {
		list[i].Current = list[i].ID == currentID
	}
	return list, err
}

// token reads the request's credentials: a bearer token (API clients) or the cookie.
func (s *Sessions) token(c *fiber.Ctx) (token string, bearer bool) {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t), true
		}
	}
	return c.Cookies(s.cookie), false
}

// Middleware puts the signed-in principal on every request, and switches the page to
// the person's chosen language.
func (s *Sessions) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		token, bearer := s.token(c)
		if token == "" {
			return c.Next()
		}
		p, err := s.Resolve(c.UserContext(), token)
		if err != nil {
			return err
		}
		if !p.SignedIn() {
			if !bearer {
				s.clearCookie(c)
			}
			return c.Next()
		}
		p.ViaBearer = bearer
		auth.Set(c, p)
		if i18n.Supported(p.Locale) && c.Query("lang") == "" {
			httpx.SetLocalizer(c, s.i18n.For(p.Locale))
		}
		return c.Next()
	}
}

func (s *Sessions) setCookie(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{Name: s.cookie, Value: token, Path: "/", HTTPOnly: true, Secure: s.secure,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(lifetimes["browser"].absolute.Seconds())})
}

func (s *Sessions) clearCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: s.cookie, Value: "", Path: "/", HTTPOnly: true, Secure: s.secure,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: -1, Expires: time.Unix(0, 0)})
}

// RequireStaffTOTP sends moderators and admins without two-step sign-in to set it up
// before anything else (when the setting requires it): pages redirect to the set-up,
// API calls answer 403 totp_enrolment_required.
func RequireStaffTOTP(required bool) fiber.Handler {
	allowed := []string{"/konto/2fa", "/wyloguj", "/api/v1/auth/logout", "/api/v1/me"}
	return func(c *fiber.Ctx) error {
		p := auth.From(c)
		if !required || !p.Staff() || p.TOTP {
			return c.Next()
		}
		for _, a := range allowed {
			if strings.HasPrefix(c.Path(), a) {
				return c.Next()
			}
		}
		if httpx.WantsJSON(c) || c.Method() != fiber.MethodGet {
			return &problem.Error{Status: 403, Code: "totp_enrolment_required", Key: "account.totp_enrolment_required"}
		}
		return c.Redirect("/konto/2fa?wymagane=1", fiber.StatusSeeOther)
	}
}
