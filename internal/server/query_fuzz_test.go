package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"lawka/internal/server/servertest"
)

// fuzzedLists are the routes that read sorts, filters, searches and cursors from the
// query string, pages and JSON alike ({proposal}: a seeded proposal).
var fuzzedLists = []string{
	"/api/v1/proposals", "/propozycje", "/api/v1/proposals/{proposal}/comments", "/propozycje/{proposal}",
	"/api/v1/events", "/wydarzenia", "/api/v1/consultations", "/konsultacje", "/api/v1/neighbourhoods",
	"/dzielnice/podgorze", "/sojusznicy", "/api/v1/allies", "/api/v1/debates", "/d",
}

// FuzzListQueries sends any query string to every list route: whatever a visitor types
// into the address bar, the answer is a page or a clear 4xx — never a 5xx — and a JSON
// route's 4xx carries the error format.
func FuzzListQueries(f *testing.F) {
	for _, q := range []string{
		"", "sort=newest", "sort=supports&status=published", "q=ławka", "q=%25_%5C", "q='; DROP TABLE users; --",
		"neighbourhood_id=-1", "neighbourhood_id=99999999999999999999", "topic_id=abc", "limit=1000", "limit=0",
		"cursor=", "cursor=zzz", "cursor=MTIz", "cursor=" + strings.Repeat("A", 300), "sort=best&cursor=eyJ4IjoxfQ",
		"komentarze=najnowsze&komentarze_od=xyz", "komentarze=%00", "since=-5", "since=1e9", "status=%F0%9F%98%80",
		"od=2024-13-45", "do=tomorrow", "dzielnica=..%2F..", "lang=xx", "q=" + strings.Repeat("ą", 500),
	} {
		for i := range fuzzedLists {
			f.Add(uint8(i), q)
		}
	}
	s := servertest.Start(f, servertest.Options{})
	proposal := scalarF(f, s, `SELECT id::text FROM proposals WHERE status = 'published' AND moderation = 'visible' ORDER BY id LIMIT 1`)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	f.Fuzz(func(t *testing.T, which uint8, query string) {
		path := strings.ReplaceAll(fuzzedLists[int(which)%len(fuzzedLists)], "{proposal}", proposal)
		u, err := url.Parse(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		u.RawQuery = query
		req, err := http.NewRequest(http.MethodGet, u.String(), nil)
		if err != nil {
			return // not a request a client could send
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("GET %s: %d", u, res.StatusCode)
		}
		if strings.HasPrefix(path, "/api/") && res.StatusCode >= 400 {
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.NewDecoder(res.Body).Decode(&e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("GET %s: %d without the error format (%v)", u, res.StatusCode, err)
			}
		}
	})
}

func scalarF(f *testing.F, s *servertest.Running, query string) string {
	f.Helper()
	var v string
	if err := s.Pool.QueryRow(f.Context(), query).Scan(&v); err != nil {
		f.Fatalf("%s: %v", query, err)
	}
	return v
}
