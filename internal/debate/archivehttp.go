package debate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/csvx"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/render"
)

// SetArchiveSources tells the archive where polls and promises come from.
func (h *Handlers) SetArchiveSources(src ArchiveSources) { h.sources = src }

func (h *Handlers) archive(c *fiber.Ctx) (Archive, error) {
	id, err := debateID(c)
	if err != nil {
		return Archive{}, err
	}
	return h.svc.Archive(c.UserContext(), auth.From(c), id, h.sources)
}

// ArchiveView is the archive page's data, with times written out.
type ArchiveView struct {
	Archive
	When     string
	Duration string
	Speakers []Line
}

// Moment writes a moment of the debate ("0:42:10").
func Moment(ms int64) string {
	s := max(ms, 0) / 1000
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}

// Archive is a debate's record page: what was discussed, for how long, what was asked
// and answered, voted on and promised.
func (h *Handlers) Archive(c *fiber.Ctx) error {
	a, err := h.archive(c)
	if err != nil {
		return err
	}
	v := ArchiveView{Archive: a, When: h.view(c, a.Debate).When, Duration: Duration(a.DurationMS)}
	for _, u := range a.Speakers {
		v.Speakers = append(v.Speakers, Line{Usage: u, Used: Duration(u.UsedMS)})
	}
	title := httpx.L(c).T("debate_archive.title", "Title", a.Debate.Title)
	return h.pages.HTML(c, fiber.StatusOK, "debate/archive", render.View{Title: title, Section: "nav.events", Data: v})
}

// ArchiveJSON answers GET /debaty/{id}/archiwum.json and /api/v1/debates/{id}/archive.
func (h *Handlers) ArchiveJSON(c *fiber.Ctx) error {
	a, err := h.archive(c)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(c.Path(), "/api/") {
		c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="debata-%d-archiwum.json"`, a.Debate.ID))
	}
	return c.JSON(fiber.Map{"archive": a})
}

// ArchiveCSV answers GET /debaty/{id}/archiwum.csv: one row per agenda item, speaker,
// question, poll option and promise, in the order of the agenda.
func (h *Handlers) ArchiveCSV(c *fiber.Ctx) error {
	a, err := h.archive(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="debata-%d-archiwum.csv"`, a.Debate.ID))
	return c.SendString(ArchiveCSV(a))
}

// ArchiveCSV writes the archive as CSV rows: kind, agenda item, moment (ms and as
// read), text, who, status or option, number (minutes used, votes).
func ArchiveCSV(a Archive) string {
	var b strings.Builder
	w := csvx.NewWriter(&b)
	_ = w.Write("kind", "agenda_item", "moment_ms", "moment", "text", "who", "detail", "number")
	num := func(n int64) string { return strconv.FormatInt(n, 10) }
	moment := func(ms *int64) (string, string) {
		if ms == nil || !a.Timed {
			return "", ""
		}
		return num(*ms), Moment(*ms)
	}
	section := func(item string, it ArchiveItem) {
		for _, q := range it.Answered {
			ms, at := moment(&q.MomentMS)
			_ = w.Write("question_answered", item, ms, at, q.Body, q.Author, "", strconv.Itoa(q.Votes))
		}
		for _, p := range it.Polls {
			ms, at := moment(p.Moment)
			_ = w.Write("poll", item, ms, at, p.Question, "", p.Status, strconv.Itoa(p.Total))
			for _, o := range p.Options {
				_ = w.Write("poll_option", item, ms, at, p.Question, "", o.Label, strconv.Itoa(o.Votes))
			}
		}
		for _, p := range it.Promises {
			ms, at := moment(p.Moment)
			_ = w.Write("promise", item, ms, at, p.Text, p.Speaker, p.Status, "")
		}
	}
	for _, it := range a.Items {
		item := strconv.Itoa(it.Position) + ". " + it.Topic
		var first *int64
		if len(it.Spans) > 0 {
			first = &it.Spans[0].FromMS
		}
		ms, at := moment(first)
		_ = w.Write("agenda_item", item, ms, at, it.Topic, "", "planned_min="+strconv.Itoa(it.PlannedMinutes), num(it.UsedMS))
		section(item, it)
	}
	section("", a.General)
	for _, s := range a.Speakers {
		_ = w.Write("speaker", "", "", "", s.Name, s.Name, "share_pct="+strconv.Itoa(s.Share), num(s.UsedMS))
	}
	for _, q := range a.Unanswered {
		_ = w.Write("question_unanswered", "", "", "", q.Body, q.Author, "", strconv.Itoa(q.Votes))
	}
	_ = w.Flush()
	return b.String()
}

// The moments as the archive page writes them.

// At is when the question went on screen.
func (a Answered) At() string { return Moment(a.MomentMS) }

// At is when the poll opened ("" unknown).
func (p ArchivePoll) At() string { return momentOf(p.Moment) }

// At is when the promise was made ("" unknown).
func (p ArchivePromise) At() string { return momentOf(p.Moment) }

// Range is the span as "0:10:00–0:25:30".
func (s Span) Range() string { return Moment(s.FromMS) + "–" + Moment(s.ToMS) }

// Used is the item's time.
func (it ArchiveItem) Used() string { return Duration(it.UsedMS) }

func momentOf(ms *int64) string {
	if ms == nil {
		return ""
	}
	return Moment(*ms)
}
