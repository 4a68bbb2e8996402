// Package moderation keeps public discussion calm: residents report a proposal or a
// comment (a reason from a list, one report per account and item); an item reported by
// enough different people is hidden at once, pending review; moderators work through a
// queue of cases, hiding or restoring items (alone or in bulk) with a public reason;
// the author is told and may appeal once; and in districts or topics that ask for it,
// the first posts of a new participant wait for a moderator before anyone sees them.
//
// The items belong to other features: each registers a Kind that reads its items and
// changes their visibility inside this package's transaction, so a decision, its audit
// record and its notification commit together. Blocking accounts lives with accounts.
package moderation

import (
	"context"
	"html/template"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
)

// Visibility of an item.
const (
	Visible = "visible"
	Pending = "pending" // waits for a moderator (pre-moderation)
	Hidden  = "hidden"  // by moderation, with a public reason ("" while only reports hid it)
	Gone    = "deleted" // deleted by its author or a moderator: nothing left to decide
)

// Reasons a report gives, in the order forms offer them.
var Reasons = []string{"spam", "abuse", "hate", "personal_data", "off_topic", "illegal", "other"}

// Actions a moderator takes on items.
const (
	Hide    = "hide"
	Restore = "restore" // show again, approve a held post, or keep a reported one
)

// Why a case is open.
const (
	WhyReports       = "reports"
	WhyPremoderation = "premoderation"
	WhyAppeal        = "appeal"
	WhyModerator     = "moderator" // a moderator acted without a report
)

// Whys are the queue's filters, in the order pages offer them.
var Whys = []string{WhyReports, WhyPremoderation, WhyAppeal}

// Limits.
const (
	// DefaultHideAfter is how many different people's reports hide an item until a
	// moderator looks at it (LAWKA_REPORTS_TO_HIDE).
	DefaultHideAfter = 3
	MaxNote          = 1000
	MaxReason        = 500
	MinReason        = 5
	MinAppeal        = 10
	MaxAppeal        = 2000
	// MaxBulk is how many items one decision may cover.
	MaxBulk = 100
	// QueueSize is how many cases a queue page shows.
	QueueSize = 50
)

// Ref names an item.
type Ref struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
}

// Item is an item as moderators see it: its whole text, whatever its visibility.
type Item struct {
	Ref
	Title      string        `json:"title"` // a proposal's title, or the title of what a comment is on
	Text       string        `json:"text"`
	TextHTML   template.HTML `json:"text_html"`
	Path       string        `json:"path"` // where it is shown
	AuthorID   int64         `json:"author_id,omitempty"`
	AuthorName string        `json:"author_name,omitempty"`
	Visibility string        `json:"visibility"`
	// HiddenReason is the public reason of a hidden item ("" while reports hid it).
	HiddenReason string    `json:"hidden_reason,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// Kind is what a feature tells this package about its items ("proposal", "comment").
type Kind interface {
	// CanRead says whether p may see the item (problem.NotFound when not).
	CanRead(ctx context.Context, p auth.Principal, id int64) error
	// Items reads items by id as moderators see them; missing ids are left out.
	Items(ctx context.Context, q db.Querier, ids []int64) (map[int64]Item, error)
	// SetVisibility shows or hides the item inside tx (reason: the public reason of a
	// hidden item); the returned func runs after the commit (live updates).
	SetVisibility(ctx context.Context, tx pgx.Tx, id int64, to, reason string) (func(context.Context), error)
	// HasVisible says whether the person has anything of this kind shown publicly:
	// then they are not a first-time poster.
	HasVisible(ctx context.Context, q db.Querier, userID int64) (bool, error)
}

// Outcomes an author is told of.
const (
	OutcomeHidden        = "hidden"         // a moderator hid it
	OutcomeHiddenReports = "hidden_reports" // reports hid it, pending review
	OutcomeRestored      = "restored"
	OutcomeApproved      = "approved" // a held post was published
	OutcomeRefused       = "appeal_refused"
)

// News is a decision as the author is told of it.
type News struct {
	CaseID   int64
	AuthorID int64
	Item     Ref
	Title    string
	Outcome  string
	Reason   string
	ActorID  int64 // 0: the reports, not a person
}

// Notifier tells authors what happened to their items (the notify feature).
type Notifier interface {
	// Decided records the notification inside q; the func pushes it after the commit.
	Decided(ctx context.Context, q db.Querier, n News) (func(context.Context), error)
}

// Deps are the service's collaborators; all optional (seeds and tests).
type Deps struct {
	Limits *ratelimit.Limiter
	Log    *slog.Logger
	// HideAfter is how many different reporters hide an item (DefaultHideAfter if 0).
	HideAfter int
	Notifier  Notifier
}

// Service holds the moderation rules.
type Service struct {
	pool *pgxpool.Pool
	Deps

	mu    sync.RWMutex
	kinds map[string]Kind
}

// NewService builds the service.
func NewService(pool *pgxpool.Pool, d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.HideAfter <= 0 {
		d.HideAfter = DefaultHideAfter
	}
	return &Service{pool: pool, Deps: d, kinds: map[string]Kind{}}
}

// Register makes items of kind moderatable.
func (s *Service) Register(kind string, k Kind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kinds[kind] = k
}

func (s *Service) kind(kind string) (Kind, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.kinds[kind]
	return k, ok
}

// Types are the registered kinds, sorted.
func (s *Service) Types() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.kinds))
	for k := range s.kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// item reads one item through its kind; an unknown kind or id is not found.
func (s *Service) item(ctx context.Context, q db.Querier, ref Ref) (Item, Kind, error) {
	k, ok := s.kind(ref.Type)
	if !ok || ref.ID <= 0 {
		return Item{}, nil, problem.NotFound()
	}
	items, err := k.Items(ctx, q, []int64{ref.ID})
	if err != nil {
		return Item{}, nil, err
	}
	it, ok := items[ref.ID]
	if !ok {
		return Item{}, nil, problem.NotFound()
	}
	return it, k, nil
}

func (s *Service) decided(ctx context.Context, q db.Querier, n News) (func(context.Context), error) {
	if s.Notifier == nil || n.AuthorID == 0 {
		return func(context.Context) {}, nil
	}
	return s.Notifier.Decided(ctx, q, n)
}
