package proposal

// The history page's comparisons: what changed from one version of a proposal's text
// to the next, and between any two the reader picks (?od=2&do=5), word by word.

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
	"lawka/internal/platform/textdiff"
)

// Version is one saved text, numbered from 1 (the first) in the order of saving.
type Version struct {
	Number int
	Revision
}

// versions numbers revisions given newest first, and returns them oldest first. A
// proposal without any (only ever written straight into the table) has its current
// text as its one version.
func versions(pr Proposal, revs []Revision) []Version {
	if len(revs) == 0 {
		return []Version{{Number: 1, Revision: Revision{Title: pr.Title, Body: pr.Body, CreatedAt: pr.CreatedAt}}}
	}
	out := make([]Version, len(revs))
	for i, r := range revs {
		out[len(revs)-1-i] = Version{Number: len(revs) - i, Revision: r}
	}
	return out
}

// pick finds the versions named by the raw numbers, each defaulting to the one before
// the last and the last; a bad number is a field error on its field's name.
func pick(vs []Version, fromRaw, toRaw, fromField, toField string) (Version, Version, error) {
	bad := problem.Fields{}
	one := func(raw, field string, def int) Version {
		n := def
		if raw = strings.TrimSpace(raw); raw != "" {
			var err error
			if n, err = strconv.Atoi(raw); err != nil || n < 1 || n > len(vs) {
				bad.Add(field, "proposal_history.no_such_version")
				return Version{}
			}
		}
		return vs[n-1]
	}
	from := one(fromRaw, fromField, max(len(vs)-1, 1))
	to := one(toRaw, toField, len(vs))
	return from, to, bad.Err()
}

// versionsOf reads the route's proposal, as the caller may see it, with its numbered
// versions and its decisions.
func (h *Handlers) versionsOf(c *fiber.Ctx) (Proposal, []Version, []StatusChange, error) {
	id, err := proposalID(c)
	if err != nil {
		return Proposal{}, nil, nil, err
	}
	pr, revs, changes, err := h.svc.History(c.UserContext(), auth.From(c), id)
	if err != nil {
		return pr, nil, nil, err
	}
	return pr, versions(pr, revs), changes, nil
}

// Comparison is what changed between two versions, shown to a reader.
type Comparison struct {
	From, To     int
	Title, Body  template.HTML // escaped, changes marked with <del> and <ins>
	TitleChanged bool
	BodyChanged  bool
}

func compare(l *i18n.Localizer, from, to Version) *Comparison {
	labels := textdiff.Labels{DeleteStart: l.T("diff.delete_start"), DeleteEnd: l.T("diff.delete_end"),
		InsertStart: l.T("diff.insert_start"), InsertEnd: l.T("diff.insert_end")}
	title, body := textdiff.Words(from.Title, to.Title), textdiff.Words(from.Body, to.Body)
	return &Comparison{From: from.Number, To: to.Number, Title: textdiff.HTML(title, labels), Body: textdiff.HTML(body, labels),
		TitleChanged: textdiff.Changed(title), BodyChanged: textdiff.Changed(body)}
}

// HistoryEntry is one version on the history page, with what it changed.
type HistoryEntry struct {
	Version
	Current bool
	Changes *Comparison // against the version before; nil for the first
}

// HistoryPage is a proposal's edit history.
type HistoryPage struct {
	Proposal Proposal
	Entries  []HistoryEntry // newest first
	Versions []Version      // oldest first, for the comparison form
	Changes  []StatusChange
	Form     render.Form // od, do
	Compare  *Comparison // the two versions the reader asked for
}

// History lists every saved version of the text, each with what it changed, and
// compares any two versions the reader picks.
func (h *Handlers) History(c *fiber.Ctx) error {
	pr, vs, changes, err := h.versionsOf(c)
	if err != nil {
		return err
	}
	l := httpx.L(c)
	page := HistoryPage{Proposal: pr, Versions: vs, Changes: changes, Form: render.NewForm("od", "do")}
	for i := len(vs) - 1; i >= 0; i-- {
		e := HistoryEntry{Version: vs[i], Current: i == len(vs)-1}
		if i > 0 {
			e.Changes = compare(l, vs[i-1], vs[i])
		}
		page.Entries = append(page.Entries, e)
	}
	status := fiber.StatusOK
	fromRaw, toRaw := c.Query("od"), c.Query("do")
	from, to, err := pick(vs, fromRaw, toRaw, "od", "do")
	switch {
	case err != nil:
		st, ok := httpx.FormProblem(c, err, &page.Form)
		if !ok {
			return err
		}
		status = st
		from, to, _ = pick(vs, "", "", "od", "do") // the selects offer the last edit again
	case fromRaw != "" || toRaw != "":
		page.Compare = compare(l, from, to)
	}
	page.Form.Values["od"], page.Form.Values["do"] = strconv.Itoa(from.Number), strconv.Itoa(to.Number)
	return h.pages.HTML(c, status, "proposal/history", render.View{Title: l.T("proposals.history_title", "Title", pr.Title),
		Section: "nav.proposals", Error: page.Form.HasErrors(), Data: page})
}

// versionJSON is a version as the API gives it.
type versionJSON struct {
	Number    int       `json:"number"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	EditedBy  string    `json:"edited_by"`
	CreatedAt time.Time `json:"created_at"`
}

// APIRevisions answers GET /api/v1/proposals/{id}/revisions: every version, oldest first.
func (h *Handlers) APIRevisions(c *fiber.Ctx) error {
	_, vs, _, err := h.versionsOf(c)
	if err != nil {
		return err
	}
	items := []versionJSON{}
	for _, v := range vs {
		items = append(items, versionJSON{v.Number, v.Title, v.Body, v.EditedBy, v.CreatedAt})
	}
	return c.JSON(fiber.Map{"items": items})
}

// APIDiff answers GET /api/v1/proposals/{id}/diff?from=N&to=M: the word-by-word
// changes of the title and body (by default, of the last edit).
func (h *Handlers) APIDiff(c *fiber.Ctx) error {
	_, vs, _, err := h.versionsOf(c)
	if err != nil {
		return err
	}
	from, to, err := pick(vs, c.Query("from"), c.Query("to"), "from", "to")
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"from": from.Number, "to": to.Number,
		"title": textdiff.Words(from.Title, to.Title), "body": textdiff.Words(from.Body, to.Body)})
}
