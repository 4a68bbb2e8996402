package debate

import (
	"context"
	"sync"
	"time"
)

// boardEvery is the least time between two publications of a debate's question board
// and queue. A hall upvoting 200 times a second would otherwise send every phone 200
// whole boards a second; this way they get the newest at most every boardEvery, and a
// lone change still goes out at once.
const boardEvery = 200 * time.Millisecond

// boards publishes debates' question boards, at most once per boardEvery per debate.
type boards struct {
	mu    sync.Mutex
	rooms map[int64]*boardRoom
}

type boardRoom struct {
	last time.Time // the last publication began
	due  bool      // a publication is scheduled: it will read the newest board
}

// changedQuestions says that debate id's questions changed (committed). The board goes out now
// if none went out within boardEvery, else once that time is up (reading the board
// then, so it has every change made meanwhile).
func (s *Service) changedQuestions(id int64, epoch time.Time) {
	if s.pub == nil {
		return
	}
	b := &s.boards
	b.mu.Lock()
	if b.rooms == nil {
		b.rooms = map[int64]*boardRoom{}
	}
	r := b.rooms[id]
	if r == nil {
		r = &boardRoom{}
		b.rooms[id] = r
	}
	if r.due {
		b.mu.Unlock()
		return
	}
	now := time.Now()
	if wait := boardEvery - now.Sub(r.last); wait > 0 {
		r.due = true
		b.mu.Unlock()
		time.AfterFunc(wait, func() {
			b.mu.Lock()
			r.due, r.last = false, time.Now()
			b.mu.Unlock()
			s.publishBoards(id, epoch)
		})
		return
	}
	r.last = now
	b.mu.Unlock()
	s.publishBoards(id, epoch)
}

// publishBoards reads debate id's board and queue (each list no older than its version)
// and publishes both.
func (s *Service) publishBoards(id int64, epoch time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, m := range []struct {
		kind, msg string
		read      func(context.Context, int64) (Board, error)
	}{{BoardKind, BoardMessage, s.board}, {QueueKind, QueueMessage, s.queue}} {
		data, err := m.read(ctx, id)
		if err == nil {
			err = s.pub.PublishLatest(ctx, room(m.kind, id), m.msg, epoch.UnixMicro(), data.Version, data)
		}
		if err != nil {
			s.log.Warn("debate: publishing the questions", "debate", id, "error", err)
		}
	}
}
