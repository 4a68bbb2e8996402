package server_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/db/dbtest"
	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// TestInvitationsNeedAConfirmedOrganisationAndTheInvitedAddress: signing for a new
// organisation must not let anyone hand out the advocate role before a moderator
// confirmed it, nor let the wrong person use an invitation.
func TestInvitationsNeedAConfirmedOrganisationAndTheInvitedAddress(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	// The café's signature is pending in the seed: its representative may not invite yet.
	cafe := userID(t, s, "kawiarnia@example.org")
	org := scalar[int64](t, s, `SELECT organisation_id FROM organisation_members WHERE user_id = $1`, cafe)
	rep := s.Browser(t)
	rep.SignIn("kawiarnia@example.org", "lawka-demo-2026")
	r := rep.Submit("/konto/organizacje", fmt.Sprintf("/konto/organizacje/%d/zapros", org), url.Values{"email": {"kolega@example.org"}})
	if r.StatusCode != http.StatusConflict {
		t.Fatalf("inviting for an unconfirmed organisation: %d, want 409", r.StatusCode)
	}
	if n := scalar[int](t, s, `SELECT count(*)::int FROM organisation_invites WHERE organisation_id = $1`, org); n != 0 {
		t.Fatalf("%d invitations stored", n)
	}

	// The confirmed organisation's representative invites one address; another account
	// cannot use the link, the invited one can.
	adv := userID(t, s, "advocate@example.org")
	confirmed := scalar[int64](t, s, `SELECT organisation_id FROM organisation_members WHERE user_id = $1`, adv)
	a := s.Browser(t)
	a.SignIn("advocate@example.org", "lawka-demo-2026")
	if r := a.Submit("/konto/organizacje", fmt.Sprintf("/konto/organizacje/%d/zapros", confirmed), url.Values{"email": {"marta.sasiadka@example.org"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite: %d", r.StatusCode)
	}
	link := s.Link(t, s.Mail(t, "marta.sasiadka@example.org")[0].Body, "/zaproszenie")
	u, _ := url.Parse(link)
	token := u.Query().Get("token")
	other := s.Browser(t)
	other.SignIn("anna.mieszkanka@example.org", "lawka-demo-2026")
	if r := other.Submit("/zaproszenie?token="+url.QueryEscape(token), "/zaproszenie", url.Values{"token": {token}}); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("someone else using the invitation: %d, want 400", r.StatusCode)
	}
	if n := scalar[int](t, s, `SELECT count(*)::int FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.email = 'anna.mieszkanka@example.org'`); n != 0 {
		t.Fatalf("the wrong person gained %d roles", n)
	}
	marta := s.Browser(t)
	marta.SignIn("marta.sasiadka@example.org", "lawka-demo-2026")
	if r := marta.Submit("/zaproszenie?token="+url.QueryEscape(token), "/zaproszenie", url.Values{"token": {token}}); r.StatusCode != http.StatusOK {
		t.Fatalf("the invited person accepting: %d", r.StatusCode)
	}
	if n := scalar[int](t, s, `SELECT count(*)::int FROM user_roles r JOIN users u ON u.id = r.user_id
		WHERE u.email = 'marta.sasiadka@example.org' AND r.role = 'advocate'`); n != 1 {
		t.Fatal("the invited person did not become an advocate")
	}
}

func TestProdSeedsNoDemoAccounts(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), dbtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := seed.Reference(context.Background(), pool, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	var users, districts int
	if err := pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM neighbourhoods)`).Scan(&users, &districts); err != nil {
		t.Fatal(err)
	}
	if users != 0 || districts != 18 {
		t.Fatalf("reference seed: %d users, %d districts; want 0 and 18", users, districts)
	}
}

func TestTwoStepSetUpCannotReplaceAnActiveOne(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := userID(t, s, "resident@example.org")
	if _, err := s.Pool.Exec(context.Background(), `UPDATE users SET totp_secret = 'JBSWY3DPEHPK3PXP', totp_enabled_at = now() WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	b := s.Browser(t)
	// Sign in with the code, then try to start a new set-up with only the session.
	r := b.Submit("/logowanie", "/logowanie", url.Values{"email": {"resident@example.org"}, "password": {"lawka-demo-2026"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("password step: %d", r.StatusCode)
	}
	if r := b.Submit("/logowanie/kod", "/logowanie/kod", url.Values{"code": {totpCode(t, "JBSWY3DPEHPK3PXP", 0)}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("code step: %d %s", r.StatusCode, r.Title())
	}
	r = b.Submit("/konto/2fa", "/konto/2fa/start", nil)
	if r.StatusCode != http.StatusConflict {
		t.Fatalf("starting a new set-up while one is active: %d, want 409", r.StatusCode)
	}
	if secret := scalar[string](t, s, `SELECT coalesce(totp_secret, '') FROM users WHERE id = $1`, id); secret != "JBSWY3DPEHPK3PXP" {
		t.Fatal("the active secret changed")
	}
}

func TestModeratorsDoNotSeeEmailAddresses(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	mod := s.API(t)
	mod.Login("moderator@example.org", "lawka-demo-2026")
	r := mod.Do(http.MethodGet, "/api/v1/admin/users", nil)
	if r.StatusCode != http.StatusOK || strings.Contains(r.Body, "resident@example.org") {
		t.Fatalf("moderator's list: %d, another person's address shown: %v", r.StatusCode, strings.Contains(r.Body, "resident@example.org"))
	}
	b := s.Browser(t)
	b.SignIn("moderator@example.org", "lawka-demo-2026")
	if page := b.Get("/admin/osoby"); bytes.Contains([]byte(page.Body), []byte("resident@example.org")) {
		t.Fatal("the moderator's people page shows email addresses")
	}
	admin := s.API(t)
	admin.Login("admin@example.org", "lawka-demo-2026")
	if r := admin.Do(http.MethodGet, "/api/v1/admin/users", nil); !strings.Contains(r.Body, "resident@example.org") {
		t.Fatal("admins should see addresses")
	}
}
