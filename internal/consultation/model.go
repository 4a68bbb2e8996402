// Package consultation holds public consultations: a city department or the coalition
// puts a matter (with its documents) to residents of some districts, with questions to
// answer online — a draft saved as they go, submitted with a receipt, editable until the
// close — or on paper, typed in by one moderator and checked by another. After the
// close the staff analyse the responses; once the report phase starts the results
// (charts with data tables, participation, free-text answers) are public.
package consultation

import (
	"fmt"
	"html/template"
	"time"

	"lawka/internal/platform/upload"
)

// Phases, in order. A consultation's phase follows from its dates.
const (
	Information = "information" // published, not yet open for responses
	Open        = "open"        // open for responses
	Analysis    = "analysis"    // closed; the organiser analyses the responses
	Report      = "report"      // the report is published
)

// Phases lists the phases in order.
var Phases = []string{Information, Open, Analysis, Report}

// Statuses of a consultation.
const (
	Draft     = "draft" // seen by the staff only
	Published = "published"
)

// Organiser kinds.
var OrganiserKinds = []string{"city", "coalition"}

// Eligibilities: who may respond online (as polls say it; a consultation always asks
// for an account, so there is no "open").
var Eligibilities = []string{"registered", "verified", "members"}

// Question kinds.
const (
	Single   = "single"
	Multiple = "multiple"
	Scale    = "scale" // 1–5
	Ranking  = "ranking"
	Text     = "text"
)

// Kinds lists the question kinds in the order forms offer them.
var Kinds = []string{Single, Multiple, Scale, Ranking, Text}

// Channels a response arrives by.
const (
	Online = "online"
	Paper  = "paper"
)

// Response statuses.
const (
	ResponseDraft = "draft"
	Submitted     = "submitted"
)

// Limits.
const (
	MaxQuestions   = 30
	MaxOptions     = 12
	MaxAttachments = 10
	MaxTextLength  = 10000
)

// Option is one choice of a question; its ID is its place, from 1.
type Option struct {
	ID    int    `json:"id"`
	Label string `json:"label"`
}

// Question is one question of a consultation.
type Question struct {
	ID        int64    `json:"id"`
	Position  int      `json:"position"`
	Kind      string   `json:"kind"`
	Prompt    string   `json:"prompt"`
	Hint      string   `json:"hint"`
	Required  bool     `json:"required"`
	Options   []Option `json:"options"`
	MaxLength *int     `json:"max_length"`
}

// Field is the form field (and the error's field name) of the question's answer.
func (q Question) Field() string { return fmt.Sprintf("q%d", q.ID) }

// Labels are the options' labels in order.
func (q Question) Labels() []string {
	out := make([]string, len(q.Options))
	for i, o := range q.Options {
		out[i] = o.Label
	}
	return out
}

// Consultation is one consultation as a viewer sees it.
type Consultation struct {
	ID              int64         `json:"id"`
	Title           string        `json:"title"`
	OrganiserKind   string        `json:"organiser_kind"`
	Organiser       string        `json:"organiser"`
	Description     string        `json:"description"`
	DescriptionHTML template.HTML `json:"description_html"`
	Eligibility     string        `json:"eligibility"`
	Status          string        `json:"status"`
	Phase           string        `json:"phase"`
	OpensAt         time.Time     `json:"opens_at"`
	ClosesAt        time.Time     `json:"closes_at"`
	ReportAt        time.Time     `json:"report_at"`
	DistrictIDs     []int64       `json:"district_ids"`
	Responses       int           `json:"responses"` // submitted, both channels
	CreatedAt       time.Time     `json:"created_at"`
	UpdatedAt       time.Time     `json:"updated_at"`
	Questions       []Question    `json:"questions,omitempty"`   // read by Get, not by lists
	Attachments     []Attachment  `json:"attachments,omitempty"` // read by Get, not by lists
}

// PhaseAt is the consultation's phase at now.
func (c Consultation) PhaseAt(now time.Time) string {
	switch {
	case now.Before(c.OpensAt):
		return Information
	case now.Before(c.ClosesAt):
		return Open
	case now.Before(c.ReportAt):
		return Analysis
	}
	return Report
}

// Question finds a question by id.
func (c Consultation) Question(id int64) (Question, bool) {
	for _, q := range c.Questions {
		if q.ID == id {
			return q, true
		}
	}
	return Question{}, false
}

// Attachment is a document put up for consultation.
type Attachment = upload.Attachment

var attachments = upload.Attachments{Table: "consultation_attachments", Owner: "consultation_id", Max: MaxAttachments,
	TooMany: "consultations.too_many_attachments",
	URL:     func(owner, file int64) string { return fmt.Sprintf("/konsultacje/%d/dokumenty/%d", owner, file) }}

// Answer is the answer to one question: exactly one of its parts is set.
type Answer struct {
	Choices []int  `json:"choices,omitempty"` // single, multiple; ranking: options in ranked order
	Scale   int    `json:"scale,omitempty"`
	Text    string `json:"text,omitempty"`
}

// Empty says whether nothing was answered.
func (a Answer) Empty() bool { return len(a.Choices) == 0 && a.Scale == 0 && a.Text == "" }

// Response is a participant's response.
type Response struct {
	ID             int64            `json:"id"`
	ConsultationID int64            `json:"consultation_id"`
	Channel        string           `json:"channel"`
	Status         string           `json:"status"`
	Receipt        string           `json:"receipt,omitempty"`
	Answers        map[int64]Answer `json:"answers"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
	SubmittedAt    *time.Time       `json:"submitted_at"`
}

// PaperEntry is a paper response as the staff list it.
type PaperEntry struct {
	ID          int64
	Receipt     string
	District    string
	Note        string
	EnteredBy   int64
	EnteredName string
	CheckedName string
	CheckedAt   *time.Time
	HasScan     bool
	CreatedAt   time.Time
}

// Choice is a district to pick from a list.
type Choice struct {
	ID   int64
	Slug string
	Name string
}

// Max is a free-text question's longest answer (0 for other kinds).
func (q Question) Max() int {
	if q.MaxLength == nil {
		return 0
	}
	return *q.MaxLength
}
