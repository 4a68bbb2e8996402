package csvx

import (
	"strings"
	"testing"
)

func TestFormulasAreWrittenAsText(t *testing.T) {
	var b strings.Builder
	w := NewWriter(&b)
	if err := w.Write("=HYPERLINK(\"http://zły.example\",\"Kliknij\")", "+48 12 345", "-5", "@SUM(A1)", "\t=1+1", "Zieleń", "12.5", ""); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "\"'=HYPERLINK(\"\"http://zły.example\"\",\"\"Kliknij\"\")\",'+48 12 345,-5,'@SUM(A1),'\t=1+1,Zieleń,12.5,\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
}
