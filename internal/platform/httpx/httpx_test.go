package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/jackc/pgx/v5/pgconn"

	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
	"lawka/web"
)

// app builds a Fiber app with the platform's error handling and a few test routes.
func app(t *testing.T, logs io.Writer) *fiber.App {
	t.Helper()
	bundle, err := i18n.Load(web.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	assets, err := render.LoadAssets(web.FS, "static")
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(web.FS, assets)
	if err != nil {
		t.Fatal(err)
	}
	r.Decorate = func(c *fiber.Ctx, v *render.View) {
		v.L = httpx.L(c)
		v.Lang = v.L.Lang
		v.RequestID = httpx.RequestID(c)
	}
	log := slog.New(slog.NewTextHandler(logs, nil))
	a := fiber.New(fiber.Config{ErrorHandler: httpx.ErrorHandler(r, log), DisableStartupMessage: true})
	a.Use(httpx.RequestIDs(), httpx.AccessLog(log), recover.New(), httpx.Language(bundle, false))
	a.Get("/boom", func(*fiber.Ctx) error { panic("secret internal detail") })
	a.Get("/api/v1/boom", func(*fiber.Ctx) error { panic("secret internal detail") })
	a.Post("/api/v1/echo", func(c *fiber.Ctx) error {
		var in struct {
			Name  string `json:"name"`
			Count int    `json:"count"`
		}
		if err := httpx.DecodeJSON(c, &in); err != nil {
			return err
		}
		if in.Name == "" {
			return problem.Invalid(map[string]string{"name": "account.display_name_length"})
		}
		return c.JSON(in)
	})
	return a
}

func TestPanicBecomesA500WithRequestIDAndNoDetails(t *testing.T) {
	var logs bytes.Buffer
	a := app(t, &logs)

	resp, err := a.Test(httptest.NewRequest("GET", "/api/v1/boom", nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	var body httpx.ErrorBody
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("500 body is not the error format: %s", b)
	}
	id := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != 500 || body.Error.Code != "internal" || body.Error.RequestID != id || id == "" {
		t.Fatalf("500 = %d %+v (request id %q)", resp.StatusCode, body, id)
	}
	if strings.Contains(string(b), "secret internal detail") || strings.Contains(string(b), "goroutine") {
		t.Fatalf("500 body leaks internals: %s", b)
	}
	if !strings.Contains(logs.String(), id) || !strings.Contains(logs.String(), "secret internal detail") {
		t.Fatalf("the log should carry the request id and the cause: %s", logs.String())
	}

	resp, err = a.Test(httptest.NewRequest("GET", "/boom?lang=en", nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	page := string(b)
	if resp.StatusCode != 500 || !strings.Contains(page, "Something went wrong on our side") ||
		!strings.Contains(page, resp.Header.Get("X-Request-Id")) || strings.Contains(page, "secret internal detail") {
		t.Fatalf("HTML 500 page = %d\n%s", resp.StatusCode, page)
	}
}

func TestDecodeJSONIsStrict(t *testing.T) {
	a := app(t, io.Discard)
	cases := []struct {
		name, contentType, body string
		status                  int
		code, field             string
	}{
		{"ok", "application/json", `{"name":"Ala","count":2}`, 200, "", ""},
		{"charset is fine", "application/json; charset=utf-8", `{"name":"Ala"}`, 200, "", ""},
		{"wrong content type", "text/plain", `{"name":"Ala"}`, 415, "unsupported_media_type", ""},
		{"form post", "application/x-www-form-urlencoded", `name=Ala`, 415, "unsupported_media_type", ""},
		{"malformed", "application/json", `{"name":`, 400, "malformed_json", ""},
		{"trailing data", "application/json", `{"name":"Ala"} {"x":1}`, 400, "malformed_json", ""},
		{"unknown field", "application/json", `{"name":"Ala","admin":true}`, 422, "unknown_field", "admin"},
		{"wrong type", "application/json", `{"name":"Ala","count":"two"}`, 422, "validation_failed", "count"},
		{"validation", "application/json", `{"name":""}`, 422, "validation_failed", "name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/api/v1/echo", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			req.Header.Set("Accept-Language", "en")
			resp, err := a.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.code == "" {
				return
			}
			var body httpx.ErrorBody
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if body.Error.Code != tc.code || body.Error.Message == "" || strings.Contains(body.Error.Message, "error.") {
				t.Fatalf("error = %+v, want code %s with a translated message", body.Error, tc.code)
			}
			if tc.field != "" && (body.Error.Fields[tc.field] == "" || strings.HasPrefix(body.Error.Fields[tc.field], "error.") || strings.HasPrefix(body.Error.Fields[tc.field], "account.")) {
				t.Fatalf("fields = %v, want a translated message for %s", body.Error.Fields, tc.field)
			}
		})
	}
}

// TestLostDependencyConnectionsAre503: however PostgreSQL or Redis drop out from under a
// request, the client is told to try again later, not that the server failed.
func TestLostDependencyConnectionsAre503(t *testing.T) {
	a := app(t, io.Discard)
	cases := []struct {
		name   string
		err    error
		status int
	}{
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, 503},
		{"connection reset mid-query", fmt.Errorf("voting: %w", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), 503},
		{"deadline passed waiting", fmt.Errorf("voting: %w", context.DeadlineExceeded), 503},
		{"PostgreSQL shut down or restarted", fmt.Errorf("voting: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P01"}), 503},
		{"PostgreSQL still starting", &pgconn.PgError{Severity: "FATAL", Code: "57P03"}, 503},
		{"connection ended without a word", fmt.Errorf("voting: %w", io.ErrUnexpectedEOF), 503},
		{"a connection an earlier failure closed", fmt.Errorf("voting: %w", pgconn.ErrConnClosed), 503},
		{"a constraint is a bug, not an outage", &pgconn.PgError{Code: "23505"}, 500},
		{"a syntax error is a bug", &pgconn.PgError{Code: "42601"}, 500},
	}
	for i, tc := range cases {
		a.Get(fmt.Sprintf("/api/v1/dependency/%d", i), func(*fiber.Ctx) error { return tc.err })
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := a.Test(httptest.NewRequest("GET", fmt.Sprintf("/api/v1/dependency/%d", i), nil))
			if err != nil {
				t.Fatal(err)
			}
			var body httpx.ErrorBody
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body.Error.Code, tc.status)
			}
			if tc.status == 503 && (body.Error.Code != "unavailable" || resp.Header.Get("Retry-After") == "") {
				t.Fatalf("503 with code %q and Retry-After %q, want unavailable and a delay", body.Error.Code, resp.Header.Get("Retry-After"))
			}
		})
	}
}
