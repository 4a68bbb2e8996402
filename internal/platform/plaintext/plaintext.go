// Package plaintext holds the checks every feature makes of text people type in.
package plaintext

import (
	"strings"
	"unicode/utf8"
)

// Valid says whether s is text that may be stored: valid UTF-8 without NUL bytes
// (PostgreSQL refuses those in text columns).
func Valid(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
