package pdfdoc

import (
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// The same Markdown dialect as internal/platform/markdown, so a text reads the same on
// the page and on paper.
var md = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify))

const (
	listIndent  = 6.5
	quoteIndent = 5.0
)

func (r *renderer) markdown(src string) {
	source := []byte(src)
	doc := md.Parser().Parse(text.NewReader(source))
	r.blocks(doc, source, style{})
}

// indent moves the left edge right by d and says by how much: not at all once the text
// would be narrower than a third of the page, however deep the nesting.
func (r *renderer) indent(d float64) float64 {
	if r.right-r.left-d < (pageW-2*marginX)/3 {
		return 0
	}
	r.left += d
	return d
}

func (r *renderer) blocks(n ast.Node, src []byte, st style) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		r.block(c, src, st)
	}
}

func (r *renderer) block(n ast.Node, src []byte, st style) {
	switch n := n.(type) {
	case *ast.Heading:
		size := map[int]float64{1: 13, 2: 12, 3: 11}[n.Level]
		if size == 0 {
			size = bodySize
		}
		hs := st
		hs.bold, hs.size = true, size
		spans := r.inlines(n, src, hs, nil)
		r.gap(3)
		r.ensure(size*0.5 + 2*bodyLeading)
		r.flow(spans, size*0.5, false)
		r.gap(1)
	case *ast.Paragraph:
		r.flow(r.inlines(n, src, st, nil), bodyLeading, false)
		r.gap(2)
	case *ast.TextBlock: // a tight list item's text
		r.flow(r.inlines(n, src, st, nil), bodyLeading, false)
		if n.NextSibling() != nil {
			r.gap(1)
		}
	case *ast.List:
		num := n.Start
		for item := n.FirstChild(); item != nil; item = item.NextSibling() {
			marker := "•"
			if n.IsOrdered() {
				marker = strconv.Itoa(num) + "."
				num++
			}
			in := r.indent(listIndent)
			r.marker = &span{text: marker, st: st}
			r.blocks(item, src, st)
			if r.marker != nil { // an empty item: still show its marker
				r.flow([]span{{text: " ", st: st}}, bodyLeading, false)
			}
			r.left -= in
		}
		r.gap(2)
	case *ast.Blockquote:
		bars := len(r.quoteBars)
		if in := r.indent(quoteIndent); in > 0 {
			r.quoteBars = append(r.quoteBars, r.left-in+1)
			defer func() { r.left -= in }()
		}
		qs := st
		qs.gray = 70
		r.blocks(n, src, qs)
		r.quoteBars = r.quoteBars[:bars]
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		cs := st
		cs.mono, cs.size = true, 9
		var b strings.Builder
		for i := 0; i < n.Lines().Len(); i++ {
			seg := n.Lines().At(i)
			b.Write(seg.Value(src))
		}
		code := strings.TrimRight(clean(b.String()), "\n")
		r.codeShade = true
		r.flow([]span{{text: code, st: cs}}, 4.6, true)
		r.codeShade = false
		r.gap(2)
	case *ast.ThematicBreak:
		r.gap(1)
		r.rule(170, 0.3)
		r.gap(3)
	case *ast.HTMLBlock:
		// Raw HTML is never rendered: its tags are dropped and whatever text is left shown.
		var b strings.Builder
		for i := 0; i < n.Lines().Len(); i++ {
			seg := n.Lines().At(i)
			b.Write(seg.Value(src))
		}
		if n.HasClosure() {
			b.Write(n.ClosureLine.Value(src))
		}
		t := strings.Join(strings.Fields(tag.ReplaceAllString(clean(b.String()), " ")), " ")
		if t != "" {
			r.flow([]span{{text: t, st: st}}, bodyLeading, false)
			r.gap(2)
		}
	case *east.Table:
		for row := n.FirstChild(); row != nil; row = row.NextSibling() {
			rs := st
			if row.Kind() == east.KindTableHeader {
				rs.bold = true
			}
			var spans []span
			for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
				if cell != row.FirstChild() {
					spans = append(spans, span{text: " | ", st: style{gray: 140, size: st.size}})
				}
				spans = r.inlines(cell, src, rs, spans)
			}
			r.flow(spans, bodyLeading, false)
		}
		r.gap(2)
	default:
		if n.Type() == ast.TypeInline {
			r.flow(r.inline(n, src, st, nil), bodyLeading, false)
			return
		}
		r.blocks(n, src, st)
	}
}

// inlines collects the spans of n's inline children.
func (r *renderer) inlines(n ast.Node, src []byte, st style, out []span) []span {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		out = r.inline(c, src, st, out)
	}
	return out
}

func (r *renderer) inline(n ast.Node, src []byte, st style, out []span) []span {
	switch n := n.(type) {
	case *ast.Text:
		out = append(out, span{text: clean(string(n.Value(src))), st: st})
		if n.HardLineBreak() {
			out = append(out, span{text: "\n", st: st})
		} else if n.SoftLineBreak() {
			out = append(out, span{text: " ", st: st})
		}
	case *ast.String:
		out = append(out, span{text: clean(string(n.Value)), st: st})
	case *ast.CodeSpan:
		cs := st
		cs.mono = true
		var b strings.Builder
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			if t, ok := c.(*ast.Text); ok {
				b.Write(t.Value(src))
			} else if s, ok := c.(*ast.String); ok {
				b.Write(s.Value)
			}
		}
		out = append(out, span{text: strings.ReplaceAll(clean(b.String()), "\n", " "), st: cs})
	case *ast.Emphasis:
		es := st
		if n.Level >= 2 {
			es.bold = true
		} else {
			es.italic = true
		}
		out = r.inlines(n, src, es, out)
	case *east.Strikethrough:
		ss := st
		ss.strike = true
		out = r.inlines(n, src, ss, out)
	case *ast.Link:
		out = r.link(r.inlines(n, src, st, nil), string(n.Destination), st, out)
	case *ast.Image: // as in internal/platform/markdown: a link to the picture, never the picture
		out = r.link(r.inlines(n, src, st, nil), string(n.Destination), st, out)
	case *ast.AutoLink:
		url := string(n.URL(src))
		out = r.link([]span{{text: clean(string(n.Label(src))), st: st}}, url, st, out)
	case *ast.RawHTML:
		// Tags are dropped; the text between them comes as Text nodes and stays.
	default:
		out = r.inlines(n, src, st, out)
	}
	return out
}

// link appends a link's text, clickable when its address is a web or mail address, and
// then the address itself unless the text already is it: on paper it cannot be clicked.
func (r *renderer) link(label []span, dest string, st style, out []span) []span {
	dest = clean(strings.TrimSpace(dest))
	lower := strings.ToLower(dest)
	target := ""
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "mailto:") {
		target = dest
	}
	var labelText strings.Builder
	for _, s := range label {
		labelText.WriteString(s.text)
	}
	if labelText.Len() == 0 {
		label = []span{{text: dest, st: st}}
	}
	for _, s := range label {
		s.link = target
		if target != "" {
			s.st.blue, s.st.underline = true, true
		}
		out = append(out, s)
	}
	if dest != "" && labelText.Len() > 0 && strings.TrimPrefix(dest, "mailto:") != strings.TrimSpace(labelText.String()) {
		as := st
		as.gray = 90
		out = append(out, span{text: " (" + dest + ")", st: as})
	}
	return out
}
