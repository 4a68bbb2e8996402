package wire

import (
	"context"

	"lawka/internal/consultation"
	"lawka/internal/drafting"
	"lawka/internal/notify"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
)

// ResponseConsultations tells response documents (internal/drafting) about the
// consultation they answer.
type ResponseConsultations struct {
	Svc  *consultation.Service
	Pool db.Querier
}

// CanView is nil when p may see the consultation.
func (r ResponseConsultations) CanView(ctx context.Context, p auth.Principal, id int64) error {
	return r.Svc.CanView(ctx, p, id)
}

// Title is the consultation's title.
func (r ResponseConsultations) Title(ctx context.Context, id int64) (string, error) {
	titles, err := r.Svc.Titles(ctx, r.Pool, []int64{id})
	if err != nil {
		return "", err
	}
	t, ok := titles[id]
	if !ok {
		return "", problem.NotFound()
	}
	return t, nil
}

// ResponseNotifier asks representatives to confirm a co-signed response whose text
// changed.
type ResponseNotifier struct{ Svc *notify.Service }

func (n ResponseNotifier) ToConfirm(ctx context.Context, q db.Querier, docID int64, title string, actorID int64, users []int64) (func(context.Context), error) {
	sent, err := n.Svc.Notify(ctx, q, notify.Event{Kind: notify.KindCosignConfirm, Target: notify.Target{Type: "response_document", ID: docID},
		ActorID: actorID, Also: users, Only: true, Data: map[string]any{"title": title}})
	return func(ctx context.Context) { n.Svc.Announce(ctx, sent) }, err
}

// ResponseDocuments are the targets of those notifications: nobody follows them; the
// link leads to the document.
type ResponseDocuments struct{ Svc *drafting.Service }

func (r ResponseDocuments) CanFollow(ctx context.Context, p auth.Principal, id int64) error {
	if err := r.Svc.CanView(ctx, p, id); err != nil {
		return err
	}
	return problem.Forbidden()
}

func (ResponseDocuments) Path(id int64) string { return drafting.Path(id) }
