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
	"lawka/internal/promise"
)

// debateArchive gives a debate's archive the polls run in it (with their results, as
// far as the viewer may see them) and the promises logged in it.
type debateArchive struct {
	pool     *pgxpool.Pool
	polls    *poll.Service
	promises *promise.Service
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

// DebatePromises lists the promises logged in the debate, in the order they were made,
// each with its page in the tracker.
func (a debateArchive) DebatePromises(ctx context.Context, debateID int64) ([]debate.ArchivePromise, error) {
	b, err := a.promises.Board(ctx, debateID)
	if err != nil {
		return nil, err
	}
	out := make([]debate.ArchivePromise, len(b.Items))
	for i, p := range b.Items {
		out[i] = debate.ArchivePromise{ID: p.ID, Text: p.Text, Topic: p.Topic, Speaker: p.Speaker, Status: p.Status,
			ItemID: p.ItemID, Moment: p.MomentMS, URL: promise.Path(p.ID)}
	}
	return out, nil
}
