package debate

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/event"
	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/plaintext"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/upload"
	"lawka/internal/poll"
)

// Events is the event feature as debates need it: a debate is an event of kind
// "debate", created in the same transaction as the debate's own rows.
type Events interface {
	CreateIn(ctx context.Context, tx pgx.Tx, p auth.Principal, in event.Input) (int64, error)
	Get(ctx context.Context, p auth.Principal, id int64) (event.Event, error)
	List(ctx context.Context, p auth.Principal, f event.Filter) ([]event.Event, string, error)
}

// Places lists the districts a debate may concern (for the form).
type Places interface {
	DistrictChoices(ctx context.Context) ([]event.Choice, error)
}

// Publisher pushes a state with its version (the realtime hub): an older version
// published late is dropped, so viewers never see the state go back.
type Publisher interface {
	PublishLatest(ctx context.Context, room, msgType string, epoch, version int64, data any) error
}

// Service holds the debate rules; every method checks who may do what.
type Service struct {
	pool   *pgxpool.Pool
	events Events
	pub    Publisher // nil: nothing is pushed (seeds)
	log    *slog.Logger
	// Places lists districts for the form (nil: none offered).
	Places Places
	// Polls runs the debate's polls (nil: the console offers none).
	Polls Polls
	// Now is the clock (tests move it).
	Now func() time.Time

	visible visibility // whether debates exist and are drafts, for a second
	boards  boards     // when each debate's question board last went out
}

// NewService builds the service; pub and log may be nil.
func NewService(pool *pgxpool.Pool, events Events, pub Publisher, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{pool: pool, events: events, pub: pub, log: log, Now: time.Now}
}

// Room is a debate's realtime room.
func Room(id int64) string { return "debate:" + strconv.FormatInt(id, 10) }

// StateMessage is the type of the whole-state message.
const StateMessage = "debate.state"

// SpeakerInput is a speaker of a new debate.
type SpeakerInput struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// ItemInput is an agenda item of a new debate.
type ItemInput struct {
	Topic          string `json:"topic"`
	PlannedMinutes int    `json:"planned_minutes"`
}

// Input is what creating a debate takes. Times as event.Input takes them; the stream
// link is the event's online address.
type Input struct {
	Title         string         `json:"title"`
	Description   string         `json:"description"`
	StartsAt      string         `json:"starts_at"`
	EndsAt        string         `json:"ends_at"`
	Address       string         `json:"address"`
	StreamURL     string         `json:"stream_url"`
	Accessibility string         `json:"accessibility"`
	Organisers    string         `json:"organisers"`
	Status        string         `json:"status"` // draft (default) or published
	DistrictIDs   []int64        `json:"district_ids"`
	Speakers      []SpeakerInput `json:"speakers"`
	Agenda        []ItemInput    `json:"agenda"`
	ModeratorIDs  []int64        `json:"moderator_ids"` // empty: the person creating it
	Eligibility   string         `json:"eligibility"`   // who may ask and upvote ("": open)
}

// Limits of a debate's lists.
const (
	MaxSpeakers  = 30
	MaxItems     = 30
	MaxDistricts = 18
)

func distinct(ids []int64) []int64 {
	out := []int64{}
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// check validates what a debate adds to an event.
func (s *Service) check(ctx context.Context, in *Input) (problem.Fields, error) {
	bad := problem.Fields{}
	in.DistrictIDs, in.ModeratorIDs = distinct(in.DistrictIDs), distinct(in.ModeratorIDs)
	if len(in.DistrictIDs) > MaxDistricts {
		bad.Add("district_ids", "debates.too_many_districts")
	} else if unknown, err := unknownIDs(ctx, s.pool, districtIDs, in.DistrictIDs); err != nil {
		return nil, err
	} else if len(unknown) > 0 {
		bad.Add("district_ids", "debates.district_unknown")
	}
	if len(in.Speakers) > MaxSpeakers {
		bad.Add("speakers", "debates.too_many_speakers")
	}
	for i := range in.Speakers {
		sp := &in.Speakers[i]
		sp.Name, sp.Role = strings.Join(strings.Fields(sp.Name), " "), strings.Join(strings.Fields(sp.Role), " ")
		if n := utf8.RuneCountInString(sp.Name); n < 2 || n > 200 || !plaintext.Valid(sp.Name) {
			bad.Add("speakers", "debates.speaker_name_length")
		}
		if utf8.RuneCountInString(sp.Role) > 200 || !plaintext.Valid(sp.Role) {
			bad.Add("speakers", "debates.speaker_role_length")
		}
	}
	if len(in.Agenda) > MaxItems {
		bad.Add("agenda", "debates.too_many_items")
	}
	for i := range in.Agenda {
		it := &in.Agenda[i]
		it.Topic = strings.Join(strings.Fields(it.Topic), " ")
		if n := utf8.RuneCountInString(it.Topic); n < 2 || n > 300 || !plaintext.Valid(it.Topic) {
			bad.Add("agenda", "debates.topic_length")
		}
		if it.PlannedMinutes < 1 || it.PlannedMinutes > 600 {
			bad.Add("agenda", "debates.minutes_invalid")
		}
	}
	if in.Eligibility == "" {
		in.Eligibility = "open"
	}
	if !slices.Contains(Eligibilities, in.Eligibility) {
		bad.Add("eligibility", "debates.eligibility_unknown")
	}
	if unknown, err := unknownIDs(ctx, s.pool, staffIDs, in.ModeratorIDs); err != nil {
		return nil, err
	} else if len(unknown) > 0 {
		bad.Add("moderator_ids", "debates.moderator_not_staff")
	}
	return bad, nil
}

// Create adds a debate (moderators and admins): its event, districts, speakers,
// agenda and moderators in one transaction.
func (s *Service) Create(ctx context.Context, p auth.Principal, in Input) (Debate, error) {
	if err := auth.RequireStaff(p); err != nil {
		return Debate{}, err
	}
	bad, err := s.check(ctx, &in)
	if err != nil {
		return Debate{}, err
	}
	if len(in.ModeratorIDs) == 0 {
		in.ModeratorIDs = []int64{p.UserID}
	}
	ev := event.Input{Kind: "debate", Title: in.Title, Description: in.Description, StartsAt: in.StartsAt, EndsAt: in.EndsAt,
		Address: in.Address, OnlineURL: in.StreamURL, Accessibility: in.Accessibility, Organisers: in.Organisers, Status: in.Status}
	if len(in.DistrictIDs) > 0 && bad["district_ids"] == "" {
		ev.NeighbourhoodID = &in.DistrictIDs[0] // the calendar's district filter finds it by its first
	}
	var id int64
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		id, err = s.events.CreateIn(ctx, tx, p, ev)
		if pe, ok := problem.As(err); ok && pe.Status == 422 {
			for field, key := range pe.Fields {
				if field == "online_url" {
					field = "stream_url"
				}
				bad.Add(field, key)
			}
			return bad.Err()
		}
		if err != nil {
			return err
		}
		if err := bad.Err(); err != nil {
			return err
		}
		if _, err := insert(ctx, tx, created{EventID: id, Districts: in.DistrictIDs, Speakers: in.Speakers, Items: in.Agenda,
			Moderators: in.ModeratorIDs, Eligibility: in.Eligibility}); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "debate.create", TargetType: "event", TargetID: id})
	})
	if err != nil {
		return Debate{}, err
	}
	return s.Get(ctx, p, id)
}

// Get reads a debate as p may see it (drafts are the staff's).
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Debate, error) {
	e, err := s.events.Get(ctx, p, id)
	if err != nil {
		return Debate{}, err
	}
	d := Debate{Event: e}
	if d.Code, d.Districts, d.Moderators, err = details(ctx, s.pool, id); err != nil {
		return Debate{}, err
	}
	if d.State, err = readState(ctx, s.pool, id); err != nil {
		return Debate{}, err
	}
	return d, nil
}

// State reads a debate's live state (the realtime room has checked who watches).
func (s *Service) State(ctx context.Context, id int64) (State, error) {
	return readState(ctx, s.pool, id)
}

// Page is the address of debate id's page, or "" when event id is no debate.
func (s *Service) Page(ctx context.Context, id int64) (string, error) {
	if _, err := readRow(ctx, s.pool, id, false); err != nil {
		if pe, ok := problem.As(err); ok && pe.Status == 404 {
			return "", nil
		}
		return "", err
	}
	return "/debaty/" + strconv.FormatInt(id, 10), nil
}

// ByCode finds the debate an audience code opens.
func (s *Service) ByCode(ctx context.Context, code string) (int64, error) {
	code = strings.ToUpper(strings.Join(strings.Fields(code), ""))
	if len(code) != 6 || strings.Trim(code, codeAlphabet) != "" {
		return 0, problem.NotFound()
	}
	return byCode(ctx, s.pool, code)
}

// List returns a page of debates (upcoming or past, as the calendar), with their codes
// and phases.
func (s *Service) List(ctx context.Context, p auth.Principal, f event.Filter) ([]Summary, string, error) {
	f.Kind = "debate"
	list, next, err := s.events.List(ctx, p, f)
	if err != nil {
		return nil, "", err
	}
	ids := make([]int64, len(list))
	for i, e := range list {
		ids[i] = e.ID
	}
	extra, err := summaries(ctx, s.pool, ids)
	if err != nil {
		return nil, "", err
	}
	out := []Summary{}
	for _, e := range list {
		if x, ok := extra[e.ID]; ok { // an event of kind debate made without its debate parts is left out
			out = append(out, Summary{Event: e, Code: x[0], Phase: x[1]})
		}
	}
	return out, next, nil
}

// ForDistrict lists up to n debates held in a district or about it, coming ones first.
func (s *Service) ForDistrict(ctx context.Context, districtID int64, n int) ([]DistrictLink, error) {
	return forDistrict(ctx, s.pool, districtID, n)
}

// MayRun says whether p runs debate id's console: a moderator assigned to it, or an
// admin (staff roles still held). Unknown debates, and drafts to others, are not found.
func (s *Service) MayRun(ctx context.Context, p auth.Principal, id int64) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	if err := s.CanView(ctx, p, id); err != nil {
		return err
	}
	if !p.Staff() {
		return problem.Forbidden()
	}
	if p.Has(auth.Admin) {
		return nil
	}
	ok, err := isModerator(ctx, s.pool, id, p.UserID)
	if err != nil {
		return err
	}
	if !ok {
		return &problem.Error{Status: 403, Code: "not_debate_moderator", Key: "debates.not_moderator"}
	}
	return nil
}

// StaffAccounts lists who may be assigned as a moderator (staff).
func (s *Service) StaffAccounts(ctx context.Context, p auth.Principal) ([]Moderator, error) {
	if err := auth.RequireStaff(p); err != nil {
		return nil, err
	}
	return staffAccounts(ctx, s.pool)
}

// errStale refuses a command based on a version the state has moved past.
func errStale() error { return problem.Conflict("stale_state", "debates.stale") }

// errEnded refuses any command once the debate has ended.
func errEnded() error { return problem.Conflict("debate_ended", "debates.ended_error") }

// conflict refuses a command that does not fit the state; code is also its message's key.
func conflict(code string) error { return problem.Conflict(code, "debates."+code) }

// Act applies one console command, based on the state version cmd.ExpectedSeq, and
// returns the new state. The debate's row is locked for the whole step: of several
// moderators who act on the same version at once, the first wins and the others are
// refused as stale (409 stale_state), with nothing changed. A command that does not fit
// the state (an ended debate, no next item, an unknown speaker) changes nothing either.
func (s *Service) Act(ctx context.Context, p auth.Principal, id int64, cmd Command) (State, error) {
	if err := s.MayRun(ctx, p, id); err != nil {
		return State{}, err
	}
	bad := problem.Fields{}
	if !slices.Contains(Actions, cmd.Action) {
		bad.Add("action", "debates.action_unknown")
	}
	if cmd.ExpectedSeq == nil || *cmd.ExpectedSeq < 0 {
		bad.Add("expected_seq", "debates.expected_seq_required")
	}
	switch cmd.Action {
	case ActItem:
		if cmd.ItemID == nil {
			bad.Add("item_id", "debates.item_unknown")
		}
	case ActAnnounce:
		cmd.Text = strings.TrimSpace(cmd.Text)
		if utf8.RuneCountInString(cmd.Text) > 500 || !plaintext.Valid(cmd.Text) {
			bad.Add("text", "debates.announcement_too_long")
		}
	case ActPollLaunch:
		if cmd.PollID == nil {
			bad.Add("poll_id", "debates.poll_unknown")
		}
	case ActEligibility:
		if !slices.Contains(Eligibilities, cmd.Text) {
			bad.Add("text", "debates.eligibility_unknown")
		}
	}
	if (cmd.Action == ActPollLaunch || cmd.Action == ActPollClose) && s.Polls == nil {
		bad.Add("action", "debates.action_unknown")
	}
	if err := bad.Err(); err != nil {
		return State{}, err
	}
	details := map[string]any{}
	if cmd.ItemID != nil {
		details["item_id"] = *cmd.ItemID
	}
	if cmd.SpeakerID != nil {
		details["speaker_id"] = *cmd.SpeakerID
	}
	if cmd.QuestionID != nil {
		details["question_id"] = *cmd.QuestionID
	}
	if cmd.PollID != nil {
		details["poll_id"] = *cmd.PollID
	}
	if cmd.Action == ActEligibility {
		details["eligibility"] = cmd.Text
	}
	var switched *int64 // a poll opened or closed: its cache and tally follow after the commit
	st, err := s.change(ctx, p, id, cmd.Action, details, func(tx pgx.Tx, r *row) error {
		if r.Phase == Ended {
			return errEnded()
		}
		if *cmd.ExpectedSeq != r.Seq {
			return errStale()
		}
		if cmd.Action == ActPollLaunch || cmd.Action == ActPollClose {
			var err error
			switched, err = s.switchPoll(ctx, tx, p, r, cmd)
			return err
		}
		cur, err := stateOf(ctx, tx, *r)
		if err != nil {
			return err
		}
		return s.apply(ctx, tx, r, cur, cmd)
	})
	if err == nil && switched != nil {
		s.Polls.Switched(ctx, *switched)
	}
	return st, err
}

// switchPoll launches or closes one of the debate's polls (under the debate's lock): a
// launched draft opens and any launched poll goes on air; a closed poll stays on air
// with its final result. It returns the poll whose status it changed.
func (s *Service) switchPoll(ctx context.Context, tx pgx.Tx, p auth.Principal, r *row, cmd Command) (*int64, error) {
	id := cmd.PollID
	if id == nil {
		if id = r.PollID; id == nil {
			return nil, conflict("no_poll")
		}
	}
	pl, err := poll.Read(ctx, tx, *id)
	if pe, ok := problem.As(err); (ok && pe.Status == 404) || (err == nil && (pl.DebateID == nil || *pl.DebateID != r.EventID)) {
		return nil, problem.Invalid(map[string]string{"poll_id": "debates.poll_unknown"})
	} else if err != nil {
		return nil, err
	}
	open := cmd.Action == ActPollLaunch
	if !open && pl.Status != "open" {
		return nil, conflict("poll_not_open")
	}
	if open {
		r.PollID = id
		if pl.Status != "draft" {
			return nil, nil
		}
	}
	return id, s.Polls.SwitchIn(ctx, tx, p, *id, open)
}

// CreatePoll makes a draft poll for debate id (its moderators and admins), to launch
// now or later from the console.
func (s *Service) CreatePoll(ctx context.Context, p auth.Principal, id int64, in poll.New) (poll.Poll, error) {
	if err := s.MayRun(ctx, p, id); err != nil {
		return poll.Poll{}, err
	}
	if s.Polls == nil {
		return poll.Poll{}, problem.NotFound()
	}
	in.DebateID = &id
	return s.Polls.Create(ctx, p, in)
}

// change is one step of a debate's state: under the debate row's lock, fn changes r
// (and the debate's other rows); the version moves on by one, the step is audited as
// "debate.<action>", and the new state is returned and, after the commit, published.
func (s *Service) change(ctx context.Context, p auth.Principal, id int64, action string, details map[string]any,
	fn func(tx pgx.Tx, r *row) error) (State, error) {
	var st State
	var epoch time.Time
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := readRow(ctx, tx, id, true)
		if err != nil {
			return err
		}
		epoch = r.CreatedAt
		if err := fn(tx, &r); err != nil {
			return err
		}
		if err := writeRow(ctx, tx, r, s.Now()); err != nil {
			return err
		}
		details["seq"] = r.Seq + 1
		if err := audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "debate." + action, TargetType: "event",
			TargetID: id, Details: details}); err != nil {
			return err
		}
		st, err = readState(ctx, tx, id)
		return err
	})
	if err != nil {
		return State{}, err
	}
	s.publish(ctx, epoch, st)
	return st, nil
}

// publish pushes the whole state to the debate's room, after the commit. The epoch is
// the debate's creation, so a debate id reused by another database starts afresh; the
// version is the state's, so of two states published out of order the older is dropped.
func (s *Service) publish(ctx context.Context, epoch time.Time, st State) {
	if s.pub == nil {
		return
	}
	if err := s.pub.PublishLatest(ctx, Room(st.DebateID), StateMessage, epoch.UnixMicro(), st.Seq, st); err != nil {
		s.log.Warn("debate: publishing the state", "debate", st.DebateID, "error", err)
	}
}

// SetPhoto gives a speaker a photo (JPEG or PNG), or takes it away (nil) (moderators
// and admins). The state's version moves on, so consoles, phones and projectors get it.
func (s *Service) SetPhoto(ctx context.Context, p auth.Principal, id, speakerID int64, f *upload.File) (State, error) {
	if err := auth.RequireStaff(p); err != nil {
		return State{}, err
	}
	if err := s.CanView(ctx, p, id); err != nil {
		return State{}, err
	}
	if f != nil && !strings.HasPrefix(f.ContentType, "image/") {
		return State{}, problem.Invalid(map[string]string{"photo": "debates.photo_not_image"})
	}
	return s.change(ctx, p, id, "speaker_photo", map[string]any{"speaker_id": speakerID, "removed": f == nil},
		func(tx pgx.Tx, _ *row) error {
			file, err := upload.StoreOptional(ctx, tx, f, p.UserID)
			if err != nil {
				return err
			}
			ok, err := setPhoto(ctx, tx, id, speakerID, file)
			if err == nil && !ok {
				err = problem.NotFound()
			}
			return err
		})
}

// Photo returns a speaker's photo to whoever may see the debate.
func (s *Service) Photo(ctx context.Context, p auth.Principal, id, speakerID int64) (upload.File, error) {
	if err := s.CanView(ctx, p, id); err != nil {
		return upload.File{}, err
	}
	return upload.LoadBy(ctx, s.pool, photoQuery, id, speakerID)
}

// apply changes r (under its lock) as cmd says; cur is the state r was read as.
func (s *Service) apply(ctx context.Context, tx pgx.Tx, r *row, cur State, cmd Command) error {
	now := s.Now()
	since := func(t *time.Time) int64 { return max(now.Sub(*t).Milliseconds(), 0) }
	closeItem := func() error {
		if r.ItemSince == nil || r.CurrentItemID == nil {
			return nil
		}
		ms := since(r.ItemSince)
		r.ItemSince = nil
		return addItemTime(ctx, tx, r.EventID, *r.CurrentItemID, ms)
	}
	stopTimer := func() error {
		if r.SpeakerSince == nil || r.CurrentSpeakerID == nil {
			return nil
		}
		ms := since(r.SpeakerSince)
		r.SpeakerSince, r.TurnMS = nil, r.TurnMS+ms
		return addSpeakerTime(ctx, tx, r.EventID, *r.CurrentSpeakerID, ms)
	}
	openItem := func() {
		if r.Phase == Live && r.CurrentItemID != nil {
			t := now
			r.ItemSince = &t
		}
	}
	// moveTo makes the item at index i of the agenda current: the old item's clock and
	// the speaker's turn end there.
	moveTo := func(i int) error {
		if err := closeItem(); err != nil {
			return err
		}
		if err := stopTimer(); err != nil {
			return err
		}
		id := cur.Items[i].ID
		r.CurrentItemID, r.TurnMS = &id, 0
		openItem()
		return nil
	}
	index := -1
	for i, it := range cur.Items {
		if r.CurrentItemID != nil && it.ID == *r.CurrentItemID {
			index = i
		}
	}
	switch cmd.Action {
	case ActStart:
		if r.Phase != Scheduled {
			return conflict("already_started")
		}
		t := now
		r.Phase, r.StartedAt = Live, &t
		if r.CurrentItemID == nil && len(cur.Items) > 0 {
			return moveTo(0)
		}
		openItem()
	case ActPause:
		if r.Phase != Live {
			return conflict("not_live")
		}
		if err := closeItem(); err != nil {
			return err
		}
		if err := stopTimer(); err != nil {
			return err
		}
		r.Phase = Paused
	case ActResume:
		if r.Phase != Paused {
			return conflict("not_paused")
		}
		r.Phase = Live
		openItem()
	case ActEnd:
		if err := closeItem(); err != nil {
			return err
		}
		if err := stopTimer(); err != nil {
			return err
		}
		t := now
		r.Phase, r.EndedAt = Ended, &t
	case ActNext:
		if index+1 >= len(cur.Items) {
			return conflict("no_next_item")
		}
		return moveTo(index + 1)
	case ActPrevious:
		if index <= 0 {
			return conflict("no_previous_item")
		}
		return moveTo(index - 1)
	case ActItem:
		i := slices.IndexFunc(cur.Items, func(it Item) bool { return it.ID == *cmd.ItemID })
		if i < 0 {
			return problem.Invalid(map[string]string{"item_id": "debates.item_unknown"})
		}
		return moveTo(i)
	case ActSpeaker:
		if cmd.SpeakerID != nil && !slices.ContainsFunc(cur.Speakers, func(sp Speaker) bool { return sp.ID == *cmd.SpeakerID }) {
			return problem.Invalid(map[string]string{"speaker_id": "debates.speaker_unknown"})
		}
		if err := stopTimer(); err != nil {
			return err
		}
		r.CurrentSpeakerID, r.TurnMS = cmd.SpeakerID, 0
	case ActTimerStart:
		switch {
		case r.Phase != Live:
			return conflict("not_live")
		case r.CurrentSpeakerID == nil:
			return conflict("no_speaker")
		case r.SpeakerSince != nil:
			return conflict("timer_running")
		}
		t := now
		r.SpeakerSince = &t
	case ActTimerStop:
		if r.SpeakerSince == nil {
			return conflict("timer_stopped")
		}
		return stopTimer()
	case ActAnnounce:
		r.Announcement = cmd.Text
	case ActScreen:
		if cmd.QuestionID != nil {
			q, err := questionIn(ctx, tx, r.EventID, *cmd.QuestionID, false)
			if pe, ok := problem.As(err); (ok && pe.Status == 404) || (err == nil && q.Status != Approved) {
				return problem.Invalid(map[string]string{"question_id": "debates.question_not_approved"})
			} else if err != nil {
				return err
			}
		}
		r.OnScreenID = cmd.QuestionID
	case ActPreModeration, ActPostModeration:
		r.PostModeration = cmd.Action == ActPostModeration
	case ActPollHide:
		r.PollID = nil
	case ActEligibility:
		r.Eligibility = cmd.Text
	}
	return nil
}
