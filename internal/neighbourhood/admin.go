package neighbourhood

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

// Admins keep the districts' names and the topics proposals, consultations and debates
// are filed under. Topics are never deleted (things are filed under them); a topic that
// is no longer wanted goes to the end of the list under a clearer name.

// RenameDistrict changes a district's name (admins), audited.
func (s *Store) RenameDistrict(ctx context.Context, p auth.Principal, id int64, name string) error {
	if err := auth.RequireAdmin(p); err != nil {
		return err
	}
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 120 {
		return problem.Invalid(map[string]string{"name": "places.name_length"})
	}
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var old string
		err := tx.QueryRow(ctx, `UPDATE neighbourhoods n SET name = $2 FROM neighbourhoods o
			WHERE n.id = $1 AND o.id = n.id RETURNING o.name`, id, name).Scan(&old)
		if errors.Is(err, pgx.ErrNoRows) {
			return problem.NotFound()
		}
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "neighbourhood.rename", TargetType: "neighbourhood",
			TargetID: id, Details: map[string]any{"from": old, "to": name}})
	})
}

// TopicInput is a topic's names (Polish required) and place in the list.
type TopicInput struct {
	Names    map[string]string
	Position int
}

// SaveTopic adds a topic (id 0) or changes one (admins), audited.
func (s *Store) SaveTopic(ctx context.Context, p auth.Principal, id int64, in TopicInput) (int64, error) {
	if err := auth.RequireAdmin(p); err != nil {
		return 0, err
	}
	bad := problem.Fields{}
	names := map[string]string{}
	for _, lang := range []string{"pl", "en", "uk"} {
		v := strings.TrimSpace(in.Names[lang])
		if n := utf8.RuneCountInString(v); n > 80 || lang == "pl" && n == 0 {
			bad.Add("name_"+lang, "places.topic_name_length")
		}
		if v != "" {
			names[lang] = v
		}
	}
	if in.Position < 0 || in.Position > 1000 {
		bad.Add("position", "places.position_range")
	}
	if err := bad.Err(); err != nil {
		return 0, err
	}
	raw, err := json.Marshal(names)
	if err != nil {
		return 0, err
	}
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		action := "topic.update"
		if id == 0 {
			action = "topic.create"
			err := tx.QueryRow(ctx, `INSERT INTO topics (slug, names, position) VALUES ($1, $2, $3) RETURNING id`,
				slug(names["pl"]), raw, in.Position).Scan(&id)
			if db.IsUniqueViolation(err, "") {
				return problem.Invalid(map[string]string{"name_pl": "places.topic_exists"})
			}
			if err != nil {
				return err
			}
		} else {
			tag, err := tx.Exec(ctx, `UPDATE topics SET names = $2, position = $3 WHERE id = $1`, id, raw, in.Position)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return problem.NotFound()
			}
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: action, TargetType: "topic", TargetID: id,
			Details: map[string]any{"names": names}})
	})
	return id, err
}

// slug makes an address-safe name from Polish text ("Zieleń i ławki" → "zielen-i-lawki").
func slug(s string) string {
	fold := strings.NewReplacer("ą", "a", "ć", "c", "ę", "e", "ł", "l", "ń", "n", "ó", "o", "ś", "s", "ź", "z", "ż", "z")
	var b strings.Builder
	dash := false
	for _, r := range fold.Replace(strings.ToLower(s)) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if out == "" {
		out = "temat"
	}
	return out
}

// PlacesPage is the admins' page of districts and topics.
type PlacesPage struct {
	Districts []Neighbourhood
	Topics    []Topic
	Form      render.Form
	Notice    string
}

var topicFields = []string{"name_pl", "name_en", "name_uk", "position", "name"}

func (h *Handlers) places(c *fiber.Ctx, status int, form render.Form) error {
	if err := auth.RequireAdmin(auth.From(c)); err != nil {
		return err
	}
	ctx := c.UserContext()
	ds, err := h.store.List(ctx)
	if err != nil {
		return err
	}
	ts, err := h.store.Topics(ctx)
	if err != nil {
		return err
	}
	page := PlacesPage{Districts: ds, Topics: ts, Form: form}
	if c.Query("zapisano") != "" {
		page.Notice = httpx.L(c).T("places.saved")
	}
	return h.render.HTML(c, status, "admin/places", render.View{Title: httpx.L(c).T("places.title"), Section: "nav.admin",
		Error: form.HasErrors(), Data: page})
}

// Places shows the districts and topics with their forms (admins).
func (h *Handlers) Places(c *fiber.Ctx) error {
	return h.places(c, fiber.StatusOK, render.NewForm(topicFields...))
}

// RenameDistrict saves a district's name.
func (h *Handlers) RenameDistrict(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return problem.NotFound()
	}
	form := render.NewForm(topicFields...)
	httpx.FormValues(c, &form, "name")
	if err := h.store.RenameDistrict(c.UserContext(), auth.From(c), id, form.Values["name"]); err != nil {
		return h.formError(c, err, form)
	}
	return c.Redirect("/admin/dzielnice?zapisano=1", fiber.StatusSeeOther)
}

// SaveTopic adds a topic (no id) or saves one.
func (h *Handlers) SaveTopic(c *fiber.Ctx) error {
	var id int64
	if raw := c.Params("id"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return problem.NotFound()
		}
		id = n
	}
	form := render.NewForm(topicFields...)
	httpx.FormValues(c, &form, "name_pl", "name_en", "name_uk", "position")
	pos, err := strconv.Atoi(strings.TrimSpace(form.Values["position"]))
	if err != nil && form.Values["position"] != "" {
		pos = -1 // refused below with a message
	}
	in := TopicInput{Names: map[string]string{"pl": form.Values["name_pl"], "en": form.Values["name_en"], "uk": form.Values["name_uk"]},
		Position: pos}
	if _, err := h.store.SaveTopic(c.UserContext(), auth.From(c), id, in); err != nil {
		return h.formError(c, err, form)
	}
	return c.Redirect("/admin/dzielnice?zapisano=1#tematy", fiber.StatusSeeOther)
}

func (h *Handlers) formError(c *fiber.Ctx, err error, form render.Form) error {
	status, ok := httpx.FormProblem(c, err, &form)
	if !ok || status == fiber.StatusForbidden || status == fiber.StatusNotFound || status == fiber.StatusUnauthorized {
		return err
	}
	return h.places(c, status, form)
}

// SetPremoderation switches pre-moderation of first-time posters on or off for a
// district ("district") or a topic ("topic") (admins), audited.
func (s *Store) SetPremoderation(ctx context.Context, p auth.Principal, kind string, id int64, on bool) error {
	if err := auth.RequireAdmin(p); err != nil {
		return err
	}
	table, target := map[string]string{"district": "neighbourhoods", "topic": "topics"}[kind], map[string]string{"district": "neighbourhood", "topic": "topic"}[kind]
	if table == "" {
		return problem.Invalid(map[string]string{"kind": "places.kind_unknown"})
	}
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		// table comes from the map above, never from the request
		tag, err := tx.Exec(ctx, `UPDATE `+table+` SET premoderated = $2 WHERE id = $1 AND premoderated <> $2`, id, on)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE id = $1)`, id).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return problem.NotFound()
			}
			return nil
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: target + ".premoderation", TargetType: target,
			TargetID: id, Details: map[string]any{"on": on}})
	})
}

// Premoderated says whether a post in the district or under any of the topics waits for
// a moderator when its author is a first-time poster.
func (s *Store) Premoderated(ctx context.Context, q db.Querier, districtID int64, topicIDs []int64) (bool, error) {
	if topicIDs == nil {
		topicIDs = []int64{}
	}
	var on bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM neighbourhoods WHERE id = $1 AND premoderated)
		OR EXISTS (SELECT 1 FROM topics WHERE id = ANY($2) AND premoderated)`, districtID, topicIDs).Scan(&on)
	return on, err
}

// SetPremoderation saves a pre-moderation switch of the places page.
func (h *Handlers) SetPremoderation(c *fiber.Ctx) error {
	if err := auth.RequireAdmin(auth.From(c)); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.FormValue("id"), 10, 64)
	if err != nil {
		return problem.Invalid(map[string]string{"id": "places.kind_unknown"})
	}
	kind := c.FormValue("kind")
	if err := h.store.SetPremoderation(c.UserContext(), auth.From(c), kind, id, c.FormValue("on") == "yes"); err != nil {
		return err
	}
	anchor := map[string]string{"district": "#dzielnice", "topic": "#tematy"}[kind]
	return c.Redirect("/admin/dzielnice?zapisano=1"+anchor, fiber.StatusSeeOther)
}
