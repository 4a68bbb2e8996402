package server_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"lawka/internal/server/servertest"
)

// Staff tools over real HTTP: who may open and use them, role changes and their audit
// trail, in-person verification and invitation codes.

// personSpec is an account made straight in the database for a test.
type personSpec struct {
	Email, Name string
	Unconfirmed bool   // the email address is not confirmed
	Verified    bool   // verified (by an admin)
	District    string // home district slug, or none
}

// newPerson adds an account without going through registration (hashing a password
// costs a second under -race); it signs in with the demo password.
func newPerson(t *testing.T, s *servertest.Running, p personSpec) int64 {
	t.Helper()
	return scalar[int64](t, s, `INSERT INTO users (email, password_hash, display_name, email_confirmed_at,
			verified_at, verified_method, terms_version, terms_accepted_at, home_neighbourhood_id)
		SELECT $1, u.password_hash, $2, CASE WHEN $3 THEN now() END, CASE WHEN $4 THEN now() END,
			CASE WHEN $4 THEN 'admin' END, u.terms_version, now(), (SELECT id FROM neighbourhoods WHERE slug = $5)
		FROM users u WHERE u.email = 'resident@example.org' RETURNING id`,
		p.Email, p.Name, !p.Unconfirmed, p.Verified, p.District)
}

func userID(t *testing.T, s *servertest.Running, email string) int64 {
	t.Helper()
	return scalar[int64](t, s, `SELECT id FROM users WHERE email = $1`, email)
}

func pathID(format string, id int64) string {
	return strings.ReplaceAll(format, "{id}", strconv.FormatInt(id, 10))
}

// apiMe is GET /api/v1/me for a signed-in client.
func apiMe(t *testing.T, a *servertest.API) apiUser {
	t.Helper()
	r := a.Do(http.MethodGet, "/api/v1/me", nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/me: %d %s", r.StatusCode, r.Body)
	}
	var body struct{ User apiUser }
	r.JSON(t, &body)
	return body.User
}

// staffState is what staff actions change: a refused request must leave it as it was.
func staffState(t *testing.T, s *servertest.Running) string {
	t.Helper()
	return scalar[string](t, s, `SELECT concat_ws(' ', (SELECT count(*) FROM audit_log), (SELECT count(*) FROM user_roles),
		(SELECT count(*) FROM invitation_batches), (SELECT count(*) FROM invitation_codes),
		(SELECT count(*) FROM users WHERE verified_at IS NOT NULL), (SELECT max(id) FROM audit_log))`)
}

func TestStaffRoutesByRole(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	type caller struct {
		name string
		b    *servertest.Browser
		api  *servertest.API
	}
	callers := []caller{{name: "signed out"}, {name: "resident"}, {name: "moderator"}, {name: "admin"}}
	for i := range callers {
		c := &callers[i]
		c.b, c.api = s.Browser(t), s.API(t)
		if i == 0 {
			c.b.Get("/logowanie") // a valid CSRF token: refusals are about who asks, not the token
			continue
		}
		c.b.SignIn(c.name+"@example.org", demoPW)
		c.api.Login(c.name+"@example.org", demoPW)
	}
	get := func(p string) func(caller, int64) servertest.Response {
		return func(c caller, id int64) servertest.Response { return c.b.Get(pathID(p, id)) }
	}
	post := func(p string, kv ...string) func(caller, int64) servertest.Response {
		return func(c caller, id int64) servertest.Response {
			f := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				f.Set(kv[i], kv[i+1])
			}
			return c.b.Post(pathID(p, id), f)
		}
	}
	api := func(method, p string, body any) func(caller, int64) servertest.Response {
		return func(c caller, id int64) servertest.Response { return c.api.Do(method, pathID(p, id), body) }
	}
	rows := []struct {
		name   string
		target string // "unverified" or "verified": a fresh account for each call
		call   func(caller, int64) servertest.Response
		want   [4]int // signed out, resident, moderator, admin
	}{
		{"GET /admin", "", get("/admin"), [4]int{303, 403, 200, 200}},
		{"GET /admin/osoby", "", get("/admin/osoby"), [4]int{303, 403, 200, 200}},
		{"GET /admin/osoby/{id}", "unverified", get("/admin/osoby/{id}"), [4]int{303, 403, 200, 200}},
		{"POST verify", "unverified", post("/admin/osoby/{id}/weryfikacja", "note", "spotkanie w klubie"), [4]int{401, 403, 303, 303}},
		{"POST unverify", "verified", post("/admin/osoby/{id}/cofnij-weryfikacje", "unverify_reason", "pomyłka"), [4]int{401, 403, 403, 303}},
		{"POST roles", "unverified", post("/admin/osoby/{id}/role", "role_advocate", "yes", "reason", "rzecznik osiedla"), [4]int{401, 403, 403, 303}},
		{"GET /admin/kody", "", get("/admin/kody"), [4]int{303, 403, 200, 200}},
		{"POST /admin/kody", "", post("/admin/kody", "label", "Zebranie na Kazimierzu", "count", "3", "days", "10"), [4]int{401, 403, 303, 303}},
		{"GET /admin/dziennik", "", get("/admin/dziennik"), [4]int{303, 403, 403, 200}},
		{"GET /api/v1/admin/users", "", api(http.MethodGet, "/api/v1/admin/users", nil), [4]int{401, 403, 200, 200}},
		{"PUT /api/v1/admin/users/{id}/roles", "unverified", api(http.MethodPut, "/api/v1/admin/users/{id}/roles",
			map[string]any{"roles": []string{"advocate"}, "reason": "rzecznik osiedla"}), [4]int{401, 403, 403, 200}},
		{"POST /api/v1/admin/users/{id}/verify", "unverified", api(http.MethodPost, "/api/v1/admin/users/{id}/verify",
			map[string]any{"note": "spotkanie w klubie"}), [4]int{401, 403, 200, 200}},
		{"GET /api/v1/admin/audit", "", api(http.MethodGet, "/api/v1/admin/audit", nil), [4]int{401, 403, 403, 200}},
	}
	n := 0
	for _, row := range rows {
		for i, c := range callers {
			t.Run(row.name+"/"+c.name, func(t *testing.T) {
				var id int64
				if row.target != "" {
					n++
					id = newPerson(t, s, personSpec{Email: "cel" + strconv.Itoa(n) + "@example.org", Name: "Cel " + strconv.Itoa(n),
						Verified: row.target == "verified"})
				}
				before := staffState(t, s)
				r := row.call(c, id)
				want := row.want[i]
				if r.StatusCode != want {
					t.Fatalf("status %d, want %d (%s)", r.StatusCode, want, r.Title())
				}
				isAPI := strings.HasPrefix(r.Request.URL.Path, "/api/")
				switch {
				case want == http.StatusSeeOther && i == 0:
					if loc := r.Header.Get("Location"); loc != "/logowanie?next="+url.QueryEscape(r.Request.URL.Path) {
						t.Errorf("signed out: → %q, want the sign-in page coming back here", loc)
					}
				case want >= 400 && isAPI:
					code := map[int]string{401: "unauthorized", 403: "forbidden"}[want]
					if e := apiErr(t, r); e.Code != code {
						t.Errorf("error code %q, want %q", e.Code, code)
					}
				case want >= 400:
					if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
						t.Errorf("a refused page answers %q, want an HTML error page", r.Header.Get("Content-Type"))
					}
				}
				after := staffState(t, s)
				changes := r.Request.Method != http.MethodGet && want < 400
				if changes && after == before {
					t.Errorf("an allowed %s changed nothing (state %s)", r.Request.Method, after)
				}
				if !changes && after != before {
					t.Errorf("state changed from %s to %s", before, after)
				}
			})
		}
	}
}

type auditItem struct {
	ID         int64           `json:"id"`
	ActorID    *int64          `json:"actor_id"`
	ActorName  *string         `json:"actor_name"`
	Action     string          `json:"action"`
	TargetType string          `json:"target_type"`
	TargetID   *int64          `json:"target_id"`
	TargetName *string         `json:"target_name"`
	Reason     string          `json:"reason"`
	Details    json.RawMessage `json:"details"`
}

func auditList(t *testing.T, a *servertest.API, query string) []auditItem {
	t.Helper()
	r := a.Do(http.MethodGet, "/api/v1/admin/audit?"+query, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/admin/audit?%s: %d %s", query, r.StatusCode, r.Body)
	}
	var body struct{ Items []auditItem }
	r.JSON(t, &body)
	return body.Items
}

func TestRoleChangeNeedsAReasonIsAuditedAndAppliesAtOnce(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	adminID, residentID := userID(t, s, "admin@example.org"), userID(t, s, "resident@example.org")
	admin := s.Browser(t)
	admin.SignIn("admin@example.org", demoPW)
	adminAPI := s.API(t)
	adminAPI.Login("admin@example.org", demoPW)
	adminAPI.Header.Set("Accept-Language", "en")
	resident := s.Browser(t)
	resident.SignIn("resident@example.org", demoPW)
	residentAPI := s.API(t)
	residentAPI.Login("resident@example.org", demoPW)
	// Both sign-ins are resolved (and cached) as a plain resident.
	if r := resident.Get("/admin"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("resident GET /admin: %d, want 403", r.StatusCode)
	}
	if u := apiMe(t, residentAPI); !slices.Equal(u.Roles, []string{"resident"}) {
		t.Fatalf("resident roles %v", u.Roles)
	}
	personPage := pathID("/admin/osoby/{id}", residentID)
	rolesOf := func(id int64) string {
		return scalar[string](t, s, `SELECT coalesce(string_agg(role, ',' ORDER BY role), '') FROM user_roles WHERE user_id = $1`, id)
	}

	t.Run("a reason is required", func(t *testing.T) {
		before := staffState(t, s)
		r := admin.Submit(personPage, personPage+"/role", url.Values{"role_moderator": {"yes"}, "reason": {"   "}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Title(), "Błąd:") {
			t.Fatalf("roles without a reason: %d %q, want 422 with the form again", r.StatusCode, r.Title())
		}
		checkFieldError(t, r.Body, "reason", tr("pl", "account.reason_required"))
		if !strings.Contains(r.Body, `name="role_moderator" type="checkbox" value="yes" checked`) {
			t.Error("the form lost the ticked role")
		}
		for _, body := range []map[string]any{
			{"roles": []string{"moderator"}},
			{"roles": []string{"moderator"}, "reason": " \t "},
			{"roles": []string{"moderator"}, "reason": strings.Repeat("ż", 501)},
		} {
			r := adminAPI.Do(http.MethodPut, pathID("/api/v1/admin/users/{id}/roles", residentID), body)
			if e := apiErr(t, r); r.StatusCode != http.StatusUnprocessableEntity || e.Code != "validation_failed" || e.Fields["reason"] == "" {
				t.Errorf("API roles with reason %q: %d %+v, want 422 at reason", body["reason"], r.StatusCode, e)
			}
		}
		r = adminAPI.Do(http.MethodPut, pathID("/api/v1/admin/users/{id}/roles", residentID), map[string]any{"roles": []string{"superuser"}, "reason": "x"})
		if e := apiErr(t, r); r.StatusCode != http.StatusUnprocessableEntity || e.Fields["roles"] != tr("en", "account.role_unknown") {
			t.Errorf("an unknown role: %d %+v, want 422 at roles", r.StatusCode, e)
		}
		if after := staffState(t, s); after != before || rolesOf(residentID) != "" {
			t.Errorf("refused role changes changed something: %s → %s, roles %q", before, after, rolesOf(residentID))
		}
	})

	t.Run("grant", func(t *testing.T) {
		const reason = "Dołącza do zespołu moderacji Podgórza"
		r := admin.Submit(personPage, personPage+"/role", url.Values{"role_moderator": {"yes"}, "reason": {reason}})
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != personPage+"?done=roles" {
			t.Fatalf("grant: %d → %q (%s)", r.StatusCode, r.Header.Get("Location"), r.Title())
		}
		if got := rolesOf(residentID); got != "moderator" {
			t.Fatalf("roles %q, want moderator", got)
		}
		items := auditList(t, adminAPI, "action=role&target_type=user&target_id="+strconv.FormatInt(residentID, 10))
		if len(items) != 1 || items[0].Action != "role.grant" || items[0].Reason != reason || items[0].ActorID == nil ||
			*items[0].ActorID != adminID || !strings.Contains(string(items[0].Details), `"moderator"`) {
			t.Fatalf("audit after the grant: %+v", items)
		}
		// The person's very next request, in the browser and over the API, has the role.
		if r := resident.Get("/admin"); r.StatusCode != http.StatusOK {
			t.Errorf("the new moderator's next GET /admin: %d, want 200", r.StatusCode)
		}
		if u := apiMe(t, residentAPI); !slices.Equal(u.Roles, []string{"resident", "moderator"}) {
			t.Errorf("the new moderator's /me roles %v", u.Roles)
		}
		if r := residentAPI.Do(http.MethodGet, "/api/v1/admin/users", nil); r.StatusCode != http.StatusOK {
			t.Errorf("the new moderator's GET /api/v1/admin/users: %d", r.StatusCode)
		}
	})

	t.Run("revoke", func(t *testing.T) {
		const reason = "Koniec dyżuru"
		r := adminAPI.Do(http.MethodPut, pathID("/api/v1/admin/users/{id}/roles", residentID), map[string]any{"roles": []string{}, "reason": reason})
		var body struct{ User apiUser }
		r.JSON(t, &body)
		if r.StatusCode != http.StatusOK || !slices.Equal(body.User.Roles, []string{"resident"}) {
			t.Fatalf("revoke: %d %s", r.StatusCode, r.Body)
		}
		items := auditList(t, adminAPI, "action=role&target_type=user&target_id="+strconv.FormatInt(residentID, 10))
		if len(items) != 2 || items[0].Action != "role.revoke" || items[0].Reason != reason || items[1].Action != "role.grant" ||
			!strings.Contains(string(items[0].Details), `"moderator"`) || items[0].TargetName == nil || *items[0].TargetName != "Jan Demo (mieszkaniec)" ||
			items[0].ActorName == nil || *items[0].ActorName != "Alicja Demo (administratorka)" {
			t.Fatalf("audit after the revoke, newest first: %+v", items)
		}
		if r := resident.Get("/admin"); r.StatusCode != http.StatusForbidden {
			t.Errorf("after the revoke GET /admin: %d, want 403", r.StatusCode)
		}
		if u := apiMe(t, residentAPI); !slices.Equal(u.Roles, []string{"resident"}) {
			t.Errorf("after the revoke /me roles %v", u.Roles)
		}
		page := admin.Get("/admin/dziennik?action=role&target_type=user&target_id=" + strconv.FormatInt(residentID, 10))
		if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, html.EscapeString(reason)) ||
			!strings.Contains(page.Body, html.EscapeString("Dołącza do zespołu moderacji Podgórza")) {
			t.Errorf("the audit log page does not show both reasons: %d", page.StatusCode)
		}
	})

	t.Run("an admin cannot drop their own admin role", func(t *testing.T) {
		before := staffState(t, s)
		r := adminAPI.Do(http.MethodPut, pathID("/api/v1/admin/users/{id}/roles", adminID), map[string]any{"roles": []string{"moderator"}, "reason": "porządki"})
		if e := apiErr(t, r); r.StatusCode != http.StatusUnprocessableEntity || e.Fields["roles"] != tr("en", "account.cannot_drop_own_admin") {
			t.Errorf("API: %d %+v, want 422 at roles", r.StatusCode, e)
		}
		own := pathID("/admin/osoby/{id}", adminID)
		r = admin.Submit(own, own+"/role", url.Values{"role_moderator": {"yes"}, "reason": {"porządki"}})
		if msg := html.EscapeString(tr("pl", "account.cannot_drop_own_admin")); r.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, `<a href="#roles">`+msg+`</a>`) {
			t.Errorf("form: %d %q, want 422 with the message linked to the roles", r.StatusCode, r.Title())
		}
		if after := staffState(t, s); after != before || rolesOf(adminID) != "admin,moderator" {
			t.Errorf("refused: state %s → %s, admin roles %q", before, after, rolesOf(adminID))
		}
		if r := admin.Get("/admin/dziennik"); r.StatusCode != http.StatusOK {
			t.Errorf("the admin lost access: %d", r.StatusCode)
		}
	})
}

func TestAuditLogFilters(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	api := s.API(t)
	api.Login("admin@example.org", demoPW)
	// The seed confirmed demo signatures, recorded one signed on paper at the gala and
	// printed a batch of codes.
	for _, tc := range []struct {
		query   string
		actions []string
	}{
		{"action=signature", []string{"signature.confirm", "signature.paper"}},
		{"action=signature.confirm", []string{"signature.confirm"}},
		{"action=signature.paper", []string{"signature.paper"}},
		{"action=invitation.create_batch", []string{"invitation.create_batch"}},
		{"target_type=invitation_batch", []string{"invitation.create_batch"}},
	} {
		items := auditList(t, api, tc.query)
		if len(items) == 0 {
			t.Errorf("%s: no entries", tc.query)
		}
		for _, it := range items {
			if !slices.Contains(tc.actions, it.Action) {
				t.Errorf("%s: an entry %s", tc.query, it.Action)
			}
		}
	}
	for _, tc := range []struct{ query, field string }{
		{"action=Role", "action"},
		{"action=role.grant;drop", "action"},
		{"target_type=User!", "target_type"},
		{"target_id=x", "target_id"},
		{"actor_id=-1", "actor_id"},
		{"from=2026-13-01", "from"},
		{"to=wczoraj", "to"},
	} {
		r := api.Do(http.MethodGet, "/api/v1/admin/audit?"+tc.query, nil)
		if e := apiErr(t, r); r.StatusCode != http.StatusUnprocessableEntity || e.Fields[tc.field] == "" {
			t.Errorf("%s: %d %+v, want 422 at %s", tc.query, r.StatusCode, e, tc.field)
		}
	}
}

// The audit log keeps history: no UPDATE or DELETE gets through, whoever sends it.
func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	actor := userID(t, s, "moderator@example.org")
	for _, tc := range []struct{ name, sql string }{
		{"UPDATE reason", `UPDATE audit_log SET reason = 'podmienione' WHERE id = $1`},
		{"UPDATE time", `UPDATE audit_log SET at = at - interval '1 day' WHERE id = $1`},
		{"UPDATE actor", `UPDATE audit_log SET actor_id = (SELECT min(id) FROM users) WHERE id = $1`},
		{"UPDATE clearing the actor outside an account deletion", `UPDATE audit_log SET actor_id = NULL WHERE id = $1`},
		{"UPDATE reason while clearing the actor", `UPDATE audit_log SET actor_id = NULL, reason = 'podmienione' WHERE id = $1`},
		{"UPDATE target while clearing the actor", `UPDATE audit_log SET actor_id = NULL, target_id = target_id + 1 WHERE id = $1`},
		{"UPDATE time while clearing the actor", `UPDATE audit_log SET actor_id = NULL, at = at - interval '1 day' WHERE id = $1`},
		{"DELETE one", `DELETE FROM audit_log WHERE id = $1`},
		{"DELETE all", `DELETE FROM audit_log WHERE id > 0 OR id = $1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A fresh entry per case, so one case's damage cannot hide another's.
			id := scalar[int64](t, s, `INSERT INTO audit_log (actor_id, action, target_type, target_id, reason, details)
				VALUES ($1, 'role.grant', 'user', $1, 'powód', '{"role":"advocate"}') RETURNING id`, actor)
			row := func() string { return scalar[string](t, s, `SELECT a::text FROM audit_log a WHERE id = $1`, id) }
			rows := count(t, s, `SELECT count(*) FROM audit_log`)
			before := row()
			_, err := s.Pool.Exec(ctx, tc.sql, id)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want the append-only refusal", tc.sql, err)
			}
			if got := row(); got != before {
				t.Errorf("the entry changed:\n%s\n%s", before, got)
			}
			if n := count(t, s, `SELECT count(*) FROM audit_log`); n != rows {
				t.Errorf("%d entries, want %d", n, rows)
			}
		})
	}
	t.Run("an account with history cannot be deleted from under it", func(t *testing.T) {
		// Erasure leaves a tombstone row; a hard DELETE would take the actor away.
		uid := newPerson(t, s, personSpec{Email: "usuwany@example.org", Name: "Usuwany"})
		entry := scalar[int64](t, s, `INSERT INTO audit_log (actor_id, action, target_type, target_id, reason)
			VALUES ($1, 'user.test', 'user', $1, 'powód') RETURNING id`, uid)
		if _, err := s.Pool.Exec(ctx, `DELETE FROM users WHERE id = $1`, uid); err == nil {
			t.Error("a users row with audit entries was deleted")
		}
		if n := count(t, s, `SELECT count(*) FROM audit_log WHERE id = $1 AND actor_id = $2 AND reason = 'powód'`, entry, uid); n != 1 {
			t.Error("the entry lost its actor")
		}
	})
}

func TestInPersonVerification(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	modID := userID(t, s, "moderator@example.org")
	id := newPerson(t, s, personSpec{Email: "halina@example.org", Name: "Halina z Bronowic"})
	halina := s.API(t)
	halina.Login("halina@example.org", demoPW)
	if apiMe(t, halina).Verified {
		t.Fatal("verified before the test")
	}
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", demoPW)
	modAPI := s.API(t)
	modAPI.Login("moderator@example.org", demoPW)
	page := pathID("/admin/osoby/{id}", id)

	const note = "spotkanie w Klubie Sąsiedzkim Bronowice, dowód okazany"
	r := mod.Submit(page, page+"/weryfikacja", url.Values{"note": {"  " + note + " "}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != page+"?done=verify" {
		t.Fatalf("verify: %d → %q (%s)", r.StatusCode, r.Header.Get("Location"), r.Title())
	}
	if n := count(t, s, `SELECT count(*) FROM users WHERE id = $1 AND verified_at IS NOT NULL AND verified_method = 'in_person'
		AND verified_by = $2 AND verified_note = $3`, id, modID, note); n != 1 {
		t.Error("the account is not stored as verified in person by the moderator with the note")
	}
	if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action = 'user.verify' AND actor_id = $1 AND target_type = 'user'
		AND target_id = $2 AND reason = $3 AND details->>'method' = 'in_person'`, modID, id, note); n != 1 {
		t.Errorf("%d user.verify audit entries with the note, want 1", n)
	}
	if r := mod.Get(page + "?done=verify"); !strings.Contains(r.Body, html.EscapeString(note)) ||
		!strings.Contains(r.Body, tr("pl", "staff.done_verify")) || strings.Contains(r.Body, `action="`+page+`/weryfikacja"`) {
		t.Error("the person page does not show the verification (note, notice) or still offers the form")
	}
	if !apiMe(t, halina).Verified {
		t.Error("the verified person's next request does not see the verification")
	}

	before := staffState(t, s)
	r = mod.Post(page+"/weryfikacja", url.Values{"note": {"drugi raz"}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.Body, html.EscapeString(tr("pl", "account.already_verified"))) {
		t.Errorf("verifying twice (form): %d %q, want 409 saying already verified", r.StatusCode, r.Title())
	}
	r = modAPI.Do(http.MethodPost, pathID("/api/v1/admin/users/{id}/verify", id), map[string]any{"note": "drugi raz"})
	if e := apiErr(t, r); r.StatusCode != http.StatusConflict || e.Code != "already_verified" {
		t.Errorf("verifying twice (API): %d %+v, want 409 already_verified", r.StatusCode, e)
	}
	r = modAPI.Do(http.MethodPost, "/api/v1/admin/users/999999/verify", map[string]any{"note": ""})
	if e := apiErr(t, r); r.StatusCode != http.StatusNotFound || e.Code != "not_found" {
		t.Errorf("verifying an unknown account: %d %+v, want 404", r.StatusCode, e)
	}
	other := newPerson(t, s, personSpec{Email: "zbyszek@example.org", Name: "Zbyszek"})
	r = modAPI.Do(http.MethodPost, pathID("/api/v1/admin/users/{id}/verify", other), map[string]any{"note": strings.Repeat("n", 501)})
	if e := apiErr(t, r); r.StatusCode != http.StatusUnprocessableEntity || e.Fields["note"] == "" {
		t.Errorf("a 501-character note: %d %+v, want 422 at note", r.StatusCode, e)
	}
	if after := staffState(t, s); after != before {
		t.Errorf("refused verifications changed something: %s → %s", before, after)
	}
}

var codeRE = regexp.MustCompile(`<strong class="code-value">([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2})</strong>`)

// printedCodes opens a batch's printable page and returns its codes as printed.
func printedCodes(t *testing.T, b *servertest.Browser, page string) []string {
	t.Helper()
	r := b.Get(page)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", page, r.StatusCode)
	}
	var out []string
	for _, m := range codeRE.FindAllStringSubmatch(r.Body, -1) {
		out = append(out, m[1])
	}
	return out
}

// newBatch makes a batch through the form and returns its printable page.
func newBatch(t *testing.T, b *servertest.Browser, label string, count int) string {
	t.Helper()
	r := b.Submit("/admin/kody", "/admin/kody", url.Values{"label": {label}, "count": {strconv.Itoa(count)}, "days": {"30"}})
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^/admin/kody/[0-9]+$`).MatchString(loc) {
		t.Fatalf("new batch: %d → %q (%s)", r.StatusCode, loc, r.Title())
	}
	return loc
}

func TestInvitationBatchFormIsValidated(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", demoPW)
	batches := count(t, s, `SELECT count(*) FROM invitation_batches`)
	codes := count(t, s, `SELECT count(*) FROM invitation_codes`)
	for _, tc := range []struct {
		name, label, count, days, field, key string
	}{
		{"no codes", "Festyn", "0", "30", "count", "account.batch_count_range"},
		{"too many codes", "Festyn", "501", "30", "count", "account.batch_count_range"},
		{"count not a number", "Festyn", "x", "30", "count", "account.batch_count_range"},
		{"no days", "Festyn", "10", "0", "days", "account.batch_days_range"},
		{"over a year", "Festyn", "10", "366", "days", "account.batch_days_range"},
		{"days not a number", "Festyn", "10", "x", "days", "account.batch_days_range"},
		{"no label", "   ", "10", "30", "label", "account.batch_label_length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mod.Submit("/admin/kody", "/admin/kody", url.Values{"label": {tc.label}, "count": {tc.count}, "days": {tc.days}})
			if r.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Title(), "Błąd:") {
				t.Fatalf("status %d %q, want 422 with the form again", r.StatusCode, r.Title())
			}
			checkFieldError(t, r.Body, tc.field, tr("pl", tc.key))
			if !strings.Contains(r.Body, `name="count" type="number" value="`+html.EscapeString(tc.count)+`"`) {
				t.Error("the form lost the typed count")
			}
		})
	}
	if n := count(t, s, `SELECT count(*) FROM invitation_batches`); n != batches {
		t.Errorf("batches %d → %d", batches, n)
	}
	if n := count(t, s, `SELECT count(*) FROM invitation_codes`); n != codes {
		t.Errorf("codes %d → %d", codes, n)
	}
}

type redeemAnswer struct {
	User apiUser
}

func TestInvitationCodes(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	modID := userID(t, s, "moderator@example.org")
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", demoPW)

	const label = "Spacer sąsiedzki po Kazimierzu"
	page := newBatch(t, mod, label, 4)
	batchID, _ := strconv.ParseInt(strings.TrimPrefix(page, "/admin/kody/"), 10, 64)
	codes := printedCodes(t, mod, page)
	if len(codes) != 4 {
		t.Fatalf("the printable page lists %d codes, want 4", len(codes))
	}
	if n := count(t, s, `SELECT count(*) FROM invitation_codes WHERE batch_id = $1 AND redeemed_at IS NULL
		AND code = ANY($2)`, batchID, []string{strings.ReplaceAll(codes[0], "-", ""), strings.ReplaceAll(codes[1], "-", ""),
		strings.ReplaceAll(codes[2], "-", ""), strings.ReplaceAll(codes[3], "-", "")}); n != 4 {
		t.Errorf("%d of the printed codes are stored unused in the batch, want 4", n)
	}
	if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action = 'invitation.create_batch' AND actor_id = $1
		AND target_id = $2 AND reason = $3 AND (details->>'count')::int = 4`, modID, batchID, label); n != 1 {
		t.Error("no invitation.create_batch audit entry for the batch")
	}
	if r := mod.Get("/admin/kody"); !strings.Contains(r.Body, `<a href="`+page+`">`+html.EscapeString(label)+`</a></td><td>0 / 4</td>`) {
		t.Error("the list of batches does not show the new one as 0 / 4 used")
	}

	t.Run("redeemed as typed: lower case, spaces and dashes", func(t *testing.T) {
		id := newPerson(t, s, personSpec{Email: "kasia@example.org", Name: "Kasia"})
		b := s.Browser(t)
		b.SignIn("kasia@example.org", demoPW)
		typed := " " + strings.ToLower(strings.Replace(codes[0], "-", " ", 1)) + " "
		r := b.Submit("/kod", "/kod", url.Values{"code": {typed}})
		if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, tr("pl", "account.redeem_done")) {
			t.Fatalf("redeem %q: %d %q", typed, r.StatusCode, r.Title())
		}
		if n := count(t, s, `SELECT count(*) FROM users WHERE id = $1 AND verified_at IS NOT NULL AND verified_method = 'code'`, id); n != 1 {
			t.Error("the account is not verified by code")
		}
		if n := count(t, s, `SELECT count(*) FROM invitation_codes WHERE code = $1 AND redeemed_by = $2 AND redeemed_at IS NOT NULL`,
			strings.ReplaceAll(codes[0], "-", ""), id); n != 1 {
			t.Error("the code is not marked redeemed by the person")
		}
		if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action = 'user.verify' AND target_id = $1
			AND details->>'method' = 'code' AND (details->>'batch_id')::bigint = $2`, id, batchID); n != 1 {
			t.Error("no user.verify audit entry naming the batch")
		}
		if r := b.Get("/kod"); !strings.Contains(r.Body, tr("pl", "account.redeem_done")) {
			t.Error("the person's next request does not see the verification")
		}
		if r := mod.Get(page); strings.Count(r.Body, `class="code-card code-used"`) != 1 {
			t.Error("the printable page does not mark exactly one code used")
		}
	})

	t.Run("a used code does not work again", func(t *testing.T) {
		id := newPerson(t, s, personSpec{Email: "tomek@example.org", Name: "Tomek"})
		b := s.Browser(t)
		b.SignIn("tomek@example.org", demoPW)
		r := b.Submit("/kod", "/kod", url.Values{"code": {codes[0]}})
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a used code: %d %q, want 422", r.StatusCode, r.Title())
		}
		checkFieldError(t, r.Body, "code", tr("pl", "account.code_invalid"))
		if scalar[bool](t, s, `SELECT verified_at IS NOT NULL FROM users WHERE id = $1`, id) {
			t.Error("verified with a used code")
		}
	})

	t.Run("an expired batch's code does not work", func(t *testing.T) {
		expired := newBatch(t, mod, "Dawne zebranie", 1)
		code := printedCodes(t, mod, expired)[0]
		if _, err := s.Pool.Exec(context.Background(), `UPDATE invitation_batches SET expires_at = now() - interval '1 minute'
			WHERE id = $1::text::bigint`, strings.TrimPrefix(expired, "/admin/kody/")); err != nil {
			t.Fatal(err)
		}
		id := newPerson(t, s, personSpec{Email: "wanda@example.org", Name: "Wanda"})
		a := s.API(t)
		a.Login("wanda@example.org", demoPW)
		r := a.Do(http.MethodPost, "/api/v1/verification/redeem", map[string]string{"code": code})
		if e := apiErr(t, r); r.StatusCode != http.StatusUnprocessableEntity || e.Code != "code_invalid" || e.Fields["code"] == "" {
			t.Errorf("an expired code: %d %+v, want 422 code_invalid", r.StatusCode, e)
		}
		if n := count(t, s, `SELECT count(*) FROM users u WHERE id = $1 AND verified_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM invitation_codes WHERE redeemed_by = u.id)`, id); n != 1 {
			t.Error("an expired code verified the account or was used up")
		}
	})

	t.Run("a verified resident is told so", func(t *testing.T) {
		a := s.API(t)
		a.Login("resident@example.org", demoPW)
		r := a.Do(http.MethodPost, "/api/v1/verification/redeem", map[string]string{"code": codes[1]})
		if e := apiErr(t, r); r.StatusCode != http.StatusConflict || e.Code != "already_verified" {
			t.Errorf("redeeming when verified: %d %+v, want 409 already_verified", r.StatusCode, e)
		}
		if n := count(t, s, `SELECT count(*) FROM invitation_codes WHERE code = $1 AND redeemed_at IS NULL`,
			strings.ReplaceAll(codes[1], "-", "")); n != 1 {
			t.Error("the code was used up by a verified resident")
		}
	})

	t.Run("guessing is throttled after 10 tries an hour", func(t *testing.T) {
		id := newPerson(t, s, personSpec{Email: "zgadywacz@example.org", Name: "Zgadywacz"})
		a := s.API(t)
		a.Login("zgadywacz@example.org", demoPW)
		for i := range 10 {
			r := a.Do(http.MethodPost, "/api/v1/verification/redeem", map[string]string{"code": "ZZZZ-ZZZZ-" + string(rune('A'+i)) + "A"})
			if r.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("guess %d: %d %s, want 422", i+1, r.StatusCode, r.Body)
			}
		}
		r := a.Do(http.MethodPost, "/api/v1/verification/redeem", map[string]string{"code": codes[2]})
		if e := apiErr(t, r); r.StatusCode != http.StatusTooManyRequests || e.Code != "rate_limited" || r.Header.Get("Retry-After") == "" {
			t.Errorf("the 11th try, with a valid code: %d %+v (Retry-After %q), want 429", r.StatusCode, e, r.Header.Get("Retry-After"))
		}
		if n := count(t, s, `SELECT count(*) FROM users WHERE id = $1 AND verified_at IS NULL`, id); n != 1 {
			t.Error("a throttled try verified the account")
		}
		if n := count(t, s, `SELECT count(*) FROM invitation_codes WHERE code = $1 AND redeemed_at IS NULL`,
			strings.ReplaceAll(codes[2], "-", "")); n != 1 {
			t.Error("a throttled try used the code up")
		}
		var body redeemAnswer
		other := newPerson(t, s, personSpec{Email: "sasiad@example.org", Name: "Sąsiad"})
		b := s.API(t)
		b.Login("sasiad@example.org", demoPW)
		r = b.Do(http.MethodPost, "/api/v1/verification/redeem", map[string]string{"code": codes[2]})
		r.JSON(t, &body)
		if r.StatusCode != http.StatusOK || body.User.ID != other || !body.User.Verified {
			t.Errorf("someone else is not throttled: %d %s", r.StatusCode, r.Body)
		}
	})
}
