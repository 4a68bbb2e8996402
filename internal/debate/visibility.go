package debate

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/singleflight"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
)

// visibilityTTL is how long whether a debate exists and is a draft is remembered.
const visibilityTTL = time.Second

// visibility remembers for a second that a debate exists and is published. A hall of
// phones subscribing at once (after a restart, 10,000 of them) then costs one query
// per debate instead of several per phone. Drafts are not remembered, so publishing
// is seen at once; a debate taken back to a draft is hidden within that second.
type visibility struct {
	mu    sync.Mutex
	known map[int64]visible
	group singleflight.Group
}

type visible struct{ at time.Time }

// draft says whether debate id is a draft (a problem 404 when there is no such debate).
func (v *visibility) draft(ctx context.Context, q db.Querier, id int64, now time.Time) (bool, error) {
	v.mu.Lock()
	if k, ok := v.known[id]; ok && now.Sub(k.at) < visibilityTTL {
		v.mu.Unlock()
		return false, nil
	}
	v.mu.Unlock()
	res, err, _ := v.group.Do(strconv.FormatInt(id, 10), func() (any, error) {
		var draft bool
		err := q.QueryRow(ctx, `SELECT e.status = 'draft' FROM events e JOIN debates d ON d.event_id = e.id
			WHERE e.id = $1`, id).Scan(&draft)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, problem.NotFound()
		}
		if err != nil {
			return false, err
		}
		if draft {
			return true, nil // not remembered: its publication is seen at once
		}
		v.mu.Lock()
		if v.known == nil || len(v.known) > 10000 {
			v.known = map[int64]visible{} // old debates fall out; the live ones come back at once
		}
		v.known[id] = visible{at: now}
		v.mu.Unlock()
		return false, nil
	})
	if err != nil {
		return false, err
	}
	return res.(bool), nil
}

// CanView answers the realtime rooms and the pages: may p see debate id? Drafts are
// the staff's; others are not told a draft exists.
func (s *Service) CanView(ctx context.Context, p auth.Principal, id int64) error {
	draft, err := s.visible.draft(ctx, s.pool, id, s.Now())
	if err != nil {
		return err
	}
	if draft && !p.Staff() {
		return problem.NotFound()
	}
	return nil
}
