package promise

import (
	"context"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/debate"
	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/markdown"
	"lawka/internal/platform/plaintext"
	"lawka/internal/platform/problem"
)

// Debates is the debate feature as promises need it.
type Debates interface {
	// CanView: may p see debate id (not found otherwise)?
	CanView(ctx context.Context, p auth.Principal, id int64) error
	// MayRun: does p run debate id's console (its moderators and admins)?
	MayRun(ctx context.Context, p auth.Principal, id int64) error
	// Get reads the debate as p may see it.
	Get(ctx context.Context, p auth.Principal, id int64) (debate.Debate, error)
	// State is the debate's live state: its speakers, agenda, current item, start.
	State(ctx context.Context, id int64) (debate.State, error)
}

// News is a change of a promise its followers hear of.
type News struct {
	PromiseID, ActorID int64
	Title              string
	From, To           string // the status before and after (equal: an update without a new status)
}

// Notifier tells followers, inside the change's transaction; the function it returns
// runs after the commit (live unread counts).
type Notifier interface {
	Updated(ctx context.Context, q db.Querier, n News) (func(context.Context), error)
}

// Publisher pushes versioned states to realtime rooms (the hub).
type Publisher interface {
	PublishLatest(ctx context.Context, room, msgType string, epoch, version int64, data any) error
}

// Service holds the promise rules; every method checks who may do what.
type Service struct {
	pool    *pgxpool.Pool
	debates Debates
	pub     Publisher // nil: nothing pushed (seeds)
	log     *slog.Logger
	// Notifier tells followers of updates (nil: nobody).
	Notifier Notifier
	// Now is the clock (tests move it).
	Now func() time.Time
}

// NewService builds the service; pub and log may be nil.
func NewService(pool *pgxpool.Pool, debates Debates, pub Publisher, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{pool: pool, debates: debates, pub: pub, log: log, Now: time.Now}
}

// Room is the realtime room of a debate's promises.
func Room(debateID int64) string { return DebateKind + ":" + strconv.FormatInt(debateID, 10) }

// RoomOf is a promise's own room (its page: comments, status).
func RoomOf(id int64) string { return Kind + ":" + strconv.FormatInt(id, 10) }

// Path is a promise's page.
func Path(id int64) string { return "/obietnice/" + strconv.FormatInt(id, 10) }

// MayLog says whether p logs promises in debate id: the debate's moderators, admins and
// advocates, while their account is active. Unknown debates (and drafts to others) are
// not found.
func (s *Service) MayLog(ctx context.Context, p auth.Principal, id int64) error {
	if err := auth.RequireActive(p); err != nil {
		return err
	}
	if p.Has(auth.Advocate) || p.Has(auth.Admin) {
		return s.debates.CanView(ctx, p, id)
	}
	return s.debates.MayRun(ctx, p, id)
}

// MayTrack says whether p adds updates and moves statuses on: advocates, moderators
// and admins.
func (s *Service) MayTrack(p auth.Principal) error {
	if err := auth.RequireActive(p); err != nil {
		return err
	}
	if !p.Has(auth.Advocate) && !p.Staff() {
		return problem.Forbidden()
	}
	return nil
}

// CanTrack is MayTrack as a yes or no, for pages.
func (s *Service) CanTrack(p auth.Principal) bool { return s.MayTrack(p) == nil }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Log records a promise made in debate id. The speaker and agenda item must be the
// debate's; without an item the debate's current one is taken, and without a moment
// the time since the debate started (while it runs).
func (s *Service) Log(ctx context.Context, p auth.Principal, id int64, in LogInput) (Promise, error) {
	if err := s.MayLog(ctx, p, id); err != nil {
		return Promise{}, err
	}
	st, err := s.debates.State(ctx, id)
	if err != nil {
		return Promise{}, err
	}
	bad := problem.Fields{}
	in.Text, in.Topic = oneLine(in.Text), oneLine(in.Topic)
	if n := utf8.RuneCountInString(in.Text); n < MinText || n > MaxText || !plaintext.Valid(in.Text) {
		bad.Add("text", "promises.text_length")
	}
	if utf8.RuneCountInString(in.Topic) > MaxTopic || !plaintext.Valid(in.Topic) {
		bad.Add("topic", "promises.topic_length")
	}
	if in.SpeakerID != nil && !slices.ContainsFunc(st.Speakers, func(sp debate.Speaker) bool { return sp.ID == *in.SpeakerID }) {
		bad.Add("speaker_id", "promises.speaker_unknown")
	}
	switch {
	case in.NoItem:
		in.ItemID = nil
	case in.ItemID == nil:
		in.ItemID = st.CurrentItemID
	case !slices.ContainsFunc(st.Items, func(it debate.Item) bool { return it.ID == *in.ItemID }):
		bad.Add("agenda_item_id", "promises.item_unknown")
	}
	if i := slices.IndexFunc(st.Items, func(it debate.Item) bool { return in.ItemID != nil && it.ID == *in.ItemID }); i >= 0 && in.Topic == "" {
		in.Topic = cut(st.Items[i].Topic, MaxTopic)
	}
	if in.MomentMS == nil {
		if st.StartedAt != nil && (st.Phase == debate.Live || st.Phase == debate.Paused) {
			ms := max(s.Now().Sub(*st.StartedAt).Milliseconds(), 0)
			in.MomentMS = &ms
		}
	} else if *in.MomentMS < 0 || *in.MomentMS > MaxMoment {
		bad.Add("moment_ms", "promises.moment_invalid")
	}
	if err := bad.Err(); err != nil {
		return Promise{}, err
	}
	var pid int64
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if pid, err = insertPromise(ctx, tx, id, in, p.UserID); err != nil {
			return err
		}
		if err := addChange(ctx, tx, pid, p.UserID, "created", nil, &in.Text); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "promise.log", TargetType: "promise", TargetID: pid,
			Details: map[string]any{"debate_id": id}})
	})
	if err != nil {
		return Promise{}, err
	}
	s.publishDebate(ctx, id)
	return readPromise(ctx, s.pool, pid, true, false)
}

// publishDebate pushes a debate's promises to its consoles, after a commit.
func (s *Service) publishDebate(ctx context.Context, id int64) {
	if s.pub == nil {
		return
	}
	b, err := debatePromises(ctx, s.pool, id)
	if err == nil {
		var epoch int64
		if epoch, err = debateEpoch(ctx, s.pool, id); err == nil {
			err = s.pub.PublishLatest(ctx, Room(id), DebateMessage, epoch, b.Version, b)
		}
	}
	if err != nil {
		s.log.Warn("promise: publishing a debate's promises", "debate", id, "error", err)
	}
}

// Board is a debate's promises for its room (the room has checked who watches).
func (s *Service) Board(ctx context.Context, id int64) (Board, error) {
	if _, err := debateEpoch(ctx, s.pool, id); err != nil {
		return Board{}, err
	}
	return debatePromises(ctx, s.pool, id)
}

// ForDebate lists debate id's promises as p may see them (the caller has read the debate).
func (s *Service) ForDebate(ctx context.Context, p auth.Principal, id int64) ([]Promise, error) {
	list, err := listPromises(ctx, s.pool, Filter{DebateID: id, Limit: 500}, p.Staff())
	slices.Reverse(list) // in the order they were made
	return list, err
}

// Read reads promise id as p may see it (promises of draft debates are the staff's).
func (s *Service) Read(ctx context.Context, p auth.Principal, id int64) (Promise, error) {
	return readPromise(ctx, s.pool, id, p.Staff(), false)
}

// CanView answers rooms, comments and follows: may p see promise id?
func (s *Service) CanView(ctx context.Context, p auth.Principal, id int64) error {
	_, err := s.Read(ctx, p, id)
	return err
}

// Get reads a promise with its updates and history.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Detail, error) {
	pr, err := s.Read(ctx, p, id)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Promise: pr}
	if d.Updates, err = readUpdates(ctx, s.pool, id); err != nil {
		return Detail{}, err
	}
	d.History, err = readChanges(ctx, s.pool, id)
	return d, err
}

// List is a page of the tracker, newest first, and the id to continue after (0: the last page).
func (s *Service) List(ctx context.Context, p auth.Principal, f Filter) ([]Promise, int64, error) {
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return nil, 0, problem.Invalid(map[string]string{"status": "promises.status_unknown"})
	}
	if f.Limit <= 0 || f.Limit > PageSize {
		f.Limit = PageSize
	}
	list, err := listPromises(ctx, s.pool, f, p.Staff())
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(list) > f.Limit {
		list = list[:f.Limit]
		next = list[f.Limit-1].ID
	}
	return list, next, nil
}

// Counts counts the promises f finds per status (its status aside), in the statuses'
// order, and their total.
func (s *Service) Counts(ctx context.Context, p auth.Principal, f Filter) ([]Count, int, error) {
	m, err := countStatuses(ctx, s.pool, f, p.Staff())
	if err != nil {
		return nil, 0, err
	}
	out, total := make([]Count, len(Statuses)), 0
	for i, st := range Statuses {
		out[i] = Count{Status: st, N: m[st]}
		total += m[st]
	}
	return out, total, nil
}

// Choices lists what the tracker's filters offer.
func (s *Service) Choices(ctx context.Context, p auth.Principal) (debates, speakers []Choice, topics []string, err error) {
	return filterChoices(ctx, s.pool, p.Staff())
}

// checkLinks keeps the non-empty links; each must be an http(s) address.
func checkLinks(links []string, bad problem.Fields) []string {
	out := []string{}
	for _, l := range links {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		u, err := url.Parse(l)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(l) > MaxLink || !plaintext.Valid(l) {
			bad.Add("links", "promises.link_invalid")
		}
		out = append(out, l)
	}
	if len(out) > MaxLinks {
		bad.Add("links", "promises.too_many_links")
	}
	return out
}

// AddUpdate adds a dated update to promise id and, when in.Status differs, moves its
// status on. It is based on the version the person saw: when the promise changed
// meanwhile nothing is saved (409 stale_promise). Followers hear of it.
func (s *Service) AddUpdate(ctx context.Context, p auth.Principal, id int64, in UpdateInput) (Detail, error) {
	if err := s.MayTrack(p); err != nil {
		return Detail{}, err
	}
	if _, err := s.Read(ctx, p, id); err != nil {
		return Detail{}, err
	}
	bad := problem.Fields{}
	if in.Version == nil {
		bad.Add("version", "promises.version_required")
	}
	today := s.Now().In(i18n.Warsaw)
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	if in.Date = strings.TrimSpace(in.Date); in.Date != "" {
		d, err := time.Parse(time.DateOnly, in.Date)
		if err != nil || d.Year() < 2000 || d.After(day) {
			bad.Add("date", "promises.date_invalid")
		}
		day = d
	}
	if in.Status != "" && !slices.Contains(Statuses, in.Status) {
		bad.Add("status", "promises.status_unknown")
	}
	in.Note = strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Note) > MaxNote || !plaintext.Valid(in.Note) {
		bad.Add("note", "promises.note_length")
	}
	in.Links = checkLinks(in.Links, bad)
	if err := bad.Err(); err != nil {
		return Detail{}, err
	}
	var announce func(context.Context)
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := readPromise(ctx, tx, id, true, true)
		if err != nil {
			return err
		}
		if *in.Version != cur.Version {
			return problem.Conflict("stale_promise", "promises.stale")
		}
		to := cur.Status
		if in.Status != "" {
			to = in.Status
		}
		if to == cur.Status && in.Note == "" && len(in.Links) == 0 {
			return problem.Invalid(map[string]string{"note": "promises.update_empty"})
		}
		if ok, err := bump(ctx, tx, id, cur.Version, to); err != nil {
			return err
		} else if !ok {
			return problem.Conflict("stale_promise", "promises.stale")
		}
		u := updateRow{PromiseID: id, Date: day, Note: in.Note, NoteHTML: string(markdown.HTML(in.Note)), Links: in.Links,
			AuthorID: p.UserID}
		if to != cur.Status {
			u.FromStatus, u.ToStatus = &cur.Status, &to
		}
		uid, err := insertUpdate(ctx, tx, u)
		if err != nil {
			return err
		}
		if to != cur.Status {
			if err := addChange(ctx, tx, id, p.UserID, "status", &cur.Status, &to); err != nil {
				return err
			}
		}
		summary := in.Date
		if summary == "" {
			summary = day.Format(time.DateOnly)
		}
		if in.Note != "" {
			summary += ": " + cut(oneLine(in.Note), 200)
		}
		if err := addChange(ctx, tx, id, p.UserID, "update", nil, &summary); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "promise.update", TargetType: "promise", TargetID: id,
			Details: map[string]any{"update_id": uid, "from": cur.Status, "to": to}}); err != nil {
			return err
		}
		if s.Notifier != nil {
			announce, err = s.Notifier.Updated(ctx, tx, News{PromiseID: id, ActorID: p.UserID, Title: cur.Short(),
				From: cur.Status, To: to})
		}
		return err
	})
	if err != nil {
		return Detail{}, err
	}
	if announce != nil {
		announce(ctx)
	}
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return Detail{}, err
	}
	s.publishDebate(ctx, d.DebateID)
	if s.pub != nil {
		if err := s.pub.PublishLatest(ctx, RoomOf(id), PromiseType, d.CreatedAt.UnixMicro(), d.Version,
			map[string]any{"status": d.Status, "version": d.Version}); err != nil {
			s.log.Warn("promise: publishing a promise", "promise", id, "error", err)
		}
	}
	return d, nil
}

// Titles names promises by their (shortened) text, for comment moderation and notifications.
func (s *Service) Titles(ctx context.Context, q db.Querier, ids []int64) (map[int64]string, error) {
	rows, err := q.Query(ctx, `SELECT id, text FROM promises WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	var id int64
	var text string
	_, err = pgx.ForEachRow(rows, []any{&id, &text}, func() error {
		out[id] = cut(text, 80)
		return nil
	})
	return out, err
}
