// Package cursor encodes the opaque next_cursor of API lists (keyset pagination: the
// position is the last id seen, never an offset).
package cursor

import (
	"encoding/base64"
	"strconv"

	"lawka/internal/platform/problem"
)

// Encode makes the cursor that continues after id.
func Encode(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("i" + strconv.FormatInt(id, 10)))
}

// Decode reads a cursor; "" is the first page (0). A cursor that was not made by
// Encode is a 400 bad_cursor.
func Decode(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) < 2 || raw[0] != 'i' {
		return 0, badCursor()
	}
	id, err := strconv.ParseInt(string(raw[1:]), 10, 64)
	if err != nil || id <= 0 {
		return 0, badCursor()
	}
	return id, nil
}

func badCursor() error {
	return &problem.Error{Status: 400, Code: "bad_cursor", Key: "error.bad_cursor", Fields: map[string]string{"cursor": "error.bad_cursor"}}
}

// Page trims a list fetched with LIMIT size+1 to size items and returns the id to continue
// after (0 on the last page).
func Page[T any](list []T, size int, id func(T) int64) ([]T, int64) {
	if len(list) <= size {
		return list, 0
	}
	list = list[:size]
	return list, id(list[size-1])
}
