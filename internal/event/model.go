// Package event holds the coalition's events — study visits, the allies' gala, online
// information meetings, meetings of the Civic Dialogue Commission (KDO), debates — with
// their place or link, registration with a capacity and a waiting list, reminders the
// day before, minutes and files afterwards, and iCalendar feeds.
package event

import (
	"fmt"
	"html/template"
	"time"

	"lawka/internal/platform/upload"
)

// Kinds of event, in the order filters list them.
var Kinds = []string{"study_visit", "gala", "online_meeting", "kdo_meeting", "debate", "meeting", "other"}

// Statuses of an event.
const (
	Draft     = "draft"     // seen by the staff only
	Published = "published" // in the calendar
	Cancelled = "cancelled" // still in the calendar, marked cancelled, with the reason
)

// Registration statuses.
const (
	Registered = "registered"
	Waiting    = "waiting"
	Withdrawn  = "cancelled" // the person cancelled (or their account was erased)
)

// Event is one event as a viewer sees it.
type Event struct {
	ID                   int64         `json:"id"`
	Kind                 string        `json:"kind"`
	Title                string        `json:"title"`
	Description          string        `json:"description"`
	DescriptionHTML      template.HTML `json:"description_html"`
	StartsAt             time.Time     `json:"starts_at"`
	EndsAt               time.Time     `json:"ends_at"`
	Address              string        `json:"address,omitempty"`
	NeighbourhoodID      *int64        `json:"neighbourhood_id"`
	Accessibility        string        `json:"accessibility"`
	OnlineURL            string        `json:"online_url,omitempty"`
	Organisers           string        `json:"organisers"`
	Capacity             *int          `json:"capacity"` // nil: no limit
	Registration         bool          `json:"registration"`
	RegistrationClosesAt *time.Time    `json:"registration_closes_at"`
	Status               string        `json:"status"`
	CancelReason         string        `json:"cancel_reason,omitempty"`
	Minutes              string        `json:"minutes"`
	MinutesHTML          template.HTML `json:"minutes_html"`
	Registered           int           `json:"registered"` // people with a place
	Waiting              int           `json:"waiting"`    // people on the waiting list
	CreatedAt            time.Time     `json:"created_at"`
	UpdatedAt            time.Time     `json:"updated_at"`
	Sequence             int           `json:"-"`                     // grows with every change (iCalendar SEQUENCE)
	Attachments          []Attachment  `json:"attachments,omitempty"` // read by Get, not by lists
	// Mine is the viewer's own registration (nil: none, or signed out).
	Mine *Registration `json:"my_registration,omitempty"`
	// Open says whether registering is possible now (computed when read).
	Open bool `json:"registration_open"`
}

// PlacesLeft is how many places are free (-1: no limit).
func (e Event) PlacesLeft() int {
	if e.Capacity == nil {
		return -1
	}
	return max(*e.Capacity-e.Registered, 0)
}

// Past says whether the event has ended by now.
func (e Event) Past(now time.Time) bool { return !e.EndsAt.After(now) }

// Started says whether the event has begun by now.
func (e Event) Started(now time.Time) bool { return !e.StartsAt.After(now) }

// ClosesAt is when registration closes: its own time, or the start.
func (e Event) ClosesAt() time.Time {
	if e.RegistrationClosesAt != nil && e.RegistrationClosesAt.Before(e.StartsAt) {
		return *e.RegistrationClosesAt
	}
	return e.StartsAt
}

// openAt says whether registration is open at now.
func (e Event) openAt(now time.Time) bool {
	return e.Status == Published && e.Registration && now.Before(e.ClosesAt())
}

// Online says whether the event has a link to join online.
func (e Event) Online() bool { return e.OnlineURL != "" }

// SameDay says whether the event starts and ends on one day in Warsaw.
func (e Event) SameDay(loc *time.Location) bool {
	a, b := e.StartsAt.In(loc), e.EndsAt.In(loc)
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

// Attachment is a file attached to an event afterwards.
type Attachment = upload.Attachment

// MaxAttachments is how many files one event may carry.
const MaxAttachments = 10

// attachments are the event_attachments table's files.
var attachments = upload.Attachments{Table: "event_attachments", Owner: "event_id", Max: MaxAttachments,
	TooMany: "events.too_many_attachments",
	URL:     func(owner, file int64) string { return fmt.Sprintf("/wydarzenia/%d/zalaczniki/%d", owner, file) }}

// Registration is one person's registration for an event.
type Registration struct {
	Status string `json:"status"`
	// Position is the place on the waiting list, from 1 (0 when not waiting).
	Position int `json:"position,omitempty"`
}

// Registrant is a registration as the staff list it.
type Registrant struct {
	UserID      int64     `json:"user_id"`
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email"`
	Status      string    `json:"status"`
	Position    int       `json:"position,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Choice is a district to pick from a list.
type Choice struct {
	ID   int64
	Slug string
	Name string
}
