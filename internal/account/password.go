package account

import (
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
)

// hashParams are at least OWASP's argon2id recommendation (m = 19 MiB, t = 2, p = 1).
var hashParams = &argon2id.Params{
	Memory:      19 * 1024,
	Iterations:  2,
	Parallelism: 1,
	SaltLength:  16,
	KeyLength:   32,
}

// HashPassword returns an argon2id PHC string carrying its own parameters and salt.
func HashPassword(pw string) (string, error) { return argon2id.CreateHash(pw, hashParams) }

// CheckPassword compares in constant time.
func CheckPassword(pw, hash string) (bool, error) { return argon2id.ComparePasswordAndHash(pw, hash) }

// Password length bounds: long passphrases welcome, no composition rules.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 128
)

func passwordProblem(pw string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return "account.password_too_short"
	case n > MaxPasswordLen:
		return "account.password_too_long"
	}
	return ""
}
