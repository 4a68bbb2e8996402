package realtime

import (
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// Viewers who subscribe at the same sequence number share one read; a new number, a
// failed read or a room left empty means a fresh read.
func TestSnapshotsShareOneReadPerSequenceNumber(t *testing.T) {
	var s snapshots
	var reads atomic.Int32
	release := make(chan struct{})
	read := func() (string, json.RawMessage, error) {
		reads.Add(1)
		<-release
		return "debate.state", json.RawMessage(`{"seq":4}`), nil
	}
	const viewers = 20
	var wg sync.WaitGroup
	got := make([]string, viewers)
	started := make(chan struct{}, viewers)
	for i := range viewers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			_, raw, err := s.get("debate:7", 11, read)
			if err != nil {
				t.Error(err)
			}
			got[i] = string(raw)
		}()
	}
	for range viewers {
		<-started
	}
	close(release)
	wg.Wait()
	// Goroutines that asked after the first read finished share it too (same seq).
	if n := reads.Load(); n != 1 {
		t.Fatalf("%d reads for %d viewers at one sequence number, want 1", n, viewers)
	}
	for _, g := range got {
		if g != `{"seq":4}` {
			t.Fatalf("a viewer got %s", g)
		}
	}
	if _, _, err := s.get("debate:7", 12, read); err != nil || reads.Load() != 2 {
		t.Fatalf("a new sequence number did not read afresh (%d reads, %v)", reads.Load(), err)
	}
	s.forget("debate:7")
	if _, _, _ = s.get("debate:7", 12, read); reads.Load() != 3 {
		t.Fatalf("a room left empty kept its snapshot")
	}
	fail := func() (string, json.RawMessage, error) { reads.Add(1); return "", nil, errors.New("down") }
	if _, _, err := s.get("debate:8", 1, fail); err == nil {
		t.Fatal("a failed read was not reported")
	}
	if _, _, err := s.get("debate:8", 1, read); err != nil || reads.Load() != 5 {
		t.Fatalf("a failed read was kept (%d reads, %v)", reads.Load(), err)
	}
}
