package poll

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// The watcher keeps viewers and Redis in step with PostgreSQL: it publishes changed
// tallies (at once after a quiet spell, then at most every publishEvery per poll,
// latest wins), and reconciles Redis with PostgreSQL at start and every reconcileEvery
// (rebuilding a tally that is missing, wrong, or stuck behind a lost change). It also
// closes polls whose scheduled close has passed.

const (
	publishEvery   = 100 * time.Millisecond
	reconcileEvery = 5 * time.Second
	// A poll is reconciled while open and for a while after its close, so its last
	// votes and paper entries are settled in Redis too.
	settleAfterClose = 10 * time.Minute
)

type watcher struct {
	svc  *Service
	kick chan struct{}

	mu        sync.Mutex
	dirty     map[int64]bool
	published map[int64]time.Time
	behind    map[int64]int64 // poll → the Redis sequence number seen behind PostgreSQL last time

	drift    prometheus.Gauge
	rebuilds *prometheus.CounterVec
	redisBad atomic.Bool  // logged once per outage
	downTill atomic.Int64 // after a Redis failure, votes skip Redis until then (unix ns)
}

// redisDownFor is how long votes leave Redis alone after it failed; the reconciler
// brings it up to date afterwards.
const redisDownFor = time.Second

// redisSkipped says whether Redis failed a moment ago.
func (w *watcher) redisSkipped() bool { return time.Now().UnixNano() < w.downTill.Load() }

func newWatcher(s *Service) *watcher {
	return &watcher{svc: s, kick: make(chan struct{}, 1), dirty: map[int64]bool{}, published: map[int64]time.Time{},
		behind: map[int64]int64{},
		drift: prometheus.NewGauge(prometheus.GaugeOpts{Name: "lawka_tally_drift",
			Help: "Sum over live polls of how far the Redis tallies differed from PostgreSQL at the last check (0 when exact)."}),
		rebuilds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lawka_tally_rebuilds_total",
			Help: "Redis tallies rebuilt from PostgreSQL, by reason."}, []string{"reason"}),
	}
}

// Collectors are the poll metrics, for the server's registry.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.watch.drift, s.watch.rebuilds}
}

// Run publishes tallies and reconciles Redis until ctx ends.
func (s *Service) Run(ctx context.Context) {
	w := s.watch
	w.reconcile(ctx)
	publish := time.NewTicker(publishEvery / 4)
	defer publish.Stop()
	reconcile := time.NewTicker(reconcileEvery)
	defer reconcile.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
			w.publish(ctx)
		case <-publish.C:
			w.publish(ctx)
		case <-reconcile.C:
			w.reconcile(ctx)
		}
	}
}

// Reconcile checks every live poll's Redis tally against PostgreSQL now (Run does it
// periodically) and returns the drift it found.
func (s *Service) Reconcile(ctx context.Context) int { return s.watch.reconcile(ctx) }

// changed marks a poll's tally for publishing.
func (w *watcher) changed(id int64) {
	w.mu.Lock()
	w.dirty[id] = true
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// applyLive brings committed changes to Redis and marks them for viewers.
func (s *Service) applyLive(ctx context.Context, changes []change) {
	for _, ch := range changes {
		if s.live != nil && !s.watch.redisSkipped() {
			rctx, cancel := context.WithTimeout(ctx, redisWait)
			missing, err := s.live.apply(rctx, ch.pollID, ch.epoch, ch.seq, ch.delta)
			cancel()
			switch {
			case err != nil:
				s.watch.redisDown(err)
			case missing:
				s.watch.rebuild(ctx, ch.pollID, "missing")
			default:
				s.watch.redisUp()
			}
		}
		s.watch.changed(ch.pollID)
	}
}

// refresh rebuilds a poll's Redis tally from PostgreSQL after an open, a close or a
// paper entry, and tells viewers.
func (s *Service) refresh(ctx context.Context, id int64) {
	s.watch.rebuild(ctx, id, "change")
	s.watch.changed(id)
}

func (w *watcher) redisDown(err error) {
	w.downTill.Store(time.Now().Add(redisDownFor).UnixNano())
	if !w.redisBad.Swap(true) {
		w.svc.log.Warn("poll: Redis tallies unavailable; votes go on in PostgreSQL and results are counted there", "error", err)
	}
}

func (w *watcher) redisUp() {
	if w.redisBad.Swap(false) {
		w.svc.log.Info("poll: Redis tallies available again")
	}
}

// rebuild writes PostgreSQL's counts for a poll to Redis.
func (w *watcher) rebuild(ctx context.Context, id int64, reason string) {
	s := w.svc
	if s.live == nil {
		return
	}
	c, err := countsFromDB(ctx, s.pool, id)
	if err != nil {
		s.log.Warn("poll: counting for a rebuild failed", "poll", id, "error", err)
		return
	}
	rctx, cancel := context.WithTimeout(ctx, redisWait)
	defer cancel()
	if err := s.live.rebuild(rctx, id, c); err != nil {
		w.redisDown(err)
		return
	}
	w.redisUp()
	w.rebuilds.WithLabelValues(reason).Inc()
}

// publish sends the tallies of changed polls that were not published in the last
// publishEvery; the others wait for a later round, and meanwhile only the newest counts.
func (w *watcher) publish(ctx context.Context) {
	s := w.svc
	now := time.Now()
	var due []int64
	w.mu.Lock()
	for id := range w.dirty {
		if now.Sub(w.published[id]) >= publishEvery {
			due = append(due, id)
			delete(w.dirty, id)
			w.published[id] = now
		}
	}
	for id, at := range w.published {
		if now.Sub(at) > time.Minute {
			delete(w.published, id)
		}
	}
	w.mu.Unlock()
	if s.pub == nil {
		return
	}
	for _, id := range due {
		if s.live != nil {
			// One instance publishes a poll per interval; the others try again next round.
			ok, err := s.live.publishToken(ctx, id, publishEvery-10*time.Millisecond)
			if err == nil && !ok {
				w.mu.Lock()
				w.dirty[id] = true
				w.mu.Unlock()
				continue
			}
		}
		s.publishTally(ctx, id)
	}
}

// publishTally pushes the poll's current tally to the staff watching it, and to its
// viewers when results are live.
// A failure here never fails a vote: the vote is already committed.
func (s *Service) publishTally(ctx context.Context, id int64) {
	def, err := s.definition(ctx, id)
	if err != nil {
		return
	}
	c, err := s.counts(ctx, id)
	if err != nil {
		s.log.Warn("poll: tally for viewers failed", "poll", id, "error", err)
		return
	}
	rooms := []string{"pollwatch:"}
	if def.ResultsVisibility != "after_close" || c.Status == "closed" {
		rooms = append(rooms, "poll:")
	}
	t := c.tally()
	for _, room := range rooms {
		if err := s.pub.PublishLatest(ctx, room+strconv.FormatInt(id, 10), "poll.tally", c.Epoch, t.Version, t); err != nil {
			s.log.Warn("poll: publishing the tally failed", "poll", id, "error", err)
		}
	}
}

// reconcile compares Redis with PostgreSQL for every live poll, rebuilding what is
// missing, wrong, or stuck behind a change that never arrived; it closes polls whose
// scheduled close has passed. It returns the total drift found.
func (w *watcher) reconcile(ctx context.Context) int {
	s := w.svc
	ctx, cancel := context.WithTimeout(ctx, reconcileEvery)
	defer cancel()
	closed, err := s.closeScheduled(ctx)
	if err != nil {
		s.log.Warn("poll: closing scheduled polls failed", "error", err)
	}
	for _, id := range closed {
		s.defs.Delete(id)
		s.refresh(ctx, id)
	}
	if s.live == nil {
		return 0
	}
	rows, err := s.pool.Query(ctx, `SELECT id FROM polls WHERE status = 'open' OR closed_at > now() - make_interval(secs => $1)`,
		settleAfterClose.Seconds())
	if err != nil {
		s.log.Warn("poll: listing live polls failed", "error", err)
		return 0
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0
	}
	total := 0
	for _, id := range ids {
		total += w.check(ctx, id)
	}
	w.drift.Set(float64(total))
	return total
}

func (w *watcher) check(ctx context.Context, id int64) int {
	s := w.svc
	def, err := s.definition(ctx, id)
	if err != nil {
		return 0
	}
	// Redis first: it only ever holds committed changes, so what PostgreSQL says a
	// moment later is at least as new.
	rctx, cancel := context.WithTimeout(ctx, redisWait)
	rd, ok, err := s.live.read(rctx, id, optionIDs(def))
	cancel()
	if err != nil {
		w.redisDown(err)
		return 0
	}
	db, err := countsFromDB(ctx, s.pool, id)
	if err != nil {
		return 0
	}
	w.mu.Lock()
	seenBehind, wasBehind := w.behind[id]
	delete(w.behind, id)
	w.mu.Unlock()
	switch {
	case !ok || rd.Epoch != db.Epoch: // none, or another database's poll of this id
		w.rebuild(ctx, id, "missing")
		w.changed(id)
		return 0
	case rd.Seq == db.Seq:
		d := rd.drift(db)
		if d != 0 || rd.Status != db.Status {
			s.log.Warn("poll: Redis tally differed from PostgreSQL; rebuilt", "poll", id, "drift", d)
			w.rebuild(ctx, id, "drift")
			w.changed(id)
		}
		return d
	case rd.Seq < db.Seq && (!wasBehind || seenBehind != rd.Seq):
		// Changes may be on their way; if Redis is still here next time, one was lost.
		w.mu.Lock()
		w.behind[id] = rd.Seq
		w.mu.Unlock()
		return 0
	case rd.Seq > db.Seq:
		// Ahead of PostgreSQL: Redis kept the tally of another database. PostgreSQL is
		// the truth.
		s.log.Warn("poll: Redis tally ahead of PostgreSQL; replaced", "poll", id)
		if err := s.live.forget(ctx, id); err == nil {
			w.rebuild(ctx, id, "ahead")
			w.changed(id)
		}
		return 0
	default:
		// Still behind where it was last time: a change was lost on its way.
		w.rebuild(ctx, id, "behind")
		w.changed(id)
		return 0
	}
}

// closeScheduled closes open polls whose scheduled close has passed (at that time).
func (s *Service) closeScheduled(ctx context.Context) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `UPDATE polls SET status = 'closed', closed_at = closes_at, tally_seq = tally_seq + 1
		WHERE status = 'open' AND closes_at <= now() RETURNING id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}
