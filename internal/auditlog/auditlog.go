// Package auditlog lets admins browse and filter the append-only audit log: who did
// what, to what, when and why.
package auditlog

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/cursor"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

// Entry is one audit record as listed.
type Entry struct {
	ID         int64           `db:"id" json:"id"`
	At         time.Time       `db:"at" json:"at"`
	ActorID    *int64          `db:"actor_id" json:"actor_id"`
	ActorName  *string         `db:"actor_name" json:"actor_name"`
	Action     string          `db:"action" json:"action"`
	TargetType string          `db:"target_type" json:"target_type"`
	TargetID   *int64          `db:"target_id" json:"target_id"`
	TargetName *string         `db:"target_name" json:"target_name,omitempty"`
	Reason     string          `db:"reason" json:"reason"`
	Details    json.RawMessage `db:"details" json:"details"`
}

// Filter narrows the list; zero values match everything.
type Filter struct {
	Action     string
	ActorID    int64
	TargetType string
	TargetID   int64
	From, To   time.Time
	After      int64
}

var actionPattern = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)?$`)

const pageSize = 50

// Store reads the audit log.
type Store struct{ pool *pgxpool.Pool }

// NewStore wraps pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// List returns entries newest first (admins only). An action without a dot matches a
// family ("role" matches role.grant and role.revoke).
func (s *Store) List(ctx context.Context, p auth.Principal, f Filter) ([]Entry, int64, error) {
	if err := auth.RequireAdmin(p); err != nil {
		return nil, 0, err
	}
	if f.Action != "" && !actionPattern.MatchString(f.Action) {
		return nil, 0, problem.Invalid(map[string]string{"action": "audit.filter_invalid"})
	}
	var from, to *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	rows, err := s.pool.Query(ctx, `
		SELECT a.id, a.at, a.actor_id, (SELECT u.display_name FROM users u WHERE u.id = a.actor_id) AS actor_name,
			a.action, a.target_type, a.target_id,
			CASE WHEN a.target_type = 'user' THEN (SELECT u.display_name FROM users u WHERE u.id = a.target_id) END AS target_name,
			a.reason, a.details
		FROM audit_log a
		WHERE ($1 = '' OR a.action = $1 OR a.action LIKE $1 || '.%')
		  AND ($2 = 0 OR a.actor_id = $2)
		  AND ($3 = '' OR a.target_type = $3)
		  AND ($4 = 0 OR a.target_id = $4)
		  AND ($5::timestamptz IS NULL OR a.at >= $5)
		  AND ($6::timestamptz IS NULL OR a.at < $6)
		  AND ($7 = 0 OR a.id < $7)
		ORDER BY a.id DESC LIMIT $8`,
		f.Action, f.ActorID, f.TargetType, f.TargetID, from, to, f.After, pageSize+1)
	if err != nil {
		return nil, 0, err
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[Entry])
	if err != nil {
		return nil, 0, err
	}
	list, next := cursor.Page(list, pageSize, func(x Entry) int64 { return x.ID })
	return list, next, nil
}

// Handlers serves the audit log page and API.
type Handlers struct {
	store  *Store
	render *render.Renderer
}

// NewHandlers builds the handlers.
func NewHandlers(store *Store, r *render.Renderer) *Handlers {
	return &Handlers{store: store, render: r}
}

// Page is the audit log page.
type Page struct {
	Entries []Entry
	Query   map[string]string
	Next    string
}

func parseFilter(c *fiber.Ctx) (Filter, error) {
	var f Filter
	bad := problem.Fields{}
	f.Action = c.Query("action")
	f.TargetType = c.Query("target_type")
	if f.TargetType != "" && !actionPattern.MatchString(f.TargetType) {
		bad.Add("target_type", "audit.filter_invalid")
	}
	for name, dst := range map[string]*int64{"actor_id": &f.ActorID, "target_id": &f.TargetID} {
		if raw := c.Query(name); raw != "" {
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil || n <= 0 {
				bad.Add(name, "audit.filter_invalid")
			}
			*dst = n
		}
	}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if raw := c.Query(name); raw != "" {
			d, err := time.ParseInLocation("2006-01-02", raw, i18n.Warsaw)
			if err != nil {
				bad.Add(name, "audit.filter_invalid")
			}
			if name == "to" {
				d = d.AddDate(0, 0, 1)
			}
			*dst = d
		}
	}
	var err error
	if f.After, err = cursor.Decode(c.Query("cursor")); err != nil {
		return f, err
	}
	return f, bad.Err()
}

// List shows the audit log with filters.
func (h *Handlers) List(c *fiber.Ctx) error {
	if err := auth.RequireAdmin(auth.From(c)); err != nil {
		return err // who asks comes before what they sent
	}
	f, err := parseFilter(c)
	if err != nil {
		return err
	}
	list, next, err := h.store.List(c.UserContext(), auth.From(c), f)
	if err != nil {
		return err
	}
	q := map[string]string{}
	for _, k := range []string{"action", "actor_id", "target_type", "target_id", "from", "to"} {
		q[k] = c.Query(k)
	}
	page := Page{Entries: list, Query: q}
	if next != 0 {
		page.Next = cursor.Encode(next)
	}
	return h.render.HTML(c, fiber.StatusOK, "auditlog/list", render.View{Title: httpx.L(c).T("audit.title"),
		Section: "nav.admin", Data: page})
}

// APIList answers GET /api/v1/admin/audit.
func (h *Handlers) APIList(c *fiber.Ctx) error {
	if err := auth.RequireAdmin(auth.From(c)); err != nil {
		return err
	}
	f, err := parseFilter(c)
	if err != nil {
		return err
	}
	list, next, err := h.store.List(c.UserContext(), auth.From(c), f)
	if err != nil {
		return err
	}
	body := fiber.Map{"items": list}
	if next != 0 {
		body["next_cursor"] = cursor.Encode(next)
	}
	return c.JSON(body)
}
