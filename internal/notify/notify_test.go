package notify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/notify"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/db/dbtest"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/mail"
	"lawka/internal/platform/problem"
	"lawka/web"
)

// things is a followable for the tests: thing n exists for every n > 0; hidden ones
// cannot be seen.
type things struct{ hidden map[int64]bool }

func (t things) CanFollow(_ context.Context, _ auth.Principal, id int64) error {
	if t.hidden[id] {
		return problem.NotFound()
	}
	return nil
}

func (things) Path(id int64) string { return fmt.Sprintf("/rzeczy/%d", id) }

// published records live messages.
type published struct {
	mu   sync.Mutex
	msgs map[string][]notify.Count
}

func (p *published) Publish(_ context.Context, room, typ string, data any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if typ != "notify.unread" {
		return fmt.Errorf("unexpected message type %q", typ)
	}
	if p.msgs == nil {
		p.msgs = map[string][]notify.Count{}
	}
	p.msgs[room] = append(p.msgs[room], data.(notify.Count))
	return nil
}

func (p *published) last(userID int64) (notify.Count, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.msgs[notify.RoomOf(userID)]
	if len(m) == 0 {
		return notify.Count{}, false
	}
	return m[len(m)-1], true
}

type fixture struct {
	pool *pgxpool.Pool
	svc  *notify.Service
	pub  *published
}

func setup(t *testing.T) fixture {
	t.Helper()
	bundle, err := i18n.Load(web.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	pool := dbtest.New(t)
	pub := &published{}
	key := []byte("klucz-testowy-32-bajty-dlugosci!")
	svc := notify.NewService(pool, notify.Deps{Publisher: pub, I18n: bundle, PublicURL: "https://lawka.example.org",
		Key: func(context.Context) ([]byte, error) { return key, nil }})
	svc.Register("thing", things{hidden: map[int64]bool{13: true}})
	return fixture{pool: pool, svc: svc, pub: pub}
}

// people makes n accounts (confirmed addresses) and returns them as principals.
func people(t *testing.T, pool *pgxpool.Pool, n int) []auth.Principal {
	t.Helper()
	rows, err := pool.Query(context.Background(), `INSERT INTO users (email, password_hash, display_name, email_confirmed_at)
		SELECT 'osoba' || i || '-' || md5(random()::text) || '@example.org', 'x', 'Osoba ' || i, now()
		FROM generate_series(1, $1) i RETURNING id`, n)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]auth.Principal, len(ids))
	for i, id := range ids {
		out[i] = auth.Principal{UserID: id, DisplayName: fmt.Sprintf("Osoba %d", i+1), Confirmed: true}
	}
	return out
}

func thing(id int64) notify.Target { return notify.Target{Type: "thing", ID: id} }

// notifyTx tells an event in its own transaction and announces it, as a feature does.
func (f fixture) notifyTx(t *testing.T, ev notify.Event) notify.Sent {
	t.Helper()
	ctx := context.Background()
	var sent notify.Sent
	if err := db.Tx(ctx, f.pool, func(tx pgx.Tx) error {
		var err error
		sent, err = f.svc.Notify(ctx, tx, ev)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f.svc.Announce(ctx, sent)
	return sent
}

// stored counts the person's notifications and unread ones in the table, and reads
// their kept count.
func (f fixture) stored(t *testing.T, userID int64) (all, unread, kept int) {
	t.Helper()
	err := f.pool.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE read_at IS NULL),
		coalesce((SELECT unread FROM notification_counts WHERE user_id = $1), 0)
		FROM notifications WHERE user_id = $1`, userID).Scan(&all, &unread, &kept)
	if err != nil {
		t.Fatal(err)
	}
	return all, unread, kept
}

func wantStatus(t *testing.T, err error, status int, what string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Status != status {
		t.Errorf("%s: %v, want status %d", what, err, status)
	}
}

func TestFollowNeedsASignedInPersonAndAVisibleTarget(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	ola := people(t, f.pool, 1)[0]

	wantStatus(t, f.svc.Follow(ctx, auth.Principal{}, thing(1)), http.StatusUnauthorized, "a visitor follows")
	wantStatus(t, f.svc.Follow(ctx, ola, thing(13)), http.StatusNotFound, "following a hidden thing")
	wantStatus(t, f.svc.Follow(ctx, ola, notify.Target{Type: "unknown", ID: 1}), http.StatusNotFound, "following an unknown kind")
	wantStatus(t, f.svc.Follow(ctx, ola, thing(0)), http.StatusNotFound, "following thing 0")
	for range 2 { // again: nothing changes
		if err := f.svc.Follow(ctx, ola, thing(1)); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := f.svc.Following(ctx, ola, thing(1)); err != nil || !ok {
		t.Fatalf("following after Follow: %v %v", ok, err)
	}
	if ok, _ := f.svc.Following(ctx, ola, thing(2)); ok {
		t.Error("following thing 2, never followed")
	}
	if ok, _ := f.svc.Following(ctx, auth.Principal{}, thing(1)); ok {
		t.Error("a visitor follows")
	}
	for range 2 {
		if err := f.svc.Unfollow(ctx, ola, thing(1)); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := f.svc.Following(ctx, ola, thing(1)); ok {
		t.Error("still following after Unfollow")
	}
}

// TestNotifyFansOutToFollowersButNotTheActor: every follower and every person in Also
// gets exactly one notification per event; the actor, people who do not follow and
// erased accounts get none; the counts move and are pushed to each person's room.
func TestNotifyFansOutToFollowersButNotTheActor(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	p := people(t, f.pool, 6)
	actor, fan1, fan2, bystander, parent, erased := p[0], p[1], p[2], p[3], p[4], p[5]
	for _, who := range []auth.Principal{actor, fan1, fan2, erased} {
		if err := f.svc.Follow(ctx, who, thing(7)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.Follow(ctx, fan1, thing(8)); err != nil { // another thing: not told
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE users SET deleted_at = now() WHERE id = $1`, erased.UserID); err != nil {
		t.Fatal(err)
	}

	ev := notify.Event{Kind: notify.KindReply, Target: thing(7), ActorID: actor.UserID,
		Data: map[string]any{"title": "Ławka przy szkole", "comment_id": 41},
		Also: []int64{parent.UserID, fan1.UserID, actor.UserID}} // fan1 twice, the actor in Also too
	sent := f.notifyTx(t, ev)
	var got []int64
	for _, c := range sent {
		got = append(got, c.UserID)
		if c.Unread != 1 || c.Version != 1 {
			t.Errorf("person %d after their first notification: %+v, want unread 1, version 1", c.UserID, c)
		}
	}
	slices.Sort(got)
	want := []int64{fan1.UserID, fan2.UserID, parent.UserID}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("told %v, want %v (followers and Also, not the actor, the bystander or the erased account)", got, want)
	}
	for who, n := range map[string]struct {
		p    auth.Principal
		want int
	}{"actor": {actor, 0}, "follower 1": {fan1, 1}, "follower 2": {fan2, 1}, "bystander": {bystander, 0},
		"parent's author": {parent, 1}, "erased": {erased, 0}} {
		all, unread, kept := f.stored(t, n.p.UserID)
		if all != n.want || unread != n.want || kept != n.want {
			t.Errorf("%s: %d notifications, %d unread, count %d; want %d", who, all, unread, kept, n.want)
		}
	}
	if c, ok := f.pub.last(fan2.UserID); !ok || c.Unread != 1 {
		t.Errorf("follower 2's room got %+v (%v), want unread 1", c, ok)
	}
	if _, ok := f.pub.last(actor.UserID); ok {
		t.Error("the actor's room got a count: they were not told anything")
	}

	// A second event: one more each, the count and version move on.
	f.notifyTx(t, notify.Event{Kind: notify.KindStatus, Target: thing(7), ActorID: fan2.UserID,
		Data: map[string]any{"title": "Ławka przy szkole", "from": "published", "to": "accepted", "official": true}})
	if all, _, kept := f.stored(t, fan1.UserID); all != 2 || kept != 2 {
		t.Errorf("follower 1 after two events: %d notifications, count %d; want 2", all, kept)
	}
	if all, _, _ := f.stored(t, fan2.UserID); all != 1 {
		t.Errorf("follower 2, the actor of the second event: %d notifications, want 1", all)
	}
	if c, _ := f.pub.last(fan1.UserID); c.Unread != 2 || c.Version != 2 {
		t.Errorf("follower 1's room got %+v, want unread 2, version 2", c)
	}
}

// TestNotificationsCommitWithTheEvent: notifications written in the caller's
// transaction are not seen before its commit and vanish with its rollback.
func TestNotificationsCommitWithTheEvent(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	p := people(t, f.pool, 2)
	if err := f.svc.Follow(ctx, p[1], thing(3)); err != nil {
		t.Fatal(err)
	}
	ev := notify.Event{Kind: notify.KindComment, Target: thing(3), ActorID: p[0].UserID, Data: map[string]any{"title": "T"}}
	failed := errors.New("the event failed after its notifications were written")
	err := db.Tx(ctx, f.pool, func(tx pgx.Tx) error {
		if _, err := f.svc.Notify(ctx, tx, ev); err != nil {
			return err
		}
		if all, _, kept := f.stored(t, p[1].UserID); all != 0 || kept != 0 {
			t.Errorf("before the commit another connection sees %d notifications, count %d", all, kept)
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("transaction: %v", err)
	}
	if all, _, kept := f.stored(t, p[1].UserID); all != 0 || kept != 0 {
		t.Errorf("after the rollback: %d notifications, count %d; want none", all, kept)
	}
	f.notifyTx(t, ev)
	if all, _, kept := f.stored(t, p[1].UserID); all != 1 || kept != 1 {
		t.Errorf("after the commit: %d notifications, count %d; want 1", all, kept)
	}
}

// TestMarkReadTouchesOnlyTheOwnersNotifications: marking by id changes the owner's
// own notifications only, the count drops by exactly as many, and never below zero.
func TestMarkReadTouchesOnlyTheOwnersNotifications(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	p := people(t, f.pool, 3)
	actor, ola, ewa := p[0], p[1], p[2]
	for _, who := range []auth.Principal{ola, ewa} {
		if err := f.svc.Follow(ctx, who, thing(5)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 4 {
		f.notifyTx(t, notify.Event{Kind: notify.KindComment, Target: thing(5), ActorID: actor.UserID,
			Data: map[string]any{"title": "T", "comment_id": i + 1}})
	}
	olas, _, err := f.svc.List(ctx, ola, "")
	if err != nil || len(olas) != 4 {
		t.Fatalf("Ola's list: %d, %v", len(olas), err)
	}
	ewas, _, _ := f.svc.List(ctx, ewa, "")

	wantStatus(t, func() error { _, err := f.svc.MarkRead(ctx, ola, nil, false); return err }(), http.StatusUnprocessableEntity, "marking nothing")
	wantStatus(t, func() error { _, err := f.svc.MarkRead(ctx, auth.Principal{}, nil, true); return err }(), http.StatusUnauthorized, "a visitor marking")
	many := make([]int64, notify.MaxMarked+1)
	wantStatus(t, func() error { _, err := f.svc.MarkRead(ctx, ola, many, false); return err }(), http.StatusUnprocessableEntity, "marking too many")

	// Ola marks one of hers and two of Ewa's.
	c, err := f.svc.MarkRead(ctx, ola, []int64{olas[0].ID, ewas[0].ID, ewas[1].ID}, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Unread != 3 {
		t.Errorf("Ola's count after marking one: %d, want 3", c.Unread)
	}
	if _, unread, kept := f.stored(t, ewa.UserID); unread != 4 || kept != 4 {
		t.Errorf("Ewa after Ola marked her ids: %d unread, count %d; want 4", unread, kept)
	}
	if _, ok := f.pub.last(ewa.UserID); !ok {
		t.Fatal("Ewa's room got no count for her notifications")
	}
	// Again: nothing more changes.
	if c, _ = f.svc.MarkRead(ctx, ola, []int64{olas[0].ID}, false); c.Unread != 3 {
		t.Errorf("marking the same again: %d, want 3", c.Unread)
	}
	list, _, _ := f.svc.List(ctx, ola, "")
	for _, n := range list {
		if n.Read != (n.ID == olas[0].ID) {
			t.Errorf("notification %d read = %v", n.ID, n.Read)
		}
	}
	before := c.Version
	if c, err = f.svc.MarkRead(ctx, ola, nil, true); err != nil || c.Unread != 0 || c.Version <= before {
		t.Errorf("marking all: %+v %v, want unread 0 and a newer version than %d", c, err, before)
	}
	if c, err = f.svc.MarkRead(ctx, ola, nil, true); err != nil || c.Unread != 0 {
		t.Errorf("marking all again: %+v %v", c, err)
	}
	if got, ok := f.pub.last(ola.UserID); !ok || got.Unread != 0 {
		t.Errorf("Ola's room last got %+v, want unread 0", got)
	}
	if n, err := f.svc.Unread(ctx, ewa); err != nil || n.Unread != 4 {
		t.Errorf("Ewa's unread: %+v %v, want 4", n, err)
	}
	if n, err := f.svc.Unread(ctx, actor); err != nil || n.Unread != 0 {
		t.Errorf("the actor's unread: %+v %v, want 0", n, err)
	}
}

// TestUnreadCountsStayExactUnderConcurrency: fan-outs to overlapping people and
// marking all as read, all at once: no deadlock, and every kept count equals the
// number of unread rows.
func TestUnreadCountsStayExactUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	p := people(t, f.pool, 12)
	// Person i follows things i%3+1 and (i+1)%3+1: every fan-out overlaps the others.
	for i, who := range p {
		for _, th := range []int64{int64(i%3 + 1), int64((i+1)%3 + 1)} {
			if err := f.svc.Follow(ctx, who, thing(th)); err != nil {
				t.Fatal(err)
			}
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				if w%4 == 3 { // some workers keep marking everything read
					if _, err := f.svc.MarkRead(ctx, p[(w+i)%len(p)], nil, true); err != nil {
						errs <- err
					}
					continue
				}
				err := db.Tx(ctx, f.pool, func(tx pgx.Tx) error {
					_, err := f.svc.Notify(ctx, tx, notify.Event{Kind: notify.KindComment, Target: thing(int64((w+i)%3 + 1)),
						ActorID: p[(w*7+i)%len(p)].UserID, Data: map[string]any{"title": "T"}})
					return err
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent notify / mark read: %v", err)
	}
	total := 0
	for _, who := range p {
		all, unread, kept := f.stored(t, who.UserID)
		total += all
		if unread != kept {
			t.Errorf("person %d: %d unread rows, kept count %d", who.UserID, unread, kept)
		}
	}
	if total == 0 {
		t.Fatal("no notifications were made: the test shows nothing")
	}
}

func TestListIsNewestFirstInPages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	p := people(t, f.pool, 3)
	actor, ola, gone := p[0], p[1], p[2]
	if err := f.svc.Follow(ctx, ola, thing(2)); err != nil {
		t.Fatal(err)
	}
	n := notify.PageSize + 5
	for i := range n {
		who := actor.UserID
		if i == 0 {
			who = gone.UserID
		}
		f.notifyTx(t, notify.Event{Kind: notify.KindReply, Target: thing(2), ActorID: who,
			Data: map[string]any{"title": fmt.Sprintf("Rzecz %d", i), "comment_id": i + 100}})
	}
	// The first actor's account is erased: the notification stays, without their name.
	if err := db.Tx(ctx, f.pool, func(tx pgx.Tx) error { return notify.PersonalData{}.Erase(ctx, tx, gone.UserID) }); err != nil {
		t.Fatal(err)
	}
	first, next, err := f.svc.List(ctx, ola, "")
	if err != nil || len(first) != notify.PageSize || next == "" {
		t.Fatalf("first page: %d items, next %q, %v", len(first), next, err)
	}
	second, last, err := f.svc.List(ctx, ola, next)
	if err != nil || len(second) != 5 || last != "" {
		t.Fatalf("second page: %d items, next %q, %v", len(second), last, err)
	}
	all := append(first, second...)
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID {
			t.Fatalf("not newest first at %d: %d after %d", i, all[i].ID, all[i-1].ID)
		}
	}
	top := all[0]
	if top.Data["title"] != fmt.Sprintf("Rzecz %d", n-1) || top.Actor == nil || top.Actor.ID != actor.UserID ||
		top.Path != fmt.Sprintf("/rzeczy/2#komentarz-%d", n-1+100) || top.Read {
		t.Errorf("newest: %+v", top)
	}
	if oldest := all[len(all)-1]; oldest.Actor != nil {
		t.Errorf("the erased actor is still named: %+v", oldest.Actor)
	}
	if _, _, err := f.svc.List(ctx, ola, "nonsense!"); err == nil {
		t.Error("a made-up cursor was accepted")
	}
	if _, _, err := f.svc.List(ctx, auth.Principal{}, ""); err == nil {
		t.Error("a visitor listed notifications")
	}
	// Each person sees only their own.
	if mine, _, _ := f.svc.List(ctx, actor, ""); len(mine) != 0 {
		t.Errorf("the actor sees %d notifications, all about their own acts", len(mine))
	}
}

func TestRoomAdmitsOnlyItsOwner(t *testing.T) {
	t.Parallel()
	f := setup(t)
	p := people(t, f.pool, 2)
	room := notify.Room{Svc: f.svc}
	ctx := context.Background()
	own := fmt.Sprint(p[0].UserID)
	if err := room.Authorize(ctx, p[0], own); err != nil {
		t.Errorf("the owner: %v", err)
	}
	wantStatus(t, room.Authorize(ctx, p[1], own), http.StatusForbidden, "another person")
	wantStatus(t, room.Authorize(ctx, auth.Principal{}, own), http.StatusUnauthorized, "a visitor")
	wantStatus(t, room.Authorize(ctx, p[0], "x"), http.StatusNotFound, "a malformed id")
	typ, data, err := room.Snapshot(ctx, own)
	if c, ok := data.(notify.Count); err != nil || typ != "notify.unread" || !ok || c.Unread != 0 {
		t.Errorf("snapshot: %q %+v %v", typ, data, err)
	}
}

// digestSetup: Ola and Ewa follow thing 1 and want the digest; Ewa's address is not
// confirmed; Jan follows but does not want it.
func digestSetup(t *testing.T, f fixture) (actor, ola, ewa, jan auth.Principal) {
	t.Helper()
	ctx := context.Background()
	p := people(t, f.pool, 4)
	actor, ola, ewa, jan = p[0], p[1], p[2], p[3]
	if _, err := f.pool.Exec(ctx, `UPDATE users SET email_confirmed_at = NULL WHERE id = $1`, ewa.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE users SET locale = 'en' WHERE id = $1`, jan.UserID); err != nil {
		t.Fatal(err)
	}
	for _, who := range []auth.Principal{ola, ewa, jan} {
		if err := f.svc.Follow(ctx, who, thing(1)); err != nil {
			t.Fatal(err)
		}
	}
	for _, who := range []auth.Principal{ola, ewa} {
		if err := f.svc.SetDigest(ctx, who, true); err != nil {
			t.Fatal(err)
		}
	}
	return
}

func (f fixture) outbox(t *testing.T, userID int64) []mail.Stored {
	t.Helper()
	var email string
	if err := f.pool.QueryRow(context.Background(), `SELECT email FROM users WHERE id = $1`, userID).Scan(&email); err != nil {
		t.Fatal(err)
	}
	all, err := mail.Recent(context.Background(), f.pool, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []mail.Stored
	for _, m := range all {
		if m.To == email {
			out = append(out, m)
		}
	}
	return out
}

// TestDigestIsSentOncePerDay: one mail a day for each opted-in person with a confirmed
// address, listing their unread notifications not yet sent; running the round again,
// or twice at once, sends nothing more that day; the next day carries only what is new.
func TestDigestIsSentOncePerDay(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	actor, ola, ewa, jan := digestSetup(t, f)
	status := func(title, to string) {
		f.notifyTx(t, notify.Event{Kind: notify.KindStatus, Target: thing(1), ActorID: actor.UserID,
			Data: map[string]any{"title": title, "from": "published", "to": to, "official": true}})
	}
	status("Ławka przy szkole", "under_review")
	status("Ławka przy szkole", "accepted")
	// One read before the digest: not in it.
	list, _, _ := f.svc.List(ctx, ola, "")
	if _, err := f.svc.MarkRead(ctx, ola, []int64{list[1].ID}, false); err != nil { // the older one
		t.Fatal(err)
	}

	day1 := time.Date(2026, 11, 3, 7, 30, 0, 0, i18n.Warsaw)
	// Two rounds at once (two instances), then a third later the same day.
	var wg sync.WaitGroup
	sent := make([]int, 2)
	for i := range sent {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := f.svc.SendDigests(ctx, day1)
			if err != nil {
				t.Error(err)
			}
			sent[i] = n
		}()
	}
	wg.Wait()
	if sent[0]+sent[1] != 1 {
		t.Errorf("two rounds at once queued %v mails, want 1 in all (Ola's)", sent)
	}
	if n, err := f.svc.SendDigests(ctx, day1.Add(10*time.Hour)); err != nil || n != 0 {
		t.Errorf("a third round the same day: %d, %v; want 0", n, err)
	}
	mails := f.outbox(t, ola.UserID)
	if len(mails) != 1 {
		t.Fatalf("Ola has %d digests, want 1", len(mails))
	}
	m := mails[0]
	if !strings.Contains(m.Subject, "1 nowe powiadomienie") {
		t.Errorf("subject %q, want the Polish count of one", m.Subject)
	}
	for _, want := range []string{"Oficjalna odpowiedź w sprawie „Ławka przy szkole”: Przyjęta", "https://lawka.example.org/rzeczy/1",
		"https://lawka.example.org/powiadomienia/wypisz?t="} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("the digest lacks %q:\n%s", want, m.Body)
		}
	}
	if strings.Contains(m.Body, "Rozpatrywana") || strings.Contains(m.Body, "under_review") {
		t.Errorf("the digest lists the notification Ola had read:\n%s", m.Body)
	}
	if n := len(f.outbox(t, ewa.UserID)); n != 0 {
		t.Errorf("Ewa (address not confirmed) got %d digests", n)
	}
	if n := len(f.outbox(t, jan.UserID)); n != 0 {
		t.Errorf("Jan (digest off) got %d digests", n)
	}

	// Later on day 1 something new happens: it waits for day 2, alone.
	status("Ławka przy szkole", "implemented")
	if n, _ := f.svc.SendDigests(ctx, day1.Add(time.Hour)); n != 0 {
		t.Errorf("a round later on day 1 queued %d", n)
	}
	day2 := day1.Add(24 * time.Hour)
	if n, err := f.svc.SendDigests(ctx, day2); err != nil || n != 1 {
		t.Fatalf("day 2: %d, %v; want 1", n, err)
	}
	mails = f.outbox(t, ola.UserID)
	if len(mails) != 2 || !strings.Contains(mails[0].Body, "Zrealizowana") || strings.Contains(mails[0].Body, "Przyjęta") {
		t.Errorf("day 2's digest should list only the new notification:\n%s", mails[0].Body)
	}
	// Day 3: nothing new, no mail.
	if n, err := f.svc.SendDigests(ctx, day2.Add(24*time.Hour)); err != nil || n != 0 {
		t.Errorf("day 3 with nothing new: %d, %v", n, err)
	}
}

// TestDigestIsInThePersonsLanguage: Jan's account is in English.
func TestDigestIsInThePersonsLanguage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	actor, _, _, jan := digestSetup(t, f)
	if err := f.svc.SetDigest(ctx, jan, true); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		f.notifyTx(t, notify.Event{Kind: notify.KindComment, Target: thing(1), ActorID: actor.UserID,
			Data: map[string]any{"title": "Bench", "comment_id": 9}})
	}
	if _, err := f.svc.SendDigests(ctx, time.Date(2026, 11, 3, 8, 0, 0, 0, i18n.Warsaw)); err != nil {
		t.Fatal(err)
	}
	mails := f.outbox(t, jan.UserID)
	if len(mails) != 1 || mails[0].Subject != "Ławka: 3 new notifications" ||
		!strings.Contains(mails[0].Body, "Osoba 1 commented on “Bench”") || !strings.Contains(mails[0].Body, "/rzeczy/1#komentarz-9") {
		t.Fatalf("Jan's digest: %+v", mails)
	}
}

// TestUnsubscribeTokenCannotBeForged: the link turns off its owner's digest without a
// sign-in; a token changed in any way, made for another person or with another key
// does nothing.
func TestUnsubscribeTokenCannotBeForged(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	_, ola, ewa, _ := digestSetup(t, f)
	if _, err := f.pool.Exec(ctx, `UPDATE users SET email_confirmed_at = now()`); err != nil {
		t.Fatal(err)
	}
	olaToken, err := f.svc.UnsubscribeToken(ctx, ola.UserID)
	if err != nil {
		t.Fatal(err)
	}
	_, sum, _ := strings.Cut(olaToken, ".")
	other := notify.NewService(f.pool, notify.Deps{Key: func(context.Context) ([]byte, error) {
		return []byte("inny-klucz-inny-klucz-inny-klucz"), nil
	}})
	otherKey, _ := other.UnsubscribeToken(ctx, ewa.UserID)
	flipped := []byte(olaToken)
	flipped[len(flipped)-1] ^= 1
	for name, token := range map[string]string{
		"Ola's signature on Ewa's id": fmt.Sprintf("%d.%s", ewa.UserID, sum),
		"a changed signature":         string(flipped),
		"another key":                 otherKey,
		"no signature":                fmt.Sprint(ewa.UserID),
		"empty":                       "",
		"a leading zero":              fmt.Sprintf("0%d.%s", ola.UserID, sum),
		"a signature too short":       olaToken[:len(olaToken)-1],
	} {
		if err := f.svc.Unsubscribe(ctx, token); err == nil {
			t.Errorf("%s (%q) was accepted", name, token)
		} else {
			wantStatus(t, err, http.StatusBadRequest, name)
		}
		wantStatus(t, f.svc.CheckUnsubscribe(ctx, token), http.StatusBadRequest, name+" (check)")
	}
	for _, who := range []auth.Principal{ola, ewa} {
		if st, _ := f.svc.Settings(ctx, who); !st.DailyDigest {
			t.Fatalf("person %d lost the digest to a forged token", who.UserID)
		}
	}
	if err := f.svc.Unsubscribe(ctx, olaToken); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.svc.Settings(ctx, ola); st.DailyDigest {
		t.Error("Ola still gets the digest after her link")
	}
	if st, _ := f.svc.Settings(ctx, ewa); !st.DailyDigest {
		t.Error("Ola's link unsubscribed Ewa")
	}
}

func TestPersonalDataIsExportedAndErased(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	actor, ola, _, _ := digestSetup(t, f)
	f.notifyTx(t, notify.Event{Kind: notify.KindComment, Target: thing(1), ActorID: actor.UserID, Data: map[string]any{"title": "T"}})
	out, err := notify.PersonalData{}.Export(ctx, f.pool, ola.UserID)
	if err != nil {
		t.Fatal(err)
	}
	s := fmt.Sprintf("%+v", out)
	if !strings.Contains(s, "DailyDigest:true") || !strings.Contains(s, "TargetType:thing TargetID:1") || !strings.Contains(s, "comment.new") {
		t.Errorf("export: %s", s)
	}
	if err := db.Tx(ctx, f.pool, func(tx pgx.Tx) error { return notify.PersonalData{}.Erase(ctx, tx, ola.UserID) }); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := f.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM follows WHERE user_id = $1) + (SELECT count(*) FROM notifications WHERE user_id = $1)
		+ (SELECT count(*) FROM notification_counts WHERE user_id = $1) + (SELECT count(*) FROM notification_settings WHERE user_id = $1)`,
		ola.UserID).Scan(&left); err != nil || left != 0 {
		t.Errorf("after erasure %d rows of Ola's are left (%v)", left, err)
	}
	// The actor's erasure unlinks them from what others were told.
	if err := db.Tx(ctx, f.pool, func(tx pgx.Tx) error { return notify.PersonalData{}.Erase(ctx, tx, actor.UserID) }); err != nil {
		t.Fatal(err)
	}
	var named int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE actor_id = $1`, actor.UserID).Scan(&named); err != nil || named != 0 {
		t.Errorf("%d notifications still name the erased actor", named)
	}
}

// TestOnlyAndExcept: Only tells Also alone; Except leaves people out (a reply's
// parent author, who is told of it as a reply, is not told again as a follower).
func TestOnlyAndExcept(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	p := people(t, f.pool, 3)
	actor, parent, fan := p[0], p[1], p[2]
	for _, who := range []auth.Principal{parent, fan} {
		if err := f.svc.Follow(ctx, who, thing(4)); err != nil {
			t.Fatal(err)
		}
	}
	reply := f.notifyTx(t, notify.Event{Kind: notify.KindReply, Target: thing(4), ActorID: actor.UserID,
		Data: map[string]any{"title": "T"}, Also: []int64{parent.UserID}, Only: true})
	if len(reply) != 1 || reply[0].UserID != parent.UserID {
		t.Errorf("Only told %+v, want the parent's author alone", reply)
	}
	news := f.notifyTx(t, notify.Event{Kind: notify.KindComment, Target: thing(4), ActorID: actor.UserID,
		Data: map[string]any{"title": "T"}, Except: []int64{parent.UserID}})
	if len(news) != 1 || news[0].UserID != fan.UserID {
		t.Errorf("Except told %+v, want the other follower alone", news)
	}
	if all, _, _ := f.stored(t, parent.UserID); all != 1 {
		t.Errorf("the parent's author has %d notifications, want 1 (the reply)", all)
	}
}
