package pdfdoc

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzWrite: no Markdown, however broken, makes Write panic or fail. The committed
// corpus in testdata/fuzz/FuzzWrite holds a few awkward seeds.
func FuzzWrite(f *testing.F) {
	for _, s := range []string{"", "Zażółć **gęślą** jaźń", "- a\n  - b\n1. c", "> > q\n```\ncode\n```", "[x](javascript:1) <b>y</b>",
		"| a | b |\n|--|--|\n| 1 | 2 |", strings.Repeat("ą", 300), "👍\xff\x00\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, md string) {
		var b bytes.Buffer
		err := Write(&b, Document{Title: md, Sections: []Section{{Title: "S", Markdown: md}}, Signatories: []Signatory{{md, md, md}}, Footer: md})
		if err != nil {
			t.Fatalf("Write(%q): %v", md, err)
		}
		if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
			t.Fatal("not a PDF")
		}
	})
}

func BenchmarkWrite(b *testing.B) {
	para := strings.Repeat("Zażółć gęślą jaźń — stanowisko **koalicji** w sprawie [konsultacji](https://example.org/k). ", 8)
	var sections []Section
	for range 6 {
		sections = append(sections, Section{Title: "Sekcja", Markdown: "## Uwagi\n\n" + para + "\n\n- punkt pierwszy\n- punkt drugi\n\n> cytat\n\n" + para})
	}
	var signatories []Signatory
	for range 40 {
		signatories = append(signatories, Signatory{Organisation: "Stowarzyszenie Źródło", Person: "Łucja Żółkiewska", Date: "2026-11-25"})
	}
	d := Document{Title: "Stanowisko koalicji", Meta: []string{"Konsultacja: Budżet obywatelski"}, Sections: sections,
		Signatories: signatories, Footer: "Ławka"}
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, d); err != nil {
			b.Fatal(err)
		}
	}
}
