package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/mail"
	"lawka/internal/platform/problem"
)

// Digest timing: the round runs from DigestHour (Europe/Warsaw) on, every
// digestEvery; a person gets at most one digest a day, however often it runs.
const (
	DigestHour  = 7
	digestEvery = 5 * time.Minute
	// DigestItems is how many notifications one digest lists (the rest are counted).
	DigestItems = 20
)

// Settings are a person's mail settings.
type Settings struct {
	DailyDigest    bool
	EmailConfirmed bool // a digest goes only to a confirmed address
}

// Settings reads p's mail settings.
func (s *Service) Settings(ctx context.Context, p auth.Principal) (Settings, error) {
	if !p.SignedIn() {
		return Settings{}, problem.Unauthorized()
	}
	var st Settings
	err := s.pool.QueryRow(ctx, `SELECT coalesce((SELECT daily_digest FROM notification_settings WHERE user_id = u.id), false),
		u.email_confirmed_at IS NOT NULL FROM users u WHERE u.id = $1`, p.UserID).Scan(&st.DailyDigest, &st.EmailConfirmed)
	return st, err
}

// SetDigest turns p's daily digest on or off.
func (s *Service) SetDigest(ctx context.Context, p auth.Principal, on bool) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	return setDigest(ctx, s.pool, p.UserID, on)
}

func setDigest(ctx context.Context, q db.Querier, userID int64, on bool) error {
	_, err := q.Exec(ctx, `INSERT INTO notification_settings (user_id, daily_digest) VALUES ($1, $2)
		ON CONFLICT (user_id) DO UPDATE SET daily_digest = $2, updated_at = now()`, userID, on)
	return err
}

// signer is the key of unsubscribe links, loaded once.
func (s *Service) signer(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key == nil {
		if s.Key == nil {
			return nil, errors.New("notify: no key for unsubscribe links")
		}
		k, err := s.Key(ctx)
		if err != nil {
			return nil, err
		}
		s.key = k
	}
	return s.key, nil
}

func mac(key []byte, userID int64) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("digest-unsubscribe:" + strconv.FormatInt(userID, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// UnsubscribeToken is the signed token of userID's one-click unsubscribe link
// ("<id>.<HMAC>"): it works without signing in, for that person only, and cannot be
// made without the server's key.
func (s *Service) UnsubscribeToken(ctx context.Context, userID int64) (string, error) {
	key, err := s.signer(ctx)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(userID, 10) + "." + mac(key, userID), nil
}

// checkToken returns the person a token was made for.
func (s *Service) checkToken(ctx context.Context, token string) (int64, error) {
	bad := problem.BadRequest("bad_unsubscribe_token", "notifications.unsubscribe_bad_link")
	raw, sum, ok := strings.Cut(token, ".")
	if !ok || len(token) > 200 {
		return 0, bad
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		return 0, bad
	}
	key, err := s.signer(ctx)
	if err != nil {
		return 0, err
	}
	if !hmac.Equal([]byte(sum), []byte(mac(key, id))) {
		return 0, bad
	}
	return id, nil
}

// CheckUnsubscribe says whether token is a valid unsubscribe link (the confirmation page).
func (s *Service) CheckUnsubscribe(ctx context.Context, token string) error {
	_, err := s.checkToken(ctx, token)
	return err
}

// Unsubscribe turns off the daily digest of the person token was made for.
func (s *Service) Unsubscribe(ctx context.Context, token string) error {
	id, err := s.checkToken(ctx, token)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `UPDATE notification_settings SET daily_digest = false, updated_at = now() WHERE user_id = $1`, id)
	return err
}

// Run sends the daily digests until ctx ends: from DigestHour on, every few minutes,
// each opted-in person at most once a day (instances share the work).
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(digestEvery)
	defer t.Stop()
	for {
		if now := time.Now(); now.In(i18n.Warsaw).Hour() >= DigestHour {
			if _, err := s.SendDigests(ctx, now); err != nil && ctx.Err() == nil {
				s.Log.Warn("notify: digest round failed", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SendDigests runs the digest round of now's day (Europe/Warsaw): every opted-in
// person with a confirmed address who has had no round that day gets one mail (through
// the outbox) listing their unread notifications not yet sent in a digest, or nothing
// when there are none. Each person's mail, the marks on their notifications and the
// day of their round commit together, so running it twice, or on two instances at
// once, sends each person at most one digest a day. It returns how many mails it queued.
func (s *Service) SendDigests(ctx context.Context, now time.Time) (int, error) {
	if s.I18n == nil {
		return 0, errors.New("notify: digests need translations")
	}
	day := now.In(i18n.Warsaw).Format(time.DateOnly)
	sent := 0
	for {
		done := false
		err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
			var userID int64
			var email, name string
			var locale *string
			err := tx.QueryRow(ctx, `SELECT s.user_id, u.email, u.display_name, u.locale
				FROM notification_settings s JOIN users u ON u.id = s.user_id
				WHERE s.daily_digest AND (s.digest_sent_on IS NULL OR s.digest_sent_on < $1::date)
					AND u.deleted_at IS NULL AND u.email_confirmed_at IS NOT NULL
				ORDER BY s.user_id LIMIT 1 FOR UPDATE OF s SKIP LOCKED`, day).Scan(&userID, &email, &name, &locale)
			if errors.Is(err, pgx.ErrNoRows) {
				done = true
				return nil
			}
			if err != nil {
				return err
			}
			queued, err := s.digestFor(ctx, tx, userID, email, name, deref(locale))
			if err != nil {
				return err
			}
			if queued {
				sent++
			}
			_, err = tx.Exec(ctx, `UPDATE notification_settings SET digest_sent_on = $2::date WHERE user_id = $1`, userID, day)
			return err
		})
		if err != nil {
			return sent, err
		}
		if done {
			return sent, nil
		}
	}
}

// digestFor writes and queues one person's digest inside tx; false when there was
// nothing new to tell.
func (s *Service) digestFor(ctx context.Context, tx pgx.Tx, userID int64, email, name, locale string) (bool, error) {
	rows, err := tx.Query(ctx, `UPDATE notifications SET digested_at = now()
		WHERE user_id = $1 AND read_at IS NULL AND digested_at IS NULL RETURNING id`, userID)
	if err != nil {
		return false, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) == 0 {
		return false, err
	}
	rows, err = tx.Query(ctx, `SELECT n.id, n.kind, n.target_type, n.target_id, n.actor_id, u.display_name,
		u.deleted_at IS NOT NULL, n.data, n.read_at, n.created_at
		FROM notifications n LEFT JOIN users u ON u.id = n.actor_id
		WHERE n.id = ANY($1) ORDER BY n.id DESC LIMIT $2`, ids, DigestItems)
	if err != nil {
		return false, err
	}
	list, err := pgx.CollectRows(rows, scanNotification)
	if err != nil {
		return false, err
	}
	l := s.I18n.For(locale)
	token, err := s.UnsubscribeToken(ctx, userID)
	if err != nil {
		return false, err
	}
	base := strings.TrimSuffix(s.PublicURL, "/")
	var b strings.Builder
	b.WriteString(l.T("notifications.digest_intro", "Name", name))
	b.WriteString("\n\n")
	for _, n := range list {
		n.Path = s.path(n)
		b.WriteString("- " + Text(l, n) + "\n  " + base + n.Path + "\n")
	}
	if more := len(ids) - len(list); more > 0 {
		b.WriteString("\n" + l.N("notifications.digest_more", more) + "\n")
	}
	b.WriteString("\n" + l.T("notifications.digest_footer", "Link", base+"/powiadomienia",
		"Settings", base+"/konto/powiadomienia", "Unsubscribe", base+"/powiadomienia/wypisz?t="+token) + "\n")
	return true, mail.Enqueue(ctx, tx, mail.Message{To: email, Subject: l.N("notifications.digest_subject", len(ids)), Body: b.String()})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Text is a notification's sentence in l's language (pages and digests).
func Text(l *i18n.Localizer, n Notification) string {
	title := dataString(n.Data, "title")
	who := l.T("notifications.someone")
	if n.Actor != nil {
		who = n.Actor.DisplayName
	}
	switch n.Kind {
	case KindStatus:
		status := l.T("proposals.status_" + dataString(n.Data, "to"))
		if official, _ := n.Data["official"].(bool); official {
			return l.T("notifications.text_answer", "Title", title, "Status", status)
		}
		return l.T("notifications.text_status", "Title", title, "Status", status)
	case KindReply:
		return l.T("notifications.text_reply", "Name", who, "Title", title)
	case KindComment:
		return l.T("notifications.text_comment", "Name", who, "Title", title)
	case KindPromise:
		if to := dataString(n.Data, "to"); to != dataString(n.Data, "from") {
			return l.T("notifications.text_promise_status", "Title", title, "Status", l.T("promises.status_"+to))
		}
		return l.T("notifications.text_promise_update", "Title", title)
	case KindCosignConfirm:
		return l.T("notifications.text_cosign_confirm", "Name", who, "Title", title)
	case KindModeration:
		text := l.T("notifications.text_moderation_"+dataString(n.Data, "outcome"), "Title", title,
			"Item", l.T("moderation.type_"+dataString(n.Data, "item_type")))
		if reason := dataString(n.Data, "reason"); reason != "" {
			text += " " + l.T("notifications.text_moderation_reason", "Reason", reason)
		}
		return text
	}
	return l.T("notifications.text_other", "Title", title)
}
