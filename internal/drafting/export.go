package drafting

// Exports: Markdown, and a clean page to print. The PDF export (internal/platform/pdfdoc)
// takes the same Export; see PDF below.

import (
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/render"
)

// Markdown writes the export as one Markdown document, its labels in l's language.
func (e Export) Markdown(l *i18n.Localizer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", oneLine(e.Title))
	fmt.Fprintf(&b, "%s\n\n", l.T("drafting.export_consultation", "Title", oneLine(e.Consultation)))
	if e.SubmittedAt != nil {
		fmt.Fprintf(&b, "%s\n\n", l.T("drafting.export_submitted", "When", l.DateTime(*e.SubmittedAt)))
	} else {
		fmt.Fprintf(&b, "%s\n\n", l.T("drafting.export_status", "Status", l.T("drafting.status_"+e.Status)))
	}
	for _, s := range e.Sections {
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", oneLine(s.Title), strings.TrimSpace(s.Markdown))
	}
	if len(e.Signatories) > 0 {
		fmt.Fprintf(&b, "## %s\n\n", l.T("drafting.signatories_heading"))
		for _, s := range e.Signatories {
			line := l.T("drafting.signatory_line", "Organisation", oneLine(s.Organisation), "Person", oneLine(s.Person),
				"When", l.Date(s.Date))
			if strings.TrimSpace(s.Person) == "" { // the signer erased their account
				line = oneLine(s.Organisation) + ", " + l.Date(s.Date)
			}
			if s.ToConfirm {
				line += " (" + l.T("drafting.cosign_to_confirm") + ")"
			}
			fmt.Fprintf(&b, "- %s\n", line)
		}
	}
	return b.String()
}

// oneLine keeps a title on its heading's line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// ExportMarkdown answers GET /stanowiska/{id}/eksport.md.
func (h *Handlers) ExportMarkdown(c *fiber.Ctx) error {
	docID, _, err := ids(c, "")
	if err != nil {
		return err
	}
	e, err := h.svc.Export(c.UserContext(), auth.From(c), docID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/markdown; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="stanowisko-%d.md"`, docID))
	return c.SendString(e.Markdown(httpx.L(c)))
}

// PrintPage is the printable page.
type PrintPage struct {
	ID int64
	On time.Time // when it was submitted
	Export
	Sections []Section
}

// Print answers GET /stanowiska/{id}/druk: the text and signatories, for A4.
func (h *Handlers) Print(c *fiber.Ctx) error {
	docID, _, err := ids(c, "")
	if err != nil {
		return err
	}
	d, err := h.svc.Get(c.UserContext(), auth.From(c), docID)
	if err != nil {
		return err
	}
	return h.pages.HTML(c, fiber.StatusOK, "drafting/print", render.View{Title: d.Title, Section: "nav.consultations",
		Data: PrintPage{ID: d.ID, On: d.SubmittedOn(), Export: ExportOf(d), Sections: d.Sections}})
}

// PDF is where the PDF export goes (GET /stanowiska/{id}/eksport.pdf): the coordinator
// wires internal/platform/pdfdoc in here, from h.svc.Export (title, consultation,
// sections as Markdown, signatories with dates). It is not mounted until then.
func (h *Handlers) PDF(c *fiber.Ctx) error {
	docID, _, err := ids(c, "")
	if err != nil {
		return err
	}
	if _, err := h.svc.Export(c.UserContext(), auth.From(c), docID); err != nil {
		return err
	}
	// TODO(coordinator): render the export with pdfdoc and send it as application/pdf.
	return fiber.ErrNotFound
}
