// Package notify lets people follow what they care about (a proposal now; anything a
// feature registers later) and tells them what happened there: in-app notifications
// for replies, status changes and official answers, an unread count that moves live in
// the page header, and an optional daily digest by mail with a one-click unsubscribe.
//
// Features call Notify inside the transaction of the event itself, so a decision and
// the notifications about it commit together, then Announce after the commit to push
// the new unread counts. This package never imports the features: each registers a
// Followable for its kind of target.
package notify

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/problem"
)

// Kinds of notification, with what their Data holds.
const (
	// KindStatus: a proposal's status changed. Data: title, from, to, official (a
	// moderator's decision with its official answer, not the author's own move).
	KindStatus = "proposal.status"
	// KindReply: someone replied to the person's comment. Data: title, comment_id.
	KindReply = "comment.reply"
	// KindComment: a new comment on something the person follows. Data: title, comment_id.
	KindComment = "comment.new"
	// KindModeration: moderation decided on the person's proposal or comment. Data:
	// title, item_type, outcome (hidden, hidden_reports, restored, approved,
	// appeal_refused), reason.
	KindModeration = "content.moderated"
	// KindPromise: a promise the person follows has a new update. Data: title, from,
	// to (the statuses before and after; equal when the status stayed).
	KindPromise = "promise.update"
	// KindCosignConfirm: the text of a coalition response the person's organisation
	// co-signed changed; they are asked to confirm again. Data: title.
	KindCosignConfirm = "response.confirm"
)

// PageSize is how many notifications a page holds.
const PageSize = 30

// Target is what people follow and notifications are about.
type Target struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
}

// Followable is what a feature tells this package about its kind of target.
type Followable interface {
	// CanFollow says whether p may see (and so follow) the target: problem.NotFound
	// when it does not exist or is hidden from p.
	CanFollow(ctx context.Context, p auth.Principal, id int64) error
	// Path is the target's page ("/propozycje/19").
	Path(id int64) string
}

// Event is something that happened to a target, for its followers.
type Event struct {
	Kind   string
	Target Target
	// ActorID is who did it; they are never told of their own act (0: nobody).
	ActorID int64
	// Data is what the text needs (see the kinds).
	Data map[string]any
	// Also are people told even if they do not follow the target (the author of the
	// comment replied to). Each person gets one notification per event.
	Also []int64
	// Only tells Also alone, not the followers.
	Only bool
	// Except are people not told (already told of the same act in another way).
	Except []int64
}

// Actor is who caused a notification, as its text names them.
type Actor struct {
	ID          int64  `json:"id"`
	DisplayName string `json:"display_name"`
}

// Notification is one notification as its owner sees it.
type Notification struct {
	ID        int64          `json:"id"`
	Kind      string         `json:"kind"`
	Target    Target         `json:"target"`
	Actor     *Actor         `json:"actor"` // nil: nobody in particular, or an erased account
	Data      map[string]any `json:"data"`
	Read      bool           `json:"read"`
	ReadAt    *time.Time     `json:"read_at"`
	CreatedAt time.Time      `json:"created_at"`
	Path      string         `json:"path"` // the page it is about
}

// Count is a person's unread count; Version grows with every change, so a client
// can ignore a count older than the one it shows.
type Count struct {
	UserID  int64 `json:"-"`
	Unread  int   `json:"unread"`
	Version int64 `json:"version"`
}

// Sent are the new counts of the people an event was told to, to Announce after the
// transaction commits.
type Sent []Count

// Publisher pushes live updates (the realtime hub).
type Publisher interface {
	Publish(ctx context.Context, room, msgType string, data any) error
}

// Deps are the service's collaborators. Without Publisher nothing is pushed live;
// without I18n no digest is written.
type Deps struct {
	Publisher Publisher
	I18n      *i18n.Bundle
	PublicURL string // for links in mail
	// Key returns the key that signs unsubscribe links (secret.Get in the server).
	Key func(ctx context.Context) ([]byte, error)
	Log *slog.Logger
}

// Service holds the rules of follows and notifications.
type Service struct {
	pool *pgxpool.Pool
	Deps

	mu    sync.RWMutex
	kinds map[string]Followable
	key   []byte
}

// NewService builds the service.
func NewService(pool *pgxpool.Pool, d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{pool: pool, Deps: d, kinds: map[string]Followable{}}
}

// Register makes targets of kind followable ("proposal").
func (s *Service) Register(kind string, f Followable) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kinds[kind] = f
}

func (s *Service) kind(kind string) (Followable, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.kinds[kind]
	return f, ok
}

// path is a notification's link: its target's page, at the comment when it names one.
func (s *Service) path(n Notification) string {
	f, ok := s.kind(n.Target.Type)
	if !ok {
		return "/powiadomienia"
	}
	p := f.Path(n.Target.ID)
	if id, ok := dataID(n.Data, "comment_id"); ok {
		p += "#komentarz-" + strconv.FormatInt(id, 10)
	}
	return p
}

// RoomOf is the realtime room of a person's unread count.
func RoomOf(userID int64) string { return "notifications:" + strconv.FormatInt(userID, 10) }

// Follow makes p follow t (again: nothing changes).
func (s *Service) Follow(ctx context.Context, p auth.Principal, t Target) error {
	if err := s.mayFollow(ctx, p, t); err != nil {
		return err
	}
	return follow(ctx, s.pool, p.UserID, t)
}

// FollowIn makes userID follow t inside the caller's transaction, without checks: for
// features that know the person may (the author of a new proposal).
func (s *Service) FollowIn(ctx context.Context, q db.Querier, userID int64, t Target) error {
	return follow(ctx, q, userID, t)
}

// UnfollowIn ends a follow inside the caller's transaction (the thing followed is gone).
func (s *Service) UnfollowIn(ctx context.Context, q db.Querier, userID int64, t Target) error {
	return unfollow(ctx, q, userID, t)
}

// Unfollow stops p following t (not following: nothing changes).
func (s *Service) Unfollow(ctx context.Context, p auth.Principal, t Target) error {
	if err := s.mayFollow(ctx, p, t); err != nil {
		return err
	}
	return unfollow(ctx, s.pool, p.UserID, t)
}

// Following says whether p follows t (false for visitors).
func (s *Service) Following(ctx context.Context, p auth.Principal, t Target) (bool, error) {
	if !p.SignedIn() {
		return false, nil
	}
	return following(ctx, s.pool, p.UserID, t)
}

func (s *Service) mayFollow(ctx context.Context, p auth.Principal, t Target) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	f, ok := s.kind(t.Type)
	if !ok || t.ID <= 0 {
		return problem.NotFound()
	}
	return f.CanFollow(ctx, p, t.ID)
}

// Notify records ev for the target's followers and ev.Also, except the actor, inside
// q: the caller's transaction, so the event and its notifications commit together (or
// not at all). Pass the result to Announce once the transaction has committed.
func (s *Service) Notify(ctx context.Context, q db.Querier, ev Event) (Sent, error) {
	if _, ok := s.kind(ev.Target.Type); !ok {
		return nil, problem.NotFound()
	}
	if ev.Data == nil {
		ev.Data = map[string]any{}
	}
	return fanOut(ctx, q, ev)
}

// Announce pushes the new unread counts to their owners' open pages. A failure is
// logged: the counts are saved, and the next page load shows them.
func (s *Service) Announce(ctx context.Context, sent Sent) {
	if s.Publisher == nil {
		return
	}
	for _, c := range sent {
		if err := s.Publisher.Publish(ctx, RoomOf(c.UserID), "notify.unread", c); err != nil {
			s.Log.Warn("notify: live unread count failed", "user", c.UserID, "error", err)
		}
	}
}

// List is a page of p's notifications, newest first, and the cursor of the next page.
func (s *Service) List(ctx context.Context, p auth.Principal, cur string) ([]Notification, string, error) {
	if !p.SignedIn() {
		return nil, "", problem.Unauthorized()
	}
	list, next, err := listPage(ctx, s.pool, p.UserID, cur, PageSize)
	if err != nil {
		return nil, "", err
	}
	for i := range list {
		list[i].Path = s.path(list[i])
	}
	return list, next, nil
}

// MaxMarked is how many ids one request may mark as read.
const MaxMarked = 100

// MarkRead marks p's notifications ids (all of them when all) as read and returns the
// new count. Ids of other people's notifications change nothing.
func (s *Service) MarkRead(ctx context.Context, p auth.Principal, ids []int64, all bool) (Count, error) {
	if !p.SignedIn() {
		return Count{}, problem.Unauthorized()
	}
	if !all && len(ids) == 0 {
		return Count{}, problem.Invalid(map[string]string{"ids": "notifications.nothing_to_mark"})
	}
	if len(ids) > MaxMarked {
		return Count{}, problem.Invalid(map[string]string{"ids": "notifications.too_many_ids"})
	}
	c, err := markRead(ctx, s.pool, p.UserID, ids, all)
	if err != nil {
		return Count{}, err
	}
	s.Announce(ctx, Sent{c})
	return c, nil
}

// Unread is p's unread count (zero for visitors).
func (s *Service) Unread(ctx context.Context, p auth.Principal) (Count, error) {
	if !p.SignedIn() {
		return Count{}, nil
	}
	return unread(ctx, s.pool, p.UserID)
}

// Room lets a person's pages follow their unread count ("notifications:<user id>").
type Room struct{ Svc *Service }

// Authorize admits the person themselves only.
func (r Room) Authorize(_ context.Context, p auth.Principal, id string) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return problem.NotFound()
	}
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	if n != p.UserID {
		return problem.Forbidden()
	}
	return nil
}

// Snapshot is the current count.
func (r Room) Snapshot(ctx context.Context, id string) (string, any, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return "", nil, problem.NotFound()
	}
	c, err := unread(ctx, r.Svc.pool, n)
	return "notify.unread", c, err
}

// dataID reads a numeric id from data as it comes back from jsonb (a float64) or as a
// caller put it in (an int64).
func dataID(data map[string]any, key string) (int64, bool) {
	switch v := data[key].(type) {
	case float64:
		return int64(v), v > 0
	case int64:
		return v, v > 0
	case int:
		return int64(v), v > 0
	}
	return 0, false
}

func dataString(data map[string]any, key string) string {
	s, _ := data[key].(string)
	return s
}
