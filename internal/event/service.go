package event

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/cursor"
	"lawka/internal/platform/db"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/mail"
	"lawka/internal/platform/markdown"
	"lawka/internal/platform/plaintext"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/upload"
)

// Places is the neighbourhood feature as events need it.
type Places interface {
	Exists(ctx context.Context, id int64) (bool, error)
	DistrictChoices(ctx context.Context) ([]Choice, error)
}

// Deps are what the service needs besides the database; all may be zero (seeds, tests
// of the rules), except that mail needs I18n.
type Deps struct {
	Places    Places
	I18n      *i18n.Bundle
	PublicURL string
	Log       *slog.Logger
}

// Service holds the event rules; every method checks who may do what.
type Service struct {
	pool *pgxpool.Pool
	Deps
	// Now is the clock (tests move it).
	Now func() time.Time
}

// NewService builds the service.
func NewService(pool *pgxpool.Pool, d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	d.PublicURL = strings.TrimSuffix(d.PublicURL, "/")
	return &Service{pool: pool, Deps: d, Now: time.Now}
}

// Input is what creating or editing an event takes. Times are RFC 3339, or
// "2006-01-02T15:04" in Europe/Warsaw (what a form's date and time fields give).
type Input struct {
	Kind                 string `json:"kind"`
	Title                string `json:"title"`
	Description          string `json:"description"`
	StartsAt             string `json:"starts_at"`
	EndsAt               string `json:"ends_at"`
	Address              string `json:"address"`
	NeighbourhoodID      *int64 `json:"neighbourhood_id"`
	Accessibility        string `json:"accessibility"`
	OnlineURL            string `json:"online_url"`
	Organisers           string `json:"organisers"`
	Capacity             *int   `json:"capacity"`
	Registration         bool   `json:"registration"`
	RegistrationClosesAt string `json:"registration_closes_at"`
	Status               string `json:"status"` // draft (default) or published
}

// checked is an Input that passed the rules.
type checked struct {
	Input
	starts, ends time.Time
	closes       *time.Time
}

// validURL accepts an absolute http or https address with a host.
func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil &&
		!strings.ContainsAny(s, " \t\r\n<>\"") && len(s) <= 500
}

func (s *Service) check(ctx context.Context, in Input) (checked, error) {
	bad := problem.Fields{}
	c := checked{Input: in}
	c.Title = strings.TrimSpace(in.Title)
	c.Description = strings.TrimSpace(in.Description)
	c.Address = strings.TrimSpace(in.Address)
	c.Accessibility = strings.TrimSpace(in.Accessibility)
	c.OnlineURL = strings.TrimSpace(in.OnlineURL)
	c.Organisers = strings.Join(strings.Fields(in.Organisers), " ")
	for field, v := range map[string]string{"title": c.Title, "description": c.Description, "address": c.Address,
		"accessibility": c.Accessibility, "online_url": c.OnlineURL, "organisers": c.Organisers} {
		if !plaintext.Valid(v) {
			bad.Add(field, "events.text_invalid")
		}
	}
	if !slices.Contains(Kinds, c.Kind) {
		bad.Add("kind", "events.kind_unknown")
	}
	if n := utf8.RuneCountInString(c.Title); n < 3 || n > 200 {
		bad.Add("title", "events.title_length")
	}
	if utf8.RuneCountInString(c.Description) > 20000 {
		bad.Add("description", "events.description_too_long")
	}
	var okStart, okEnd bool
	if c.starts, okStart = i18n.ParseTime(in.StartsAt); !okStart {
		bad.Add("starts_at", "events.time_invalid")
	}
	if c.ends, okEnd = i18n.ParseTime(in.EndsAt); !okEnd {
		bad.Add("ends_at", "events.time_invalid")
	}
	if okStart && okEnd && !c.ends.After(c.starts) {
		bad.Add("ends_at", "events.ends_before_starts")
	}
	if utf8.RuneCountInString(c.Address) > 300 {
		bad.Add("address", "events.address_too_long")
	}
	if c.OnlineURL != "" && !validURL(c.OnlineURL) {
		bad.Add("online_url", "events.url_invalid")
	}
	if c.Address == "" && c.OnlineURL == "" {
		bad.Add("address", "events.place_required")
	}
	if utf8.RuneCountInString(c.Accessibility) > 2000 {
		bad.Add("accessibility", "events.accessibility_too_long")
	}
	if utf8.RuneCountInString(c.Organisers) > 300 {
		bad.Add("organisers", "events.organisers_too_long")
	}
	if c.Capacity != nil && (*c.Capacity < 1 || *c.Capacity > 100000) {
		bad.Add("capacity", "events.capacity_invalid")
	}
	if raw := strings.TrimSpace(in.RegistrationClosesAt); raw != "" {
		t, ok := i18n.ParseTime(raw)
		switch {
		case !ok:
			bad.Add("registration_closes_at", "events.time_invalid")
		case okStart && t.After(c.starts):
			bad.Add("registration_closes_at", "events.closes_after_start")
		default:
			c.closes = &t
		}
	}
	if c.Status == "" {
		c.Status = Draft
	}
	if c.Status != Draft && c.Status != Published {
		bad.Add("status", "events.status_unknown")
	}
	if c.NeighbourhoodID != nil {
		if *c.NeighbourhoodID <= 0 {
			bad.Add("neighbourhood_id", "events.district_unknown")
		} else if s.Places != nil {
			ok, err := s.Places.Exists(ctx, *c.NeighbourhoodID)
			if err != nil {
				return c, err
			}
			if !ok {
				bad.Add("neighbourhood_id", "events.district_unknown")
			}
		}
	}
	return c, bad.Err()
}

// Debate is the kind of event the debates feature makes: with a join code, speakers,
// agenda and console, so never through the plain events form or API.
const Debate = "debate"

// errDebateKind refuses making a debate, or changing a debate's kind, here.
func errDebateKind() error {
	return problem.Invalid(map[string]string{"kind": "events.kind_debate_elsewhere"})
}

// Create adds an event (moderators and admins); debates are made by the debates feature.
func (s *Service) Create(ctx context.Context, p auth.Principal, in Input) (Event, error) {
	if in.Kind == Debate && auth.RequireStaff(p) == nil {
		return Event{}, errDebateKind()
	}
	var id int64
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		id, err = s.CreateIn(ctx, tx, p, in)
		return err
	})
	if err != nil {
		return Event{}, err
	}
	return s.Get(ctx, p, id)
}

// CreateIn adds an event inside the caller's transaction (moderators and admins), for
// features that save more with it (a debate's speakers and agenda).
func (s *Service) CreateIn(ctx context.Context, tx pgx.Tx, p auth.Principal, in Input) (int64, error) {
	if err := auth.RequireStaff(p); err != nil {
		return 0, err
	}
	c, err := s.check(ctx, in)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO events (kind, title, description, description_html, starts_at, ends_at, address,
			neighbourhood_id, accessibility, online_url, organisers, capacity, registration, registration_closes_at, status, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), $8, $9, nullif($10, ''), $11, $12, $13, $14, $15, $16) RETURNING id`,
		c.Kind, c.Title, c.Description, string(markdown.HTML(c.Description)), c.starts, c.ends, c.Address, c.NeighbourhoodID,
		c.Accessibility, c.OnlineURL, c.Organisers, c.Capacity, c.Registration, c.closes, c.Status, p.UserID).Scan(&id)
	if err != nil {
		return 0, err
	}
	return id, audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "event.create", TargetType: "event", TargetID: id})
}

// Edit saves a new version of an event (moderators and admins). More places move people
// up from the waiting list at once (and tell them by mail); fewer places take nobody's
// away. A published event goes back to a draft only while nobody is registered.
func (s *Service) Edit(ctx context.Context, p auth.Principal, id int64, in Input) (Event, error) {
	if err := auth.RequireStaff(p); err != nil {
		return Event{}, err
	}
	c, err := s.check(ctx, in)
	if err != nil {
		return Event{}, err
	}
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := lockEvent(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.Status == Cancelled {
			return problem.Conflict("event_cancelled", "events.is_cancelled")
		}
		if (cur.Kind == Debate) != (c.Kind == Debate) {
			return errDebateKind()
		}
		if cur.Status == Published && c.Status == Draft {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM event_registrations WHERE event_id = $1 AND status <> 'cancelled'`,
				id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return &problem.Error{Status: 409, Code: "event_has_registrations", Key: "events.has_registrations",
					Fields: map[string]string{"status": "events.has_registrations"}}
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE events SET kind = $2, title = $3, description = $4, description_html = $5,
			starts_at = $6, ends_at = $7, address = nullif($8, ''), neighbourhood_id = $9, accessibility = $10,
			online_url = nullif($11, ''), organisers = $12, capacity = $13, registration = $14, registration_closes_at = $15,
			status = $16, sequence = sequence + 1, updated_at = now() WHERE id = $1`,
			id, c.Kind, c.Title, c.Description, string(markdown.HTML(c.Description)), c.starts, c.ends, c.Address,
			c.NeighbourhoodID, c.Accessibility, c.OnlineURL, c.Organisers, c.Capacity, c.Registration, c.closes, c.Status); err != nil {
			return err
		}
		after := cur
		after.Status, after.Capacity, after.Title, after.StartsAt, after.EndsAt = c.Status, c.Capacity, c.Title, c.starts, c.ends
		after.Address, after.OnlineURL = c.Address, c.OnlineURL
		if err := s.promote(ctx, tx, after); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "event.edit", TargetType: "event", TargetID: id})
	})
	if err != nil {
		return Event{}, err
	}
	return s.Get(ctx, p, id)
}

// CancelEvent calls an event off (moderators and admins), with a reason shown on its
// page; everyone registered or waiting is told by mail.
func (s *Service) CancelEvent(ctx context.Context, p auth.Principal, id int64, reason string) (Event, error) {
	if err := auth.RequireStaff(p); err != nil {
		return Event{}, err
	}
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 3 || n > 500 || !plaintext.Valid(reason) {
		return Event{}, problem.Invalid(map[string]string{"reason": "events.reason_length"})
	}
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := lockEvent(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.Status == Cancelled {
			return problem.Conflict("event_cancelled", "events.is_cancelled")
		}
		if _, err := tx.Exec(ctx, `UPDATE events SET status = 'cancelled', cancel_reason = $2, sequence = sequence + 1,
			updated_at = now() WHERE id = $1`, id, reason); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT user_id FROM event_registrations WHERE event_id = $1 AND status <> 'cancelled'`, id)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		if cur.Status == Published {
			if err := s.mail(ctx, tx, ids, "mail.event_cancelled", cur.event(), "Reason", reason); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "event.cancel", TargetType: "event", TargetID: id,
			Reason: reason})
	})
	if err != nil {
		return Event{}, err
	}
	return s.Get(ctx, p, id)
}

// MinutesInput is the minutes of an event and the files that go with them.
type MinutesInput struct {
	Minutes string        `json:"minutes"`
	Files   []upload.File `json:"-"`
	Remove  []int64       `json:"-"`
}

// SaveMinutes writes an event's minutes and attaches files (moderators and admins),
// once the event has begun.
func (s *Service) SaveMinutes(ctx context.Context, p auth.Principal, id int64, in MinutesInput) (Event, error) {
	if err := auth.RequireStaff(p); err != nil {
		return Event{}, err
	}
	in.Minutes = strings.TrimSpace(in.Minutes)
	if !plaintext.Valid(in.Minutes) {
		return Event{}, problem.Invalid(map[string]string{"minutes": "events.text_invalid"})
	}
	if utf8.RuneCountInString(in.Minutes) > 50000 {
		return Event{}, problem.Invalid(map[string]string{"minutes": "events.minutes_too_long"})
	}
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := lockEvent(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.StartsAt.After(s.Now()) {
			return problem.Conflict("event_not_started", "events.minutes_before_event")
		}
		if _, err := tx.Exec(ctx, `UPDATE events SET minutes = $2, minutes_html = $3, updated_at = now(), sequence = sequence + 1
			WHERE id = $1`, id, in.Minutes, string(markdown.HTML(in.Minutes))); err != nil {
			return err
		}
		if err := attachments.Change(ctx, tx, id, p.UserID, in.Files, in.Remove); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "event.minutes", TargetType: "event", TargetID: id})
	})
	if err != nil {
		return Event{}, err
	}
	return s.Get(ctx, p, id)
}

// visible says whether p may see e: drafts are the staff's.
func visible(p auth.Principal, e Event) bool { return e.Status != Draft || p.Staff() }

// Get reads one event as p may see it, with its attachments.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Event, error) {
	e, err := readEvent(ctx, s.pool, p.UserID, id)
	if err != nil {
		return Event{}, err
	}
	if !visible(p, e) {
		return Event{}, problem.NotFound()
	}
	e.Open = e.openAt(s.Now())
	if e.Attachments, err = attachments.List(ctx, s.pool, id); err != nil {
		return Event{}, err
	}
	return e, nil
}

// CanView answers other features: may p see event id?
func (s *Service) CanView(ctx context.Context, p auth.Principal, id int64) error {
	_, err := s.Get(ctx, p, id)
	return err
}

// Attachment returns an event's file to whoever may see the event.
func (s *Service) Attachment(ctx context.Context, p auth.Principal, id, fileID int64) (upload.File, error) {
	if err := s.CanView(ctx, p, id); err != nil {
		return upload.File{}, err
	}
	return attachments.Load(ctx, s.pool, id, fileID)
}

// Filter narrows the calendar.
type Filter struct {
	Kind            string
	NeighbourhoodID int64
	Month           string // "2026-10": events that start in that month (Warsaw)
	When            string // upcoming (default: not yet ended, soonest first) or past (latest first)
	Cursor          string
	Limit           int
}

// PageSize is how many events a list page shows.
const PageSize = 20

// Whens are the halves of the calendar.
var Whens = []string{"upcoming", "past"}

// MonthRange is the start of month ("2026-10", Warsaw) and of the next.
func MonthRange(month string) (time.Time, time.Time, bool) {
	t, err := time.ParseInLocation("2006-01", month, i18n.Warsaw)
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		return time.Time{}, time.Time{}, false
	}
	return t, t.AddDate(0, 1, 0), true
}

// List returns a page of the calendar (never drafts) and the cursor of the next.
func (s *Service) List(ctx context.Context, p auth.Principal, f Filter) ([]Event, string, error) {
	bad := problem.Fields{}
	if f.When == "" {
		f.When = "upcoming"
	}
	if !slices.Contains(Whens, f.When) {
		bad.Add("when", "events.filter_invalid")
	}
	if f.Kind != "" && !slices.Contains(Kinds, f.Kind) {
		bad.Add("kind", "events.kind_unknown")
	}
	var from, to time.Time
	if f.Month != "" {
		var ok bool
		if from, to, ok = MonthRange(f.Month); !ok {
			bad.Add("month", "events.month_invalid")
		}
	}
	after, err := cursor.Decode(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	if err := bad.Err(); err != nil {
		return nil, "", err
	}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = PageSize
	}
	where := []string{"e.status <> 'draft'"}
	args := []any{}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args)+1) // $1 is the viewer
	}
	if f.Kind != "" {
		where = append(where, "e.kind = "+arg(f.Kind))
	}
	if f.NeighbourhoodID > 0 {
		where = append(where, "e.neighbourhood_id = "+arg(f.NeighbourhoodID))
	}
	if f.Month != "" {
		where = append(where, "e.starts_at >= "+arg(from), "e.starts_at < "+arg(to))
	}
	now := s.Now()
	order, cmp := "e.starts_at, e.id", ">"
	if f.When == "past" {
		where = append(where, "e.ends_at <= "+arg(now))
		order, cmp = "e.starts_at DESC, e.id DESC", "<"
	} else {
		where = append(where, "e.ends_at > "+arg(now))
	}
	if after > 0 {
		where = append(where, "(e.starts_at, e.id) "+cmp+" (SELECT starts_at, id FROM events WHERE id = "+arg(after)+")")
	}
	list, err := queryEvents(ctx, s.pool, p.UserID, "WHERE "+strings.Join(where, " AND ")+" ORDER BY "+order+
		" LIMIT "+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, "", err
	}
	for i := range list {
		list[i].Open = list[i].openAt(now)
	}
	list, next := cursor.Page(list, f.Limit, func(e Event) int64 { return e.ID })
	if next == 0 {
		return list, "", nil
	}
	return list, cursor.Encode(next), nil
}

// Upcoming lists a district's next events (for its page).
func (s *Service) Upcoming(ctx context.Context, p auth.Principal, districtID int64, n int) ([]Event, error) {
	list, _, err := s.List(ctx, p, Filter{NeighbourhoodID: districtID, Limit: n})
	return list, err
}

// All lists every event, drafts too, latest first (the staff's list).
func (s *Service) All(ctx context.Context, p auth.Principal) ([]Event, error) {
	if err := auth.RequireStaff(p); err != nil {
		return nil, err
	}
	return queryEvents(ctx, s.pool, p.UserID, `ORDER BY e.starts_at DESC, e.id DESC LIMIT 300`)
}

// Feed lists what the iCalendar feed carries: published and cancelled events, the
// latest 500 by their start, filtered by kind and district.
func (s *Service) Feed(ctx context.Context, kind string, districtID int64) ([]Event, error) {
	if kind != "" && !slices.Contains(Kinds, kind) {
		return nil, problem.Invalid(map[string]string{"kind": "events.kind_unknown"})
	}
	return queryEvents(ctx, s.pool, 0, `WHERE e.status <> 'draft' AND ($2 = '' OR e.kind = $2)
		AND ($3 = 0 OR e.neighbourhood_id = $3) ORDER BY e.starts_at DESC, e.id DESC LIMIT 500`, kind, districtID)
}

// Signable lists the events a paper signature of the Declaration may come from: not
// drafts, up to a month ahead, latest first.
func (s *Service) Signable(ctx context.Context) ([]Event, error) {
	return queryEvents(ctx, s.pool, 0, `WHERE e.status <> 'draft' AND e.starts_at < $2 ORDER BY e.starts_at DESC, e.id DESC LIMIT 200`,
		s.Now().AddDate(0, 1, 0))
}

// Exists says whether a published or cancelled event id exists.
func (s *Service) Exists(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE id = $1 AND status <> 'draft')`, id).Scan(&ok)
	return ok, err
}

// Registrations lists who registered for an event, places first then the waiting list
// in order, then those who cancelled (moderators and admins).
func (s *Service) Registrations(ctx context.Context, p auth.Principal, id int64) ([]Registrant, error) {
	if err := auth.RequireStaff(p); err != nil {
		return nil, err
	}
	if _, err := readEvent(ctx, s.pool, p.UserID, id); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT r.user_id, u.display_name, u.email, r.status,
		CASE WHEN r.status = 'waiting' THEN row_number() OVER (PARTITION BY r.status ORDER BY r.queue_no) ELSE 0 END::int,
		r.created_at, r.updated_at
		FROM event_registrations r JOIN users u ON u.id = r.user_id WHERE r.event_id = $1
		ORDER BY array_position(ARRAY['registered', 'waiting', 'cancelled'], r.status), r.queue_no`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Registrant])
}

// Register gives p a place, or a place on the waiting list when the places are taken.
// The event's row is locked while places are counted, so however many people register
// at once, exactly capacity of them get a place and the rest wait in the order they
// were decided. Registering again changes nothing.
func (s *Service) Register(ctx context.Context, p auth.Principal, id int64) (Registration, error) {
	if err := auth.RequireActive(p); err != nil {
		return Registration{}, err
	}
	var out Registration
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		ev, err := lockEvent(ctx, tx, id)
		if err != nil {
			return err
		}
		if ev.Status == Draft && !p.Staff() {
			return problem.NotFound()
		}
		var cur string
		err = tx.QueryRow(ctx, `SELECT status FROM event_registrations WHERE event_id = $1 AND user_id = $2`, id, p.UserID).Scan(&cur)
		if errors.Is(err, pgx.ErrNoRows) {
			err = nil
		}
		if err != nil {
			return err
		}
		if cur == Registered || cur == Waiting {
			out.Status = cur
			if cur == Waiting {
				out.Position, err = position(ctx, tx, id, p.UserID)
			}
			return err
		}
		if !ev.event().openAt(s.Now()) {
			return problem.Conflict("registration_closed", "events.registration_closed")
		}
		out.Status = Registered
		if ev.Capacity != nil {
			var taken, waiting int
			if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'registered'), count(*) FILTER (WHERE status = 'waiting')
				FROM event_registrations WHERE event_id = $1`, id).Scan(&taken, &waiting); err != nil {
				return err
			}
			if taken >= *ev.Capacity || waiting > 0 {
				out.Status = Waiting
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO event_registrations (event_id, user_id, status) VALUES ($1, $2, $3)
			ON CONFLICT (event_id, user_id) DO UPDATE SET status = EXCLUDED.status, queue_no = nextval('event_queue'),
				updated_at = now(), reminded_at = NULL`, id, p.UserID, out.Status); err != nil {
			return err
		}
		if out.Status == Waiting {
			out.Position, err = position(ctx, tx, id, p.UserID)
		}
		return err
	})
	return out, err
}

// Cancel takes back p's registration (a place or a place on the waiting list) until the
// event starts. A freed place goes, in the same transaction, to the first person
// waiting, who is told by mail. Cancelling again changes nothing.
func (s *Service) Cancel(ctx context.Context, p auth.Principal, id int64) (Registration, error) {
	if !p.SignedIn() {
		return Registration{}, problem.Unauthorized()
	}
	out := Registration{Status: Withdrawn}
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		ev, err := lockEvent(ctx, tx, id)
		if err != nil {
			return err
		}
		if ev.Status == Draft && !p.Staff() {
			return problem.NotFound()
		}
		var cur string
		err = tx.QueryRow(ctx, `SELECT status FROM event_registrations WHERE event_id = $1 AND user_id = $2`, id, p.UserID).Scan(&cur)
		if errors.Is(err, pgx.ErrNoRows) || cur == Withdrawn {
			return nil
		}
		if err != nil {
			return err
		}
		if !s.Now().Before(ev.StartsAt) {
			return problem.Conflict("event_started", "events.cancel_started")
		}
		return s.withdraw(ctx, tx, ev, p.UserID, cur)
	})
	return out, err
}

// withdraw cancels userID's registration (whose status was cur) under the event's lock
// and gives a freed place to the next in line.
func (s *Service) withdraw(ctx context.Context, tx pgx.Tx, ev locked, userID int64, cur string) error {
	if _, err := tx.Exec(ctx, `UPDATE event_registrations SET status = 'cancelled', updated_at = now()
		WHERE event_id = $1 AND user_id = $2`, ev.ID, userID); err != nil {
		return err
	}
	if cur != Registered || ev.Status != Published {
		return nil
	}
	return s.promote(ctx, tx, ev)
}

// promote gives free places to the people waiting, first come first served, and mails
// them; with no limit everyone waiting gets a place. It runs under the event's lock.
func (s *Service) promote(ctx context.Context, tx pgx.Tx, ev locked) error {
	if ev.Status != Published || !ev.StartsAt.After(s.Now()) {
		return nil
	}
	// LIMIT NULL is no limit: an event without a capacity takes everyone waiting.
	rows, err := tx.Query(ctx, `WITH next AS (
			SELECT id FROM event_registrations WHERE event_id = $1 AND status = 'waiting' ORDER BY queue_no
			LIMIT (SELECT greatest($2::int - count(*), 0) FROM event_registrations WHERE event_id = $1 AND status = 'registered')),
		up AS (UPDATE event_registrations r SET status = 'registered', updated_at = now() FROM next WHERE r.id = next.id
			RETURNING r.user_id, r.queue_no)
		SELECT user_id FROM up ORDER BY queue_no`, ev.ID, ev.Capacity)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) == 0 {
		return err
	}
	return s.mail(ctx, tx, ids, "mail.event_promoted", ev.event())
}

// Link is an event's page as an absolute address.
func (s *Service) Link(id int64) string { return fmt.Sprintf("%s/wydarzenia/%d", s.PublicURL, id) }

// Place is where an event happens, as one line of text.
func Place(l *i18n.Localizer, e Event) string {
	switch {
	case e.Address != "" && e.OnlineURL != "":
		return e.Address + " " + l.T("events.and_online", "Link", e.OnlineURL)
	case e.Address != "":
		return e.Address
	}
	return l.T("events.online_at", "Link", e.OnlineURL)
}

// mail queues key's message (key.subject, key.body) about e to each of users, in their
// language, inside tx.
func (s *Service) mail(ctx context.Context, tx pgx.Tx, users []int64, key string, e Event, args ...any) error {
	if s.I18n == nil || len(users) == 0 {
		return nil
	}
	people, err := peopleOf(ctx, tx, users)
	if err != nil {
		return err
	}
	for _, to := range people {
		l := s.I18n.For(to.Locale)
		a := append([]any{"Name", to.Name, "Title", e.Title, "When", l.DateTime(e.StartsAt), "Where", Place(l, e),
			"Link", s.Link(e.ID)}, args...)
		if err := mail.Enqueue(ctx, tx, mail.Message{To: to.Email, Subject: l.T(key+".subject", a...), Body: l.T(key+".body", a...)}); err != nil {
			return err
		}
	}
	return nil
}
