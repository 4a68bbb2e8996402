package wire

import (
	"context"

	"lawka/internal/consultation"
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
