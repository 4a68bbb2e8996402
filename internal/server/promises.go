package server

import (
	"context"

	"lawka/internal/notify"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
	"lawka/internal/promise"
)

// promiseComments tells the comment and notify features about promises: whoever may
// see a promise reads its comments and may follow it; signed-in people comment.
type promiseComments struct{ svc *promise.Service }

func (pc promiseComments) CanRead(ctx context.Context, p auth.Principal, id int64) error {
	return pc.svc.CanView(ctx, p, id)
}

func (pc promiseComments) CanComment(ctx context.Context, p auth.Principal, id int64) error {
	if err := pc.svc.CanView(ctx, p, id); err != nil {
		return err
	}
	return auth.RequireActive(p)
}

func (pc promiseComments) CanFollow(ctx context.Context, p auth.Principal, id int64) error {
	return pc.svc.CanView(ctx, p, id)
}

func (pc promiseComments) Room(id int64) string { return promise.RoomOf(id) }

func (pc promiseComments) Path(id int64) string { return promise.Path(id) }

// Title is the promise's text, shortened.
func (pc promiseComments) Title(ctx context.Context, id int64) (string, error) {
	pr, err := pc.svc.Read(ctx, auth.Principal{}, id)
	if pe, ok := problem.As(err); ok && pe.Status == 404 {
		return "", nil
	}
	return pr.Short(), err
}

// promiseNotifier tells a promise's followers of its updates and status changes.
type promiseNotifier struct{ svc *notify.Service }

func (n promiseNotifier) Updated(ctx context.Context, q db.Querier, c promise.News) (func(context.Context), error) {
	sent, err := n.svc.Notify(ctx, q, notify.Event{Kind: notify.KindPromise, Target: notify.Target{Type: promise.Kind, ID: c.PromiseID},
		ActorID: c.ActorID, Data: map[string]any{"title": c.Title, "from": c.From, "to": c.To}})
	return func(ctx context.Context) { n.svc.Announce(ctx, sent) }, err
}

func (n promiseNotifier) Following(ctx context.Context, p auth.Principal, id int64) (bool, error) {
	return n.svc.Following(ctx, p, notify.Target{Type: promise.Kind, ID: id})
}
