// Command lawka-bench measures live polls and discussions and writes BENCHMARKS.md: S1,
// how fast votes are acknowledged (rate steps, a burst of 4,092 votes at once, exact
// counts afterwards); S2, how tallies fan out to 1,000–10,000 websocket clients split
// over two instances; S3, how many views a proposal page with a long discussion takes
// (1,000 proposals and 100,000 comments loaded, a hot proposal with 2,000) and its
// latency at fixed rates; S4, how fast a posted comment reaches the websocket clients
// watching it while the page is being read; S5, a live debate: 5,000 phones following
// its state and question board while questions, upvotes and two consoles act, then
// 10,000 phones reconnecting at once to a restarted server. Every figure comes with a raw baseline
// measured in the same run: a no-op Fiber route, redis-benchmark HINCRBY, ballots
// inserted straight into PostgreSQL, a minimal gorilla/websocket hub, the page's bytes
// served from memory, the page's own SQL (captured through a recording proxy) under
// pgbench, a comment inserted and published on Redis with no server in between, and the
// debate's messages replayed through a bare websocket broadcast.
//
//	lawka-bench run [flags]           the whole benchmark (make bench); needs LAWKA_DATABASE_URL
//	lawka-bench noop-server -addr A   the no-op route (S1 baseline), run by `run` as a child
//	lawka-bench hub-server -addr A    the minimal hub (S2 baseline), run by `run` as a child
//	lawka-bench page-server -addr A -file F   one page's bytes from memory (S3 baseline)
//	lawka-bench bcast-server -addr A  a bare websocket broadcast (S5 baseline)
//
// It never touches the development data: it creates its own database on the same
// PostgreSQL server (lawka_bench_<pid>, dropped afterwards) and starts a private
// redis-server, because Redis pub/sub channels are shared by all database numbers.
// Runs from one checkout take turns (a lock in the work directory).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lawka-bench:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		usage()
		return errors.New("a command is needed")
	}
	switch args[0] {
	case "run":
		return runBench(ctx, args[1:])
	case "noop-server":
		return runNoopServer(ctx, args[1:])
	case "hub-server":
		return runHubServer(ctx, args[1:])
	case "page-server":
		return runPageServer(ctx, args[1:])
	case "bcast-server":
		return runBcastServer(ctx, args[1:])
	case "reliability":
		return runReliability(ctx, args[1:])
	case "-h", "--help", "help":
		usage()
		return nil
	}
	usage()
	return fmt.Errorf("unknown command %q", args[0])
}

func usage() {
	fmt.Fprint(os.Stderr, `Usage:
  lawka-bench run [flags]           run S1–S5 with their baselines and write BENCHMARKS.md
  lawka-bench noop-server -addr A   serve the no-op vote route (the S1 baseline)
  lawka-bench hub-server -addr A    serve the minimal websocket hub (the S2 baseline)
  lawka-bench reliability [flags]   inject faults into real processes, write RELIABILITY.md
  lawka-bench page-server -addr A -file F
                                    serve one page's bytes from memory (the S3 baseline)
  lawka-bench bcast-server -addr A  a bare websocket broadcast (the S5 baseline)

Run "lawka-bench run -h" for the flags.
`)
}
