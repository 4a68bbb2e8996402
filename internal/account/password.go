package account

import (
	"bufio"
	"compress/gzip"
	"embed"
	"strings"
	"sync"
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
func CheckPassword(pw, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	return err == nil && ok
}

// dummyHash is compared against when an email is unknown, so a failed sign-in takes
// as long whether or not the account exists.
var dummyHash = func() string {
	h, err := HashPassword("not a real password, only for timing")
	if err != nil {
		panic(err)
	}
	return h
}()

// Password length bounds: long passphrases welcome, no composition rules.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 128
)

//go:embed passwords/common.txt.gz
var commonFS embed.FS

var (
	commonOnce sync.Once
	common     map[string]struct{}
)

func isCommon(pw string) bool {
	commonOnce.Do(func() {
		common = map[string]struct{}{}
		f, err := commonFS.Open("passwords/common.txt.gz")
		if err != nil {
			panic(err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			panic(err)
		}
		sc := bufio.NewScanner(zr)
		for sc.Scan() {
			common[sc.Text()] = struct{}{}
		}
	})
	_, ok := common[strings.ToLower(pw)]
	return ok
}

// passwordProblem returns the translation key of what is wrong with pw, or "".
func passwordProblem(pw string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return "account.password_too_short"
	case n > MaxPasswordLen:
		return "account.password_too_long"
	case isCommon(pw):
		return "account.password_common"
	}
	return ""
}
