package comment

import (
	"context"

	"lawka/internal/platform/db"
)

// Notifier is the notify feature as comments need it: the author of the comment
// replied to, and the people who follow the target, hear of a new comment. The server
// sets Deps.Notifier; without one (seeds, tests) nobody is told.
type Notifier interface {
	// Commented tells them, in the comment's transaction (never its author); the
	// returned func pushes their new unread counts after the commit.
	Commented(ctx context.Context, q db.Querier, n News) (func(context.Context), error)
}

// News is a new comment as the notify feature is told of it.
type News struct {
	Target         Target
	CommentID      int64
	AuthorID       int64 // 0: received on paper
	ParentAuthorID int64 // the author of the comment replied to (0: none, or not known)
	// Title names the target in the notification, read before the comment's transaction:
	// a read through the pool inside it would hold the target's counts row lock while
	// waiting for a second connection, and under a burst of posts every connection of the
	// pool ends up waiting for that lock.
	Title string
}

func (s *Service) commented(ctx context.Context, q db.Querier, n News) (func(context.Context), error) {
	if s.notifier == nil {
		return func(context.Context) {}, nil
	}
	return s.notifier.Commented(ctx, q, n)
}
