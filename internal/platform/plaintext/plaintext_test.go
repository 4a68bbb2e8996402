package plaintext

import "testing"

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{"": true, "Zażółć gęślą jaźń": true, "a\x00b": false, "\xff\xfe": false} {
		if got := Valid(s); got != want {
			t.Errorf("Valid(%q) = %v, want %v", s, got, want)
		}
	}
}
