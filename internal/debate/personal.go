package debate

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
)

// PersonalData exports and erases a person's audience questions and upvotes.
type PersonalData struct{}

// Name is the key in the export.
func (PersonalData) Name() string { return "debate_questions" }

// Export lists the person's questions (as asked and as shown) and what they upvoted.
func (PersonalData) Export(ctx context.Context, q db.Querier, userID int64) (any, error) {
	type asked struct {
		ID        int64     `json:"id"`
		DebateID  int64     `json:"debate_id"`
		Body      string    `json:"body"`
		Original  *string   `json:"original"`
		Status    string    `json:"status"`
		Anonymous bool      `json:"anonymous"`
		At        time.Time `json:"at"`
	}
	rows, err := q.Query(ctx, `SELECT id, event_id, body, original, status, anonymous, created_at FROM debate_questions
		WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	questions, err := pgx.CollectRows(rows, pgx.RowToStructByPos[asked])
	if err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT question_id FROM debate_question_votes WHERE participant = 'user:' || $1::bigint
		ORDER BY question_id`, userID)
	if err != nil {
		return nil, err
	}
	upvoted, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return map[string]any{"questions": questions, "upvoted": upvoted}, err
}

// Erase unlinks the person's questions and upvotes from the account: the questions stay
// (shown without a name), and every upvote still counts once.
func (PersonalData) Erase(ctx context.Context, tx pgx.Tx, userID int64) error {
	if _, err := tx.Exec(ctx, `UPDATE debate_questions SET user_id = NULL, participant = 'erased:' || id
		WHERE user_id = $1`, userID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE debate_question_votes SET participant = 'erased:' || gen_random_uuid()
		WHERE participant = 'user:' || $1::bigint`, userID)
	return err
}
