package i18n

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	summer := time.Date(2026, time.July, 1, 18, 30, 0, 0, Warsaw)
	for in, want := range map[string]time.Time{
		"2026-07-01T18:30":          summer,
		" 2026-07-01T16:30:00Z ":    summer,
		"2026-07-01T18:30:00+02:00": summer,
		"2026-07-01":                {},
		"1999-12-31T23:59":          {},
		"2101-01-01T00:00":          {},
		"jutro":                     {},
	} {
		got, ok := ParseTime(in)
		if ok != !want.IsZero() || ok && !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
}
