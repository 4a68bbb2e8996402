package debate

import (
	"strings"
	"testing"
	"time"
)

func TestClocksAndFairness(t *testing.T) {
	t0 := time.Date(2026, 5, 20, 18, 0, 0, 0, time.UTC)
	since := t0.Add(-90 * time.Second)
	item, speaker := int64(11), int64(2)
	st := State{CurrentItemID: &item, CurrentSpeakerID: &speaker,
		ItemClock: Clock{MS: 60000, Since: &since}, Timer: Clock{MS: 5000, Since: &since},
		Items:    []Item{{ID: 10, Topic: "A", PlannedMinutes: 10, UsedMS: 600000}, {ID: 11, Topic: "B", PlannedMinutes: 1, UsedMS: 60000}},
		Speakers: []Speaker{{ID: 1, Name: "X", UsedMS: 30000}, {ID: 2, Name: "Y", UsedMS: 5000}}}
	if got := st.Timer.At(t0); got != 95000 {
		t.Errorf("timer at t0: %d", got)
	}
	if got := (Clock{MS: 7}).At(t0); got != 7 {
		t.Errorf("a stopped clock moved: %d", got)
	}
	speakers, items := st.Fairness(t0)
	// Y: 5 s closed turns + 90 s of the running turn; X: 30 s.
	if speakers[1].UsedMS != 95000 || !speakers[1].Current || speakers[0].UsedMS != 30000 || speakers[0].Share+speakers[1].Share != 100 {
		t.Errorf("speakers: %+v", speakers)
	}
	if items[1].UsedMS != 150000 || items[1].PlannedMS != 60000 || items[0].UsedMS != 600000 {
		t.Errorf("items: %+v", items)
	}
	for ms, want := range map[int64]string{0: "0:00", 65000: "1:05", 3723000: "1:02:03", -5: "0:00"} {
		if got := Duration(ms); got != want {
			t.Errorf("Duration(%d) = %q, want %q", ms, got, want)
		}
	}
}

func TestQRSVG(t *testing.T) {
	svg, err := QRSVG("https://lawka.example.org/d/K7PM3Q", `Kod <debaty> "K7PM3Q"`)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if !strings.HasPrefix(s, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `) || !strings.HasSuffix(s, "</svg>") ||
		!strings.Contains(s, "<title>Kod &lt;debaty&gt; &#34;K7PM3Q&#34;</title>") || strings.Count(s, "M") < 50 {
		t.Fatalf("QR SVG: %.300s", s)
	}
	again, _ := QRSVG("https://lawka.example.org/d/K7PM3Q", `Kod <debaty> "K7PM3Q"`)
	if string(again) != s {
		t.Error("the same link drew two different codes")
	}
}

func TestCodesUseTheUnambiguousAlphabet(t *testing.T) {
	for range 200 {
		c := newCode()
		if len(c) != 6 || strings.Trim(c, codeAlphabet) != "" || strings.ContainsAny(c, "01ILO") {
			t.Fatalf("code %q", c)
		}
	}
}
