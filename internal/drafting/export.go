package drafting

// Exports: Markdown, a clean page to print, and PDF (internal/platform/pdfdoc, in Go,
// without a browser), all from the same Export.

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/pdfdoc"
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

// export reads the export of the document a route names, for its caller.
func (h *Handlers) export(c *fiber.Ctx) (int64, Export, error) {
	docID, _, err := ids(c, "")
	if err != nil {
		return 0, Export{}, err
	}
	e, err := h.svc.Export(c.UserContext(), auth.From(c), docID)
	return docID, e, err
}

// ExportMarkdown answers GET /stanowiska/{id}/eksport.md.
func (h *Handlers) ExportMarkdown(c *fiber.Ctx) error {
	docID, e, err := h.export(c)
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

// PDF writes the export as a PDF (A4, the text's Polish letters embedded with the font),
// its labels in l's language.
func (e Export) PDF(w io.Writer, l *i18n.Localizer) error {
	d := pdfdoc.Document{Title: oneLine(e.Title), Author: l.T("site.name"), Lang: l.Lang,
		Meta:               []string{l.T("drafting.export_consultation", "Title", oneLine(e.Consultation))},
		SignatoriesHeading: l.T("drafting.signatories_heading"),
		SignatoryColumns: [3]string{l.T("drafting.pdf_col_organisation"), l.T("drafting.pdf_col_person"),
			l.T("drafting.pdf_col_date")},
		Footer: l.T("drafting.pdf_footer")}
	if e.SubmittedAt != nil {
		d.Meta = append(d.Meta, l.T("drafting.export_submitted", "When", l.DateTime(*e.SubmittedAt)))
	} else {
		d.Meta = append(d.Meta, l.T("drafting.export_status", "Status", l.T("drafting.status_"+e.Status)))
	}
	for _, s := range e.Sections {
		d.Sections = append(d.Sections, pdfdoc.Section{Title: oneLine(s.Title), Markdown: s.Markdown})
	}
	for _, s := range e.Signatories {
		date := l.Date(s.Date)
		if s.ToConfirm {
			date += " (" + l.T("drafting.cosign_to_confirm") + ")"
		}
		d.Signatories = append(d.Signatories, pdfdoc.Signatory{Organisation: oneLine(s.Organisation), Person: oneLine(s.Person), Date: date})
	}
	return pdfdoc.Write(w, d)
}

// ExportPDF answers GET /stanowiska/{id}/eksport.pdf.
func (h *Handlers) ExportPDF(c *fiber.Ctx) error {
	docID, e, err := h.export(c)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := e.PDF(&b, httpx.L(c)); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="stanowisko-%d.pdf"`, docID))
	return c.Send(b.Bytes())
}
