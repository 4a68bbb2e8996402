package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat (100 on Linux).
const clockTicks = 100

// cpuSeconds is the user+system CPU time a process has used so far.
func cpuSeconds(pid int) (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces and parentheses: fields start after the last ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return float64(ut+st) / clockTicks, nil
}

// selfCPU is this process's user+system CPU time, more precise than /proc.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// rssKB is a process's resident set (VmRSS) in KiB.
func rssKB(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}

// commPIDs lists the processes whose command name is comm (e.g. every "postgres").
func commPIDs(comm string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		c, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err == nil && strings.TrimSpace(string(c)) == comm {
			pids = append(pids, pid)
		}
	}
	return pids
}

// postgresPIDs lists the PostgreSQL processes that work for the benchmark: the server's
// shared processes (postmaster, WAL writer, checkpointer, …) and the backends connected
// to db, but not backends serving other databases (other people's tests).
func postgresPIDs(db string) []int {
	var pids []int
	for _, pid := range commPIDs("postgres") {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		if other, ok := backendDB(strings.ReplaceAll(string(raw), "\x00", " ")); !ok || other == db {
			pids = append(pids, pid)
		}
	}
	return pids
}

// backendDB reads the database from a backend's process title,
// "postgres: [cluster: ]user database host(port) state"; ok is false for other processes.
func backendDB(title string) (string, bool) {
	f := strings.Fields(title)
	for i := 2; i < len(f); i++ {
		if f[i] == "[local]" || strings.HasSuffix(f[i], ")") && strings.Contains(f[i], "(") {
			return f[i-1], true
		}
	}
	return "", false
}

// machineCPU is the CPU time the machine has spent working, in seconds summed over all
// cores, from /proc/stat: user, nice, system, irq and softirq. (Idle time is not used:
// a tickless kernel updates it lazily, so a short window can see it jump.)
func machineCPU() float64 {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	busy := 0.0
	for _, i := range []int{1, 2, 3, 6, 7} { // user nice system (idle iowait) irq softirq
		v, _ := strconv.ParseFloat(f[i], 64)
		busy += v / clockTicks
	}
	return busy
}

// CPUMeter attributes CPU time over a window to the parties sharing the machine.
type CPUMeter struct {
	lawka    []int // server processes (lawka serve, or a baseline server)
	redis    int
	db       string
	start    time.Time
	servers  float64
	postgres map[int]float64
	redisCPU float64
	tool     float64
	busy     float64
}

// CPUUse is the CPU time each party used during a window, in seconds.
type CPUUse struct {
	Wall          time.Duration
	Servers       float64 // the measured server processes
	Postgres      float64 // PostgreSQL's shared processes and the backends of the bench database
	Redis         float64 // the bench's redis-server
	Tool          float64 // this load tool
	MachineBusy   float64 // all cores, everything (other users included)
	MachineCores  int
	MachineOthers float64 // busy minus the above: other processes on the machine
}

// StartCPU begins a window; db names the benchmark's database.
func StartCPU(servers []int, redis int, db string) *CPUMeter {
	m := &CPUMeter{lawka: servers, redis: redis, db: db, start: time.Now(), postgres: map[int]float64{}}
	for _, p := range servers {
		c, _ := cpuSeconds(p)
		m.servers += c
	}
	for _, p := range postgresPIDs(db) {
		m.postgres[p], _ = cpuSeconds(p)
	}
	if redis > 0 {
		m.redisCPU, _ = cpuSeconds(redis)
	}
	m.tool = selfCPU()
	m.busy = machineCPU()
	return m
}

// Stop ends the window.
func (m *CPUMeter) Stop() CPUUse {
	u := CPUUse{Wall: time.Since(m.start), MachineCores: runtime.NumCPU()}
	for _, p := range m.lawka {
		c, _ := cpuSeconds(p)
		u.Servers += c
	}
	u.Servers -= m.servers
	for _, p := range postgresPIDs(m.db) {
		c, err := cpuSeconds(p)
		if err == nil {
			u.Postgres += c - m.postgres[p] // a process born in the window started at 0
		}
	}
	if m.redis > 0 {
		c, _ := cpuSeconds(m.redis)
		u.Redis = c - m.redisCPU
	}
	u.Tool = selfCPU() - m.tool
	u.MachineBusy = machineCPU() - m.busy
	u.MachineOthers = max(0, u.MachineBusy-u.Servers-u.Postgres-u.Redis-u.Tool)
	return u
}

// Share is a CPU time as a percentage of one core over the window.
func (u CPUUse) Share(sec float64) float64 {
	if u.Wall <= 0 {
		return 0
	}
	return 100 * sec / u.Wall.Seconds()
}

// raiseFileLimit lifts the soft limit on open files to the hard one (10,000 websockets
// need 10,000 descriptors); children started afterwards inherit it.
func raiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	return l.Cur, nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Machine describes where the benchmark ran.
type Machine struct {
	CPU, Kernel, Go, Postgres, Redis string
	Cores                            int
	MemGiB                           float64
	LoadBefore                       string
	BusyBefore                       float64 // % of the whole machine busy just before the run
	QuietWait                        time.Duration
	FileLimit                        uint64
	PortRange                        string
}

func describeMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
		f.Close()
	}
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				m.MemGiB = kb / (1 << 20)
			}
		}
	}
	if raw, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(raw))
	}
	if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(raw))
		if len(f) >= 3 {
			m.LoadBefore = strings.Join(f[:3], " ")
		}
	}
	if raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		m.PortRange = strings.Join(strings.Fields(string(raw)), "–")
	}
	m.BusyBefore = machineBusyOver(time.Second)
	return m
}

// machineBusyOver is the share (%) of the whole machine busy during the next d.
func machineBusyOver(d time.Duration) float64 {
	b0, t0 := machineCPU(), time.Now()
	time.Sleep(d)
	return 100 * (machineCPU() - b0) / time.Since(t0).Seconds() / float64(runtime.NumCPU())
}

// waitQuiet waits (up to limit) until the machine is less than below % busy for two
// seconds, since other people's builds and tests on a shared machine would be measured
// too. It returns how long it waited and how busy the machine was at the end.
func waitQuiet(ctx context.Context, below float64, limit time.Duration, logf func(string, ...any)) (time.Duration, float64) {
	start := time.Now()
	for {
		busy := machineBusyOver(2 * time.Second)
		if busy < below || time.Since(start) >= limit || ctx.Err() != nil {
			return time.Since(start), busy
		}
		logf("the machine is %.0f %% busy with other work; waiting for it to calm down (up to %s more)…", busy,
			(limit - time.Since(start)).Round(time.Second))
		time.Sleep(3 * time.Second)
	}
}

// commandOutput runs a command and returns its trimmed output.
func commandOutput(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return strings.TrimSpace(string(out)), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, clip(out, 500))
	}
	return strings.TrimSpace(string(out)), nil
}
