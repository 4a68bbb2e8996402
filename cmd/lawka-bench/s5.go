package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// LiveRun is S5's live part: the audience of a debate watching its state and question
// board while questions, upvotes and console actions arrive (or the baseline: the same
// messages replayed through a bare broadcast server).
type LiveRun struct {
	System       string
	Clients      int // asked for
	Connected    int
	ConnectFails map[string]int
	ConnectTime  time.Duration
	Asks, Votes  Stats
	// Moderators' console actions: answered 200, refused as stale (another console acted
	// first: expected behaviour with two consoles), other errors.
	ModOK, ModStale, ModErrors int
	ModP50, ModP99             time.Duration
	ModErrorList               map[string]int
	// Board: debate.questions messages; State: debate.state messages, received by the
	// clients while recording.
	Boards, States               int64
	BoardP50, BoardP99, BoardMax time.Duration
	StateP50, StateP99, StateMax time.Duration
	BoardBytes                   int64 // the last board message's size
	Gaps                         int64 // jumps in a room's seq
	Behind                       int   // connected clients without the last board version after settling
	Disconnected                 int
	DisconnectErr                string
	SlowDrops                    float64
	Settled                      bool
	Settle                       time.Duration
	CPU                          CPUUse
	PoolAcquires                 float64
	Replayed, ReplayLate         int           // baseline: messages published, and how many left > 50 ms late
	ReplayLag                    time.Duration // baseline: the latest a message left
}

// StormRun is S5's reconnect storm: m clients connecting at once to a restarted server.
type StormRun struct {
	System     string
	Clients    int
	Connected  int
	Fails      map[string]int
	Restart    time.Duration // stop asked → ready again
	Stop       time.Duration // of which the old process took to end
	GoingAway  int           // live clients closed by the restart with 1001
	Elapsed    time.Duration // first dial → last client resynced
	ConnPerSec float64
	P50, P99   time.Duration // per client: dial → both snapshots
	Max        time.Duration
	// Acquires: lawka's PostgreSQL pool acquisitions (one per query outside a
	// transaction, one per transaction) during the storm; Single: the same for one
	// client subscribing alone just before.
	Acquires, Single float64
	// Second: a second client subscribing while the first's snapshots are still shared:
	// the per-client part (authorisation) without a snapshot read.
	Second float64
	Rooms  int
	CPU    CPUUse
}

// S5Report collects S5.
type S5Report struct {
	Clients, Reconnects int
	AskRate, VoteRate   float64
	ModRate             float64
	Dur                 time.Duration
	Seeded              int
	Debate              int64
	Live, RawLive       *LiveRun
	Storm, RawStorm     *StormRun
	Target              time.Duration // p99 of a change reaching the audience
}

var (
	boardPrefix = []byte(`{"type":"debate.questions"`)
	statePrefix = []byte(`{"type":"debate.state"`)
	boardData   = []byte(`"data":{"version":`)
	stateData   = []byte(`"data":{"debate_id":`)
)

// s5Shared is what every audience client of a run shares.
type s5Shared struct {
	recording atomic.Bool
	board     histogram
	// boardSent(v): when the change that made board version v left (0: unknown).
	boardSent func(int64) int64
	lastBoard atomic.Int64 // the highest board version any client saw
	boardSize atomic.Int64
}

// audience is one phone watching the debate: rooms debate:{id} and debate-questions:{id}.
type audience struct {
	conn      *websocket.Conn
	sh        *s5Shared
	seq       [2]int64 // last seq per room: 0 state, 1 board
	boards    int64
	states    int64
	gaps      int64
	board     atomic.Int64 // last board version
	dialed    int64        // mono() when dialling began
	resynced  int64        // mono() when both snapshots were in
	closing   atomic.Bool
	err       error
	goingAway bool
	done      chan struct{}
	// stateRecv: (state seq, mono()) of each debate.state received while recording,
	// timed against the consoles' sends once the run is over.
	stateMu   sync.Mutex
	stateRecv [][2]int64
}

func s5Rooms(id int64) []string {
	return []string{fmt.Sprintf("debate:%d", id), fmt.Sprintf("debate-questions:%d", id)}
}

// dialAudience connects, subscribes to both rooms in one message (as debate.js via
// live.js does) and waits for both snapshots.
func dialAudience(ctx context.Context, url string, rooms []string, sh *s5Shared) (*audience, error) {
	a := &audience{sh: sh, done: make(chan struct{}), dialed: mono()}
	conn, err := dialSubscribe(ctx, url, publicURL, rooms...)
	if err != nil {
		return nil, err
	}
	a.conn = conn
	// Waiting for the snapshots ends with ctx too (a read deadline alone would not).
	defer context.AfterFunc(ctx, func() { _ = conn.Close() })()
	_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	for a.seq[0] == 0 || a.seq[1] == 0 {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("waiting for the snapshots: %w", err)
		}
		if bytes.Contains(msg, errorType) {
			conn.Close()
			return nil, fmt.Errorf("server error message: %s", clip(msg, 200))
		}
		a.handle(msg, mono())
		// A room that has never published has seq 0 in its snapshot: count it as seen.
		if bytes.HasPrefix(msg, statePrefix) && a.seq[0] == 0 {
			a.seq[0] = -1
		}
		if bytes.HasPrefix(msg, boardPrefix) && a.seq[1] == 0 {
			a.seq[1] = -1
		}
	}
	a.resynced = mono()
	_ = conn.SetReadDeadline(time.Time{})
	go a.read()
	return a, nil
}

func (a *audience) read() {
	defer close(a.done)
	for {
		_, msg, err := a.conn.ReadMessage()
		if err != nil {
			if !a.closing.Load() {
				a.err = err
				a.goingAway = websocket.IsCloseError(err, websocket.CloseGoingAway)
			}
			return
		}
		a.handle(msg, mono())
	}
}

// handle looks at one message received at now: its room's seq, and for a board or a
// state, how long after the change that made it it arrived.
func (a *audience) handle(msg []byte, now int64) {
	sh := a.sh
	room := -1
	switch {
	case bytes.HasPrefix(msg, boardPrefix):
		room = 1
	case bytes.HasPrefix(msg, statePrefix):
		room = 0
	default:
		return
	}
	if seq, ok := scanInt(msg, `"seq":`); ok && seq > 0 {
		if a.seq[room] > 0 && seq > a.seq[room]+1 {
			atomic.AddInt64(&a.gaps, 1)
		}
		a.seq[room] = max(a.seq[room], seq)
	}
	recording := sh.recording.Load()
	if room == 1 {
		i := bytes.Index(msg, boardData)
		if i < 0 {
			return
		}
		v, _ := scanInt(msg[i:], `"version":`)
		a.board.Store(v)
		for {
			last := sh.lastBoard.Load()
			if v <= last || sh.lastBoard.CompareAndSwap(last, v) {
				break
			}
		}
		if !recording {
			return
		}
		sh.boardSize.Store(int64(len(msg)))
		atomic.AddInt64(&a.boards, 1)
		if sent := sh.boardSent(v); sent > 0 {
			sh.board.record(time.Duration(now - sent))
		}
		return
	}
	i := bytes.Index(msg, stateData)
	if i < 0 || !recording {
		return
	}
	s, _ := scanInt(msg[i:], `"seq":`)
	atomic.AddInt64(&a.states, 1)
	a.stateMu.Lock()
	a.stateRecv = append(a.stateRecv, [2]int64{s, now})
	a.stateMu.Unlock()
}

// stateLatency times every state the clients received against when the action that
// made it was sent (sent(seq); 0: unknown, not counted).
func stateLatency(list []*audience, sent func(int64) int64) (p50, p99, most time.Duration) {
	var h histogram
	for _, a := range list {
		a.stateMu.Lock()
		for _, r := range a.stateRecv {
			if at := sent(r[0]); at > 0 {
				h.record(time.Duration(r[1] - at))
			}
		}
		a.stateMu.Unlock()
	}
	return h.quantile(0.5), h.quantile(0.99), h.quantile(1)
}

func (a *audience) close() {
	a.closing.Store(true)
	_ = a.conn.Close()
	<-a.done
}

// stopped notes the clients the server's stop closed with 1001 (going away), once their
// readers are done, and closes the rest.
func (run *StormRun) stopped(live []*audience) {
	for _, a := range live {
		<-a.done
		if a.goingAway {
			run.GoingAway++
		}
	}
	closeAll(live)
}

// sendLog notes when the k-th change of a stream left, in the order they left.
type sendLog struct {
	n  atomic.Int64
	at []int64
}

func newSendLog(n int) *sendLog { return &sendLog{at: make([]int64, n)} }

func (l *sendLog) note() {
	if k := l.n.Add(1) - 1; k < int64(len(l.at)) {
		atomic.StoreInt64(&l.at[k], mono())
	}
}

// nth is when the k-th (1-based) change left.
func (l *sendLog) nth(k int64) int64 {
	if k < 1 || k > int64(len(l.at)) {
		return 0
	}
	return atomic.LoadInt64(&l.at[k-1])
}

// askBuilder makes the raw request of question i: a new participant (no cookie: the
// server issues one) from its own address, asking through the API.
func (b *bench) askBuilder(debate int64, log *sendLog) func([]byte, int) []byte {
	base := b.voters
	b.voters += 1 << 20
	path := fmt.Sprintf("/api/v1/debates/%d/questions", debate)
	return func(dst []byte, i int) []byte {
		body := fmt.Appendf(nil, `{"body":"Pytanie %d z sali: co z komunikacją nocną w dzielnicy?"}`, i)
		dst = anonymousPost(dst, path, base+int64(i)+1, false, body)
		log.note()
		return dst
	}
}

// voteBuilder upvotes the seeded questions in turn, each upvote a new participant.
func (b *bench) upvoteBuilder(debate int64, questions []int64, log *sendLog) func([]byte, int) []byte {
	base := b.voters
	b.voters += 1 << 20
	return func(dst []byte, i int) []byte {
		path := fmt.Sprintf("/api/v1/debates/%d/questions/%d/vote", debate, questions[i%len(questions)])
		dst = anonymousPost(dst, path, base+int64(i)+1, false, nil)
		log.note()
		return dst
	}
}

type debateState struct {
	Seq   int64 `json:"seq"`
	Items []struct {
		ID int64 `json:"id"`
	} `json:"items"`
	Speakers []struct {
		ID int64 `json:"id"`
	} `json:"speakers"`
}

// act sends one console action and returns the new state.
func (b *bench) act(ctx context.Context, s server, id int64, action string, seq int64, extra map[string]any) (debateState, error) {
	in := map[string]any{"action": action, "expected_seq": seq}
	for k, v := range extra {
		in[k] = v
	}
	var out struct {
		State debateState `json:"state"`
	}
	err := b.api(ctx, s, http.MethodPost, fmt.Sprintf("/api/v1/debates/%d/actions", id), in, &out)
	return out.State, err
}

// seedDebate creates a published debate, starts it, and has seeded questions asked
// (post-moderated, so they are approved at once) before going back to pre-moderation,
// the default: questions asked during the run wait for a moderator, upvotes go to the
// seeded ones.
func (b *bench) seedDebate(ctx context.Context, s server, n int) (int64, debateState, []int64, error) {
	start := time.Now().Add(-10 * time.Minute).Format(time.RFC3339)
	end := time.Now().Add(3 * time.Hour).Format(time.RFC3339)
	in := map[string]any{"title": "Debata S5: komunikacja nocna", "starts_at": start, "ends_at": end, "address": "ul. Benchmarkowa 5",
		"status": "published", "speakers": []map[string]any{{"name": "Anna Nowak", "role": "radna"}, {"name": "Jan Kowalski", "role": "mieszkaniec"}},
		"agenda": []map[string]any{{"topic": "Wstęp", "planned_minutes": 10}, {"topic": "Linie nocne", "planned_minutes": 30},
			{"topic": "Pytania", "planned_minutes": 20}}}
	var out struct {
		Debate struct {
			ID    int64       `json:"id"`
			State debateState `json:"state"`
		} `json:"debate"`
	}
	if err := b.api(ctx, s, http.MethodPost, "/api/v1/debates", in, &out); err != nil {
		return 0, debateState{}, nil, err
	}
	id, st := out.Debate.ID, out.Debate.State
	var err error
	for _, action := range []string{"start", "post_moderation"} {
		if st, err = b.act(ctx, s, id, action, st.Seq, nil); err != nil {
			return 0, st, nil, fmt.Errorf("%s: %w", action, err)
		}
	}
	var qs []int64
	for k := range n {
		var q struct {
			Question struct {
				ID int64 `json:"id"`
			} `json:"question"`
		}
		body := map[string]any{"body": fmt.Sprintf("Pytanie wstępne %d: kiedy pojedzie pierwszy autobus nocny?", k+1)}
		if err := call(ctx, s, "", fmt.Sprintf("10.254.%d.%d", k>>8&255, k&255), http.MethodPost,
			fmt.Sprintf("/api/v1/debates/%d/questions", id), body, &q); err != nil {
			return 0, st, nil, fmt.Errorf("seeding questions: %w", err)
		}
		qs = append(qs, q.Question.ID)
	}
	if st, err = b.act(ctx, s, id, "pre_moderation", st.Seq, nil); err != nil {
		return 0, st, nil, err
	}
	return id, st, qs, nil
}

func (b *bench) boardVersion(ctx context.Context, s server, id int64) (int64, error) {
	var out struct {
		Version int64 `json:"version"`
	}
	err := b.api(ctx, s, http.MethodGet, fmt.Sprintf("/api/v1/debates/%d/questions", id), nil, &out)
	return out.Version, err
}

// moderators runs two consoles acting at rate each until stop: a cycle of timer,
// announcement, speaker and agenda actions, each with the seq it last knew. A console
// refused as stale (the other acted first) reads the state again, as the console page
// does. sent notes, for state seq s, when the action that made it left.
func (b *bench) moderators(ctx context.Context, s server, id int64, st debateState, rate float64, stop <-chan struct{},
	sent []int64) (ok, stale, bad int, lat []int64, errs map[string]int) {
	var mu sync.Mutex
	errs = map[string]int{}
	var known atomic.Int64
	known.Store(st.Seq)
	var wg sync.WaitGroup
	for m := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
			defer tick.Stop()
			for k := m; ; k += 2 {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				seq := known.Load()
				var action string
				extra := map[string]any{}
				switch k % 6 {
				case 0:
					action = "timer_start"
				case 1:
					action = "timer_stop"
				case 2:
					action, extra["text"] = "announce", fmt.Sprintf("Ogłoszenie %d: przerwa za kwadrans", k)
				case 3:
					action, extra["speaker_id"] = "speaker", st.Speakers[k/6%len(st.Speakers)].ID
				case 4:
					action, extra["item_id"] = "item", st.Items[k/6%len(st.Items)].ID
				case 5:
					action, extra["text"] = "announce", ""
				}
				t0, at := time.Now(), mono()
				ns, err := b.act(ctx, s, id, action, seq, extra)
				d := time.Since(t0)
				if err == nil && ns.Seq > 0 && ns.Seq < int64(len(sent)) {
					atomic.StoreInt64(&sent[ns.Seq], at)
				}
				mu.Lock()
				switch {
				case err == nil:
					ok++
					lat = append(lat, int64(d))
					for {
						cur := known.Load()
						if ns.Seq <= cur || known.CompareAndSwap(cur, ns.Seq) {
							break
						}
					}
				case strings.Contains(err.Error(), "status 409"):
					stale++
				default:
					bad++
					errs[clip([]byte(err.Error()), 100)]++
				}
				mu.Unlock()
				if err != nil {
					var cur struct {
						Debate struct {
							State debateState `json:"state"`
						} `json:"debate"`
					}
					if b.api(ctx, s, http.MethodGet, fmt.Sprintf("/api/v1/debates/%d", id), nil, &cur) == nil {
						known.Store(max(known.Load(), cur.Debate.State.Seq))
					}
				}
			}
		}()
	}
	wg.Wait()
	return ok, stale, bad, lat, errs
}

func (b *bench) runS5(ctx context.Context) error {
	r := &S5Report{Clients: b.opt.s5Clients, Reconnects: b.opt.s5Reconnects, AskRate: b.opt.s5AskRate, VoteRate: b.opt.s5VoteRate,
		ModRate: b.opt.s5ModRate, Dur: b.opt.s5Dur, Seeded: b.opt.s5Seeded, Target: b.opt.s5P99}
	b.report.S5 = r
	// A database of its own: nothing else reconciles or publishes meanwhile.
	if !b.freshDB {
		if err := b.freshDatabase(ctx); err != nil {
			return err
		}
		b.token = ""
	}
	srv, err := b.startLawka(ctx, "s5-lawka")
	if err != nil {
		return err
	}
	defer func() { srv.stop(20 * time.Second) }()
	if err := b.login(ctx, srv); err != nil {
		return err
	}
	id, st, questions, err := b.seedDebate(ctx, srv, r.Seeded)
	if err != nil {
		return fmt.Errorf("seeding the debate: %w", err)
	}
	r.Debate = id
	b.logf("S5: debate %d, %d approved questions; %d audience clients, %g questions/s and %g upvotes/s for %s, 2 consoles acting %g times/s each",
		id, len(questions), r.Clients, r.AskRate, r.VoteRate, r.Dur, r.ModRate)
	live, audience, err := b.s5Live(ctx, srv, id, st, questions)
	if err != nil {
		return err
	}
	r.Live = &live
	board, state, err := b.s5Samples(ctx, srv, id)
	if err != nil {
		return err
	}

	b.logf("S5: restarting lawka serve, then %d clients reconnect at once…", r.Reconnects)
	storm, srv2, err := b.s5Storm(ctx, srv, id, audience)
	srv = srv2
	if err != nil {
		return err
	}
	r.Storm = &storm
	srv.stop(20 * time.Second)

	b.logf("S5: baseline: the same load and bytes published through a bare broadcast server")
	rawLive, rawStorm, err := b.s5Raw(ctx, id, board, state)
	if err != nil {
		return err
	}
	r.RawLive, r.RawStorm = &rawLive, &rawStorm
	return nil
}

// s5Live connects the audience and runs the questions, upvotes and consoles.
func (b *bench) s5Live(ctx context.Context, srv server, id int64, st debateState, questions []int64) (LiveRun, []*audience, error) {
	o := b.opt
	run := LiveRun{System: "lawka", Clients: o.s5Clients}
	nAsk, nVote := int(o.s5AskRate*o.s5Dur.Seconds()), int(o.s5VoteRate*o.s5Dur.Seconds())
	v0, err := b.boardVersion(ctx, srv, id)
	if err != nil {
		return run, nil, err
	}
	changes := newSendLog(nAsk + nVote)
	stateSent := make([]int64, 1<<16)
	sh := &s5Shared{boardSent: func(v int64) int64 { return changes.nth(v - v0) }}
	rooms, url := s5Rooms(id), "ws://"+srv.addr+"/ws"
	t0 := time.Now()
	list, fails := dialAll(ctx, o.s5Clients, 64, 60*time.Second, func(ctx context.Context, k int) (*audience, error) {
		return dialAudience(ctx, url, rooms, sh)
	})
	run.ConnectTime, run.Connected, run.ConnectFails = time.Since(t0), len(list), fails
	b.logf("  %d/%d clients subscribed in %s", len(list), o.s5Clients, run.ConnectTime.Round(time.Millisecond))
	asks, err := NewDriver([]string{srv.addr}, 16, 10*time.Second)
	if err != nil {
		return run, list, err
	}
	defer asks.Close()
	votes, err := NewDriver([]string{srv.addr}, 64, 10*time.Second)
	if err != nil {
		return run, list, err
	}
	defer votes.Close()
	before := scrapeMetrics(srv.url("/metrics"))
	m := StartCPU([]int{srv.pid()}, b.redis.pid(), b.opt.dbName)
	sh.recording.Store(true)
	stop := make(chan struct{})
	type modResult struct {
		ok, stale, bad int
		lat            []int64
		errs           map[string]int
	}
	mods := make(chan modResult, 1)
	go func() {
		var r modResult
		r.ok, r.stale, r.bad, r.lat, r.errs = b.moderators(ctx, srv, id, st, o.s5ModRate, stop, stateSent)
		mods <- r
	}()
	var wg sync.WaitGroup
	var askRes, voteRes Result
	wg.Add(2)
	go func() {
		defer wg.Done()
		askRes = asks.Run(Plan{N: nAsk, Rate: o.s5AskRate, Build: b.askBuilder(id, changes), Want: http.StatusCreated, MaxBacklog: max(int(o.s5AskRate), 64)})
	}()
	go func() {
		defer wg.Done()
		voteRes = votes.Run(Plan{N: nVote, Rate: o.s5VoteRate, Build: b.upvoteBuilder(id, questions, changes), Want: http.StatusOK, MaxBacklog: max(int(o.s5VoteRate), 64)})
	}()
	wg.Wait()
	close(stop)
	mr := <-mods
	lastAck := time.Now()
	final, err := b.boardVersion(ctx, srv, id)
	if err != nil {
		return run, list, err
	}
	run.settle(list, final, lastAck)
	sh.recording.Store(false)
	run.CPU = m.Stop()
	after := scrapeMetrics(srv.url("/metrics"))
	run.SlowDrops = metricDelta(before, after, "lawka_websocket_slow_drops_total")
	run.PoolAcquires = metricDelta(before, after, "lawka_db_pool_acquires_total")
	run.Asks, run.Votes = askRes.Summarise(http.StatusCreated), voteRes.Summarise(http.StatusOK)
	run.ModOK, run.ModStale, run.ModErrors, run.ModErrorList = mr.ok, mr.stale, mr.bad, mr.errs
	slices.Sort(mr.lat)
	run.ModP50, run.ModP99 = pct(mr.lat, 50), pct(mr.lat, 99)
	run.StateP50, run.StateP99, run.StateMax = stateLatency(list, func(s int64) int64 {
		if s <= 0 || s >= int64(len(stateSent)) {
			return 0
		}
		return atomic.LoadInt64(&stateSent[s])
	})
	run.tally(list, sh)
	b.logf("  questions %.0f/s p99 %s (%d errors), upvotes %.0f/s p99 %s (%d errors), console %d ok %d stale %d errors; board→client p50 %s p99 %s over %d, state→client p50 %s p99 %s over %d; %d disconnected, %.0f slow drops, %d behind",
		run.Asks.Rate, ms(run.Asks.P99), run.Asks.ErrorCount(), run.Votes.Rate, ms(run.Votes.P99), run.Votes.ErrorCount(), run.ModOK, run.ModStale, run.ModErrors,
		ms(run.BoardP50), ms(run.BoardP99), run.Boards, ms(run.StateP50), ms(run.StateP99), run.States, run.Disconnected, run.SlowDrops, run.Behind)
	return run, list, nil
}

// errShape is an error without its addresses, so that errors of many clients count as one.
func errShape(err error) string {
	return clip([]byte(addrPort.ReplaceAllString(fmt.Sprint(err), "…")), 100)
}

var addrPort = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+:\d+(->\d+\.\d+\.\d+\.\d+:\d+)?`)

// settle waits up to 5 s until every client still connected has board version final.
func (run *LiveRun) settle(list []*audience, final int64, lastAck time.Time) {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		run.Behind = 0
		for _, a := range list {
			if a.board.Load() < final && !a.closed() {
				run.Behind++
			}
		}
		if run.Behind == 0 || time.Now().After(deadline) {
			break
		}
	}
	run.Settled, run.Settle = run.Behind == 0, time.Since(lastAck)
}

// tally sums what the clients received (their readers may still run: the counts are
// atomic) and the boards' latencies.
func (run *LiveRun) tally(list []*audience, sh *s5Shared) {
	run.BoardP50, run.BoardP99, run.BoardMax = sh.board.quantile(0.5), sh.board.quantile(0.99), sh.board.quantile(1)
	run.BoardBytes = sh.boardSize.Load()
	errs := map[string]int{}
	for _, a := range list {
		if a.closed() {
			run.Disconnected++
			errs[errShape(a.err)]++
		}
		run.Boards += atomic.LoadInt64(&a.boards)
		run.States += atomic.LoadInt64(&a.states)
		run.Gaps += atomic.LoadInt64(&a.gaps)
	}
	run.DisconnectErr = strings.Join(counted(errs), "; ")
}

func (a *audience) closed() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// s5Storm restarts the server in place and connects o.s5Reconnects clients at once.
func (b *bench) s5Storm(ctx context.Context, srv server, id int64, live []*audience) (StormRun, server, error) {
	run := StormRun{System: "lawka", Clients: b.opt.s5Reconnects, Rooms: 2}
	t0 := time.Now()
	srv.stop(20 * time.Second)
	run.Stop = time.Since(t0)
	run.stopped(live)
	next, err := b.startLawkaAt(ctx, "s5-lawka-restarted", srv.addr)
	if err != nil {
		return run, srv, err
	}
	run.Restart = time.Since(t0)
	sh := &s5Shared{boardSent: func(int64) int64 { return 0 }}
	rooms, url := s5Rooms(id), "ws://"+next.addr+"/ws"
	// One client alone first: what one subscription to both rooms costs.
	m0 := scrapeMetrics(next.url("/metrics"))
	one, err := dialAudience(ctx, url, rooms, sh)
	if err != nil {
		return run, next, fmt.Errorf("one client after the restart: %w", err)
	}
	m1 := scrapeMetrics(next.url("/metrics"))
	// A second one at once, while the first keeps the rooms' snapshots shared: what a
	// subscription costs besides its snapshot (the checks of who may watch).
	two, err := dialAudience(ctx, url, rooms, sh)
	if err != nil {
		return run, next, fmt.Errorf("a second client after the restart: %w", err)
	}
	m2 := scrapeMetrics(next.url("/metrics"))
	one.close()
	two.close()
	run.Single, run.Second = metricDelta(m0, m1, "lawka_db_pool_acquires_total"), metricDelta(m1, m2, "lawka_db_pool_acquires_total")
	list, cpu, err := b.storm(ctx, &run, url, rooms, sh, []int{next.pid()}, func() map[string]float64 { return scrapeMetrics(next.url("/metrics")) })
	if err != nil {
		return run, next, err
	}
	run.CPU = cpu
	closeAll(list)
	return run, next, nil
}

// storm dials run.Clients at once and fills in the timings; metrics (may be nil) is
// scraped before and after for the pool's acquisitions.
func (b *bench) storm(ctx context.Context, run *StormRun, url string, rooms []string, sh *s5Shared, pids []int,
	metrics func() map[string]float64) ([]*audience, CPUUse, error) {
	var before map[string]float64
	if metrics != nil {
		before = metrics()
	}
	m := StartCPU(pids, b.redis.pid(), b.opt.dbName)
	start := mono()
	list, fails := dialAll(ctx, run.Clients, run.Clients, 120*time.Second, func(ctx context.Context, k int) (*audience, error) {
		return dialAudience(ctx, url, rooms, sh)
	})
	cpu := m.Stop()
	var last int64
	lat := make([]int64, 0, len(list))
	for _, a := range list {
		last = max(last, a.resynced)
		lat = append(lat, a.resynced-a.dialed)
	}
	slices.Sort(lat)
	run.Connected, run.Fails = len(list), fails
	if last > start {
		run.Elapsed = time.Duration(last - start)
		run.ConnPerSec = float64(len(list)) / run.Elapsed.Seconds()
	}
	run.P50, run.P99, run.Max = pct(lat, 50), pct(lat, 99), pct(lat, 100)
	if metrics != nil {
		run.Acquires = metricDelta(before, metrics(), "lawka_db_pool_acquires_total")
	}
	b.logf("  %s: %d/%d resynced in %s (%.0f connections/s), per client p50 %s p99 %s; %.0f pool acquisitions (one client alone: %.0f, a second one: %.0f); failures: %s",
		run.System, run.Connected, run.Clients, run.Elapsed.Round(time.Millisecond), run.ConnPerSec, ms(run.P50), ms(run.P99), run.Acquires, run.Single, run.Second,
		strings.Join(counted(fails), "; "))
	return list, cpu, nil
}
