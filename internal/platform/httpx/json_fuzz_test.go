package httpx

import (
	"bytes"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/problem"
)

// The shapes the API decodes, in miniature: strings, numbers, lists, nested objects,
// pointers and times. Whatever a client sends, DecodeJSON accepts it into the shape or
// answers a client error (400/415/422) naming what is wrong — never a panic, never a
// server error.
type fuzzBody struct {
	Title    string            `json:"title"`
	IDs      []int64           `json:"option_ids"`
	Max      *int              `json:"max_choices,omitempty"`
	Counts   map[string]int    `json:"counts"`
	When     *time.Time        `json:"closes_at,omitempty"`
	Names    map[string]string `json:"names"`
	Draft    bool              `json:"draft"`
	Parent   *int64            `json:"parent_id"`
	Location *struct {
		Lat float64 `json:"latitude"`
	} `json:"location"`
}

func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"title":"Ławka","option_ids":[1,2],"max_choices":2,"counts":{"7":3},"closes_at":"2026-11-24T18:00:00+01:00"}`,
		`{"title":1}`, `{"option_ids":"x"}`, `{"unknown":true}`, `{"title":"a"}{"title":"b"}`, `[]`, `null`, ``,
		`{"counts":{"7":1e400}}`, `{"parent_id":-9223372036854775809}`, `{"location":{"latitude":"N"}}`,
		"{\"title\":\"\xff\xfe\"}", `{"names":{"pl":"Zieleń"},"draft":"yes"}`, `{"closes_at":"jutro"}`,
	} {
		f.Add([]byte(seed))
	}
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		if p, ok := problem.As(err); ok {
			return c.Status(p.Status).SendString(p.Code)
		}
		return c.Status(fiber.StatusInternalServerError).SendString(err.Error())
	}})
	app.Post("/", func(c *fiber.Ctx) error {
		var body fuzzBody
		if err := DecodeJSON(c, &body); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	})
	f.Fuzz(func(t *testing.T, raw []byte) {
		req := httptest.NewRequest("POST", "/", bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if s := resp.StatusCode; s != 204 && s != 400 && s != 415 && s != 422 {
			t.Fatalf("%q answered %d", raw, s)
		}
	})
}
