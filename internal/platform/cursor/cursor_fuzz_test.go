package cursor

import (
	"errors"
	"testing"

	"lawka/internal/platform/problem"
)

// Any string a client sends as a cursor is either a cursor Encode made (and decodes to
// its id) or a 400 bad_cursor — never a panic, never a non-positive id.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{"", Encode(1), Encode(42), Encode(1 << 62), "aTA", "aS0x", "!!", "aQ", "i42", "%00", "aTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := Decode(s)
		if err != nil {
			var p *problem.Error
			if !errors.As(err, &p) || p.Status != 400 || p.Code != "bad_cursor" {
				t.Fatalf("Decode(%q): %v, want a 400 bad_cursor", s, err)
			}
			return
		}
		if s == "" {
			if id != 0 {
				t.Fatalf("the empty cursor gave %d", id)
			}
			return
		}
		if id <= 0 {
			t.Fatalf("Decode(%q) = %d", s, id)
		}
		if again, err := Decode(Encode(id)); err != nil || again != id {
			t.Fatalf("round trip of %d: %d %v", id, again, err)
		}
	})
}
