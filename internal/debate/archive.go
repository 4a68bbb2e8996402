package debate

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
)

// The archive is what stays of a debate: its agenda with the time each item was
// current, how the speaking time was shared, the questions answered (put on screen) at
// their moment and those left unanswered, the polls run and the promises logged, each
// under the agenda item it belongs to. Moments are milliseconds since the debate
// started; a debate Ławka did not run (entered afterwards) has none.

// ArchivePoll is a poll run in a debate, with its result.
type ArchivePoll struct {
	ID       int64           `json:"id"`
	Question string          `json:"question"`
	Status   string          `json:"status"`
	OpenedAt *time.Time      `json:"opened_at,omitempty"`
	ClosedAt *time.Time      `json:"closed_at,omitempty"`
	Options  []ArchiveOption `json:"options"`
	Total    int             `json:"total"`
	Online   int             `json:"online"`
	Paper    int             `json:"paper"`
	Moment   *int64          `json:"moment_ms,omitempty"` // when it opened
}

// ArchiveOption is one option of a poll and its votes.
type ArchiveOption struct {
	Label  string `json:"label"`
	Votes  int    `json:"votes"`
	Online int    `json:"online"`
	Paper  int    `json:"paper"`
}

// ArchivePromise is a promise logged in a debate.
type ArchivePromise struct {
	ID      int64  `json:"id"`
	Text    string `json:"text"`
	Topic   string `json:"topic"`
	Speaker string `json:"speaker"` // "": the debate as a whole
	Status  string `json:"status"`
	ItemID  *int64 `json:"item_id,omitempty"`
	Moment  *int64 `json:"moment_ms,omitempty"`
	URL     string `json:"url"`
}

// ArchiveSources gives the archive what other features keep about a debate.
type ArchiveSources interface {
	DebatePolls(ctx context.Context, p auth.Principal, debateID int64) ([]ArchivePoll, error)
	DebatePromises(ctx context.Context, debateID int64) ([]ArchivePromise, error)
}

// Span is a stretch of the debate, in milliseconds since it started.
type Span struct {
	FromMS int64 `json:"from_ms"`
	ToMS   int64 `json:"to_ms"`
}

// Answered is a question that went on screen, and when.
type Answered struct {
	Question
	MomentMS int64 `json:"moment_ms"`
}

// ArchiveItem is an agenda item and what happened while it was current.
type ArchiveItem struct {
	Item
	Spans    []Span           `json:"spans"`
	Answered []Answered       `json:"questions_answered"`
	Polls    []ArchivePoll    `json:"polls"`
	Promises []ArchivePromise `json:"promises"`
}

// Archive is a debate's record.
type Archive struct {
	Debate     Debate        `json:"debate"`
	Timed      bool          `json:"timed"` // Ławka ran it: moments and times are measured
	DurationMS int64         `json:"duration_ms"`
	Items      []ArchiveItem `json:"items"`
	Speakers   []Usage       `json:"speakers"`
	// Outside any agenda item: before the first, or logged for the debate as a whole.
	General    ArchiveItem `json:"general"`
	Unanswered []Question  `json:"questions_unanswered"`
}

// logRow is one version of the live state (debate_log).
type logRow struct {
	At       time.Time
	Phase    string
	ItemID   *int64
	OnScreen *int64
}

func readLog(ctx context.Context, q db.Querier, id int64) ([]logRow, error) {
	rows, err := q.Query(ctx, `SELECT at, phase, item_id, on_screen_question_id FROM debate_log
		WHERE event_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[logRow])
}

// Archive reads debate id's record for whoever may see the debate.
func (s *Service) Archive(ctx context.Context, p auth.Principal, id int64, src ArchiveSources) (Archive, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return Archive{}, err
	}
	log, err := readLog(ctx, s.pool, id)
	if err != nil {
		return Archive{}, err
	}
	approved, err := approvedQuestions(ctx, s.pool, id)
	if err != nil {
		return Archive{}, err
	}
	var polls []ArchivePoll
	var promises []ArchivePromise
	if src != nil {
		if polls, err = src.DebatePolls(ctx, p, id); err != nil {
			return Archive{}, err
		}
		if promises, err = src.DebatePromises(ctx, id); err != nil {
			return Archive{}, err
		}
	}
	return buildArchive(d, log, approved, polls, promises, s.Now()), nil
}

// buildArchive puts the record together: the log says when each item was current and
// when each question went on screen; polls go under the item current when they opened.
func buildArchive(d Debate, log []logRow, approved []Question, polls []ArchivePoll, promises []ArchivePromise, now time.Time) Archive {
	a := Archive{Debate: d, General: ArchiveItem{Spans: []Span{}, Answered: []Answered{}, Polls: []ArchivePoll{}, Promises: []ArchivePromise{}}}
	speakers, _ := d.State.Fairness(now)
	a.Speakers = speakers
	byID := map[int64]*ArchiveItem{}
	for _, it := range d.State.Items {
		a.Items = append(a.Items, ArchiveItem{Item: it, Spans: []Span{}, Answered: []Answered{}, Polls: []ArchivePoll{}, Promises: []ArchivePromise{}})
	}
	for i := range a.Items {
		byID[a.Items[i].ID] = &a.Items[i]
	}
	under := func(itemID *int64) *ArchiveItem {
		if itemID != nil {
			if it, ok := byID[*itemID]; ok {
				return it
			}
		}
		return &a.General
	}
	start := d.State.StartedAt
	a.Timed = start != nil && len(log) > 0
	ms := func(t time.Time) int64 { return max(t.Sub(*start).Milliseconds(), 0) }
	screened := map[int64]bool{}
	questions := map[int64]Question{}
	for _, q := range approved {
		questions[q.ID] = q
	}
	if a.Timed {
		for i, r := range log {
			end := now
			if i+1 < len(log) {
				end = log[i+1].At
			}
			if r.Phase == Live && r.ItemID != nil && end.After(r.At) {
				it := under(r.ItemID)
				from, to := ms(r.At), ms(end)
				if n := len(it.Spans); n > 0 && it.Spans[n-1].ToMS == from {
					it.Spans[n-1].ToMS = to
				} else {
					it.Spans = append(it.Spans, Span{FromMS: from, ToMS: to})
				}
			}
			if r.OnScreen != nil && !screened[*r.OnScreen] && (i == 0 || !samePtr(log[i-1].OnScreen, r.OnScreen)) {
				if q, ok := questions[*r.OnScreen]; ok {
					screened[q.ID] = true
					it := under(r.ItemID)
					it.Answered = append(it.Answered, Answered{Question: q, MomentMS: ms(r.At)})
				}
			}
		}
		if d.State.EndedAt != nil {
			a.DurationMS = ms(*d.State.EndedAt)
		} else {
			a.DurationMS = ms(now)
		}
	}
	for _, p := range polls {
		var itemID *int64
		if a.Timed && p.OpenedAt != nil {
			m := ms(*p.OpenedAt)
			p.Moment = &m
			itemID = itemAt(log, *p.OpenedAt)
		}
		it := under(itemID)
		it.Polls = append(it.Polls, p)
	}
	for _, p := range promises {
		it := under(p.ItemID)
		it.Promises = append(it.Promises, p)
	}
	a.Unanswered = []Question{} // approved comes most votes first
	for _, q := range approved {
		if !screened[q.ID] {
			a.Unanswered = append(a.Unanswered, q)
		}
	}
	return a
}

// itemAt is the agenda item current at t (nil: none).
func itemAt(log []logRow, t time.Time) *int64 {
	var item *int64
	for _, r := range log {
		if r.At.After(t) {
			break
		}
		item = r.ItemID
	}
	return item
}

func samePtr(a, b *int64) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }
