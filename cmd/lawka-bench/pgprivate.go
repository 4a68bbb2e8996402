package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// privatePG is a PostgreSQL server of the tool's own (initdb into the work directory, a
// free port), which the reliability suite may stop and start without disturbing anyone
// else's database on the machine.
type privatePG struct {
	bin, dir, sock string
	port           int
	cred           *syscall.Credential // the postgres user's, when the tool runs as root
	proc           *child
	logPath        string
}

// pgBinDir finds initdb and postgres: pg_config's bindir, else the highest
// /usr/lib/postgresql/<version>/bin (Debian's layout).
func pgBinDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := string(trimNL(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(found, func(a, b string) int { return versionOf(b) - versionOf(a) })
	if len(found) == 0 {
		return "", errors.New("initdb not found (apt-get install postgresql)")
	}
	return filepath.Dir(found[0]), nil
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func versionOf(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// startPrivatePG makes a fresh cluster under dir and starts it.
func startPrivatePG(ctx context.Context, dir string) (*privatePG, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	_ = os.RemoveAll(abs)
	p := &privatePG{bin: bin, dir: filepath.Join(abs, "data"), sock: filepath.Join(abs, "sock"), logPath: filepath.Join(abs, "postgres.log")}
	for _, d := range []string{p.dir, p.sock} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	if os.Getuid() == 0 { // initdb refuses root: the cluster belongs to the postgres user
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("running as root but there is no postgres user to own the private cluster")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		for _, d := range []string{abs, p.dir, p.sock} {
			if err := os.Chown(d, uid, gid); err != nil {
				return nil, err
			}
		}
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", p.dir, "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C.UTF-8")
	initdb.Dir = "/"
	initdb.Env = childEnv()
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w: %s", err, clip(out, 500))
	}
	if p.port, err = freePort(); err != nil {
		return nil, err
	}
	return p, p.start(ctx)
}

// URL is the connection URL of database db.
func (p *privatePG) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

// start runs the postmaster and waits until it takes connections.
func (p *privatePG) start(ctx context.Context) error {
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(p.bin, "postgres"), "-D", p.dir, "-p", strconv.Itoa(p.port), "-k", p.sock,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "fsync=on", "-c", "synchronous_commit=on")
	cmd.Dir = "/"
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	// Go sets the parent-death signal after switching user, so the cluster dies with the tool.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	c := &child{name: "postgres", cmd: cmd, log: p.logPath, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	p.proc = c
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, p.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		if c.exited() || time.Now().After(deadline) {
			return fmt.Errorf("the private PostgreSQL did not start: %v\n%s", err, c.tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopFast shuts the server down as an operator would (SIGINT: fast shutdown, open
// transactions rolled back) and waits until it has gone.
func (p *privatePG) stopFast() {
	if p.proc == nil || p.proc.exited() {
		return
	}
	_ = p.proc.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.proc.done:
	case <-time.After(30 * time.Second):
		_ = p.proc.cmd.Process.Kill()
		<-p.proc.done
	}
}

// remove stops the server and deletes its files.
func (p *privatePG) remove() {
	p.stopFast()
	_ = os.RemoveAll(filepath.Dir(p.dir))
}
