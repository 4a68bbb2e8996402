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

// No image loads from someone's text: a Markdown image is a link to its address with its
// alt text, a raw <img> goes, and unsafe addresses lose their href either way.
func TestImagesBecomeLinks(t *testing.T) {
	for in, want := range map[string]string{
		"![Mapa ławek](https://example.org/mapa.png)":               `<a href="https://example.org/mapa.png" rel="nofollow noreferrer">Mapa ławek</a>`,
		"![](/propozycje/1)":                                        `<a href="/propozycje/1" rel="nofollow noreferrer">/propozycje/1</a>`,
		"Zdjęcie <img src=x onerror=alert(1)> z ławki":              "Zdjęcie  z ławki",
		"![obraz](javascript:alert(1)) Krowodrza":                   "obraz Krowodrza",
		"![obraz](data:image/svg+xml,<svg onload=alert(1)>) Ruczaj": "Ruczaj",
	} {
		out := string(HTML(in))
		if !strings.Contains(out, want) || strings.Contains(out, "<img") || strings.Contains(out, "<svg") ||
			strings.Contains(out, `href="javascript:`) || strings.Contains(out, `href="data:`) || strings.Contains(out, "onerror") {
			t.Errorf("HTML(%q) = %q, want %q and no image or unsafe address", in, out, want)
		}
	}
}
