package account_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/account"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db/dbtest"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
	"lawka/internal/platform/redisx"
	"lawka/internal/platform/redisx/redistest"
)

var ctx = context.Background()

// phc matches an argon2id PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$key.
var phc = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)

// checkPHC fails unless hash is argon2id with at least OWASP's parameters, and returns its salt.
func checkPHC(t *testing.T, hash string) (salt string) {
	t.Helper()
	m := phc.FindStringSubmatch(hash)
	if m == nil {
		t.Fatalf("password hash %q is not an argon2id PHC string", hash)
	}
	mem, _ := strconv.Atoi(m[1])
	iter, _ := strconv.Atoi(m[2])
	par, _ := strconv.Atoi(m[3])
	if mem < 19456 || iter < 2 || par != 1 {
		t.Errorf("argon2id parameters m=%d t=%d p=%d, want m>=19456 t>=2 p=1", mem, iter, par)
	}
	s, err := base64.RawStdEncoding.DecodeString(m[4])
	if err != nil || len(s) < 16 {
		t.Errorf("salt %q: %d bytes (%v), want at least 16", m[4], len(s), err)
	}
	k, err := base64.RawStdEncoding.DecodeString(m[5])
	if err != nil || len(k) < 32 {
		t.Errorf("key %q: %d bytes (%v), want at least 32", m[5], len(k), err)
	}
	return m[4]
}

func TestHashPasswordIsArgon2idPHC(t *testing.T) {
	t.Parallel()
	const pw = "zielona ławka pod kasztanem"
	h1, err := account.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := account.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if checkPHC(t, h1) == checkPHC(t, h2) || h1 == h2 {
		t.Error("two hashes of one password share a salt")
	}
	if !account.CheckPassword(pw, h1) || !account.CheckPassword(pw, h2) {
		t.Error("the right password does not match its hash")
	}
	for _, wrong := range []string{"", "zielona ławka pod kasztanem ", "Zielona ławka pod kasztanem", h1} {
		if account.CheckPassword(wrong, h1) {
			t.Errorf("%q matches the hash of another password", wrong)
		}
	}
	if account.CheckPassword(pw, "not a hash") || account.CheckPassword(pw, "") {
		t.Error("a malformed hash matched")
	}
}

// newService is the account service on a fresh database, with sessions cached in a
// Redis key space of its own and throttling over that Redis.
func newService(t *testing.T) (*account.Service, *pgxpool.Pool, *redisx.Client) {
	t.Helper()
	pool := dbtest.New(t)
	rdb := redistest.New(t)
	log := slog.New(slog.DiscardHandler)
	svc := account.NewService(pool, account.Deps{
		Sessions: account.NewSessions(pool, rdb, nil, false),
		Limits:   ratelimit.New(rdb, log),
	})
	return svc, pool, rdb
}

func countUsers(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateNormalisesEmailAndStoresArgon2id(t *testing.T) {
	t.Parallel()
	svc, pool, _ := newService(t)
	u, err := svc.Create(ctx, account.NewUser{Email: "  Ola.Nowak@Example.ORG ", Password: "kasztany-na-plantach",
		DisplayName: "  Ola Nowak  ", EmailConfirmed: true})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ola.nowak@example.org" || u.DisplayName != "Ola Nowak" || len(u.Roles) != 1 || u.Roles[0] != "resident" {
		t.Fatalf("created %+v", u)
	}
	for _, e := range []string{"ola.nowak@example.org", "OLA.NOWAK@EXAMPLE.ORG", " ola.nowak@example.org\t"} {
		if ok, err := svc.Exists(ctx, e); err != nil || !ok {
			t.Errorf("Exists(%q) = %v, %v", e, ok, err)
		}
	}
	var hash string
	if err := pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	checkPHC(t, hash)
	if strings.Contains(hash, "kasztany") || !account.CheckPassword("kasztany-na-plantach", hash) {
		t.Fatalf("stored hash %q does not verify the password (or holds it)", hash)
	}

	_, err = svc.Create(ctx, account.NewUser{Email: "OLA.nowak@example.org ", Password: "inne-hasło-zupełnie", DisplayName: "Druga Ola"})
	if p, ok := problem.As(err); !ok || p.Status != http.StatusConflict || p.Code != "email_taken" {
		t.Fatalf("same address in other case: %v, want 409 email_taken", err)
	}
	if n := countUsers(t, pool); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
}

// TestRegistrationRules checks the limits at their edges: lengths count characters
// (runes), not bytes.
func TestRegistrationRules(t *testing.T) {
	t.Parallel()
	svc, pool, _ := newService(t)
	ok := account.Registration{Email: "edge@example.org", Password: "długie hasło na ławce", DisplayName: "Edge", AcceptTerms: true}
	with := func(f func(*account.Registration)) account.Registration { r := ok; f(&r); return r }
	cases := []struct {
		name  string
		in    account.Registration
		field string // "" when the registration must succeed
		key   string
	}{
		{"8 characters is enough", with(func(r *account.Registration) { r.Email = "e8@example.org"; r.Password = "ąęśćżźół" }), "", ""},
		{"7 characters is too short", with(func(r *account.Registration) { r.Password = "ąęśćżźó" }), "password", "account.password_too_short"},
		{"128 two-byte characters is allowed", with(func(r *account.Registration) {
			r.Email = "e128@example.org"
			r.Password = strings.Repeat("ż", 128)
		}), "", ""},
		{"129 characters is too long", with(func(r *account.Registration) { r.Password = strings.Repeat("ż", 129) }), "password", "account.password_too_long"},
		{"common password", with(func(r *account.Registration) { r.Password = "password1" }), "password", "account.password_common"},
		{"common password in capitals", with(func(r *account.Registration) { r.Password = "ZAQ12WSX" }), "password", "account.password_common"},
		{"password is the email", with(func(r *account.Registration) {
			r.Email = "ktos.dlugi@example.org"
			r.Password = "Ktos.Dlugi@example.org"
		}), "password", "account.password_is_email"},
		{"80-character name is allowed", with(func(r *account.Registration) {
			r.Email = "e80@example.org"
			r.DisplayName = strings.Repeat("ł", 80)
		}), "", ""},
		{"81-character name", with(func(r *account.Registration) { r.DisplayName = strings.Repeat("ł", 81) }), "display_name", "account.display_name_length"},
		{"blank name", with(func(r *account.Registration) { r.DisplayName = " \t " }), "display_name", "account.display_name_length"},
		{"address with a display name", with(func(r *account.Registration) { r.Email = "Ola <ola@example.org>" }), "email", "account.email_invalid"},
		{"no at sign", with(func(r *account.Registration) { r.Email = "ola.example.org" }), "email", "account.email_invalid"},
		{"terms not accepted", with(func(r *account.Registration) { r.AcceptTerms = false }), "accept_terms", "account.terms_required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := countUsers(t, pool)
			u, err := svc.Register(ctx, tc.in, account.Client{IP: "192.0.2.1"})
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if u.ID == 0 || u.EmailConfirmed || u.Verified {
					t.Fatalf("registered %+v", u)
				}
				return
			}
			p, isProblem := problem.As(err)
			if !isProblem || p.Status != http.StatusUnprocessableEntity || p.Fields[tc.field] != tc.key || len(p.Fields) != 1 {
				t.Fatalf("error %v (%+v), want 422 with only %s: %s", err, p, tc.field, tc.key)
			}
			if n := countUsers(t, pool); n != before {
				t.Fatalf("a refused registration saved a user (%d → %d)", before, n)
			}
		})
	}
}

// TestSignInIsThrottledWithoutRedis: when Redis cannot be reached the limiter counts
// in the process, so guessing passwords is still limited.
func TestSignInIsThrottledWithoutRedis(t *testing.T) {
	t.Parallel()
	dead, err := redisx.Open("redis://127.0.0.1:1/0", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dead.Close() })
	log := slog.New(slog.DiscardHandler)

	t.Run("limiter", func(t *testing.T) {
		lim := ratelimit.New(dead, log)
		rule := ratelimit.Rule{Name: "login:email", Limit: 5, Window: time.Minute}
		for i := 1; i <= 5; i++ {
			if ok, _ := lim.Allow(ctx, rule, "ola@example.org"); !ok {
				t.Fatalf("attempt %d refused, want 5 allowed", i)
			}
		}
		ok, wait := lim.Allow(ctx, rule, "ola@example.org")
		if ok || wait <= 0 || wait > time.Minute {
			t.Fatalf("6th attempt: allowed=%v wait=%v, want refused with a wait within the window", ok, wait)
		}
		if ok, _ := lim.Allow(ctx, rule, "someone-else@example.org"); !ok {
			t.Fatal("another address was refused: the fallback limit must be per key")
		}
	})

	t.Run("service", func(t *testing.T) {
		pool := dbtest.New(t)
		svc := account.NewService(pool, account.Deps{
			Sessions: account.NewSessions(pool, dead, nil, false),
			Limits:   ratelimit.New(dead, log),
		})
		if _, err := svc.Create(ctx, account.NewUser{Email: "ola@example.org", Password: "prawdziwe-hasło-oli", DisplayName: "Ola"}); err != nil {
			t.Fatal(err)
		}
		cl := account.Client{IP: "192.0.2.7"}
		for i := 1; i <= 5; i++ {
			_, _, err := svc.Login(ctx, "ola@example.org", "zgadywane-"+strconv.Itoa(i), "api", cl)
			if p, ok := problem.As(err); !ok || p.Code != "invalid_credentials" {
				t.Fatalf("guess %d: %v, want invalid_credentials", i, err)
			}
		}
		_, token, err := svc.Login(ctx, "OLA@example.org", "prawdziwe-hasło-oli", "api", cl)
		if p, ok := problem.As(err); !ok || p.Status != http.StatusTooManyRequests || p.RetryAfter <= 0 || token != "" {
			t.Fatalf("6th attempt with Redis down: %v (token %q), want 429 with a retry time", err, token)
		}
	})
}

func TestSessionTokensAreStoredOnlyHashed(t *testing.T) {
	t.Parallel()
	svc, pool, rdb := newService(t)
	u, err := svc.Create(ctx, account.NewUser{Email: "hash@example.org", Password: "sekretne-hasło-ławki", DisplayName: "Hash"})
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := svc.Login(ctx, "hash@example.org", "sekretne-hasło-ławki", "browser", account.Client{IP: "192.0.2.1", UserAgent: "test"})
	if err != nil || len(token) < 40 {
		t.Fatalf("login: %v, token %q", err, token)
	}
	p, err := svc.Sessions.Resolve(ctx, token)
	if err != nil || p.UserID != u.ID || p.SessionID == 0 {
		t.Fatalf("resolve: %+v %v", p, err)
	}

	var stored []byte
	var ua, ip string
	if err := pool.QueryRow(ctx, `SELECT token_hash, user_agent, ip FROM sessions WHERE id = $1`, p.SessionID).Scan(&stored, &ua, &ip); err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(token)
	if len(stored) != 32 || string(stored) == token || string(raw) == string(stored) || strings.Contains(ua+ip, token) {
		t.Fatalf("sessions.token_hash = %x (%d bytes) for token %q: the token is stored recoverably", stored, len(stored), token)
	}
	// Whoever reads the table cannot sign in with what is there.
	for _, guess := range []string{string(stored), hex.EncodeToString(stored), base64.RawURLEncoding.EncodeToString(stored),
		base64.StdEncoding.EncodeToString(stored)} {
		if p, err := svc.Sessions.Resolve(ctx, guess); err != nil || p.SignedIn() {
			t.Fatalf("the stored hash, presented as a token, signed in: %+v %v", p, err)
		}
	}
	// Nor does the session cache hold the token in its keys or values.
	keys, err := rdb.Keys(ctx, rdb.Prefix()+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatal("no session cached in Redis: the cache check below would prove nothing")
	}
	for _, k := range keys {
		v, _ := rdb.Get(ctx, k).Result()
		if strings.Contains(k, token) || strings.Contains(v, token) {
			t.Fatalf("Redis key %q holds the raw token", k)
		}
	}
}

func TestRevokedSessionEndsAtOnceAndOnlyForItsOwner(t *testing.T) {
	t.Parallel()
	svc, _, _ := newService(t)
	ola, err := svc.Create(ctx, account.NewUser{Email: "ola@example.org", Password: "hasło-oli-ławka", DisplayName: "Ola"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, account.NewUser{Email: "piotr@example.org", Password: "hasło-piotra-ławka", DisplayName: "Piotr"}); err != nil {
		t.Fatal(err)
	}
	cl := account.Client{IP: "192.0.2.1"}
	signIn := func(email, pw string) (string, auth.Principal) {
		t.Helper()
		_, token, err := svc.Login(ctx, email, pw, "browser", cl)
		if err != nil {
			t.Fatal(err)
		}
		p, err := svc.Sessions.Resolve(ctx, token) // also caches it in Redis
		if err != nil || !p.SignedIn() {
			t.Fatalf("resolve %s: %+v %v", email, p, err)
		}
		return token, p
	}
	olaLaptop, olaP := signIn("ola@example.org", "hasło-oli-ławka")
	olaPhone, _ := signIn("ola@example.org", "hasło-oli-ławka")
	_, piotrP := signIn("piotr@example.org", "hasło-piotra-ławka")
	signedIn := func(token string) bool {
		t.Helper()
		p, err := svc.Sessions.Resolve(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		return p.SignedIn()
	}

	// Piotr names Ola's session: nothing ends.
	_ = svc.RevokeSession(ctx, piotrP, olaP.SessionID)
	if !signedIn(olaLaptop) {
		t.Fatal("one person ended another person's session")
	}
	// Ola signs out on the laptop: that token stops at once (though it was cached),
	// the phone stays signed in.
	if err := svc.Logout(ctx, olaP); err != nil {
		t.Fatal(err)
	}
	if signedIn(olaLaptop) {
		t.Fatal("a signed-out session still resolves (stale cache?)")
	}
	if !signedIn(olaPhone) {
		t.Fatal("signing out on one device ended another")
	}
	if err := svc.Sessions.RevokeAll(ctx, ola.ID); err != nil {
		t.Fatal(err)
	}
	if signedIn(olaPhone) {
		t.Fatal("RevokeAll left a session working")
	}
}
