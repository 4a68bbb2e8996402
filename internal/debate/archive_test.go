package debate

import (
	"strings"
	"testing"
	"time"
)

// TestBuildArchive: the log decides when each item was current (a break splits it),
// which question went on screen at which moment and under which item, and which item a
// poll belongs to by when it opened; promises go where they were logged.
func TestBuildArchive(t *testing.T) {
	start := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return start.Add(time.Duration(min) * time.Minute) }
	id := func(n int64) *int64 { return &n }
	end := at(60)
	d := Debate{State: State{Phase: Ended, StartedAt: &start, EndedAt: &end,
		Items: []Item{{ID: 1, Position: 1, Topic: "Dialog obywatelski"}, {ID: 2, Position: 2, Topic: "Sąsiedztwa"}}}}
	log := []logRow{
		{At: at(0), Phase: Live, ItemID: id(1)},
		{At: at(10), Phase: Live, ItemID: id(1), OnScreen: id(7)}, // question 7 answered under item 1
		{At: at(15), Phase: Paused, ItemID: id(1), OnScreen: id(7)},
		{At: at(20), Phase: Live, ItemID: id(1), OnScreen: id(7)},
		{At: at(30), Phase: Live, ItemID: id(2)},
		{At: at(40), Phase: Live, ItemID: id(2), OnScreen: id(7)}, // on screen again: still answered once
		{At: at(60), Phase: Ended, ItemID: id(2)},
	}
	approved := []Question{{ID: 8, Body: "Kiedy ławka?", Votes: 5}, {ID: 7, Body: "Gdzie lokale?", Votes: 3}}
	polls := []ArchivePoll{{ID: 3, Question: "Ławka dialogu?", OpenedAt: new(at(35))}}
	promises := []ArchivePromise{{ID: 1, Text: "Pełnomocnik ds. NGO"}, {ID: 2, Text: "Audyt pustostanów", ItemID: id(2), Moment: id(33 * 60000)}}
	a := buildArchive(d, log, approved, polls, promises, at(90))

	if !a.Timed || a.DurationMS != 60*60000 {
		t.Fatalf("timed %v, duration %d", a.Timed, a.DurationMS)
	}
	one, two := a.Items[0], a.Items[1]
	if len(one.Spans) != 2 || one.Spans[0] != (Span{0, 15 * 60000}) || one.Spans[1] != (Span{20 * 60000, 30 * 60000}) {
		t.Errorf("item 1 spans %+v, want 0–15 and 20–30 (the break is not its time)", one.Spans)
	}
	if len(two.Spans) != 1 || two.Spans[0] != (Span{30 * 60000, 60 * 60000}) {
		t.Errorf("item 2 spans %+v", two.Spans)
	}
	if len(one.Answered) != 1 || one.Answered[0].ID != 7 || one.Answered[0].MomentMS != 10*60000 || len(two.Answered) != 0 {
		t.Errorf("answered: item 1 %+v, item 2 %+v", one.Answered, two.Answered)
	}
	if len(a.Unanswered) != 1 || a.Unanswered[0].ID != 8 {
		t.Errorf("unanswered %+v", a.Unanswered)
	}
	if len(two.Polls) != 1 || *two.Polls[0].Moment != 35*60000 {
		t.Errorf("the poll opened at 0:35 belongs to item 2: %+v", two.Polls)
	}
	if len(two.Promises) != 1 || len(a.General.Promises) != 1 || a.General.Promises[0].ID != 1 {
		t.Errorf("promises: item 2 %+v, general %+v", two.Promises, a.General.Promises)
	}
	csv := ArchiveCSV(a)
	for _, want := range []string{"agenda_item,1. Dialog obywatelski,0,0:00:00", "question_answered,1. Dialog obywatelski,600000,0:10:00,Gdzie lokale?",
		"poll,2. Sąsiedztwa,2100000,0:35:00,Ławka dialogu?", "promise,,,,Pełnomocnik ds. NGO", "question_unanswered,,,,Kiedy ławka?,,,5"} {
		if !strings.Contains(csv, want) {
			t.Errorf("the CSV has no row starting %q:\n%s", want, csv)
		}
	}
}

// TestArchiveOfADebateNotRunInLawka: no log, no moments; promises for the whole debate.
func TestArchiveOfADebateNotRunInLawka(t *testing.T) {
	d := Debate{State: State{Phase: Ended, Items: []Item{{ID: 1, Position: 1, Topic: "Dialog"}}}}
	a := buildArchive(d, nil, nil, nil, []ArchivePromise{{ID: 1, Text: "Ławka dialogu", Moment: nil}}, time.Now())
	if a.Timed || len(a.Items[0].Spans) != 0 || len(a.General.Promises) != 1 {
		t.Errorf("%+v", a)
	}
	if csv := ArchiveCSV(a); !strings.Contains(csv, "agenda_item,1. Dialog,,,Dialog") {
		t.Errorf("moments of an untimed debate are empty:\n%s", csv)
	}
}
