package httpx_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/httpx"
)

// TestFormListAndIDs reads repeated fields from an urlencoded and a multipart form alike.
func TestFormListAndIDs(t *testing.T) {
	app := fiber.New()
	app.Post("/", func(c *fiber.Ctx) error {
		return c.SendString(fmt.Sprint(httpx.FormList(c, "d"), httpx.FormIDs(c, "d")))
	})
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for _, v := range []string{"3", "x", "-1"} {
		_ = w.WriteField("d", v)
	}
	_ = w.Close()
	for name, req := range map[string]struct{ ct, body string }{
		"urlencoded": {"application/x-www-form-urlencoded", "d=3&d=x&d=-1&e=9"},
		"multipart":  {w.FormDataContentType(), body.String()},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(req.body))
		r.Header.Set("Content-Type", req.ct)
		resp, err := app.Test(r)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		if string(got) != "[3 x -1] [3 -1]" {
			t.Errorf("%s: %s", name, got)
		}
	}
}
