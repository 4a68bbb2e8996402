package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// s3Rows are S3's lines of the summary.
func (r *Report) s3Rows() []summaryRow {
	s := r.S3
	if s == nil || s.Hot.Max == nil {
		return nil
	}
	var rows []summaryRow
	hot, mem := s.Hot.MaxRate(), s.Memory.MaxRate()
	ok := mem > 0 && hot >= s.RatioMin*mem
	rows = append(rows, summaryRow{what: fmt.Sprintf("S3 %s, views/s with %d connections busy", s.Hot.Name, s.Conns),
		figure: num(hot) + " views/s", baseline: fmt.Sprintf("the same %s bytes from memory (Fiber): %s/s", num(float64(s.Hot.Bytes)), num(mem)),
		ratio: ratio(hot, mem), target: fmt.Sprintf("≥ %.1f×", s.RatioMin), met: yes(ok), miss: cond(!ok, s3Why(s))})
	top := slices.Max(s.Rates)
	st, memSt := s.Hot.StepAt(top), s.Memory.StepAt(top)
	if st != nil {
		figure, base := "p99 "+ms(st.Stats.P99), "—"
		if st.Stats.N == 0 {
			figure = "not run"
		}
		if memSt != nil && memSt.Stats.N > 0 {
			base = "from memory: p99 " + ms(memSt.Stats.P99)
		}
		ok := st.Pass
		why := fmt.Sprintf("At %s views/s: %s.", num(top), st.Why)
		if st.Stats.N > 0 {
			why += " " + cpuSentence(st.CPU, "lawka serve") + "."
		}
		rows = append(rows, summaryRow{what: fmt.Sprintf("S3 hot page at %s views/s, p99 and no errors", num(top)), figure: figure,
			baseline: base, ratio: "—", target: "≤ " + ms(s.P99Target), met: yes(ok), miss: cond(!ok, why+" The row above says what a view costs.")})
	}
	if rd := s.Rendered.MaxRate(); rd > 0 {
		rows = append(rows, summaryRow{what: "S3 " + s.Rendered.Name, figure: num(rd) + " views/s",
			baseline: fmt.Sprintf("from memory: %s/s", num(mem)), ratio: ratio(rd, mem), target: "—", met: "—"})
		hot = rd // the rows below compare rendering
	}
	if pb := s.Pgbench; pb != nil {
		base, rt := "pgbench: "+pb.Err, "—"
		if pb.Err == "" {
			base = fmt.Sprintf("its %d statements under pgbench (%d clients): %s/s", len(pb.Statements), pb.Clients, num(pb.TPS))
			rt = ratio(hot, pb.TPS)
		}
		rows = append(rows, summaryRow{what: "S3 hot page rendered, against the database ceiling for this page", figure: num(hot) + " views/s",
			baseline: base, ratio: rt, target: "—", met: "—"})
	}
	if s.Plain.Max != nil {
		rows = append(rows, summaryRow{what: fmt.Sprintf("S3 %s against the hot page", s.Plain.Name), figure: num(s.Plain.MaxRate()) + " views/s",
			baseline: fmt.Sprintf("hot page rendered (%s comments): %s/s", num(float64(s.Hot.Shown)), num(hot)), ratio: ratio(s.Plain.MaxRate(), hot),
			target: "—", met: "—"})
	}
	return rows
}

// s3Why explains a missed throughput target with what the run saw.
func s3Why(s *S3Report) string {
	h := s.Hot.Max
	var w strings.Builder
	fmt.Fprintf(&w, "With every connection busy %s. Each view cost lawka serve %.2f ms of CPU and PostgreSQL %.2f ms",
		cpuSentence(h.CPU, "lawka serve"), cpuPer(h.CPU.Servers, h.Stats), cpuPer(h.CPU.Postgres, h.Stats))
	if per := cpuPer(h.CPU.Servers+h.CPU.Postgres, h.Stats); per > 0 {
		fmt.Fprintf(&w, ", so %d cores could serve at most %s views/s with nothing else running", h.CPU.MachineCores,
			num(float64(h.CPU.MachineCores)*1000/per))
	}
	fmt.Fprintf(&w, "; the in-memory server spent %.3f ms per answer. ", cpuPer(s.Memory.Max.CPU.Servers, s.Memory.Max.Stats))
	if rd := s.Rendered.Max; rd != nil {
		fmt.Fprintf(&w, "Rendered for every view (page cache off) the page cost lawka serve %.2f ms of CPU and PostgreSQL %.2f ms. ",
			cpuPer(rd.CPU.Servers, rd.Stats), cpuPer(rd.CPU.Postgres, rd.Stats))
		h = rd
	}
	fmt.Fprintf(&w, "The page is %s bytes of HTML holding %d comments", num(float64(s.Hot.PlainBytes)), s.Hot.Rendered)
	if p := s.Plain.Max; p != nil && s.Hot.Rendered > s.Plain.Rendered && s.Plain.Encoding == s.Hot.Encoding {
		fmt.Fprintf(&w, " (the plain page, %d comments, cost lawka %.2f ms: about %.3f ms more for each further comment on the page)", s.Plain.Rendered,
			cpuPer(p.CPU.Servers, p.Stats), (cpuPer(h.CPU.Servers, h.Stats)-cpuPer(p.CPU.Servers, p.Stats))/float64(s.Hot.Rendered-s.Plain.Rendered))
	}
	if s.Hot.Encoding != "" {
		fmt.Fprintf(&w, ", sent as %s bytes of %s", num(float64(s.Hot.Bytes)), s.Hot.Encoding)
		if p := s.HotPlain.Max; p != nil {
			fmt.Fprintf(&w, "; without compression lawka served %s views/s at %.2f ms of its CPU each, so compressing every view costs about %.2f ms",
				num(p.Stats.Rate), cpuPer(p.CPU.Servers, p.Stats), cpuPer(h.CPU.Servers, h.Stats)-cpuPer(p.CPU.Servers, p.Stats))
		}
	}
	w.WriteString(".")
	if pb := s.Pgbench; pb != nil && pb.Err == "" {
		fmt.Fprintf(&w, " The page's %d statements replayed by pgbench ran %s times/s (%d clients)", len(pb.Statements), num(pb.TPS), pb.Clients)
		var repeats []string
		for i, st := range pb.Statements {
			if st.Repeat > 0 {
				repeats = append(repeats, fmt.Sprintf("%d repeats %d", i+1, st.Repeat))
			}
		}
		if len(repeats) > 0 {
			fmt.Fprintf(&w, "; %d of them repeat an earlier statement of the same view word for word (%s)", len(repeats), strings.Join(repeats, ", "))
		}
		w.WriteString(" (see the statements below).")
	}
	if len(s.Profile) > 0 {
		fmt.Fprintf(&w, " Hottest in lawka serve on this page (perf, share of its samples): %s.", top(s.Profile, 6, true))
	}
	return w.String()
}

// s4Rows are S4's lines of the summary.
func (r *Report) s4Rows() []summaryRow {
	s := r.S4
	if s == nil || s.Lawka == nil {
		return nil
	}
	l := s.Lawka
	var rawP99, rawAck float64
	if s.Raw != nil {
		rawP99, rawAck = float64(s.Raw.P99), float64(s.Raw.Posts.P99)
	}
	what := fmt.Sprintf("S4 post-to-websocket p99: %s watchers on two instances, %s comments/s, %s page views/s", num(float64(l.Connected)),
		num(s.Rate), num(s.ReadRate))
	ok := l.P99 > 0 && l.P99 <= s.P99Target && l.Connected == l.Watchers && l.Posts.ErrorCount() == 0
	rows := []summaryRow{{what: what, figure: ms(l.P99), baseline: "insert + publish: " + ms(time.Duration(rawP99)), ratio: ratio(float64(l.P99), rawP99),
		target: "≤ " + ms(s.P99Target), met: yes(ok), miss: cond(!ok, s4Why(s))}}
	ok = l.Lost == 0 && l.Deliveries > 0
	rows = append(rows, summaryRow{what: "S4 comment messages lost", figure: fmt.Sprintf("%s lost of %s", num(float64(l.Lost)), num(float64(l.Lost+l.Deliveries))),
		baseline: "—", ratio: "—", target: "0", met: yes(ok), miss: cond(!ok, s4Why(s))})
	rows = append(rows, summaryRow{what: "S4 post acknowledgement p99 (context)", figure: ms(l.Posts.P99), baseline: "insert + commit: " + ms(time.Duration(rawAck)),
		ratio: ratio(float64(l.Posts.P99), rawAck), target: "—", met: "—"})
	return rows
}

func s4Why(s *S4Report) string {
	l := s.Lawka
	w := ""
	if s.ReadRate < s.ReadAsked {
		w = fmt.Sprintf("The hot page was viewed %s times/s, not the %s asked for: it took at most %s views/s (%s). ", num(s.ReadRate), num(s.ReadAsked),
			num(s.ReadMost), s.ReadMostFrom)
	}
	w += fmt.Sprintf("While comments were posted %s. Posts were acknowledged with p50 %s, p99 %s (%s); page views ran at %s/s with p99 %s (%s).",
		cpuSentence(l.CPU, "the two lawka serve processes"), ms(l.Posts.P50), ms(l.Posts.P99), errorList(l.Posts.Errors), num(l.Reads.Rate),
		ms(l.Reads.P99), errorList(l.Reads.Errors))
	if len(l.Waits) > 0 {
		w += fmt.Sprintf(" lawka's PostgreSQL connections while comments were posted (pg_stat_activity every 10 ms, %s observations): %s.",
			num(float64(l.Samples)), top(l.Waits, 5, false))
	}
	if l.PoolAcquires > 0 {
		w += fmt.Sprintf(" Requests waited %s on average for a connection from lawka's pools (lawka_db_pool_acquire_wait_seconds_total over %s acquisitions).",
			ms(time.Duration(l.PoolWait/l.PoolAcquires*1e9)), num(l.PoolAcquires))
	}
	if l.Connected < l.Watchers {
		w += fmt.Sprintf(" Only %d of %d watchers connected.", l.Connected, l.Watchers)
	}
	if l.Lost > 0 {
		w += fmt.Sprintf(" %s watchers missed at least one message; %d disconnected (%s); %d seq gaps.", num(float64(l.LostClients)), l.Disconnected,
			l.DisconnectErr, l.Gaps)
	}
	if l.P99 > 0 && l.Posts.P99 > 0 {
		w += fmt.Sprintf(" A comment is published once its transaction has committed, just before the answer: from the answer being read to the message reaching a client took p50 %s, p99 %s, so posting itself (p99 %s) is most of the %s.",
			ms(l.AfterAck50), ms(l.AfterAck99), ms(l.Posts.P99), ms(l.P99))
		if r := s.Raw; r != nil && r.Posts.P99 > 0 {
			w += fmt.Sprintf(" Inserting the same comment with its counts and committing took p99 %s under the same page views, so the rest of posting (signing in by token, the checks, the rate limit, the notifications of the proposal's followers, HTTP) costs the difference.",
				ms(r.Posts.P99))
		}
	}
	return w
}

func (r *Report) writeS3(p func(string, ...any)) {
	s := r.S3
	d := s.Data
	p("## S3: read-heavy pages")
	p("")
	if d != nil {
		p("**Data**, loaded straight into the run's database after `lawka migrate` and `lawka seed` (reference data) in %s: %s published proposals over %d districts, %s comments in threads (a quarter of them roots; replies up to the deepest level, spread unevenly so a few threads draw most of them; about 1 in 100 deleted), %s comment votes and %s supports from %s accounts. Hot proposal %d has %s comments (%s visible), plain proposal %d has %s. Checked after loading: %s; then `VACUUM ANALYZE`.",
			d.Load.Round(100*time.Millisecond), num(float64(d.Proposals)), d.Districts, num(float64(d.Comments)), num(float64(d.Votes)),
			num(float64(d.Supports)), num(float64(d.Users)), d.Hot, num(float64(d.HotComments)), num(float64(d.HotVisible)), d.Plain,
			num(float64(d.PlainComments)), d.Checked)
		p("")
	}
	enc := "no Accept-Encoding"
	if s.Encoding != "" {
		enc = "`Accept-Encoding: " + s.Encoding + "`"
	}
	p("Anonymous visitors (no cookie) with a browser's headers (`Accept-Language: pl`, %s) against one `lawka serve`, over %d keep-alive connections. **Most** keeps every connection busy for %s (each sends its next request when the answer is in) and reports answers per second, with latency from sending to the whole answer; **fixed rates** are open-loop steps of %s with latency from the scheduled moment, passing with no errors and p99 ≤ %s. A rate far above the page's most (more than 1.5×) is not run: it is reported as failed. Signed-out visitors get the hot page from the page cache (`LAWKA_PAGE_CACHE_TTL`, 1 s: rendered at most once a second, compressed once); the rendered rows come from a second `lawka serve` with the cache off, which renders every view as it does for signed-in readers.",
		enc, s.Conns, s.StepDur, s.StepDur, ms(s.P99Target))
	p("")
	p("| page | answer as served | uncompressed | comments shown / on the page | most views/s | p50 | p99 | errors | lawka CPU per view | PostgreSQL CPU per view | lawka CPU | PostgreSQL CPU | others | machine |")
	p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, pr := range []PageRun{s.Hot, s.Rendered, s.HotPlain, s.Plain, s.API, s.Memory} {
		if pr.Max == nil {
			continue
		}
		st := pr.Max
		served := num(float64(pr.Bytes)) + " B"
		if pr.Encoding != "" {
			served += " (" + pr.Encoding + ")"
		}
		uncompressed := "—"
		if pr.PlainBytes > 0 {
			uncompressed = num(float64(pr.PlainBytes)) + " B"
		}
		shown := "—"
		if pr.Shown > 0 {
			shown = fmt.Sprintf("%s / %s", num(float64(pr.Shown)), num(float64(pr.Rendered)))
		}
		if pr.Path == s.API.Path {
			shown = fmt.Sprintf("%d threads / %s comments", pr.Shown, num(float64(pr.Rendered)))
		}
		name := fmt.Sprintf("%s `%s`", pr.Name, pr.Path)
		if pr.Name == s.Memory.Name {
			name = "baseline: " + pr.Name + " (Fiber, no database)"
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %.2f ms | %.2f ms | %s | %s | %s | %s |", name, served, uncompressed, shown, num(st.Stats.Rate),
			ms(st.Stats.P50), ms(st.Stats.P99), num(float64(st.Stats.ErrorCount())), cpuPer(st.CPU.Servers, st.Stats), cpuPer(st.CPU.Postgres, st.Stats),
			pctCore(st.CPU, st.CPU.Servers), pctCore(st.CPU, st.CPU.Postgres), pctCore(st.CPU, st.CPU.MachineOthers), machineBusy(st.CPU))
	}
	p("")
	p("### The hot page at fixed rates")
	p("")
	p("| page | target/s | answered/s | p50 | p99 | max | errors | lawka CPU | PostgreSQL CPU | tool CPU | others | machine | result |")
	p("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, pr := range []PageRun{s.Hot, s.Memory} {
		for _, st := range pr.Steps {
			name := "lawka"
			if pr.Name == s.Memory.Name {
				name = "from memory"
			}
			if st.Stats.N == 0 {
				p("| %s | %s | — | — | — | — | — | — | — | — | — | — | fail: %s |", name, num(st.Rate), st.Why)
				continue
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", name, num(st.Rate), num(st.Stats.Rate), ms(st.Stats.P50),
				ms(st.Stats.P99), ms(st.Stats.Max), num(float64(st.Stats.ErrorCount())), pctCore(st.CPU, st.CPU.Servers), pctCore(st.CPU, st.CPU.Postgres),
				pctCore(st.CPU, st.CPU.Tool), pctCore(st.CPU, st.CPU.MachineOthers), machineBusy(st.CPU), st.result())
		}
	}
	p("")
	p("### The page's SQL: the database ceiling")
	p("")
	if s.CaptureErr != "" {
		p("The page's SQL could not be captured: %s", s.CaptureErr)
		p("")
	}
	if pb := s.Pgbench; pb != nil && len(pb.Statements) > 0 {
		p("A separate `lawka serve` reached PostgreSQL through a recording proxy in this tool (it reads the wire protocol: each statement's SQL from Parse, its values from Bind), so the statements below are the ones the server ran for one view of the hot page, with its values, as captured (%d of %d recorded views identical). Each was then replayed alone, prepared, 21 times on one connection (median).",
			s.Agreeing, s.Captures)
		p("")
		p("| # | statement | rows | median | repeats |")
		p("|---|---|---|---|---|")
		var sum time.Duration
		for i, st := range pb.Statements {
			rep := "—"
			if st.Repeat > 0 {
				rep = fmt.Sprintf("#%d", st.Repeat)
			}
			sum += st.Median
			p("| %d | `%s` | %d | %s | %s |", i+1, strings.ReplaceAll(string(clip([]byte(st.Replay()), 160)), "|", "\\|"), st.Rows, ms(st.Median), rep)
		}
		p("| | all, one after another | | %s | |", ms(sum))
		p("")
		p("<details><summary>The pgbench script (the statements in full)</summary>")
		p("")
		p("```sql")
		for _, st := range pb.Statements {
			p("%s", st.Replay())
		}
		p("```")
		p("")
		p("</details>")
		p("")
		if pb.Err != "" {
			p("pgbench: %s", pb.Err)
		} else {
			p("The %d statements as one pgbench transaction (`%s`; the script is `%s`): **%s page views' SQL per second**, %.2f ms per view on average; PostgreSQL used %s of a core, the machine was %s busy. The server reads through a pool of 8 connections, hence %d clients.",
				len(pb.Statements), pb.Command, pb.Script, num(pb.TPS), pb.Latency, pctCore(pb.CPU, pb.CPU.Postgres), machineBusy(pb.CPU), pb.Clients)
		}
		p("")
	}
	if s.ProfileErr != "" || len(s.Profile) > 0 {
		p("Where lawka serve spent its CPU on the hot page with every connection busy (perf, 3 s, share of its samples; [k] kernel):")
		p("")
		if s.ProfileErr != "" {
			p("perf: %s", s.ProfileErr)
			p("")
		}
		perfTable(p, "binary", s.ProfileDSO)
		perfTable(p, "function", s.Profile)
	}
}

func (r *Report) writeS4(p func(string, ...any)) {
	s := r.S4
	p("## S4: comments posted under read load")
	p("")
	if s.ReadRate < s.ReadAsked {
		p("**Page views**: %s/s were asked for, but the hot page took at most %s views/s (%s), so S4 reads it at half that, %s/s: more would only queue in front of the posts and measure the queue.",
			num(s.ReadAsked), num(s.ReadMost), s.ReadMostFrom, num(s.ReadRate))
		p("")
	}
	p("Two `lawka serve` instances share PostgreSQL and Redis. %s websocket clients, alternating between them, subscribe to the hot proposal's room (`proposal:%d`) and wait for its snapshot; then the hot page is viewed %s times/s (alternating) while %s signed-in accounts (bearer tokens, each from its own address, as the limit is 10 comments a minute per account) post %s comments/s for %s through `POST /api/v1/proposals/%d/comments`, alternating between the instances. Each comment's text carries its number; the latency of a delivery is the moment its `comment.created` message reached a client minus the moment the post was sent, over every (post, client) pair. **Lost**: a post answered 201 whose message a client never received (waiting up to 5 s after the last post).",
		num(float64(s.Watchers)), s.Hot, num(s.ReadRate), num(float64(s.Posters)), num(s.Rate), s.Dur, s.Hot)
	p("")
	p("**Baseline (insert + publish)**: the least any design pays to tell a viewer of a new comment, measured in the same run under the same page views: this tool inserts each comment with its counts in one durable transaction (the comment row and the `comment_stats` upsert, as the comment feature's transaction does), then publishes a message shaped like `comment.created` on the private Redis, where one subscriber in this tool receives it — no HTTP, no checks, no websockets. Its \"post acknowledgement\" is the transaction's commit.")
	p("")
	p("| system | posts/s | ack p50 | ack p99 | post errors | clients | deliveries | latency p50 | p99 | max | after the ack p50 / p99 | lost | duplicates | seq gaps | page views/s (p99, errors) | servers CPU | PostgreSQL CPU | Redis CPU | tool CPU | others | machine |")
	p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, run := range []*PostRun{s.Lawka, s.Raw} {
		if run == nil {
			continue
		}
		u := run.CPU
		clients := fmt.Sprintf("%d of %d", run.Connected, run.Watchers)
		views := fmt.Sprintf("%s (%s, %s)", num(run.Reads.Rate), ms(run.Reads.P99), num(float64(run.Reads.ErrorCount())))
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |", run.System, num(run.Posts.Rate),
			ms(run.Posts.P50), ms(run.Posts.P99), errorList(run.Posts.Errors), clients, num(float64(run.Deliveries)), ms(run.P50), ms(run.P99), ms(run.Max),
			ms(run.AfterAck50), ms(run.AfterAck99), num(float64(run.Lost)), run.Duplicates, run.Gaps, views, pctCore(u, u.Servers), pctCore(u, u.Postgres), pctCore(u, u.Redis),
			pctCore(u, u.Tool), pctCore(u, u.MachineOthers), machineBusy(u))
	}
	p("")
	for _, run := range []*PostRun{s.Lawka, s.Raw} {
		if run == nil {
			continue
		}
		notes := clientNotes(run.ConnectFails, run.Disconnected, run.DisconnectErr)
		if run.Unknown > 0 {
			notes = append(notes, fmt.Sprintf("%d comment messages were not this run's posts", run.Unknown))
		}
		if !run.Settled {
			notes = append(notes, fmt.Sprintf("not every client had every message %s after the last post", ms(run.Settle)))
		}
		if run.Attempts > 1 {
			notes = append(notes, fmt.Sprintf("the least disturbed of %d attempts", run.Attempts))
		}
		if run.PoolAcquires > 0 {
			notes = append(notes, fmt.Sprintf("lawka's PostgreSQL pools handed out %s connections meanwhile (page views and posts), which waited %s on average for one (lawka_db_pool_acquire_wait_seconds_total)",
				num(run.PoolAcquires), ms(time.Duration(run.PoolWait/run.PoolAcquires*1e9))))
		}
		if len(notes) > 0 {
			p("- %s: %s.", run.System, strings.Join(notes, "; "))
		}
	}
	p("")
	if l := s.Lawka; l != nil && len(l.Waits) > 0 {
		p("What lawka's PostgreSQL connections were doing while comments were posted (`pg_stat_activity` every 10 ms, %s observations):", num(float64(l.Samples)))
		p("")
		perfTable(p, "state or wait event", l.Waits)
	}
}

// clientNotes are a run's websocket clients that could not connect or were disconnected.
func clientNotes(fails map[string]int, disconnected int, why string) []string {
	var notes []string
	if len(fails) > 0 {
		notes = append(notes, "connect failures: "+strings.Join(counted(fails), "; "))
	}
	if disconnected > 0 {
		notes = append(notes, fmt.Sprintf("%d clients disconnected: %s", disconnected, why))
	}
	return notes
}
