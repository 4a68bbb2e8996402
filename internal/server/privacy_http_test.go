package server_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"lawka/internal/server/servertest"
)

// A person's rights over their data, over real HTTP: download it, withdraw the consent
// to be listed publicly, and delete the account.

// signAndConfirm signs the Declaration through the API (as a person, or for a new
// organisation when org is not empty) and has the moderator confirm it.
func signAndConfirm(t *testing.T, s *servertest.Running, a, mod *servertest.API, fullName, org string) int64 {
	t.Helper()
	body := map[string]any{"kind": "person", "full_name": fullName, "agree": true, "list_publicly": true}
	if org != "" {
		body = map[string]any{"kind": "organisation", "name": org, "type": "ngo", "full_name": fullName, "role_title": "prezes",
			"authority_confirmed": true, "list_publicly": true}
	}
	r := a.Do(http.MethodPost, "/api/v1/signatures", body)
	var out struct{ Signature apiSignature }
	r.JSON(t, &out)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("sign: %d %s", r.StatusCode, r.Body)
	}
	if mod != nil {
		if r := mod.Do(http.MethodPost, "/api/v1/admin/signatures/"+strconv.FormatInt(out.Signature.ID, 10)+"/decision",
			map[string]any{"confirm": true}); r.StatusCode != http.StatusOK {
			t.Fatalf("confirm: %d %s", r.StatusCode, r.Body)
		}
	}
	return out.Signature.ID
}

func TestDownloadMyData(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := newPerson(t, s, personSpec{Email: "dorota@example.org", Name: "Dorota z Podgórza", District: "podgorze"})
	newPerson(t, s, personSpec{Email: "ewa.obca@example.org", Name: "Ewa Obca"})
	b := s.Browser(t)
	b.SignIn("dorota@example.org", demoPW)
	a := s.API(t)
	a.Login("dorota@example.org", demoPW)
	other := s.API(t)
	other.Login("ewa.obca@example.org", demoPW)
	mod := s.API(t)
	mod.Login("moderator@example.org", demoPW)
	signAndConfirm(t, s, a, mod, "Dorota Dobrowolska", "")
	signAndConfirm(t, s, a, nil, "Dorota Dobrowolska", "Fundacja Doroty")
	signAndConfirm(t, s, other, mod, "Ewa Obcowska", "Fundacja Obca")
	if r := mod.Do(http.MethodPost, pathID("/api/v1/admin/users/{id}/verify", id), map[string]any{"note": "spotkanie na Rynku Podgórskim"}); r.StatusCode != http.StatusOK {
		t.Fatalf("verify: %d %s", r.StatusCode, r.Body)
	}

	type export struct {
		Account struct {
			ID             int64    `json:"id"`
			Email          string   `json:"email"`
			DisplayName    string   `json:"display_name"`
			HomeDistrictID *int64   `json:"home_district_id"`
			VerifiedMethod *string  `json:"verified_method"`
			Roles          []string `json:"roles"`
		} `json:"account"`
		Sessions  []json.RawMessage `json:"sessions"`
		History   []struct{ Action, Reason string }
		Coalition struct {
			Signatures []struct {
				FullName         string  `json:"full_name"`
				OrganisationName *string `json:"organisation_name"`
				Status           string  `json:"status"`
			} `json:"signatures"`
			Organisations []struct{ Organisation, Role string } `json:"organisations"`
		} `json:"coalition"`
	}
	check := func(t *testing.T, r servertest.Response) {
		t.Helper()
		if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("export: %d %q", r.StatusCode, r.Header.Get("Content-Type"))
		}
		if cd, cc := r.Header.Get("Content-Disposition"), r.Header.Get("Cache-Control"); !strings.HasPrefix(cd, "attachment;") ||
			!strings.Contains(cd, ".json") || !strings.Contains(cc, "no-store") {
			t.Errorf("export served as %q, %q: want a .json attachment that is not stored", cd, cc)
		}
		var e export
		r.JSON(t, &e)
		if e.Account.ID != id || e.Account.Email != "dorota@example.org" || e.Account.DisplayName != "Dorota z Podgórza" ||
			e.Account.HomeDistrictID == nil || strOf(e.Account.VerifiedMethod) != "in_person" || !slices.Equal(e.Account.Roles, []string{"resident"}) {
			t.Errorf("account part: %+v", e.Account)
		}
		if want := count(t, s, `SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, id); len(e.Sessions) != want || want < 2 {
			t.Errorf("%d sessions exported, the person has %d", len(e.Sessions), want)
		}
		var actions []string
		for _, h := range e.History {
			actions = append(actions, h.Action)
		}
		if !slices.Contains(actions, "user.verify") {
			t.Errorf("history %v lacks the verification", actions)
		}
		sigs := e.Coalition.Signatures
		if len(sigs) != 2 || sigs[0].FullName != "Dorota Dobrowolska" || sigs[0].Status != "confirmed" || sigs[0].OrganisationName != nil ||
			strOf(sigs[1].OrganisationName) != "Fundacja Doroty" || sigs[1].Status != "pending" {
			t.Errorf("coalition signatures: %+v", sigs)
		}
		if orgs := e.Coalition.Organisations; len(orgs) != 1 || orgs[0].Organisation != "Fundacja Doroty" || orgs[0].Role != "representative" {
			t.Errorf("coalition organisations: %+v", orgs)
		}
		for _, foreign := range []string{"Ewa Obca", "Ewa Obcowska", "Fundacja Obca", "ewa.obca@example.org", "moderator@example.org",
			"Marek Demo", "resident@example.org", "Anna Przykładowa", "Stowarzyszenie Sąsiedzi", "argon2", "password", "token"} {
			if strings.Contains(r.Body, foreign) {
				t.Errorf("the export carries %q, which is not the person's own data", foreign)
			}
		}
	}
	t.Run("browser", func(t *testing.T) { check(t, b.Get("/konto/dane.json")) })
	t.Run("API", func(t *testing.T) { check(t, a.Do(http.MethodGet, "/api/v1/me/export", nil)) })
	t.Run("signed out", func(t *testing.T) {
		if r := s.Browser(t).Get("/konto/dane.json"); r.StatusCode != http.StatusSeeOther || strings.Contains(r.Body, "dorota") {
			t.Errorf("signed out: %d", r.StatusCode)
		}
		if r := s.API(t).Do(http.MethodGet, "/api/v1/me/export", nil); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("API signed out: %d", r.StatusCode)
		}
	})
}

func TestWithdrawingConsentUnlists(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	newPerson(t, s, personSpec{Email: "cecylia@example.org", Name: "Cecylia"})
	b := s.Browser(t)
	b.SignIn("cecylia@example.org", demoPW)
	a := s.API(t)
	a.Login("cecylia@example.org", demoPW)
	mod := s.API(t)
	mod.Login("moderator@example.org", demoPW)
	personal := signAndConfirm(t, s, a, mod, "Cecylia Cicha", "")
	signAndConfirm(t, s, a, mod, "Cecylia Cicha", "Chór Cecylii")
	body, before := alliesPage(t, s, "")
	if !strings.Contains(body, "Cecylia Cicha") || !strings.Contains(body, html.EscapeString("Chór Cecylii")) {
		t.Fatal("not listed before withdrawing consent")
	}

	r := b.Submit("/konto/prywatnosc", "/konto/zgody", nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/konto/prywatnosc?done=consent" {
		t.Fatalf("withdraw consent: %d → %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := b.Get("/konto/prywatnosc?done=consent"); !strings.Contains(r.Body, html.EscapeString(tr("pl", "account.done_consent"))) {
		t.Error("the privacy page does not confirm the withdrawal")
	}
	body, after := alliesPage(t, s, "")
	if after != before-1 || strings.Contains(body, "Cecylia Cicha") {
		t.Errorf("after withdrawing consent /sojusznicy lists %d (was %d); names the person: %v", after, before, strings.Contains(body, "Cecylia Cicha"))
	}
	if !strings.Contains(body, html.EscapeString("Chór Cecylii")) {
		t.Error("the organisation the person represents left the list too")
	}
	if names := allyNames(allies(t, s, "")); slices.Contains(names, "Cecylia Cicha") || len(names) != after {
		t.Errorf("the API still lists the person or disagrees with the page: %v", names)
	}
	if st := scalar[string](t, s, `SELECT status FROM signatures WHERE id = $1`, personal); st != "confirmed" || !apiMe(t, a).Member {
		t.Errorf("the signature itself should stay valid: status %s, member %v", st, apiMe(t, a).Member)
	}
}

// deletionState is what a refused deletion must leave as it was.
func deletionState(t *testing.T, s *servertest.Running, id int64) string {
	t.Helper()
	return scalar[string](t, s, `SELECT concat_ws(' ', u.email, u.display_name, u.deleted_at IS NULL, u.password_hash <> '',
		(SELECT count(*) FROM sessions WHERE user_id = u.id AND revoked_at IS NULL),
		(SELECT string_agg(status || ':' || full_name, ',' ORDER BY id) FROM signatures WHERE user_id = u.id),
		(SELECT count(*) FROM files WHERE uploaded_by = u.id), (SELECT count(*) FROM organisation_members WHERE user_id = u.id),
		(SELECT count(*) FROM audit_log))
		FROM users u WHERE u.id = $1`, id)
}

func TestDeleteAccount(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	const (
		email = "ksenia@example.org"
		name  = "Ksenia Kasztelańska"
		org   = "Towarzystwo Przyjaciół Kasztanów"
	)
	id := newPerson(t, s, personSpec{Email: email, Name: name, District: "zwierzyniec"})
	laptop, phone := s.Browser(t), s.Browser(t)
	laptop.SignIn(email, demoPW)
	phone.SignIn(email, demoPW)
	a := s.API(t)
	a.Login(email, demoPW)
	mod := s.API(t)
	mod.Login("moderator@example.org", demoPW)
	personal := signAndConfirm(t, s, a, mod, name, "")
	laptop.Get("/deklaracja/podpisz/organizacja")
	if r := laptop.PostMultipart("/deklaracja/podpisz/organizacja", url.Values{"name": {org}, "type": {"ngo"}, "full_name": {name},
		"role_title": {"skarbniczka"}, "authority_confirmed": {"yes"}, "list_publicly": {"yes"}},
		servertest.FormFile{Field: "scan", Name: "deklaracja.pdf", ContentType: "application/pdf", Content: samplePDF()}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign for the organisation: %d %q", r.StatusCode, r.Title())
	}
	orgSig := scalar[int64](t, s, `SELECT s.id FROM signatures s JOIN organisations o ON o.id = s.organisation_id WHERE o.name = $1`, org)
	if r := mod.Do(http.MethodPost, "/api/v1/admin/signatures/"+strconv.FormatInt(orgSig, 10)+"/decision", map[string]any{"confirm": true}); r.StatusCode != http.StatusOK {
		t.Fatalf("confirm the organisation: %d %s", r.StatusCode, r.Body)
	}
	fileID := scalar[int64](t, s, `SELECT scan_file_id FROM signatures WHERE id = $1`, orgSig)
	if n := len(s.Mail(t, email)); n < 2 {
		t.Fatalf("%d mails to the person, want the confirmations", n)
	}
	// A change of address is pending: a link to the new address waits in the outbox.
	const newEmail = "ksenia.nowa@example.org"
	if r := laptop.Submit("/konto", "/konto/email", url.Values{"new_email": {newEmail}, "email_password": {demoPW}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("change of address: %d %q", r.StatusCode, r.Title())
	}
	if len(s.Mail(t, newEmail)) != 1 {
		t.Fatal("no mail to the new address")
	}
	laptopCookie := laptop.Cookie("lawka_session")
	body, listedBefore := alliesPage(t, s, "")
	if !strings.Contains(body, html.EscapeString(name)) || !strings.Contains(body, html.EscapeString(org)) {
		t.Fatal("the person and the organisation are not listed before the deletion")
	}

	t.Run("refused without the password and the confirmation", func(t *testing.T) {
		before := deletionState(t, s, id)
		for _, tc := range []struct {
			name, password, confirm, field, key string
		}{
			{"nothing", "", "", "confirm_delete", "account.delete_confirm_required"},
			{"not confirmed", demoPW, "", "confirm_delete", "account.delete_confirm_required"},
			{"no password", "", "yes", "delete_password", "account.current_password_wrong"},
			{"wrong password", "nie-to-hasło", "yes", "delete_password", "account.current_password_wrong"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := laptop.Submit("/konto/prywatnosc", "/konto/usun", url.Values{"delete_password": {tc.password}, "confirm_delete": {tc.confirm}})
				if r.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Title(), "Błąd:") {
					t.Fatalf("status %d %q, want 422 with the form again", r.StatusCode, r.Title())
				}
				checkFieldError(t, r.Body, tc.field, tr("pl", tc.key))
				if strings.Contains(r.Body, demoPW) {
					t.Error("the page shows the typed password")
				}
			})
		}
		if after := deletionState(t, s, id); after != before {
			t.Errorf("a refused deletion changed something:\n%s\n%s", before, after)
		}
		if !signedIn(t, laptop) || !apiSignedIn(t, a) {
			t.Fatal("a refused deletion signed the person out")
		}
	})

	r := laptop.Submit("/konto/prywatnosc", "/konto/usun", url.Values{"delete_password": {demoPW}, "confirm_delete": {"yes"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/?usunieto=1" {
		t.Fatalf("delete: %d → %q (%s)", r.StatusCode, r.Header.Get("Location"), r.Title())
	}

	t.Run("every session ends at once", func(t *testing.T) {
		if laptop.Cookie("lawka_session") != "" {
			t.Error("the session cookie was not cleared")
		}
		if signedIn(t, withCookie(t, s, laptopCookie)) {
			t.Error("a copy of the deleting browser's cookie still works")
		}
		if signedIn(t, phone) {
			t.Error("another browser is still signed in")
		}
		if apiSignedIn(t, a) {
			t.Error("the API token still works")
		}
		if n := count(t, s, `SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, id); n != 0 {
			t.Errorf("%d live sessions", n)
		}
		if code := apiLogin(t, s, email, demoPW); code != http.StatusUnauthorized {
			t.Errorf("signing in with the old password: %d, want 401", code)
		}
	})

	t.Run("the account is a tombstone", func(t *testing.T) {
		var gotEmail, gotName, hash string
		var deleted bool
		if err := s.Pool.QueryRow(t.Context(), `SELECT email, display_name, password_hash, deleted_at IS NOT NULL FROM users WHERE id = $1`, id).
			Scan(&gotEmail, &gotName, &hash, &deleted); err != nil {
			t.Fatal(err)
		}
		if !deleted || hash != "" || strings.Contains(strings.ToLower(gotEmail), "ksenia") || strings.Contains(gotName, "Ksenia") {
			t.Errorf("users row: deleted %v, email %q, name %q, hash %q", deleted, gotEmail, gotName, hash)
		}
		if n := count(t, s, `SELECT count(*) FROM users WHERE id = $1 AND home_neighbourhood_id IS NULL AND verified_at IS NULL
			AND email_confirmed_at IS NULL AND terms_accepted_at IS NULL`, id); n != 1 {
			t.Error("the tombstone keeps personal details (district, confirmation, terms)")
		}
		if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action = 'user.erase' AND target_id = $1`, id); n != 1 {
			t.Errorf("%d user.erase entries", n)
		}
	})

	t.Run("signatures and files", func(t *testing.T) {
		var status, fullName string
		if err := s.Pool.QueryRow(t.Context(), `SELECT status, full_name FROM signatures WHERE id = $1`, personal).Scan(&status, &fullName); err != nil {
			t.Fatal(err)
		}
		if status != "withdrawn" || strings.Contains(fullName, "Ksenia") || strings.Contains(fullName, "Kasztelańska") {
			t.Errorf("personal signature: %s %q, want withdrawn without the name", status, fullName)
		}
		var role string
		var scan *int64
		if err := s.Pool.QueryRow(t.Context(), `SELECT status, full_name, role_title, scan_file_id FROM signatures WHERE id = $1`, orgSig).
			Scan(&status, &fullName, &role, &scan); err != nil {
			t.Fatal(err)
		}
		if status != "confirmed" || strings.Contains(fullName, "Ksenia") || strings.Contains(fullName, "Kasztelańska") || role != "" || scan != nil {
			t.Errorf("organisation's signature: %s %q %q scan %v, want kept confirmed without the representative's name and scan", status, fullName, role, scan)
		}
		if n := count(t, s, `SELECT count(*) FROM files WHERE id = $1 OR uploaded_by = $2`, fileID, id); n != 0 {
			t.Errorf("%d uploaded files kept", n)
		}
		if n := count(t, s, `SELECT count(*) FROM organisation_members WHERE user_id = $1`, id); n != 0 {
			t.Errorf("%d organisation memberships kept", n)
		}
		if n := count(t, s, `SELECT count(*) FROM mail_outbox WHERE lower(to_address) = $1`, email); n != 0 {
			t.Errorf("%d mails to the old address kept", n)
		}
		// Nor to the address a pending change was going to: it carries the name and a dead link.
		if n := count(t, s, `SELECT count(*) FROM mail_outbox WHERE lower(to_address) = $1 OR body_text LIKE '%' || $2 || '%'`,
			newEmail, "Kasztelańska"); n != 0 {
			t.Errorf("%d queued mails still carry the person's pending address or name", n)
		}
	})

	t.Run("the list of allies loses only the personal listing", func(t *testing.T) {
		body, n := alliesPage(t, s, "")
		if n != listedBefore-1 {
			t.Errorf("/sojusznicy lists %d, want %d (one fewer)", n, listedBefore-1)
		}
		if strings.Contains(body, html.EscapeString(name)) || !strings.Contains(body, html.EscapeString(org)) {
			t.Error("the person is still named, or the organisation left the list")
		}
	})

	t.Run("the address is free again", func(t *testing.T) {
		r := s.API(t).Do(http.MethodPost, "/api/v1/auth/register", register(email, "nowe-życie-nowe-hasło", "Ksenia od nowa"))
		var out struct{ User apiUser }
		r.JSON(t, &out)
		if r.StatusCode != http.StatusCreated || out.User.ID == id || out.User.Member || out.User.Verified {
			t.Errorf("registering the address again: %d %s", r.StatusCode, r.Body)
		}
	})
}

func TestDeleteAccountOverTheAPI(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := newPerson(t, s, personSpec{Email: "api.usun@example.org", Name: "Usuwana przez API"})
	a := s.API(t)
	a.Login("api.usun@example.org", demoPW)
	a.Header.Set("Accept-Language", "en")
	b := s.Browser(t)
	b.SignIn("api.usun@example.org", demoPW)
	before := deletionState(t, s, id)
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string // the request's own field name
	}{
		{"not confirmed", map[string]any{"password": demoPW}, "confirm"},
		{"confirm false", map[string]any{"password": demoPW, "confirm": false}, "confirm"},
		{"no password", map[string]any{"confirm": true}, "password"},
		{"wrong password", map[string]any{"password": "nie-to-hasło", "confirm": true}, "password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.Do(http.MethodDelete, "/api/v1/me", tc.body)
			e := apiErr(t, r)
			if r.StatusCode != http.StatusUnprocessableEntity || e.Code != "validation_failed" {
				t.Fatalf("%d %+v, want 422 validation_failed", r.StatusCode, e)
			}
			if e.Fields[tc.field] == "" {
				t.Errorf("fields %v: want the error at %q, the name the request uses", e.Fields, tc.field)
			}
		})
	}
	if after := deletionState(t, s, id); after != before {
		t.Fatalf("a refused deletion changed something:\n%s\n%s", before, after)
	}
	if r := a.Do(http.MethodDelete, "/api/v1/me", map[string]any{"password": demoPW, "confirm": true}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.StatusCode, r.Body)
	}
	if apiSignedIn(t, a) || signedIn(t, b) {
		t.Error("a session survived the deletion")
	}
	if n := count(t, s, `SELECT count(*) FROM users WHERE id = $1 AND deleted_at IS NOT NULL`, id); n != 1 {
		t.Error("the account is not deleted")
	}
}
