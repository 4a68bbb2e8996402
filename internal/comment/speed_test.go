package comment_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"lawka/internal/comment"
	"lawka/internal/platform/auth"
)

// bulk fills topic with roots threads straight in SQL (posting them one by one would
// only slow the test down): the first root gets hot replies (and the best score, so it
// is on the first page), the next spread/2 roots two replies each. Reply counts and
// the topic's counts are set as posting would, and the table is analysed as autovacuum
// would after such a load.
func (e *env) bulk(t *testing.T, topic, author int64, roots, hot, spread int) {
	t.Helper()
	steps := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO comments (target_type, target_id, author_id, stance, body, body_html, up, down)
			SELECT 'topic', $1, $2, (ARRAY['for','against','neutral'])[1 + g % 3], 'Wątek ' || g, '<p>Wątek ' || g || '</p>', g % 7, g % 3
			FROM generate_series(1, $3) g`, []any{topic, author, roots}},
		{`UPDATE comments SET up = 100000 WHERE id = (SELECT min(id) FROM comments WHERE target_type = 'topic' AND target_id = $1)`, []any{topic}},
		{`INSERT INTO comments (target_type, target_id, parent_id, root_id, depth, author_id, stance, body, body_html)
			SELECT 'topic', $1, r.id, r.id, 1, $2, 'neutral', 'Odpowiedź ' || g, '<p>Odpowiedź ' || g || '</p>'
			FROM (SELECT min(id) AS id FROM comments WHERE target_type = 'topic' AND target_id = $1) r, generate_series(1, $3) g`,
			[]any{topic, author, hot}},
		{`INSERT INTO comments (target_type, target_id, parent_id, root_id, depth, author_id, stance, body, body_html)
			SELECT 'topic', $1, r.id, r.id, 1, $2, 'for', 'Odpowiedź ' || g, '<p>Odpowiedź ' || g || '</p>'
			FROM (SELECT id FROM comments WHERE target_type = 'topic' AND target_id = $1 AND parent_id IS NULL
				ORDER BY id OFFSET 1 LIMIT $3) r, generate_series(1, 2) g`, []any{topic, author, spread / 2}},
		{`UPDATE comments r SET replies = (SELECT count(*) FROM comments c WHERE c.root_id = r.id)
			WHERE target_type = 'topic' AND target_id = $1 AND parent_id IS NULL`, []any{topic}},
		{`INSERT INTO comment_stats (target_type, target_id, comments, stance_for, stance_against, stance_neutral)
			SELECT 'topic', $1, count(*), count(*) FILTER (WHERE stance = 'for'), count(*) FILTER (WHERE stance = 'against'),
				count(*) FILTER (WHERE stance = 'neutral') FROM comments WHERE target_type = 'topic' AND target_id = $1`, []any{topic}},
		{`ANALYZE comments`, nil},
	}
	for _, s := range steps {
		if _, err := e.pool.Exec(e.ctx, s.sql, s.args...); err != nil {
			t.Fatalf("%s: %v", s.sql, err)
		}
	}
}

// readTopic reads what a target's page shows of its comments (the first page, the
// summary) and then the second page, and returns the queries sent.
func (e *env) readTopic(t *testing.T, viewer auth.Principal, topic int64, sort string) []tracedQuery {
	t.Helper()
	e.trace.reset()
	target := comment.Target{Type: "topic", ID: topic}
	pg, err := e.svc.Page(e.ctx, viewer, target, sort, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Summary(e.ctx, viewer, target); err != nil {
		t.Fatal(err)
	}
	if pg.NextCursor != "" {
		if _, err := e.svc.Page(e.ctx, viewer, target, sort, pg.NextCursor); err != nil {
			t.Fatal(err)
		}
	} else if _, err := e.svc.Page(e.ctx, viewer, target, sort, ""); err != nil { // the same work either way
		t.Fatal(err)
	}
	return e.trace.reset()
}

// TestPageQueriesDoNotGrowWithTheDiscussion: a page of a 2,000-comment discussion takes
// as many queries as a page of a 10-comment one, for every sort.
func TestPageQueriesDoNotGrowWithTheDiscussion(t *testing.T) {
	t.Parallel()
	e := setup(t)
	author, viewer := e.person(t), e.person(t)
	// The small one through the service: 5 threads, 5 replies.
	for i := range 5 {
		c := e.post(t, author, 21, comment.New{Body: "Krótka rozmowa", Stance: comment.Stances[i%3]})
		e.post(t, author, 21, comment.New{Body: "Odpowiedź", Stance: comment.For, ParentID: &c.ID})
	}
	e.bulk(t, 22, author.UserID, 1000, 400, 600)
	if n := scalar[int](t, e, `SELECT count(*)::int FROM comments WHERE target_id = 22`); n != 2000 {
		t.Fatalf("the big discussion has %d comments, want 2000", n)
	}
	for _, sort := range comment.Sorts {
		small, big := len(e.readTopic(t, viewer, 21, sort)), len(e.readTopic(t, viewer, 22, sort))
		if small != big || big > 6 {
			t.Errorf("%s: %d queries for 10 comments, %d for 2,000 (want the same, at most 6)", sort, small, big)
		}
	}
}

// TestPageOfAHugeThreadReadsOnlyThePage: in a 10,000-comment discussion (one thread
// alone holding 6,000 replies), reading a page touches about a page's worth of rows:
// every query is an index range scan of its own length, checked with EXPLAIN ANALYZE
// on the very queries the service sent.
func TestPageOfAHugeThreadReadsOnlyThePage(t *testing.T) {
	t.Parallel()
	e := setup(t)
	author, viewer := e.person(t), e.person(t)
	for range 10 {
		e.post(t, author, 31, comment.New{Body: "Krótka rozmowa", Stance: comment.Neutral})
	}
	e.bulk(t, 32, author.UserID, 2000, 6000, 2000)
	if n := scalar[int](t, e, `SELECT count(*)::int FROM comments WHERE target_id = 32`); n != 10000 {
		t.Fatalf("the big discussion has %d comments, want 10,000", n)
	}
	// per page: the roots (a page and one more, and the cursor's root), and up to
	// RepliesShown replies of each
	bound := 2*(comment.PageSize+2) + comment.PageSize*comment.RepliesShown
	for _, sort := range comment.Sorts {
		for _, q := range e.readTopic(t, viewer, 32, sort) {
			if !strings.Contains(q.sql, "FROM comments") && !strings.Contains(q.sql, "FROM unnest") {
				continue
			}
			rows, scans := e.explain(t, q)
			if rows > bound || slices.Contains(scans, "Seq Scan") {
				t.Errorf("%s: a query read %d rows of comments (at most %d for a page) with %v:\n%s", sort, rows, bound, scans, q.sql)
			}
		}
	}
	// For the record: how long a page takes in each discussion.
	timed := func(topic int64) time.Duration {
		var best time.Duration
		for range 15 {
			start := time.Now()
			if _, err := e.svc.Page(e.ctx, viewer, comment.Target{Type: "topic", ID: topic}, comment.Best, ""); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); best == 0 || d < best {
				best = d
			}
		}
		return best
	}
	t.Logf("fastest page of 10 comments %v, of 10,000 comments %v", timed(31), timed(32))
}

// explain runs q under EXPLAIN ANALYZE and returns how many rows of comments its plan
// read (returned or filtered away, over all loops) and the kinds of scans it used on them.
func (e *env) explain(t *testing.T, q tracedQuery) (rows int, scans []string) {
	t.Helper()
	var raw []byte
	if err := e.pool.QueryRow(e.ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+q.sql, q.args...).Scan(&raw); err != nil {
		t.Fatalf("explain %s: %v", q.sql, err)
	}
	var plans []struct{ Plan map[string]any }
	if err := json.Unmarshal(raw, &plans); err != nil || len(plans) != 1 {
		t.Fatalf("explain output %s: %v", raw, err)
	}
	num := func(n map[string]any, k string) float64 { f, _ := n[k].(float64); return f }
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		if n["Relation Name"] == "comments" {
			loops := max(num(n, "Actual Loops"), 1)
			rows += int((num(n, "Actual Rows") + num(n, "Rows Removed by Filter") + num(n, "Rows Removed by Index Recheck")) * loops)
			scans = append(scans, n["Node Type"].(string))
		}
		sub, _ := n["Plans"].([]any)
		for _, s := range sub {
			if m, ok := s.(map[string]any); ok {
				walk(m)
			}
		}
	}
	walk(plans[0].Plan)
	return rows, scans
}
