package promise

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
)

// promiseSelect reads promises with their debate's title and date, their speaker and
// agenda item (read-only joins: the debate feature owns those rows).
const promiseSelect = `SELECT p.id, p.event_id, e.title, e.starts_at, p.speaker_id, COALESCE(s.name, ''), p.text, p.topic,
	p.item_id, COALESCE(i.topic, ''), p.moment_ms, p.status, p.version, p.created_at, p.updated_at, p.demo
	FROM promises p JOIN events e ON e.id = p.event_id
	LEFT JOIN debate_speakers s ON s.id = p.speaker_id LEFT JOIN debate_items i ON i.id = p.item_id`

func collect(rows pgx.Rows, err error) ([]Promise, error) {
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Promise])
	if out == nil {
		out = []Promise{}
	}
	return out, err
}

// readPromise reads promise id (lock: FOR UPDATE of the promise). staff sees promises of
// draft debates too.
func readPromise(ctx context.Context, q db.Querier, id int64, staff, lock bool) (Promise, error) {
	sql := promiseSelect + ` WHERE p.id = $1 AND ($2 OR e.status <> 'draft')`
	if lock {
		sql += ` FOR UPDATE OF p`
	}
	list, err := collect(q.Query(ctx, sql, id, staff))
	if err != nil {
		return Promise{}, err
	}
	if len(list) == 0 {
		return Promise{}, problem.NotFound()
	}
	return list[0], nil
}

// where builds the tracker's conditions from f ($1 is staff: drafts' promises shown).
func where(f Filter, staff bool) (string, []any) {
	sql := ` WHERE ($1 OR e.status <> 'draft')`
	args := []any{staff}
	add := func(cond string, v any) {
		args = append(args, v)
		sql += ` AND ` + cond + strconv.Itoa(len(args))
	}
	if f.DebateID > 0 {
		add(`p.event_id = $`, f.DebateID)
	}
	if f.NoSpeaker {
		sql += ` AND p.speaker_id IS NULL`
	} else if f.SpeakerID > 0 {
		add(`p.speaker_id = $`, f.SpeakerID)
	}
	if f.Topic != "" {
		add(`p.topic = $`, f.Topic)
	}
	return sql, args
}

// listPromises is a page of the tracker, newest first (f.After: ids below it).
func listPromises(ctx context.Context, q db.Querier, f Filter, staff bool) ([]Promise, error) {
	sql, args := where(f, staff)
	if f.Status != "" {
		args = append(args, f.Status)
		sql += ` AND p.status = $` + strconv.Itoa(len(args))
	}
	if f.After > 0 {
		args = append(args, f.After)
		sql += ` AND p.id < $` + strconv.Itoa(len(args))
	}
	args = append(args, f.Limit+1)
	return collect(q.Query(ctx, promiseSelect+sql+` ORDER BY p.id DESC LIMIT $`+strconv.Itoa(len(args)), args...))
}

// countStatuses counts the promises f finds per status (its status filter aside).
func countStatuses(ctx context.Context, q db.Querier, f Filter, staff bool) (map[string]int, error) {
	sql, args := where(f, staff)
	rows, err := q.Query(ctx, `SELECT p.status, count(*)::int FROM promises p JOIN events e ON e.id = p.event_id`+sql+
		` GROUP BY p.status`, args...)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	var status string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&status, &n}, func() error {
		out[status] = n
		return nil
	})
	return out, err
}

// debatePromises lists a debate's promises, oldest first, with the board's version:
// every promise adds its versions, so any change moves it on.
func debatePromises(ctx context.Context, q db.Querier, id int64) (Board, error) {
	list, err := collect(q.Query(ctx, promiseSelect+` WHERE p.event_id = $1 ORDER BY p.id`, id))
	if err != nil {
		return Board{}, err
	}
	b := Board{Items: list}
	for _, p := range list {
		b.Version += p.Version + 1
	}
	return b, nil
}

// debateEpoch is when debate id was created: its rooms' versions count from there.
func debateEpoch(ctx context.Context, q db.Querier, id int64) (int64, error) {
	var t time.Time
	err := q.QueryRow(ctx, `SELECT created_at FROM debates WHERE event_id = $1`, id).Scan(&t)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, problem.NotFound()
	}
	return t.UnixMicro(), err
}

// filterChoices lists the debates, speakers and topics the tracker's promises have.
func filterChoices(ctx context.Context, q db.Querier, staff bool) (debates, speakers []Choice, topics []string, err error) {
	pick := func(sql string) ([]Choice, error) {
		rows, err := q.Query(ctx, sql, staff)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, pgx.RowToStructByPos[Choice])
	}
	if debates, err = pick(`SELECT DISTINCT e.id, e.title FROM promises p JOIN events e ON e.id = p.event_id
		WHERE ($1 OR e.status <> 'draft') ORDER BY e.title`); err != nil {
		return
	}
	if speakers, err = pick(`SELECT DISTINCT s.id, s.name || ' — ' || e.title FROM promises p JOIN events e ON e.id = p.event_id
		JOIN debate_speakers s ON s.id = p.speaker_id WHERE ($1 OR e.status <> 'draft') ORDER BY 2`); err != nil {
		return
	}
	rows, err := q.Query(ctx, `SELECT DISTINCT p.topic FROM promises p JOIN events e ON e.id = p.event_id
		WHERE p.topic <> '' AND ($1 OR e.status <> 'draft') ORDER BY 1`, staff)
	if err != nil {
		return
	}
	topics, err = pgx.CollectRows(rows, pgx.RowTo[string])
	return
}

func insertPromise(ctx context.Context, tx pgx.Tx, debateID int64, in LogInput, by int64) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO promises (event_id, speaker_id, item_id, text, topic, moment_ms, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, debateID, in.SpeakerID, in.ItemID, in.Text, in.Topic, in.MomentMS,
		by).Scan(&id)
	return id, err
}

// addChange appends a line to the history (actor 0: the system).
func addChange(ctx context.Context, tx pgx.Tx, id, actor int64, field string, old, new *string) error {
	var who *int64
	if actor != 0 {
		who = &actor
	}
	_, err := tx.Exec(ctx, `INSERT INTO promise_changes (promise_id, actor_id, field, old_value, new_value)
		VALUES ($1, $2, $3, $4, $5)`, id, who, field, old, new)
	return err
}

// bump saves the promise's status and moves its version on, only from version: false
// when someone changed it meanwhile.
func bump(ctx context.Context, tx pgx.Tx, id, version int64, status string) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE promises SET status = $3, version = version + 1, updated_at = now()
		WHERE id = $1 AND version = $2`, id, version, status)
	return tag.RowsAffected() == 1, err
}

type updateRow struct {
	PromiseID  int64
	Date       time.Time
	FromStatus *string
	ToStatus   *string
	Note       string
	NoteHTML   string
	Links      []string
	AuthorID   int64
}

func insertUpdate(ctx context.Context, tx pgx.Tx, u updateRow) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO promise_updates (promise_id, happened_on, from_status, to_status, note, note_html,
		links, author_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, u.PromiseID, u.Date, u.FromStatus, u.ToStatus,
		u.Note, u.NoteHTML, u.Links, u.AuthorID).Scan(&id)
	return id, err
}

// readUpdates lists a promise's updates by date, oldest first.
func readUpdates(ctx context.Context, q db.Querier, id int64) ([]Update, error) {
	rows, err := q.Query(ctx, `SELECT u.id, to_char(u.happened_on, 'YYYY-MM-DD'), u.from_status, u.to_status, u.note,
		u.note_html, u.links, CASE WHEN a.deleted_at IS NULL THEN COALESCE(a.display_name, '') ELSE '' END, u.created_at, u.demo
		FROM promise_updates u LEFT JOIN users a ON a.id = u.author_id WHERE u.promise_id = $1 ORDER BY u.happened_on, u.id`, id)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Update])
	if out == nil {
		out = []Update{}
	}
	return out, err
}

// readChanges lists a promise's history, oldest first.
func readChanges(ctx context.Context, q db.Querier, id int64) ([]Change, error) {
	rows, err := q.Query(ctx, `SELECT c.id, c.at, CASE WHEN a.deleted_at IS NULL THEN COALESCE(a.display_name, '') ELSE '' END,
		c.field, c.old_value, c.new_value FROM promise_changes c LEFT JOIN users a ON a.id = c.actor_id
		WHERE c.promise_id = $1 ORDER BY c.id`, id)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Change])
	if out == nil {
		out = []Change{}
	}
	return out, err
}
