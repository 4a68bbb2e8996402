package main

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Report is everything one run measured; Markdown renders BENCHMARKS.md.
type Report struct {
	Command           string
	Server            string // `lawka version` of the binary under test
	Quick             bool
	OthersMax         float64
	Started, Finished time.Time
	Machine           Machine
	S1                *S1Report
	S2                *S2Report
	S3                *S3Report
	S4                *S4Report
	S5                *S5Report
}

// summaryRow is one line of the summary table.
type summaryRow struct {
	what, figure, baseline, ratio, target, met string
	miss                                       string // why, when the target is missed
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// num formats with thousands separators.
func num(v float64) string {
	neg := v < 0
	s := strconv.FormatInt(int64(math.Round(math.Abs(v))), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "−" + s
	}
	return s
}

func ratio(a, b float64) string {
	if b <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func pctCore(u CPUUse, sec float64) string { return fmt.Sprintf("%.0f %%", u.Share(sec)) }

func machineBusy(u CPUUse) string {
	if u.Wall <= 0 || u.MachineCores == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f %%", 100*u.MachineBusy/u.Wall.Seconds()/float64(u.MachineCores))
}

// cpuSentence says who used the machine during a window.
func cpuSentence(u CPUUse, server string) string {
	return fmt.Sprintf("%s used %s of a core, PostgreSQL %s, Redis %s, the load tool %s, other processes %s; the machine (%d cores) was %s busy",
		server, pctCore(u, u.Servers), pctCore(u, u.Postgres), pctCore(u, u.Redis), pctCore(u, u.Tool), pctCore(u, u.MachineOthers),
		u.MachineCores, machineBusy(u))
}

func (r *Report) summary() []summaryRow {
	var rows []summaryRow
	if s := r.S1; s != nil {
		var best, noop float64
		var bestStep *Step
		if s.Lawka.Best != nil {
			best, bestStep = s.Lawka.Best.Rate, s.Lawka.Best
		}
		if s.Noop.Best != nil {
			noop = s.Noop.Best.Rate
		}
		fail := firstFailingStep(s.Lawka)
		why := ""
		if fail != nil {
			why = fmt.Sprintf("At %s votes/s (the first failing step: %s) %s.", num(fail.Rate), fail.Why, cpuSentence(fail.CPU, "lawka serve"))
			if fail.PoolAcquires > 0 && fail.Stats.Sent > 0 {
				if wait := time.Duration(fail.PoolWait / float64(fail.Stats.Sent) * 1e9); wait >= 10*time.Microsecond {
					why += fmt.Sprintf(" Votes waited %s on average for a PostgreSQL connection (lawka_db_pool_acquire_wait_seconds_total).", ms(wait))
				} else {
					why += " Votes did not wait for PostgreSQL connections (lawka_db_pool_acquire_wait_seconds_total stayed near 0)."
				}
			}
			if pr := s.Profile; pr != nil && len(pr.Waits) > 0 {
				why += fmt.Sprintf(" lawka's PostgreSQL connections at %s votes/s: %s.", num(pr.Rate), top(pr.Waits, 4, false))
			}
			if s.Profile != nil && len(s.Profile.ByLawka) > 0 {
				why += " " + profileSentence(s.Profile)
			}
		}
		if bestStep == nil {
			why = "No step met the target. " + why
		}
		ok := noop > 0 && best >= 0.5*noop
		noopText, ratioText := num(noop), ratio(best, noop)
		if capped(s.Noop) {
			noopText, ratioText = "≥ "+noopText, "≤ "+ratioText
		}
		rows = append(rows, summaryRow{what: fmt.Sprintf("S1 highest vote rate with p99 acknowledgement ≤ %s, no errors, exact counts", ms(s.AckP99)),
			figure: num(best) + " votes/s", baseline: "no-op Fiber route: " + noopText + " requests/s (same driver)", ratio: ratioText,
			target: "≥ 0.5×", met: yes(ok), miss: cond(!ok, why)})
		if s.Raw != nil {
			ok := best >= 0.5*s.Raw.Rate
			rows = append(rows, summaryRow{what: "S1 against the raw ballot ceiling", figure: num(best) + " votes/s",
				baseline: fmt.Sprintf("%s ballots/s straight into PostgreSQL (batches of %d, %d connections)", num(s.Raw.Rate), s.Raw.Batch, s.Raw.Workers),
				ratio:    ratio(best, s.Raw.Rate), target: "≥ 0.5×", met: yes(ok),
				miss: cond(!ok, fmt.Sprintf("The raw ceiling writes %d ballots per statement and transaction from %d connections with nothing around them; "+
					"the vote route pays for HTTP, JSON, the checks of every vote (poll open, options, one ballot per participant), the live tally "+
					"and a transaction per batch of whatever votes are waiting — and the target is a latency, which batching trades against. "+
					"What the run saw at the first failing rate is in the row above.", s.Raw.Batch, s.Raw.Workers))})
		}
		if s.Redis != nil && s.Redis.Err == "" {
			rows = append(rows, summaryRow{what: "Context: redis-benchmark HINCRBY (50 clients)", figure: num(best) + " votes/s",
				baseline: num(s.Redis.RPS) + " HINCRBY/s", ratio: ratio(best, s.Redis.RPS), target: "—", met: "—"})
		}
		if bu := s.Burst; bu != nil {
			ok := bu.Absorb < time.Second && bu.Stats.OK == bu.N && bu.Counts.Exact()
			rows = append(rows, summaryRow{what: fmt.Sprintf("S1 burst: %s votes sent at once, all 201, exact counts", num(float64(bu.N))),
				figure: ms(bu.Absorb) + " to absorb", baseline: "—", ratio: "—", target: "< 1 s", met: yes(ok),
				miss: cond(!ok, fmt.Sprintf("%s of %s acknowledged (%s); p50 %s, p99 %s; counts exact: %v. During the burst %s.",
					num(float64(bu.Stats.OK)), num(float64(bu.N)), errorList(bu.Stats.Errors), ms(bu.Stats.P50), ms(bu.Stats.P99),
					bu.Counts.Exact(), cpuSentence(bu.CPU, "lawka serve")))})
		}
	}
	if s := r.S2; s != nil && len(s.Lawka) > 0 {
		big, hub := s.Lawka[len(s.Lawka)-1], findRun(s.Hub, s.Lawka[len(s.Lawka)-1].Clients)
		var hubP99, hubKB, hubPer float64
		if hub != nil {
			hubP99, hubKB, hubPer = float64(hub.P99), hub.PerConnKB, hub.PerCPUSec
		}
		n := num(float64(big.Clients))
		ok := big.P99 > 0 && big.P99 <= s.P99Target && big.Connected == big.Clients
		rows = append(rows, summaryRow{what: fmt.Sprintf("S2 vote-to-every-client p99 at %s clients (%s votes/s)", n, num(s.Rate)),
			figure: ms(big.P99), baseline: "minimal hub: " + ms(time.Duration(hubP99)), ratio: ratio(float64(big.P99), hubP99),
			target: "≤ " + ms(s.P99Target), met: yes(ok), miss: cond(!ok, s2Why(big))})
		ok = big.PerConnKB > 0 && big.PerConnKB <= 13
		rows = append(rows, summaryRow{what: fmt.Sprintf("S2 memory per idle connection (%s clients)", n),
			figure: fmt.Sprintf("%.1f KB", big.PerConnKB), baseline: fmt.Sprintf("minimal hub: %.1f KB", hubKB), ratio: ratio(big.PerConnKB, hubKB),
			target: "≤ 13 KB", met: yes(ok), miss: cond(!ok, fmt.Sprintf("Server RSS went from %s to %s KiB over %s connections.",
				num(float64(big.RSSBefore)), num(float64(big.RSSIdle)), num(float64(big.Connected))))})
		ok = big.PerCPUSec >= 100000
		rows = append(rows, summaryRow{what: fmt.Sprintf("S2 deliveries per server CPU-second (%s clients)", n),
			figure: num(big.PerCPUSec), baseline: "minimal hub: " + num(hubPer), ratio: ratio(big.PerCPUSec, hubPer),
			target: "≥ 100,000", met: yes(ok), miss: cond(!ok, fmt.Sprintf("%s tally messages reached the clients while the two servers used %.1f CPU-seconds "+
				"(which includes taking %s votes/s over HTTP into PostgreSQL). %s", num(float64(big.Deliveries)), big.CPU.Servers, num(s.Rate), s2Why(big)))})
		var lost, ooo int64
		for _, run := range s.Lawka {
			lost += int64(run.Lost)
			ooo += run.OutOfOrder
		}
		ok = lost == 0 && ooo == 0
		rows = append(rows, summaryRow{what: "S2 lost or out-of-order tallies, all runs", figure: fmt.Sprintf("%d lost, %d out of order", lost, ooo),
			baseline: "—", ratio: "—", target: "0", met: yes(ok), miss: cond(!ok, lostWhy(s.Lawka))})
	}
	rows = append(rows, r.s3Rows()...)
	rows = append(rows, r.s4Rows()...)
	return append(rows, r.s5Rows()...)
}

// capped says whether the search never failed: its figure is only a lower bound.
func capped(s Search) bool {
	if s.Best == nil {
		return false
	}
	for _, st := range s.Steps {
		if st.Rate > s.Best.Rate {
			return false
		}
	}
	return true
}

func cond(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}

func firstFailingStep(s Search) *Step {
	best := 0.0
	if s.Best != nil {
		best = s.Best.Rate
	}
	for i := range s.Steps {
		if !s.Steps[i].Pass && s.Steps[i].Rate > best {
			return &s.Steps[i]
		}
	}
	return nil
}

func findRun(runs []FanoutRun, clients int) *FanoutRun {
	for i := range runs {
		if runs[i].Clients == clients {
			return &runs[i]
		}
	}
	return nil
}

func profileSentence(p *Profile) string {
	return fmt.Sprintf("perf over the whole machine at %s votes/s: samples by process %s; hottest in lawka serve (share of its samples): %s (see the profile below).",
		num(p.Rate), top(p.ByComm, 4, false), top(p.ByLawka, 5, true))
}

// top lists the first n lines as "what share", functions (code) in backquotes.
func top(lines []PerfLine, n int, code bool) string {
	var parts []string
	for i, l := range lines {
		if i == n {
			break
		}
		if code {
			parts = append(parts, fmt.Sprintf("`%s` %.1f %%", l.What, l.Percent))
		} else {
			parts = append(parts, fmt.Sprintf("%s %.0f %%", l.What, l.Percent))
		}
	}
	return strings.Join(parts, ", ")
}

func s2Why(run FanoutRun) string {
	w := fmt.Sprintf("With %s clients: %s.", num(float64(run.Clients)), cpuSentence(run.CPU, "the two lawka serve processes"))
	if run.Connected < run.Clients {
		w += fmt.Sprintf(" Only %s of %s clients could connect.", num(float64(run.Connected)), num(float64(run.Clients)))
	}
	if run.Votes.ErrorCount() > 0 {
		w += fmt.Sprintf(" Votes: %s.", errorList(run.Votes.Errors))
	}
	w += fmt.Sprintf(" Votes were acknowledged with p99 %s.", ms(run.Votes.P99))
	return w
}

func lostWhy(runs []FanoutRun) string {
	var parts []string
	for _, r := range runs {
		if r.Lost == 0 && r.OutOfOrder == 0 {
			continue
		}
		p := fmt.Sprintf("%s clients: %d lost, %d out of order", num(float64(r.Clients)), r.Lost, r.OutOfOrder)
		if r.Disconnected > 0 {
			p += fmt.Sprintf(", %d disconnected (%s)", r.Disconnected, r.DisconnectErr)
		}
		if !r.Settled {
			p += fmt.Sprintf(", not every client had the final total %s after the last vote", ms(r.Settle))
		}
		parts = append(parts, p)
	}
	w := strings.Join(parts, "; ") + "."
	version := false
	for _, r := range runs {
		version = version || r.Version
		if r.OutOfOrderExample != "" {
			w += fmt.Sprintf(" An example with %s clients: %s.", num(float64(r.Clients)), r.OutOfOrderExample)
		}
	}
	if version {
		w += " Order is judged by `data.version` among the tallies a browser would show (`seq` newer than the last one shown): " +
			"the version went down while the seq went up, i.e. the order in which tallies were numbered is not the order of the versions they carry."
	} else {
		w += " The tallies carry no version, so order is judged by total: a tally computed before another but published after it shows a lower total."
	}
	return w
}

func errorList(errs map[string]int) string {
	if len(errs) == 0 {
		return "no errors"
	}
	return strings.Join(counted(errs), ", ")
}

// counted lists how often each thing happened, "N× thing", sorted.
func counted(m map[string]int) []string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s× %s", num(float64(v)), k))
	}
	sort.Strings(parts)
	return parts
}

// Markdown renders the report.
func (r *Report) Markdown() string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }
	m := r.Machine
	p("# Benchmarks: live polls and discussions")
	p("")
	p("Generated by `cmd/lawka-bench` (`make bench`) on %s, in %s. Do not edit by hand: run `make bench` again.",
		r.Started.Format("2006-01-02 15:04 MST"), r.Finished.Sub(r.Started).Round(time.Second))
	if r.Quick {
		p("")
		p("> **Quick mode** (`BENCH_QUICK=1`): short steps and fewer clients, for development. These figures are not the reference.")
	}
	p("")
	p("## Machine")
	p("")
	p("| | |")
	p("|---|---|")
	p("| CPU | %s, %d cores |", m.CPU, m.Cores)
	p("| Memory | %.1f GiB |", m.MemGiB)
	p("| Kernel | Linux %s |", m.Kernel)
	p("| Go | %s |", m.Go)
	p("| PostgreSQL | %s; its own database, created for the run and dropped after it |", m.Postgres)
	p("| Redis | %s, a private instance started for the run (append-only file, fsync every second) |", m.Redis)
	waited := ""
	if m.QuietWait > 0 {
		waited = fmt.Sprintf(" (the run waited %s in all for other work to calm down)", m.QuietWait.Round(time.Second))
	}
	p("| Sharing | the servers under test, PostgreSQL, Redis and the load tool all run on this machine, which other people's work shares too: just before the run it was %.0f %% busy (load average %s)%s; the CPU columns below show how much of each window went to other processes |",
		m.BusyBefore, m.LoadBefore, waited)
	p("| Limits | %s open files; loopback ports %s |", num(float64(m.FileLimit)), m.PortRange)
	p("")
	p("## Command")
	p("")
	p("```")
	p("%s", r.Command)
	p("```")
	p("")
	p("Server under test: `%s` (built from the working tree; `-dirty` means it held uncommitted changes).", r.Server)
	p("")

	rows := r.summary()
	p("## Summary")
	p("")
	p("| scenario | figure | baseline (same run) | ratio | target | met |")
	p("|---|---|---|---|---|---|")
	for _, row := range rows {
		p("| %s | %s | %s | %s | %s | %s |", row.what, row.figure, row.baseline, row.ratio, row.target, row.met)
	}
	p("")
	var misses []summaryRow
	for _, row := range rows {
		if row.miss != "" {
			misses = append(misses, row)
		}
	}
	if len(misses) > 0 {
		p("### Where targets are missed, and what the run saw")
		p("")
		for _, row := range misses {
			p("- **%s** (%s; target %s): %s", row.what, row.figure, row.target, row.miss)
		}
		p("")
	}
	if r.S1 != nil {
		r.writeS1(p)
	}
	if r.S2 != nil {
		r.writeS2(p)
	}
	if r.S3 != nil {
		r.writeS3(p)
	}
	if r.S4 != nil {
		r.writeS4(p)
	}
	if r.S5 != nil {
		r.writeS5(p)
	}
	p("## How it is measured")
	p("")
	p("- **Driver.** `cmd/lawka-bench` has its own small HTTP/1.1 client over keep-alive connections, open loop: requests leave on schedule whether or not earlier ones were answered, and latency runs from the scheduled moment to the whole answer, so a server that falls behind shows it. A step stops sending once a second's worth of requests is waiting (reported as not sent: the step fails). Requests are never retried.")
	p("- **Voters.** Every vote is a new anonymous participant (no cookie) from its own address (`X-Forwarded-For` from a trusted proxy, `LAWKA_TRUSTED_PROXIES=127.0.0.1/32`), choosing the four options in turn. Each S1 step votes in a fresh open poll.")
	p("- **Exact counts.** After every step and the burst: votes answered 201 = `total` of `GET /api/v1/polls/{id}/results` = ballots of the poll counted in PostgreSQL, and per option likewise.")
	p("- **Servers.** `lawka serve` with `LAWKA_ENV=prod`, `LAWKA_LOG_LEVEL=warn`, against the run's own database and Redis. S2 runs two instances with one public origin (`%s`), clients alternating between them and votes alternating between them; fresh processes for every client count.", publicURL)
	p("- **Baselines** run in their own processes under the same driver and clients: a Fiber app whose vote route answers 201 at once; a lean gorilla/websocket hub (counts votes in memory; ten times a second, when the tally changed, encodes it once as a prepared message and writes it to every client from one writer per core; one reader goroutine and a 512-byte read buffer per client); ballots inserted by pgx straight into PostgreSQL in batches, each batch one durable transaction; `redis-benchmark` HINCRBY.")
	p("- **S2 latency** of a tally with total T is the time it reached a client minus the time the T-th vote was sent, in send order (the newest of the T counted votes left no earlier, so this is an upper bound when votes commit out of order); p50/p99/max over every tally every client received. **Lost**: a client whose last tally is not the final total 5 s after the last vote. **Out of order**: a tally whose `data.version` (or, without one, `total`) is lower than one the client showed before; tallies the client's `seq` says it has already passed are ignored as the browser does (counted as stale). **Seq gaps** are counted (the browser would resubscribe; the tool keeps reading).")
	p("- **Memory per idle connection**: VmRSS of the server processes with every client subscribed and idle for 2 s, minus VmRSS before the first client, over the clients. RSS includes heap the Go collector has not collected or returned yet, so the figure moves with when the last collection ran. **Deliveries per CPU-second**: tally messages received by all clients during the voting window (until every client had the final total) over the user+system CPU time of the server processes in that window (from /proc), which includes taking the votes.")
	p("- **S3 pages** are fetched once before they are measured: the page must answer 200 and show the loaded discussion's count (`data-comments-count`), and the comments on it are counted (`id=\"komentarz-…\"`); the API's answer must list threads. The in-memory baseline serves the hot page's bytes exactly as lawka sent them to the driver's request (same Content-Type and Content-Encoding) from a Fiber route in its own process. **CPU per view** is the server's (or PostgreSQL's) CPU time during the measurement over the answers. The load tool is this repository's own driver (the one S1 uses), not a library such as vegeta: it adds nothing to go.mod, costs little CPU on a machine it shares with the server, and times open-loop requests from their scheduled moment, so a server that falls behind shows it.")
	p("- **S3 and S4** run on a database of their own, created again after S1 and S2 (every `lawka serve` keeps reconciling the open polls those leave behind with Redis, which would be measured with the pages), with the private Redis emptied. S4 runs after S3 on the same data; its posts are new root comments on the hot proposal, so the hot page's first page of threads stays the same.")
	p("- **CPU columns** are percentages of one core over the window (100 %% = one core busy), from /proc: the servers under test, PostgreSQL (its shared processes and the backends of the bench database), the private Redis, the load tool, and \"others\" (everything else the machine did: other people's builds and tests); \"machine\" is the share of all cores. A measurement during which others took more than %.0f %% of a core is repeated (up to three times for S1 steps and the burst, twice for S2 runs) and the least disturbed attempt is kept.", r.OthersMax)
	return w.String()
}

func (r *Report) writeS1(p func(string, ...any)) {
	s := r.S1
	p("## S1: vote burst")
	p("")
	p("Open-loop steps of %s each against one `lawka serve` over %d keep-alive connections (`POST /api/v1/polls/{id}/votes`); a step passes with no errors, p99 acknowledgement ≤ %s and exact counts. A failing step is measured again and counts as failed only if it fails again; steps go up until two fail in a row, then bisect.",
		s.StepDur, s.Conns, ms(s.AckP99))
	p("")
	p("### lawka serve")
	p("")
	stepTable(p, s.Lawka.Steps, true)
	p("### Baseline: no-op Fiber route (same driver)")
	p("")
	stepTable(p, s.Noop.Steps, false)
	if bu := s.Burst; bu != nil {
		p("### Burst: %s votes at once", num(float64(bu.N)))
		p("")
		p("%s connections, opened beforehand and idle (a room of phones on the poll page), each sends one vote at the same moment.", num(float64(bu.N)))
		p("")
		p("| first vote sent → last acknowledged | acknowledged (201) | errors | p50 | p99 | max | API total | ballots in PostgreSQL | exact | lawka CPU | PostgreSQL CPU | others | machine |")
		p("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", ms(bu.Absorb), num(float64(bu.Stats.OK)), errorList(bu.Stats.Errors),
			ms(bu.Stats.P50), ms(bu.Stats.P99), ms(bu.Stats.Max), num(float64(bu.Counts.API)), num(float64(bu.Counts.DB)), yes(bu.Counts.Exact()),
			pctCore(bu.CPU, bu.CPU.Servers), pctCore(bu.CPU, bu.CPU.Postgres), pctCore(bu.CPU, bu.CPU.MachineOthers), machineBusy(bu.CPU))
		if bu.Attempts > 1 {
			p("")
			p("The least disturbed of %d attempts (other work on the machine disturbed the others).", bu.Attempts)
		}
		p("")
	}
	if rc := s.Raw; rc != nil {
		p("### Raw ballot ceiling")
		p("")
		p("%s ballots (a `ballots` row with a random receipt plus its `ballot_choices` row, as the server writes them) inserted by %d connections, %d per statement, each statement its own durable transaction: **%s ballots/s** (%s; %s counted afterwards). PostgreSQL used %s of a core, the machine was %s busy.",
			num(float64(rc.Ballots)), rc.Workers, rc.Batch, num(rc.Rate), rc.Elapsed.Round(time.Millisecond), num(float64(rc.Counted)),
			pctCore(rc.CPU, rc.CPU.Postgres), machineBusy(rc.CPU))
		p("")
	}
	if rb := s.Redis; rb != nil {
		p("### Context: redis-benchmark")
		p("")
		if rb.Err != "" {
			p("`%s` failed: %s", rb.Command, rb.Err)
		} else {
			p("`%s`: **%s requests/s**, p50 %.3f ms.", rb.Command, num(rb.RPS), rb.P50)
		}
		p("")
	}
	if pr := s.Profile; pr != nil {
		p("### Where the time went at %s votes/s (%s)", num(pr.Rate), pr.Duration)
		p("")
		p("Votes at the first failing rate, once more, while the tool watched: votes were acknowledged at %s/s, p50 %s, p99 %s, %s.",
			num(pr.Stats.Rate), ms(pr.Stats.P50), ms(pr.Stats.P99), errorList(pr.Stats.Errors))
		p("")
		if len(pr.Waits) > 0 {
			p("What lawka's PostgreSQL connections were doing (`pg_stat_activity`, sampled every 10 ms, %s observations):", num(float64(pr.Samples)))
			p("")
			perfTable(p, "state or wait event", pr.Waits)
		}
		if pr.Err != "" {
			p("perf: %s", pr.Err)
			p("")
		}
		if len(pr.ByComm) > 0 {
			p("perf over the whole machine (499 samples per second per core):")
			p("")
			perfTable(p, "process", pr.ByComm)
			perfTable(p, "function in lawka serve (share of its samples; [k] kernel)", pr.ByLawka)
			perfTable(p, "function in PostgreSQL (share of its samples; [k] kernel)", pr.ByPG)
		}
	}
}

// result says how a step went, for a table's last column.
func (st Step) result() string {
	result := "pass"
	if !st.Pass {
		result = "fail: " + st.Why
	}
	if st.Attempts > 1 {
		result += fmt.Sprintf(" (least disturbed of %d attempts)", st.Attempts)
	}
	if st.Note != "" {
		result += "; " + st.Note
	}
	return result
}

func perfTable(p func(string, ...any), what string, lines []PerfLine) {
	if len(lines) == 0 {
		return
	}
	p("| share | %s |", what)
	p("|---|---|")
	for _, l := range lines {
		p("| %.1f %% | `%s` |", l.Percent, strings.ReplaceAll(l.What, "|", "\\|"))
	}
	p("")
}

func stepTable(p func(string, ...any), steps []Step, counts bool) {
	if counts {
		p("| target/s | answered/s | p50 | p99 | max | errors | exact counts | DB pool wait per vote | lawka CPU | PostgreSQL CPU | Redis CPU | tool CPU | others | machine | result |")
		p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	} else {
		p("| target/s | answered/s | p50 | p99 | max | errors | server CPU | tool CPU | others | machine | result |")
		p("|---|---|---|---|---|---|---|---|---|---|---|")
	}
	for _, st := range steps {
		result := st.result()
		if counts {
			exact := "—"
			if st.Counts != nil {
				exact = yes(st.Counts.Exact())
				if !st.Counts.Exact() {
					exact += fmt.Sprintf(" (acked %d, API %d, DB %d)", st.Counts.Acked, st.Counts.API, st.Counts.DB)
				}
			}
			wait := "—"
			if st.PoolAcquires > 0 && st.Stats.Sent > 0 {
				wait = ms(time.Duration(st.PoolWait / float64(st.Stats.Sent) * 1e9))
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", num(st.Rate), num(st.Stats.Rate), ms(st.Stats.P50), ms(st.Stats.P99),
				ms(st.Stats.Max), num(float64(st.Stats.ErrorCount())), exact, wait, pctCore(st.CPU, st.CPU.Servers), pctCore(st.CPU, st.CPU.Postgres),
				pctCore(st.CPU, st.CPU.Redis), pctCore(st.CPU, st.CPU.Tool), pctCore(st.CPU, st.CPU.MachineOthers), machineBusy(st.CPU), result)
		} else {
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", num(st.Rate), num(st.Stats.Rate), ms(st.Stats.P50), ms(st.Stats.P99),
				ms(st.Stats.Max), num(float64(st.Stats.ErrorCount())), pctCore(st.CPU, st.CPU.Servers), pctCore(st.CPU, st.CPU.Tool),
				pctCore(st.CPU, st.CPU.MachineOthers), machineBusy(st.CPU), result)
		}
	}
	p("")
}

func (r *Report) writeS2(p func(string, ...any)) {
	s := r.S2
	p("## S2: fan-out")
	p("")
	p("Clients subscribe to one poll (`{\"type\":\"subscribe\",\"rooms\":[\"poll:N\"]}`), then votes arrive at %s/s for %s, alternating between the servers. lawka runs as two instances sharing PostgreSQL and Redis, clients split evenly; the minimal hub is one process. The 0-client run measures what taking the votes alone costs.",
		num(s.Rate), s.Dur)
	p("")
	p("| system | clients | connected (time) | votes/s (ack p99) | tallies delivered | latency p50 | p99 | max | lost | out of order | stale | seq gaps | per idle conn | server CPU | deliveries per CPU-s | beyond taking votes | machine |")
	p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	row := func(name string, runs []FanoutRun) {
		var base *FanoutRun
		for i := range runs {
			if runs[i].Clients == 0 {
				base = &runs[i]
			}
		}
		for _, run := range runs {
			conn := fmt.Sprintf("%s (%s)", num(float64(run.Connected)), run.ConnectTime.Round(100*time.Millisecond))
			kb, beyond := "—", "—"
			if run.Connected > 0 {
				kb = fmt.Sprintf("%.1f KB", run.PerConnKB)
			}
			if base != nil && run.Clients > 0 && run.CPU.Servers > base.CPU.Servers {
				// The voting window can differ slightly in length; scale the base to it.
				baseCPU := base.CPU.Servers * run.CPU.Wall.Seconds() / base.CPU.Wall.Seconds()
				if run.CPU.Servers > baseCPU {
					beyond = num(float64(run.Deliveries) / (run.CPU.Servers - baseCPU))
				}
			}
			lat50, lat99, latMax := ms(run.P50), ms(run.P99), ms(run.Max)
			if run.Clients == 0 {
				lat50, lat99, latMax = "—", "—", "—"
			}
			votes := fmt.Sprintf("%s (%s)", num(run.Votes.Rate), ms(run.Votes.P99))
			if n := run.Votes.ErrorCount(); n > 0 {
				votes += fmt.Sprintf(", %s errors", num(float64(n)))
			}
			if !run.Counts.Exact() {
				votes += fmt.Sprintf(", counts differ (acked %d, API %d, DB %d)", run.Counts.Acked, run.Counts.API, run.Counts.DB)
			}
			per := "—"
			if run.Clients > 0 {
				per = num(run.PerCPUSec)
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |", name, num(float64(run.Clients)), conn, votes,
				num(float64(run.Deliveries)), lat50, lat99, latMax, run.Lost, run.OutOfOrder, num(float64(run.Stale)), num(float64(run.Gaps)), kb,
				pctCore(run.CPU, run.CPU.Servers), per, beyond, machineBusy(run.CPU))
		}
	}
	row("lawka ×2", s.Lawka)
	row("minimal hub", s.Hub)
	p("")
	for _, run := range append(append([]FanoutRun{}, s.Lawka...), s.Hub...) {
		var notes []string
		if len(run.ConnectFails) > 0 {
			notes = append(notes, "connect failures: "+strings.Join(counted(run.ConnectFails), "; "))
		}
		if run.Disconnected > 0 {
			notes = append(notes, fmt.Sprintf("%d clients disconnected: %s", run.Disconnected, run.DisconnectErr))
		}
		if run.Unmatched > 0 {
			notes = append(notes, fmt.Sprintf("%d tallies arrived before the send time of the vote of their total was recorded (not in the latency figures)", run.Unmatched))
		}
		if run.SlowDrops > 0 {
			notes = append(notes, fmt.Sprintf("the servers closed %s sockets as too slow (lawka_websocket_slow_drops_total)", num(run.SlowDrops)))
		}
		if run.Attempts > 1 {
			notes = append(notes, fmt.Sprintf("the least disturbed of %d attempts", run.Attempts))
		}
		if run.Clients > 0 && !run.Settled {
			notes = append(notes, fmt.Sprintf("not every client had the final total %s after the last vote", ms(run.Settle)))
		}
		if len(notes) > 0 {
			p("- %s, %s clients: %s.", run.System, num(float64(run.Clients)), strings.Join(notes, "; "))
		}
	}
	p("")
	for _, run := range s.Lawka {
		if len(run.Profile) == 0 && run.ProfileErr == "" {
			continue
		}
		p("Where the two lawka serve processes spent their CPU with %s clients while votes arrived (perf, 4 s, share of their samples; [k] kernel):", num(float64(run.Clients)))
		p("")
		if run.ProfileErr != "" {
			p("perf: %s", run.ProfileErr)
			p("")
		}
		perfTable(p, "binary", run.ProfileDSO)
		perfTable(p, "function", run.Profile)
	}
	p("CPU use per run (share of one core during the voting window):")
	p("")
	p("| system | clients | servers | PostgreSQL (bench) | Redis | load tool | other processes | machine |")
	p("|---|---|---|---|---|---|---|---|")
	for _, run := range append(append([]FanoutRun{}, s.Lawka...), s.Hub...) {
		u := run.CPU
		p("| %s | %s | %s | %s | %s | %s | %s | %s |", run.System, num(float64(run.Clients)), pctCore(u, u.Servers), pctCore(u, u.Postgres),
			pctCore(u, u.Redis), pctCore(u, u.Tool), pctCore(u, u.MachineOthers), machineBusy(u))
	}
	p("")
}
