package debate

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
	"lawka/internal/poll"
)

// row is the debates row as the console rules read and write it.
type row struct {
	EventID          int64
	Code             string
	Phase            string
	Seq              int64
	CurrentItemID    *int64
	CurrentSpeakerID *int64
	ItemSince        *time.Time
	TurnMS           int64
	SpeakerSince     *time.Time
	Announcement     string
	StartedAt        *time.Time
	EndedAt          *time.Time
	CreatedAt        time.Time
	PostModeration   bool
	QuestionsSeq     int64
	OnScreenID       *int64
	PollID           *int64
	Eligibility      string
}

const rowSelect = `SELECT event_id, code, phase, seq, current_item_id, current_speaker_id, item_since, turn_ms,
	speaker_since, announcement, started_at, ended_at, created_at, post_moderation, questions_seq, on_screen_question_id,
	poll_id, eligibility FROM debates WHERE event_id = $1`

func readRow(ctx context.Context, q db.Querier, id int64, lock bool) (row, error) {
	sql := rowSelect
	if lock {
		sql += ` FOR UPDATE`
	}
	rows, err := q.Query(ctx, sql, id)
	if err != nil {
		return row{}, err
	}
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[row])
	if errors.Is(err, pgx.ErrNoRows) {
		return row{}, problem.NotFound()
	}
	return r, err
}

// readState reads a debate's whole state; inside a transaction that holds the row's
// lock it is the state just written.
func readState(ctx context.Context, q db.Querier, id int64) (State, error) {
	r, err := readRow(ctx, q, id, false)
	if err != nil {
		return State{}, err
	}
	return stateOf(ctx, q, r)
}

func stateOf(ctx context.Context, q db.Querier, r row) (State, error) {
	st := State{DebateID: r.EventID, Seq: r.Seq, Phase: r.Phase, CurrentItemID: r.CurrentItemID,
		CurrentSpeakerID: r.CurrentSpeakerID, Timer: Clock{MS: r.TurnMS, Since: r.SpeakerSince},
		Announcement: r.Announcement, StartedAt: r.StartedAt, EndedAt: r.EndedAt, PostModeration: r.PostModeration,
		Eligibility: r.Eligibility}
	if r.PollID != nil {
		pl, err := poll.Read(ctx, q, *r.PollID)
		if err != nil {
			return State{}, err
		}
		st.Poll = &pl
	}
	if r.OnScreenID != nil {
		sc, err := onScreen(ctx, q, r.EventID, *r.OnScreenID)
		if err != nil {
			return State{}, err
		}
		st.OnScreen = &sc
	}
	rows, err := q.Query(ctx, `SELECT id, position, topic, planned_minutes, used_ms FROM debate_items
		WHERE event_id = $1 ORDER BY position`, r.EventID)
	if err != nil {
		return State{}, err
	}
	if st.Items, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Item]); err != nil {
		return State{}, err
	}
	rows, err = q.Query(ctx, `SELECT id, position, name, role, CASE WHEN photo_file_id IS NULL THEN ''
		ELSE '/debaty/' || event_id || '/mowcy/' || id || '/zdjecie?v=' || photo_file_id END, used_ms FROM debate_speakers WHERE event_id = $1 ORDER BY position`, r.EventID)
	if err != nil {
		return State{}, err
	}
	if st.Speakers, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Speaker]); err != nil {
		return State{}, err
	}
	if it := st.Item(); it != nil {
		st.ItemClock = Clock{MS: it.UsedMS, Since: r.ItemSince}
	}
	if st.Items == nil {
		st.Items = []Item{}
	}
	if st.Speakers == nil {
		st.Speakers = []Speaker{}
	}
	return st, nil
}

// writeRow saves the console's fields of r and moves the version on by one.
// writeRow stores the next version of the state and logs it (debate_log) as of at.
func writeRow(ctx context.Context, tx pgx.Tx, r row, at time.Time) error {
	_, err := tx.Exec(ctx, `WITH next AS (
		UPDATE debates SET phase = $2, seq = seq + 1, current_item_id = $3, current_speaker_id = $4,
		item_since = $5, turn_ms = $6, speaker_since = $7, announcement = $8, started_at = $9, ended_at = $10, post_moderation = $11,
		on_screen_question_id = $12, poll_id = $14, eligibility = $15, updated_at = now()
		WHERE event_id = $1
		RETURNING event_id, seq, phase, current_item_id, current_speaker_id, speaker_since IS NOT NULL AS running, on_screen_question_id)
		INSERT INTO debate_log (event_id, seq, at, phase, item_id, speaker_id, speaker_running, on_screen_question_id)
		SELECT event_id, seq, $13, phase, current_item_id, current_speaker_id, running, on_screen_question_id FROM next`,
		r.EventID, r.Phase, r.CurrentItemID, r.CurrentSpeakerID, r.ItemSince, r.TurnMS, r.SpeakerSince,
		r.Announcement, r.StartedAt, r.EndedAt, r.PostModeration, r.OnScreenID, at, r.PollID, r.Eligibility)
	return err
}

func addItemTime(ctx context.Context, tx pgx.Tx, debateID, itemID, ms int64) error {
	_, err := tx.Exec(ctx, `UPDATE debate_items SET used_ms = used_ms + $3 WHERE event_id = $1 AND id = $2`, debateID, itemID, ms)
	return err
}

func addSpeakerTime(ctx context.Context, tx pgx.Tx, debateID, speakerID, ms int64) error {
	_, err := tx.Exec(ctx, `UPDATE debate_speakers SET used_ms = used_ms + $3 WHERE event_id = $1 AND id = $2`, debateID, speakerID, ms)
	return err
}

// details reads what a debate adds to its event besides the state.
func details(ctx context.Context, q db.Querier, id int64) (code string, districts []District, mods []Moderator, err error) {
	if err = q.QueryRow(ctx, `SELECT code FROM debates WHERE event_id = $1`, id).Scan(&code); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			err = problem.NotFound()
		}
		return
	}
	rows, err := q.Query(ctx, `SELECT n.id, n.slug, n.name FROM debate_districts d JOIN neighbourhoods n ON n.id = d.neighbourhood_id
		WHERE d.event_id = $1 ORDER BY n.id`, id)
	if err != nil {
		return
	}
	if districts, err = pgx.CollectRows(rows, pgx.RowToStructByPos[District]); err != nil {
		return
	}
	mods, err = moderators(ctx, q, id)
	return
}

// moderators lists a debate's moderators (erased accounts left out).
func moderators(ctx context.Context, q db.Querier, id int64) ([]Moderator, error) {
	rows, err := q.Query(ctx, `SELECT u.id, u.display_name FROM debate_moderators m JOIN users u ON u.id = m.user_id
		WHERE m.event_id = $1 AND u.deleted_at IS NULL ORDER BY u.display_name, u.id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Moderator])
}

// isModerator says whether userID runs debate id's console.
func isModerator(ctx context.Context, q db.Querier, id, userID int64) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM debate_moderators WHERE event_id = $1 AND user_id = $2)`, id, userID).Scan(&ok)
	return ok, err
}

// staffAccounts lists the accounts that may be assigned as moderators.
func staffAccounts(ctx context.Context, q db.Querier) ([]Moderator, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT u.id, u.display_name FROM users u JOIN user_roles r ON r.user_id = u.id
		WHERE r.role IN ('moderator', 'admin') AND u.deleted_at IS NULL ORDER BY u.display_name, u.id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Moderator])
}

// codeAlphabet has no letters or digits easily confused (0/O, 1/I/L).
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

func newCode() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// created is a new debate's parts.
type created struct {
	EventID     int64
	Districts   []int64
	Speakers    []SpeakerInput
	Items       []ItemInput
	Moderators  []int64
	Eligibility string
}

// insert saves a new debate's row, districts, speakers, agenda and moderators, with a
// fresh join code (another try on the rare clash, in a savepoint).
func insert(ctx context.Context, tx pgx.Tx, c created) (string, error) {
	var code string
	for try := 0; ; try++ {
		code = newCode()
		err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
			_, err := sp.Exec(ctx, `INSERT INTO debates (event_id, code, eligibility) VALUES ($1, $2, $3)`, c.EventID, code,
				cmp.Or(c.Eligibility, "open"))
			return err
		})
		var pg *pgconn.PgError
		if errors.As(err, &pg) && pg.Code == "23505" && pg.ConstraintName == "debates_code_key" && try < 5 {
			continue
		}
		if err != nil {
			return "", err
		}
		break
	}
	if _, err := tx.Exec(ctx, `INSERT INTO debate_districts (event_id, neighbourhood_id) SELECT $1, unnest($2::bigint[])`,
		c.EventID, c.Districts); err != nil {
		return "", err
	}
	for i, sp := range c.Speakers {
		if _, err := tx.Exec(ctx, `INSERT INTO debate_speakers (event_id, position, name, role) VALUES ($1, $2, $3, $4)`,
			c.EventID, i+1, sp.Name, sp.Role); err != nil {
			return "", err
		}
	}
	for i, it := range c.Items {
		if _, err := tx.Exec(ctx, `INSERT INTO debate_items (event_id, position, topic, planned_minutes) VALUES ($1, $2, $3, $4)`,
			c.EventID, i+1, it.Topic, it.PlannedMinutes); err != nil {
			return "", err
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO debate_moderators (event_id, user_id) SELECT $1, unnest($2::bigint[])`, c.EventID, c.Moderators)
	return code, err
}

// unknownIDs returns those of ids that the query (a list of ids with $1 = ids) does not list.
func unknownIDs(ctx context.Context, q db.Querier, query string, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, query, ids)
	if err != nil {
		return nil, err
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	known := map[int64]bool{}
	for _, id := range found {
		known[id] = true
	}
	var out []int64
	for _, id := range ids {
		if !known[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

const (
	districtIDs = `SELECT id FROM neighbourhoods WHERE id = ANY($1)`
	staffIDs    = `SELECT DISTINCT r.user_id FROM user_roles r JOIN users u ON u.id = r.user_id
		WHERE r.user_id = ANY($1) AND r.role IN ('moderator', 'admin') AND u.deleted_at IS NULL`
)

// byCode finds the debate with a join code.
func byCode(ctx context.Context, q db.Querier, code string) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT event_id FROM debates WHERE code = $1`, code).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, problem.NotFound()
	}
	return id, err
}

// summaries reads the code and phase of the debates ids.
func summaries(ctx context.Context, q db.Querier, ids []int64) (map[int64][2]string, error) {
	rows, err := q.Query(ctx, `SELECT event_id, code, phase FROM debates WHERE event_id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64][2]string{}
	var id int64
	var code, phase string
	_, err = pgx.ForEachRow(rows, []any{&id, &code, &phase}, func() error {
		out[id] = [2]string{code, phase}
		return nil
	})
	return out, err
}

// setPhoto gives a speaker of the debate a photo (nil: none); false when the debate has
// no such speaker.
func setPhoto(ctx context.Context, tx pgx.Tx, debateID, speakerID int64, file *int64) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE debate_speakers SET photo_file_id = $3 WHERE event_id = $1 AND id = $2`, debateID, speakerID, file)
	return tag.RowsAffected() == 1, err
}

// photoQuery finds a speaker's photo ($1 the debate, $2 the speaker), for upload.LoadBy.
const photoQuery = `SELECT photo_file_id FROM debate_speakers WHERE event_id = $1 AND id = $2`

// DistrictLink is a debate on a district's page.
type DistrictLink struct {
	ID       int64
	Title    string
	StartsAt time.Time
	Phase    string
}

// forDistrict lists published debates held in the district or about it, the coming
// ones first (soonest first), then past ones (latest first).
func forDistrict(ctx context.Context, q db.Querier, districtID int64, n int) ([]DistrictLink, error) {
	rows, err := q.Query(ctx, `SELECT e.id, e.title, e.starts_at, d.phase FROM events e JOIN debates d ON d.event_id = e.id
		WHERE e.status = 'published' AND (e.neighbourhood_id = $1
			OR EXISTS (SELECT 1 FROM debate_districts x WHERE x.event_id = e.id AND x.neighbourhood_id = $1))
		ORDER BY (e.starts_at < now()), CASE WHEN e.starts_at >= now() THEN e.starts_at END,
			e.starts_at DESC, e.id LIMIT $2`, districtID, n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[DistrictLink])
}
