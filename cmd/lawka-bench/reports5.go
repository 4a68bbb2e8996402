package main

import (
	"fmt"
	"strings"
	"time"
)

// perSubscription is the storm's pool acquisitions per (client, room) asked for.
func (s *StormRun) perSubscription() float64 {
	if s == nil || s.Clients == 0 || s.Rooms == 0 {
		return 0
	}
	return s.Acquires / float64(s.Clients*s.Rooms)
}

// snapshotReads is what the storm's acquisitions leave once every client's own part
// (what a second client alone cost: the authorisation) is taken away: the snapshots'.
// Only meaningful when every client got through.
func (s *StormRun) snapshotReads() float64 {
	return max(0, s.Acquires-float64(s.Clients)*s.Second)
}

func (r *Report) s5Rows() []summaryRow {
	s := r.S5
	if s == nil || s.Live == nil {
		return nil
	}
	var rows []summaryRow
	live, raw := s.Live, s.RawLive
	var rawP99 float64
	if raw != nil {
		rawP99 = float64(raw.BoardP99)
	}
	n := num(float64(s.Clients))
	ok := live.BoardP99 > 0 && live.BoardP99 <= s.Target && live.Connected == live.Clients && live.Disconnected == 0 && live.Behind == 0
	rows = append(rows, summaryRow{what: fmt.Sprintf("S5 question/upvote-to-audience p99, %s clients (%s questions/s + %s upvotes/s)", n, num(s.AskRate), num(s.VoteRate)),
		figure: ms(live.BoardP99), baseline: "bare broadcast: " + ms(time.Duration(rawP99)), ratio: ratio(float64(live.BoardP99), rawP99),
		target: "≤ " + ms(s.Target) + ", nobody dropped", met: yes(ok), miss: cond(!ok, s5Why(s, live))})
	if st := s.Storm; st != nil {
		var rawRate float64
		rawTime := "—"
		if s.RawStorm != nil {
			rawRate, rawTime = s.RawStorm.ConnPerSec, s.RawStorm.Elapsed.Round(time.Millisecond).String()
		}
		ok := st.Connected == st.Clients
		stormWhy := fmt.Sprintf("%d of %d clients resynced; failures: %s.", st.Connected, st.Clients, strings.Join(counted(st.Fails), "; "))
		if st.Connected < st.Clients && st.Second > 0 {
			stormWhy += fmt.Sprintf(" Each subscription is authorised before its snapshot (Service.CanView: the event and the debate row, about %.0f pool acquisitions per room), and the hub gives each subscription 5 s: %s clients × %d rooms of checks queue for the server's pool, and what does not finish in time is refused as unavailable — the shared snapshot does not help with that, and live.js does not resubscribe after such an error.",
				st.Second/float64(st.Rooms), num(float64(st.Clients)), st.Rooms)
		}
		rows = append(rows, summaryRow{what: fmt.Sprintf("S5 reconnect storm after a restart: %s clients at once, connections/s (all resynced in)", num(float64(st.Clients))),
			figure: fmt.Sprintf("%s/s (%s)", num(st.ConnPerSec), st.Elapsed.Round(time.Millisecond)), baseline: fmt.Sprintf("bare broadcast: %s/s (%s)", num(rawRate), rawTime),
			ratio: ratio(st.ConnPerSec, rawRate), target: "every client resynced", met: yes(ok),
			miss: cond(!ok, stormWhy)})
		snap := st.snapshotReads()
		perClient := snap / float64(max(st.Clients*st.Rooms, 1))
		ok = st.Connected == st.Clients && perClient < 1
		why := fmt.Sprintf("One client subscribing alone to both rooms cost %.0f pool acquisitions, a second one at once %.0f; the storm cost %s.",
			st.Single, st.Second, num(st.Acquires))
		if st.Connected < st.Clients {
			why = fmt.Sprintf("Not measurable: only %d of %d clients got through (the rest were refused as unavailable, see above), so the storm's %s acquisitions do not say what a full resync costs. %s",
				st.Connected, st.Clients, num(st.Acquires), why)
		}
		rows = append(rows, summaryRow{what: fmt.Sprintf("S5 snapshot queries per client per room during the storm (%s clients, %d rooms)", num(float64(st.Clients)), st.Rooms),
			figure:   fmt.Sprintf("%.3f (%s of %s queries; %s per room)", perClient, num(snap), num(st.Acquires), num(st.Acquires/float64(st.Rooms))),
			baseline: "bare broadcast: 0", ratio: "—", target: "< 1 (snapshots must not cost one query per client)", met: yes(ok), miss: cond(!ok, why)})
	}
	return rows
}

func s5Why(s *S5Report, run *LiveRun) string {
	var why []string
	if run.Connected < run.Clients {
		why = append(why, fmt.Sprintf("only %d of %d clients connected (%s)", run.Connected, run.Clients, strings.Join(counted(run.ConnectFails), "; ")))
	}
	if run.Disconnected > 0 {
		why = append(why, fmt.Sprintf("%d clients were disconnected during the run (%s; lawka counted %.0f slow-client drops)", run.Disconnected, run.DisconnectErr, run.SlowDrops))
	}
	if run.Behind > 0 {
		why = append(why, fmt.Sprintf("%d connected clients did not have the last board 5 s after the last change", run.Behind))
	}
	if run.Asks.N > 0 && (run.Asks.ErrorCount() > 0 || run.Votes.ErrorCount() > 0) {
		why = append(why, fmt.Sprintf("lawka took %s questions/s and %s upvotes/s of the %s + %s offered (%s and %s requests not answered as asked: %s; %s): every change locks the debate's row and reads both question lists again inside its transaction, so changes to one debate queue one behind the other",
			num(run.Asks.Rate), num(run.Votes.Rate), num(s.AskRate), num(s.VoteRate),
			num(float64(run.Asks.ErrorCount())), num(float64(run.Votes.ErrorCount())), errorList(run.Asks.Errors), errorList(run.Votes.Errors)))
	}
	if run.BoardBytes > 0 {
		why = append(why, fmt.Sprintf("every question and upvote publishes the whole board (the last one %s bytes) to every client, and debate.questions is not coalesced on the server (live.js treats it as a state, so only the newest matters): %s board messages reached the clients",
			num(float64(run.BoardBytes)), num(float64(run.Boards))))
	}
	if len(why) == 0 {
		return fmt.Sprintf("p99 %s against the target; CPU: %s.", ms(run.BoardP99), cpuSentence(run.CPU, "lawka"))
	}
	return strings.Join(why, "; ") + "."
}

func (r *Report) writeS5(p func(string, ...any)) {
	s := r.S5
	p("## S5: live debate")
	p("")
	p("One `lawka serve` (its own database and the private Redis). A moderator creates a published debate through the API (`POST /api/v1/debates`), starts it, and %d questions are asked and approved at once (post-moderation); then the debate goes back to pre-moderation, the default, so questions asked during the run wait for a moderator. %s audience websocket clients subscribe, in one message as the phone's page does, to `debate:%d` (the state) and `debate-questions:%d` (the approved questions) and wait for both snapshots. For %s, questions are asked at %s/s (`POST /api/v1/debates/%d/questions`) and upvotes sent at %s/s (`POST …/questions/{q}/vote`, to the seeded questions in turn), each request a new participant without a cookie (the server issues one) from its own address (`X-Forwarded-For` from the trusted proxy: the limits are 3 questions a minute per participant, 30 per address, 60 upvotes per participant, 1,000 new participants per address in 10 minutes); meanwhile two consoles (the moderator's bearer token) send %g console actions/s each (`POST /api/v1/debates/%d/actions` with the `expected_seq` they last knew: timer, announcement, speaker, agenda item), re-reading the state after a refusal as stale.",
		s.Seeded, num(float64(s.Clients)), s.Debate, s.Debate, s.Dur, num(s.AskRate), s.Debate, num(s.VoteRate), s.ModRate, s.Debate)
	p("")
	p("**Latency**: every question or upvote taken moves the board's `version` on by one, and each is published as a whole `debate.questions` message; a board of version V reached a client at t, and the V-th change (counting from the version before the run) was sent at s in send order: t − s is its latency (an upper bound when changes commit out of send order, as in S2). A `debate.state` message of state seq S is timed from the first console action sent with `expected_seq` S−1. **Behind**: a connected client whose last board is older than the final one 5 s after the last change. **Baseline (bare broadcast)**: the load lawka was offered, as the messages lawka would send for it — its own board and state as the API gives them after the run, so the same bytes — published by this tool over one websocket to `lawka-bench bcast-server` (gorilla/websocket; a room's last message is its snapshot, from memory; one queue of 64 messages and one writer per client, a full queue drops the client, as lawka does) and from there to as many clients: a board for every question and upvote at their rates, a state for every console action; each timed from its publication. No HTTP, no database, no Redis.")
	p("")
	p("| system | clients | questions/s (p99, errors) | upvotes/s (p99, errors) | console ok / stale / errors (p99) | boards received | board latency p50 | p99 | max | states received | state latency p50 | p99 | last board | seq gaps | disconnected | behind | servers CPU | PostgreSQL CPU | Redis CPU | tool CPU | others | machine |")
	p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, run := range []*LiveRun{s.Live, s.RawLive} {
		if run == nil {
			continue
		}
		u := run.CPU
		asks, votes, console := "—", "—", "—"
		if run.System == "lawka" {
			asks = fmt.Sprintf("%s (%s, %s)", num(run.Asks.Rate), ms(run.Asks.P99), errorList(run.Asks.Errors))
			votes = fmt.Sprintf("%s (%s, %s)", num(run.Votes.Rate), ms(run.Votes.P99), errorList(run.Votes.Errors))
			console = fmt.Sprintf("%d / %d / %d (%s)", run.ModOK, run.ModStale, run.ModErrors, ms(run.ModP99))
		} else {
			asks = fmt.Sprintf("published %s messages", num(float64(run.Replayed)))
		}
		p("| %s | %d of %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s B | %d | %d | %d | %s | %s | %s | %s | %s | %s |", run.System, run.Connected, run.Clients,
			asks, votes, console, num(float64(run.Boards)), ms(run.BoardP50), ms(run.BoardP99), ms(run.BoardMax), num(float64(run.States)),
			ms(run.StateP50), ms(run.StateP99), num(float64(run.BoardBytes)), run.Gaps, run.Disconnected, run.Behind,
			pctCore(u, u.Servers), pctCore(u, u.Postgres), pctCore(u, u.Redis), pctCore(u, u.Tool), pctCore(u, u.MachineOthers), machineBusy(u))
	}
	p("")
	for _, run := range []*LiveRun{s.Live, s.RawLive} {
		if run == nil {
			continue
		}
		notes := clientNotes(run.ConnectFails, run.Disconnected, run.DisconnectErr)
		if run.SlowDrops > 0 {
			notes = append(notes, fmt.Sprintf("lawka dropped %.0f slow clients (lawka_websocket_slow_drops_total)", run.SlowDrops))
		}
		if len(run.ModErrorList) > 0 {
			notes = append(notes, "console errors: "+strings.Join(counted(run.ModErrorList), "; "))
		}
		if run.System == "lawka" {
			notes = append(notes, fmt.Sprintf("%s clients subscribed in %s; the pool handed out %s connections during the run",
				num(float64(run.Connected)), run.ConnectTime.Round(time.Millisecond), num(run.PoolAcquires)))
		} else {
			notes = append(notes, fmt.Sprintf("%s messages published", num(float64(run.Replayed))))
			if run.ReplayLate > 0 {
				notes = append(notes, fmt.Sprintf("%d of them left more than 50 ms after their moment (at worst %s): the publishing tool shares the machine", run.ReplayLate, ms(run.ReplayLag)))
			}
		}
		if len(notes) > 0 {
			p("- **%s**: %s.", run.System, strings.Join(notes, "; "))
		}
	}
	p("")
	p("### Reconnect storm")
	p("")
	p("After the live run the server is stopped (SIGTERM: the hub closes every socket with 1001, going away) and started again on the same address; %s clients then connect at once (every dial started together, no backoff) and subscribe to both rooms. **Per client**: from its dial to both snapshots in. **Pool acquisitions** (`lawka_db_pool_acquires_total`, scraped before and after): one per query made outside a transaction and one per transaction — PostgreSQL's work for the storm. Just before the storm one client subscribes alone (its checks and both snapshots), then a second one at once while the first keeps the rooms' snapshots shared (its checks only: who may watch, per room); **snapshot queries** are the storm's acquisitions minus the clients times the second client's, that is, what is left for reading the rooms' state. The bare broadcast is restarted likewise and its snapshots given back from memory.",
		num(float64(s.Reconnects)))
	p("")
	p("| system | restart (of which stopping) | live clients told 1001 | clients resynced | all resynced in | connections/s | per client p50 | p99 | max | pool acquisitions (per client per room) | one client alone / a second one | snapshot queries | servers CPU | PostgreSQL CPU | tool CPU | others |")
	p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, st := range []*StormRun{s.Storm, s.RawStorm} {
		if st == nil {
			continue
		}
		u := st.CPU
		acq, single, snap := "—", "—", "—"
		if st.System == "lawka" {
			acq, single = fmt.Sprintf("%s (%.2f)", num(st.Acquires), st.perSubscription()), fmt.Sprintf("%s / %s", num(st.Single), num(st.Second))
			snap = num(st.snapshotReads())
		}
		p("| %s | %s (%s) | %d | %d of %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", st.System, st.Restart.Round(time.Millisecond), st.Stop.Round(time.Millisecond), st.GoingAway,
			st.Connected, st.Clients, st.Elapsed.Round(time.Millisecond), num(st.ConnPerSec), ms(st.P50), ms(st.P99), ms(st.Max), acq, single, snap,
			pctCore(u, u.Servers), pctCore(u, u.Postgres), pctCore(u, u.Tool), pctCore(u, u.MachineOthers))
	}
	p("")
	for _, st := range []*StormRun{s.Storm, s.RawStorm} {
		if st != nil && len(st.Fails) > 0 {
			p("- **%s** failures: %s.", st.System, strings.Join(counted(st.Fails), "; "))
		}
	}
	p("")
}
