package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// apiBodySamples fills a JSON route's path parameters with seeded objects, chosen by
// the route's first segment and the parameter's name. A new route whose parameters are
// not here fails FuzzAPIBodies until someone says which object it is fuzzed against.
var apiBodySamples = map[string]string{
	"admin/users:id":      `SELECT id::text FROM users WHERE email = 'resident@example.org'`,
	"admin/signatures:id": `SELECT id::text FROM signatures ORDER BY id LIMIT 1`,
	"proposals:id":        `SELECT id::text FROM proposals WHERE status = 'published' AND moderation = 'visible' ORDER BY id LIMIT 1`,
	"comments:id":         `SELECT id::text FROM comments ORDER BY id LIMIT 1`,
	"polls:id":            `SELECT id::text FROM polls ORDER BY id LIMIT 1`,
	"signatures:id":       `SELECT id::text FROM signatures ORDER BY id DESC LIMIT 1`,
	"moderation/cases:id": `SELECT id::text FROM moderation_cases ORDER BY id LIMIT 1`,
	"events:id":           `SELECT id::text FROM events WHERE kind <> 'debate' AND status = 'published' ORDER BY id LIMIT 1`,
	"debates:id":          `SELECT event_id::text FROM debates ORDER BY event_id LIMIT 1`,
	"debates:question":    `SELECT coalesce((SELECT id::text FROM debate_questions ORDER BY id LIMIT 1), '1')`,
	"consultations:id":    `SELECT id::text FROM consultations ORDER BY id LIMIT 1`,
	"promises:id":         `SELECT id::text FROM promises ORDER BY id LIMIT 1`,
	"responses:id":        `SELECT id::text FROM response_documents ORDER BY id LIMIT 1`,
	"responses:section":   `SELECT s.id::text FROM response_sections s JOIN response_documents d ON d.id = s.document_id ORDER BY d.id, s.position LIMIT 1`,
}

// apiBodyUnfuzzed are the JSON routes the fuzzer leaves alone, and why.
var apiBodyUnfuzzed = map[string]string{
	"POST /api/v1/auth/logout": "ends the fuzzing admin's session",
	"DELETE /api/v1/me":        "erases the fuzzing admin",
}

// apiBodySeeds are bodies every route gets in the committed corpus: shapes of the
// right kind with wrong types, wrong shapes, broken JSON, huge numbers, markup.
var apiBodySeeds = []string{
	`{}`, `[]`, `null`, ``, `{`, `"x"`, `{"a":1}{"b":2}`,
	`{"title":"Ławka przy Plantach <script>window.__x=1</script>","body":"Zieleń ' OR 1=1 --","description":"a"}`,
	`{"title":1,"body":[],"options":"x","option_ids":"1","status":7,"roles":"admin","draft":"yes"}`,
	`{"option_ids":[1e400],"max_choices":-1,"counts":{"x":-5},"expected_seq":-1,"parent_id":-9223372036854775809}`,
	`{"starts_at":"jutro","ends_at":"2024-13-45T25:61:00Z","closes_at":"","since":"x"}`,
	`{"action":"start","expected_seq":0}`, `{"action":"approve","reason":"` + strings.Repeat("ą", 3000) + `"}`,
	`{"answers":{"1":"x","999999":["a","a"]},"channel":"paper"}`,
	`{"question":"Czy?","kind":"single","options":["Tak","Tak"],"eligibility":"everyone"}`,
	"{\"title\":\"\xff\xfe\",\"body\":\"\x00\"}",
}

// FuzzAPIBodies sends any body to every state-changing JSON route, as an admin who may
// reach every decoder: the answer is a success or a 4xx in the error format of API.md
// — never a 5xx, never a 4xx without a code and a message.
func FuzzAPIBodies(f *testing.F) {
	s := servertest.Start(f, servertest.Options{})
	routes := fuzzedAPIRoutes(f, s)
	for i := range routes {
		for _, b := range apiBodySeeds {
			f.Add(uint8(i), []byte(b))
		}
	}
	// A request that hangs is a finding too: it fails with its route named.
	client := &http.Client{Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	token := bearerToken(f, client, s.URL, "admin@example.org")
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		r := routes[int(which)%len(routes)]
		req, err := http.NewRequest(r.method, s.URL+r.path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, r.path, err)
		}
		defer res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s with %q: %d", r.method, r.path, body, res.StatusCode)
		}
		if res.StatusCode >= 400 {
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.NewDecoder(res.Body).Decode(&e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%s %s with %q: %d without the error format (%v)", r.method, r.path, body, res.StatusCode, err)
			}
		}
	})
}

type fuzzedRoute struct{ method, path string }

var routeParam = regexp.MustCompile(`:([a-z_]+)`)

// fuzzedAPIRoutes lists the mounted state-changing JSON routes with their parameters
// filled, in a stable order (the corpus names routes by index).
func fuzzedAPIRoutes(f *testing.F, s *servertest.Running) []fuzzedRoute {
	f.Helper()
	var out []fuzzedRoute
	for _, r := range s.Server.App.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == http.MethodGet || r.Method == http.MethodHead ||
			r.Method == http.MethodOptions {
			continue
		}
		if _, skip := apiBodyUnfuzzed[r.Method+" "+r.Path]; skip {
			continue
		}
		rest := strings.TrimPrefix(r.Path, "/api/v1/")
		resource := rest
		if i := strings.Index(rest, "/:"); i >= 0 {
			resource = rest[:i]
		}
		path := routeParam.ReplaceAllStringFunc(r.Path, func(p string) string {
			query, ok := apiBodySamples[resource+p]
			if !ok {
				f.Fatalf("%s %s: say which seeded object FuzzAPIBodies uses for %s (apiBodySamples[%q])",
					r.Method, r.Path, p, resource+p)
			}
			return scalarF(f, s, query)
		})
		out = append(out, fuzzedRoute{r.Method, path})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].method+out[i].path < out[j].method+out[j].path })
	if len(out) < 40 {
		f.Fatalf("only %d JSON routes found to fuzz", len(out))
	}
	return out
}

// bearerToken signs in through the API and returns the bearer token.
func bearerToken(f *testing.F, c *http.Client, base, email string) string {
	f.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": seed.DemoPassword})
	res, err := c.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		f.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		f.Fatalf("API login as %s: %d %v", email, res.StatusCode, err)
	}
	return out.Token
}
