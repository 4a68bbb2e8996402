package server

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// openAPIDocument is the OpenAPI 3.1 description of /api/v1, written by hand and kept
// beside routes.go; openapi_test.go checks it against the routes the server mounts.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPIETag names this build's document: it never changes while the server runs.
var openAPIETag = func() string {
	sum := sha256.Sum256(openAPIDocument)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}()

// openAPI answers GET /api/v1/openapi.json: public, revalidated by its ETag.
func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderETag, openAPIETag)
	c.Set(fiber.HeaderCacheControl, "public, no-cache")
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), openAPIETag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openAPIDocument)
}

// etagMatches is If-None-Match's weak comparison: any listed tag, W/ or not, or "*".
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
