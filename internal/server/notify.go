package server

import (
	"context"
	"strconv"
	"time"

	"lawka/internal/comment"
	"lawka/internal/notify"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/proposal"
)

// Notifications is the notify service (tests run digests on demand).
func (s *Server) Notifications() *notify.Service { return s.notifyService }

// unreadFor is the signed-in person's unread count for the page header: one
// primary-key read, given a short budget of its own, so a page (an error page while
// PostgreSQL is away, too) is never held up by it; 0 when it cannot be read.
func (s *Server) unreadFor(ctx context.Context, p auth.Principal) int {
	if s.notifyService == nil || !p.SignedIn() {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	c, err := s.notifyService.Unread(ctx, p)
	if err != nil {
		return 0
	}
	return c.Unread
}

// followableProposals tells the notify feature about proposals: whoever may see one
// may follow it.
type followableProposals struct{ svc *proposal.Service }

func (f followableProposals) CanFollow(ctx context.Context, p auth.Principal, id int64) error {
	return f.svc.CanView(ctx, p, id)
}

func (followableProposals) Path(id int64) string { return "/propozycje/" + strconv.FormatInt(id, 10) }

// proposalNotifier is the notify feature as proposals ask for it.
type proposalNotifier struct{ svc *notify.Service }

func proposalTarget(id int64) notify.Target { return notify.Target{Type: "proposal", ID: id} }

func (n proposalNotifier) FollowOwn(ctx context.Context, q db.Querier, userID, proposalID int64) error {
	return n.svc.FollowIn(ctx, q, userID, proposalTarget(proposalID))
}

func (n proposalNotifier) Discarded(ctx context.Context, q db.Querier, userID, proposalID int64) error {
	return n.svc.UnfollowIn(ctx, q, userID, proposalTarget(proposalID))
}

func (n proposalNotifier) StatusChanged(ctx context.Context, q db.Querier, c proposal.StatusNews) (func(context.Context), error) {
	sent, err := n.svc.Notify(ctx, q, notify.Event{Kind: notify.KindStatus, Target: proposalTarget(c.ProposalID),
		ActorID: c.ActorID, Data: map[string]any{"title": c.Title, "from": c.From, "to": c.To, "official": c.Official}})
	return func(ctx context.Context) { n.svc.Announce(ctx, sent) }, err
}

func (n proposalNotifier) Following(ctx context.Context, userID, proposalID int64) (bool, error) {
	return n.svc.Following(ctx, auth.Principal{UserID: userID}, proposalTarget(proposalID))
}

// commentNotifier is the notify feature as comments ask for it: the author of the
// comment replied to hears of the reply, the target's other followers of a new comment.
type commentNotifier struct {
	svc    *notify.Service
	titles map[string]func(ctx context.Context, id int64) (string, error)
}

func (n commentNotifier) Commented(ctx context.Context, q db.Querier, c comment.News) (func(context.Context), error) {
	title := c.Title
	if f, ok := n.titles[c.Target.Type]; ok && title == "" {
		t, err := f(ctx, c.Target.ID)
		if err != nil {
			return nil, err
		}
		title = t
	}
	target := notify.Target{Type: c.Target.Type, ID: c.Target.ID}
	data := map[string]any{"title": title, "comment_id": c.CommentID}
	var sent notify.Sent
	var except []int64
	if c.ParentAuthorID != 0 && c.ParentAuthorID != c.AuthorID {
		s, err := n.svc.Notify(ctx, q, notify.Event{Kind: notify.KindReply, Target: target, ActorID: c.AuthorID, Data: data,
			Also: []int64{c.ParentAuthorID}, Only: true})
		if err != nil {
			return nil, err
		}
		sent, except = append(sent, s...), []int64{c.ParentAuthorID}
	}
	s, err := n.svc.Notify(ctx, q, notify.Event{Kind: notify.KindComment, Target: target, ActorID: c.AuthorID, Data: data,
		Except: except})
	if err != nil {
		return nil, err
	}
	sent = append(sent, s...)
	return func(ctx context.Context) { n.svc.Announce(ctx, sent) }, nil
}
