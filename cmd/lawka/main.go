// Command lawka is the whole platform in one binary: serve, migrate, seed, user, version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	_ "time/tzdata" // dates are shown in Europe/Warsaw even where the OS has no zoneinfo

	"lawka/internal/platform/config"
)

// exitUsage is the exit code for bad commands, flags and configuration.
const exitUsage = 2

type command struct {
	name, summary string
	run           func(ctx context.Context, env *environment, args []string) error
}

var commands = []command{
	{"serve", "serve the web application and API", runServe},
	{"migrate", "apply or inspect database migrations (up, down, status)", runMigrate},
	{"seed", "add the demo data", runSeed},
	{"user", "manage accounts (create)", runUser},
	{"version", "print the version", runVersion},
	{"healthcheck", "check that a local server answers /healthz (for container health checks)", runHealthcheck},
}

// environment is what every command gets: configuration and output streams.
type environment struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	cfg            config.Config
	log            *slog.Logger
}

// usageError makes main print the message and exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

// run runs one command; lookup reads the environment (os.LookupEnv), telling a variable
// set empty from an unset one.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	getenv := func(name string) string {
		v, _ := lookup(name)
		return v
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return 0
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == args[0] {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "lawka: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	env := &environment{stdout: stdout, stderr: stderr, getenv: getenv}
	if cmd.name != "version" {
		cfg, err := config.LoadLookup(lookup)
		if err != nil {
			fmt.Fprintln(stderr, "lawka:", err)
			return exitUsage
		}
		env.cfg = cfg
		env.log = newLogger(stderr, cfg)
	}
	err := cmd.run(ctx, env, args[1:])
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "lawka "+cmd.name+":", ue.msg)
		return exitUsage
	default:
		fmt.Fprintln(stderr, "lawka "+cmd.name+":", err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: lawka <command> [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `lawka <command> --help` for a command's flags. Settings come from LAWKA_* environment variables (see README).")
}

func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.Dev() {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// flags builds a subcommand's flag set that reports errors instead of exiting, so that
// bad flags become exit code 2 with a message, and --help prints usage and exits 0.
func flags(env *environment, name, args string, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet("lawka "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: lawka %s %s\n\n%s\n", name, args, summary)
		var has bool
		fs.VisitAll(func(*flag.Flag) { has = true })
		if has {
			fmt.Fprintln(env.stderr, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses args, mapping a flag error to a usage error (exit 2).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// noArgs refuses stray positional arguments.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usageError{"unexpected arguments: " + strings.Join(fs.Args(), " ")}
	}
	return nil
}

// stringList is a repeatable flag (--role moderator --role admin).
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
