package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Assets serves web/static with content-hashed names ("css/app.3f2a9c1b.css"), so
// browsers may cache them for a year and still get a change at once.
type Assets struct {
	byLogical map[string]string // "css/app.css" → "css/app.3f2a9c1b.css"
	byHashed  map[string]asset
}

type asset struct {
	body        []byte
	contentType string
}

// LoadAssets reads every file under dir in fsys.
func LoadAssets(fsys fs.FS, dir string) (*Assets, error) {
	a := &Assets{byLogical: map[string]string{}, byHashed: map[string]asset{}}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		logical := strings.TrimPrefix(p, dir+"/")
		sum := sha256.Sum256(body)
		ext := path.Ext(logical)
		hashed := strings.TrimSuffix(logical, ext) + "." + hex.EncodeToString(sum[:])[:10] + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.byLogical[logical] = hashed
		a.byHashed[hashed] = asset{body: body, contentType: ct}
		return nil
	})
	return a, err
}

// URL is the fingerprinted address of a static file; an unknown name stops start-up
// (templates are executed in tests), never a broken link in production.
func (a *Assets) URL(logical string) (string, error) {
	h, ok := a.byLogical[logical]
	if !ok {
		return "", fmt.Errorf("unknown static file %q", logical)
	}
	return "/static/" + h, nil
}

// Handler serves /static/*: fingerprinted names are immutable for a year. Plain names
// are served too, revalidated by ETag, because JavaScript modules import each other by
// their plain names ("./live.js").
func (a *Assets) Handler(c *fiber.Ctx) error {
	name := c.Params("*")
	if f, ok := a.byHashed[name]; ok {
		c.Set(fiber.HeaderContentType, f.contentType)
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		return c.Send(f.body)
	}
	hashed, ok := a.byLogical[name]
	if !ok {
		return fiber.ErrNotFound
	}
	f := a.byHashed[hashed]
	etag := `"` + hashed + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "public, no-cache")
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, f.contentType)
	return c.Send(f.body)
}
