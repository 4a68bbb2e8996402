// Package wire holds the adapters through which one feature learns about another's
// items: what the moderation feature needs of proposals and comments, and how its
// decisions reach notifications. The server mounts them; the seed uses the same ones,
// so demo data goes through exactly what the live platform runs.
package wire

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"lawka/internal/comment"
	"lawka/internal/moderation"
	"lawka/internal/notify"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
	"lawka/internal/proposal"
)

// ModeratedProposals tells the moderation feature about proposals.
type ModeratedProposals struct{ Svc *proposal.Service }

func (m ModeratedProposals) CanRead(ctx context.Context, p auth.Principal, id int64) error {
	return m.Svc.CanView(ctx, p, id)
}

func (m ModeratedProposals) Items(ctx context.Context, q db.Querier, ids []int64) (map[int64]moderation.Item, error) {
	list, err := m.Svc.ForModeration(ctx, q, ids)
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

func (m ModeratedProposals) SetVisibility(ctx context.Context, tx pgx.Tx, id int64, to, reason string) (func(context.Context), error) {
	return func(context.Context) {}, m.Svc.SetModeration(ctx, tx, id, to, reason)
}

func (m ModeratedProposals) HasVisible(ctx context.Context, q db.Querier, userID int64) (bool, error) {
	return m.Svc.HasVisible(ctx, q, userID)
}

// ModeratedComments tells the moderation feature about comments; titles of proposals
// are read through q, since the moderation feature reads items inside its transactions.
type ModeratedComments struct {
	Svc *comment.Service
	// Titles reads the titles of the targets of one kind ("proposal", "consultation")
	// through the caller's querier: the moderation feature reads items inside its
	// transactions, which must not wait for a second pool connection.
	Titles map[string]TitleReader
}

func (m ModeratedComments) CanRead(ctx context.Context, p auth.Principal, id int64) error {
	_, err := m.Svc.Get(ctx, p, id)
	return err
}

func (m ModeratedComments) Items(ctx context.Context, q db.Querier, ids []int64) (map[int64]moderation.Item, error) {
	list, err := m.Svc.ForModeration(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	// The titles of what they are on: one query per kind of target, for a queue page too.
	on := map[string][]int64{}
	for _, c := range list {
		on[c.Target.Type] = append(on[c.Target.Type], c.Target.ID)
	}
	titles := map[string]map[int64]string{}
	for kind, ids := range on {
		read, ok := m.Titles[kind]
		if !ok {
			return nil, fmt.Errorf("moderation: no titles for comments on %q", kind)
		}
		if titles[kind], err = read(ctx, q, ids); err != nil {
			return nil, err
		}
	}
	out := make(map[int64]moderation.Item, len(list))
	for _, c := range list {
		title := titles[c.Target.Type][c.Target.ID]
		path, _, err := m.Svc.Where(c.Target)
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

func (m ModeratedComments) SetVisibility(ctx context.Context, tx pgx.Tx, id int64, to, reason string) (func(context.Context), error) {
	return m.Svc.SetModeration(ctx, tx, id, to, reason)
}

func (m ModeratedComments) HasVisible(ctx context.Context, q db.Querier, userID int64) (bool, error) {
	return m.Svc.HasVisible(ctx, q, userID)
}

// ModerationNotifier tells authors of decisions on their items; the notification
// leads to the case's page, where they may appeal.
type ModerationNotifier struct{ Svc *notify.Service }

func (n ModerationNotifier) Decided(ctx context.Context, q db.Querier, d moderation.News) (func(context.Context), error) {
	sent, err := n.Svc.Notify(ctx, q, notify.Event{Kind: notify.KindModeration, Target: notify.Target{Type: "moderation", ID: d.CaseID},
		ActorID: d.ActorID, Also: []int64{d.AuthorID}, Only: true,
		Data: map[string]any{"title": d.Title, "item_type": d.Item.Type, "outcome": d.Outcome, "reason": d.Reason}})
	return func(ctx context.Context) { n.Svc.Announce(ctx, sent) }, err
}

// ModerationCases are the targets of moderation notifications: nobody follows them.
type ModerationCases struct{}

func (ModerationCases) CanFollow(context.Context, auth.Principal, int64) error {
	return problem.NotFound()
}

func (ModerationCases) Path(id int64) string { return "/moderacja/sprawy/" + strconv.FormatInt(id, 10) }

// TitleReader reads titles of one kind of comment target through q.
type TitleReader = func(ctx context.Context, q db.Querier, ids []int64) (map[int64]string, error)

// TitlesOf names the title readers of the comment targets (consultations may be nil
// where only proposals are commented on).
func TitlesOf(proposals, consultations TitleReader) map[string]TitleReader {
	m := map[string]TitleReader{"proposal": proposals}
	if consultations != nil {
		m["consultation"] = consultations
	}
	return m
}
