package main

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestReadResponse(t *testing.T) {
	cases := []struct {
		name, raw  string
		status     int
		keep       bool
		body, next string
	}{
		{"content length", "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"receipt\":1}NEXT", 201, true, `{"receipt":1}`, "NEXT"},
		{"chunked with trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\nT: 1\r\n\r\nNEXT", 200, true, "abcdefg", "NEXT"},
		{"connection close", "HTTP/1.1 429 Too Many Requests\r\nconnection: Close\r\ncontent-length: 2\r\n\r\n{}", 429, false, "{}", ""},
		{"no length: until close", "HTTP/1.0 200 OK\r\n\r\nall of it", 200, false, "all of it", ""},
		{"no content", "HTTP/1.1 204 No Content\r\n\r\nNEXT", 204, true, "", "NEXT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := bufio.NewReader(strings.NewReader(c.raw))
			status, keep, body, err := readResponse(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			if status != c.status || keep != c.keep || string(body) != c.body {
				t.Fatalf("got %d %v %q, want %d %v %q", status, keep, body, c.status, c.keep, c.body)
			}
			rest := make([]byte, 10)
			n, _ := r.Read(rest)
			if string(rest[:n]) != c.next {
				t.Fatalf("left %q in the stream, want %q", rest[:n], c.next)
			}
		})
	}
	for _, bad := range []string{"SSH-2.0\r\n", "HTTP/1.1 20\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "HTTP/1.1 200 OK\r\nnocolon\r\n\r\n"} {
		if _, _, _, err := readResponse(bufio.NewReader(strings.NewReader(bad)), nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestHistogram(t *testing.T) {
	for v := uint64(0); v < 1<<20; v = v*9/8 + 1 {
		i := bucketOf(v)
		if bucketHigh(i) < v || (i > 0 && bucketHigh(i-1) >= v) {
			t.Fatalf("%d falls in bucket %d, which ends at %d (previous ends at %d)", v, i, bucketHigh(i), bucketHigh(i-1))
		}
		if v >= 64 && float64(bucketHigh(i)-v) > 0.016*float64(v) {
			t.Fatalf("%d: bucket end %d is more than 1.6 %% away", v, bucketHigh(i))
		}
	}
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	if q := h.quantile(0.5); q < 495*time.Millisecond || q > 510*time.Millisecond {
		t.Errorf("p50 %s, want about 500 ms", q)
	}
	if q := h.quantile(1); q != time.Second {
		t.Errorf("max %s, want 1 s", q)
	}
}

func TestClientReadsLikeTheBrowser(t *testing.T) {
	tr := &tracker{sentAt: []int64{1, 2, 3, 4, 5}}
	c := &wsClient{tr: tr}
	c.last.Store(-1)
	msgs := []string{
		`{"type":"subscribed","room":"poll:1"}`,
		`{"type":"poll.tally","room":"poll:1","seq":2,"data":{"status":"open","total":1,"options":[{"id":1,"votes":1}]}}`,
		`{"type":"poll.tally","room":"poll:1","seq":2,"data":{"status":"open","total":1,"options":[]}}`, // already seen
		`{"type":"poll.tally","room":"poll:1","seq":3,"data":{"status":"open","total":3,"options":[]}}`,
		`{"type":"poll.tally","room":"poll:1","seq":5,"data":{"status":"open","total":2,"options":[]}}`, // gap, and lower
	}
	tr.recording.Store(true)
	for _, m := range msgs {
		if err := c.handle([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if c.stale != 1 || c.gaps != 1 || c.outOfOrder != 1 || c.last.Load() != 2 || c.deliveries != 3 || tr.lat.n.Load() != 2 {
		t.Fatalf("stale %d gaps %d out of order %d last %d deliveries %d latencies %d", c.stale, c.gaps, c.outOfOrder, c.last.Load(),
			c.deliveries, tr.lat.n.Load())
	}
	if err := c.handle([]byte(`{"type":"error","room":"poll:1","code":"forbidden"}`)); err == nil {
		t.Fatal("an error message is not reported")
	}
}

func TestWithDatabase(t *testing.T) {
	got, old, err := withDatabase("postgres://postgres@127.0.0.1:5432/lawka?sslmode=disable", "lawka_bench")
	if err != nil || got != "postgres://postgres@127.0.0.1:5432/lawka_bench?sslmode=disable" || old != "lawka" {
		t.Fatalf("%q %q %v", got, old, err)
	}
	got, old, _ = withDatabase("host=/tmp dbname=lawka user=x", "lawka_bench")
	if got != "host=/tmp dbname=lawka_bench user=x" || old != "lawka" {
		t.Fatalf("%q %q", got, old)
	}
}

func TestBackendDB(t *testing.T) {
	cases := map[string]string{
		"postgres: 15/main: postgres lawka_bench 127.0.0.1(43512) idle": "lawka_bench",
		"postgres: postgres lawka_test_7 [local] SELECT":                "lawka_test_7",
		"postgres: 15/main: walwriter":                                  "",
		"/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf": "",
	}
	for title, want := range cases {
		got, ok := backendDB(title)
		if got != want || ok != (want != "") {
			t.Errorf("%q: got %q %v, want %q", title, got, ok, want)
		}
	}
}

func TestLiteral(t *testing.T) {
	be := func(n int, v uint64) []byte {
		b := make([]byte, n)
		for i := n - 1; i >= 0; i-- {
			b[i] = byte(v)
			v >>= 8
		}
		return b
	}
	// A one-dimensional int8[] {49250, 7} in binary format.
	arr := append(append(append(append(be(4, 1), be(4, 0)...), be(4, 20)...), append(be(4, 2), be(4, 1)...)...),
		append(append(be(4, 8), be(8, 49250)...), append(be(4, 8), be(8, 7)...)...)...)
	cases := []struct {
		oid    uint32
		format int16
		raw    []byte
		null   bool
		want   string
	}{
		{20, 1, be(8, 501), false, "'501'::int8"},
		{20, 1, be(8, uint64(1<<64-3)), false, "'-3'::int8"},
		{23, 1, be(4, 21), false, "'21'::int4"},
		{16, 1, []byte{1}, false, "'true'::bool"},
		{25, 0, []byte("it's"), false, "'it''s'::text"},
		{25, 1, []byte("proposal"), false, "'proposal'::text"},
		{0, 0, []byte("x"), false, "'x'"},
		{20, 1, nil, true, "NULL::int8"},
		{1016, 1, arr, false, "'{49250,7}'::int8[]"},
	}
	for _, c := range cases {
		got, err := literal(c.oid, c.format, c.raw, c.null)
		if err != nil || got != c.want {
			t.Errorf("literal(%d, %d, %v): %q, %v; want %q", c.oid, c.format, c.raw, got, err, c.want)
		}
	}
	if _, err := literal(20, 1, []byte{1, 2}, false); err == nil {
		t.Error("a short int8: no error")
	}
	if _, err := literal(600, 1, []byte{1}, false); err == nil {
		t.Error("a binary value of an unknown type: no error")
	}
}

func TestSubstitute(t *testing.T) {
	sql := "SELECT '$1', \"$2\", $1, $10 FROM t WHERE a = $2\n  AND b = $1::bigint"
	params := []string{"'a'", "'b'", "", "", "", "", "", "", "", "'j'"}
	want := `SELECT '$1', "$2", 'a', 'j' FROM t WHERE a = 'b' AND b = 'a'::bigint;`
	if got := oneLine(substitute(sql, params)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestConsensus(t *testing.T) {
	a := []Statement{{SQL: "SELECT 1"}, {SQL: "SELECT $1", Params: []string{"'2'"}}}
	noisy := append([]Statement{{SQL: "SELECT mail"}}, a...)
	got, n := consensus([][]Statement{noisy, a, a})
	if n != 2 || len(got) != 2 {
		t.Fatalf("got %d statements agreed by %d", len(got), n)
	}
	got, n = consensus([][]Statement{noisy, a})
	if n != 1 || len(got) != 2 {
		t.Fatalf("without agreement: got %d statements agreed by %d, want the shortest", len(got), n)
	}
}

func TestWatcher(t *testing.T) {
	w := &watcher{marker: []byte("s4r1p"), recv: make([]int64, 3), lastSeq: 4}
	msgs := []string{
		`{"type":"comment.created","room":"proposal:5","seq":5,"data":{"body_html":"<p>Komentarz s4r1p0q: tak</p>"}}`,
		`{"type":"comment.created","room":"proposal:5","seq":7,"data":{"body_html":"<p>Komentarz s4r1p2q: tak</p>"}}`, // a gap
		`{"type":"comment.created","room":"proposal:5","seq":8,"data":{"body_html":"<p>Komentarz s4r1p2q: tak</p>"}}`, // again
		`{"type":"comment.created","room":"proposal:5","seq":9,"data":{"body_html":"<p>someone else</p>"}}`,
		`{"type":"proposal.supports","room":"proposal:5","seq":10,"data":{"supports":3}}`,
	}
	for i, m := range msgs {
		w.handle([]byte(m), int64(100+i))
	}
	if w.recv[0] != 100 || w.recv[1] != 0 || w.recv[2] != 101 || w.gaps != 1 || w.dup != 1 || w.unknown != 1 || w.got.Load() != 2 {
		t.Fatalf("recv %v gaps %d dup %d unknown %d got %d", w.recv, w.gaps, w.dup, w.unknown, w.got.Load())
	}
	var run PostRun
	run.follow([]*watcher{w}, []int{201, 201, 201}, []int64{90, 95, 99}, []int64{95, 0, 200})
	if run.Deliveries != 2 || run.Lost != 1 || run.LostClients != 1 || run.Duplicates != 1 || run.Max != 0 {
		// latencies are 10 ns and 2 ns: below the histogram's microsecond, so 0
		t.Fatalf("deliveries %d lost %d lost clients %d duplicates %d max %s", run.Deliveries, run.Lost, run.LostClients, run.Duplicates, run.Max)
	}
}

func TestPostBuilder(t *testing.T) {
	build := postBuilder(501, []string{"tokA", "tokB"}, "s4r1p")
	raw := string(build(nil, 3))
	for _, want := range []string{"POST /api/v1/proposals/501/comments HTTP/1.1\r\n", "Authorization: Bearer tokB\r\n",
		"X-Forwarded-For: 10.77.0.1\r\n", `"body":"Komentarz s4r1p3q: `} {
		if !strings.Contains(raw, want) {
			t.Errorf("no %q in\n%s", want, raw)
		}
	}
	head, body, _ := strings.Cut(raw, "\r\n\r\n")
	if !strings.Contains(head+"\r\n", "Content-Length: "+strconv.Itoa(len(body))+"\r\n") {
		t.Errorf("Content-Length does not match the body of %d bytes:\n%s", len(body), head)
	}
}
