// Package markdown renders user Markdown (goldmark, CommonMark with GFM tables and
// strikethrough) and sanitises the HTML (bluemonday's UGC policy without images), so
// nothing a person writes can run script in another person's browser.
//
// Images are not shown: an image in someone's text would make every reader's browser
// fetch an address the author chose (a tracker, or any path of this site), and one from
// another site breaks the Content-Security-Policy in every reader's browser, each of which
// reports it. A Markdown image becomes a link to its address, its alt text the link's
// text; a raw <img> is removed. Pictures go in as attachments.
package markdown

import (
	"bytes"
	"html/template"
	"regexp"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

var (
	// Raw HTML is passed on to the sanitiser rather than dropped by goldmark, which would
	// silently lose a whole line of someone's text that happens to start with a tag;
	// bluemonday then keeps the text and the harmless tags and removes the rest.
	md = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
		goldmark.WithRendererOptions(html.WithUnsafe(),
			renderer.WithNodeRenderers(util.Prioritized(imagesAsLinks{}, 100)))) // before html's (1000)
	policy = newPolicy()
)

// imagesAsLinks renders ![alt](address) as <a href="address">alt</a>.
type imagesAsLinks struct{}

func (imagesAsLinks) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	r.Register(ast.KindImage, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		img := n.(*ast.Image)
		dest := util.EscapeHTML(util.URLEscape(img.Destination, true))
		if entering {
			_, _ = w.WriteString(`<a href="`)
			_, _ = w.Write(dest)
			_, _ = w.WriteString(`">`)
			if !img.HasChildren() {
				_, _ = w.Write(dest)
			}
			return ast.WalkContinue, nil
		}
		_, _ = w.WriteString("</a>")
		return ast.WalkContinue, nil
	})
}

// newPolicy is bluemonday's UGCPolicy without AllowImages (see the package comment).
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardAttributes()
	p.AllowStandardURLs()
	p.AllowElements("article", "aside", "figure", "section", "summary", "h1", "h2", "h3", "h4", "h5", "h6", "hgroup",
		"br", "div", "hr", "p", "span", "wbr", "abbr", "acronym", "cite", "code", "dfn", "em", "figcaption", "mark", "s",
		"samp", "strong", "sub", "sup", "var", "b", "i", "pre", "small", "strike", "tt", "u", "rp", "rt", "ruby")
	p.AllowAttrs("open").Matching(regexp.MustCompile(`(?i)^(|open)$`)).OnElements("details")
	p.AllowAttrs("cite").OnElements("blockquote", "q")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("datetime").Matching(bluemonday.ISO8601).OnElements("time", "del", "ins")
	p.AllowAttrs("dir").Matching(bluemonday.Direction).OnElements("bdi", "bdo")
	p.AllowAttrs("cite").Matching(bluemonday.Paragraph).OnElements("del", "ins")
	p.AllowLists()
	p.AllowTables()
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	p.AllowURLSchemes("http", "https", "mailto")
	return p
}

// HTML renders and sanitises src. Its output is safe to put in a page as is.
func HTML(src string) template.HTML {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// goldmark does not fail on any input; escape it whole if it ever does.
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(policy.SanitizeBytes(buf.Bytes())) // #nosec: sanitised just now
}

// Stored marks HTML that HTML produced earlier and the database kept (rendered once on
// save, not on every view). Only ever pass it a column written from HTML's output.
func Stored(html string) template.HTML {
	return template.HTML(html) // #nosec: sanitised by HTML when it was saved
}
