package markdown

import (
	"strings"
	"testing"
)

// A line that starts with a tag keeps its text: the tag is judged by the sanitiser,
// the words are the person's.
func TestTextAroundTagsIsKept(t *testing.T) {
	for in, want := range map[string]string{
		"<p onclick=\"alert(1)\">Ławka przy szkole</p>": "Ławka przy szkole",
		"<div>Spotkanie w czwartek</div>":               "Spotkanie w czwartek",
		"<b>ważne</b>: zebranie o 18:00":                "<b>ważne</b>: zebranie o 18:00",
		"<script>alert(1)</script>Dalszy tekst":         "Dalszy tekst",
	} {
		out := string(HTML(in))
		if !strings.Contains(out, want) || strings.Contains(out, "onclick") || strings.Contains(out, "<script") {
			t.Errorf("HTML(%q) = %q, want it to keep %q and nothing unsafe", in, out, want)
		}
	}
}
