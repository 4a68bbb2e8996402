package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sqlProxy sits between one `lawka serve` and PostgreSQL and, while recording, notes
// every statement the server executes with the values bound to it. It reads the
// PostgreSQL wire protocol (version 3, no TLS) in both directions without changing a
// byte: Parse messages name a statement's SQL, the server's ParameterDescription gives
// its parameter types, and each Bind executes it with values, text or binary. That is how
// the page's SQL is captured exactly as the server runs it, without touching the server
// or the database's logging, to replay it under pgbench.
type sqlProxy struct {
	ln        net.Listener
	upstream  string
	recording atomic.Bool
	mu        sync.Mutex
	got       []Statement
	wg        sync.WaitGroup
}

// Statement is one statement a server executed, ready to replay.
type Statement struct {
	SQL    string   // as the server sent it, $n placeholders
	Params []string // SQL literals for $1…$n ("NULL" for a null)
	Err    string   // a value the proxy could not turn into a literal
	// Median and Rows: the statement replayed on its own, prepared, one client
	// (timeStatements).
	Median time.Duration
	Rows   int64
	Repeat int // 1 + the index of an earlier identical statement of the same page view; 0: none
}

// Replay is the statement with its values written in, on one line.
func (s Statement) Replay() string {
	return oneLine(substitute(s.SQL, s.Params))
}

func startSQLProxy(upstream string) (*sqlProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &sqlProxy{ln: ln, upstream: upstream}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.serve(c)
			}()
		}
	}()
	return p, nil
}

func (p *sqlProxy) addr() string { return p.ln.Addr().String() }

func (p *sqlProxy) close() { _ = p.ln.Close() }

// record runs fn while recording and returns what was executed meanwhile.
func (p *sqlProxy) record(fn func() error) ([]Statement, error) {
	p.mu.Lock()
	p.got = nil
	p.mu.Unlock()
	p.recording.Store(true)
	err := fn()
	p.recording.Store(false)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.got, err
}

// pgConn is what the proxy knows of one connection: its prepared statements.
type pgConn struct {
	mu       sync.Mutex
	sql      map[string]string
	types    map[string][]uint32
	describe []string // statements whose ParameterDescription is awaited, in order
	failed   bool     // an error since the last ReadyForQuery: awaited descriptions will not come
}

func (p *sqlProxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		return
	}
	defer server.Close()
	cr, sr := bufio.NewReader(client), bufio.NewReader(server)
	// Start-up: an SSL or GSS request is answered with one byte; only 'N' (no) keeps
	// the protocol readable. The benchmark connects with sslmode=disable.
	for {
		msg, err := readStartup(cr)
		if err != nil {
			return
		}
		if _, err := server.Write(msg); err != nil {
			return
		}
		code := binary.BigEndian.Uint32(msg[4:8])
		if code != 80877103 && code != 80877104 { // SSLRequest, GSSENCRequest
			break
		}
		answer, err := sr.ReadByte()
		if err != nil {
			return
		}
		if _, err := client.Write([]byte{answer}); err != nil {
			return
		}
		if answer != 'N' {
			go func() { _, _ = io.Copy(server, cr) }()
			_, _ = io.Copy(client, sr)
			return
		}
	}
	st := &pgConn{sql: map[string]string{}, types: map[string][]uint32{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.pump(sr, client, func(t byte, body []byte) { st.fromServer(t, body) })
		_ = client.Close()
	}()
	p.pump(cr, server, func(t byte, body []byte) { p.fromClient(st, t, body) })
	_ = server.Close()
	<-done
}

func readStartup(r *bufio.Reader) ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n < 8 || n > 10000 {
		return nil, errors.New("bad start-up message")
	}
	msg := make([]byte, n)
	copy(msg, head[:])
	_, err := io.ReadFull(r, msg[4:])
	return msg, err
}

// pump forwards typed messages from r to w, showing each to look.
func (p *sqlProxy) pump(r *bufio.Reader, w io.Writer, look func(t byte, body []byte)) {
	var head [5]byte
	var body []byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(head[1:])) - 4
		if n < 0 || n > 1<<30 {
			return
		}
		if cap(body) < n {
			body = make([]byte, n)
		}
		body = body[:n]
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		look(head[0], body)
		if _, err := w.Write(head[:]); err != nil {
			return
		}
		if _, err := w.Write(body); err != nil {
			return
		}
	}
}

func (st *pgConn) fromServer(t byte, body []byte) {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch t {
	case 't': // ParameterDescription
		if len(st.describe) == 0 {
			return
		}
		name := st.describe[0]
		st.describe = st.describe[1:]
		m := msgReader{b: body}
		n := int(m.int16())
		oids := make([]uint32, 0, n)
		for i := 0; i < n; i++ {
			oids = append(oids, m.uint32())
		}
		st.types[name] = oids
	case 'E':
		st.failed = true
	case 'Z':
		if st.failed {
			st.describe, st.failed = nil, false
		}
	}
}

func (p *sqlProxy) fromClient(st *pgConn, t byte, body []byte) {
	m := msgReader{b: body}
	switch t {
	case 'P': // Parse: name, query, parameter types (0: the server infers them)
		name, sql := m.cstring(), m.cstring()
		n := int(m.int16())
		oids := make([]uint32, n)
		for i := range oids {
			oids[i] = m.uint32()
		}
		st.mu.Lock()
		st.sql[name] = sql
		if n > 0 {
			st.types[name] = oids
		}
		st.mu.Unlock()
	case 'D': // Describe: 'S' a statement (answered with its parameter types) or 'P' a portal
		if kind := m.byte(); kind == 'S' {
			name := m.cstring()
			st.mu.Lock()
			st.describe = append(st.describe, name)
			st.mu.Unlock()
		}
	case 'B': // Bind: portal, statement, parameter formats, values, result formats
		if !p.recording.Load() {
			return
		}
		m.cstring()
		name := m.cstring()
		formats := make([]int16, m.int16())
		for i := range formats {
			formats[i] = m.int16()
		}
		st.mu.Lock()
		s := Statement{SQL: st.sql[name]}
		types := st.types[name]
		st.mu.Unlock()
		n := int(m.int16())
		for i := 0; i < n && !m.bad; i++ {
			size := int32(m.uint32())
			var raw []byte
			if size >= 0 {
				raw = m.bytes(int(size))
			}
			format := int16(0)
			switch {
			case len(formats) == 1:
				format = formats[0]
			case i < len(formats):
				format = formats[i]
			}
			oid := uint32(0)
			if i < len(types) {
				oid = types[i]
			}
			lit, err := literal(oid, format, raw, size < 0)
			if err != nil && s.Err == "" {
				s.Err = fmt.Sprintf("$%d: %v", i+1, err)
			}
			s.Params = append(s.Params, lit)
		}
		if m.bad && s.Err == "" {
			s.Err = "malformed Bind message"
		}
		p.add(s)
	case 'Q': // a simple query (no parameters)
		if p.recording.Load() {
			p.add(Statement{SQL: m.cstring()})
		}
	}
}

func (p *sqlProxy) add(s Statement) {
	p.mu.Lock()
	p.got = append(p.got, s)
	p.mu.Unlock()
}

// msgReader reads the fields of one protocol message; a short message sets bad.
type msgReader struct {
	b   []byte
	bad bool
}

func (m *msgReader) bytes(n int) []byte {
	if n < 0 || len(m.b) < n {
		m.bad = true
		m.b = nil
		return nil
	}
	out := m.b[:n]
	m.b = m.b[n:]
	return out
}

func (m *msgReader) byte() byte {
	if b := m.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (m *msgReader) int16() int16 {
	if b := m.bytes(2); b != nil {
		return int16(binary.BigEndian.Uint16(b))
	}
	return 0
}

func (m *msgReader) uint32() uint32 {
	if b := m.bytes(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (m *msgReader) cstring() string {
	for i, c := range m.b {
		if c == 0 {
			s := string(m.b[:i])
			m.b = m.b[i+1:]
			return s
		}
	}
	m.bad = true
	m.b = nil
	return ""
}

// typeNames are the types whose values the proxy writes as literals, by OID.
var typeNames = map[uint32]string{
	16: "bool", 17: "bytea", 19: "name", 20: "int8", 21: "int2", 23: "int4", 25: "text", 114: "json", 700: "float4",
	701: "float8", 1043: "varchar", 1114: "timestamp", 1184: "timestamptz", 2950: "uuid", 3802: "jsonb",
	1000: "bool[]", 1005: "int2[]", 1007: "int4[]", 1009: "text[]", 1016: "int8[]", 1015: "varchar[]",
}

// arrayElem is the element type of the array types above.
var arrayElem = map[uint32]uint32{1000: 16, 1005: 21, 1007: 23, 1009: 25, 1016: 20, 1015: 1043}

func quoteLit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// literal writes one bound value as an SQL literal with its type.
func literal(oid uint32, format int16, raw []byte, null bool) (string, error) {
	name, known := typeNames[oid]
	cast := ""
	if known {
		cast = "::" + name
	}
	if null {
		return "NULL" + cast, nil
	}
	if format == 0 { // text: the value as PostgreSQL would print it
		return quoteLit(string(raw)) + cast, nil
	}
	v, err := binaryText(oid, raw)
	if err != nil {
		return "NULL", err
	}
	return quoteLit(v) + cast, nil
}

// binaryText turns a value in binary format into its text form.
func binaryText(oid uint32, raw []byte) (string, error) {
	need := func(n int) error {
		if len(raw) != n {
			return fmt.Errorf("type %d: %d bytes, want %d", oid, len(raw), n)
		}
		return nil
	}
	switch oid {
	case 16:
		if err := need(1); err != nil {
			return "", err
		}
		return strconv.FormatBool(raw[0] != 0), nil
	case 21:
		if err := need(2); err != nil {
			return "", err
		}
		return strconv.Itoa(int(int16(binary.BigEndian.Uint16(raw)))), nil
	case 23:
		if err := need(4); err != nil {
			return "", err
		}
		return strconv.Itoa(int(int32(binary.BigEndian.Uint32(raw)))), nil
	case 20:
		if err := need(8); err != nil {
			return "", err
		}
		return strconv.FormatInt(int64(binary.BigEndian.Uint64(raw)), 10), nil
	case 700:
		if err := need(4); err != nil {
			return "", err
		}
		return strconv.FormatFloat(float64(math.Float32frombits(binary.BigEndian.Uint32(raw))), 'g', -1, 32), nil
	case 701:
		if err := need(8); err != nil {
			return "", err
		}
		return strconv.FormatFloat(math.Float64frombits(binary.BigEndian.Uint64(raw)), 'g', -1, 64), nil
	case 19, 25, 114, 1043:
		return string(raw), nil
	case 3802:
		if len(raw) == 0 || raw[0] != 1 {
			return "", errors.New("jsonb: unknown version")
		}
		return string(raw[1:]), nil
	case 17:
		return `\x` + fmt.Sprintf("%x", raw), nil
	case 2950:
		if err := need(16); err != nil {
			return "", err
		}
		return fmt.Sprintf("%x-%x-%x-%x-%x", raw[0:4], raw[4:6], raw[6:8], raw[8:10], raw[10:16]), nil
	case 1114, 1184:
		if err := need(8); err != nil {
			return "", err
		}
		us := int64(binary.BigEndian.Uint64(raw))
		t := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(us) * time.Microsecond)
		if oid == 1184 {
			return t.Format("2006-01-02 15:04:05.999999Z07:00"), nil
		}
		return t.Format("2006-01-02 15:04:05.999999"), nil
	}
	if elem, ok := arrayElem[oid]; ok {
		return arrayText(elem, raw)
	}
	return "", fmt.Errorf("no literal for a binary value of type %d", oid)
}

// arrayText reads a one-dimensional array in binary format: {a,b,…}.
func arrayText(elem uint32, raw []byte) (string, error) {
	m := msgReader{b: raw}
	ndim := m.uint32()
	m.uint32() // has nulls
	m.uint32() // element type
	if ndim == 0 {
		return "{}", nil
	}
	if ndim != 1 {
		return "", fmt.Errorf("array of %d dimensions", ndim)
	}
	n := int(m.uint32())
	m.uint32() // lower bound
	parts := make([]string, 0, n)
	for i := 0; i < n && !m.bad; i++ {
		size := int32(m.uint32())
		if size < 0 {
			parts = append(parts, "NULL")
			continue
		}
		v, err := binaryText(elem, m.bytes(int(size)))
		if err != nil {
			return "", err
		}
		if elem == 25 || elem == 1043 {
			v = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
		}
		parts = append(parts, v)
	}
	if m.bad {
		return "", errors.New("malformed array")
	}
	return "{" + strings.Join(parts, ",") + "}", nil
}

// substitute writes params in for $1…$n outside quoted strings and identifiers.
func substitute(sql string, params []string) string {
	var b strings.Builder
	quote := byte(0)
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '$' && i+1 < len(sql) && sql[i+1] >= '0' && sql[i+1] <= '9':
			j := i + 1
			for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(sql[i+1 : j])
			if n >= 1 && n <= len(params) {
				b.WriteString(params[n-1])
				i = j - 1
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

var spaces = regexp.MustCompile(`\s+`)

// oneLine folds a statement onto one line (pgbench reads a script line by line) and
// ends it with a semicolon. The application's statements hold no multi-line literals.
func oneLine(sql string) string {
	return strings.TrimSuffix(strings.TrimSpace(spaces.ReplaceAllString(sql, " ")), ";") + ";"
}

// Pgbench is the page's SQL replayed by pgbench: the database's ceiling for the page.
type Pgbench struct {
	Statements []Statement
	Script     string // the script file (kept in the work directory)
	Clients    int
	Duration   time.Duration
	TPS        float64 // transactions (page views' worth of SQL) per second
	Latency    float64 // ms, pgbench's average per transaction
	Command    string
	CPU        CPUUse
	Err        string // pgbench missing or failed, or statements that could not be replayed
}

// pgbenchBinary finds pgbench: on PATH, else in Debian's per-version directory.
func pgbenchBinary() string {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p
	}
	for v := 20; v >= 12; v-- {
		p := fmt.Sprintf("/usr/lib/postgresql/%d/bin/pgbench", v)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
var latencyLine = regexp.MustCompile(`latency average = ([0-9.]+) ms`)

// runPgbench replays the statements as one pgbench transaction (one page view's SQL),
// with prepared statements as the server's pgx uses them.
func (b *bench) runPgbench(ctx context.Context, stmts []Statement, clients int, dur time.Duration, script string) *Pgbench {
	pb := &Pgbench{Statements: stmts, Clients: clients, Duration: dur, Script: script}
	var lines []string
	for _, s := range stmts {
		if s.Err != "" {
			pb.Err = "a statement could not be replayed: " + s.Err
			return pb
		}
		lines = append(lines, s.Replay())
	}
	if len(lines) == 0 {
		pb.Err = "no statements were captured"
		return pb
	}
	if err := os.WriteFile(script, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		pb.Err = err.Error()
		return pb
	}
	bin := pgbenchBinary()
	if bin == "" {
		pb.Err = "pgbench is not installed (Debian: apt-get install postgresql-contrib, or postgresql-client-NN); the database ceiling was not measured"
		return pb
	}
	args := []string{"-n", "-M", "prepared", "-f", script, "-c", strconv.Itoa(clients), "-j", "2", "-T", strconv.Itoa(int(dur.Seconds())), b.dbURL}
	pb.Command = "pgbench " + strings.Join(args[:len(args)-1], " ") + " <bench database>"
	m := StartCPU(nil, 0, b.opt.dbName)
	out, err := commandOutput(ctx, bin, args...)
	pb.CPU = m.Stop()
	if err != nil {
		pb.Err = err.Error()
		return pb
	}
	if mm := tpsLine.FindStringSubmatch(out); mm != nil {
		pb.TPS, _ = strconv.ParseFloat(mm[1], 64)
	} else {
		pb.Err = "no tps in pgbench's output: " + clip([]byte(out), 300)
	}
	if mm := latencyLine.FindStringSubmatch(out); mm != nil {
		pb.Latency, _ = strconv.ParseFloat(mm[1], 64)
	}
	return pb
}

// timeStatements replays each statement alone, prepared, several times on one
// connection, noting the median time and the rows it returns, and marks statements that
// repeat an earlier one of the same page view.
func (b *bench) timeStatements(ctx context.Context, stmts []Statement, runs int) error {
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	seen := map[string]int{}
	for i := range stmts {
		s := &stmts[i]
		sql := s.Replay()
		if j, ok := seen[sql]; ok {
			s.Repeat = j + 1
		} else {
			seen[sql] = i
		}
		if s.Err != "" {
			continue
		}
		times := make([]int64, 0, runs)
		for range runs {
			start := time.Now()
			tag, err := conn.Exec(ctx, sql)
			if err != nil {
				return fmt.Errorf("replaying %s: %w", clip([]byte(sql), 80), err)
			}
			times = append(times, int64(time.Since(start)))
			s.Rows = tag.RowsAffected()
		}
		slices.Sort(times)
		s.Median = time.Duration(times[len(times)/2])
	}
	return nil
}
