package server

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"lawka/internal/comment"
	"lawka/internal/moderation"
	"lawka/internal/neighbourhood"
	"lawka/internal/notify"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
	"lawka/internal/proposal"
)

// Moderation is the moderation service (tests report and decide through it).
func (s *Server) Moderation() *moderation.Service { return s.moderationService }

// moderatedProposals tells the moderation feature about proposals.
type moderatedProposals struct{ svc *proposal.Service }

func (m moderatedProposals) CanRead(ctx context.Context, p auth.Principal, id int64) error {
	return m.svc.CanView(ctx, p, id)
}

func (m moderatedProposals) Items(ctx context.Context, q db.Querier, ids []int64) (map[int64]moderation.Item, error) {
	list, err := m.svc.ForModeration(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]moderation.Item, len(list))
	for _, pr := range list {
		it := moderation.Item{Ref: moderation.Ref{Type: "proposal", ID: pr.ID}, Title: pr.Title, Text: pr.Body, TextHTML: pr.BodyHTML,
			Path: "/propozycje/" + strconv.FormatInt(pr.ID, 10), Visibility: pr.Moderation, HiddenReason: pr.HiddenReason,
			CreatedAt: pr.CreatedAt, AuthorName: pr.PaperAuthor}
		if pr.Author != nil {
			it.AuthorID, it.AuthorName = pr.Author.ID, pr.Author.DisplayName
		}
		out[pr.ID] = it
	}
	return out, nil
}

func (m moderatedProposals) SetVisibility(ctx context.Context, tx pgx.Tx, id int64, to, reason string) (func(context.Context), error) {
	return func(context.Context) {}, m.svc.SetModeration(ctx, tx, id, to, reason)
}

func (m moderatedProposals) HasVisible(ctx context.Context, q db.Querier, userID int64) (bool, error) {
	return m.svc.HasVisible(ctx, q, userID)
}

// moderatedComments tells the moderation feature about comments; titles of proposals
// are read through q, since the moderation feature reads items inside its transactions.
type moderatedComments struct {
	svc       *comment.Service
	proposals *proposal.Service
}

func (m moderatedComments) CanRead(ctx context.Context, p auth.Principal, id int64) error {
	_, err := m.svc.Get(ctx, p, id)
	return err
}

func (m moderatedComments) Items(ctx context.Context, q db.Querier, ids []int64) (map[int64]moderation.Item, error) {
	list, err := m.svc.ForModeration(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	// The titles of what they are on: proposals' in one query, for a queue page too.
	var on []int64
	for _, c := range list {
		if c.Target.Type == "proposal" {
			on = append(on, c.Target.ID)
		}
	}
	titles, err := m.proposals.Titles(ctx, q, on)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]moderation.Item, len(list))
	for _, c := range list {
		title := titles[c.Target.ID]
		if c.Target.Type != "proposal" {
			if title, err = m.svc.Title(ctx, c.Target); err != nil && !isNotFound(err) {
				return nil, err
			}
		}
		path, _, err := m.svc.Where(c.Target)
		if err != nil {
			return nil, err
		}
		it := moderation.Item{Ref: moderation.Ref{Type: "comment", ID: c.ID}, Title: title, Text: c.Body, TextHTML: c.BodyHTML,
			Path: path + "#komentarz-" + strconv.FormatInt(c.ID, 10), Visibility: c.Status, HiddenReason: c.HiddenReason,
			CreatedAt: c.CreatedAt, AuthorName: c.AuthorName}
		if c.Author != nil {
			it.AuthorID, it.AuthorName = c.Author.ID, c.Author.DisplayName
		}
		out[c.ID] = it
	}
	return out, nil
}

func (m moderatedComments) SetVisibility(ctx context.Context, tx pgx.Tx, id int64, to, reason string) (func(context.Context), error) {
	return m.svc.SetModeration(ctx, tx, id, to, reason)
}

func (m moderatedComments) HasVisible(ctx context.Context, q db.Querier, userID int64) (bool, error) {
	return m.svc.HasVisible(ctx, q, userID)
}

func isNotFound(err error) bool {
	p, ok := problem.As(err)
	return ok && p.Status == 404
}

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

// moderationNotifier tells authors of decisions on their items; the notification
// leads to the case's page, where they may appeal.
type moderationNotifier struct{ svc *notify.Service }

func (n moderationNotifier) Decided(ctx context.Context, q db.Querier, d moderation.News) (func(context.Context), error) {
	sent, err := n.svc.Notify(ctx, q, notify.Event{Kind: notify.KindModeration, Target: notify.Target{Type: "moderation", ID: d.CaseID},
		ActorID: d.ActorID, Also: []int64{d.AuthorID}, Only: true,
		Data: map[string]any{"title": d.Title, "item_type": d.Item.Type, "outcome": d.Outcome, "reason": d.Reason}})
	return func(ctx context.Context) { n.svc.Announce(ctx, sent) }, err
}

// moderationCases are the targets of moderation notifications: nobody follows them.
type moderationCases struct{}

func (moderationCases) CanFollow(context.Context, auth.Principal, int64) error {
	return problem.NotFound()
}

func (moderationCases) Path(id int64) string { return "/moderacja/sprawy/" + strconv.FormatInt(id, 10) }
