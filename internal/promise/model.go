// Package promise keeps the promises made in debates and the public tracker that
// follows them. During a debate its moderators, admins and advocates log a promise in a
// few keystrokes (who made it — or nobody in particular when the source does not say —
// its text and topic, the agenda item and the moment); consoles see it at once through
// the realtime room "debate-promises:<id>". Afterwards advocates, moderators and admins
// add dated updates with notes and evidence links and move its status on; every change
// is kept in an append-only history, followers are notified, residents comment.
package promise

import (
	"html/template"
	"time"
	"unicode/utf8"
)

// Statuses of a promise, in the order the tracker shows them.
const (
	Made       = "made"
	InProgress = "in_progress"
	PartlyKept = "partly_kept"
	Kept       = "kept"
	Broken     = "broken"
	Abandoned  = "abandoned"
)

// Statuses lists every status.
var Statuses = []string{Made, InProgress, PartlyKept, Kept, Broken, Abandoned}

// Limits of what people type.
const (
	MinText  = 5
	MaxText  = 1000
	MaxTopic = 200
	MaxNote  = 5000
	MaxLinks = 10
	MaxLink  = 500
	// MaxMoment is the latest moment a promise can be logged at: a day into the debate.
	MaxMoment = 24 * 60 * 60 * 1000
	// PageSize is how many promises a page of the tracker holds.
	PageSize = 50
)

// Realtime rooms and messages.
const (
	// DebateKind is the room of a debate's promises (whoever may see the debate).
	DebateKind    = "debate-promises"
	DebateMessage = "debate.promises"
	// Kind is a promise's own room and its comment and follow target type.
	Kind        = "promise"
	PromiseType = "promise.state"
)

// Promise is a promise as the tracker and the API show it.
type Promise struct {
	ID          int64     `json:"id"`
	DebateID    int64     `json:"debate_id"`
	DebateTitle string    `json:"debate_title"`
	DebateDate  time.Time `json:"debate_starts_at"`
	SpeakerID   *int64    `json:"speaker_id"` // nil: the debate as a whole
	Speaker     string    `json:"speaker"`
	Text        string    `json:"text"`
	Topic       string    `json:"topic"`
	ItemID      *int64    `json:"agenda_item_id"`
	Item        string    `json:"agenda_item"`
	MomentMS    *int64    `json:"moment_ms"` // since the debate started; nil: unknown
	Status      string    `json:"status"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Demo        bool      `json:"demo"`
}

// Short is the promise's text cut for titles and notifications.
func (p Promise) Short() string { return cut(p.Text, 80) }

func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Update is one dated step of a promise's story.
type Update struct {
	ID         int64         `json:"id"`
	Date       string        `json:"date"` // YYYY-MM-DD
	FromStatus *string       `json:"from_status"`
	ToStatus   *string       `json:"to_status"` // nil: the status stayed
	Note       string        `json:"note"`
	NoteHTML   template.HTML `json:"note_html"`
	Links      []string      `json:"links"`
	Author     string        `json:"author"` // "": an erased account
	CreatedAt  time.Time     `json:"created_at"`
	Demo       bool          `json:"demo"`
}

// Day is the update's date, for pages to write as people do.
func (u Update) Day() time.Time {
	t, _ := time.Parse(time.DateOnly, u.Date)
	return t
}

// Change is one line of a promise's history: who changed which field, old → new.
type Change struct {
	ID    int64     `json:"id"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"` // "": the system, or an erased account
	Field string    `json:"field"` // created, status, update
	Old   *string   `json:"old"`
	New   *string   `json:"new"`
}

// Detail is a promise with its updates and history.
type Detail struct {
	Promise
	Updates []Update `json:"updates"`
	History []Change `json:"history"`
}

// LogInput is a promise logged during a debate.
type LogInput struct {
	SpeakerID *int64 `json:"speaker_id"` // nil: the debate as a whole
	Text      string `json:"text"`
	// Topic "": the agenda item's topic.
	Topic string `json:"topic"`
	// ItemID nil: the debate's current agenda item (none when it has none).
	ItemID *int64 `json:"agenda_item_id"`
	// NoItem: made outside any agenda item (ItemID is then ignored).
	NoItem bool `json:"no_agenda_item,omitempty"`
	// MomentMS nil: now, while the debate runs (unknown before it starts and after it ends).
	MomentMS *int64 `json:"moment_ms"`
}

// UpdateInput is an update of a promise, based on the version the person saw.
type UpdateInput struct {
	Version *int64   `json:"version"`
	Date    string   `json:"date"`   // YYYY-MM-DD; "": today in Warsaw
	Status  string   `json:"status"` // "" or the current status: no change
	Note    string   `json:"note"`
	Links   []string `json:"links"`
}

// Filter narrows the tracker.
type Filter struct {
	DebateID  int64
	SpeakerID int64 // with NoSpeaker false; 0: any
	NoSpeaker bool  // the promises attributed to a debate as a whole
	Topic     string
	Status    string
	After     int64 // cursor: ids below this (newest first)
	Limit     int
}

// Count is how many promises have a status.
type Count struct {
	Status string `json:"status"`
	N      int    `json:"count"`
}

// Choice is an option of a filter or form.
type Choice struct {
	ID   int64
	Name string
}

// Board is a debate's promises at a version, for its consoles.
type Board struct {
	Version int64     `json:"version"`
	Items   []Promise `json:"items"`
}
