// Package comment runs discussions on anything "commentable" (proposals now;
// consultations, drafts and debates later): threaded comments with a stance, Markdown
// sanitised when written, edits with their history kept, deletion that leaves a
// tombstone so replies keep their place, up/down votes one per account, sorts and
// cursor pages, comments received on paper, and live delivery of new comments to
// everyone viewing the target.
//
// A target feature registers a Commentable for its kind ("proposal"); this package asks
// it who may read and comment, and where the target lives, so it never imports it.
package comment

import (
	"context"
	"html/template"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
)

// Limits of a thread and of one comment.
const (
	// MaxDepth is the depth of the deepest reply (roots are 0): five levels in all, as
	// many as a phone can show indented. The schema refuses deeper ones too.
	MaxDepth = 4
	// MaxBody is the longest comment, in characters.
	MaxBody = 5000
	// PageSize is how many threads (root comments) one page holds.
	PageSize = 20
	// RepliesShown is how many replies of each thread a target's page shows (the first
	// ones by time, which always form a connected part of the thread); the rest are
	// behind a "more replies" link to the thread's own page.
	RepliesShown = 5
	// ThreadSize is how many replies a thread's own page shows at a time.
	ThreadSize = 200
	// MaxAuthorName is the longest name written on a paper comment.
	MaxAuthorName = 120
)

// Stances a comment takes on its target.
const (
	For     = "for"
	Against = "against"
	Neutral = "neutral"
)

// Stances in the order pages show them.
var Stances = []string{For, Against, Neutral}

// Sorts of a target's threads.
const (
	Best   = "best" // score (up − down), then newer first
	Newest = "newest"
	Oldest = "oldest"
)

// Sorts in the order pages offer them.
var Sorts = []string{Best, Newest, Oldest}

// Statuses of a comment.
const (
	Visible = "visible"
	Deleted = "deleted" // by its author or a moderator: a tombstone without text
	Hidden  = "hidden"  // by moderation: text kept for the author and moderators, a public reason shown
	Pending = "pending" // a first-time poster's comment waiting for a moderator (seen by its author)
)

// Channels a comment arrives by.
const (
	Online = "online"
	Paper  = "paper" // received on paper, entered by a moderator
)

// Commentable is what a target feature tells this package about its kind of target.
type Commentable interface {
	// CanRead says whether p may see the target and its comments (problem.NotFound
	// when the target does not exist or is hidden from p).
	CanRead(ctx context.Context, p auth.Principal, id int64) error
	// CanComment says whether p may comment on the target now (and edit and vote there).
	CanComment(ctx context.Context, p auth.Principal, id int64) error
	// Room is the realtime room of the target's page ("proposal:19").
	Room(id int64) string
	// Path is the target's page ("/propozycje/19").
	Path(id int64) string
	// Title names the target on the comment feature's own pages (forms, history).
	Title(ctx context.Context, id int64) (string, error)
}

// Target is what a comment is on.
type Target struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
}

// Author is the account that wrote a comment.
type Author struct {
	ID          int64  `json:"id"`
	DisplayName string `json:"display_name"`
}

// Comment is one comment as a viewer sees it. A deleted or hidden comment keeps its
// place and its replies but shows neither its author nor its text.
type Comment struct {
	ID       int64   `json:"id"`
	Target   Target  `json:"target"`
	ParentID *int64  `json:"parent_id"`
	RootID   *int64  `json:"root_id,omitempty"`
	Depth    int     `json:"depth"`
	Author   *Author `json:"author"` // nil: received on paper, or the account was erased
	// AuthorName is the name written on a paper comment (may be empty).
	AuthorName string        `json:"author_name,omitempty"`
	Stance     string        `json:"stance"`
	Body       string        `json:"body"`      // the Markdown as written
	BodyHTML   template.HTML `json:"body_html"` // sanitised when written
	Status     string        `json:"status"`
	// HiddenReason is the public reason of a hidden comment ("" while reports hid it,
	// pending a moderator's review).
	HiddenReason string     `json:"hidden_reason,omitempty"`
	Channel      string     `json:"channel"`
	Up           int        `json:"up"`
	Down         int        `json:"down"`
	Score        int        `json:"score"`
	MyVote       int        `json:"my_vote"` // the viewer's vote: 1, −1 or 0
	ReplyCount   int        `json:"reply_count"`
	CreatedAt    time.Time  `json:"created_at"`
	EditedAt     *time.Time `json:"edited_at,omitempty"`
	// Replies are the replies shown under this comment, oldest first.
	Replies []*Comment `json:"replies,omitempty"`
	// MoreReplies counts a thread's replies not included (roots only).
	MoreReplies int `json:"more_replies,omitempty"`

	Mine    bool `json:"-"` // written by the viewer
	HasScan bool `json:"-"` // a paper comment with its scan (shown to moderators)
	Erased  bool `json:"-"` // written online by an account since erased
}

// Visible reports whether the comment shows its text.
func (c *Comment) Visible() bool { return c.Status == Visible }

// Shown reports whether the viewer sees the text: a visible comment, or their own
// comment waiting for a moderator.
func (c *Comment) Shown() bool { return c.Status == Visible || c.Status == Pending && c.Mine }

// LastWritten is when the text shown was written (its last edit, or its posting).
func (c *Comment) LastWritten() time.Time {
	if c.EditedAt != nil {
		return *c.EditedAt
	}
	return c.CreatedAt
}

// Paper reports whether the comment was received on paper.
func (c *Comment) Paper() bool { return c.Channel == Paper }

// Summary counts a target's visible comments by stance.
type Summary struct {
	Comments int `json:"comments"`
	For      int `json:"for"`
	Against  int `json:"against"`
	Neutral  int `json:"neutral"`
	Paper    int `json:"paper"`
	// LastID is the newest comment's id (any status): a page shows it so that, after
	// missing live messages, it asks only for what came later.
	LastID int64 `json:"-"`
}

// Percent is a stance's share of the comments, rounded ("for", "against", "neutral").
func (s Summary) Percent(stance string) int {
	if s.Comments == 0 {
		return 0
	}
	n := map[string]int{For: s.For, Against: s.Against, Neutral: s.Neutral}[stance]
	return (n*100 + s.Comments/2) / s.Comments
}

// Count is a stance's number of comments.
func (s Summary) Count(stance string) int {
	return map[string]int{For: s.For, Against: s.Against, Neutral: s.Neutral}[stance]
}

// Page is one page of a target's threads: roots with their first replies.
type Page struct {
	Items      []*Comment `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// Votes are a comment's counts after a vote, and the voter's own vote.
type Votes struct {
	ID     int64 `json:"id"`
	Up     int   `json:"up"`
	Down   int   `json:"down"`
	Score  int   `json:"score"`
	MyVote int   `json:"my_vote"`
}

// Revision is an earlier version of an edited comment.
type Revision struct {
	Body       string        `json:"body"`
	BodyHTML   template.HTML `json:"body_html"`
	WrittenAt  time.Time     `json:"written_at"`  // when this version was written
	ReplacedAt time.Time     `json:"replaced_at"` // when an edit replaced it
}

// Publisher pushes live updates (the realtime hub).
type Publisher interface {
	Publish(ctx context.Context, room, msgType string, data any) error
}

// Deps are the service's optional collaborators: without Limits nothing is rate-limited
// (command line, seeds), without Publisher nothing is pushed live.
type Deps struct {
	Limits    *ratelimit.Limiter
	Publisher Publisher
	Log       *slog.Logger
	Notifier  Notifier // follows and notifications (notify.go)
	Gate      Gate     // pre-moderation of first-time posters (moderation.go)
}

// Service holds the comment rules.
type Service struct {
	pool   *pgxpool.Pool
	limits *ratelimit.Limiter
	pub    Publisher
	log    *slog.Logger
	// notifier tells the parent's author and the target's followers (notify.go)
	notifier Notifier
	gate     Gate

	mu    sync.RWMutex
	kinds map[string]Commentable
}

// NewService builds the service.
func NewService(pool *pgxpool.Pool, d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{pool: pool, limits: d.Limits, pub: d.Publisher, log: d.Log, notifier: d.Notifier, gate: d.Gate, kinds: map[string]Commentable{}}
}

// Register makes targets of kind commentable ("proposal").
func (s *Service) Register(kind string, c Commentable) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kinds[kind] = c
}

// kind is the registered Commentable of a kind; an unknown kind is not found.
func (s *Service) kind(kind string) (Commentable, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.kinds[kind]
	if !ok {
		return nil, problem.NotFound()
	}
	return c, nil
}

// Where tells the page and room of a target (for redirects after a form).
func (s *Service) Where(t Target) (path, room string, err error) {
	k, err := s.kind(t.Type)
	if err != nil {
		return "", "", err
	}
	return k.Path(t.ID), k.Room(t.ID), nil
}
