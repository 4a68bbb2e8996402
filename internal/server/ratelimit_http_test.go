package server_test

// Rate limits as people meet them: for each limited action, the request after the limit
// answers 429 with Retry-After and the API's error format, and what it asked for is not
// done. (There is no debate feature with questions on main yet: nothing to limit there.)

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

func TestRateLimitsAnswer429(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	msg := tr("pl", "error.rate_limited")

	t.Run("sign-in over the API", func(t *testing.T) {
		a := s.API(t)
		const email = "marta.sasiadka@example.org"
		for i := 1; i <= 5; i++ {
			if r := a.Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": "zle-haslo-" + fmt.Sprint(i)}); r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("wrong password %d: %d %s, want 401", i, r.StatusCode, r.Body)
			}
		}
		// The right password, after five wrong ones in a minute: still refused.
		r := a.Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": seed.DemoPassword})
		checkRateLimited(t, "the 6th sign-in in a minute", r.StatusCode, r.Header, r.Body)
		if strings.Contains(r.Body, "token") {
			t.Errorf("a throttled sign-in handed out a token: %s", r.Body)
		}
	})

	t.Run("sign-in form", func(t *testing.T) {
		b := s.Browser(t)
		for i := 1; i <= 6; i++ {
			r := b.Submit("/logowanie", "/logowanie", url.Values{"email": {"anna.mieszkanka@example.org"}, "password": {"zle-haslo"}})
			if i <= 5 && r.StatusCode != http.StatusUnauthorized && r.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("wrong password %d: %d", i, r.StatusCode)
			}
			if i == 6 && (r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, msg)) {
				t.Errorf("the 6th sign-in form in a minute: %d, Retry-After %q, message shown %v", r.StatusCode, r.Header.Get("Retry-After"), strings.Contains(r.Body, msg))
			}
		}
	})

	t.Run("registration", func(t *testing.T) {
		a := s.API(t)
		reg := func(i int) servertest.Response {
			return a.Do(http.MethodPost, "/api/v1/auth/register", map[string]any{"email": fmt.Sprintf("limit.%d@example.org", i),
				"password": "Bardzo-dlugie-haslo-2026", "display_name": fmt.Sprintf("Osoba %d", i), "accept_terms": true})
		}
		for i := 1; i <= 10; i++ {
			if r := reg(i); r.StatusCode != http.StatusCreated {
				t.Fatalf("registration %d: %d %s", i, r.StatusCode, r.Body)
			}
		}
		r := reg(11)
		checkRateLimited(t, "the 11th registration from one address in an hour", r.StatusCode, r.Header, r.Body)
		if n := authzQuery[int64](t, s, `SELECT count(*) FROM users WHERE email LIKE 'limit.%@example.org'`); n != 10 {
			t.Errorf("%d accounts made, want 10", n)
		}
	})

	t.Run("password reset", func(t *testing.T) {
		b := s.Browser(t)
		const email = "advocate@example.org"
		for i := 1; i <= 4; i++ {
			r := b.Submit("/haslo/przypomnij", "/haslo/przypomnij", url.Values{"email": {email}})
			if i <= 3 && r.StatusCode != http.StatusOK {
				t.Fatalf("reset request %d: %d", i, r.StatusCode)
			}
			if i == 4 && (r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, msg)) {
				t.Errorf("the 4th reset request in 15 minutes: %d, Retry-After %q, message shown %v", r.StatusCode, r.Header.Get("Retry-After"), strings.Contains(r.Body, msg))
			}
		}
		if n := len(s.Mail(t, email)); n != 3 {
			t.Errorf("%d reset mails queued, want 3", n)
		}
	})

	proposal := authzQuery[int64](t, s, `SELECT id FROM proposals WHERE published_at IS NOT NULL AND status <> 'draft' ORDER BY id LIMIT 1`)
	var firstComment int64
	t.Run("comments", func(t *testing.T) {
		a := s.API(t)
		a.Login("resident@example.org", seed.DemoPassword)
		path := fmt.Sprintf("/api/v1/proposals/%d/comments", proposal)
		for i := 1; i <= 10; i++ {
			r := a.Do(http.MethodPost, path, map[string]any{"body": fmt.Sprintf("Uwaga numer %d do propozycji.", i), "stance": "neutral"})
			if r.StatusCode != http.StatusCreated {
				t.Fatalf("comment %d: %d %s", i, r.StatusCode, r.Body)
			}
		}
		r := a.Do(http.MethodPost, path, map[string]any{"body": "Jedenasta uwaga w minucie.", "stance": "neutral"})
		checkRateLimited(t, "the 11th comment in a minute", r.StatusCode, r.Header, r.Body)
		if n := authzQuery[int64](t, s, `SELECT count(*) FROM comments WHERE body = 'Jedenasta uwaga w minucie.'`); n != 0 {
			t.Errorf("the refused comment was saved")
		}
		firstComment = authzQuery[int64](t, s, `SELECT id FROM comments WHERE body = 'Uwaga numer 1 do propozycji.'`)
	})

	t.Run("comment votes", func(t *testing.T) {
		if firstComment == 0 {
			t.Skip("no comment to vote on")
		}
		a := s.API(t)
		a.Login("advocate@example.org", seed.DemoPassword)
		path := fmt.Sprintf("/api/v1/comments/%d/vote", firstComment)
		for i := 1; i <= 60; i++ {
			if r := a.Do(http.MethodPost, path, map[string]int{"value": 1 - 2*(i%2)}); r.StatusCode != http.StatusOK {
				t.Fatalf("vote %d: %d %s", i, r.StatusCode, r.Body)
			}
		}
		r := a.Do(http.MethodPost, path, map[string]int{"value": -1})
		checkRateLimited(t, "the 61st comment vote in a minute", r.StatusCode, r.Header, r.Body)
		// The 60th vote (+1) stands: the 61st (-1) did not replace it.
		if v := authzQuery[int64](t, s, `SELECT value FROM comment_votes WHERE comment_id = $1`, firstComment); v != 1 {
			t.Errorf("the stored vote is %d after a refused -1, want 1", v)
		}
	})

	t.Run("poll votes", func(t *testing.T) {
		poll := authzQuery[int64](t, s, `SELECT id FROM polls WHERE status = 'open' AND eligibility IN ('open', 'registered') AND allow_change ORDER BY id LIMIT 1`)
		first := authzQuery[int64](t, s, `SELECT id FROM poll_options WHERE poll_id = $1 ORDER BY position LIMIT 1`, poll)
		second := authzQuery[int64](t, s, `SELECT id FROM poll_options WHERE poll_id = $1 ORDER BY position OFFSET 1 LIMIT 1`, poll)
		a := s.API(t)
		a.Login("resident@example.org", seed.DemoPassword)
		path := fmt.Sprintf("/api/v1/polls/%d/votes", poll)
		for i := 1; i <= 30; i++ {
			opt := first
			if i%2 == 0 {
				opt = second
			}
			if r := a.Do(http.MethodPost, path, map[string]any{"option_ids": []int64{opt}}); r.StatusCode != http.StatusOK && r.StatusCode != http.StatusCreated {
				t.Fatalf("poll vote %d: %d %s", i, r.StatusCode, r.Body)
			}
		}
		r := a.Do(http.MethodPost, path, map[string]any{"option_ids": []int64{first}})
		checkRateLimited(t, "the 31st poll vote in a minute", r.StatusCode, r.Header, r.Body)
	})
}

// TestSignInThrottledWithRedisDown: with the network to Redis cut, sign-in attempts
// beyond the limit are still refused (the limiter counts in the process meanwhile),
// the right password included; once Redis is back, another address signs in again.
func TestSignInThrottledWithRedisDown(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{ProxyRedis: true})
	const email = "marta.sasiadka@example.org"
	a := s.API(t)
	s.RedisProxy.Cut()
	for i := 1; i <= 5; i++ {
		if r := a.Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": fmt.Sprintf("zle-haslo-%d", i)}); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d with Redis cut: %d %s, want 401", i, r.StatusCode, r.Body)
		}
	}
	for _, pw := range []string{"zle-haslo-6", seed.DemoPassword} {
		r := a.Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": pw})
		checkRateLimited(t, "a sign-in beyond the limit with Redis cut", r.StatusCode, r.Header, r.Body)
		if strings.Contains(r.Body, "token") {
			t.Fatalf("a throttled sign-in with Redis cut handed out a token: %s", r.Body)
		}
	}
	// The form is throttled the same way.
	b := s.Browser(t)
	if r := b.Submit("/logowanie", "/logowanie", url.Values{"email": {email}, "password": {seed.DemoPassword}}); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the sign-in form beyond the limit with Redis cut: %d, want 429", r.StatusCode)
	}
	s.RedisProxy.Restore()
	a.Login("anna.mieszkanka@example.org", seed.DemoPassword)
}
