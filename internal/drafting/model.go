// Package drafting is the coalition's joint response to a consultation, written
// together: a document of ordered Markdown sections, each with an owner, that any
// advocate of a member organisation may edit. A save names the version it was based on
// and is refused (409, both texts kept) when someone saved first; every save is a
// revision (history, readable diffs, restore as a new revision). Comments hang on a
// passage and follow it through edits. The document goes drafting → review → approved
// → submitted; organisations co-sign it in review, an edit after that asks them to
// confirm again, and the submitted document is frozen and public.
package drafting

import (
	"html/template"
	"time"
)

// Statuses of a document, in order.
const (
	Drafting  = "drafting"
	Review    = "review"
	Approved  = "approved"
	Submitted = "submitted"
)

// Statuses lists the statuses in order.
var Statuses = []string{Drafting, Review, Approved, Submitted}

// transitions are the moves of the workflow: forward one step, or back from review and
// approved for more work. Submitted is final.
var transitions = map[string][]string{
	Drafting: {Review},
	Review:   {Approved, Drafting},
	Approved: {Submitted, Review},
}

// Editable says whether the text may change in status: while drafting and in review
// (an edit in review asks the co-signers to confirm again); approved and submitted
// texts stay as they are.
func Editable(status string) bool { return status == Drafting || status == Review }

// Co-signature statuses.
const (
	Signed    = "signed"
	ToConfirm = "to_confirm" // the text changed after signing
)

// Limits.
const (
	MaxTitle    = 200
	MaxBody     = 20000
	MaxSections = 30
	MaxComment  = 2000
	MaxQuote    = 1000
	contextLen  = 32 // characters of prefix and suffix kept around a quoted passage
)

// Person is who wrote or owns something.
type Person struct {
	ID          int64  `json:"id"`
	DisplayName string `json:"display_name"`
}

// Document is a response document with its sections.
type Document struct {
	ID                int64         `json:"id"`
	ConsultationID    int64         `json:"consultation_id"`
	ConsultationTitle string        `json:"consultation_title"`
	Title             string        `json:"title"`
	Status            string        `json:"status"`
	Revision          int           `json:"revision"`
	CreatedBy         *Person       `json:"created_by"`
	CreatedAt         time.Time     `json:"created_at"`
	UpdatedAt         time.Time     `json:"updated_at"`
	SubmittedAt       *time.Time    `json:"submitted_at"`
	Sections          []Section     `json:"sections"`
	Cosignatures      []Cosignature `json:"cosignatures"`
}

// Frozen says whether the document can no longer change at all.
func (d Document) Frozen() bool { return d.Status == Submitted }

// SubmittedOn is when the document was submitted (zero before).
func (d Document) SubmittedOn() time.Time {
	if d.SubmittedAt == nil {
		return time.Time{}
	}
	return *d.SubmittedAt
}

// Section finds a section by id.
func (d Document) Section(id int64) (Section, bool) {
	for _, s := range d.Sections {
		if s.ID == id {
			return s, true
		}
	}
	return Section{}, false
}

// Section is one part of a document.
type Section struct {
	ID        int64         `json:"id"`
	Position  int           `json:"position"`
	Title     string        `json:"title"`
	Body      string        `json:"body"`
	BodyHTML  template.HTML `json:"body_html"`
	Owner     *Person       `json:"owner"`
	Version   int           `json:"version"`
	UpdatedBy *Person       `json:"updated_by"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// Revision is one saved version of a section.
type Revision struct {
	ID           int64     `json:"id"`
	SectionID    int64     `json:"section_id"`
	Version      int       `json:"version"`
	DocRevision  int       `json:"doc_revision"`
	Title        string    `json:"title"`
	Body         string    `json:"body"`
	Author       *Person   `json:"author"`
	RestoredFrom *int      `json:"restored_from"`
	CreatedAt    time.Time `json:"created_at"`
}

// Comment is a remark on a passage of a section.
type Comment struct {
	ID         int64      `json:"id"`
	SectionID  int64      `json:"section_id"`
	Author     *Person    `json:"author"`
	Body       string     `json:"body"`
	Quote      string     `json:"quote"`
	Prefix     string     `json:"prefix"`
	Suffix     string     `json:"suffix"`
	Start      int        `json:"start"`
	Outdated   bool       `json:"outdated"`
	ResolvedAt *time.Time `json:"resolved_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Cosignature is an organisation's signature under the document.
type Cosignature struct {
	OrganisationID   int64     `json:"organisation_id"`
	OrganisationName string    `json:"organisation_name"`
	SignerName       string    `json:"signer_name"`
	Status           string    `json:"status"`
	DocRevision      int       `json:"doc_revision"`
	SignedAt         time.Time `json:"signed_at"`
}

// Organisation is an organisation the viewer may sign for.
type Organisation struct {
	ID   int64
	Name string
}

// Summary is a document as the consultation's page lists it.
type Summary struct {
	ID           int64
	Title        string
	Status       string
	Sections     int
	Cosignatures int
	UpdatedAt    time.Time
	SubmittedAt  *time.Time
}
