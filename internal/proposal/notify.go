package proposal

import (
	"context"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
)

// Notifier is the notify feature as proposals need it: authors follow their own
// proposals, and followers hear of status changes and official answers. The server
// sets Service.Notifier; without one (seeds, the command line) nobody is told.
type Notifier interface {
	// FollowOwn makes the author follow their new proposal, in its transaction.
	FollowOwn(ctx context.Context, q db.Querier, userID, proposalID int64) error
	// Discarded ends the author's follow of a draft they deleted, in its transaction.
	Discarded(ctx context.Context, q db.Querier, userID, proposalID int64) error
	// StatusChanged tells the proposal's followers but the actor, in the decision's
	// transaction; the returned func pushes their new unread counts after the commit.
	StatusChanged(ctx context.Context, q db.Querier, c StatusNews) (func(context.Context), error)
	// Following says whether userID follows the proposal (its page's button).
	Following(ctx context.Context, userID, proposalID int64) (bool, error)
}

// StatusNews is a status change as followers are told of it.
type StatusNews struct {
	ProposalID, ActorID int64
	Title, From, To     string
	Official            bool // a moderator's decision with its official answer
}

func (s *Service) followOwn(ctx context.Context, q db.Querier, userID, id int64) error {
	if s.Notifier == nil {
		return nil
	}
	return s.Notifier.FollowOwn(ctx, q, userID, id)
}

func (s *Service) discarded(ctx context.Context, q db.Querier, userID, id int64) error {
	if s.Notifier == nil {
		return nil
	}
	return s.Notifier.Discarded(ctx, q, userID, id)
}

func (s *Service) statusChanged(ctx context.Context, q db.Querier, c StatusNews) (func(context.Context), error) {
	if s.Notifier == nil {
		return func(context.Context) {}, nil
	}
	return s.Notifier.StatusChanged(ctx, q, c)
}

// following says whether p follows proposal id, and whether the page offers the button.
func (s *Service) following(ctx context.Context, p auth.Principal, id int64) (on, offered bool, err error) {
	if s.Notifier == nil || !p.SignedIn() {
		return false, false, nil
	}
	on, err = s.Notifier.Following(ctx, p.UserID, id)
	return on, true, err
}
