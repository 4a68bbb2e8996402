// Package upload accepts files (signed scans): the type is decided by the content, not
// by the name or the browser's claim, and files are kept in PostgreSQL.
package upload

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
)

// MaxSize is the largest file accepted (10 MB).
const MaxSize = 10 << 20

// Allowed are the content types a scan may have.
var Allowed = map[string]bool{"application/pdf": true, "image/jpeg": true, "image/png": true}

// File is an accepted upload, ready to store.
type File struct {
	ContentType string
	Content     []byte
}

// Read checks a multipart file: at most MaxSize, and a PDF, JPEG or PNG by its content.
// field names the form field in errors.
func Read(fh *multipart.FileHeader, field string) (File, error) {
	if fh.Size > MaxSize {
		return File{}, problem.Invalid(map[string]string{field: "upload.too_large"})
	}
	f, err := fh.Open()
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	content, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return File{}, err
	}
	return Check(content, field)
}

// Check applies the rules to content already read.
func Check(content []byte, field string) (File, error) {
	if len(content) == 0 {
		return File{}, problem.Invalid(map[string]string{field: "upload.empty"})
	}
	if len(content) > MaxSize {
		return File{}, problem.Invalid(map[string]string{field: "upload.too_large"})
	}
	ct := http.DetectContentType(content)
	if !Allowed[ct] {
		return File{}, problem.Invalid(map[string]string{field: "upload.wrong_type"})
	}
	return File{ContentType: ct, Content: content}, nil
}

// Store saves f and returns its id.
func Store(ctx context.Context, q db.Querier, f File, uploadedBy int64) (int64, error) {
	sum := sha256.Sum256(f.Content)
	var id int64
	err := q.QueryRow(ctx, `INSERT INTO files (content_type, size, sha256, content, uploaded_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, f.ContentType, len(f.Content), sum[:], f.Content, uploadedBy).Scan(&id)
	return id, err
}

// Load returns a stored file.
func Load(ctx context.Context, q db.Querier, id int64) (File, error) {
	var f File
	err := q.QueryRow(ctx, `SELECT content_type, content FROM files WHERE id = $1`, id).Scan(&f.ContentType, &f.Content)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, problem.NotFound()
	}
	return f, err
}

// LoadBy loads the file whose id query returns (a nullable column, such as a scan of a
// signature or of a paper form); no row, or no file, is a 404.
func LoadBy(ctx context.Context, q db.Querier, query string, args ...any) (File, error) {
	var id *int64
	err := q.QueryRow(ctx, query, args...).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && id == nil {
		return File{}, problem.NotFound()
	}
	if err != nil {
		return File{}, err
	}
	return Load(ctx, q, *id)
}

// FromForm reads the optional file a form sent in field: nil when none was chosen.
func FromForm(c *fiber.Ctx, field string) (*File, error) {
	fh, err := c.FormFile(field)
	if err != nil || fh.Size == 0 {
		return nil, nil // no file: the field is optional
	}
	f, err := Read(fh, field)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// AllFromForm reads every file a multipart form sent in field (none when the form is
// not multipart; the empty part a browser sends for an empty file input is skipped).
func AllFromForm(c *fiber.Ctx, field string) ([]File, error) {
	mf, err := c.MultipartForm()
	if err != nil {
		return nil, nil
	}
	var out []File
	for _, fh := range mf.File[field] {
		if fh.Size == 0 {
			continue
		}
		f, err := Read(fh, field)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// StoreOptional saves f when there is one (an optional scan) and returns its id, or nil.
func StoreOptional(ctx context.Context, q db.Querier, f *File, uploadedBy int64) (*int64, error) {
	if f == nil {
		return nil, nil
	}
	id, err := Store(ctx, q, *f, uploadedBy)
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// Serve sends an uploaded file so it can never act as a page of the site: its own
// content type, sandboxed, never sniffed (the security headers add nosniff). Images may
// show inline; anything else, and whatever asks for it, downloads as name + extension.
// Private files are not kept by shared caches.
func Serve(c *fiber.Ctx, f File, name string, download, private bool) error {
	ext := map[string]string{"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[f.ContentType]
	c.Set(fiber.HeaderContentType, f.ContentType)
	// frame-ancestors does not fall back to default-src: without it another site could frame the file.
	c.Set(fiber.HeaderContentSecurityPolicy, "sandbox; default-src 'none'; frame-ancestors 'none'")
	if download || f.ContentType == "application/pdf" {
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`.`+ext+`"`)
	} else {
		c.Set(fiber.HeaderContentDisposition, "inline")
	}
	if private {
		c.Set(fiber.HeaderCacheControl, "private, no-store")
	} else {
		c.Set(fiber.HeaderCacheControl, "private, max-age=3600") // not for shared caches: drafts' files too
	}
	return c.Send(f.Content)
}
