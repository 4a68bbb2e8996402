package drafting

import "testing"

func TestReanchor(t *testing.T) {
	const text = "Sale w domach kultury powinny być tańsze. Sale powinny być dostępne wieczorem."
	a, ok := Locate(text, "Sale powinny być", 0)
	if !ok || a.Start != 42 {
		t.Fatalf("Locate = %+v, %v; want start 42", a, ok)
	}
	cases := []struct {
		name, text string
		found      bool
		start      int
	}{
		{"unchanged", text, true, 42},
		{"moved by an insertion before it", "Wstęp. " + text, true, 49},
		{"polish letters before it", "Źdźbło ąę. " + text, true, 53},
		{"gone", "Sale w domach kultury powinny być tańsze.", false, 42},
		{"context picks the right one of two", "Sale powinny być jasne. Sale w domach kultury powinny być tańsze. Sale powinny być dostępne wieczorem.", true, 66},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := reanchor(c.text, a)
			if ok != c.found || got.Start != c.start {
				t.Fatalf("reanchor = %+v, %v; want start %d, %v", got, ok, c.start, c.found)
			}
			if ok && []rune(c.text)[got.Start] != 'S' {
				t.Fatalf("start %d does not point at the passage", got.Start)
			}
		})
	}
}

func TestLocateNearest(t *testing.T) {
	const text = "ławka, ławka, ławka"
	for near, want := range map[int]int{0: 0, 6: 7, 20: 14} {
		if a, ok := Locate(text, "ławka", near); !ok || a.Start != want {
			t.Errorf("Locate near %d = %d, %v; want %d", near, a.Start, ok, want)
		}
	}
}
