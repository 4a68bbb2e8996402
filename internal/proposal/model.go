// Package proposal holds residents' proposals for their district: written in Markdown,
// filed under a district and topics, supported (one support per account), moved through
// a public status workflow where every decision carries an official answer, with every
// edit kept in a history anyone can read.
package proposal

import (
	"fmt"
	"html/template"
	"slices"
	"time"

	"lawka/internal/platform/upload"
)

// Statuses in workflow order.
const (
	Draft       = "draft"
	Published   = "published"
	UnderReview = "under_review"
	Accepted    = "accepted"
	Rejected    = "rejected"
	Implemented = "implemented"
	Withdrawn   = "withdrawn"
)

// Statuses lists every status, for filters.
var Statuses = []string{Published, UnderReview, Accepted, Rejected, Implemented, Withdrawn}

// Proposal is one proposal as shown to a viewer.
type Proposal struct {
	ID              int64         `json:"id"`
	Title           string        `json:"title"`
	Body            string        `json:"body"`
	BodyHTML        template.HTML `json:"body_html"`
	Status          string        `json:"status"`
	Author          *Author       `json:"author"` // nil once the account is erased
	NeighbourhoodID int64         `json:"neighbourhood_id"`
	TopicIDs        []int64       `json:"topic_ids"`
	Supports        int           `json:"supports"`
	Comments        int           `json:"comments"`
	Supported       bool          `json:"supported"` // by the viewer
	Channel         string        `json:"channel"`
	PaperAuthor     string        `json:"paper_author,omitempty"` // the name on a paper form
	HasScan         bool          `json:"-"`                      // a paper form's scan (staff only)
	Location        *Location     `json:"location,omitempty"`
	CreatedAt       time.Time     `json:"created_at"`
	UpdatedAt       time.Time     `json:"updated_at"`
	Revisions       int           `json:"revisions"`
	// Moderation is visible, pending (waits for a moderator) or hidden; only the author
	// and the staff see a proposal that is not visible.
	Moderation   string       `json:"moderation"`
	HiddenReason string       `json:"hidden_reason,omitempty"`
	Attachments  []Attachment `json:"attachments,omitempty"` // read by Get, not by lists
}

// Attachment is an image or PDF attached to a proposal.
type Attachment = upload.Attachment

// MaxAttachments is how many files one proposal may carry.
const MaxAttachments = 5

// attachments are the proposal_attachments table's files.
var attachments = upload.Attachments{Table: "proposal_attachments", Owner: "proposal_id", Max: MaxAttachments,
	TooMany: "proposals.too_many_attachments",
	URL:     func(owner, file int64) string { return fmt.Sprintf("/propozycje/%d/zalaczniki/%d", owner, file) }}

// Author is who wrote a proposal.
type Author struct {
	ID          int64  `json:"id"`
	DisplayName string `json:"display_name"`
}

// Location is an optional place on the map.
type Location struct {
	Label     string   `json:"label"`
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
}

// Revision is the text as it was after one save.
type Revision struct {
	ID        int64
	Title     string
	Body      string
	EditedBy  string
	CreatedAt time.Time
}

// StatusChange is a decision with its official answer.
type StatusChange struct {
	From, To   string
	Answer     template.HTML
	DecidedBy  string
	CreatedAt  time.Time
	ByOfficial bool // a moderator's or admin's decision, not the author's
}

// Open says whether the proposal can still be supported.
func (p Proposal) Open() bool { return p.Status == Published || p.Status == UnderReview }

// staffMoves are the decisions moderators and admins make, each with an answer.
var staffMoves = map[string][]string{
	Published:   {UnderReview, Accepted, Rejected},
	UnderReview: {Accepted, Rejected, Published},
	Accepted:    {Implemented, Rejected},
	Rejected:    {UnderReview},
}

// authorMoves are the author's own: publish a draft, withdraw.
var authorMoves = map[string][]string{
	Draft:       {Published}, // a withdrawn proposal is public; a draft stays the author's
	Published:   {Withdrawn},
	UnderReview: {Withdrawn},
}

// NextStatuses are the moves open to staff from status.
func NextStatuses(status string) []string { return slices.Clone(staffMoves[status]) }
