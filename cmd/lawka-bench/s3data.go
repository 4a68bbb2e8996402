package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/markdown"
)

// Discussion is the data set of S3 and S4, loaded straight into the benchmark's database
// after `lawka migrate` and `lawka seed` (districts and topics): published proposals
// spread over every district, each with a discussion in threads (replies up to the
// deepest level, a few deleted ones, up and down votes from many accounts), one hot
// proposal with a long discussion and one plain proposal with a short one. Every counter
// the application keeps is filled as the application would have left it:
// comment_stats, comments.replies of each root, comments.up/down from comment_votes,
// proposals.supports from proposal_supports, a first revision of every proposal, and the
// author following their own proposal.
type Discussion struct {
	Proposals, Comments, Votes, Supports, Users int
	Districts                                   int
	Hot, Plain                                  int64 // proposal ids
	HotComments, PlainComments                  int   // comments on them (tombstones included)
	HotVisible, PlainVisible                    int   // visible ones: the count their pages show
	Load                                        time.Duration
	Checked                                     string // the consistency checks that passed
	// Posters are accounts the S4 posters sign in as (every account has benchPassword).
	Posters []string
}

// discussionSpec is the size of the data set.
type discussionSpec struct {
	proposals, comments, hot, plain, users int
}

// commentRow is one comment as loaded (ids chosen here, so replies can name parents).
type commentRow struct {
	id, target, author int64
	parent, root       int64 // 0: none
	depth              int
	stance, status     string
	body               int // index into the body pool; −1 for a tombstone
	up, down, replies  int
	created            time.Time
	voters             []int64
}

// Sentences the generated texts are made of (Polish, like the site).
var sentences = []string{
	"Popieram, bo codziennie przechodzę tędy z dziećmi do szkoły.",
	"Warto najpierw zapytać mieszkańców okolicznych bloków, czego naprawdę potrzebują.",
	"Koszt wydaje się zaniżony: podobna inwestycja w sąsiedniej dzielnicy kosztowała dwa razy więcej.",
	"Zieleń w tym miejscu zniknęła kilka lat temu i nikt jej nie odtworzył.",
	"Proponuję **etapowanie**: najpierw chodnik, potem ławki i oświetlenie.",
	"Czy ktoś sprawdził, do kogo należy ta działka? Z tego, co wiem, część jest prywatna.",
	"Wieczorem jest tu ciemno i niebezpiecznie, lepsze oświetlenie to podstawa.",
	"Nie zgadzam się — parking jest potrzebny osobom starszym, które nie dojdą z przystanku.",
	"Rada dzielnicy zajmowała się tym w zeszłym roku, warto dołączyć protokół z posiedzenia.",
	"Drzewa dają cień latem, a ławki w cieniu są oblegane od rana.",
	"Można by połączyć ten pomysł z budową stojaków rowerowych przy szkole.",
	"Uwaga na odwodnienie: po każdym deszczu stoi tu woda przez kilka dni.",
	"Jestem za, pod warunkiem że nie wytną przy okazji starych lip.",
	"Dobrym przykładem jest skwer przy ulicy Krowoderskiej, warto się wzorować.",
	"Ile to będzie kosztowało w utrzymaniu? Samo postawienie to połowa sprawy.",
	"Mieszkam tu od trzydziestu lat i pierwszy raz ktoś proponuje coś sensownego.",
}

// text joins n sentences starting at i (wrapping), in paragraphs of three.
func text(i, n int) string {
	var b strings.Builder
	for k := 0; k < n; k++ {
		if k > 0 {
			if k%3 == 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(sentences[(i+k)%len(sentences)])
	}
	return b.String()
}

// loadDiscussion makes the data set; db is the benchmark's database, migrated and
// seeded with the reference data.
func (b *bench) loadDiscussion(ctx context.Context, spec discussionSpec) (*Discussion, error) {
	start := time.Now()
	d := &Discussion{Proposals: spec.proposals, Users: spec.users}
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	c := conn.Conn()
	rng := rand.New(rand.NewPCG(5, 2026))

	var hash string
	if err := c.QueryRow(ctx, `SELECT password_hash FROM users WHERE email = $1`, benchEmail).Scan(&hash); err != nil {
		return nil, fmt.Errorf("reading the benchmark account: %w", err)
	}
	districts, err := ids(ctx, c, `SELECT id FROM neighbourhoods ORDER BY number`)
	if err != nil {
		return nil, err
	}
	topics, err := ids(ctx, c, `SELECT id FROM topics ORDER BY position, id`)
	if err != nil {
		return nil, err
	}
	if len(districts) == 0 {
		return nil, fmt.Errorf("no districts: `lawka seed` did not add the reference data")
	}
	d.Districts = len(districts)
	users, err := ids(ctx, c, `INSERT INTO users (email, password_hash, display_name, locale, email_confirmed_at, created_at)
		SELECT 'mieszkaniec' || g || '@bench.example.org', $1, 'Mieszkaniec ' || g, 'pl', now(), now() - interval '200 days'
		FROM generate_series(1, $2::int) g RETURNING id`, hash, spec.users)
	if err != nil {
		return nil, fmt.Errorf("adding accounts: %w", err)
	}
	for i := 0; i < min(len(users), 200); i++ {
		d.Posters = append(d.Posters, fmt.Sprintf("mieszkaniec%d@bench.example.org", i+1))
	}

	// Proposals, with ids chosen here (COPY writes identity columns as given).
	var base, pbase int64
	if err := c.QueryRow(ctx, `SELECT coalesce(max(id), 0) + 1 FROM proposals`).Scan(&pbase); err != nil {
		return nil, err
	}
	now := time.Now().Add(-time.Hour)
	origin := now.Add(-120 * 24 * time.Hour)
	hotIdx, plainIdx := spec.proposals/2, spec.proposals/2+1
	d.Hot, d.Plain = pbase+int64(hotIdx), pbase+int64(plainIdx)
	bodies := make([]string, 24)
	bodyHTML := make([]string, len(bodies))
	for i := range bodies {
		bodies[i] = text(i*5, 6+i%7)
		bodyHTML[i] = string(markdown.HTML(bodies[i]))
	}
	var props, revs, ptopics, supports, follows [][]any
	created := make([]time.Time, spec.proposals)
	for i := 0; i < spec.proposals; i++ {
		id := pbase + int64(i)
		author := users[rng.IntN(len(users))]
		created[i] = origin.Add(time.Duration(i) * 100 * 24 * time.Hour / time.Duration(spec.proposals))
		title := fmt.Sprintf("Propozycja %d: %s", i+1, strings.TrimSuffix(sentences[i%len(sentences)], "."))
		if len(title) > 150 {
			title = title[:strings.LastIndexByte(title[:150], ' ')]
		}
		bi := i % len(bodies)
		n := rng.IntN(40)
		if i == hotIdx {
			n = 300
		}
		props = append(props, []any{id, districts[i%len(districts)], author, title, bodies[bi], bodyHTML[bi], "published",
			n, created[i], created[i], created[i]})
		revs = append(revs, []any{id, title, bodies[bi], author, created[i]})
		if len(topics) > 0 {
			ptopics = append(ptopics, []any{id, topics[i%len(topics)]})
			if i%3 == 0 && len(topics) > 1 {
				ptopics = append(ptopics, []any{id, topics[(i+1)%len(topics)]})
			}
		}
		for k, u := range pick(rng, users, n, author) {
			supports = append(supports, []any{id, u, created[i].Add(time.Duration(k+1) * time.Minute)})
		}
		follows = append(follows, []any{author, "proposal", id, created[i]})
	}
	d.Supports = len(supports)
	for _, t := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"proposals", []string{"id", "neighbourhood_id", "author_id", "title", "body", "body_html", "status", "supports",
			"created_at", "updated_at", "published_at"}, props},
		{"proposal_revisions", []string{"proposal_id", "title", "body", "edited_by", "created_at"}, revs},
		{"proposal_topics", []string{"proposal_id", "topic_id"}, ptopics},
		{"proposal_supports", []string{"proposal_id", "user_id", "created_at"}, supports},
		{"follows", []string{"user_id", "target_type", "target_id", "created_at"}, follows},
	} {
		if _, err := c.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
			return nil, fmt.Errorf("loading %s: %w", t.table, err)
		}
	}

	// Comments: how many each proposal gets (hot and plain fixed, the rest shared out
	// with some spread, the total exact).
	counts := make([]int, spec.proposals)
	rest := spec.comments - spec.hot - spec.plain
	others := spec.proposals - 2
	for i := range counts {
		switch i {
		case hotIdx:
			counts[i] = spec.hot
		case plainIdx:
			counts[i] = spec.plain
		default:
			counts[i] = rest / others
		}
	}
	for i, extra := 0, rest%others; extra > 0; i++ {
		if i != hotIdx && i != plainIdx {
			counts[i]++
			extra--
		}
	}
	for i := 0; i+1 < len(counts); i += 2 { // spread: pairs trade comments, the sum stays
		if i == hotIdx || i+1 == hotIdx || i == plainIdx || i+1 == plainIdx {
			continue
		}
		move := rng.IntN(counts[i]*3/4 + 1)
		counts[i] -= move
		counts[i+1] += move
	}
	if err := c.QueryRow(ctx, `SELECT coalesce(max(id), 0) + 1 FROM comments`).Scan(&base); err != nil {
		return nil, err
	}
	next := base
	var all []*commentRow
	for i, n := range counts {
		rows := threads(rng, &next, pbase+int64(i), n, users, created[i], now)
		all = append(all, rows...)
		if i == hotIdx {
			d.HotComments = len(rows)
			d.HotVisible = visibleCount(rows)
		}
		if i == plainIdx {
			d.PlainComments = len(rows)
			d.PlainVisible = visibleCount(rows)
		}
	}
	d.Comments = len(all)
	var crows, vrows [][]any
	for _, r := range all {
		var parent, root, deletedBy any
		var deletedAt any
		if r.parent != 0 {
			parent, root = r.parent, r.root
		}
		body, html := "", ""
		if r.status == "deleted" {
			deletedBy, deletedAt = r.author, r.created.Add(time.Hour)
		} else {
			body, html = comBodies[r.body], comHTML[r.body]
		}
		crows = append(crows, []any{r.id, "proposal", r.target, parent, root, int16(r.depth), r.author, r.stance, body, html,
			r.status, r.up, r.down, r.replies, r.created, deletedAt, deletedBy})
		for k, u := range r.voters {
			v := int16(1)
			if k >= r.up {
				v = -1
			}
			vrows = append(vrows, []any{r.id, u, v, r.created.Add(time.Duration(k+1) * time.Minute)})
		}
	}
	d.Votes = len(vrows)
	if _, err := c.CopyFrom(ctx, pgx.Identifier{"comments"}, []string{"id", "target_type", "target_id", "parent_id", "root_id",
		"depth", "author_id", "stance", "body", "body_html", "status", "up", "down", "replies", "created_at", "deleted_at", "deleted_by"},
		pgx.CopyFromRows(crows)); err != nil {
		return nil, fmt.Errorf("loading comments: %w", err)
	}
	if _, err := c.CopyFrom(ctx, pgx.Identifier{"comment_votes"}, []string{"comment_id", "user_id", "value", "created_at"},
		pgx.CopyFromRows(vrows)); err != nil {
		return nil, fmt.Errorf("loading comment votes: %w", err)
	}
	for _, q := range []string{
		`SELECT setval(pg_get_serial_sequence('proposals', 'id'), (SELECT max(id) FROM proposals))`,
		`SELECT setval(pg_get_serial_sequence('comments', 'id'), (SELECT max(id) FROM comments))`,
		// The counts the comment feature keeps with every post and delete (visible ones).
		`INSERT INTO comment_stats (target_type, target_id, comments, stance_for, stance_against, stance_neutral, paper)
		 SELECT target_type, target_id, count(*) FILTER (WHERE status = 'visible'),
			count(*) FILTER (WHERE status = 'visible' AND stance = 'for'), count(*) FILTER (WHERE status = 'visible' AND stance = 'against'),
			count(*) FILTER (WHERE status = 'visible' AND stance = 'neutral'), 0
		 FROM comments GROUP BY target_type, target_id
		 ON CONFLICT (target_type, target_id) DO UPDATE SET comments = excluded.comments, stance_for = excluded.stance_for,
			stance_against = excluded.stance_against, stance_neutral = excluded.stance_neutral`,
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", clip([]byte(q), 60), err)
		}
	}
	// The counters must agree with the rows, as the application would have left them.
	checks := []struct{ what, sql string }{
		{"comments.replies of every root = its thread's rows",
			`SELECT count(*) FROM comments r WHERE r.parent_id IS NULL AND r.replies <> (SELECT count(*) FROM comments c WHERE c.root_id = r.id)`},
		{"comments.up/down = comment_votes",
			`SELECT count(*) FROM comments c WHERE (c.up, c.down) <> (SELECT count(*) FILTER (WHERE value = 1), count(*) FILTER (WHERE value = -1)
				FROM comment_votes v WHERE v.comment_id = c.id)`},
		{"proposals.supports = proposal_supports",
			`SELECT count(*) FROM proposals p WHERE p.supports <> (SELECT count(*) FROM proposal_supports s WHERE s.proposal_id = p.id)`},
		{"comment_stats = visible comments by stance",
			`SELECT count(*) FROM comment_stats s WHERE s.comments <> (SELECT count(*) FROM comments c WHERE c.target_type = s.target_type
				AND c.target_id = s.target_id AND c.status = 'visible')`},
	}
	var passed []string
	for _, ch := range checks {
		var bad int
		if err := c.QueryRow(ctx, ch.sql).Scan(&bad); err != nil {
			return nil, fmt.Errorf("checking %s: %w", ch.what, err)
		}
		if bad != 0 {
			return nil, fmt.Errorf("the loaded data is inconsistent: %d rows break %s", bad, ch.what)
		}
		passed = append(passed, ch.what)
	}
	d.Checked = strings.Join(passed, "; ")
	// A live database has its statistics and visibility map; so should this one.
	if _, err := c.Exec(ctx, `VACUUM ANALYZE users, proposals, proposal_revisions, proposal_topics, proposal_supports, follows,
		comments, comment_votes, comment_stats`); err != nil {
		return nil, fmt.Errorf("VACUUM ANALYZE: %w", err)
	}
	d.Load = time.Since(start)
	return d, nil
}

// The comment texts: short, medium and long ones, rendered as the application renders them.
var comBodies, comHTML = func() ([]string, []string) {
	var bodies, html []string
	for i := 0; i < 32; i++ {
		s := text(i*3, 1+i%6)
		bodies = append(bodies, s)
		html = append(html, string(markdown.HTML(s)))
	}
	return bodies, html
}()

func visibleCount(rows []*commentRow) int {
	n := 0
	for _, r := range rows {
		if r.status == "visible" {
			n++
		}
	}
	return n
}

// threads makes n comments on proposal target: a quarter of them roots, the rest
// replies spread over the roots unevenly (a few threads draw most replies, as in a
// real discussion, and those roots also draw the most votes, so "best" order matters),
// each reply answering its root or an earlier reply no deeper than the limit. About one
// in a hundred is a tombstone. Ids are taken from *next in creation order.
func threads(rng *rand.Rand, next *int64, target int64, n int, users []int64, from, to time.Time) []*commentRow {
	if n == 0 {
		return nil
	}
	nroots := max(1, n/4)
	weights := make([]float64, nroots)
	total := 0.0
	for i := range weights {
		weights[i] = math.Pow(1-rng.Float64(), -1/1.5) // Pareto, α = 1.5
		total += weights[i]
	}
	span := to.Sub(from)
	at := func(k int) time.Time {
		return from.Add(time.Duration(float64(span) * (0.05 + 0.9*float64(k)/float64(n))))
	}
	stances := []string{"for", "for", "against", "neutral"}
	newRow := func(k int, parent *commentRow) *commentRow {
		r := &commentRow{id: *next, target: target, author: users[rng.IntN(len(users))], stance: stances[rng.IntN(len(stances))],
			status: "visible", body: rng.IntN(len(comBodies)), created: at(k)}
		*next++
		if parent != nil {
			r.parent, r.depth = parent.id, parent.depth+1
			r.root = parent.root
			if parent.parent == 0 {
				r.root = parent.id
			}
		}
		if rng.IntN(100) == 0 {
			r.status = "deleted"
		}
		return r
	}
	rows := make([]*commentRow, 0, n)
	roots := make([]*commentRow, nroots)
	for i := range roots {
		roots[i] = newRow(i, nil)
		rows = append(rows, roots[i])
	}
	thread := map[int64][]*commentRow{}
	for k := nroots; k < n; k++ {
		x := rng.Float64() * total
		i := 0
		for ; i < nroots-1 && x >= weights[i]; i++ {
			x -= weights[i]
		}
		root := roots[i]
		parent := root
		if t := thread[root.id]; len(t) > 0 && rng.IntN(2) == 0 {
			if p := t[rng.IntN(len(t))]; p.depth < 4 && p.status == "visible" {
				parent = p
			}
		}
		r := newRow(k, parent)
		thread[root.id] = append(thread[root.id], r)
		root.replies++
		rows = append(rows, r)
	}
	for i, r := range rows {
		if r.status != "visible" {
			continue
		}
		up, down := rng.IntN(3), 0
		if rng.IntN(5) == 0 {
			down = 1
		}
		if r.parent == 0 {
			up = int(weights[i]*1.5) + rng.IntN(2)
			down = rng.IntN(3)
		}
		voters := pick(rng, users, min(up+down, len(users)-1), r.author)
		r.up, r.down, r.voters = min(up, len(voters)), len(voters)-min(up, len(voters)), voters
	}
	return rows
}

// pick chooses n distinct accounts other than not.
func pick(rng *rand.Rand, users []int64, n int, not int64) []int64 {
	n = min(n, len(users)-1)
	if n <= 0 {
		return nil
	}
	out := make([]int64, 0, n)
	seen := map[int64]bool{not: true}
	for start := rng.IntN(len(users)); len(out) < n; start++ {
		u := users[start%len(users)]
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

func ids(ctx context.Context, c *pgx.Conn, sql string, args ...any) ([]int64, error) {
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}
