package poll

import (
	"context"
	"testing"

	"lawka/internal/platform/redisx/redistest"
)

// The Redis side must count each committed change exactly once, whatever the network
// does to the commands that carry them.
func TestLiveTallyAppliesEachChangeOnceAndInOrder(t *testing.T) {
	ctx := context.Background()
	l := liveTallies{rdb: redistest.New(t)}
	const poll, epoch = 42, 1700000000000000
	opts := []int64{7, 8}
	read := func() counts {
		t.Helper()
		c, ok, err := l.read(ctx, poll, opts)
		if err != nil || !ok {
			t.Fatalf("read: ok=%v err=%v", ok, err)
		}
		return c
	}
	vote := func(opt int64) delta {
		d := delta{}
		d.ballot(1)
		d.choices([]int64{opt}, 1)
		return d
	}

	// Nothing in Redis yet: a change asks for a rebuild instead of counting from zero.
	if missing, err := l.apply(ctx, poll, epoch, 1, vote(7)); err != nil || !missing {
		t.Fatalf("apply to a missing tally: missing=%v err=%v", missing, err)
	}
	start := counts{Status: "open", Epoch: epoch, Seq: 0, OnOption: map[int64]int{}, PaOption: map[int64]int{}, OptionIDs: opts}
	if err := l.rebuild(ctx, poll, start); err != nil {
		t.Fatal(err)
	}

	// A retried command (the same change twice) counts once.
	for range 2 {
		if _, err := l.apply(ctx, poll, epoch, 1, vote(7)); err != nil {
			t.Fatal(err)
		}
	}
	if c := read(); c.Seq != 1 || c.Online != 1 || c.OnOption[7] != 1 {
		t.Fatalf("after a retried change: %+v", c)
	}

	// Change 3 arrives before change 2: it waits, then both count, in order.
	if _, err := l.apply(ctx, poll, epoch, 3, vote(8)); err != nil {
		t.Fatal(err)
	}
	if c := read(); c.Seq != 1 || c.Online != 1 {
		t.Fatalf("a change ahead of a missing one must wait: %+v", c)
	}
	changed := delta{}
	changed.choices([]int64{7}, -1)
	changed.choices([]int64{8}, 1)
	if _, err := l.apply(ctx, poll, epoch, 2, changed); err != nil {
		t.Fatal(err)
	}
	if c := read(); c.Seq != 3 || c.Online != 2 || c.OnOption[7] != 0 || c.OnOption[8] != 2 {
		t.Fatalf("after changes 2 and 3: %+v", c)
	}

	// A rebuild from an older PostgreSQL snapshot never moves the tally back.
	if err := l.rebuild(ctx, poll, counts{Status: "open", Epoch: epoch, Seq: 2, OnOption: map[int64]int{8: 1}, PaOption: map[int64]int{},
		OptionIDs: opts, Online: 1}); err != nil {
		t.Fatal(err)
	}
	if c := read(); c.Seq != 3 || c.Online != 2 {
		t.Fatalf("an older rebuild replaced a newer tally: %+v", c)
	}

	// A rebuild past a lost change (5 waits for 4, which never comes) takes PostgreSQL's
	// counts and then the waiting changes that follow them.
	if _, err := l.apply(ctx, poll, epoch, 5, vote(7)); err != nil {
		t.Fatal(err)
	}
	pg := counts{Status: "open", Epoch: epoch, Seq: 4, Online: 3, OnOption: map[int64]int{7: 0, 8: 3}, PaOption: map[int64]int{}, OptionIDs: opts}
	if err := l.rebuild(ctx, poll, pg); err != nil {
		t.Fatal(err)
	}
	if c := read(); c.Seq != 5 || c.Online != 4 || c.OnOption[7] != 1 || c.OnOption[8] != 3 {
		t.Fatalf("after the rebuild at 4 and the waiting change 5: %+v", c)
	}

	// Poll 42 of another database (a recreated one: another epoch) never adds to this
	// tally, and its rebuild replaces it even from a lower sequence number.
	if missing, err := l.apply(ctx, poll, epoch+1, 6, vote(7)); err != nil || !missing {
		t.Fatalf("a change of another poll 42: missing=%v err=%v", missing, err)
	}
	other := counts{Status: "open", Epoch: epoch + 1, Seq: 1, Online: 1, OnOption: map[int64]int{8: 1}, PaOption: map[int64]int{}, OptionIDs: opts}
	if err := l.rebuild(ctx, poll, other); err != nil {
		t.Fatal(err)
	}
	if c := read(); c.Epoch != epoch+1 || c.Seq != 1 || c.Online != 1 || c.OnOption[7] != 0 {
		t.Fatalf("after the other poll's rebuild: %+v", c)
	}
}
