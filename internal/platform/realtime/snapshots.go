package realtime

import (
	"encoding/json"
	"sync"
	"time"
)

// snapshotAge bounds how long a shared snapshot serves: a change whose publication was
// lost (its instance died between commit and publish) is seen by new viewers after it.
const snapshotAge = 2 * time.Second

// snapshots shares the snapshot of a room among the viewers who subscribe at the same
// sequence number. A read is taken by the first of them after it saw the number: any
// change it misses was published later, under a higher number, and reaches every viewer
// who joined before that live; a viewer who sees a higher number reads afresh.
type snapshots struct {
	mu    sync.Mutex
	rooms map[string]*snapshot
}

type snapshot struct {
	seq     int64
	at      time.Time
	done    chan struct{}
	msgType string
	raw     json.RawMessage
	err     error
}

// get returns room's snapshot at seq, read once by read for all who ask at that seq.
func (s *snapshots) get(room string, seq int64, read func() (string, json.RawMessage, error)) (string, json.RawMessage, error) {
	s.mu.Lock()
	if s.rooms == nil {
		s.rooms = map[string]*snapshot{}
	}
	if cur := s.rooms[room]; cur != nil && cur.seq == seq && time.Since(cur.at) < snapshotAge {
		s.mu.Unlock()
		<-cur.done
		return cur.msgType, cur.raw, cur.err
	}
	cur := &snapshot{seq: seq, at: time.Now(), done: make(chan struct{})}
	s.rooms[room] = cur
	s.mu.Unlock()
	cur.msgType, cur.raw, cur.err = read()
	if cur.err != nil {
		s.mu.Lock()
		if s.rooms[room] == cur {
			delete(s.rooms, room) // the next viewer tries again
		}
		s.mu.Unlock()
	}
	close(cur.done)
	return cur.msgType, cur.raw, cur.err
}

// forget drops a room's snapshot when its last viewer leaves.
func (s *snapshots) forget(room string) {
	s.mu.Lock()
	delete(s.rooms, room)
	s.mu.Unlock()
}
