package comment_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/comment"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db/dbtest"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
	"lawka/internal/platform/redisx/redistest"
	"lawka/internal/platform/upload"
)

// topics is a commentable for the tests: topic n exists for every n > 0; closed ones
// take no comments, hidden ones cannot be read.
type topics struct {
	mu     sync.Mutex
	closed map[int64]bool
	hidden map[int64]bool
}

func newTopics() *topics { return &topics{closed: map[int64]bool{}, hidden: map[int64]bool{}} }

func (tp *topics) CanRead(_ context.Context, p auth.Principal, id int64) error {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if tp.hidden[id] && !p.Staff() {
		return problem.NotFound()
	}
	return nil
}

func (tp *topics) CanComment(ctx context.Context, p auth.Principal, id int64) error {
	if err := tp.CanRead(ctx, p, id); err != nil {
		return err
	}
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if tp.closed[id] {
		return problem.Conflict("topic_closed", "comments.closed")
	}
	return nil
}

func (tp *topics) Room(id int64) string { return fmt.Sprintf("topic:%d", id) }
func (tp *topics) Path(id int64) string { return fmt.Sprintf("/tematy/%d", id) }
func (tp *topics) Title(_ context.Context, id int64) (string, error) {
	return fmt.Sprintf("Temat %d", id), nil
}

// published records live messages.
type published struct {
	mu   sync.Mutex
	msgs []struct {
		room, typ string
		data      any
	}
}

func (p *published) Publish(_ context.Context, room, typ string, data any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, struct {
		room, typ string
		data      any
	}{room, typ, data})
	return nil
}

// queryCounter counts and keeps the queries a pool sends.
type queryCounter struct {
	n    atomic.Int64
	mu   sync.Mutex
	sent []tracedQuery
}

type tracedQuery struct {
	sql  string
	args []any
}

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	q.n.Add(1)
	q.mu.Lock()
	q.sent = append(q.sent, tracedQuery{d.SQL, d.Args})
	q.mu.Unlock()
	return ctx
}

func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (q *queryCounter) reset() []tracedQuery {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.sent
	q.sent = nil
	q.n.Store(0)
	return out
}

type env struct {
	pool   *pgxpool.Pool
	svc    *comment.Service
	topics *topics
	pub    *published
	trace  *queryCounter
	ctx    context.Context
}

func setup(t *testing.T) *env {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dbtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	trace := &queryCounter{}
	cfg.ConnConfig.Tracer = trace
	cfg.MaxConns = 32
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e := &env{pool: pool, topics: newTopics(), pub: &published{}, trace: trace, ctx: context.Background()}
	e.svc = comment.NewService(pool, comment.Deps{Publisher: e.pub})
	e.svc.Register("topic", e.topics)
	return e
}

// people makes n accounts (directly: hashing passwords would only slow the test down).
func (e *env) people(t *testing.T, n int, roles ...string) []auth.Principal {
	t.Helper()
	tag := fmt.Sprintf("%d", time.Now().UnixNano())
	rows, err := e.pool.Query(e.ctx, `INSERT INTO users (email, password_hash, display_name)
		SELECT 'osoba' || g || '-' || $1 || '@example.org', 'x', 'Osoba ' || g FROM generate_series(1, $2) g RETURNING id, display_name`, tag, n)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.Principal, error) {
		var p auth.Principal
		err := r.Scan(&p.UserID, &p.DisplayName)
		p.Roles = roles
		return p, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *env) person(t *testing.T, roles ...string) auth.Principal {
	return e.people(t, 1, roles...)[0]
}

func (e *env) post(t *testing.T, p auth.Principal, topic int64, in comment.New) *comment.Comment {
	t.Helper()
	c, err := e.svc.Post(e.ctx, p, comment.Target{Type: "topic", ID: topic}, in)
	if err != nil {
		t.Fatalf("post %+v: %v", in, err)
	}
	return c
}

func scalar[T any](t *testing.T, e *env, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := e.pool.QueryRow(e.ctx, sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// fieldErr checks that err is a 422 naming field.
func fieldErr(t *testing.T, what string, err error, status int, field string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Status != status || (field != "" && p.Fields[field] == "") {
		t.Errorf("%s: got %v (%+v), want %d naming %q", what, err, p, status, field)
	}
}

func ptr[T any](v T) *T { return &v }

func TestThreadingAndDepth(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ola, ewa := e.person(t), e.person(t)
	root := e.post(t, ola, 1, comment.New{Body: "Ławki przy Rynku Podgórskim to dobry pomysł.", Stance: comment.For})
	parent := root
	chain := []*comment.Comment{root}
	for depth := 1; depth <= comment.MaxDepth; depth++ {
		who := []auth.Principal{ola, ewa}[depth%2]
		c := e.post(t, who, 1, comment.New{Body: fmt.Sprintf("Odpowiedź na poziomie %d", depth), Stance: comment.Neutral, ParentID: &parent.ID})
		if c.Depth != depth || *c.RootID != root.ID || *c.ParentID != parent.ID {
			t.Fatalf("reply at depth %d: depth %d root %v parent %v", depth, c.Depth, *c.RootID, *c.ParentID)
		}
		chain = append(chain, c)
		parent = c
	}
	before := scalar[int](t, e, `SELECT count(*)::int FROM comments`)
	_, err := e.svc.Post(e.ctx, ola, comment.Target{Type: "topic", ID: 1}, comment.New{Body: "Za głęboko", Stance: comment.For, ParentID: &parent.ID})
	fieldErr(t, "a reply beyond the depth limit", err, 422, "parent_id")
	if n := scalar[int](t, e, `SELECT count(*)::int FROM comments`); n != before {
		t.Errorf("a refused reply was saved: %d comments, want %d", n, before)
	}

	// A second reply to the root and the page's tree.
	side := e.post(t, ewa, 1, comment.New{Body: "Druga odpowiedź", Stance: comment.Against, ParentID: &root.ID})
	pg, err := e.svc.Page(e.ctx, ola, comment.Target{Type: "topic", ID: 1}, comment.Oldest, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Items) != 1 {
		t.Fatalf("%d roots, want 1", len(pg.Items))
	}
	r := pg.Items[0]
	if r.ReplyCount != comment.MaxDepth+1 || r.MoreReplies != 0 {
		t.Errorf("root: reply_count %d more %d, want %d and 0", r.ReplyCount, r.MoreReplies, comment.MaxDepth+1)
	}
	if len(r.Replies) != 2 || r.Replies[0].ID != chain[1].ID || r.Replies[1].ID != side.ID {
		t.Fatalf("root's replies: %+v", r.Replies)
	}
	node := r
	for depth := 1; depth <= comment.MaxDepth; depth++ {
		node = node.Replies[0]
		if node.ID != chain[depth].ID || node.Depth != depth {
			t.Fatalf("depth %d: comment %d, want %d", depth, node.ID, chain[depth].ID)
		}
	}
	if !r.Mine || r.Replies[1].Mine {
		t.Error("Mine is wrong for the viewer")
	}
}

func TestBadInputIsRefusedAndNothingSaved(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ola := e.person(t)
	target := comment.Target{Type: "topic", ID: 7}
	other := e.post(t, ola, 8, comment.New{Body: "Pod innym tematem", Stance: comment.For})
	gone := e.post(t, ola, 7, comment.New{Body: "Zaraz zniknie", Stance: comment.For})
	if err := e.svc.Delete(e.ctx, ola, gone.ID); err != nil {
		t.Fatal(err)
	}
	before := scalar[int](t, e, `SELECT count(*)::int FROM comments`)
	stats := scalar[string](t, e, `SELECT coalesce(string_agg(s::text, ';' ORDER BY target_id), '') FROM comment_stats s`)
	exactly := strings.Repeat("ż", comment.MaxBody)
	cases := []struct {
		name  string
		in    comment.New
		field string
	}{
		{"empty body", comment.New{Body: "", Stance: comment.For}, "body"},
		{"only spaces and new lines", comment.New{Body: " \n\r\n\t ", Stance: comment.For}, "body"},
		{"one character too long", comment.New{Body: exactly + "ź", Stance: comment.For}, "body"},
		{"a NUL byte", comment.New{Body: "Zażółć\x00gęślą", Stance: comment.For}, "body"},
		{"broken UTF-8", comment.New{Body: "Kraków \xff\xfe", Stance: comment.For}, "body"},
		{"no stance", comment.New{Body: "Dobry pomysł"}, "stance"},
		{"unknown stance", comment.New{Body: "Dobry pomysł", Stance: "maybe"}, "stance"},
		{"reply to another topic's comment", comment.New{Body: "Dobry pomysł", Stance: comment.For, ParentID: &other.ID}, "parent_id"},
		{"reply to a missing comment", comment.New{Body: "Dobry pomysł", Stance: comment.For, ParentID: ptr(int64(99999999))}, "parent_id"},
		{"reply to a deleted comment", comment.New{Body: "Dobry pomysł", Stance: comment.For, ParentID: &gone.ID}, "parent_id"},
	}
	for _, tc := range cases {
		_, err := e.svc.Post(e.ctx, ola, target, tc.in)
		fieldErr(t, tc.name, err, 422, tc.field)
	}
	if n := scalar[int](t, e, `SELECT count(*)::int FROM comments`); n != before {
		t.Errorf("refused comments were saved: %d, want %d", n, before)
	}
	if s := scalar[string](t, e, `SELECT coalesce(string_agg(s::text, ';' ORDER BY target_id), '') FROM comment_stats s`); s != stats {
		t.Errorf("refused comments changed the counts: %s, was %s", s, stats)
	}
	// The longest body is fine, and counts in characters, not bytes.
	if c := e.post(t, ola, 7, comment.New{Body: exactly, Stance: comment.Neutral}); len([]rune(c.Body)) != comment.MaxBody {
		t.Errorf("the longest body was cut to %d characters", len([]rune(c.Body)))
	}

	_, err := e.svc.Page(e.ctx, ola, target, "popular", "")
	fieldErr(t, "an unknown sort", err, 422, "sort")
	_, err = e.svc.Page(e.ctx, ola, target, "", "not-a-cursor")
	fieldErr(t, "a made-up cursor", err, 400, "cursor")
	_, err = e.svc.Post(e.ctx, ola, comment.Target{Type: "nothing", ID: 1}, comment.New{Body: "x", Stance: comment.For})
	fieldErr(t, "an unknown kind of target", err, 404, "")
	_, err = e.svc.Post(e.ctx, auth.Principal{}, target, comment.New{Body: "x", Stance: comment.For})
	fieldErr(t, "a visitor", err, 401, "")
	e.topics.closed[7] = true
	_, err = e.svc.Post(e.ctx, ola, target, comment.New{Body: "Po zamknięciu", Stance: comment.For})
	fieldErr(t, "a closed topic", err, 409, "")
	e.topics.hidden[7] = true
	_, err = e.svc.Page(e.ctx, ola, target, "", "")
	fieldErr(t, "a hidden topic", err, 404, "")
}

func TestDeleteLeavesATombstoneAndKeepsReplies(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ola, ewa, jan := e.person(t), e.person(t), e.person(t)
	mod := e.person(t, auth.Moderator)
	target := comment.Target{Type: "topic", ID: 3}
	root := e.post(t, ola, 3, comment.New{Body: "Proponuję **zieleń** zamiast parkingu.", Stance: comment.For})
	reply := e.post(t, ewa, 3, comment.New{Body: "Zgadzam się.", Stance: comment.For, ParentID: &root.ID})
	if _, err := e.svc.Edit(e.ctx, ola, root.ID, "Proponuję **drzewa** zamiast parkingu."); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.svc.Summary(e.ctx, ola, target); s.Comments != 2 || s.For != 2 {
		t.Fatalf("summary before: %+v", s)
	}
	fieldErr(t, "another resident deleting", e.svc.Delete(e.ctx, jan, root.ID), 403, "")
	if err := e.svc.Delete(e.ctx, ola, root.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(e.ctx, ola, root.ID); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	pg, err := e.svc.Page(e.ctx, jan, target, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Items) != 1 {
		t.Fatalf("%d roots after the delete, want the tombstone", len(pg.Items))
	}
	tomb := pg.Items[0]
	if tomb.Status != comment.Deleted || tomb.Body != "" || tomb.BodyHTML != "" || tomb.Author != nil {
		t.Errorf("tombstone shows %+v", tomb)
	}
	if len(tomb.Replies) != 1 || tomb.Replies[0].ID != reply.ID || tomb.Replies[0].Body != "Zgadzam się." {
		t.Errorf("the reply did not keep its place under the tombstone: %+v", tomb.Replies)
	}
	if n := scalar[int](t, e, `SELECT count(*)::int FROM comment_revisions WHERE comment_id = $1`, root.ID); n != 0 {
		t.Errorf("%d earlier versions kept after the delete", n)
	}
	if body := scalar[string](t, e, `SELECT body || body_html FROM comments WHERE id = $1`, root.ID); body != "" {
		t.Errorf("the deleted text is still stored: %q", body)
	}
	if s, _ := e.svc.Summary(e.ctx, ola, target); s.Comments != 1 || s.For != 1 {
		t.Errorf("summary after the delete: %+v", s)
	}
	_, err = e.svc.Edit(e.ctx, ola, root.ID, "Jednak nie")
	fieldErr(t, "editing a deleted comment", err, 409, "")
	_, err = e.svc.Post(e.ctx, jan, target, comment.New{Body: "Odpowiedź", Stance: comment.For, ParentID: &root.ID})
	fieldErr(t, "replying to a tombstone", err, 422, "parent_id")

	// A moderator deletes someone else's comment: audited.
	if err := e.svc.Delete(e.ctx, mod, reply.ID); err != nil {
		t.Fatal(err)
	}
	if n := scalar[int](t, e, `SELECT count(*)::int FROM audit_log WHERE action = 'comment.delete' AND target_id = $1 AND actor_id = $2`,
		reply.ID, mod.UserID); n != 1 {
		t.Errorf("%d audit entries for the moderator's delete, want 1", n)
	}
	if s, _ := e.svc.Summary(e.ctx, ola, target); s != (comment.Summary{LastID: reply.ID}) {
		t.Errorf("summary with only tombstones: %+v", s)
	}
}

func TestEditKeepsHistoryAndOnlyAuthorsEdit(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ola, jan := e.person(t), e.person(t)
	mod := e.person(t, auth.Moderator)
	c := e.post(t, ola, 4, comment.New{Body: "Pierwsza wersja", Stance: comment.Against})
	if _, err := e.svc.Edit(e.ctx, ola, c.ID, "Druga wersja"); err != nil {
		t.Fatal(err)
	}
	same, err := e.svc.Edit(e.ctx, ola, c.ID, "  Druga wersja \n")
	if err != nil {
		t.Fatal(err)
	}
	last, err := e.svc.Edit(e.ctx, ola, c.ID, "Trzecia *wersja*")
	if err != nil {
		t.Fatal(err)
	}
	if last.EditedAt == nil || same.EditedAt == nil || !strings.Contains(string(last.BodyHTML), "<em>wersja</em>") {
		t.Errorf("after editing: %+v", last)
	}
	got, revs, err := e.svc.History(e.ctx, jan, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Body != "Trzecia *wersja*" || len(revs) != 2 || revs[0].Body != "Pierwsza wersja" || revs[1].Body != "Druga wersja" {
		t.Fatalf("history: %q and %+v (an unchanged edit must add nothing)", got.Body, revs)
	}
	if !revs[0].WrittenAt.Equal(c.CreatedAt) || revs[1].ReplacedAt.Before(revs[0].ReplacedAt) {
		t.Errorf("revision times: %+v (created %v)", revs, c.CreatedAt)
	}
	for name, who := range map[string]auth.Principal{"another resident": jan, "a moderator": mod} {
		_, err := e.svc.Edit(e.ctx, who, c.ID, "Cudza zmiana")
		fieldErr(t, name+" editing", err, 403, "")
	}
	_, err = e.svc.Edit(e.ctx, ola, c.ID, "")
	fieldErr(t, "an empty edit", err, 422, "body")
	e.topics.closed[4] = true
	_, err = e.svc.Edit(e.ctx, ola, c.ID, "Po zamknięciu")
	fieldErr(t, "editing once the topic is closed", err, 409, "")
	if n := scalar[int](t, e, `SELECT count(*)::int FROM comment_revisions`); n != 2 {
		t.Errorf("%d revisions after refused edits, want 2", n)
	}
}

func TestConcurrentVotesAreExact(t *testing.T) {
	t.Parallel()
	e := setup(t)
	author := e.person(t)
	voters := e.people(t, 200)
	c := e.post(t, author, 5, comment.New{Body: "Więcej koszy na śmieci przy Wiśle.", Stance: comment.For})

	// Round 1: everyone votes at once: 150 up, 50 down.
	value := func(i int) int {
		if i%4 == 0 {
			return -1
		}
		return 1
	}
	run := func(vote func(i int) int) {
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, len(voters))
		for i, v := range voters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, err := e.svc.Vote(e.ctx, v, c.ID, vote(i)); err != nil {
					errs <- err
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("vote: %v", err)
		}
	}
	check := func(round string, up, down int) {
		t.Helper()
		var gotUp, gotDown, votedUp, votedDown int
		if err := e.pool.QueryRow(e.ctx, `SELECT c.up, c.down,
			(SELECT count(*) FROM comment_votes WHERE comment_id = c.id AND value = 1)::int,
			(SELECT count(*) FROM comment_votes WHERE comment_id = c.id AND value = -1)::int
			FROM comments c WHERE c.id = $1`, c.ID).Scan(&gotUp, &gotDown, &votedUp, &votedDown); err != nil {
			t.Fatal(err)
		}
		if gotUp != up || gotDown != down || votedUp != up || votedDown != down {
			t.Errorf("%s: counters %d up %d down, votes %d up %d down; want %d and %d", round, gotUp, gotDown, votedUp, votedDown, up, down)
		}
	}
	run(value)
	check("everyone at once", 150, 50)
	// Round 2, again all at once: the same votes again (no change), half of the up
	// voters turn down, the down voters withdraw.
	run(func(i int) int {
		switch {
		case i%4 == 0:
			return 0
		case i%2 == 1:
			return -1
		default:
			return 1
		}
	})
	check("changes at once", 50, 100)
	run(func(i int) int {
		switch {
		case i%4 == 0:
			return 0
		case i%2 == 1:
			return -1
		default:
			return 1
		}
	})
	check("the same votes again", 50, 100)

	got, err := e.svc.Vote(e.ctx, author, c.ID, 1)
	fieldErr(t, "voting on one's own comment", err, 403, "")
	_, err = e.svc.Vote(e.ctx, voters[0], c.ID, 2)
	fieldErr(t, "a vote of 2", err, 422, "value")
	_, err = e.svc.Vote(e.ctx, auth.Principal{}, c.ID, 1)
	fieldErr(t, "a visitor's vote", err, 401, "")
	if got.Up != 0 {
		t.Errorf("a refused vote answered counts %+v", got)
	}
	pg, err := e.svc.Page(e.ctx, voters[1], comment.Target{Type: "topic", ID: 5}, "", "")
	if err != nil || len(pg.Items) != 1 || pg.Items[0].MyVote != -1 || pg.Items[0].Score != -50 {
		t.Errorf("the page for a voter: %+v %v", pg.Items, err)
	}
}

func TestVotesAreRateLimited(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.svc = comment.NewService(e.pool, comment.Deps{Limits: ratelimit.New(redistest.New(t), nil)})
	e.svc.Register("topic", e.topics)
	author, voter := e.person(t), e.person(t)
	var limited, posts error
	for i := 0; i < 11 && posts == nil; i++ {
		_, posts = e.svc.Post(e.ctx, author, comment.Target{Type: "topic", ID: 1}, comment.New{Body: fmt.Sprintf("Komentarz %d", i), Stance: comment.Neutral})
	}
	fieldErr(t, "the 11th comment in a minute", posts, 429, "")
	id := scalar[int64](t, e, `SELECT min(id) FROM comments`)
	for i := 0; i < 61 && limited == nil; i++ {
		_, limited = e.svc.Vote(e.ctx, voter, id, 1-2*(i%2))
	}
	fieldErr(t, "the 61st vote in a minute", limited, 429, "")
	if n := scalar[int](t, e, `SELECT count(*)::int FROM comments`); n != 10 {
		t.Errorf("%d comments saved, want 10", n)
	}
}

func TestStatsStayConsistent(t *testing.T) {
	t.Parallel()
	e := setup(t)
	people := e.people(t, 6)
	mod := e.person(t, auth.Moderator)
	var live []*comment.Comment
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, p := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 15 {
				in := comment.New{Body: fmt.Sprintf("Głos %d/%d", i, j), Stance: comment.Stances[(i+j)%3]}
				mu.Lock()
				if j%3 == 2 && len(live) > 0 {
					in.ParentID = &live[(i*7+j)%len(live)].ID
				}
				mu.Unlock()
				c, err := e.svc.Post(e.ctx, p, comment.Target{Type: "topic", ID: int64(1 + j%2)}, in)
				if p, ok := problem.As(err); ok && p.Status == 422 {
					continue // a reply to a comment of the other topic or too deep
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				live = append(live, c)
				mu.Unlock()
				if j%4 == 3 {
					if err := e.svc.Delete(e.ctx, p, c.ID); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, c := range live[:5] {
		if err := e.svc.Delete(e.ctx, mod, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.PostPaper(e.ctx, mod, comment.Target{Type: "topic", ID: 1}, comment.PaperNew{Body: "Z urny", Stance: comment.Against}); err != nil {
		t.Fatal(err)
	}
	bad := scalar[int](t, e, `SELECT count(*)::int FROM (
		SELECT target_type, target_id, count(*) FILTER (WHERE status = 'visible') AS n,
			count(*) FILTER (WHERE status = 'visible' AND stance = 'for') AS f,
			count(*) FILTER (WHERE status = 'visible' AND stance = 'against') AS a,
			count(*) FILTER (WHERE status = 'visible' AND stance = 'neutral') AS u,
			count(*) FILTER (WHERE status = 'visible' AND channel = 'paper') AS p
		FROM comments GROUP BY 1, 2) c
		FULL JOIN comment_stats s USING (target_type, target_id)
		WHERE (c.n, c.f, c.a, c.u, c.p) IS DISTINCT FROM (s.comments, s.stance_for, s.stance_against, s.stance_neutral, s.paper)`)
	if bad != 0 {
		t.Errorf("%d targets whose comment_stats differ from their comments", bad)
	}
	if bad := scalar[int](t, e, `SELECT count(*)::int FROM comments r WHERE r.parent_id IS NULL
		AND r.replies <> (SELECT count(*) FROM comments c WHERE c.root_id = r.id)`); bad != 0 {
		t.Errorf("%d roots whose reply count is wrong", bad)
	}
	if n := scalar[int](t, e, `SELECT count(*)::int FROM comments`); n < 60 {
		t.Errorf("only %d comments: the test did not exercise much", n)
	}
}

func TestSortsAndCursors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	author := e.person(t)
	voters := e.people(t, 5)
	target := comment.Target{Type: "topic", ID: 9}
	var ids []int64
	for i := range 2*comment.PageSize + 5 {
		c := e.post(t, author, 9, comment.New{Body: fmt.Sprintf("Wątek %d", i), Stance: comment.Neutral})
		ids = append(ids, c.ID)
		// scores: i%6 up votes minus nothing, so many ties broken by newer first
		for _, v := range voters[:i%6%len(voters)] {
			if _, err := e.svc.Vote(e.ctx, v, c.ID, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	all := func(sort string) []*comment.Comment {
		var out []*comment.Comment
		cur := ""
		for pages := 0; ; pages++ {
			pg, err := e.svc.Page(e.ctx, author, target, sort, cur)
			if err != nil {
				t.Fatal(err)
			}
			if len(pg.Items) > comment.PageSize {
				t.Fatalf("%s: a page of %d", sort, len(pg.Items))
			}
			out = append(out, pg.Items...)
			if pg.NextCursor == "" {
				if pages != 2 {
					t.Errorf("%s: %d pages, want 3", sort, pages+1)
				}
				return out
			}
			cur = pg.NextCursor
		}
	}
	for _, sort := range comment.Sorts {
		got := all(sort)
		if len(got) != len(ids) {
			t.Fatalf("%s: %d comments over all pages, want %d", sort, len(got), len(ids))
		}
		seen := map[int64]bool{}
		for i, c := range got {
			if seen[c.ID] {
				t.Fatalf("%s: comment %d twice", sort, c.ID)
			}
			seen[c.ID] = true
			if i == 0 {
				continue
			}
			prev := got[i-1]
			var ok bool
			switch sort {
			case comment.Best:
				ok = prev.Score > c.Score || prev.Score == c.Score && prev.ID > c.ID
			case comment.Newest:
				ok = prev.ID > c.ID
			case comment.Oldest:
				ok = prev.ID < c.ID
			}
			if !ok {
				t.Fatalf("%s: %d (score %d) before %d (score %d)", sort, prev.ID, prev.Score, c.ID, c.Score)
			}
		}
	}
}

func TestPaperComments(t *testing.T) {
	t.Parallel()
	e := setup(t)
	mod := e.person(t, auth.Moderator)
	ola := e.person(t)
	target := comment.Target{Type: "topic", ID: 11}
	scan := &upload.File{ContentType: "application/pdf", Content: []byte("%PDF-1.4\n% skan uwag\n")}
	_, err := e.svc.PostPaper(e.ctx, ola, target, comment.PaperNew{Body: "Z kartki", Stance: comment.For})
	fieldErr(t, "a resident entering a paper comment", err, 403, "")
	_, err = e.svc.PostPaper(e.ctx, mod, target, comment.PaperNew{Body: "Z kartki", Stance: comment.For, AuthorName: strings.Repeat("a", 121)})
	fieldErr(t, "a name too long", err, 422, "author_name")
	c, err := e.svc.PostPaper(e.ctx, mod, target, comment.PaperNew{Body: "Proszę o przejście dla pieszych przy szkole.",
		Stance: comment.For, AuthorName: "Halina K.", Scan: scan})
	if err != nil {
		t.Fatal(err)
	}
	e.post(t, ola, 11, comment.New{Body: "Popieram", Stance: comment.For})
	pg, err := e.svc.Page(e.ctx, ola, target, comment.Oldest, "")
	if err != nil {
		t.Fatal(err)
	}
	got := pg.Items[0]
	if got.ID != c.ID || got.Channel != comment.Paper || got.Author != nil || got.AuthorName != "Halina K." || !got.HasScan {
		t.Errorf("paper comment on the page: %+v", got)
	}
	if s, _ := e.svc.Summary(e.ctx, ola, target); s.Comments != 2 || s.For != 2 || s.Paper != 1 {
		t.Errorf("summary: %+v, want both counted and one on paper", s)
	}
	if _, err := e.svc.Scan(e.ctx, ola, c.ID); err == nil {
		t.Error("a resident fetched the scan")
	}
	f, err := e.svc.Scan(e.ctx, mod, c.ID)
	if err != nil || string(f.Content) != string(scan.Content) {
		t.Errorf("the moderator's scan: %v", err)
	}
	if n := scalar[int](t, e, `SELECT count(*)::int FROM audit_log WHERE action = 'comment.paper' AND target_id = $1`, c.ID); n != 1 {
		t.Errorf("%d audit entries for the paper comment", n)
	}
	// Deleting a paper comment drops its scan.
	if err := e.svc.Delete(e.ctx, mod, c.ID); err != nil {
		t.Fatal(err)
	}
	if n := scalar[int](t, e, `SELECT count(*)::int FROM files`); n != 0 {
		t.Errorf("%d files left after deleting the paper comment", n)
	}
}

func TestNewCommentsArePublishedToTheTargetsRoom(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ola := e.person(t)
	root := e.post(t, ola, 12, comment.New{Body: "Czy <b>ktoś</b> był na spotkaniu?", Stance: comment.Neutral})
	reply := e.post(t, ola, 12, comment.New{Body: "Tak", Stance: comment.For, ParentID: &root.ID})
	e.pub.mu.Lock()
	defer e.pub.mu.Unlock()
	if len(e.pub.msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(e.pub.msgs))
	}
	m := e.pub.msgs[1]
	raw, _ := json.Marshal(m.data)
	var got map[string]any
	_ = json.Unmarshal(raw, &got)
	author, _ := got["author"].(map[string]any)
	if m.room != "topic:12" || m.typ != "comment.created" || got["id"] != float64(reply.ID) || got["parent_id"] != float64(root.ID) ||
		got["depth"] != float64(1) || got["stance"] != "for" || got["channel"] != "online" || got["body_html"] != "<p>Tak</p>\n" ||
		author["display_name"] != ola.DisplayName || got["created_at"] == nil {
		t.Errorf("message %s %s %s", m.room, m.typ, raw)
	}
	first, _ := json.Marshal(e.pub.msgs[0].data)
	if strings.Contains(string(first), "<b>") {
		t.Errorf("raw HTML reached the live message: %s", first)
	}
}

func TestErasureKeepsCommentsAndCounts(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ola, jan := e.person(t), e.person(t)
	c := e.post(t, ola, 13, comment.New{Body: "Moje zdanie", Stance: comment.Against})
	j := e.post(t, jan, 13, comment.New{Body: "Moje też", Stance: comment.For})
	if _, err := e.svc.Vote(e.ctx, ola, j.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Edit(e.ctx, ola, c.ID, "Moje zdanie, poprawione"); err != nil {
		t.Fatal(err)
	}
	exp, err := comment.PersonalData{}.Export(e.ctx, e.pool, ola.UserID)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(exp)
	if !strings.Contains(string(raw), "Moje zdanie, poprawione") || !strings.Contains(string(raw), `"earlier_versions":["Moje zdanie"]`) ||
		!strings.Contains(string(raw), fmt.Sprintf(`"comment_id":%d`, j.ID)) {
		t.Errorf("export: %s", raw)
	}
	err = pgx.BeginFunc(e.ctx, e.pool, func(tx pgx.Tx) error { return comment.PersonalData{}.Erase(e.ctx, tx, ola.UserID) })
	if err != nil {
		t.Fatal(err)
	}
	pg, err := e.svc.Page(e.ctx, jan, comment.Target{Type: "topic", ID: 13}, comment.Oldest, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := pg.Items[0]; got.Author != nil || !got.Erased || got.Body != "Moje zdanie, poprawione" {
		t.Errorf("the erased person's comment: %+v", got)
	}
	if got := pg.Items[1]; got.Up != 1 {
		t.Errorf("the erased person's vote no longer counts: %+v", got)
	}
	if n := scalar[int](t, e, `SELECT count(*)::int FROM comment_votes WHERE user_id = $1`, ola.UserID); n != 0 {
		t.Errorf("%d votes still linked to the erased account", n)
	}
}

func TestMarkdownIsSanitisedWhenWritten(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ola := e.person(t)
	payloads := []string{
		`<script>alert("Kraków")</script> Zażółć gęślą jaźń`,
		`Ławka <img src=x onerror="alert(1)"> przy Wiśle`,
		`[kliknij tutaj](javascript:alert('ławka')) — proszę`,
		`<a href="javascript:alert(1)">Nowa Huta</a>`,
		`<svg onload=alert(1)>Podgórze</svg>`,
		`<iframe src="https://example.org"></iframe> Dębniki`,
		"`<script>` w kodzie jest bezpieczny",
		`<p style="color:red" onclick="alert(1)">Bronowice</p>`,
	}
	for _, body := range payloads {
		c := e.post(t, ola, 14, comment.New{Body: body, Stance: comment.Neutral})
		stored := scalar[string](t, e, `SELECT body_html FROM comments WHERE id = $1`, c.ID)
		low := strings.ToLower(stored)
		for _, bad := range []string{"<script", "onerror", "onload", "onclick", "javascript:", "<iframe", "<svg", "style="} {
			if strings.Contains(low, bad) {
				t.Errorf("%q stored as %q (contains %s)", body, stored, bad)
			}
		}
		if c.Body != body {
			t.Errorf("the Markdown as written changed: %q", c.Body)
		}
	}
}
