package debate

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/participant"
	"lawka/internal/platform/plaintext"
	"lawka/internal/platform/problem"
)

// Statuses of an audience question.
const (
	Pending  = "pending"  // waits for a moderator
	Approved = "approved" // the audience sees it
	Rejected = "rejected" // refused, with a reason
	Merged   = "merged"   // a duplicate, folded into another (merged_into)
)

// Moderation actions on a question.
const (
	QApprove = "approve"
	QReject  = "reject" // reason
	QMerge   = "merge"  // into_id: the question it duplicates
	QEdit    = "edit"   // body: the corrected text (the original is kept)
	QStar    = "star"
	QUnstar  = "unstar"
)

// QuestionActions lists the moderation actions.
var QuestionActions = []string{QApprove, QReject, QMerge, QEdit, QStar, QUnstar}

// Limits of questions.
const (
	MinQuestion = 10
	MaxQuestion = 300
	MaxReason   = 300
)

// Question is an audience question. The fields after Status are the moderators' only:
// Public clears them.
type Question struct {
	ID        int64     `json:"id"`
	Body      string    `json:"body"`
	Author    string    `json:"author"` // "": anonymous, or asked without an account
	Votes     int       `json:"votes"`
	Starred   bool      `json:"starred"`
	Edited    bool      `json:"edited"`
	CreatedAt time.Time `json:"created_at"`
	Status    string    `json:"status"`

	Anonymous    bool    `json:"anonymous,omitempty"`
	AuthorID     *int64  `json:"author_id,omitempty"`
	AuthorName   string  `json:"author_name,omitempty"` // even when anonymous to the public
	Participant  string  `json:"participant,omitempty"`
	Original     *string `json:"original,omitempty"`
	RejectReason string  `json:"reject_reason,omitempty"`
	MergedInto   *int64  `json:"merged_into,omitempty"`
}

// Public is the question as the audience sees it.
func (q Question) Public() Question {
	return Question{ID: q.ID, Body: q.Body, Author: q.Author, Votes: q.Votes, Starred: q.Starred, Edited: q.Edited,
		CreatedAt: q.CreatedAt, Status: q.Status}
}

// Asker is who asks or upvotes: an account, or a browser's participant id.
type Asker struct {
	auth.Principal
	AnonID string
}

// Key is the asker's participant key.
func (a Asker) Key() string { return participant.Key(a.Principal, a.AnonID) }

// Board is the approved questions, most votes first, at a version of the debate's questions.
type Board struct {
	Version int64      `json:"version"`
	Items   []Question `json:"items"`
}

// Realtime rooms and messages of the questions.
const (
	BoardKind    = "debate-questions" // the approved questions: whoever sees the debate
	QueueKind    = "debate-queue"     // every question, with authors: the debate's moderators
	BoardMessage = "debate.questions"
	QueueMessage = "debate.queue"
)

func room(kind string, id int64) string { return kind + ":" + strconv.FormatInt(id, 10) }

// AskInput is a new question.
type AskInput struct {
	Body      string `json:"body"`
	Anonymous bool   `json:"anonymous"`
}

// Moderation is one moderator's action on a question.
type Moderation struct {
	Action string `json:"action"`
	Reason string `json:"reason,omitempty"`
	IntoID *int64 `json:"into_id,omitempty"`
	Body   string `json:"body,omitempty"`
}

func checkBody(field, body string, bad problem.Fields) string {
	body = strings.Join(strings.Fields(body), " ")
	if n := utf8.RuneCountInString(body); n < MinQuestion || n > MaxQuestion || !plaintext.Valid(body) {
		bad.Add(field, "debates.question_length")
	}
	return body
}

// questionsStep is one change of a debate's questions, under the debate row's lock:
// fn changes them (and, returning true, the debate's state as well: its version moves
// on). The questions' version moves on by one; after the commit the state (when it
// changed) is published, and the board and queue soon after (see changedQuestions),
// read outside the lock so the next change need not wait for them.
func (s *Service) questionsStep(ctx context.Context, id int64, fn func(tx pgx.Tx, r *row) (bool, error)) error {
	var st State
	var epoch time.Time
	var stateChanged bool
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := readRow(ctx, tx, id, true)
		if err != nil {
			return err
		}
		epoch = r.CreatedAt
		if r.Phase == Ended {
			return errEnded()
		}
		if stateChanged, err = fn(tx, &r); err != nil {
			return err
		}
		if stateChanged {
			if err := writeRow(ctx, tx, r, s.Now()); err != nil {
				return err
			}
			if st, err = readState(ctx, tx, id); err != nil {
				return err
			}
		}
		_, err = bumpQuestions(ctx, tx, id)
		return err
	})
	if err != nil {
		return err
	}
	if stateChanged {
		s.publish(ctx, epoch, st)
	}
	s.changedQuestions(id, epoch)
	return nil
}

// mayTakePart says whether a may ask and upvote in debate id: whoever may see it, as
// far as the debate's eligibility admits them.
func (s *Service) mayTakePart(ctx context.Context, a Asker, id int64) error {
	if err := s.CanView(ctx, a.Principal, id); err != nil {
		return err
	}
	r, err := readRow(ctx, s.pool, id, false)
	if err != nil {
		return err
	}
	return Admits(a.Principal, r.Eligibility)
}

// Admits applies an eligibility (the poll rules) to p: nil, or a 403 whose code says
// what is missing (sign_in_required, not_verified, not_member).
func Admits(p auth.Principal, eligibility string) error {
	switch {
	case eligibility == "open":
		return nil
	case !p.SignedIn():
		return &problem.Error{Status: 403, Code: "sign_in_required", Key: "debates.sign_in_required"}
	case eligibility == "verified" && !p.Verified:
		return &problem.Error{Status: 403, Code: "not_verified", Key: "debates.not_verified"}
	case eligibility == "members" && !p.Member:
		return &problem.Error{Status: 403, Code: "not_member", Key: "debates.not_member"}
	}
	return nil
}

// Ask adds an audience question to debate id: pending, or approved at once when the
// debate is post-moderated. Refused once the debate has ended. admit (the rate limit;
// nil: none) counts only questions that pass the checks, so a refused draft costs no turn.
func (s *Service) Ask(ctx context.Context, a Asker, id int64, in AskInput, admit func() error) (Question, error) {
	if a.SignedIn() {
		if err := auth.RequireActive(a.Principal); err != nil {
			return Question{}, err
		}
	}
	if err := s.mayTakePart(ctx, a, id); err != nil {
		return Question{}, err
	}
	key := a.Key()
	if key == "" {
		return Question{}, problem.Unauthorized()
	}
	bad := problem.Fields{}
	in.Body = checkBody("body", in.Body, bad)
	if err := bad.Err(); err != nil {
		return Question{}, err
	}
	if admit != nil {
		if err := admit(); err != nil {
			return Question{}, err
		}
	}
	var userID *int64
	if a.SignedIn() {
		userID = &a.UserID
	}
	var qid int64
	err := s.questionsStep(ctx, id, func(tx pgx.Tx, r *row) (bool, error) {
		status := Pending
		if r.PostModeration {
			status = Approved
		}
		var err error
		qid, err = insertQuestion(ctx, tx, id, key, userID, in.Body, in.Anonymous, status)
		return false, err
	})
	if err != nil {
		return Question{}, err
	}
	q, err := questionIn(ctx, s.pool, id, qid, false)
	return q.Public(), err
}

// Vote upvotes question qid (on) or takes the upvote back (off) for a, and returns
// the question's votes and whether a upvotes it. Only approved questions take votes;
// one's own question and a second upvote are refused.
func (s *Service) Vote(ctx context.Context, a Asker, id, qid int64, on bool) (votes int, voted bool, err error) {
	if a.SignedIn() {
		if err := auth.RequireActive(a.Principal); err != nil {
			return 0, false, err
		}
	}
	if err := s.mayTakePart(ctx, a, id); err != nil {
		return 0, false, err
	}
	key := a.Key()
	if key == "" {
		return 0, false, problem.Unauthorized()
	}
	err = s.questionsStep(ctx, id, func(tx pgx.Tx, _ *row) (bool, error) {
		q, err := questionIn(ctx, tx, id, qid, true)
		if err != nil {
			return false, err
		}
		if q.Status != Approved {
			return false, problem.NotFound()
		}
		if q.Participant == key || (a.SignedIn() && q.AuthorID != nil && *q.AuthorID == a.UserID) {
			return false, conflict("own_question")
		}
		if on {
			ok, err := addVote(ctx, tx, qid, key)
			if err == nil && !ok {
				err = conflict("already_voted")
			}
			return false, err
		}
		_, err = removeVote(ctx, tx, qid, key)
		return false, err
	})
	if err != nil {
		return 0, false, err
	}
	q, err := questionIn(ctx, s.pool, id, qid, false)
	return q.Votes, on, err
}

// Questions is the board of debate id as a sees it, with the questions a has upvoted.
func (s *Service) Questions(ctx context.Context, a Asker, id int64) (Board, map[int64]bool, error) {
	if err := s.CanView(ctx, a.Principal, id); err != nil {
		return Board{}, nil, err
	}
	b, err := s.board(ctx, id)
	if err != nil {
		return Board{}, nil, err
	}
	voted, err := votedBy(ctx, s.pool, id, a.Key())
	return b, voted, err
}

// Own lists a's questions in debate id (the caller has read the debate).
func (s *Service) Own(ctx context.Context, a Asker, id int64) (map[int64]bool, error) {
	return ownedBy(ctx, s.pool, id, a.Key())
}

func (s *Service) board(ctx context.Context, id int64) (Board, error) {
	return s.listAt(ctx, id, approvedQuestions)
}

// listAt reads a list of debate id's questions with the questions' version (read first,
// so the list is never older than its version).
func (s *Service) listAt(ctx context.Context, id int64, list func(context.Context, db.Querier, int64) ([]Question, error)) (Board, error) {
	r, err := readRow(ctx, s.pool, id, false)
	if err != nil {
		return Board{}, err
	}
	items, err := list(ctx, s.pool, id)
	return Board{Version: r.QuestionsSeq, Items: items}, err
}

// Queue is every question of debate id but the merged ones, with their authors (the
// debate's moderators and admins).
func (s *Service) Queue(ctx context.Context, p auth.Principal, id int64) (Board, error) {
	if err := s.MayRun(ctx, p, id); err != nil {
		return Board{}, err
	}
	return s.queue(ctx, id)
}

func (s *Service) queue(ctx context.Context, id int64) (Board, error) {
	return s.listAt(ctx, id, allQuestions)
}

// Moderate applies one moderator's action to question qid, once: under the debate
// row's lock the question's status decides whether it fits, so of two moderators
// approving the same question at once the second is refused (409 question_decided)
// and nothing changes twice. A question taken off the board also leaves the screen.
func (s *Service) Moderate(ctx context.Context, p auth.Principal, id, qid int64, m Moderation) (Question, error) {
	if err := s.MayRun(ctx, p, id); err != nil {
		return Question{}, err
	}
	bad := problem.Fields{}
	m.Reason = strings.Join(strings.Fields(m.Reason), " ")
	switch m.Action {
	case QApprove, QStar, QUnstar:
	case QReject:
		if n := utf8.RuneCountInString(m.Reason); n < 3 || n > MaxReason || !plaintext.Valid(m.Reason) {
			bad.Add("reason", "debates.reason_length")
		}
	case QMerge:
		if m.IntoID == nil || *m.IntoID == qid {
			bad.Add("into_id", "debates.merge_target")
		}
	case QEdit:
		m.Body = checkBody("body", m.Body, bad)
	default:
		bad.Add("action", "debates.action_unknown")
	}
	if err := bad.Err(); err != nil {
		return Question{}, err
	}
	err := s.questionsStep(ctx, id, func(tx pgx.Tx, r *row) (bool, error) {
		q, err := questionIn(ctx, tx, id, qid, true)
		if err != nil {
			return false, err
		}
		onScreen := r.OnScreenID != nil && *r.OnScreenID == qid
		details := map[string]any{"question_id": qid}
		switch m.Action {
		case QApprove:
			if q.Status != Pending {
				return false, conflict("question_decided")
			}
			err = setStatus(ctx, tx, qid, Approved, "", nil, p.UserID)
		case QReject:
			if q.Status != Pending && q.Status != Approved {
				return false, conflict("question_decided")
			}
			details["reason"] = m.Reason
			err = setStatus(ctx, tx, qid, Rejected, m.Reason, nil, p.UserID)
		case QMerge:
			if q.Status != Pending && q.Status != Approved {
				return false, conflict("question_decided")
			}
			into, err := questionIn(ctx, tx, id, *m.IntoID, true)
			if pe, ok := problem.As(err); ok && pe.Status == 404 || err == nil && into.Status != Approved && into.Status != Pending {
				return false, problem.Invalid(map[string]string{"into_id": "debates.merge_target"})
			} else if err != nil {
				return false, err
			}
			details["into_id"] = into.ID
			if err := mergeVotes(ctx, tx, qid, into.ID); err != nil {
				return false, err
			}
			err = setStatus(ctx, tx, qid, Merged, "", &into.ID, p.UserID)
		case QEdit:
			if q.Status != Pending && q.Status != Approved {
				return false, conflict("question_decided")
			}
			if m.Body == q.Body {
				return false, conflict("question_unchanged")
			}
			err = editQuestion(ctx, tx, qid, m.Body)
		case QStar, QUnstar:
			if q.Status != Pending && q.Status != Approved {
				return false, conflict("question_decided")
			}
			err = starQuestion(ctx, tx, qid, m.Action == QStar)
		}
		if err != nil {
			return false, err
		}
		if err := audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "debate.question_" + m.Action,
			TargetType: "event", TargetID: id, Details: details}); err != nil {
			return false, err
		}
		switch {
		case onScreen && (m.Action == QReject || m.Action == QMerge):
			r.OnScreenID = nil
			return true, nil
		case onScreen && m.Action == QEdit:
			return true, nil // the projector shows the corrected text
		}
		return false, nil
	})
	if err != nil {
		return Question{}, err
	}
	return questionIn(ctx, s.pool, id, qid, false)
}
