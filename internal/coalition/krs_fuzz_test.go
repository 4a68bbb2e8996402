package coalition

import (
	"testing"
	"unicode/utf8"
)

// A KRS number as people type it normalises to what ValidKRS then judges; a valid one
// is exactly ten digits, not all zero, and normalising it again changes nothing.
func FuzzKRS(f *testing.F) {
	for _, seed := range []string{"0000123456", "KRS 0000123456", "123456", "krs: 0000-123-456", "0000000000", "12345678901", "١٢٣", "", " KRS ", "0000l23456"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormaliseKRS(s)
		if !utf8.ValidString(s) {
			return
		}
		if ValidKRS(n) {
			if len(n) != 10 || n == "0000000000" {
				t.Fatalf("ValidKRS(%q) from %q", n, s)
			}
			for _, r := range n {
				if r < '0' || r > '9' {
					t.Fatalf("ValidKRS accepted %q", n)
				}
			}
			if again := NormaliseKRS(n); again != n {
				t.Fatalf("normalising %q again gave %q", n, again)
			}
		}
	})
}
