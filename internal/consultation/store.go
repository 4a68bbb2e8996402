package consultation

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
	"lawka/internal/platform/markdown"
	"lawka/internal/platform/problem"
)

// consultationSelect reads consultations with their districts and the count of
// submitted responses; the rest of the statement follows.
const consultationSelect = `SELECT c.id, c.title, c.organiser_kind, c.organiser, c.description, c.description_html,
	c.eligibility, c.status, c.opens_at, c.closes_at, c.report_at, c.created_at, c.updated_at,
	coalesce((SELECT array_agg(d.neighbourhood_id ORDER BY d.neighbourhood_id) FROM consultation_districts d
		WHERE d.consultation_id = c.id), '{}'),
	(SELECT count(*) FROM consultation_responses r WHERE r.consultation_id = c.id AND r.status = 'submitted')::int
	FROM consultations c `

func queryConsultations(ctx context.Context, q db.Querier, rest string, args ...any) ([]Consultation, error) {
	rows, err := q.Query(ctx, consultationSelect+rest, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Consultation, error) {
		var c Consultation
		var desc string
		err := r.Scan(&c.ID, &c.Title, &c.OrganiserKind, &c.Organiser, &c.Description, &desc, &c.Eligibility, &c.Status,
			&c.OpensAt, &c.ClosesAt, &c.ReportAt, &c.CreatedAt, &c.UpdatedAt, &c.DistrictIDs, &c.Responses)
		c.DescriptionHTML = markdown.Stored(desc)
		return c, err
	})
}

func readConsultation(ctx context.Context, q db.Querier, id int64) (Consultation, error) {
	list, err := queryConsultations(ctx, q, `WHERE c.id = $1`, id)
	if err != nil {
		return Consultation{}, err
	}
	if len(list) == 0 {
		return Consultation{}, problem.NotFound()
	}
	return list[0], nil
}

// lockConsultation takes a consultation's row lock: edits and paper checks hold it.
func lockConsultation(ctx context.Context, tx pgx.Tx, id int64) error {
	var x int64
	err := tx.QueryRow(ctx, `SELECT id FROM consultations WHERE id = $1 FOR UPDATE`, id).Scan(&x)
	if errors.Is(err, pgx.ErrNoRows) {
		return problem.NotFound()
	}
	return err
}

func readQuestions(ctx context.Context, q db.Querier, id int64) ([]Question, error) {
	rows, err := q.Query(ctx, `SELECT id, position, kind, prompt, hint, required, options, max_length
		FROM consultation_questions WHERE consultation_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Question, error) {
		var qu Question
		var labels []string
		err := r.Scan(&qu.ID, &qu.Position, &qu.Kind, &qu.Prompt, &qu.Hint, &qu.Required, &labels, &qu.MaxLength)
		qu.Options = make([]Option, len(labels))
		for i, l := range labels {
			qu.Options[i] = Option{ID: i + 1, Label: l}
		}
		return qu, err
	})
}

// readAnswers reads a response's answers by question.
func readAnswers(ctx context.Context, q db.Querier, responseID int64) (map[int64]Answer, error) {
	rows, err := q.Query(ctx, `SELECT question_id, coalesce(choices, '{}'), coalesce(scale, 0), coalesce(body, '')
		FROM consultation_answers WHERE response_id = $1`, responseID)
	if err != nil {
		return nil, err
	}
	out := map[int64]Answer{}
	var qid int64
	var a Answer
	var choices []int16
	var scale int16
	_, err = pgx.ForEachRow(rows, []any{&qid, &choices, &scale, &a.Text}, func() error {
		ans := Answer{Scale: int(scale), Text: a.Text}
		for _, c := range choices {
			ans.Choices = append(ans.Choices, int(c))
		}
		out[qid] = ans
		return nil
	})
	return out, err
}

// writeAnswers replaces a response's answers.
func writeAnswers(ctx context.Context, tx pgx.Tx, responseID int64, answers map[int64]Answer) error {
	if _, err := tx.Exec(ctx, `DELETE FROM consultation_answers WHERE response_id = $1`, responseID); err != nil {
		return err
	}
	batch := &pgx.Batch{}
	for qid, a := range answers {
		if a.Empty() {
			continue
		}
		var choices []int16
		var scale *int
		var body *string
		switch {
		case len(a.Choices) > 0:
			for _, c := range a.Choices {
				choices = append(choices, int16(c))
			}
		case a.Scale != 0:
			scale = &a.Scale
		default:
			body = &a.Text
		}
		batch.Queue(`INSERT INTO consultation_answers (response_id, question_id, choices, scale, body) VALUES ($1, $2, $3, $4, $5)`,
			responseID, qid, choices, scale, body)
	}
	if batch.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, batch).Close()
}
