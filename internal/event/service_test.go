package event

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/neighbourhood"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db/dbtest"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/problem"
	"lawka/web"
)

type places struct{ store *neighbourhood.Store }

func (p places) Exists(ctx context.Context, id int64) (bool, error) { return p.store.Exists(ctx, id) }
func (places) DistrictChoices(context.Context) ([]Choice, error)    { return nil, nil }

// setup is a fresh database with the districts, a service with translations whose clock
// stands at now, and a moderator.
func setup(t *testing.T, now time.Time) (*Service, *pgxpool.Pool, auth.Principal) {
	t.Helper()
	pool := dbtest.New(t)
	store := neighbourhood.NewStore(pool)
	if err := store.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	bundle, err := i18n.Load(web.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(pool, Deps{Places: places{store}, I18n: bundle, PublicURL: "https://lawka.example.org"})
	svc.Now = func() time.Time { return now }
	staff := people(t, pool, "moderator", 1)[0]
	staff.Roles = []string{auth.Moderator}
	return svc, pool, staff
}

// people makes n confirmed accounts (prefix1@example.org, …) as signed-in principals.
func people(t *testing.T, pool *pgxpool.Pool, prefix string, n int) []auth.Principal {
	t.Helper()
	rows, err := pool.Query(context.Background(), `INSERT INTO users (email, password_hash, display_name, email_confirmed_at, locale)
		SELECT $1 || i || '@example.org', 'x', initcap($1) || ' ' || i, now(), CASE WHEN i % 3 = 0 THEN 'en' END
		FROM generate_series(1, $2) i RETURNING id`, prefix, n)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]auth.Principal, len(ids))
	for i, id := range ids {
		out[i] = auth.Principal{UserID: id, Confirmed: true, DisplayName: fmt.Sprintf("%s %d", prefix, i+1)}
	}
	return out
}

var warsaw = i18n.Warsaw

// gala is a published event with registration, starting at starts (Warsaw wall clock).
func gala(starts time.Time, capacity *int) Input {
	return Input{Kind: "gala", Title: "Gala Sojuszników Sąsiedztw", Description: "Spotkanie **sojuszników**.",
		StartsAt: starts.Format(time.RFC3339), EndsAt: starts.Add(3 * time.Hour).Format(time.RFC3339),
		Address: "ul. Dietla 1, Kraków", Capacity: capacity, Registration: true, Status: Published}
}

func ptr[T any](v T) *T { return &v }

type outboxMail struct{ To, Subject, Body string }

func outbox(t *testing.T, pool *pgxpool.Pool) []outboxMail {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT to_address, subject, body_text FROM mail_outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[outboxMail])
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func statuses(t *testing.T, pool *pgxpool.Pool, eventID int64) map[int64]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT user_id, status FROM event_registrations WHERE event_id = $1`, eventID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var st string
		if err := rows.Scan(&id, &st); err != nil {
			t.Fatal(err)
		}
		out[id] = st
	}
	return out
}

// TestCapacityIsExactUnderConcurrentRegistrations: 60 people press "register" at once
// for 7 places: exactly 7 get a place, the other 53 wait, each told a different place
// in the queue, and the queue is the order in which they were told it.
func TestCapacityIsExactUnderConcurrentRegistrations(t *testing.T) {
	now := time.Date(2026, 10, 1, 12, 0, 0, 0, warsaw)
	svc, pool, staff := setup(t, now)
	ctx := context.Background()
	ev, err := svc.Create(ctx, staff, gala(time.Date(2026, 10, 24, 11, 0, 0, 0, warsaw), ptr(7)))
	if err != nil {
		t.Fatal(err)
	}
	ps := people(t, pool, "osoba", 60)
	got := make([]Registration, len(ps))
	var wg sync.WaitGroup
	errs := make(chan error, len(ps))
	for i, p := range ps {
		wg.Go(func() {
			r, err := svc.Register(ctx, p, ev.ID)
			if err != nil {
				errs <- err
				return
			}
			got[i] = r
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var registered int
	var positions []int
	for _, r := range got {
		switch r.Status {
		case Registered:
			registered++
			if r.Position != 0 {
				t.Errorf("a registered person was told position %d", r.Position)
			}
		case Waiting:
			positions = append(positions, r.Position)
		default:
			t.Errorf("status %q", r.Status)
		}
	}
	slices.Sort(positions)
	want := make([]int, 53)
	for i := range want {
		want[i] = i + 1
	}
	if registered != 7 || !slices.Equal(positions, want) {
		t.Fatalf("%d registered, waiting positions %v; want 7 and 1…53 once each", registered, positions)
	}
	// The stored queue is the order the answers gave.
	rows, err := pool.Query(ctx, `SELECT user_id FROM event_registrations WHERE event_id = $1 AND status = 'waiting' ORDER BY queue_no`, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	queue, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		if got[i].Status == Waiting && queue[got[i].Position-1] != p.UserID {
			t.Errorf("user %d was told position %d, but the queue has user %d there", p.UserID, got[i].Position, queue[got[i].Position-1])
		}
	}
	e, err := svc.Get(ctx, ps[0], ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e.Registered != 7 || e.Waiting != 53 || e.PlacesLeft() != 0 || e.Mine == nil || e.Mine.Status != got[0].Status {
		t.Errorf("the event reads %d registered, %d waiting, %d left, mine %+v", e.Registered, e.Waiting, e.PlacesLeft(), e.Mine)
	}
	// Registering again is a no-op that answers the same.
	again, err := svc.Register(ctx, ps[0], ev.ID)
	if err != nil || again != got[0] {
		t.Errorf("registering again: %+v %v, want %+v", again, err, got[0])
	}
}

// TestCancellingPromotesTheFirstWaiting: a person with a place cancels; in the same
// step the first on the waiting list gets it and a mail in their language; cancelling
// from the waiting list frees no place; cancelling twice changes nothing.
func TestCancellingPromotesTheFirstWaiting(t *testing.T) {
	now := time.Date(2026, 10, 1, 12, 0, 0, 0, warsaw)
	svc, pool, staff := setup(t, now)
	ctx := context.Background()
	ev, err := svc.Create(ctx, staff, gala(time.Date(2026, 10, 24, 11, 0, 0, 0, warsaw), ptr(2)))
	if err != nil {
		t.Fatal(err)
	}
	ps := people(t, pool, "osoba", 5) // osoba3 reads English
	for _, p := range ps {
		if _, err := svc.Register(ctx, p, ev.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(outbox(t, pool)); n != 0 {
		t.Fatalf("%d mails before anyone cancelled", n)
	}
	// osoba4 leaves the waiting list: nobody moves up, osoba5 is now second.
	if r, err := svc.Cancel(ctx, ps[3], ev.ID); err != nil || r.Status != Withdrawn {
		t.Fatalf("cancel from the waiting list: %+v %v", r, err)
	}
	if n := len(outbox(t, pool)); n != 0 {
		t.Fatalf("%d mails after a waiting person cancelled", n)
	}
	// osoba1 gives up a place: osoba3 (first waiting) gets it.
	if _, err := svc.Cancel(ctx, ps[0], ev.ID); err != nil {
		t.Fatal(err)
	}
	st := statuses(t, pool, ev.ID)
	want := map[int64]string{ps[0].UserID: Withdrawn, ps[1].UserID: Registered, ps[2].UserID: Registered, ps[3].UserID: Withdrawn, ps[4].UserID: Waiting}
	for id, s := range want {
		if st[id] != s {
			t.Errorf("user %d is %s, want %s", id, st[id], s)
		}
	}
	mails := outbox(t, pool)
	if len(mails) != 1 || mails[0].To != "osoba3@example.org" || mails[0].Subject != "You have a place: Gala Sojuszników Sąsiedztw" ||
		!strings.Contains(mails[0].Body, "https://lawka.example.org/wydarzenia/") || !strings.Contains(mails[0].Body, "ul. Dietla 1") {
		t.Fatalf("mails after the cancellation: %+v", mails)
	}
	e, err := svc.Get(ctx, ps[4], ev.ID)
	if err != nil || e.Mine == nil || e.Mine.Status != Waiting || e.Mine.Position != 1 {
		t.Fatalf("osoba5 reads %+v (%v), want waiting first", e.Mine, err)
	}
	// Cancelling again, or without ever registering, changes nothing.
	if _, err := svc.Cancel(ctx, ps[0], ev.ID); err != nil {
		t.Fatal(err)
	}
	other := people(t, pool, "gosc", 1)[0]
	if _, err := svc.Cancel(ctx, other, ev.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(outbox(t, pool)); n != 1 {
		t.Errorf("%d mails after repeated cancellations, want still 1", n)
	}
	// osoba1 registers again: to the back of the queue.
	if r, err := svc.Register(ctx, ps[0], ev.ID); err != nil || r.Status != Waiting || r.Position != 2 {
		t.Errorf("registering again after cancelling: %+v %v, want waiting second", r, err)
	}
	// More places: the two waiting move up at once, each with a mail.
	in := gala(time.Date(2026, 10, 24, 11, 0, 0, 0, warsaw), ptr(5))
	if _, err := svc.Edit(ctx, staff, ev.ID, in); err != nil {
		t.Fatal(err)
	}
	if e, _ := svc.Get(ctx, staff, ev.ID); e.Registered != 4 || e.Waiting != 0 {
		t.Errorf("after raising the capacity to 5: %d registered, %d waiting; want 4 and 0", e.Registered, e.Waiting)
	}
	if mails := outbox(t, pool); len(mails) != 3 || mails[1].To != "osoba5@example.org" || mails[2].To != "osoba1@example.org" {
		t.Errorf("mails after raising the capacity: %+v", mails)
	}
	// After the start nobody cancels.
	svc.Now = func() time.Time { return time.Date(2026, 10, 24, 11, 30, 0, 0, warsaw) }
	if _, err := svc.Cancel(ctx, ps[1], ev.ID); !isCode(err, "event_started") {
		t.Errorf("cancelling after the start: %v, want 409 event_started", err)
	}
}

func isCode(err error, code string) bool {
	p, ok := problem.As(err)
	return ok && p.Code == code
}

// TestRegistrationRules: drafts are not found, closed registration is a conflict,
// blocked accounts are refused, and an event without a limit takes everyone.
func TestRegistrationRules(t *testing.T) {
	now := time.Date(2026, 10, 1, 12, 0, 0, 0, warsaw)
	svc, pool, staff := setup(t, now)
	ctx := context.Background()
	ps := people(t, pool, "osoba", 3)
	in := gala(time.Date(2026, 10, 24, 11, 0, 0, 0, warsaw), nil)
	in.Status = Draft
	draft, err := svc.Create(ctx, staff, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Register(ctx, ps[0], draft.ID); !isCode(err, "not_found") {
		t.Errorf("registering for a draft: %v", err)
	}
	if _, err := svc.Get(ctx, ps[0], draft.ID); !isCode(err, "not_found") {
		t.Errorf("reading a draft as a resident: %v", err)
	}
	in.Status = Published
	in.RegistrationClosesAt = "2026-09-30T20:00"
	closed, err := svc.Create(ctx, staff, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Register(ctx, ps[0], closed.ID); !isCode(err, "registration_closed") {
		t.Errorf("registering after registration closed: %v", err)
	}
	in.RegistrationClosesAt = ""
	open, err := svc.Create(ctx, staff, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if r, err := svc.Register(ctx, p, open.ID); err != nil || r.Status != Registered {
			t.Errorf("no limit: %+v %v", r, err)
		}
	}
	blocked := ps[0]
	blocked.Blocked = true
	if _, err := svc.Register(ctx, blocked, open.ID); !isCode(err, "account_blocked") {
		t.Errorf("a blocked account registering: %v", err)
	}
	if _, err := svc.Register(ctx, auth.Principal{}, open.ID); !isCode(err, "unauthorized") {
		t.Errorf("a visitor registering: %v", err)
	}
	if _, err := svc.Create(ctx, ps[0], in); !isCode(err, "forbidden") {
		t.Errorf("a resident creating an event: %v", err)
	}
	// A published event with registrations does not go back to a draft.
	in.Status = Draft
	if _, err := svc.Edit(ctx, staff, open.ID, in); !isCode(err, "event_has_registrations") {
		t.Errorf("back to a draft with registrations: %v", err)
	}
}

// TestBadInputNamesTheFieldAndSavesNothing: each wrong value answers 422 naming its
// field, and no event is stored.
func TestBadInputNamesTheFieldAndSavesNothing(t *testing.T) {
	now := time.Date(2026, 10, 1, 12, 0, 0, 0, warsaw)
	svc, pool, staff := setup(t, now)
	ctx := context.Background()
	good := gala(time.Date(2026, 10, 24, 11, 0, 0, 0, warsaw), ptr(10))
	cases := []struct {
		name, field string
		change      func(*Input)
	}{
		{"end before start", "ends_at", func(in *Input) { in.EndsAt = "2026-10-24T10:00" }},
		{"end equal to start", "ends_at", func(in *Input) { in.EndsAt = in.StartsAt }},
		{"no start", "starts_at", func(in *Input) { in.StartsAt = "" }},
		{"start not a time", "starts_at", func(in *Input) { in.StartsAt = "24 października" }},
		{"javascript URL", "online_url", func(in *Input) { in.OnlineURL = "javascript:alert(1)" }},
		{"ftp URL", "online_url", func(in *Input) { in.OnlineURL = "ftp://example.org/spotkanie" }},
		{"URL without host", "online_url", func(in *Input) { in.OnlineURL = "https://" }},
		{"negative capacity", "capacity", func(in *Input) { in.Capacity = ptr(-1) }},
		{"zero capacity", "capacity", func(in *Input) { in.Capacity = ptr(0) }},
		{"unknown district", "neighbourhood_id", func(in *Input) { in.NeighbourhoodID = ptr(int64(999999)) }},
		{"no place at all", "address", func(in *Input) { in.Address = "" }},
		{"unknown kind", "kind", func(in *Input) { in.Kind = "picnic" }},
		{"a debate (made by the debate form)", "kind", func(in *Input) { in.Kind = Debate }},
		{"short title", "title", func(in *Input) { in.Title = "Ab" }},
		{"NUL in the title", "title", func(in *Input) { in.Title = "Gala\x00" }},
		{"unknown status", "status", func(in *Input) { in.Status = "cancelled" }},
		{"registration closing after the start", "registration_closes_at", func(in *Input) { in.RegistrationClosesAt = "2026-10-25T10:00" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := good
			c.change(&in)
			_, err := svc.Create(ctx, staff, in)
			p, ok := problem.As(err)
			if !ok || p.Status != 422 || p.Fields[c.field] == "" {
				t.Fatalf("%v (%+v), want 422 naming %s", err, p, c.field)
			}
		})
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d events stored after bad input (%v)", n, err)
	}
	// The good one, with an online link and a district, is saved.
	good.OnlineURL = "https://meet.example.org/gala"
	var district int64
	if err := pool.QueryRow(ctx, `SELECT id FROM neighbourhoods WHERE slug = 'podgorze'`).Scan(&district); err != nil {
		t.Fatal(err)
	}
	good.NeighbourhoodID = &district
	e, err := svc.Create(ctx, staff, good)
	if err != nil || e.OnlineURL != "https://meet.example.org/gala" || *e.NeighbourhoodID != district ||
		!strings.Contains(string(e.DescriptionHTML), "<strong>sojuszników</strong>") {
		t.Errorf("the good input: %+v %v", e, err)
	}
	// …and stays what it is: it cannot become a debate afterwards.
	good.Kind = Debate
	if _, err := svc.Edit(ctx, staff, e.ID, good); err == nil {
		t.Error("an event edited into a debate")
	} else if p, _ := problem.As(err); p.Fields["kind"] == "" {
		t.Errorf("editing into a debate: %v, want a kind error", err)
	}
}

// TestRemindersAreSentOnce: the day before, everyone with a place gets one reminder;
// running again, or twice at once, sends nothing more; people waiting or cancelled and
// events further ahead get none.
func TestRemindersAreSentOnce(t *testing.T) {
	created := time.Date(2026, 10, 1, 12, 0, 0, 0, warsaw)
	svc, pool, staff := setup(t, created)
	ctx := context.Background()
	tomorrow, err := svc.Create(ctx, staff, gala(time.Date(2026, 10, 24, 11, 0, 0, 0, warsaw), ptr(2)))
	if err != nil {
		t.Fatal(err)
	}
	later, err := svc.Create(ctx, staff, gala(time.Date(2026, 10, 26, 18, 0, 0, 0, warsaw), nil))
	if err != nil {
		t.Fatal(err)
	}
	ps := people(t, pool, "osoba", 4)
	for _, p := range ps {
		for _, id := range []int64{tomorrow.ID, later.ID} {
			if _, err := svc.Register(ctx, p, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := svc.Cancel(ctx, ps[3], tomorrow.ID); err != nil { // waiting, leaves
		t.Fatal(err)
	}
	// Registrations were made on 1 October; the round runs on 23 October.
	if _, err := pool.Exec(ctx, `UPDATE event_registrations SET updated_at = $1`, created); err != nil {
		t.Fatal(err)
	}
	before := len(outbox(t, pool))
	round := time.Date(2026, 10, 23, 9, 5, 0, 0, warsaw)
	var wg sync.WaitGroup
	counts := make([]int, 3)
	for i := range counts {
		wg.Go(func() {
			n, err := svc.SendReminders(ctx, round)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	if total := counts[0] + counts[1] + counts[2]; total != 2 {
		t.Fatalf("three rounds at once queued %v reminders, want 2 in all", counts)
	}
	mails := outbox(t, pool)[before:]
	var to []string
	for _, m := range mails {
		to = append(to, m.To)
		if !strings.Contains(m.Subject, "Gala Sojuszników Sąsiedztw") || !strings.Contains(m.Body, "24 października 2026, 11:00") {
			t.Errorf("reminder %+v", m)
		}
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"osoba1@example.org", "osoba2@example.org"}) {
		t.Errorf("reminders went to %v", to)
	}
	if n, err := svc.SendReminders(ctx, round.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("a later round: %d %v, want nothing", n, err)
	}
	// Two days later, the next event's turn (everyone has a place there).
	if n, err := svc.SendReminders(ctx, time.Date(2026, 10, 25, 10, 0, 0, 0, warsaw)); err != nil || n != 4 {
		t.Errorf("the round for 26 October: %d %v, want 4", n, err)
	}
}

// TestMinutesAfterTheEvent: minutes wait for the start; afterwards they are saved as
// sanitised Markdown.
func TestMinutesAfterTheEvent(t *testing.T) {
	now := time.Date(2026, 10, 1, 12, 0, 0, 0, warsaw)
	svc, _, staff := setup(t, now)
	ctx := context.Background()
	ev, err := svc.Create(ctx, staff, gala(time.Date(2026, 10, 24, 11, 0, 0, 0, warsaw), nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SaveMinutes(ctx, staff, ev.ID, MinutesInput{Minutes: "Notatka"}); !isCode(err, "event_not_started") {
		t.Errorf("minutes before the event: %v", err)
	}
	svc.Now = func() time.Time { return time.Date(2026, 10, 24, 15, 0, 0, 0, warsaw) }
	e, err := svc.SaveMinutes(ctx, staff, ev.ID, MinutesInput{Minutes: "Było **40 osób**.<script>alert(1)</script>"})
	if err != nil || !strings.Contains(string(e.MinutesHTML), "<strong>40 osób</strong>") || strings.Contains(string(e.MinutesHTML), "<script") {
		t.Errorf("minutes: %q %v", e.MinutesHTML, err)
	}
	if _, err := svc.SaveMinutes(ctx, auth.Principal{UserID: 1}, ev.ID, MinutesInput{}); !isCode(err, "forbidden") {
		t.Errorf("a resident writing minutes: %v", err)
	}
	_, err = svc.CancelEvent(ctx, staff, ev.ID, "")
	if p, ok := problem.As(err); !ok || p.Fields["reason"] == "" {
		t.Errorf("cancelling without a reason: %v", err)
	}
	if e, err := svc.CancelEvent(ctx, staff, ev.ID, "Sala niedostępna"); err != nil || e.Status != Cancelled {
		t.Errorf("cancelling: %+v %v", e, err)
	}
	if _, err := svc.CancelEvent(ctx, staff, ev.ID, "Jeszcze raz"); !errors.Is(err, err) || !isCode(err, "event_cancelled") {
		t.Errorf("cancelling twice: %v", err)
	}
}

// TestErasureGivesThePlaceToTheNextInLine: erasing an account with a place moves the
// first person waiting up (with a mail) and removes the erased person's registrations.
func TestErasureGivesThePlaceToTheNextInLine(t *testing.T) {
	now := time.Date(2026, 10, 1, 12, 0, 0, 0, warsaw)
	svc, pool, staff := setup(t, now)
	ctx := context.Background()
	ev, err := svc.Create(ctx, staff, gala(time.Date(2026, 10, 24, 11, 0, 0, 0, warsaw), ptr(1)))
	if err != nil {
		t.Fatal(err)
	}
	ps := people(t, pool, "osoba", 2)
	for _, p := range ps {
		if _, err := svc.Register(ctx, p, ev.ID); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := (PersonalData{Svc: svc}).Erase(ctx, tx, ps[0].UserID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	st := statuses(t, pool, ev.ID)
	if _, left := st[ps[0].UserID]; left || st[ps[1].UserID] != Registered {
		t.Errorf("after erasing the first person: %v", st)
	}
	if mails := outbox(t, pool); len(mails) != 1 || mails[0].To != "osoba2@example.org" {
		t.Errorf("mails: %+v", mails)
	}
	exported, err := (PersonalData{}).Export(ctx, pool, ps[1].UserID)
	if list, ok := exported.([]exportedRegistration); err != nil || !ok || len(list) != 1 || list[0].Status != Registered {
		t.Errorf("export: %+v %v", exported, err)
	}
}
