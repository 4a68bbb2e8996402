// Package markdown renders user Markdown (goldmark, CommonMark with GFM tables and
// strikethrough) and sanitises the HTML (bluemonday's UGC policy), so nothing a person
// writes can run script in another person's browser.
package markdown

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

var (
	// Raw HTML is passed on to the sanitiser rather than dropped by goldmark, which would
	// silently lose a whole line of someone's text that happens to start with a tag;
	// bluemonday then keeps the text and the harmless tags and removes the rest.
	md = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
		goldmark.WithRendererOptions(html.WithUnsafe()))
	policy = newPolicy()
)

func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
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
