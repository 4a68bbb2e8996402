package proposal

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

// Moderation states of a proposal, apart from its workflow status.
const (
	ModVisible = "visible"
	ModPending = "pending" // a first-time poster's proposal waiting for a moderator
	ModHidden  = "hidden"
)

// Gate is the moderation feature as proposals need it: whether a new proposal waits
// for a moderator (pre-moderation of first-time posters in some districts and topics),
// and opening the case of one that does. The server sets Service.Gate; without one
// (seeds, the command line) nothing waits.
type Gate interface {
	Hold(ctx context.Context, q db.Querier, p auth.Principal, districtID int64, topicIDs []int64) (bool, error)
	Held(ctx context.Context, tx pgx.Tx, id, authorID int64) error
}

// hold decides a publication's moderation state inside its transaction.
func (s *Service) hold(ctx context.Context, tx pgx.Tx, p auth.Principal, districtID int64, topicIDs []int64) (string, error) {
	if s.Gate == nil {
		return ModVisible, nil
	}
	wait, err := s.Gate.Hold(ctx, tx, p, districtID, topicIDs)
	if err != nil || !wait {
		return ModVisible, err
	}
	return ModPending, nil
}

// Hidden reports whether moderation keeps the proposal from the public.
func (p Proposal) Hidden() bool { return p.Moderation != "" && p.Moderation != ModVisible }

// ForModeration reads proposals by id whatever their state (for the moderation
// feature, which shows them to moderators).
func (s *Service) ForModeration(ctx context.Context, q db.Querier, ids []int64) ([]Proposal, error) {
	return queryOn(ctx, q, auth.Principal{}, `WHERE pr.id = ANY($2)`, ids)
}

// SetModeration shows or hides a proposal (to: visible, hidden) inside the moderation
// feature's transaction; reason is the public reason of a hidden one.
func (s *Service) SetModeration(ctx context.Context, tx pgx.Tx, id int64, to, reason string) error {
	_, err := tx.Exec(ctx, `UPDATE proposals SET moderation = $2, hidden_reason = CASE WHEN $2 = 'hidden' THEN $3 END
		WHERE id = $1`, id, to, reason)
	return err
}

// HasVisible says whether the person has a proposal the public sees.
func (s *Service) HasVisible(ctx context.Context, q db.Querier, userID int64) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM proposals WHERE author_id = $1 AND moderation = 'visible'
		AND status <> 'draft')`, userID).Scan(&ok)
	return ok, err
}

// Place is a proposal's district and topics (for pre-moderation of its comments), read
// through q: callers ask inside their transaction, and a second pool connection taken
// there can wait forever once every connection is such a transaction.
func (s *Service) Place(ctx context.Context, q db.Querier, id int64) (int64, []int64, error) {
	var district int64
	var topics []int64
	err := q.QueryRow(ctx, `SELECT neighbourhood_id, array(SELECT topic_id FROM proposal_topics WHERE proposal_id = $1)
		FROM proposals WHERE id = $1`, id).Scan(&district, &topics)
	return district, topics, err
}

// holdDraft sends a draft being published to pre-moderation when the gate says so.
func (s *Service) holdDraft(ctx context.Context, tx pgx.Tx, p auth.Principal, cur Proposal) error {
	mod, err := s.hold(ctx, tx, p, cur.NeighbourhoodID, cur.TopicIDs)
	if err != nil || mod == ModVisible {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE proposals SET moderation = 'pending', hidden_reason = NULL WHERE id = $1`, cur.ID); err != nil {
		return err
	}
	return s.Gate.Held(ctx, tx, cur.ID, p.UserID)
}

// tombstone answers a proposal page the viewer may not see: a proposal hidden by
// moderation says so, with the public reason, in place of its text (still 404: it
// is not there for them); anything else is the error it was.
func (h *Handlers) tombstone(c *fiber.Ctx, id int64, err error) error {
	if pe, ok := problem.As(err); !ok || pe.Status != fiber.StatusNotFound {
		return err
	}
	var reason *string
	qerr := h.svc.pool.QueryRow(c.UserContext(), `SELECT hidden_reason FROM proposals WHERE id = $1 AND moderation = 'hidden'
		AND status <> 'draft'`, id).Scan(&reason)
	if errors.Is(qerr, pgx.ErrNoRows) {
		return err
	}
	if qerr != nil {
		return qerr
	}
	return h.pages.HTML(c, fiber.StatusNotFound, "proposal/hidden", render.View{Title: httpx.L(c).T("proposals.hidden_title"),
		Section: "nav.proposals", Data: deref(reason)})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Titles are proposals' titles by id, read through q in one query (inside the caller's
// transaction); missing ids are left out.
func (s *Service) Titles(ctx context.Context, q db.Querier, ids []int64) (map[int64]string, error) {
	return db.Titles(ctx, q, "proposals", ids)
}
