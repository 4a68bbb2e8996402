// Package pdfdoc renders a printable document (a title, metadata lines, sections of
// Markdown and a list of signatories) as an A4 PDF, in Go, without a browser.
//
// Text is set in DejaVu Sans, embedded from fonts/ (Bitstream Vera licence with DejaVu's
// changes in the public domain: permissive, see fonts/LICENSE), so Polish and Ukrainian
// letters come out right; fpdf embeds only the glyphs a document uses, with a ToUnicode
// map, so the text can be searched and copied. Markdown is parsed with goldmark and its
// tree walked into PDF text: raw HTML in it is never rendered (tags are dropped, their
// text kept), links are shown as their text followed by the address.
package pdfdoc

import (
	"embed"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
)

//go:embed fonts/*.ttf
var fontFiles embed.FS

// Document is what Write renders. Every field is plain text except Section.Markdown.
type Document struct {
	Title    string
	Subtitle string
	Author   string   // the PDF's Author (e.g. the coalition); optional
	Lang     string   // BCP 47 language of the text; "pl" when empty (or not a language tag)
	Meta     []string // short lines under the title, e.g. "Konsultacja: …", "Złożono: …"
	Sections []Section
	// SignatoriesHeading titles the signatories' table ("Sygnatariusze" when empty);
	// SignatoryColumns, when any is set, heads its columns (organisation, person, date).
	SignatoriesHeading string
	SignatoryColumns   [3]string
	Signatories        []Signatory
	Footer             string    // on every page, left of the page number
	Created            time.Time // the PDF's creation date; now when zero
	// Uncompressed leaves the page streams readable (for tests and debugging).
	Uncompressed bool
}

// Section is a titled part of the document whose body is Markdown.
type Section struct {
	Title    string
	Markdown string
}

// Signatory is one row of the signatories' table.
type Signatory struct {
	Organisation, Person, Date string
}

// Page geometry in millimetres.
const (
	pageW, pageH          = 210.0, 297.0
	marginX, marginTop    = 20.0, 20.0
	marginBottom          = 22.0
	bodySize, bodyLeading = 10.5, 5.2
)

// Write renders d as PDF to w.
func Write(w io.Writer, d Document) error {
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"})
	// The alias must be set before fonts are added: fpdf then keeps the digits it needs.
	pdf.AliasNbPages("{nb}")
	pdf.SetCompression(!d.Uncompressed)
	pdf.SetMargins(marginX, marginTop, marginX)
	pdf.SetAutoPageBreak(true, marginBottom)
	pdf.SetCellMargin(0)
	// fpdf writes the language into the catalogue as is: only a language tag may pass.
	lang := d.Lang
	if !langTag.MatchString(lang) {
		lang = "pl"
	}
	pdf.SetLang(lang)
	pdf.SetTitle(clean(d.Title), true)
	pdf.SetSubject(clean(d.Subtitle), true)
	if d.Author != "" {
		pdf.SetAuthor(clean(d.Author), true)
	}
	pdf.SetCreator("Ławka", true)
	pdf.SetProducer("Ławka (fpdf)", true)
	created := d.Created
	if created.IsZero() {
		created = time.Now()
	}
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)

	r := &renderer{pdf: pdf, fonts: map[string]bool{}, left: marginX, right: pageW - marginX}
	footer := r.fit(strings.ReplaceAll(clean(d.Footer), "\n", " "), footerStyle, pageW-2*marginX-footerNumberWidth-4)
	pdf.SetFooterFunc(func() { r.footer(footer) })
	pdf.AddPage()
	r.header(d)
	for _, s := range d.Sections {
		r.section(clean(s.Title), s.Markdown)
	}
	if len(d.Signatories) > 0 {
		heading := clean(d.SignatoriesHeading)
		if heading == "" {
			heading = "Sygnatariusze"
		}
		r.signatories(heading, d.SignatoryColumns, d.Signatories)
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("pdfdoc: %w", err)
	}
	return pdf.Output(w)
}

// style is how a piece of text looks.
type style struct {
	bold, italic, mono, strike, underline bool
	size                                  float64
	gray                                  int // 0 black … 255 white
	blue                                  bool
}

// span is a run of text in one style; link, when set, makes it clickable.
type span struct {
	text string
	st   style
	link string
}

// renderer lays out text line by line itself (rather than with fpdf's Write, which is
// quadratic in a string's length and cannot mix styles within a line).
type renderer struct {
	pdf   *fpdf.Fpdf
	fonts map[string]bool
	cur   string // family+style+size set last
	left  float64
	right float64
	// quoteBars are the x positions of the bars of enclosing block quotes, drawn beside
	// every line so a quote that crosses a page keeps them.
	quoteBars []float64
	// marker is a list item's bullet or number, drawn beside the next line laid out.
	marker *span
	// codeShade fills each code block line's background.
	codeShade bool
}

func (r *renderer) setFont(st style) {
	family, file := "dejavu", ""
	styleStr := ""
	switch {
	case st.mono:
		family, file = "dejavumono", "DejaVuSansMono.ttf"
	case st.bold && st.italic:
		styleStr, file = "BI", "DejaVuSans-BoldOblique.ttf"
	case st.bold:
		styleStr, file = "B", "DejaVuSans-Bold.ttf"
	case st.italic:
		styleStr, file = "I", "DejaVuSans-Oblique.ttf"
	default:
		file = "DejaVuSans.ttf"
	}
	key := family + styleStr
	// Fonts are added when first used: parsing one costs milliseconds, and a font that
	// is never used need not be embedded.
	if !r.fonts[key] {
		b, err := fontFiles.ReadFile("fonts/" + file)
		if err != nil {
			r.pdf.SetError(err)
			return
		}
		r.pdf.AddUTF8FontFromBytes(family, styleStr, b)
		r.fonts[key] = true
	}
	size := st.size
	if size == 0 {
		size = bodySize
	}
	u := ""
	if st.underline {
		u = "U"
	}
	id := fmt.Sprintf("%s%s%s%.2f", family, styleStr, u, size)
	if id != r.cur {
		r.pdf.SetFont(family, styleStr+u, size)
		r.cur = id
	}
	switch {
	case st.blue:
		r.pdf.SetTextColor(0, 70, 160)
	default:
		r.pdf.SetTextColor(st.gray, st.gray, st.gray)
	}
}

func (r *renderer) width(s string, st style) float64 {
	r.setFont(st)
	return r.pdf.GetStringWidth(s)
}

// piece is a word (or part of one) placed on a line.
type piece struct {
	text string
	sp   *span
	x, w float64 // x relative to the line's start
}

// lines breaks spans into lines no wider than avail, only at spaces (a word may be made
// of several spans, "**bold**,"); a word wider than a whole line is cut between letters.
// With pre, spaces are kept as they are and only newlines and overlong lines break.
func (r *renderer) lines(spans []span, avail float64, pre bool) [][]piece {
	type frag struct {
		text string
		sp   *span
	}
	var (
		out   [][]piece
		line  []piece
		x     float64
		word  []frag
		space float64 // width of the space before word, when there is one
	)
	flush := func() {
		out = append(out, line)
		line, x = nil, 0
	}
	placeWord := func() {
		if len(word) == 0 {
			return
		}
		w := 0.0
		for _, f := range word {
			w += r.width(f.text, f.sp.st)
		}
		if len(line) > 0 && x+space+w > avail {
			flush()
		}
		if len(line) > 0 {
			// The space goes into the text (so copied text has it) unless it would be
			// underlined as part of a link.
			if last := &line[len(line)-1]; last.sp.link == "" && last.text != "" {
				last.text += " "
				last.w = r.width(last.text, last.sp.st)
				x = last.x + last.w
			} else {
				x += space
			}
		}
		if x+w <= avail {
			for _, f := range word {
				fw := r.width(f.text, f.sp.st)
				if n := len(line); n > 0 && line[n-1].sp == f.sp && line[n-1].x+line[n-1].w == x {
					line[n-1].text += f.text // one string per run of the same span
					line[n-1].w += fw
				} else {
					line = append(line, piece{text: f.text, sp: f.sp, x: x, w: fw})
				}
				x += fw
			}
		} else { // longer than a line: cut where it stops fitting, at least a letter a line
			for _, f := range word {
				start, pw := 0, 0.0
				for i, c := range f.text {
					cw := r.width(string(c), f.sp.st)
					if x+pw+cw > avail && (pw > 0 || len(line) > 0) {
						if i > start {
							line = append(line, piece{text: f.text[start:i], sp: f.sp, x: x, w: pw})
						}
						flush()
						start, pw = i, 0
					}
					pw += cw
				}
				if start < len(f.text) {
					line = append(line, piece{text: f.text[start:], sp: f.sp, x: x, w: pw})
					x += pw
				}
			}
		}
		word, space = nil, 0
	}
	for i := range spans {
		sp := &spans[i]
		t := sp.text
		for len(t) > 0 {
			j := strings.IndexAny(t, " \n")
			if pre {
				j = strings.IndexByte(t, '\n')
			}
			if j < 0 {
				word = append(word, frag{t, sp})
				break
			}
			if j > 0 {
				word = append(word, frag{t[:j], sp})
			}
			if t[j] == '\n' {
				placeWord()
				if len(line) == 0 {
					line = append(line, piece{sp: sp})
				}
				flush()
			} else {
				if len(word) > 0 {
					placeWord()
					space = r.width(" ", sp.st)
				} else if len(line) > 0 && space == 0 {
					space = r.width(" ", sp.st)
				}
			}
			t = t[j+1:]
		}
	}
	placeWord()
	if len(line) > 0 {
		out = append(out, line)
	}
	return out
}

// ensure starts a new page unless h millimetres still fit on this one.
func (r *renderer) ensure(h float64) {
	if r.pdf.GetY()+h > pageH-marginBottom {
		r.pdf.AddPage()
	}
}

// gap adds vertical space, except at the top of a page.
func (r *renderer) gap(h float64) {
	if y := r.pdf.GetY(); y > marginTop+0.01 {
		if y+h > pageH-marginBottom {
			r.pdf.AddPage()
			return
		}
		r.pdf.SetY(y + h)
	}
}

// flow lays out spans as a block from r.left to r.right with the given leading.
func (r *renderer) flow(spans []span, leading float64, pre bool) {
	for _, ln := range r.lines(spans, r.right-r.left, pre) {
		r.ensure(leading)
		r.emit(ln, r.left, leading)
	}
}

// emit draws one line at x on the current y and moves down by leading.
func (r *renderer) emit(ln []piece, x, leading float64) {
	pdf := r.pdf
	y := pdf.GetY()
	if r.codeShade {
		pdf.SetFillColor(242, 242, 242)
		pdf.Rect(x-1.5, y, r.right-x+3, leading, "F")
	}
	for _, bx := range r.quoteBars {
		pdf.SetDrawColor(170, 170, 170)
		pdf.SetLineWidth(0.6)
		pdf.Line(bx, y, bx, y+leading)
	}
	if m := r.marker; m != nil {
		r.marker = nil
		w := r.width(m.text, m.st)
		pdf.SetXY(x-1.8-w, y)
		pdf.CellFormat(w, leading, m.text, "", 0, "L", false, 0, "")
	}
	for _, p := range ln {
		if p.text == "" {
			continue
		}
		r.setFont(p.sp.st)
		pdf.SetXY(x+p.x, y)
		pdf.CellFormat(p.w, leading, p.text, "", 0, "L", false, 0, p.sp.link)
		if p.sp.st.strike { // through the words, not the space after them
			w := r.width(strings.TrimRight(p.text, " "), p.sp.st)
			pdf.SetDrawColor(p.sp.st.gray, p.sp.st.gray, p.sp.st.gray)
			pdf.SetLineWidth(0.2)
			pdf.Line(x+p.x, y+leading*0.55, x+p.x+w, y+leading*0.55)
		}
	}
	pdf.SetXY(r.left, y+leading)
}

func (r *renderer) rule(gray int, width float64) {
	y := r.pdf.GetY()
	r.pdf.SetDrawColor(gray, gray, gray)
	r.pdf.SetLineWidth(width)
	r.pdf.Line(r.left, y, r.right, y)
}

func (r *renderer) header(d Document) {
	r.flow([]span{{text: clean(d.Title), st: style{bold: true, size: 18}}}, 8, false)
	if d.Subtitle != "" {
		r.gap(1)
		r.flow([]span{{text: clean(d.Subtitle), st: style{size: 12, gray: 60}}}, 6, false)
	}
	if len(d.Meta) > 0 {
		r.gap(2)
		for _, m := range d.Meta {
			r.flow([]span{{text: clean(m), st: style{size: 9.5, gray: 60}}}, 4.8, false)
		}
	}
	r.gap(3)
	r.rule(150, 0.3)
	r.gap(4)
}

// heading is a section's or the signatories' title: bookmarked, and kept together with
// at least the first lines after it.
func (r *renderer) heading(title string, size, leading float64, bookmark int) {
	r.gap(leading * 0.8)
	r.ensure(leading*float64(len(r.lines([]span{{text: title, st: style{bold: true, size: size}}}, r.right-r.left, false))) + 3*bodyLeading)
	if bookmark >= 0 {
		r.setFont(style{})
		r.pdf.Bookmark(title, bookmark, -1)
	}
	r.flow([]span{{text: title, st: style{bold: true, size: size}}}, leading, false)
	r.gap(leading * 0.3)
}

func (r *renderer) section(title, md string) {
	if title != "" {
		r.heading(title, 14, 7, 0)
	}
	r.markdown(md)
}

// footerStyle and footerNumberWidth: the page number sits right, the footer text left of
// the widest number it may need.
var footerStyle = style{size: 8, gray: 100}

const footerNumberWidth = 25.0

// fit shortens text with an ellipsis until it is no wider than w.
func (r *renderer) fit(text string, st style, w float64) string {
	if r.width(text, st) <= w {
		return text
	}
	w -= r.width("…", st)
	acc := 0.0
	for i, c := range text {
		acc += r.width(string(c), st)
		if acc > w {
			return text[:i] + "…"
		}
	}
	return text
}

func (r *renderer) footer(text string) {
	pdf := r.pdf
	y := pageH - 14
	pdf.SetDrawColor(180, 180, 180)
	pdf.SetLineWidth(0.2)
	pdf.Line(marginX, y-1.5, pageW-marginX, y-1.5)
	r.setFont(footerStyle)
	if text != "" {
		pdf.SetXY(marginX, y)
		pdf.CellFormat(pageW-2*marginX-footerNumberWidth, 4, text, "", 0, "L", false, 0, "")
	}
	pdf.SetXY(pageW-marginX-footerNumberWidth, y)
	pdf.CellFormat(footerNumberWidth, 4, fmt.Sprintf("%d / {nb}", pdf.PageNo()), "", 0, "R", false, 0, "")
	r.cur = "" // fpdf restores the page's font after the footer: set ours again before text
}

// signatories draws the table: number, organisation, person, date.
func (r *renderer) signatories(heading string, cols [3]string, list []Signatory) {
	r.heading(heading, 14, 7, 0)
	total := r.right - r.left
	widths := []float64{10, total * 0.42, total * 0.30, 0}
	widths[3] = total - widths[0] - widths[1] - widths[2]
	const lead, pad = 4.8, 1.2
	var row func(cells []string, st style, line bool)
	var repeatHeader func() // on every page the table goes on to
	row = func(cells []string, st style, line bool) {
		var split [][][]piece
		maxLines := 1
		for i, c := range cells {
			ls := r.lines([]span{{text: c, st: st}}, widths[i]-2, false)
			split = append(split, ls)
			maxLines = max(maxLines, len(ls))
		}
		// Line by line across the columns, so a row taller than a page goes on over the
		// next; it starts on a new page unless its first lines fit.
		page := r.pdf.PageNo()
		r.ensure(float64(min(maxLines, 3))*lead + 2*pad)
		if r.pdf.PageNo() != page && repeatHeader != nil {
			repeatHeader()
		}
		r.pdf.SetY(r.pdf.GetY() + pad)
		for k := range maxLines {
			r.ensure(lead)
			y, x := r.pdf.GetY(), r.left
			for i, ls := range split {
				if k < len(ls) {
					r.pdf.SetY(y) // emit moves down a line: every column starts on the same one
					r.emit(ls[k], x, lead)
				}
				x += widths[i]
			}
			r.pdf.SetXY(r.left, y+lead)
		}
		r.pdf.SetY(r.pdf.GetY() + pad)
		if line {
			r.rule(200, 0.2)
		}
	}
	if cols[0] != "" || cols[1] != "" || cols[2] != "" {
		header := func() {
			row([]string{"", clean(cols[0]), clean(cols[1]), clean(cols[2])}, style{bold: true, size: 9.5}, true)
		}
		header()
		repeatHeader = header
	}
	for i, s := range list {
		row([]string{fmt.Sprintf("%d.", i+1), clean(s.Organisation), clean(s.Person), clean(s.Date)}, style{size: 9.5}, true)
	}
}

var (
	tag     = regexp.MustCompile(`<[^>]*>?`)
	langTag = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$`)
)

// clean makes s safe to set: valid UTF-8, no control characters (tabs become spaces),
// and nothing outside the Basic Multilingual Plane, which fpdf's width tables do not
// cover (such characters, emoji mostly, become U+FFFD).
func clean(s string) string {
	ok := true
	for _, c := range s {
		if c == utf8.RuneError || c > 0xFFFF || (unicode.IsControl(c) && c != '\n') {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '\n':
			b.WriteRune(c)
		case c == '\t':
			b.WriteString("    ")
		case unicode.IsControl(c):
			b.WriteRune(' ')
		case c > 0xFFFF:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
