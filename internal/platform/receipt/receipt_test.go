package receipt

import (
	"regexp"
	"testing"
)

func TestNewIsSixteenBase32CharactersAndDiffers(t *testing.T) {
	shape := regexp.MustCompile(`^[A-Z2-7]{16}$`)
	seen := map[string]bool{}
	for range 100 {
		r := New()
		if !shape.MatchString(r) {
			t.Fatalf("receipt %q is not 16 base32 characters", r)
		}
		if seen[r] {
			t.Fatalf("receipt %q came twice", r)
		}
		seen[r] = true
	}
}
