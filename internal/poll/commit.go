package poll

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
)

// Group commit: votes that arrive together are written together, in one transaction,
// so a burst costs a few commits instead of one per vote — and every vote is still
// durable before it is acknowledged. There is no timer: the first vote to find no batch
// being written writes one (with whatever has queued up), and votes arriving meanwhile
// queue for the next. Under light load a batch is one vote; under a burst it grows.

const (
	maxBatch    = 500
	maxWriters  = 2 // batches in flight at once (one commits while the next is built)
	batchBudget = 10 * time.Second
)

// ballotRequest is one vote waiting to be written.
type ballotRequest struct {
	pollID      int64
	participant string
	userID      *int64
	optionIDs   []int64 // sorted
	idem        string
	allowChange bool
	receipt     string // a fresh one, used if this is the first ballot

	cancelled atomic.Bool
	done      chan struct{}
	result    ballotResult
}

type ballotResult struct {
	receipt string
	created bool
	err     error
}

// committer queues ballots and writes them in batches.
type committer struct {
	svc     *Service
	mu      sync.Mutex
	queue   []*ballotRequest
	writers int
}

// submit queues r and waits until it is written (or ctx ends first).
func (c *committer) submit(ctx context.Context, r *ballotRequest) ballotResult {
	r.done = make(chan struct{})
	c.mu.Lock()
	c.queue = append(c.queue, r)
	lead := c.writers < maxWriters
	if lead {
		c.writers++
	}
	c.mu.Unlock()
	if lead {
		// Detached from this request: the batch holds other people's votes too.
		c.write(context.WithoutCancel(ctx))
	}
	select {
	case <-r.done:
		return r.result
	case <-ctx.Done():
		// If the batch already took it, the vote may still commit: a retry with the same
		// participant or idempotency key gets the first answer.
		r.cancelled.Store(true)
		return ballotResult{err: ctx.Err()}
	}
}

// write takes batches off the queue until it is empty.
func (c *committer) write(ctx context.Context) {
	for {
		c.mu.Lock()
		n := min(len(c.queue), maxBatch)
		if n == 0 {
			c.writers--
			c.mu.Unlock()
			return
		}
		batch := slices.Clone(c.queue[:n])
		c.queue = slices.Delete(c.queue, 0, n)
		c.mu.Unlock()

		batch = slices.DeleteFunc(batch, func(r *ballotRequest) bool { return r.cancelled.Load() })
		if len(batch) > 0 {
			c.svc.writeBatch(ctx, batch)
		}
	}
}

// writeBatch writes a batch and answers each of its votes. If the transaction fails for
// a reason in the data (a constraint, a deadlock), each vote is written alone, so one
// bad vote cannot fail its neighbours; if PostgreSQL is unreachable all fail at once.
func (s *Service) writeBatch(ctx context.Context, batch []*ballotRequest) {
	ctx, cancel := context.WithTimeout(ctx, batchBudget)
	defer cancel()
	changes, err := s.commitBatch(ctx, batch)
	var pgErr *pgconn.PgError
	if err != nil && len(batch) > 1 && errors.As(err, &pgErr) {
		s.log.Warn("poll: a batch of votes failed, writing them one by one", "votes", len(batch), "error", err)
		for _, r := range batch {
			s.writeBatch(ctx, []*ballotRequest{r})
		}
		return
	}
	if err != nil {
		for _, r := range batch {
			r.result = ballotResult{err: err}
		}
	} else {
		s.applyLive(ctx, changes)
	}
	for _, r := range batch {
		close(r.done)
	}
}

// change is one poll's committed delta and its sequence number.
type change struct {
	pollID int64
	epoch  int64
	seq    int64
	delta  delta
}

// commitBatch writes a batch in at most two steps. First one statement, committed on its
// own: it locks the batch's polls (a close takes the same lock, so no vote commits after
// it), inserts every first ballot with its choices, and numbers each open poll's change
// — one round trip and one WAL flush for a whole burst. Then, only for the votes whose
// participant already had a ballot (retries and changed votes), a transaction that
// handles them one by one under the same lock.
func (s *Service) commitBatch(ctx context.Context, batch []*ballotRequest) ([]change, error) {
	for _, r := range batch {
		r.result = ballotResult{}
	}
	// Lock order inside a poll follows the participant, so overlapping batches cannot
	// deadlock on the ballots' unique index.
	sorted := slices.Clone(batch)
	slices.SortStableFunc(sorted, func(a, b *ballotRequest) int {
		if a.pollID != b.pollID {
			return cmp.Compare(a.pollID, b.pollID)
		}
		return strings.Compare(a.participant, b.participant)
	})
	polls, inserted, err := insertFirstBallots(ctx, s.pool, sorted)
	if err != nil {
		return nil, err
	}
	var changes []change
	byPoll := map[int64]int{} // poll → index in changes
	for id, st := range polls {
		if st.status == "open" {
			byPoll[id] = len(changes)
			changes = append(changes, change{pollID: id, epoch: st.epoch, seq: st.seq, delta: delta{}})
		}
	}
	var again []*ballotRequest
	for _, r := range sorted {
		switch polls[r.pollID].status {
		case "open":
		case "draft":
			r.result.err = problem.Conflict("poll_not_open", "polls.not_open")
			continue
		default:
			r.result.err = problem.Conflict("poll_closed", "polls.closed")
			continue
		}
		if _, ok := inserted[r.receipt]; !ok {
			again = append(again, r)
			continue
		}
		r.result = ballotResult{receipt: r.receipt, created: true}
		d := changes[byPoll[r.pollID]].delta
		d.ballot(1)
		d.choices(r.optionIDs, 1)
	}
	if len(again) == 0 {
		return changes, nil
	}
	more, err := s.revoteAll(ctx, again)
	if err != nil {
		for _, r := range again {
			r.result = ballotResult{err: err}
		}
		return changes, nil // the first ballots are committed and must reach Redis
	}
	return append(changes, more...), nil
}

// pollState is a poll as the batch found it under its lock.
type pollState struct {
	status string
	epoch  int64
	seq    int64 // the number given to this batch's change (open polls)
}

// insertFirstBallots is the batch's single statement; see commitBatch.
func insertFirstBallots(ctx context.Context, q db.Querier, reqs []*ballotRequest) (map[int64]pollState, map[string]int64, error) {
	var ids []int64
	polls := make([]int64, len(reqs))
	parts := make([]string, len(reqs))
	users := make([]*int64, len(reqs))
	receipts := make([]string, len(reqs))
	idems := make([]*string, len(reqs))
	var choiceReceipts []string
	var choiceOptions []int64
	for i, r := range reqs {
		if !slices.Contains(ids, r.pollID) {
			ids = append(ids, r.pollID)
		}
		polls[i], parts[i], users[i], receipts[i] = r.pollID, r.participant, r.userID, r.receipt
		if r.idem != "" {
			idems[i] = &r.idem
		}
		for _, o := range r.optionIDs {
			choiceReceipts, choiceOptions = append(choiceReceipts, r.receipt), append(choiceOptions, o)
		}
	}
	// clock_timestamp: a scheduled close counts from the moment the lock was won.
	rows, err := q.Query(ctx, `WITH locked AS (
			SELECT id, CASE WHEN status = 'open' AND closes_at <= clock_timestamp() THEN 'closed' ELSE status END AS st,
				(extract(epoch FROM created_at) * 1000000)::bigint AS epoch
			FROM polls WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE),
		ins AS (
			INSERT INTO ballots (poll_id, participant, user_id, receipt, idempotency_key, created_at, updated_at)
			SELECT t.p, t.k, t.u, t.r, t.i, clock_timestamp(), clock_timestamp()
			FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[]) WITH ORDINALITY AS t(p, k, u, r, i, n)
			JOIN locked l ON l.id = t.p AND l.st = 'open'
			ORDER BY t.n
			ON CONFLICT DO NOTHING RETURNING id, receipt),
		chosen AS (
			INSERT INTO ballot_choices (ballot_id, option_id)
			SELECT ins.id, c.o FROM ins JOIN unnest($7::text[], $8::bigint[]) AS c(r, o) ON c.r = ins.receipt),
		numbered AS (
			UPDATE polls p SET tally_seq = p.tally_seq + 1 FROM locked l WHERE p.id = l.id AND l.st = 'open'
			RETURNING p.id, p.tally_seq)
		SELECT l.id, l.st, l.epoch, coalesce(n.tally_seq, 0), NULL::bigint, NULL::text FROM locked l LEFT JOIN numbered n ON n.id = l.id
		UNION ALL
		SELECT NULL, NULL, NULL, NULL, ins.id, ins.receipt FROM ins`,
		ids, polls, parts, users, receipts, idems, choiceReceipts, choiceOptions)
	if err != nil {
		return nil, nil, err
	}
	states := map[int64]pollState{}
	inserted := map[string]int64{}
	var pollID, ballotID, epoch, seq *int64
	var status, receipt *string
	_, err = pgx.ForEachRow(rows, []any{&pollID, &status, &epoch, &seq, &ballotID, &receipt}, func() error {
		if pollID != nil {
			states[*pollID] = pollState{status: *status, epoch: *epoch, seq: *seq}
		} else {
			inserted[*receipt] = *ballotID
		}
		return nil
	})
	return states, inserted, err
}

// revoteAll handles the votes of participants who already had a ballot, in one
// transaction under the polls' lock, and numbers the polls' changes.
func (s *Service) revoteAll(ctx context.Context, reqs []*ballotRequest) ([]change, error) {
	var changes []change
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		changes = changes[:0]
		open, err := lockPolls(ctx, tx, reqs)
		if err != nil {
			return err
		}
		deltas := map[int64]delta{}
		for _, r := range reqs {
			r.result = ballotResult{}
			if open[r.pollID] != "open" {
				r.result.err = problem.Conflict("poll_closed", "polls.closed")
				continue
			}
			if err := revote(ctx, tx, r, deltaFor(deltas, r.pollID)); err != nil {
				return err
			}
		}
		var ids []int64
		for id, d := range deltas {
			if d.encode() != "" {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		rows, err := tx.Query(ctx, `UPDATE polls SET tally_seq = tally_seq + 1 WHERE id = ANY($1)
			RETURNING id, (extract(epoch FROM created_at) * 1000000)::bigint, tally_seq`, ids)
		if err != nil {
			return err
		}
		var id, epoch, seq int64
		_, err = pgx.ForEachRow(rows, []any{&id, &epoch, &seq}, func() error {
			changes = append(changes, change{pollID: id, epoch: epoch, seq: seq, delta: deltas[id]})
			return nil
		})
		return err
	})
	return changes, err
}

func deltaFor(m map[int64]delta, id int64) delta {
	if m[id] == nil {
		m[id] = delta{}
	}
	return m[id]
}

// lockPolls locks the batch's polls in id order and says which are open now.
func lockPolls(ctx context.Context, tx pgx.Tx, batch []*ballotRequest) (map[int64]string, error) {
	var ids []int64
	for _, r := range batch {
		if !slices.Contains(ids, r.pollID) {
			ids = append(ids, r.pollID)
		}
	}
	slices.Sort(ids)
	// clock_timestamp: a scheduled close counts from the moment the lock was won.
	rows, err := tx.Query(ctx, `SELECT id, CASE WHEN status = 'open' AND closes_at <= clock_timestamp() THEN 'closed' ELSE status END
		FROM polls WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`, ids)
	if err != nil {
		return nil, err
	}
	status := map[int64]string{}
	var id int64
	var st string
	_, err = pgx.ForEachRow(rows, []any{&id, &st}, func() error { status[id] = st; return nil })
	return status, err
}

// revote handles a participant who already has a ballot: the retry of a first vote (the
// same idempotency key or the same choices) gets the first answer; a different choice
// changes the ballot where the poll allows it.
func revote(ctx context.Context, tx pgx.Tx, r *ballotRequest, d delta) error {
	var ballotID int64
	var receipt string
	var idem *string
	var have []int64
	err := tx.QueryRow(ctx, `SELECT b.id, b.receipt, b.idempotency_key,
		array(SELECT option_id FROM ballot_choices c WHERE c.ballot_id = b.id ORDER BY option_id)
		FROM ballots b WHERE b.poll_id = $1 AND b.participant = $2 FOR UPDATE`, r.pollID, r.participant).
		Scan(&ballotID, &receipt, &idem, &have)
	if errors.Is(err, pgx.ErrNoRows) {
		// No ballot of this participant: the conflict was someone else's idempotency key.
		r.result.err = problem.Conflict("idempotency_key_reused", "polls.idempotency_key_reused")
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case r.idem != "" && idem != nil && *idem == r.idem:
		r.result = ballotResult{receipt: receipt, created: true}
		return nil
	case slices.Equal(have, r.optionIDs):
		r.result = ballotResult{receipt: receipt}
		return nil
	case !r.allowChange:
		r.result.err = problem.Conflict("vote_locked", "polls.vote_locked")
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM ballot_choices WHERE ballot_id = $1`, ballotID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE ballots SET updated_at = clock_timestamp() WHERE id = $1`, ballotID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO ballot_choices (ballot_id, option_id) SELECT $1, unnest($2::bigint[])`, ballotID, r.optionIDs); err != nil {
		return err
	}
	d.choices(have, -1)
	d.choices(r.optionIDs, 1)
	r.result = ballotResult{receipt: receipt}
	return nil
}
