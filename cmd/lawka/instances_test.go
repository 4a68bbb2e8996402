package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db/dbtest"
)

// TestMain lets a test start this binary as `lawka` in a process of its own.
func TestMain(m *testing.M) {
	if os.Getenv("LAWKA_TEST_RUN_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// startServe runs `lawka serve` as a separate process until the test ends.
func startServe(t *testing.T, env map[string]string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), "LAWKA_TEST_RUN_MAIN=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if strings.Contains(lines.Text(), "Press Ctrl-C to stop.") {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return
		}
	}
	t.Fatalf("lawka serve (%s) ended before it was ready", env["LAWKA_ADDR"])
}

// TestTwoServeProcessesShareLiveTallies: two `lawka serve` processes on two ports with
// one PostgreSQL and one Redis, as behind a load balancer: a vote taken by one reaches a
// viewer connected to the other.
func TestTwoServeProcessesShareLiveTallies(t *testing.T) {
	dbURL := dbtest.NewURL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var pollID, optionID int64
	if err := conn.QueryRow(ctx, `WITH p AS (INSERT INTO polls (question, kind, eligibility, status, opened_at)
		VALUES ('Dwie instancje?', 'single', 'open', 'open', now()) RETURNING id)
		INSERT INTO poll_options (poll_id, position, label) SELECT id, n, 'Odpowiedź ' || n FROM p, generate_series(1, 2) n
		RETURNING poll_id, id`).Scan(&pollID, &optionID); err != nil {
		t.Fatal(err)
	}
	// Its own Redis database: production processes use keys without a test prefix.
	redisURL, err := url.Parse(redisURL())
	if err != nil {
		t.Fatal(err)
	}
	redisURL.Path = "/13"
	const origin = "http://lawka.test"
	a, b := freeAddr(t), freeAddr(t)
	for _, addr := range []string{a, b} {
		startServe(t, map[string]string{"LAWKA_ADDR": addr, "LAWKA_DATABASE_URL": dbURL, "LAWKA_REDIS_URL": redisURL.String(),
			"LAWKA_PUBLIC_URL": origin, "LAWKA_ENV": "prod", "LAWKA_LOG_LEVEL": "error"})
	}

	viewer, _, err := websocket.DefaultDialer.Dial("ws://"+b+"/ws", http.Header{"Origin": {origin}})
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	type message struct {
		Type string
		Seq  int64
		Data struct{ Total, Version int }
	}
	read := func() message {
		t.Helper()
		_ = viewer.SetReadDeadline(time.Now().Add(20 * time.Second))
		var m message
		if err := viewer.ReadJSON(&m); err != nil {
			t.Fatalf("viewer on %s: %v", b, err)
		}
		return m
	}
	if err := viewer.WriteJSON(map[string]any{"type": "subscribe", "rooms": []string{fmt.Sprintf("poll:%d", pollID)}}); err != nil {
		t.Fatal(err)
	}
	if m := read(); m.Type != "subscribed" {
		t.Fatalf("%+v", m)
	}
	if snap := read(); snap.Type != "poll.tally" || snap.Data.Total != 0 {
		t.Fatalf("snapshot %+v", snap)
	}

	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://%s/api/v1/polls/%d/votes", a, pollID),
		strings.NewReader(fmt.Sprintf(`{"option_ids":[%d]}`, optionID)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer none")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("vote on %s: %d %s", a, resp.StatusCode, body)
	}
	for {
		m := read()
		if m.Type == "poll.tally" && m.Data.Total == 1 {
			break
		}
		raw, _ := json.Marshal(m)
		t.Logf("viewer on %s: %s", b, raw)
	}
}
