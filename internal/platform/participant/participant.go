// Package participant identifies a browser that takes part without an account (an
// open poll's voter, a debate's audience): a random id in a cookie signed with a
// server key, "<id>.<HMAC>".
package participant

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
)

// Cookie is the cookie's name; one id per browser serves every feature.
const Cookie = "lawka_participant"

// Cookies reads and issues participant cookies.
type Cookies struct {
	loadKey func(context.Context) ([]byte, error)
	secure  bool
	mu      sync.Mutex
	key     []byte
}

// New builds the cookies; loadKey gives the signing key (read once), secure sets the
// cookie's Secure flag.
func New(loadKey func(context.Context) ([]byte, error), secure bool) *Cookies {
	return &Cookies{loadKey: loadKey, secure: secure}
}

func (k *Cookies) signer(ctx context.Context) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key == nil {
		key, err := k.loadKey(ctx)
		if err != nil {
			return nil, err
		}
		k.key = key
	}
	return k.key, nil
}

func sign(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:22]
}

// ID reads this browser's participant id ("" when it has none, or a forged one), or,
// when create, issues one and sets the cookie.
func (k *Cookies) ID(c *fiber.Ctx, create bool) (string, error) {
	if !create && c.Cookies(Cookie) == "" {
		return "", nil // reading needs no key (a page view creates nothing)
	}
	key, err := k.signer(c.UserContext())
	if err != nil {
		return "", err
	}
	if id, mac, ok := strings.Cut(c.Cookies(Cookie), "."); ok && hmac.Equal([]byte(mac), []byte(sign(key, id))) {
		return strings.Clone(id), nil
	}
	if !create {
		return "", nil
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	c.Cookie(&fiber.Cookie{Name: Cookie, Value: id + "." + sign(key, id), Path: "/", HTTPOnly: true,
		Secure: k.secure, SameSite: fiber.CookieSameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	return id, nil
}

// Key names who takes part: "user:<id>" for an account, "anon:<id>" for a browser's
// cookie id, "" for neither.
func Key(p auth.Principal, anonID string) string {
	if p.SignedIn() {
		return "user:" + strconv.FormatInt(p.UserID, 10)
	}
	if anonID != "" {
		return "anon:" + anonID
	}
	return ""
}
