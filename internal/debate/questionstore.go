package debate

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
)

// questionSelect reads questions with their votes; the public author is left empty
// for anonymous questions and erased accounts.
const questionSelect = `SELECT q.id, q.body,
	CASE WHEN q.anonymous OR u.id IS NULL OR u.deleted_at IS NOT NULL THEN '' ELSE u.display_name END,
	(SELECT count(*) FROM debate_question_votes v WHERE v.question_id = q.id)::int,
	q.starred, q.original IS NOT NULL, q.created_at, q.status, q.anonymous, q.user_id,
	CASE WHEN u.deleted_at IS NULL THEN COALESCE(u.display_name, '') ELSE '' END, q.participant, q.original,
	q.reject_reason, q.merged_into
	FROM debate_questions q LEFT JOIN users u ON u.id = q.user_id`

func collectQuestions(rows pgx.Rows, err error) ([]Question, error) {
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Question])
	if out == nil {
		out = []Question{}
	}
	return out, err
}

// questionIn reads question qid of debate id (lock: FOR UPDATE of the question).
func questionIn(ctx context.Context, q db.Querier, id, qid int64, lock bool) (Question, error) {
	sql := questionSelect + ` WHERE q.event_id = $1 AND q.id = $2`
	if lock {
		sql += ` FOR UPDATE OF q`
	}
	list, err := collectQuestions(q.Query(ctx, sql, id, qid))
	if err != nil {
		return Question{}, err
	}
	if len(list) == 0 {
		return Question{}, problem.NotFound()
	}
	return list[0], nil
}

// approvedQuestions lists the questions the audience sees, most votes first.
func approvedQuestions(ctx context.Context, q db.Querier, id int64) ([]Question, error) {
	list, err := collectQuestions(q.Query(ctx, questionSelect+` WHERE q.event_id = $1 AND q.status = 'approved'
		ORDER BY 4 DESC, q.created_at, q.id`, id))
	for i := range list {
		list[i] = list[i].Public()
	}
	return list, err
}

// allQuestions lists every question but the merged ones, oldest first (the moderators' queue).
func allQuestions(ctx context.Context, q db.Querier, id int64) ([]Question, error) {
	return collectQuestions(q.Query(ctx, questionSelect+` WHERE q.event_id = $1 AND q.status <> 'merged'
		ORDER BY q.created_at, q.id LIMIT 1000`, id))
}

// votedBy lists the questions of debate id that participant has upvoted.
func votedBy(ctx context.Context, q db.Querier, id int64, participant string) (map[int64]bool, error) {
	return idSet(ctx, q, `SELECT v.question_id FROM debate_question_votes v JOIN debate_questions q ON q.id = v.question_id
		WHERE q.event_id = $1 AND v.participant = $2`, id, participant)
}

// ownedBy lists the questions participant asked in debate id.
func ownedBy(ctx context.Context, q db.Querier, id int64, participant string) (map[int64]bool, error) {
	return idSet(ctx, q, `SELECT id FROM debate_questions WHERE event_id = $1 AND participant = $2`, id, participant)
}

// idSet runs a query of question ids ($1 the debate, $2 a participant; none for no participant).
func idSet(ctx context.Context, q db.Querier, sql string, id int64, participant string) (map[int64]bool, error) {
	out := map[int64]bool{}
	if participant == "" {
		return out, nil
	}
	rows, err := q.Query(ctx, sql, id, participant)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	for _, x := range ids {
		out[x] = true
	}
	return out, err
}

// onScreen reads the question on the projector as the public sees it.
func onScreen(ctx context.Context, q db.Querier, id, qid int64) (Screen, error) {
	x, err := questionIn(ctx, q, id, qid, false)
	if err != nil {
		return Screen{}, err
	}
	return Screen{ID: x.ID, Body: x.Body, Author: x.Author}, nil
}

func insertQuestion(ctx context.Context, tx pgx.Tx, id int64, participant string, userID *int64, body string,
	anonymous bool, status string) (int64, error) {
	var qid int64
	err := tx.QueryRow(ctx, `INSERT INTO debate_questions (event_id, participant, user_id, body, anonymous, status)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, id, participant, userID, body, anonymous, status).Scan(&qid)
	return qid, err
}

// addVote records participant's upvote; false when it was there already.
func addVote(ctx context.Context, tx pgx.Tx, qid int64, participant string) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO debate_question_votes (question_id, participant) VALUES ($1, $2)
		ON CONFLICT DO NOTHING`, qid, participant)
	return tag.RowsAffected() == 1, err
}

// removeVote takes participant's upvote back; false when there was none.
func removeVote(ctx context.Context, tx pgx.Tx, qid int64, participant string) (bool, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM debate_question_votes WHERE question_id = $1 AND participant = $2`, qid, participant)
	return tag.RowsAffected() == 1, err
}

// setStatus moves a question on (decided by userID).
func setStatus(ctx context.Context, tx pgx.Tx, qid int64, status, reason string, into *int64, userID int64) error {
	_, err := tx.Exec(ctx, `UPDATE debate_questions SET status = $2, reject_reason = $3, merged_into = $4,
		decided_at = now(), decided_by = $5 WHERE id = $1`, qid, status, reason, into, userID)
	return err
}

// mergeVotes moves the upvotes of question from to question into: a person who upvoted
// both counts once, and the author of into never upvotes their own question.
func mergeVotes(ctx context.Context, tx pgx.Tx, from, into int64) error {
	if _, err := tx.Exec(ctx, `INSERT INTO debate_question_votes (question_id, participant, created_at)
		SELECT $2, v.participant, v.created_at FROM debate_question_votes v
		WHERE v.question_id = $1 AND v.participant <> (SELECT participant FROM debate_questions WHERE id = $2)
		ON CONFLICT DO NOTHING`, from, into); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM debate_question_votes WHERE question_id = $1`, from)
	return err
}

// editQuestion corrects a question's text, keeping the text as asked.
func editQuestion(ctx context.Context, tx pgx.Tx, qid int64, body string) error {
	_, err := tx.Exec(ctx, `UPDATE debate_questions SET original = COALESCE(original, body), body = $2 WHERE id = $1`, qid, body)
	return err
}

func starQuestion(ctx context.Context, tx pgx.Tx, qid int64, on bool) error {
	_, err := tx.Exec(ctx, `UPDATE debate_questions SET starred = $2 WHERE id = $1`, qid, on)
	return err
}

// bumpQuestions moves the debate's questions version on by one (the row is locked).
func bumpQuestions(ctx context.Context, tx pgx.Tx, id int64) (int64, error) {
	var v int64
	err := tx.QueryRow(ctx, `UPDATE debates SET questions_seq = questions_seq + 1 WHERE event_id = $1 RETURNING questions_seq`, id).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, problem.NotFound()
	}
	return v, err
}
