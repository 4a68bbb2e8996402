package server

import (
	"context"

	"github.com/jackc/pgx/v5"

	"lawka/internal/comment"
	"lawka/internal/moderation"
	"lawka/internal/neighbourhood"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/proposal"
)

// Moderation is the moderation service (tests report and decide through it).
func (s *Server) Moderation() *moderation.Service { return s.moderationService }

// proposalGate holds first-time posters' proposals in districts and topics that ask
// for pre-moderation.
type proposalGate struct {
	mod    *moderation.Service
	places *neighbourhood.Store
}

func (g proposalGate) Hold(ctx context.Context, q db.Querier, p auth.Principal, districtID int64, topicIDs []int64) (bool, error) {
	on, err := g.places.Premoderated(ctx, q, districtID, topicIDs)
	if err != nil {
		return false, err
	}
	return g.mod.Hold(ctx, q, p, on)
}

func (g proposalGate) Held(ctx context.Context, tx pgx.Tx, id, authorID int64) error {
	return g.mod.Held(ctx, tx, moderation.Ref{Type: "proposal", ID: id}, authorID)
}

// commentGate holds first-time posters' comments on proposals in districts and topics
// that ask for pre-moderation.
type commentGate struct {
	mod       *moderation.Service
	places    *neighbourhood.Store
	proposals *proposal.Service
}

func (g commentGate) Hold(ctx context.Context, q db.Querier, p auth.Principal, t comment.Target) (bool, error) {
	if t.Type != "proposal" {
		return false, nil
	}
	district, topics, err := g.proposals.Place(ctx, q, t.ID)
	if err != nil {
		return false, err
	}
	on, err := g.places.Premoderated(ctx, q, district, topics)
	if err != nil {
		return false, err
	}
	return g.mod.Hold(ctx, q, p, on)
}

func (g commentGate) Held(ctx context.Context, tx pgx.Tx, id, authorID int64) error {
	return g.mod.Held(ctx, tx, moderation.Ref{Type: "comment", ID: id}, authorID)
}
