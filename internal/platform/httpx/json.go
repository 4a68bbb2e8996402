package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/problem"
)

// DecodeJSON reads a JSON body strictly: the content type must be JSON (415), unknown
// fields and trailing data are refused (422), and a malformed body is a 400.
func DecodeJSON(c *fiber.Ctx, v any) error {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]))
	if ct != fiber.MIMEApplicationJSON {
		return &problem.Error{Status: fiber.StatusUnsupportedMediaType, Code: "unsupported_media_type", Key: "error.unsupported_media_type"}
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return problem.BadRequest("malformed_json", "error.malformed_json")
	}
	return nil
}

func jsonProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return problem.Invalid(map[string]string{field: "error.field_wrong_type"})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &problem.Error{Status: fiber.StatusUnprocessableEntity, Code: "unknown_field", Key: "error.unknown_field",
			Fields: map[string]string{name: "error.field_unknown"}}
	default:
		return problem.BadRequest("malformed_json", "error.malformed_json")
	}
}
