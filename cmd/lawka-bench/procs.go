package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// child is a process the tool started (a server under test, a baseline, Redis); the
// tool stops exactly these, by pid, and the kernel kills them if the tool dies.
type child struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

func startChild(name, logPath string, env []string, bin string, args ...string) (*child, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop asks the process to end (SIGTERM), then kills it after grace.
func (c *child) stop(grace time.Duration) {
	if c == nil || c.exited() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// tail is the end of the child's log, for error messages.
func (c *child) tail() string {
	raw, _ := os.ReadFile(c.log)
	s := strings.TrimSpace(string(raw))
	if len(s) > 1500 {
		s = "…" + s[len(s)-1500:]
	}
	return s
}

// waitHTTP polls url until it answers 200, the child exits or timeout passes.
func waitHTTP(ctx context.Context, c *child, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if c.exited() {
			return fmt.Errorf("%s exited during start-up (%v); its log:\n%s", c.name, c.err, c.tail())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer %s within %s; its log:\n%s", c.name, url, timeout, c.tail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// childEnv is this process's environment without any LAWKA_* variable, plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LAWKA_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// scrapeMetrics reads a Prometheus text page into "name{labels}" → value (0 values and
// comments skipped); an unreachable page gives an empty map.
func scrapeMetrics(url string) map[string]float64 {
	out := map[string]float64{}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return out
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// metricDelta is after − before for every series of name (summed over labels).
func metricDelta(before, after map[string]float64, name string) float64 {
	sum := 0.0
	for k, v := range after {
		if k == name || strings.HasPrefix(k, name+"{") {
			sum += v - before[k]
		}
	}
	return sum
}
