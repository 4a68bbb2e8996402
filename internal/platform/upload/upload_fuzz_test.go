package upload

import (
	"testing"

	"lawka/internal/platform/problem"
)

// Whatever bytes arrive, Check accepts only PDF, JPEG and PNG content up to MaxSize, and
// anything else is a 422 naming the field — never a panic.
func FuzzCheck(f *testing.F) {
	for _, seed := range [][]byte{
		[]byte("%PDF-1.4\n%âãÏÓ\n"),
		[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
		[]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
		[]byte("<script>alert(1)</script>"),
		[]byte("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"),
		[]byte("GIF89a\x01\x00\x01\x00"),
		[]byte("PK\x03\x04"),
		{},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		got, err := Check(content, "scan")
		if err != nil {
			p, ok := problem.As(err)
			if !ok || p.Status != 422 || p.Fields["scan"] == "" {
				t.Fatalf("Check refused %q with %v, want a 422 naming the field", content[:min(len(content), 16)], err)
			}
			return
		}
		if !Allowed[got.ContentType] || len(got.Content) == 0 || len(got.Content) > MaxSize {
			t.Fatalf("Check accepted %q as %s", content[:min(len(content), 16)], got.ContentType)
		}
	})
}
