package server

import (
	"context"
	"strconv"

	"lawka/internal/comment"
	"lawka/internal/consultation"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/problem"
	"lawka/internal/proposal"
)

// Comments is the comment service (tests register their own commentables on it).
func (s *Server) Comments() *comment.Service { return s.commentService }

// proposalComments tells the comment feature about proposals: whoever may see a
// proposal reads its comments; signed-in people comment on it (and edit and vote there)
// once it is published and until it is withdrawn — decided ones stay open to discussion.
type proposalComments struct{ svc *proposal.Service }

func (pc proposalComments) CanRead(ctx context.Context, p auth.Principal, id int64) error {
	return pc.svc.CanView(ctx, p, id)
}

func (pc proposalComments) CanComment(ctx context.Context, p auth.Principal, id int64) error {
	pr, err := pc.svc.Read(ctx, p, id)
	if err != nil {
		return err
	}
	if err := auth.RequireActive(p); err != nil {
		return err
	}
	if pr.Hidden() {
		return problem.Conflict("comments_closed", "comments.closed_moderation")
	}
	if pr.Status == proposal.Draft || pr.Status == proposal.Withdrawn {
		return problem.Conflict("comments_closed", "comments.closed")
	}
	return nil
}

func (pc proposalComments) Room(id int64) string { return proposal.RoomOf(id) }

func (pc proposalComments) Path(id int64) string { return "/propozycje/" + strconv.FormatInt(id, 10) }

// Title is the proposal's title as anyone sees it ("" for a draft).
func (pc proposalComments) Title(ctx context.Context, id int64) (string, error) {
	pr, err := pc.svc.Read(ctx, auth.Principal{}, id)
	return pr.Title, err
}

// consultationComments tells the comment feature about consultations: whoever may see
// one reads its comments; signed-in people comment on a published one in every phase.
type consultationComments struct{ svc *consultation.Service }

func (cc consultationComments) CanRead(ctx context.Context, p auth.Principal, id int64) error {
	return cc.svc.CanView(ctx, p, id)
}

func (cc consultationComments) CanComment(ctx context.Context, p auth.Principal, id int64) error {
	k, err := cc.svc.Read(ctx, p, id)
	if err != nil {
		return err
	}
	if err := auth.RequireActive(p); err != nil {
		return err
	}
	if k.Status != consultation.Published {
		return problem.Conflict("comments_closed", "comments.closed")
	}
	return nil
}

// CanFollow lets the notify feature tell followers of a consultation about its comments
// (replies to one's comment, for now): whoever may see it.
func (cc consultationComments) CanFollow(ctx context.Context, p auth.Principal, id int64) error {
	return cc.svc.CanView(ctx, p, id)
}

func (cc consultationComments) Room(id int64) string {
	return "consultation:" + strconv.FormatInt(id, 10)
}

func (cc consultationComments) Path(id int64) string {
	return "/konsultacje/" + strconv.FormatInt(id, 10)
}

// Title is the consultation's title as anyone sees it.
func (cc consultationComments) Title(ctx context.Context, id int64) (string, error) {
	k, err := cc.svc.Read(ctx, auth.Principal{}, id)
	return k.Title, err
}
