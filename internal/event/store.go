package event

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
	"lawka/internal/platform/markdown"
	"lawka/internal/platform/problem"
)

// eventSelect reads events with their counts and the viewer's own registration; $1 is
// the viewer (0 when signed out), later arguments follow in the rest of the statement.
const eventSelect = `SELECT e.id, e.kind, e.title, e.description, e.description_html, e.starts_at, e.ends_at,
	coalesce(e.address, ''), e.neighbourhood_id, e.accessibility, coalesce(e.online_url, ''), e.organisers, e.capacity,
	e.registration, e.registration_closes_at, e.status, coalesce(e.cancel_reason, ''), e.minutes, e.minutes_html,
	e.sequence, e.created_at, e.updated_at,
	(SELECT count(*) FROM event_registrations r WHERE r.event_id = e.id AND r.status = 'registered')::int,
	(SELECT count(*) FROM event_registrations r WHERE r.event_id = e.id AND r.status = 'waiting')::int,
	m.status,
	CASE WHEN m.status = 'waiting' THEN (SELECT count(*) FROM event_registrations w
		WHERE w.event_id = e.id AND w.status = 'waiting' AND w.queue_no <= m.queue_no)::int ELSE 0 END
	FROM events e LEFT JOIN event_registrations m ON m.event_id = e.id AND m.user_id = $1 `

func queryEvents(ctx context.Context, q db.Querier, viewer int64, rest string, args ...any) ([]Event, error) {
	rows, err := q.Query(ctx, eventSelect+rest, append([]any{viewer}, args...)...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		var desc, minutes string
		var mine *string
		var position int
		err := r.Scan(&e.ID, &e.Kind, &e.Title, &e.Description, &desc, &e.StartsAt, &e.EndsAt, &e.Address, &e.NeighbourhoodID,
			&e.Accessibility, &e.OnlineURL, &e.Organisers, &e.Capacity, &e.Registration, &e.RegistrationClosesAt, &e.Status,
			&e.CancelReason, &e.Minutes, &minutes, &e.Sequence, &e.CreatedAt, &e.UpdatedAt, &e.Registered, &e.Waiting,
			&mine, &position)
		e.DescriptionHTML, e.MinutesHTML = markdown.Stored(desc), markdown.Stored(minutes)
		if mine != nil && *mine != Withdrawn {
			e.Mine = &Registration{Status: *mine, Position: position}
		}
		return e, err
	})
}

func readEvent(ctx context.Context, q db.Querier, viewer, id int64) (Event, error) {
	list, err := queryEvents(ctx, q, viewer, `WHERE e.id = $2`, id)
	if err != nil {
		return Event{}, err
	}
	if len(list) == 0 {
		return Event{}, problem.NotFound()
	}
	return list[0], nil
}

// locked is what the registration rules read of an event under its row lock.
type locked struct {
	ID                   int64
	Status               string
	Registration         bool
	Capacity             *int
	StartsAt, EndsAt     time.Time
	RegistrationClosesAt *time.Time
	Title                string
	Address, OnlineURL   string
	Kind                 string
}

func (l locked) event() Event {
	return Event{ID: l.ID, Status: l.Status, Registration: l.Registration, Capacity: l.Capacity, StartsAt: l.StartsAt,
		EndsAt: l.EndsAt, RegistrationClosesAt: l.RegistrationClosesAt, Title: l.Title, Address: l.Address, OnlineURL: l.OnlineURL}
}

// lockEvent reads an event FOR UPDATE: every change of its registrations holds this lock,
// so counting places and taking one is a single step for everyone.
func lockEvent(ctx context.Context, tx pgx.Tx, id int64) (locked, error) {
	var l locked
	err := tx.QueryRow(ctx, `SELECT id, status, registration, capacity, starts_at, ends_at, registration_closes_at, title,
		coalesce(address, ''), coalesce(online_url, ''), kind FROM events WHERE id = $1 FOR UPDATE`, id).
		Scan(&l.ID, &l.Status, &l.Registration, &l.Capacity, &l.StartsAt, &l.EndsAt, &l.RegistrationClosesAt, &l.Title,
			&l.Address, &l.OnlineURL, &l.Kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, problem.NotFound()
	}
	return l, err
}

// position is a waiting registration's place in the queue (from 1).
func position(ctx context.Context, tx pgx.Tx, eventID, userID int64) (int, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM event_registrations w, event_registrations m
		WHERE m.event_id = $1 AND m.user_id = $2 AND w.event_id = $1 AND w.status = 'waiting' AND w.queue_no <= m.queue_no`,
		eventID, userID).Scan(&n)
	return n, err
}

// person is whom a mail goes to.
type person struct {
	Email, Name, Locale string
}

// peopleOf reads the mail addresses of users (erased accounts left out).
func peopleOf(ctx context.Context, tx pgx.Tx, ids []int64) ([]person, error) {
	rows, err := tx.Query(ctx, `SELECT email, display_name, coalesce(locale, '') FROM users
		WHERE id = ANY($1) AND deleted_at IS NULL ORDER BY array_position($1, id)`, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[person])
}
