package server_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"lawka/internal/server/servertest"
)

// TestErasureLeavesNoTraceAnywhere: a person who took part in every feature deletes
// their account. Afterwards no column of any table (text, JSON or bytes, including the
// stored files) and no Redis key or value holds their email address or name, while
// every tally and thread others see is as it was: their supports, votes and comments
// still count, their comments keep their place as anonymous contributions.
func TestErasureLeavesNoTraceAnywhere(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	const (
		email = "zdzislawa.unikat@example.org"
		first = "Zdzisława"
		last  = "Niepowtarzalna"
	)
	name := first + " " + last
	id := newPerson(t, s, personSpec{Email: email, Name: name, Verified: true, District: "podgorze"})
	me := s.API(t)
	me.Login(email, demoPassword)
	browser := s.Browser(t)
	browser.SignIn(email, demoPassword)
	mod := signedInAPI(t, s, "moderator@example.org")
	ola := signedInAPI(t, s, "resident@example.org")

	// Her own proposal, a support and a comment under someone else's, a reply to her,
	// a vote on another comment, a follow, a report, a poll vote, an event registration.
	other := scalar[int64](t, s, `SELECT id FROM proposals WHERE status = 'published' AND moderation = 'visible'
		AND author_id <> $1 ORDER BY id LIMIT 1`, id)
	district := districtID(t, s, "podgorze")
	own := newProposal(t, me, map[string]any{"title": "Ławka pod kasztanem na Zabłociu",
		"body": "Proszę o ławkę w cieniu kasztana.", "neighbourhood_id": district})
	mustOK(t, me.Do(http.MethodPost, fmt.Sprintf("/api/v1/proposals/%d/support", other), nil))
	mine := postComment(t, me, other, map[string]any{"body": "Popieram, przydałaby się też tablica ogłoszeń.", "stance": "for"})
	reply := postComment(t, ola, other, map[string]any{"body": "Zgadzam się z przedmówczynią.", "stance": "for", "parent_id": mine.ID})
	olas := postComment(t, ola, other, map[string]any{"body": "A ja bym dodała stojaki na rowery.", "stance": "neutral"})
	mustOK(t, me.Do(http.MethodPost, fmt.Sprintf("/api/v1/comments/%d/vote", olas.ID), map[string]any{"value": 1}))
	mustOK(t, me.Do(http.MethodPut, fmt.Sprintf("/api/v1/proposals/%d/follow", other), nil))
	mustOK(t, me.Do(http.MethodPost, "/api/v1/reports", map[string]any{"item_type": "comment", "item_id": reply.ID,
		"reason": "other", "note": "Proszę sprawdzić, czy to nie spam."}))
	var poll struct {
		Poll struct {
			ID      int64
			Options []struct{ ID int64 }
		}
	}
	r := mod.Do(http.MethodPost, "/api/v1/polls", map[string]any{"question": "Gdzie ławka?", "kind": "single",
		"options": []string{"Rynek", "Bulwar"}, "eligibility": "registered"})
	r.JSON(t, &poll)
	mustOK(t, mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/open", poll.Poll.ID), nil))
	mustOK(t, me.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/votes", poll.Poll.ID),
		map[string]any{"option_ids": []int64{poll.Poll.Options[0].ID}}))
	event := scalar[int64](t, s, `SELECT id FROM events WHERE starts_at > now() AND capacity IS NOT NULL ORDER BY starts_at LIMIT 1`)
	mustOK(t, me.Do(http.MethodPost, fmt.Sprintf("/api/v1/events/%d/registration", event), nil))
	// A question in the demo debate (approved) and an upvote of another.
	debateID := upcomingDebate(t, s)
	asked := ask(t, me, debateID, "Czy w budżecie znajdą się pieniądze na świetlice?", false)
	mustOK(t, mod.Do(http.MethodPost, questionPath(debateID, asked.ID, "/moderation"), map[string]any{"action": "approve"}))
	upvoted := scalar[int64](t, s, `SELECT id FROM debate_questions WHERE event_id = $1 AND status = 'approved' AND id <> $2
		ORDER BY id LIMIT 1`, debateID, asked.ID)
	mustOK(t, me.Do(http.MethodPost, questionPath(debateID, upvoted, "/vote"), nil))

	tallies := func() string {
		t.Helper()
		var out strings.Builder
		for _, q := range []string{
			fmt.Sprintf(`SELECT supports FROM proposals WHERE id = %d`, other),
			fmt.Sprintf(`SELECT comments || '/' || stance_for || '/' || stance_neutral FROM comment_stats WHERE target_type = 'proposal' AND target_id = %d`, other),
			fmt.Sprintf(`SELECT up || '/' || down || '/' || replies FROM comments WHERE id = %d`, olas.ID),
			fmt.Sprintf(`SELECT replies FROM comments WHERE id = %d`, mine.ID),
			fmt.Sprintf(`SELECT string_agg(id::text || ':' || coalesce(parent_id, 0)::text, ',' ORDER BY id) FROM comments WHERE target_type = 'proposal' AND target_id = %d`, other),
			fmt.Sprintf(`SELECT count(*) FROM ballots WHERE poll_id = %d`, poll.Poll.ID),
			fmt.Sprintf(`SELECT count(*) FROM proposals WHERE id = %d AND status = 'published'`, own.ID),
			fmt.Sprintf(`SELECT count(*) FROM debate_question_votes WHERE question_id = %d`, upvoted),
			fmt.Sprintf(`SELECT status FROM debate_questions WHERE id = %d`, asked.ID),
		} {
			var v string
			if err := s.Pool.QueryRow(t.Context(), `SELECT (`+q+`)::text`).Scan(&v); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			out.WriteString(v + " ")
		}
		var res struct{ Total int }
		s.API(t).Do(http.MethodGet, fmt.Sprintf("/api/v1/polls/%d/results", poll.Poll.ID), nil).JSON(t, &res)
		fmt.Fprintf(&out, "poll %d", res.Total)
		return out.String()
	}
	before := tallies()
	needles := []string{email, name, last}
	if hits := personalTraces(t, s, needles); len(hits) == 0 {
		t.Fatal("the scan finds nothing before the deletion: it would find nothing after it either")
	}

	if r := me.Do(http.MethodDelete, "/api/v1/me", map[string]any{"password": demoPassword, "confirm": true}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.StatusCode, r.Body)
	}

	if hits := personalTraces(t, s, needles); len(hits) > 0 {
		t.Errorf("after the deletion the person's data is still in:\n  %s", strings.Join(hits, "\n  "))
	}
	if after := tallies(); after != before {
		t.Errorf("tallies and threads changed:\nbefore %s\nafter  %s", before, after)
	}
	if n := scalar[int64](t, s, `SELECT (SELECT count(*) FROM debate_questions WHERE user_id = $1 OR participant = 'user:' || $1::bigint)
		+ (SELECT count(*) FROM debate_question_votes WHERE participant = 'user:' || $1::bigint)`, id); n != 0 {
		t.Errorf("%d debate questions or upvotes still linked to the erased account", n)
	}
	// Her comment keeps its place, without her name.
	page := s.Browser(t).Get(fmt.Sprintf("/propozycje/%d", other))
	if !strings.Contains(page.Body, fmt.Sprintf(`id="komentarz-%d"`, mine.ID)) || strings.Contains(page.Body, first) {
		t.Error("the thread lost her comment, or still names her")
	}
}

func mustOK(t *testing.T, r servertest.Response) {
	t.Helper()
	if r.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, r.Body)
	}
}

// personalTraces lists where any needle occurs: "table.column" for every text, JSON
// or bytes column of every table, and "redis key" for the test's Redis keys (names
// and values).
func personalTraces(t *testing.T, s *servertest.Running, needles []string) []string {
	t.Helper()
	ctx := context.Background()
	rows, err := s.Pool.Query(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name <> 'goose_db_version'
			AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'bytea', 'USER-DEFINED', 'ARRAY')
			AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE')
		ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	type column struct{ Table, Name, Kind string }
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[column])
	if err != nil {
		t.Fatal(err)
	}
	var hits []string
	for _, c := range cols {
		ident := pgx.Identifier{c.Table}.Sanitize() + "." + pgx.Identifier{c.Name}.Sanitize()
		cond := ident + `::text ILIKE '%' || $1 || '%'`
		if c.Kind == "bytea" {
			cond = `position(convert_to($1, 'UTF8') IN ` + ident + `) > 0`
		}
		for _, n := range needles {
			var found bool
			if err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{c.Table}.Sanitize()+` WHERE `+cond+`)`, n).Scan(&found); err != nil {
				t.Fatalf("%s: %v", ident, err)
			}
			if found {
				hits = append(hits, c.Table+"."+c.Name+" holds "+n)
			}
		}
	}
	keys, err := s.Redis.Keys(ctx, s.Redis.Prefix()+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		var values []string
		switch typ := s.Redis.Type(ctx, k).Val(); typ {
		case "string":
			values = append(values, s.Redis.Get(ctx, k).Val())
		case "hash":
			for f, v := range s.Redis.HGetAll(ctx, k).Val() {
				values = append(values, f, v)
			}
		case "set":
			values = s.Redis.SMembers(ctx, k).Val()
		case "zset":
			values = s.Redis.ZRange(ctx, k, 0, -1).Val()
		case "list":
			values = s.Redis.LRange(ctx, k, 0, -1).Val()
		}
		for _, n := range needles {
			if strings.Contains(strings.ToLower(k), strings.ToLower(n)) || slices.ContainsFunc(values, func(v string) bool {
				return strings.Contains(strings.ToLower(v), strings.ToLower(n))
			}) {
				hits = append(hits, "redis "+k+" holds "+n)
			}
		}
	}
	return hits
}
