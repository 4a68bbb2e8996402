package realtime

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// A room name from a client is accepted only as "kind:<positive number>" within 100
// bytes, so it can never break the Redis hash tag built around the id; a client frame is
// decoded without a panic whatever it holds.
func FuzzClientFrame(f *testing.F) {
	for _, seed := range []string{
		`{"type":"subscribe","rooms":["poll:42"]}`,
		`{"type":"subscribe","rooms":["poll:{42}","poll:0","poll:-1","poll:4}2","x:9999999999999999999999"]}`,
		`{"type":"unsubscribe","rooms":["proposal:7"]}`,
		`{"type":"ping"}`, `"not an object"`, `{"rooms":[1,2]}`, `{"type":"subscribe","rooms":[":","poll:+42","poll:042"]}`, `[]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		var m clientMessage
		if json.Unmarshal(frame, &m) != nil {
			return
		}
		for _, room := range m.Rooms {
			kind, id, ok := roomKind(room)
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id || kind == "" || len(room) > 100 || strings.ContainsAny(id, "{}:") {
				t.Fatalf("room %q accepted as kind %q id %q", room, kind, id)
			}
		}
	})
}
