package drafting

// History pages: every revision of the document and of each section, what changed
// between any two, word by word, and restore (a new revision with an old text).

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
	"lawka/internal/platform/textdiff"
)

// SectionDiff is what changed in one section between two points.
type SectionDiff struct {
	SectionID    int64
	Title        string // the section's title at the later point
	TitleDiff    template.HTML
	Body         template.HTML
	TitleChanged bool
	BodyChanged  bool
	Added        bool // the section did not exist at the earlier point
}

// stateAt is every section's text at document revision n (sections by id).
func stateAt(revs []Revision, n int) map[int64]Revision {
	out := map[int64]Revision{}
	for _, r := range revs {
		if r.DocRevision <= n {
			out[r.SectionID] = r
		}
	}
	return out
}

// compareDocument diffs the document at revisions from and to, section by section in
// the document's order; unchanged sections are left out.
func compareDocument(l *i18n.Localizer, d Document, revs []Revision, from, to int) []SectionDiff {
	a, b := stateAt(revs, from), stateAt(revs, to)
	var out []SectionDiff
	for _, s := range d.Sections {
		old, had := a[s.ID]
		cur, has := b[s.ID]
		if !has && !had {
			continue
		}
		if !has {
			cur = Revision{}
		}
		sd := diffTexts(l, old.Title, cur.Title, old.Body, cur.Body)
		sd.SectionID, sd.Title, sd.Added = s.ID, cur.Title, !had
		if sd.Title == "" {
			sd.Title = old.Title
		}
		if sd.TitleChanged || sd.BodyChanged {
			out = append(out, sd)
		}
	}
	return out
}

func diffTexts(l *i18n.Localizer, oldTitle, newTitle, oldBody, newBody string) SectionDiff {
	t, b := textdiff.Words(oldTitle, newTitle), textdiff.Words(oldBody, newBody)
	return SectionDiff{TitleDiff: textdiff.HTML(t, labels(l)), Body: textdiff.HTML(b, labels(l)),
		TitleChanged: textdiff.Changed(t), BodyChanged: textdiff.Changed(b)}
}

// pickTwo reads the od/do numbers (1…max), defaulting to the one before the last and
// the last; a bad number is a field error.
func pickTwo(fromRaw, toRaw string, last int) (int, int, error) {
	bad := problem.Fields{}
	one := func(raw, field string, def int) int {
		if raw = strings.TrimSpace(raw); raw == "" {
			return def
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > last {
			bad.Add(field, "drafting.error_no_version")
			return def
		}
		return n
	}
	from, to := one(fromRaw, "od", max(last-1, 1)), one(toRaw, "do", last)
	return from, to, bad.Err()
}

// HistoryPage is the document's history.
type HistoryPage struct {
	Doc       Document
	Revisions []Revision // newest first
	Titles    map[int64]string
	Form      render.Form // od, do
	Numbers   []int
	Compared  bool
	From, To  int
	Diffs     []SectionDiff
}

// History lists the document's revisions and compares the whole document at any two.
func (h *Handlers) History(c *fiber.Ctx) error {
	docID, _, err := ids(c, "")
	if err != nil {
		return err
	}
	l := httpx.L(c)
	d, revs, err := h.svc.Revisions(c.UserContext(), auth.From(c), docID, 0)
	if err != nil {
		return err
	}
	page := HistoryPage{Doc: d, Titles: map[int64]string{}, Form: render.NewForm("od", "do")}
	for _, s := range d.Sections {
		page.Titles[s.ID] = s.Title
	}
	for i := len(revs) - 1; i >= 0; i-- {
		page.Revisions = append(page.Revisions, revs[i])
		page.Numbers = append(page.Numbers, revs[i].DocRevision)
	}
	status := fiber.StatusOK
	from, to, err := pickTwo(c.Query("od"), c.Query("do"), d.Revision)
	if err != nil {
		if status, _ = httpx.FormProblem(c, err, &page.Form); status == 0 {
			return err
		}
	} else if c.Query("od") != "" || c.Query("do") != "" {
		page.Compared, page.From, page.To = true, from, to
		page.Diffs = compareDocument(l, d, revs, from, to)
	}
	page.Form.Values["od"], page.Form.Values["do"] = strconv.Itoa(from), strconv.Itoa(to)
	return h.pages.HTML(c, status, "drafting/history", render.View{Title: l.T("drafting.history_title", "Title", d.Title),
		Section: "nav.consultations", Error: page.Form.HasErrors(), Data: page})
}

// VersionEntry is one version of a section with what it changed.
type VersionEntry struct {
	Revision
	Current bool
	Changes *SectionDiff // against the version before; nil for the first
}

// SectionHistoryPage is a section's versions.
type SectionHistoryPage struct {
	Doc        Document
	Section    Section
	Entries    []VersionEntry // newest first
	Versions   []int
	Form       render.Form // od, do
	Compared   *SectionDiff
	From, To   int
	CanRestore bool
}

// SectionHistory lists a section's versions, compares any two, and offers restore.
func (h *Handlers) SectionHistory(c *fiber.Ctx) error {
	docID, secID, err := ids(c, "section")
	if err != nil {
		return err
	}
	ctx, p, l := c.UserContext(), auth.From(c), httpx.L(c)
	d, revs, err := h.svc.Revisions(ctx, p, docID, secID)
	if err != nil {
		return err
	}
	sec, _ := d.Section(secID)
	can, err := h.svc.Editor(ctx, p)
	if err != nil {
		return err
	}
	page := SectionHistoryPage{Doc: d, Section: sec, Form: render.NewForm("od", "do"), CanRestore: can && Editable(d.Status)}
	for i := len(revs) - 1; i >= 0; i-- {
		e := VersionEntry{Revision: revs[i], Current: i == len(revs)-1}
		if i > 0 {
			sd := diffTexts(l, revs[i-1].Title, revs[i].Title, revs[i-1].Body, revs[i].Body)
			e.Changes = &sd
		}
		page.Entries = append(page.Entries, e)
		page.Versions = append(page.Versions, revs[i].Version)
	}
	status := fiber.StatusOK
	from, to, err := pickTwo(c.Query("od"), c.Query("do"), sec.Version)
	if err != nil {
		if status, _ = httpx.FormProblem(c, err, &page.Form); status == 0 {
			return err
		}
	} else if c.Query("od") != "" || c.Query("do") != "" {
		a, b := revs[from-1], revs[to-1]
		sd := diffTexts(l, a.Title, b.Title, a.Body, b.Body)
		page.Compared, page.From, page.To = &sd, from, to
	}
	page.Form.Values["od"], page.Form.Values["do"] = strconv.Itoa(from), strconv.Itoa(to)
	return h.pages.HTML(c, status, "drafting/section_history", render.View{Title: l.T("drafting.section_history_title",
		"Section", sec.Title), Section: "nav.consultations", Error: page.Form.HasErrors(), Data: page})
}

// Restore saves an old version of a section as its newest.
func (h *Handlers) Restore(c *fiber.Ctx) error {
	docID, secID, err := ids(c, "section")
	if err != nil {
		return err
	}
	version, _ := strconv.Atoi(c.FormValue("version"))
	base, _ := strconv.Atoi(c.FormValue("base_version"))
	if _, err := h.svc.Restore(c.UserContext(), auth.From(c), docID, secID, version, base); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("%s?zrobione=przywrocono#sekcja-%d", Path(docID), secID), fiber.StatusSeeOther)
}
