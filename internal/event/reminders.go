package event

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
	"lawka/internal/platform/i18n"
)

// Reminder timing: the round runs from ReminderHour (Europe/Warsaw) on, every
// reminderEvery, and reminds of the events of the next day.
const (
	ReminderHour  = 9
	reminderEvery = 5 * time.Minute
)

// Run sends the reminders until ctx ends (instances share the work).
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(reminderEvery)
	defer t.Stop()
	for {
		if now := s.Now(); now.In(i18n.Warsaw).Hour() >= ReminderHour {
			if _, err := s.SendReminders(ctx, now); err != nil && ctx.Err() == nil {
				s.Log.Warn("event: reminder round failed", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SendReminders mails everyone with a place at a published event that starts tomorrow
// (Europe/Warsaw, from now's point of view) — or later today, for a round that was
// missed — and who registered before the event's day. Each reminder is marked sent in
// the transaction that queues its mail, rows are claimed with SKIP LOCKED, so a person
// is reminded once however often, or on however many instances, this runs. It returns
// how many mails it queued.
func (s *Service) SendReminders(ctx context.Context, now time.Time) (int, error) {
	if s.I18n == nil {
		return 0, errors.New("event: reminders need translations")
	}
	tomorrow := now.In(i18n.Warsaw).AddDate(0, 0, 1).Format(time.DateOnly)
	sent := 0
	for {
		done := false
		err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
			var regID, userID, eventID int64
			err := tx.QueryRow(ctx, `SELECT r.id, r.user_id, r.event_id FROM event_registrations r JOIN events e ON e.id = r.event_id
				WHERE r.status = 'registered' AND r.reminded_at IS NULL AND e.status = 'published' AND e.starts_at > $1
					AND (e.starts_at AT TIME ZONE 'Europe/Warsaw')::date <= $2::date
					AND (r.updated_at AT TIME ZONE 'Europe/Warsaw')::date < (e.starts_at AT TIME ZONE 'Europe/Warsaw')::date
				ORDER BY r.id LIMIT 1 FOR UPDATE OF r SKIP LOCKED`, now, tomorrow).Scan(&regID, &userID, &eventID)
			if errors.Is(err, pgx.ErrNoRows) {
				done = true
				return nil
			}
			if err != nil {
				return err
			}
			e, err := readEvent(ctx, tx, 0, eventID)
			if err != nil {
				return err
			}
			if err := s.mail(ctx, tx, []int64{userID}, "mail.event_reminder", e); err != nil {
				return err
			}
			sent++
			_, err = tx.Exec(ctx, `UPDATE event_registrations SET reminded_at = $2 WHERE id = $1`, regID, now)
			return err
		})
		if err != nil {
			return sent, err
		}
		if done {
			return sent, nil
		}
	}
}
