package textdiff

import (
	"strings"
	"testing"
)

func join(cs []Change, skip Op) string {
	var b strings.Builder
	for _, c := range cs {
		if c.Op != skip {
			b.WriteString(c.Text)
		}
	}
	return b.String()
}

func TestWords(t *testing.T) {
	for _, c := range []struct {
		name, old, new string
		want           []Change
	}{
		{"a word replaced", "Prosimy o ławkę przy szkole.", "Prosimy o ławki przy szkole.",
			[]Change{{Equal, "Prosimy o "}, {Delete, "ławkę"}, {Insert, "ławki"}, {Equal, " przy szkole."}}},
		{"words added", "Stojaki przy rynku.", "Stojaki rowerowe przy Rynku Podgórskim.",
			[]Change{{Equal, "Stojaki "}, {Insert, "rowerowe "}, {Equal, "przy "}, {Delete, "rynku"}, {Insert, "Rynku Podgórskim"}, {Equal, "."}}},
		{"nothing changed", "Ta sama treść.", "Ta sama treść.", []Change{{Equal, "Ta sama treść."}}},
		{"from nothing", "", "Nowy tekst", []Change{{Insert, "Nowy tekst"}}},
		{"close words merge into one change", "jedna mała zielona ławka", "dwie duże czerwone ławka",
			[]Change{{Delete, "jedna mała zielona"}, {Insert, "dwie duże czerwone"}, {Equal, " ławka"}}},
	} {
		got := Words(c.old, c.new)
		if !equal(got, c.want) {
			t.Errorf("%s: Words(%q, %q) =\n %v\nwant\n %v", c.name, c.old, c.new, got, c.want)
		}
		if join(got, Insert) != c.old || join(got, Delete) != c.new {
			t.Errorf("%s: the changes do not give back both texts: %v", c.name, got)
		}
	}
}

func equal(a, b []Change) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Both texts come back from the changes, whatever they hold (punctuation, emoji,
// Ukrainian, broken UTF-8, many distinct words).
func FuzzWordsGivesBothTextsBack(f *testing.F) {
	f.Add("Ławka dialogu, na Rynku!\n\nDrugi akapit.", "Ławki dialogu — przy Rynku?\nDrugi akapit 📍.")
	f.Add("Лавка біля школи", "Нова лавка біля школи")
	f.Add("\xff\xfe bad", "bad \xff")
	f.Fuzz(func(t *testing.T, old, new string) {
		cs := Words(old, new)
		if join(cs, Insert) != old || join(cs, Delete) != new {
			t.Fatalf("Words(%q, %q) = %v", old, new, cs)
		}
	})
}

var labels = Labels{DeleteStart: "usunięto:", DeleteEnd: "koniec usuniętego", InsertStart: "dodano:", InsertEnd: "koniec dodanego"}

func TestHTMLMarksChangesForEveryone(t *testing.T) {
	got := string(HTML(Words("Prosimy o ławkę.\n\nDrugi akapit\nw dwóch liniach.", "Prosimy o dwie ławki.\n\nDrugi akapit\nw dwóch liniach."), labels))
	want := `<p>Prosimy o <del><span class="visually-hidden">usunięto: </span>ławkę<span class="visually-hidden"> koniec usuniętego</span></del>` +
		`<ins><span class="visually-hidden">dodano: </span>dwie ławki<span class="visually-hidden"> koniec dodanego</span></ins>.</p>` + "\n" +
		"<p>Drugi akapit<br>\nw dwóch liniach.</p>\n"
	if got != want {
		t.Fatalf("HTML =\n%s\nwant\n%s", got, want)
	}
}

func TestHTMLKeepsParagraphsOfDeletedText(t *testing.T) {
	got := string(HTML(Words("Pierwszy.\n\nUsunięty akapit.\n\nOstatni.", "Pierwszy.\n\nOstatni."), Labels{}))
	want := "<p>Pierwszy.</p>\n<p><del>Usunięty akapit.</del></p>\n<p>Ostatni.</p>\n"
	if got != want {
		t.Fatalf("HTML =\n%q\nwant\n%q", got, want)
	}
}

// User text, in either version and in the labels, is never markup.
func TestHTMLEscapes(t *testing.T) {
	const script = `<script>alert("x")</script>`
	const escaped = `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`
	for name, pair := range map[string][2]string{
		"inserted": {"Zwykły tekst.", "Zwykły " + script + " tekst."},
		"deleted":  {"Zwykły " + script + " tekst.", "Zwykły tekst."},
		"kept":     {script + " stary", script + " nowy & <b>"},
	} {
		got := string(HTML(Words(pair[0], pair[1]), Labels{DeleteStart: "<i>usunięto</i>", InsertStart: "<i>dodano</i>"}))
		for _, bad := range []string{"<script", "</script", "<b>", "<i>"} {
			if strings.Contains(got, bad) {
				t.Errorf("%s: %q is in the HTML unescaped:\n%s", name, bad, got)
			}
		}
		if !strings.Contains(got, escaped) {
			t.Errorf("%s: the escaped script is not shown whole:\n%s", name, got)
		}
	}
}

func TestChanged(t *testing.T) {
	if Changed(Words("Ten sam tekst", "Ten sam tekst")) || Changed(Words("Tekst  z odstępami", "Tekst z odstępami")) {
		t.Error("no words changed, but Changed says yes")
	}
	if !Changed(Words("Ten sam tekst", "Inny tekst")) {
		t.Error("words changed, but Changed says no")
	}
}
