package server

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/debate"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/problem"
	"lawka/internal/poll"
)

// debateArchive gives a debate's archive the polls run in it (with their results, as
// far as the viewer may see them) and the promises logged in it.
type debateArchive struct {
	pool  *pgxpool.Pool
	polls *poll.Service
}

func (a debateArchive) DebatePolls(ctx context.Context, p auth.Principal, debateID int64) ([]debate.ArchivePoll, error) {
	rows, err := a.pool.Query(ctx, `SELECT id, question, status, opened_at, closed_at FROM polls
		WHERE debate_id = $1 AND status <> 'draft' ORDER BY opened_at NULLS LAST, id`, debateID)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (debate.ArchivePoll, error) {
		var ap debate.ArchivePoll
		var opened, closed *time.Time
		err := r.Scan(&ap.ID, &ap.Question, &ap.Status, &opened, &closed)
		ap.OpenedAt, ap.ClosedAt = opened, closed
		return ap, err
	})
	if err != nil {
		return nil, err
	}
	for i := range list {
		res, err := a.polls.Results(ctx, p, list[i].ID)
		if _, refused := problem.As(err); refused {
			continue // results shown only after the close, or not to this viewer
		}
		if err != nil {
			return nil, err
		}
		list[i].Status, list[i].Total = res.Status, res.Total
		list[i].Online, list[i].Paper = res.ByChannel["online"], res.ByChannel["paper"]
		for _, o := range res.Options {
			list[i].Options = append(list[i].Options, debate.ArchiveOption{Label: o.Label, Votes: o.Votes, Online: o.Online, Paper: o.Paper})
		}
	}
	return list, nil
}

// DebatePromises: promises arrive with the promise tracker.
func (debateArchive) DebatePromises(context.Context, int64) ([]debate.ArchivePromise, error) {
	return nil, nil
}
