package drafting

// Anchoring comments to passages, in the manner of the W3C Web Annotation
// TextQuoteSelector: a comment keeps the exact passage, a little text before and after
// it, and where it started. After an edit it is found again by its text; when the
// passage occurs more than once the context decides, then the nearest to where it was.

import (
	"strings"
	"unicode/utf8"
)

// Anchor is a passage of a text: the quote, its context and its start (in characters).
type Anchor struct {
	Quote, Prefix, Suffix string
	Start                 int
}

// occurrences are the starts (in characters) of quote in text.
func occurrences(text, quote string) []int {
	var out []int
	if quote == "" {
		return nil
	}
	offset, runes := 0, 0
	for {
		i := strings.Index(text[offset:], quote)
		if i < 0 {
			return out
		}
		runes += utf8.RuneCountInString(text[offset : offset+i])
		out = append(out, runes)
		// Step one character on, so overlapping occurrences count too.
		_, size := utf8.DecodeRuneInString(text[offset+i:])
		runes++
		offset += i + size
	}
}

// anchorAt is the anchor of quote starting at character start of text.
func anchorAt(text string, start int, quote string) Anchor {
	r := []rune(text)
	end := start + utf8.RuneCountInString(quote)
	from, to := max(start-contextLen, 0), min(end+contextLen, len(r))
	return Anchor{Quote: quote, Prefix: string(r[from:start]), Suffix: string(r[end:to]), Start: start}
}

// Locate finds quote in text, nearest to the character near: the anchor and true, or
// false when the text holds no such passage.
func Locate(text, quote string, near int) (Anchor, bool) {
	return reanchor(text, Anchor{Quote: quote, Start: near})
}

// reanchor finds a's passage in text: the occurrence whose context matches best, then
// the one nearest to where it was. False: the passage is gone.
func reanchor(text string, a Anchor) (Anchor, bool) {
	starts := occurrences(text, a.Quote)
	if len(starts) == 0 {
		return a, false
	}
	best, bestScore, bestDist := -1, -1, 0
	for _, s := range starts {
		cand := anchorAt(text, s, a.Quote)
		score := commonSuffix(cand.Prefix, a.Prefix) + commonPrefix(cand.Suffix, a.Suffix)
		dist := s - a.Start
		if dist < 0 {
			dist = -dist
		}
		if score > bestScore || score == bestScore && dist < bestDist {
			best, bestScore, bestDist = s, score, dist
		}
	}
	return anchorAt(text, best, a.Quote), true
}

// commonPrefix counts the characters a and b start with alike.
func commonPrefix(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	n := 0
	for n < len(ra) && n < len(rb) && ra[n] == rb[n] {
		n++
	}
	return n
}

// commonSuffix counts the characters a and b end with alike.
func commonSuffix(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	n := 0
	for n < len(ra) && n < len(rb) && ra[len(ra)-1-n] == rb[len(rb)-1-n] {
		n++
	}
	return n
}
