// Package receipt makes the codes people keep as proof that their vote or response was
// counted: random, unguessable, short enough to type from a mail or a paper form.
package receipt

import (
	"crypto/rand"
	"encoding/base32"
)

var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// New returns a fresh code: 80 random bits as 16 characters of base32 (A–Z, 2–7).
func New() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return encoding.EncodeToString(b)
}
