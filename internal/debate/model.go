// Package debate runs live debates. A debate is an event of kind "debate" (its title,
// time, place, stream link and description are the event's) with a join code,
// districts, speakers, agenda items and the moderators who run its console. The console
// sends commands that name the state version they were based on; each is applied once,
// in order, under the debate row's lock, and the whole new state goes out to consoles,
// phones and projectors through the realtime room "debate:<id>".
package debate

import (
	"time"

	"lawka/internal/event"
	"lawka/internal/poll"
)

// Phases of a debate.
const (
	Scheduled = "scheduled" // not begun
	Live      = "live"      // running: the agenda item's clock runs
	Paused    = "paused"    // a break: clocks stopped
	Ended     = "ended"     // over: the console takes nothing more
)

// Console actions.
const (
	ActStart      = "start"
	ActPause      = "pause"
	ActResume     = "resume"
	ActEnd        = "end"
	ActItem       = "item"     // go to item_id
	ActNext       = "next"     // the next agenda item
	ActPrevious   = "previous" // the previous agenda item
	ActSpeaker    = "speaker"  // make speaker_id the current speaker (none: clear)
	ActTimerStart = "timer_start"
	ActTimerStop  = "timer_stop"
	ActAnnounce   = "announce" // text; empty clears the announcement
	ActScreen     = "screen"   // put question_id on the projector (none: clear it)
	// Questions wait for a moderator (pre-moderation, the default) or appear at once.
	ActPreModeration  = "pre_moderation"
	ActPostModeration = "post_moderation"
	// Polls: launch poll_id (a draft of this debate opens; an open or closed one goes on
	// air), close poll_id (the one on air when none is named; it stays on air with its
	// final result), or take the poll off the air.
	ActPollLaunch = "poll_launch"
	ActPollClose  = "poll_close"
	ActPollHide   = "poll_hide"
	// Who may ask and upvote questions: text is one of Eligibilities.
	ActEligibility = "eligibility"
)

// Eligibilities are who may take part, as in polls: anyone (with or without an
// account), accounts, verified residents, members.
var Eligibilities = []string{"open", "registered", "verified", "members"}

// Actions lists the console's actions.
var Actions = []string{ActStart, ActPause, ActResume, ActEnd, ActItem, ActNext, ActPrevious, ActSpeaker,
	ActTimerStart, ActTimerStop, ActAnnounce, ActScreen, ActPreModeration, ActPostModeration, ActPollLaunch, ActPollClose,
	ActPollHide, ActEligibility}

// Clock is a stopwatch: MS counted before Since; while it runs (Since set) the time
// since then adds to it.
type Clock struct {
	MS    int64      `json:"ms"`
	Since *time.Time `json:"since"`
}

// At is the clock's reading at now.
func (c Clock) At(now time.Time) int64 {
	if c.Since == nil {
		return c.MS
	}
	return c.MS + max(now.Sub(*c.Since).Milliseconds(), 0)
}

// Running says whether the clock runs.
func (c Clock) Running() bool { return c.Since != nil }

// Item is one agenda item; UsedMS is its time as the current item while the debate
// was live, before the current span (State.ItemClock).
type Item struct {
	ID             int64  `json:"id"`
	Position       int    `json:"position"`
	Topic          string `json:"topic"`
	PlannedMinutes int    `json:"planned_minutes"`
	UsedMS         int64  `json:"used_ms"`
}

// Speaker is a person who speaks in the debate; UsedMS is their time on the timer
// before the current turn (State.Timer).
type Speaker struct {
	ID       int64  `json:"id"`
	Position int    `json:"position"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	PhotoURL string `json:"photo_url"` // "": no photo
	UsedMS   int64  `json:"used_ms"`
}

// State is a debate's whole live state: what every console, phone and projector shows.
// It changes only with Seq, so two reads with the same Seq are equal.
type State struct {
	DebateID         int64      `json:"debate_id"`
	Seq              int64      `json:"seq"`
	Phase            string     `json:"phase"`
	CurrentItemID    *int64     `json:"current_item_id"`
	CurrentSpeakerID *int64     `json:"current_speaker_id"`
	ItemClock        Clock      `json:"item_clock"` // the current item's time, closed spans included
	Timer            Clock      `json:"timer"`      // the current speaker's turn
	Announcement     string     `json:"announcement"`
	StartedAt        *time.Time `json:"started_at"`
	EndedAt          *time.Time `json:"ended_at"`
	Items            []Item     `json:"items"`
	Speakers         []Speaker  `json:"speakers"`
	PostModeration   bool       `json:"post_moderation"` // new questions appear without waiting
	OnScreen         *Screen    `json:"on_screen"`       // the question on the projector (nil: none)
	// Poll is the poll on air (nil: none): phones vote in it, the projector shows its
	// result when no question is on screen. Its tally comes through the room "poll:<id>".
	Poll        *poll.Poll `json:"poll"`
	Eligibility string     `json:"eligibility"` // who may ask and upvote questions
}

// Screen is the question on the projector, as the public sees it.
type Screen struct {
	ID     int64  `json:"id"`
	Body   string `json:"body"`
	Author string `json:"author"` // "": anonymous, or asked without an account
}

// Item returns the current agenda item (nil: none).
func (s State) Item() *Item {
	for i := range s.Items {
		if s.CurrentItemID != nil && s.Items[i].ID == *s.CurrentItemID {
			return &s.Items[i]
		}
	}
	return nil
}

// Speaker returns the current speaker (nil: none).
func (s State) Speaker() *Speaker {
	for i := range s.Speakers {
		if s.CurrentSpeakerID != nil && s.Speakers[i].ID == *s.CurrentSpeakerID {
			return &s.Speakers[i]
		}
	}
	return nil
}

// Usage is one line of the fairness summary: time used against time planned.
type Usage struct {
	ID        int64
	Name      string
	UsedMS    int64
	PlannedMS int64 // 0: no plan (speakers)
	Share     int   // percent of all the time used by its kind
	Current   bool
}

// Fairness sums up at now the time each speaker and each agenda item has had.
func (s State) Fairness(now time.Time) (speakers, items []Usage) {
	var speakerTotal, itemTotal int64
	for _, sp := range s.Speakers {
		u := Usage{ID: sp.ID, Name: sp.Name, UsedMS: sp.UsedMS}
		if s.CurrentSpeakerID != nil && sp.ID == *s.CurrentSpeakerID {
			u.Current = true
			if s.Timer.Running() {
				u.UsedMS += s.Timer.At(now) - s.Timer.MS
			}
		}
		speakerTotal += u.UsedMS
		speakers = append(speakers, u)
	}
	for _, it := range s.Items {
		u := Usage{ID: it.ID, Name: it.Topic, UsedMS: it.UsedMS, PlannedMS: int64(it.PlannedMinutes) * 60000}
		if s.CurrentItemID != nil && it.ID == *s.CurrentItemID {
			u.Current = true
			u.UsedMS = s.ItemClock.At(now)
		}
		itemTotal += u.UsedMS
		items = append(items, u)
	}
	share := func(list []Usage, total int64) {
		for i := range list {
			if total > 0 {
				list[i].Share = int((list[i].UsedMS*100 + total/2) / total)
			}
		}
	}
	share(speakers, speakerTotal)
	share(items, itemTotal)
	return speakers, items
}

// District is a district a debate concerns.
type District struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// Moderator is an account that runs a debate's console.
type Moderator struct {
	ID          int64  `json:"id"`
	DisplayName string `json:"display_name"`
}

// Debate is a debate as its page and the API show it: the event, what a debate adds,
// and its live state.
type Debate struct {
	event.Event
	Code       string      `json:"code"`
	Districts  []District  `json:"districts"`
	Moderators []Moderator `json:"moderators"`
	State      State       `json:"state"`
}

// Summary is a debate in a list.
type Summary struct {
	event.Event
	Code  string `json:"code"`
	Phase string `json:"phase"`
}

// Command is one console action, based on the state version ExpectedSeq.
type Command struct {
	Action      string `json:"action"`
	ExpectedSeq *int64 `json:"expected_seq"`
	ItemID      *int64 `json:"item_id,omitempty"`
	SpeakerID   *int64 `json:"speaker_id,omitempty"`
	QuestionID  *int64 `json:"question_id,omitempty"`
	PollID      *int64 `json:"poll_id,omitempty"`
	Text        string `json:"text,omitempty"`
}
