// Package mail sends mail through an outbox: a message is stored in PostgreSQL in the
// same transaction as the change that caused it, and a worker delivers it by SMTP
// (LAWKA_SMTP_URL) or, in development, writes it to the log (and the /dev/mail page).
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/db"
)

// Message is one plain-text mail.
type Message struct {
	To, Subject, Body string
}

// Enqueue stores m for delivery, inside the caller's transaction.
func Enqueue(ctx context.Context, q db.Querier, m Message) error {
	_, err := q.Exec(ctx, `INSERT INTO mail_outbox (to_address, subject, body_text) VALUES ($1, $2, $3)`,
		m.To, m.Subject, m.Body)
	return err
}

// Sender delivers one message.
type Sender interface {
	Send(ctx context.Context, from string, m Message) error
}

// Stored is a message in the outbox, as the development mail page lists it.
type Stored struct {
	ID        int64      `db:"id"`
	To        string     `db:"to_address"`
	Subject   string     `db:"subject"`
	Body      string     `db:"body_text"`
	CreatedAt time.Time  `db:"created_at"`
	SentAt    *time.Time `db:"sent_at"`
}

// Recent lists the newest messages.
func Recent(ctx context.Context, pool *pgxpool.Pool, n int) ([]Stored, error) {
	rows, err := pool.Query(ctx, `SELECT id, to_address, subject, body_text, created_at, sent_at
		FROM mail_outbox ORDER BY id DESC LIMIT $1`, n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Stored])
}

// Worker delivers queued mail until its context ends.
type Worker struct {
	Pool   *pgxpool.Pool
	Sender Sender
	From   string
	Log    *slog.Logger
	Every  time.Duration
}

// Run polls the outbox. Several instances may run workers: rows are claimed with
// SKIP LOCKED, so each message goes out once.
func (w *Worker) Run(ctx context.Context) {
	every := w.Every
	if every == 0 {
		every = 2 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := w.DeliverPending(ctx); err != nil && ctx.Err() == nil {
			w.Log.Warn("mail: delivery round failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DeliverPending sends what is due now and returns how many went out.
func (w *Worker) DeliverPending(ctx context.Context) (int, error) {
	sent := 0
	for {
		done, err := w.deliverOne(ctx)
		if err != nil || !done {
			return sent, err
		}
		sent++
	}
}

// deliverOne claims one due message with a short lease (so the SMTP conversation runs
// outside any transaction and holds no pool connection), sends it, then marks it sent
// or schedules a retry. A crash mid-send retries after the lease: at least once.
func (w *Worker) deliverOne(ctx context.Context) (bool, error) {
	var s Stored
	var attempts int
	err := w.Pool.QueryRow(ctx, `UPDATE mail_outbox SET next_try_at = now() + interval '5 minutes', attempts = attempts + 1
		WHERE id = (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_try_at <= now() AND attempts < 10
			ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING id, to_address, subject, body_text, attempts`).Scan(&s.ID, &s.To, &s.Subject, &s.Body, &attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := w.Sender.Send(ctx, w.From, Message{To: s.To, Subject: s.Subject, Body: s.Body}); err != nil {
		w.Log.Warn("mail: sending failed, will retry", "id", s.ID, "attempt", attempts, "error", err)
		backoff := time.Duration(1<<min(attempts, 10)) * 30 * time.Second
		_, uerr := w.Pool.Exec(ctx, `UPDATE mail_outbox SET last_error = $2, next_try_at = now() + make_interval(secs => $3)
			WHERE id = $1`, s.ID, err.Error(), backoff.Seconds())
		return true, uerr
	}
	_, err = w.Pool.Exec(ctx, `UPDATE mail_outbox SET sent_at = now() WHERE id = $1`, s.ID)
	return true, err
}

// LogSender writes mail to the log instead of sending it (development, no SMTP).
type LogSender struct{ Log *slog.Logger }

// Send logs m.
func (l LogSender) Send(_ context.Context, from string, m Message) error {
	// The body carries single-use links: never in logs (admins read it at /dev/mail in dev).
	l.Log.Info("mail (not sent: LAWKA_SMTP_URL is unset)", "to", m.To, "subject", m.Subject)
	return nil
}

// SMTPSender sends through an SMTP server: smtp:// uses STARTTLS when offered,
// smtps:// connects with TLS.
type SMTPSender struct {
	URL *url.URL
}

// NewSMTP parses an smtp:// or smtps:// URL.
func NewSMTP(raw string) (*SMTPSender, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	return &SMTPSender{URL: u}, nil
}

// Send delivers m.
func (s *SMTPSender) Send(ctx context.Context, from string, m Message) error {
	host := s.URL.Hostname()
	port := s.URL.Port()
	if port == "" {
		port = "587"
		if s.URL.Scheme == "smtps" {
			port = "465"
		}
	}
	addr := net.JoinHostPort(host, port)
	d := net.Dialer{Timeout: 10 * time.Second}
	var conn net.Conn
	var err error
	if s.URL.Scheme == "smtps" {
		conn, err = tls.DialWithDialer(&d, "tcp", addr, &tls.Config{ServerName: host})
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && s.URL.Scheme == "smtp" {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return err
		}
	}
	if s.URL.User != nil {
		pw, _ := s.URL.User.Password()
		if err := c.Auth(smtp.PlainAuth("", s.URL.User.Username(), pw, host)); err != nil {
			return err
		}
	}
	if err := c.Mail(addressOnly(from)); err != nil {
		return err
	}
	if err := c.Rcpt(m.To); err != nil {
		return err
	}
	wc, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := wc.Write(Compose(from, m)); err != nil {
		return err
	}
	if err := wc.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func addressOnly(from string) string {
	if i := strings.LastIndexByte(from, '<'); i >= 0 {
		return strings.TrimSuffix(from[i+1:], ">")
	}
	return from
}

// Compose builds the RFC 5322 message: UTF-8 subject and body (Polish letters intact).
func Compose(from string, m Message) []byte {
	var b bytes.Buffer
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	domain := addressOnly(from)
	if i := strings.LastIndexByte(domain, '@'); i >= 0 {
		domain = domain[i+1:]
	}
	fromName, fromAddr := from, addressOnly(from)
	if i := strings.LastIndexByte(from, '<'); i > 0 {
		fromName = strings.TrimSpace(from[:i])
		from = mime.QEncoding.Encode("utf-8", fromName) + " <" + fromAddr + ">"
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n",
		from, m.To, mime.QEncoding.Encode("utf-8", m.Subject), time.Now().Format(time.RFC1123Z), hex.EncodeToString(id), domain)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(m.Body, "\n", "\r\n")))
	_ = qp.Close()
	return b.Bytes()
}
