// Package textdiff compares two versions of a text word by word, for people to read:
// which words were deleted and which inserted, with paragraphs kept. The diff itself
// is diff-match-patch's (github.com/sergi/go-diff), run over words instead of
// characters, so "ławka" → "ławki" reads as one word replaced, not as two letters.
package textdiff

import (
	"html/template"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Op is what happened to a piece of text.
type Op int8

// The operations, in the order a reader meets them in a Change list.
const (
	Equal Op = iota
	Delete
	Insert
)

var opNames = [...]string{Equal: "equal", Delete: "delete", Insert: "insert"}

func (o Op) String() string { return opNames[o] }

// MarshalText writes the operation as "equal", "delete" or "insert" (for JSON).
func (o Op) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// Change is a run of text that stayed, went or came.
type Change struct {
	Op   Op     `json:"op"`
	Text string `json:"text"`
}

// Changed reports whether anything but whitespace differs.
func Changed(cs []Change) bool {
	for _, c := range cs {
		if c.Op != Equal && strings.TrimSpace(c.Text) != "" {
			return true
		}
	}
	return false
}

// Timeout bounds the work on one pair of texts; past it the diff is coarser, never wrong.
const Timeout = time.Second

// Words compares old and new word by word. Concatenating the Equal and Delete texts
// gives old back, the Equal and Insert texts give new.
func Words(old, new string) []Change {
	// Each distinct token (a word, a run of spaces, a punctuation mark) becomes one
	// rune, so diff-match-patch compares tokens. The runes start in the private-use
	// area, far from the surrogates, so they survive its string conversions.
	const base = 0xE000
	ids := map[string]rune{}
	var tokens []string
	encode := func(s string) []rune {
		var out []rune
		for _, t := range tokenize(s) {
			r, ok := ids[t]
			if !ok {
				r = base + rune(len(tokens))
				ids[t] = r
				tokens = append(tokens, t)
			}
			out = append(out, r)
		}
		return out
	}
	a, b := encode(old), encode(new)
	if base+len(tokens) > unicode.MaxRune {
		return []Change{{Delete, old}, {Insert, new}} // unreachable for any text people write
	}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = Timeout
	diffs := dmp.DiffMainRunes(a, b, false)
	// Spaces alone between two changes join them: "[-jedna mała][+dwie duże] ławka"
	// reads (and sounds) better than every word replaced on its own. Longer common
	// runs stay, so a change stays as small as the words it touched.
	for i := 1; i+1 < len(diffs); i++ {
		d := diffs[i]
		if d.Type == diffmatchpatch.DiffEqual && diffs[i-1].Type != diffmatchpatch.DiffEqual &&
			diffs[i+1].Type != diffmatchpatch.DiffEqual && len([]rune(d.Text)) == 1 && strings.TrimSpace(tokens[[]rune(d.Text)[0]-base]) == "" {
			diffs = slices.Insert(diffs, i+1, diffmatchpatch.Diff{Type: diffmatchpatch.DiffInsert, Text: d.Text})
			diffs[i].Type = diffmatchpatch.DiffDelete
			i++
		}
	}
	diffs = dmp.DiffCleanupMerge(diffs)
	out := make([]Change, 0, len(diffs))
	for _, d := range diffs {
		var text strings.Builder
		for _, r := range d.Text {
			text.WriteString(tokens[r-base])
		}
		op := Equal
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op = Delete
		case diffmatchpatch.DiffInsert:
			op = Insert
		}
		out = append(out, Change{op, text.String()})
	}
	return out
}

// tokenize splits s into words (letters, digits and combining marks), runs of
// whitespace and single other characters; joined, the tokens are s.
func tokenize(s string) []string {
	var out []string
	start, kind := 0, -1
	for i, r := range s {
		k := 2 // punctuation and symbols: one token each
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			k = 0
		case unicode.IsSpace(r):
			k = 1
		}
		if i > start && (k != kind || k == 2) {
			out = append(out, s[start:i])
			start = i
		}
		kind = k
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// Labels are the words a screen reader says around a change (the visible marking is
// the strike-through and underline of <del> and <ins>, which many screen readers do
// not announce). Callers pass them translated.
type Labels struct {
	DeleteStart, DeleteEnd string // e.g. "usunięto:" and "koniec usuniętego tekstu"
	InsertStart, InsertEnd string // e.g. "dodano:" and "koniec dodanego tekstu"
}

var paragraphBreak = regexp.MustCompile(`\n[ \t\r\f\v]*\n\s*`)

// HTML shows the changes as paragraphs (blank lines in either text start a new one,
// single line breaks become <br>), deleted text in <del> and inserted text in <ins>,
// each with its labels in a visually hidden span. Every piece of text is escaped.
func HTML(cs []Change, l Labels) template.HTML {
	type piece struct {
		op   Op
		text string
	}
	paragraphs := [][]piece{nil}
	for _, c := range cs {
		for i, part := range paragraphBreak.Split(c.Text, -1) {
			if i > 0 {
				paragraphs = append(paragraphs, nil)
			}
			if part != "" {
				last := len(paragraphs) - 1
				paragraphs[last] = append(paragraphs[last], piece{c.Op, part})
			}
		}
	}
	var b strings.Builder
	// hidden writes a label for screen readers, spaced from the text it marks.
	hidden := func(label string, before bool) {
		if label == "" {
			return
		}
		if before {
			label += " "
		} else {
			label = " " + label
		}
		b.WriteString(`<span class="visually-hidden">`)
		b.WriteString(template.HTMLEscapeString(label))
		b.WriteString(`</span>`)
	}
	text := func(s string) {
		b.WriteString(strings.ReplaceAll(template.HTMLEscapeString(s), "\n", "<br>\n"))
	}
	for _, p := range paragraphs {
		blank := true
		for _, pc := range p {
			if strings.TrimSpace(pc.text) != "" {
				blank = false
			}
		}
		if blank {
			continue
		}
		b.WriteString("<p>")
		for i, pc := range p {
			if i == 0 || i == len(p)-1 {
				pc.text = trimEdge(pc.text, i == 0, i == len(p)-1)
			}
			switch {
			case pc.op == Equal:
				text(pc.text)
			case strings.TrimSpace(pc.text) == "":
				// Changed spacing alone: shown as the new spacing, unmarked.
				if pc.op == Insert && strings.Contains(pc.text, "\n") {
					b.WriteString("<br>\n")
				} else if pc.text != "" {
					b.WriteString(" ")
				}
			default:
				// The marks cover the words; spaces around them stay outside.
				core := strings.TrimSpace(pc.text)
				at := strings.Index(pc.text, core)
				tag, start, end := "ins", l.InsertStart, l.InsertEnd
				if pc.op == Delete {
					tag, start, end = "del", l.DeleteStart, l.DeleteEnd
				}
				text(pc.text[:at])
				b.WriteString("<" + tag + ">")
				hidden(start, true)
				text(core)
				hidden(end, false)
				b.WriteString("</" + tag + ">")
				text(pc.text[at+len(core):])
			}
		}
		b.WriteString("</p>\n")
	}
	return template.HTML(b.String()) // #nosec: every piece of text above is escaped
}

// trimEdge drops whitespace at the start and end of a paragraph.
func trimEdge(s string, first, last bool) string {
	if first {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if last {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return s
}
