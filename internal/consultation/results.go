package consultation

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/csvx"
	"lawka/internal/platform/db"
	"lawka/internal/platform/plaintext"
	"lawka/internal/platform/problem"
)

// Row is one bar of a question's chart: an option, or a value of the scale. For a
// ranking the counts are first places and Average is the option's mean rank.
type Row struct {
	ID      int     `json:"id"`
	Label   string  `json:"label"`
	Total   int     `json:"total"`
	Online  int     `json:"online"`
	Paper   int     `json:"paper"`
	Average float64 `json:"average_rank,omitempty"`
	// Share is the bar's length in percent of the longest possible, split into its
	// online and paper parts (not in JSON).
	Share, OnlineW, PaperW int `json:"-"`
}

// QuestionResult is the count of one question's answers.
type QuestionResult struct {
	Question Question `json:"question"`
	Answered int      `json:"answered"`
	Online   int      `json:"online"`
	Paper    int      `json:"paper"`
	Rows     []Row    `json:"rows"`
	// Average is the mean of a scale (0 without answers).
	Average float64 `json:"average,omitempty"`
}

// Bucket is the participation of a day or a district.
type Bucket struct {
	Label  string `json:"label"`
	Total  int    `json:"total"`
	Online int    `json:"online"`
	Paper  int    `json:"paper"`
	// The bar, as for a Row.
	Share, OnlineW, PaperW int `json:"-"`
}

// Participation counts the submitted responses.
type Participation struct {
	Total        int      `json:"total"`
	Online       int      `json:"online"`
	Paper        int      `json:"paper"`
	PaperChecked int      `json:"paper_checked"`
	ByDay        []Bucket `json:"by_day"`
	ByDistrict   []Bucket `json:"by_district"`
}

// Results are a consultation's results: online and paper responses counted together
// and apart.
type Results struct {
	ConsultationID int64            `json:"consultation_id"`
	Phase          string           `json:"phase"`
	Participation  Participation    `json:"participation"`
	Questions      []QuestionResult `json:"questions"`
}

// ResultsVisible says whether p may see c's results now: everyone once the report
// phase starts, the staff at any time.
func ResultsVisible(p auth.Principal, c Consultation) bool { return c.Phase == Report || p.Staff() }

func (s *Service) readable(ctx context.Context, p auth.Principal, id int64) (Consultation, error) {
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return Consultation{}, err
	}
	if !ResultsVisible(p, c) {
		return Consultation{}, problem.Conflict("results_not_published", "consultations.results_not_published")
	}
	return c, nil
}

func add(b *Bucket, channel string, n int) {
	b.Total += n
	if channel == Paper {
		b.Paper += n
	} else {
		b.Online += n
	}
}

// Results counts a consultation's submitted responses.
func (s *Service) Results(ctx context.Context, p auth.Principal, id int64) (Results, error) {
	c, err := s.readable(ctx, p, id)
	if err != nil {
		return Results{}, err
	}
	out := Results{ConsultationID: id, Phase: c.Phase}
	byQ := map[int64]*QuestionResult{}
	out.Questions = make([]QuestionResult, len(c.Questions))
	for i, q := range c.Questions {
		qr := &out.Questions[i]
		qr.Question = q
		switch q.Kind {
		case Scale:
			for v := 1; v <= 5; v++ {
				qr.Rows = append(qr.Rows, Row{ID: v, Label: strconv.Itoa(v)})
			}
		case Text:
			qr.Rows = []Row{}
		default:
			for _, o := range q.Options {
				qr.Rows = append(qr.Rows, Row{ID: o.ID, Label: o.Label})
			}
		}
		byQ[q.ID] = qr
	}
	const counted = `FROM consultation_answers a JOIN consultation_responses r ON r.id = a.response_id
		WHERE r.consultation_id = $1 AND r.status = 'submitted'`
	// Answers per question, channel and scale value (0 for other kinds).
	rows, err := s.pool.Query(ctx, `SELECT a.question_id, coalesce(a.scale, 0), r.channel, count(*)::int `+counted+`
		GROUP BY 1, 2, 3`, id)
	if err != nil {
		return Results{}, err
	}
	var qid int64
	var val, n int
	var channel string
	sums := map[int64]int{}
	if _, err := pgx.ForEachRow(rows, []any{&qid, &val, &channel, &n}, func() error {
		qr := byQ[qid]
		if qr == nil {
			return nil
		}
		b := Bucket{}
		add(&b, channel, n)
		qr.Answered, qr.Online, qr.Paper = qr.Answered+b.Total, qr.Online+b.Online, qr.Paper+b.Paper
		if qr.Question.Kind == Scale && val >= 1 && val <= 5 {
			r := &qr.Rows[val-1]
			r.Total, r.Online, r.Paper = r.Total+b.Total, r.Online+b.Online, r.Paper+b.Paper
			sums[qid] += val * n
		}
		return nil
	}); err != nil {
		return Results{}, err
	}
	// Chosen options, with their place in a ranking.
	rows, err = s.pool.Query(ctx, `SELECT a.question_id, c.choice, c.ord::int, r.channel, count(*)::int `+
		strings.Replace(counted, "WHERE", "CROSS JOIN LATERAL unnest(a.choices) WITH ORDINALITY AS c(choice, ord) WHERE", 1)+
		` GROUP BY 1, 2, 3, 4`, id)
	if err != nil {
		return Results{}, err
	}
	var choice, ord int
	rankSums := map[[2]int64]int{}
	if _, err := pgx.ForEachRow(rows, []any{&qid, &choice, &ord, &channel, &n}, func() error {
		qr := byQ[qid]
		if qr == nil || choice < 1 || choice > len(qr.Rows) {
			return nil
		}
		r := &qr.Rows[choice-1]
		if qr.Question.Kind == Ranking {
			rankSums[[2]int64{qid, int64(choice)}] += ord * n
			if ord != 1 {
				return nil
			}
		}
		b := Bucket{}
		add(&b, channel, n)
		r.Total, r.Online, r.Paper = r.Total+b.Total, r.Online+b.Online, r.Paper+b.Paper
		return nil
	}); err != nil {
		return Results{}, err
	}
	for i := range out.Questions {
		qr := &out.Questions[i]
		if qr.Answered == 0 {
			continue
		}
		if qr.Question.Kind == Scale {
			qr.Average = round1(float64(sums[qr.Question.ID]) / float64(qr.Answered))
		}
		for j := range qr.Rows {
			r := &qr.Rows[j]
			r.Share = r.Total * 100 / qr.Answered
			if qr.Question.Kind == Ranking {
				r.Average = round1(float64(rankSums[[2]int64{qr.Question.ID, int64(r.ID)}]) / float64(qr.Answered))
				// The bar: 100% for an option always first, 0% for one always last.
				if n := len(qr.Rows); n > 1 {
					r.Share = int((float64(n) - r.Average) * 100 / float64(n-1))
				}
				r.OnlineW = r.Share
				continue
			}
			r.OnlineW, r.PaperW = split(r.Share, r.Online, r.Total)
		}
	}
	if out.Participation, err = s.participation(ctx, id); err != nil {
		return Results{}, err
	}
	return out, nil
}

// split divides a bar of share between its online part and the rest (paper).
func split(share, online, total int) (int, int) {
	if total == 0 {
		return 0, 0
	}
	o := share * online / total
	return o, share - o
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }

// participation counts responses by channel, day (in Warsaw) and district.
func (s *Service) participation(ctx context.Context, id int64) (Participation, error) {
	var out Participation
	if err := s.pool.QueryRow(ctx, `SELECT count(*)::int, count(*) FILTER (WHERE channel = 'online')::int,
		count(*) FILTER (WHERE channel = 'paper')::int, count(*) FILTER (WHERE channel = 'paper' AND checked_at IS NOT NULL)::int
		FROM consultation_responses WHERE consultation_id = $1 AND status = 'submitted'`, id).
		Scan(&out.Total, &out.Online, &out.Paper, &out.PaperChecked); err != nil {
		return out, err
	}
	collect := func(query string) ([]Bucket, error) {
		rows, err := s.pool.Query(ctx, query, id)
		if err != nil {
			return nil, err
		}
		var list []Bucket
		var label, channel string
		var n int
		_, err = pgx.ForEachRow(rows, []any{&label, &channel, &n}, func() error {
			if len(list) == 0 || list[len(list)-1].Label != label {
				list = append(list, Bucket{Label: label})
			}
			add(&list[len(list)-1], channel, n)
			return nil
		})
		most := 1
		for _, b := range list {
			most = max(most, b.Total)
		}
		for i := range list {
			list[i].Share = list[i].Total * 100 / most
			list[i].OnlineW, list[i].PaperW = split(list[i].Share, list[i].Online, list[i].Total)
		}
		if list == nil {
			list = []Bucket{}
		}
		return list, err
	}
	var err error
	if out.ByDay, err = collect(`SELECT to_char(submitted_at AT TIME ZONE 'Europe/Warsaw', 'YYYY-MM-DD'), channel, count(*)::int
		FROM consultation_responses WHERE consultation_id = $1 AND status = 'submitted' GROUP BY 1, 2 ORDER BY 1, 2`); err != nil {
		return out, err
	}
	out.ByDistrict, err = collect(`SELECT coalesce(n.name, ''), r.channel, count(*)::int FROM consultation_responses r
		LEFT JOIN neighbourhoods n ON n.id = r.neighbourhood_id WHERE r.consultation_id = $1 AND r.status = 'submitted'
		GROUP BY n.id, n.name, r.channel ORDER BY n.id NULLS LAST, r.channel`)
	return out, err
}

// CSV writes the results as CSV: one row per option or scale value, and one per free-
// text question with the number of answers.
func CSV(r Results) string {
	var b strings.Builder
	w := csvx.NewWriter(&b)
	_ = w.Write("question", "kind", "answer_id", "answer", "total", "online", "paper", "average_rank")
	for _, q := range r.Questions {
		num := strconv.Itoa(q.Question.Position)
		if q.Question.Kind == Text {
			_ = w.Write(num, Text, "", q.Question.Prompt, strconv.Itoa(q.Answered), strconv.Itoa(q.Online), strconv.Itoa(q.Paper), "")
			continue
		}
		for _, row := range q.Rows {
			avg := ""
			if q.Question.Kind == Ranking {
				avg = strconv.FormatFloat(row.Average, 'f', 1, 64)
			}
			_ = w.Write(num, q.Question.Kind, strconv.Itoa(row.ID), row.Label, strconv.Itoa(row.Total),
				strconv.Itoa(row.Online), strconv.Itoa(row.Paper), avg)
		}
	}
	p := r.Participation
	_ = w.Write("", "responses", "", "", strconv.Itoa(p.Total), strconv.Itoa(p.Online), strconv.Itoa(p.Paper), "")
	_ = w.Flush()
	return b.String()
}

// TextAnswer is one free-text answer as the results list it.
type TextAnswer struct {
	ID           int64     `json:"id"`
	QuestionID   int64     `json:"question_id"`
	Text         string    `json:"text"`
	Channel      string    `json:"channel"`
	SubmittedAt  time.Time `json:"submitted_at"`
	Hidden       bool      `json:"hidden"`
	HiddenReason string    `json:"hidden_reason,omitempty"`
}

// TextPage is how many free-text answers a page shows.
const TextPage = 50

// TextAnswers lists the free-text answers to a question (0: every text question),
// containing q when q is set, newest first, page by page (from 0). Hidden answers are
// left out for everyone but the staff, who see them marked.
func (s *Service) TextAnswers(ctx context.Context, p auth.Principal, id, questionID int64, q string, page int) ([]TextAnswer, bool, error) {
	if _, err := s.readable(ctx, p, id); err != nil {
		return nil, false, err
	}
	q = strings.TrimSpace(q)
	if utf8.RuneCountInString(q) > 100 || !plaintext.Valid(q) {
		return nil, false, problem.Invalid(map[string]string{"q": "consultations.search_too_long"})
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(q) + "%"
	page = max(page, 0)
	rows, err := s.pool.Query(ctx, `SELECT a.id, a.question_id, a.body, r.channel, r.submitted_at, a.hidden_at IS NOT NULL,
		coalesce(a.hidden_reason, '') FROM consultation_answers a JOIN consultation_responses r ON r.id = a.response_id
		WHERE r.consultation_id = $1 AND r.status = 'submitted' AND a.body IS NOT NULL
		AND ($2 = 0 OR a.question_id = $2) AND a.body ILIKE $3 AND ($4 OR a.hidden_at IS NULL)
		ORDER BY r.submitted_at DESC, a.id DESC LIMIT $5 OFFSET $6`, id, questionID, like, p.Staff(), TextPage+1, page*TextPage)
	if err != nil {
		return nil, false, err
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[TextAnswer])
	if err != nil {
		return nil, false, err
	}
	more := len(list) > TextPage
	if more {
		list = list[:TextPage]
	}
	if list == nil {
		list = []TextAnswer{}
	}
	return list, more, nil
}

// HideAnswer hides a free-text answer from the public results (moderators and admins),
// with a reason; the answer is kept and still counted. Hiding again changes nothing.
func (s *Service) HideAnswer(ctx context.Context, p auth.Principal, id, answerID int64, reason string) error {
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 3 || n > 500 || !plaintext.Valid(reason) {
		return problem.Invalid(map[string]string{"reason": "consultations.reason_length"})
	}
	if _, err := s.Read(ctx, p, id); err != nil {
		return err
	}
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var kind string
		var hidden bool
		err := tx.QueryRow(ctx, `SELECT q.kind, a.hidden_at IS NOT NULL FROM consultation_answers a
			JOIN consultation_responses r ON r.id = a.response_id JOIN consultation_questions q ON q.id = a.question_id
			WHERE a.id = $2 AND r.consultation_id = $1 FOR UPDATE OF a`, id, answerID).Scan(&kind, &hidden)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && kind != Text {
			return problem.NotFound()
		}
		if err != nil || hidden {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE consultation_answers SET hidden_at = now(), hidden_by = $2, hidden_reason = $3
			WHERE id = $1`, answerID, p.UserID, reason); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "consultation.answer_hide", TargetType: "consultation",
			TargetID: id, Reason: reason, Details: map[string]any{"answer_id": answerID}})
	})
}
