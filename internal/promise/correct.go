package promise

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"lawka/internal/debate"
	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/plaintext"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

// Correction changes what was logged of a promise: its wording, topic and speaker (a
// typo made in the hurry of the evening, a speaker the recording later names). It is
// based on the version the person saw; every changed field goes into the history with
// its old and new value.
type Correction struct {
	Version   *int64 `json:"version"`
	Text      string `json:"text"`
	Topic     string `json:"topic"`
	SpeakerID *int64 `json:"speaker_id"` // nil: the debate as a whole
}

// Correct applies c to promise id (advocates, moderators, admins).
func (s *Service) Correct(ctx context.Context, p auth.Principal, id int64, c Correction) (Detail, error) {
	if err := s.MayTrack(p); err != nil {
		return Detail{}, err
	}
	pr, err := s.Read(ctx, p, id)
	if err != nil {
		return Detail{}, err
	}
	st, err := s.debates.State(ctx, pr.DebateID)
	if err != nil {
		return Detail{}, err
	}
	bad := problem.Fields{}
	if c.Version == nil {
		bad.Add("version", "promises.version_required")
	}
	c.Text, c.Topic = oneLine(c.Text), oneLine(c.Topic)
	if n := utf8.RuneCountInString(c.Text); n < MinText || n > MaxText || !plaintext.Valid(c.Text) {
		bad.Add("text", "promises.text_length")
	}
	if utf8.RuneCountInString(c.Topic) > MaxTopic || !plaintext.Valid(c.Topic) {
		bad.Add("topic", "promises.topic_length")
	}
	speaker := ""
	if c.SpeakerID != nil {
		i := slices.IndexFunc(st.Speakers, func(sp debate.Speaker) bool { return sp.ID == *c.SpeakerID })
		if i < 0 {
			bad.Add("speaker_id", "promises.speaker_unknown")
		} else {
			speaker = st.Speakers[i].Name
		}
	}
	if err := bad.Err(); err != nil {
		return Detail{}, err
	}
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := readPromise(ctx, tx, id, true, true)
		if err != nil {
			return err
		}
		if *c.Version != cur.Version {
			return problem.Conflict("stale_promise", "promises.stale")
		}
		changed := false
		for _, f := range []struct{ field, old, new string }{
			{"text", cur.Text, c.Text}, {"topic", cur.Topic, c.Topic}, {"speaker", cur.Speaker, speaker}} {
			if f.old != f.new {
				changed = true
				if err := addChange(ctx, tx, id, p.UserID, f.field, &f.old, &f.new); err != nil {
					return err
				}
			}
		}
		if !changed {
			return problem.Invalid(map[string]string{"text": "promises.correction_empty"})
		}
		if _, err := tx.Exec(ctx, `UPDATE promises SET text = $2, topic = $3, speaker_id = $4, version = version + 1,
			updated_at = now() WHERE id = $1`, id, c.Text, c.Topic, c.SpeakerID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "promise.correct", TargetType: "promise", TargetID: id})
	})
	if err != nil {
		return Detail{}, err
	}
	s.publishDebate(ctx, pr.DebateID)
	return s.Get(ctx, p, id)
}

// APICorrect answers PATCH /api/v1/promises/{id} {"version","text","topic","speaker_id"}.
func (h *Handlers) APICorrect(c *fiber.Ctx) error {
	id, p, err := h.tracking(c)
	if err != nil {
		return err
	}
	var in Correction
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	d, err := h.svc.Correct(c.UserContext(), p, id, in)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"promise": d})
}

var correctFields = []string{"text", "topic", "speaker_id", "version"}

// Correct is the promise page's correction form (speaker_id "none": the debate as a whole).
func (h *Handlers) Correct(c *fiber.Ctx) error {
	id, p, err := h.tracking(c)
	if err != nil {
		return err
	}
	form := render.NewForm(correctFields...)
	httpx.FormValues(c, &form, correctFields...)
	in := Correction{Text: form.Values["text"], Topic: form.Values["topic"]}
	if v, err := strconv.ParseInt(strings.TrimSpace(form.Values["version"]), 10, 64); err == nil {
		in.Version = &v
	}
	if sp := form.Values["speaker_id"]; sp != "" && sp != "none" {
		n, err := strconv.ParseInt(sp, 10, 64)
		if err != nil {
			n = -1 // the service names the field
		}
		in.SpeakerID = &n
	}
	if _, err := h.svc.Correct(c.UserContext(), p, id, in); err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		if pe, _ := problem.As(err); pe != nil && pe.Status == fiber.StatusConflict {
			form.General = httpx.L(c).T(pe.Key, pe.Args...)
		}
		return h.showWith(c, id, status, render.NewForm(updateFields...), form, "")
	}
	return c.Redirect(Path(id)+"?zrobione=poprawka#historia", fiber.StatusSeeOther)
}
