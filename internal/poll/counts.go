package poll

import (
	"context"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
)

// counts is a poll's tally at one point of its sequence: Seq is the number of the last
// committed change (batch of votes or paper entry) it includes.
type counts struct {
	Status    string
	Epoch     int64 // the poll's creation time in microseconds: tells polls of one id apart
	Seq       int64
	Online    int           // online ballots
	Paper     int           // paper ballots
	OnOption  map[int64]int // online choices per option
	PaOption  map[int64]int // paper choices per option
	OptionIDs []int64       // in the poll's order
}

// countsFromDB reads the counts in one statement, so they and Seq come from one snapshot.
func countsFromDB(ctx context.Context, q db.Querier, id int64) (counts, error) {
	c := counts{OnOption: map[int64]int{}, PaOption: map[int64]int{}}
	var online, paper []int32
	err := q.QueryRow(ctx, `SELECT CASE WHEN p.status = 'open' AND p.closes_at <= now() THEN 'closed' ELSE p.status END,
		(extract(epoch FROM p.created_at) * 1000000)::bigint, p.tally_seq,
		(SELECT count(*) FROM ballots b WHERE b.poll_id = p.id)::int,
		(SELECT coalesce(sum(ballots), 0) FROM paper_counts c WHERE c.poll_id = p.id)::int,
		array(SELECT o.id FROM poll_options o WHERE o.poll_id = p.id ORDER BY o.position),
		array(SELECT (SELECT count(*) FROM ballot_choices bc WHERE bc.option_id = o.id)::int
			FROM poll_options o WHERE o.poll_id = p.id ORDER BY o.position),
		array(SELECT (SELECT coalesce(sum(pc.votes), 0) FROM paper_count_options pc WHERE pc.option_id = o.id)::int
			FROM poll_options o WHERE o.poll_id = p.id ORDER BY o.position)
		FROM polls p WHERE p.id = $1`, id).Scan(&c.Status, &c.Epoch, &c.Seq, &c.Online, &c.Paper, &c.OptionIDs, &online, &paper)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, problem.NotFound()
	}
	if err != nil {
		return c, err
	}
	for i, oid := range c.OptionIDs {
		c.OnOption[oid], c.PaOption[oid] = int(online[i]), int(paper[i])
	}
	return c, nil
}

// tally is what viewers see.
func (c counts) tally() Tally {
	t := Tally{Status: c.Status, Total: c.Online + c.Paper, Version: c.Seq,
		ByChannel: map[string]int{"online": c.Online, "paper": c.Paper}}
	for _, oid := range c.OptionIDs {
		t.Options = append(t.Options, TallyOption{ID: oid, Votes: c.OnOption[oid] + c.PaOption[oid]})
	}
	return t
}

// results labels the counts with the poll's options.
func (c counts) results(p Poll) Results {
	r := Results{PollID: p.ID, Status: c.Status, Total: c.Online + c.Paper,
		ByChannel: map[string]int{"online": c.Online, "paper": c.Paper}}
	for _, o := range p.Options {
		on, pa := c.OnOption[o.ID], c.PaOption[o.ID]
		r.Options = append(r.Options, OptionResult{ID: o.ID, Label: o.Label, Votes: on + pa, Online: on, Paper: pa})
	}
	return r
}

// drift is how far two tallies of the same sequence number disagree (0 when equal).
func (c counts) drift(o counts) int {
	d := abs(c.Online-o.Online) + abs(c.Paper-o.Paper)
	for _, oid := range c.OptionIDs {
		d += abs(c.OnOption[oid]-o.OnOption[oid]) + abs(c.PaOption[oid]-o.PaOption[oid])
	}
	return d
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// fields is the counts as a Redis hash.
func (c counts) fields() []any {
	f := []any{"status", c.Status, "online", c.Online, "paper", c.Paper}
	for _, oid := range c.OptionIDs {
		id := strconv.FormatInt(oid, 10)
		f = append(f, "on:"+id, c.OnOption[oid], "pa:"+id, c.PaOption[oid])
	}
	return f
}

// countsFromHash reads a Redis tally hash back; ok is false when there is none.
func countsFromHash(h map[string]string, optionIDs []int64) (c counts, ok bool) {
	seq, err := strconv.ParseInt(h["seq"], 10, 64)
	if err != nil {
		return c, false
	}
	epoch, _ := strconv.ParseInt(h["epoch"], 10, 64)
	num := func(k string) int { n, _ := strconv.Atoi(h[k]); return n }
	c = counts{Status: h["status"], Epoch: epoch, Seq: seq, Online: num("online"), Paper: num("paper"),
		OnOption: map[int64]int{}, PaOption: map[int64]int{}, OptionIDs: optionIDs}
	for _, oid := range optionIDs {
		id := strconv.FormatInt(oid, 10)
		c.OnOption[oid], c.PaOption[oid] = num("on:"+id), num("pa:"+id)
	}
	return c, true
}

// delta is a change to a poll's counts, as Redis hash fields and increments.
type delta map[string]int

func (d delta) ballot(n int) { d["online"] += n }

func (d delta) choices(optionIDs []int64, n int) {
	for _, oid := range optionIDs {
		d["on:"+strconv.FormatInt(oid, 10)] += n
	}
}

// encode is "field n field n …" without the zero entries, for the Lua script.
func (d delta) encode() string {
	var b []byte
	for f, n := range d {
		if n == 0 {
			continue
		}
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, f...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return string(b)
}
