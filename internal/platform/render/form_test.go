package render

import (
	"testing"
	"time"

	"lawka/internal/platform/i18n"
)

func TestFormDateTime(t *testing.T) {
	f := NewForm()
	if got := f.DateTime("opens_at"); got != "" {
		t.Errorf("empty fields: %q", got)
	}
	f.SetDateTime("opens_at", time.Date(2026, time.January, 5, 8, 30, 0, 0, time.UTC))
	if f.Values["opens_at"] != "2026-01-05" || f.Values["opens_at_time"] != "09:30" {
		t.Errorf("split in Warsaw: %v", f.Values)
	}
	f.Values["opens_at_time"] = " 09:30 "
	got := f.DateTime("opens_at")
	if at, ok := i18n.ParseTime(got); got != "2026-01-05T09:30" || !ok || at.UTC().Hour() != 8 {
		t.Errorf("joined: %q", got)
	}
}
