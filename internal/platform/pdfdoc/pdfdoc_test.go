package pdfdoc

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/go-pdf/fpdf"
)

const (
	polish    = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"
	ukrainian = "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯабвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
)

func render(t testing.TB, d Document) []byte {
	t.Helper()
	d.Uncompressed = true
	var b bytes.Buffer
	if err := Write(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// run is a string a page shows, where it starts (points from the bottom left).
type run struct {
	x, y float64
	text string
}

// shownRuns are the strings the pages show (the Tj operands of the uncompressed page
// streams), decoded from the UTF-16 fpdf writes for its Unicode fonts.
func shownRuns(t testing.TB, pdf []byte) []run {
	t.Helper()
	var out []run
	for _, m := range regexp.MustCompile(`(?s)BT ([0-9.]+) ([0-9.]+) Td \(((?:[^\\)]|\\.)*)\)Tj ET`).FindAllSubmatch(pdf, -1) {
		raw := regexp.MustCompile(`(?s)\\(.)`).ReplaceAllFunc(m[3], func(e []byte) []byte {
			if e[1] == 'r' {
				return []byte{'\r'}
			}
			return e[1:]
		})
		if len(raw)%2 != 0 {
			t.Fatalf("odd UTF-16 string %q", raw)
		}
		u := make([]uint16, len(raw)/2)
		for i := range u {
			u[i] = uint16(raw[2*i])<<8 | uint16(raw[2*i+1])
		}
		x, _ := strconv.ParseFloat(string(m[1]), 64)
		y, _ := strconv.ParseFloat(string(m[2]), 64)
		out = append(out, run{x, y, string(utf16.Decode(u))})
	}
	return out
}

// shownText is what the pages show, a string a line.
func shownText(t testing.TB, pdf []byte) string {
	var out strings.Builder
	for _, r := range shownRuns(t, pdf) {
		out.WriteString(r.text)
		out.WriteByte('\n')
	}
	return out.String()
}

// object returns the body of "n 0 obj".
func object(t testing.TB, pdf []byte, n int) []byte {
	t.Helper()
	start := bytes.Index(pdf, []byte(fmt.Sprintf("\n%d 0 obj\n", n)))
	if start < 0 {
		t.Fatalf("no object %d", n)
	}
	body := pdf[start:]
	return body[:bytes.Index(body, []byte("endobj"))]
}

// stream decodes the stream of object n.
func stream(t testing.TB, pdf []byte, n int) []byte {
	t.Helper()
	obj := object(t, pdf, n)
	m := regexp.MustCompile(`/Length (\d+)`).FindSubmatch(obj)
	if m == nil {
		t.Fatalf("object %d has no stream", n)
	}
	length, _ := strconv.Atoi(string(m[1]))
	i := bytes.Index(obj, []byte("stream\n")) + len("stream\n")
	data := obj[i : i+length]
	if !bytes.Contains(obj[:i], []byte("/FlateDecode")) {
		return data
	}
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

func TestWriteIsAPDF(t *testing.T) {
	for _, compressed := range []bool{false, true} {
		var b bytes.Buffer
		err := Write(&b, Document{Title: "Stanowisko", Sections: []Section{{Title: "Wstęp", Markdown: "Tekst."}}, Uncompressed: !compressed})
		if err != nil {
			t.Fatal(err)
		}
		out := b.Bytes()
		if !bytes.HasPrefix(out, []byte("%PDF-")) || !bytes.HasSuffix(bytes.TrimRight(out, "\r\n"), []byte("%%EOF")) {
			t.Errorf("compressed=%v: not a PDF: starts %q, ends %q", compressed, out[:8], out[len(out)-8:])
		}
		if got := bytes.Contains(out, []byte("BT ")); got == compressed {
			t.Errorf("compressed=%v: page text readable = %v", compressed, got)
		}
	}
}

// TestPolishAndUkrainianLetters checks the letters are both shown (the page strings hold
// their code points), mapped back to text (the identity ToUnicode CMap: codes are code
// points), and drawn with real glyphs (the CIDToGIDMap sends none of them to glyph 0,
// .notdef, the empty box) in every face used.
func TestPolishAndUkrainianLetters(t *testing.T) {
	letters := polish + " " + ukrainian
	pdf := render(t, Document{
		Title:    "Zażółć gęślą jaźń",
		Meta:     []string{"Konsultacja: Громадська ґанок"},
		Sections: []Section{{Title: "Sekcja " + polish, Markdown: letters + "\n\n**" + letters + "**\n\n*" + letters + "*\n\n***" + letters + "***\n\n`" + letters + "`"}},
		Signatories: []Signatory{{Organisation: "Stowarzyszenie Źródło", Person: "Łucja Żółkiewska", Date: "2026-11-25"},
			{Organisation: "Громадська організація", Person: "Ґанна Їжакевич", Date: "2026-11-25"}},
	})
	text := shownText(t, pdf)
	// Lines are joined: the long Ukrainian word wraps in the wider faces.
	if n := strings.Count(strings.ReplaceAll(text, "\n", ""), polish+ukrainian); n != 5 {
		t.Errorf("the pages show %q %d times, want 5 (regular, bold, oblique, bold oblique, code); they show:\n%s", letters, n, text)
	}
	for _, want := range []string{"Zażółć gęślą jaźń", "Konsultacja: Громадська ґанок", "Sekcja " + polish, "Łucja Żółkiewska", "Ґанна Їжакевич"} {
		if !strings.Contains(text, want) {
			t.Errorf("the pages do not show %q; they show:\n%s", want, text)
		}
	}
	if !bytes.Contains(pdf, []byte("/ToUnicode")) || !bytes.Contains(pdf, []byte("<0000> <FFFF> <0000>")) {
		t.Error("no identity ToUnicode CMap")
	}
	maps := regexp.MustCompile(`/CIDToGIDMap (\d+) 0 R`).FindAllSubmatch(pdf, -1)
	if len(maps) != 5 { // regular, bold, oblique, bold oblique, mono
		t.Fatalf("%d embedded fonts, want 5", len(maps))
	}
	for _, m := range maps {
		n, _ := strconv.Atoi(string(m[1]))
		gids := stream(t, pdf, n)
		if len(gids) != 2*65536 {
			t.Fatalf("CIDToGIDMap of %d bytes", len(gids))
		}
		for _, c := range polish + ukrainian {
			if gids[2*c] == 0 && gids[2*c+1] == 0 {
				t.Errorf("font map %d: %q (U+%04X) has no glyph", n, c, c)
			}
		}
	}
}

func TestMetadata(t *testing.T) {
	created := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	pdf := render(t, Document{Title: "Stanowisko koalicji", Author: "Koalicja Łąka", Created: created})
	info := string(pdf[bytes.LastIndex(pdf, []byte("/Producer")):])
	for _, want := range []string{"/Title (" + utf16BE("Stanowisko koalicji"), "/Author (" + utf16BE("Koalicja Łąka"),
		"/Creator (" + utf16BE("Ławka"), "/CreationDate (D:20261125090000"} {
		if !strings.Contains(info, want) && !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("no %q in the document information", want)
		}
	}
	if !bytes.Contains(pdf, []byte("/Lang (pl)")) {
		t.Error("not tagged as Polish")
	}
	if pdf := render(t, Document{Title: "Позиція", Lang: "uk"}); !bytes.Contains(pdf, []byte("/Lang (uk)")) {
		t.Error("Lang is not used")
	}
	if pdf := render(t, Document{Title: "T", Lang: "en) /OpenAction (x"}); !bytes.Contains(pdf, []byte("/Lang (pl)")) || bytes.Contains(pdf, []byte("OpenAction")) {
		t.Error("a Lang that is no language tag reaches the catalogue")
	}
}

// utf16BE is how fpdf writes metadata strings: a byte order mark, then UTF-16BE.
func utf16BE(s string) string {
	b := []byte{0xfe, 0xff}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return string(b)
}

func TestLongDocumentHasNumberedPages(t *testing.T) {
	para := strings.Repeat("Zażółć gęślą jaźń, a potem jeszcze trochę tekstu o konsultacji. ", 12)
	var sections []Section
	for i := range 8 {
		sections = append(sections, Section{Title: fmt.Sprintf("Sekcja %d", i+1), Markdown: strings.Repeat(para+"\n\n", 4)})
	}
	var signatories []Signatory
	for i := range 60 {
		signatories = append(signatories, Signatory{Organisation: fmt.Sprintf("Organizacja nr %d", i+1), Person: "Osoba", Date: "2026-11-25"})
	}
	pdf := render(t, Document{Title: "Długi dokument", Footer: "Stanowisko — Ławka", Sections: sections, Signatories: signatories,
		SignatoryColumns: [3]string{"Organizacja", "Osoba", "Data"}})
	pages := len(regexp.MustCompile(`/Type /Page\n`).FindAll(pdf, -1))
	if pages < 4 {
		t.Fatalf("%d pages, want several", pages)
	}
	text := shownText(t, pdf)
	for p := 1; p <= pages; p++ {
		if want := fmt.Sprintf("%d / %d", p, pages); !strings.Contains(text, want) {
			t.Errorf("no page number %q", want)
		}
	}
	if strings.Count(text, "Stanowisko — Ławka") != pages {
		t.Errorf("the footer is not on each of %d pages", pages)
	}
	if !strings.Contains(text, "60.") || !strings.Contains(text, "Organizacja nr 60") {
		t.Error("the signatories' table lost rows")
	}
	if n := strings.Count(text, "Organizacja\n"); n < 2 {
		t.Errorf("the table's header is shown %d times: not again on the page the table goes on to", n)
	}
	// Text stays inside the margins: body text above the bottom margin, the footer below it.
	const mm = 72 / 25.4
	for _, m := range regexp.MustCompile(`BT ([0-9.]+) ([0-9.]+) Td`).FindAllSubmatch(pdf, -1) {
		x, _ := strconv.ParseFloat(string(m[1]), 64)
		y, _ := strconv.ParseFloat(string(m[2]), 64)
		if x < marginX*mm-0.01 || x > (pageW-marginX)*mm || y > (pageH-marginTop)*mm || (y < marginBottom*mm && y > 15*mm) || y < 10*mm {
			t.Errorf("text at (%.1f mm, %.1f mm from the bottom): outside the page's text area", x/mm, y/mm)
		}
	}
	// Every section is bookmarked, and so is the signatories' heading.
	if n := bytes.Count(pdf, []byte("/Title ("+utf16BE("Sekcja"))); n != 8 {
		t.Errorf("%d section bookmarks, want 8", n)
	}
}

func TestMarkdown(t *testing.T) {
	md := strings.Join([]string{
		"# Nagłówek", "",
		"Akapit z *kursywą*, **pogrubieniem**, ~~skreśleniem~~ i `kodem`.", "",
		"- pierwszy", "- drugi", "  1. zagnieżdżony", "", "",
		"3. trzy", "4. cztery", "",
		"> cytat", "> > głębszy", "",
		"[strona](https://example.org/a) i [zły](javascript:alert(1)) i https://example.org/auto i ![obraz](https://example.org/i.png)", "",
		"```", "func main() {", "\tfmt.Println(\"ą\")", "}", "```", "",
		"<script>alert('x')</script>", "",
		"Tekst <b>z tagiem</b> w środku.", "",
		"| A | B |", "|---|---|", "| 1 | 2 |", "",
		"---", "",
		"Koniec",
	}, "\n")
	pdf := render(t, Document{Title: "T", Sections: []Section{{Title: "S", Markdown: md}}})
	text := strings.ReplaceAll(shownText(t, pdf), "\n", "")
	for _, want := range []string{"Nagłówek", "kursywą", "pogrubieniem", "skreśleniem", "kodem", "•", "pierwszy", "1.", "zagnieżdżony",
		"3.", "4.", "cytat", "głębszy", "strona", "(https://example.org/a)", "zły", "(javascript:alert(1))", "https://example.org/auto",
		"obraz", "(https://example.org/i.png)", "func main() {", "    fmt.Println(\"ą\")", "alert('x')", "z tagiem", "A | B", "1 | 2", "Koniec"} {
		if !strings.Contains(text, want) {
			t.Errorf("the pages do not show %q; they show:\n%s", want, text)
		}
	}
	for _, bad := range []string{"<script", "<b>", "</b>", "#", "**", "```", "~~"} {
		if strings.Contains(text, bad) {
			t.Errorf("the pages show Markdown or HTML syntax %q:\n%s", bad, text)
		}
	}
	if !bytes.Contains(pdf, []byte("/URI (https://example.org/a)")) || !bytes.Contains(pdf, []byte("/URI (https://example.org/auto)")) {
		t.Error("links are not clickable")
	}
	if bytes.Contains(pdf, []byte("/URI (javascript")) {
		t.Error("a javascript: link is clickable")
	}
}

// TestLinesWrap: no line is wider than the space given, long words are cut between
// letters, and no text is lost or reordered.
func TestLinesWrap(t *testing.T) {
	r := &renderer{pdf: fpdf.New("P", "mm", "A4", ""), fonts: map[string]bool{}}
	long := strings.Repeat("Konstantynopolitańczykowianeczka", 20)
	spans := []span{{text: "Krótki tekst, potem "}, {text: long, st: style{bold: true}}, {text: ", i dalej zwykły tekst " + strings.Repeat("słowo ", 40)},
		{text: "https://example.org/" + strings.Repeat("ścieżka/", 30), link: "https://example.org/"}}
	const avail = 80.0
	lines := r.lines(spans, avail, false)
	if len(lines) < 10 {
		t.Fatalf("%d lines", len(lines))
	}
	var got, want strings.Builder
	for _, s := range spans {
		want.WriteString(strings.ReplaceAll(s.text, " ", ""))
	}
	for i, ln := range lines {
		for _, p := range ln {
			if p.x+p.w > avail+0.01 {
				t.Errorf("line %d: %q ends at %.2f > %.2f", i, p.text, p.x+p.w, avail)
			}
			got.WriteString(strings.ReplaceAll(p.text, " ", ""))
		}
	}
	if got.String() != want.String() {
		t.Errorf("text changed by wrapping:\n got %q\nwant %q", got.String(), want.String())
	}
}

func TestUnusualInput(t *testing.T) {
	for name, s := range map[string]string{
		"emoji":        "Głos 👍🏽 i 🇵🇱",
		"invalid":      "zły \xff\xfe bajt",
		"controls":     "a\x00b\x01c\r\nd\te\u200b\ufeff",
		"no glyph":     "中文 한국어 ꙮ",
		"empty":        "",
		"only spaces":  "   \n\n   ",
		"empty items":  "-\n-\n1.\n",
		"deep nesting": strings.Repeat("> ", 60) + strings.Repeat("- ", 60) + "x",
	} {
		t.Run(name, func(t *testing.T) {
			pdf := render(t, Document{Title: s, Subtitle: s, Meta: []string{s}, Footer: s, SignatoriesHeading: s,
				Sections: []Section{{Title: s, Markdown: s}}, Signatories: []Signatory{{s, s, s}}})
			if !bytes.HasSuffix(bytes.TrimSpace(pdf), []byte("%%EOF")) {
				t.Error("not a whole PDF")
			}
		})
	}
}

// TestSignatoriesTable: a row's cells share a line, in the columns' order.
func TestSignatoriesTable(t *testing.T) {
	pdf := render(t, Document{Title: "T", SignatoryColumns: [3]string{"Organizacja", "Osoba", "Data"},
		Signatories: []Signatory{{"Stowarzyszenie Źródło", "Łucja Żółkiewska", "2026-11-20"}, {"Fundacja", "Jan Nowak", "2026-11-21"}}})
	at := map[string]run{}
	for _, r := range shownRuns(t, pdf) {
		at[strings.TrimSpace(r.text)] = r
	}
	for _, row := range [][]string{{"Organizacja", "Osoba", "Data"}, {"1.", "Stowarzyszenie Źródło", "Łucja Żółkiewska", "2026-11-20"}, {"2.", "Fundacja", "Jan Nowak", "2026-11-21"}} {
		first, ok := at[row[0]]
		if !ok {
			t.Fatalf("%q not shown", row[0])
		}
		for i, cell := range row[1:] {
			c, ok := at[cell]
			if !ok || c.y != first.y || c.x <= at[row[i]].x {
				t.Errorf("%q at (%.1f, %.1f), not right of %q at (%.1f, %.1f) on its line", cell, c.x, c.y, row[i], at[row[i]].x, at[row[i]].y)
			}
		}
	}
	if at["1."].y <= at["2."].y || at["Organizacja"].y <= at["1."].y {
		t.Error("rows are not in order down the page")
	}
}
