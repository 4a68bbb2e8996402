package main

import (
	"testing"
	"time"
)

// TestAudienceReadsLawkaMessages: the client finds the room's seq, the board's version
// and the state's seq in messages shaped as lawka publishes them (and as the baseline
// builds them), and times them against the sends.
func TestAudienceReadsLawkaMessages(t *testing.T) {
	board := msgTemplate{room: "debate-questions:7", head: `{"type":"debate.questions","room":"debate-questions:7","seq":`,
		mid: `,"data":{"version":`, tail: `,"items":[{"id":1,"body":"Pytanie","votes":3}]}}`}
	state := msgTemplate{room: "debate:7", head: `{"type":"debate.state","room":"debate:7","seq":`,
		mid: `,"data":{"debate_id":7,"seq":`, tail: `,"phase":"live","items":[]}`}
	sent := int64(1000)
	sh := &s5Shared{boardSent: func(v int64) int64 {
		if v == 42 {
			return sent
		}
		return 0
	}}
	sh.recording.Store(true)
	a := &audience{sh: sh}
	strip := func(b []byte) []byte { // build puts "room\n" first, for the publishing socket
		for i, c := range b {
			if c == '\n' {
				return b[i+1:]
			}
		}
		return b
	}
	a.handle(strip(board.build(nil, 5, 42)), sent+int64(30*time.Millisecond))
	a.handle(strip(board.build(nil, 7, 43)), sent+int64(40*time.Millisecond)) // seq 6 missed: a gap
	a.handle(strip(state.build(nil, 3, 11)), sent+int64(50*time.Millisecond))
	if a.board.Load() != 43 || a.seq != [2]int64{3, 7} || a.gaps != 1 || a.boards != 2 || a.states != 1 {
		t.Fatalf("board %d, seq %v, gaps %d, boards %d, states %d", a.board.Load(), a.seq, a.gaps, a.boards, a.states)
	}
	if got := sh.board.quantile(1); got < 29*time.Millisecond || got > 31*time.Millisecond {
		t.Errorf("board latency %s, want 30 ms", got)
	}
	p50, _, _ := stateLatency([]*audience{a}, func(s int64) int64 {
		if s == 11 {
			return sent
		}
		return 0
	})
	if p50 < 49*time.Millisecond || p50 > 51*time.Millisecond {
		t.Errorf("state latency %s, want 50 ms", p50)
	}
}
