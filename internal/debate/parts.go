package debate

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

// Parts is what a debate adds to its event, as its moderators change it after creating
// it (the event's own fields are edited with the events form).
type Parts struct {
	ExpectedSeq  *int64         `json:"expected_seq"` // the state version the form showed
	DistrictIDs  []int64        `json:"district_ids"`
	Speakers     []SpeakerInput `json:"speakers"`
	Agenda       []ItemInput    `json:"agenda"`
	ModeratorIDs []int64        `json:"moderator_ids"`
}

// EditParts changes debate id's districts, speakers, agenda and moderators (its
// moderators and admins), based on the state version the form showed. Speakers and
// agenda items keep their place by position, and with it their id, photo and measured
// time, so a corrected name is the same speaker; those beyond the new lists are removed
// unless the debate still needs them (current, timed, or a promise names them).
func (s *Service) EditParts(ctx context.Context, p auth.Principal, id int64, in Parts) (State, error) {
	if err := s.MayRun(ctx, p, id); err != nil {
		return State{}, err
	}
	full := Input{DistrictIDs: in.DistrictIDs, Speakers: in.Speakers, Agenda: in.Agenda, ModeratorIDs: in.ModeratorIDs}
	bad, err := s.check(ctx, &full)
	if err != nil {
		return State{}, err
	}
	if len(full.ModeratorIDs) == 0 {
		bad.Add("moderator_ids", "debates.moderators_required")
	}
	if in.ExpectedSeq == nil || *in.ExpectedSeq < 0 {
		bad.Add("expected_seq", "debates.expected_seq_required")
	}
	if err := bad.Err(); err != nil {
		return State{}, err
	}
	return s.change(ctx, p, id, "edit", map[string]any{"speakers": len(full.Speakers), "items": len(full.Agenda)},
		func(tx pgx.Tx, r *row) error {
			if r.Seq != *in.ExpectedSeq {
				return errStale()
			}
			if err := replaceSet(ctx, tx, "debate_districts", "neighbourhood_id", id, full.DistrictIDs); err != nil {
				return err
			}
			if err := replaceSet(ctx, tx, "debate_moderators", "user_id", id, full.ModeratorIDs); err != nil {
				return err
			}
			names := make([][2]any, len(full.Speakers))
			for i, sp := range full.Speakers {
				names[i] = [2]any{sp.Name, sp.Role}
			}
			topics := make([][2]any, len(full.Agenda))
			for i, it := range full.Agenda {
				topics[i] = [2]any{it.Topic, it.PlannedMinutes}
			}
			if err := reposition(ctx, tx, "debate_speakers", "name, role", id, names, r.CurrentSpeakerID, "speakers"); err != nil {
				return err
			}
			return reposition(ctx, tx, "debate_items", "topic, planned_minutes", id, topics, r.CurrentItemID, "agenda")
		})
}

// replaceSet makes debate id's rows of a link table exactly ids.
func replaceSet(ctx context.Context, tx pgx.Tx, table, column string, id int64, ids []int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE event_id = $1 AND NOT (`+column+` = ANY($2))`, id, ids); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+table+` (event_id, `+column+`) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`, id, ids)
	return err
}

// reposition writes a list of speakers or agenda items by position: the first rows are
// updated in place, new ones added, and those beyond the list removed, unless one is
// current, has measured time, or is named elsewhere (a promise): then field says why.
func reposition(ctx context.Context, tx pgx.Tx, table, columns string, id int64, values [][2]any, current *int64, field string) error {
	cols := strings.Split(columns, ", ")
	rows, err := tx.Query(ctx, `SELECT id, used_ms FROM `+table+` WHERE event_id = $1 ORDER BY position`, id)
	if err != nil {
		return err
	}
	type existing struct{ ID, UsedMS int64 }
	have, err := pgx.CollectRows(rows, pgx.RowToStructByPos[existing])
	if err != nil {
		return err
	}
	for i, v := range values {
		if i < len(have) {
			_, err = tx.Exec(ctx, `UPDATE `+table+` SET `+cols[0]+` = $2, `+cols[1]+` = $3 WHERE id = $1`, have[i].ID, v[0], v[1])
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO `+table+` (event_id, position, `+columns+`) VALUES ($1, $2, $3, $4)`, id, i+1, v[0], v[1])
		}
		if err != nil {
			return err
		}
	}
	inUse := problem.Invalid(map[string]string{field: "debates." + field + "_in_use"})
	for _, h := range have[min(len(values), len(have)):] {
		if (current != nil && *current == h.ID) || h.UsedMS > 0 {
			return inUse
		}
		err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
			_, err := sp.Exec(ctx, `DELETE FROM `+table+` WHERE id = $1`, h.ID)
			return err
		})
		var pg *pgconn.PgError
		if errors.As(err, &pg) && pg.Code == "23503" { // a promise (or another feature) names it
			return inUse
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// partsFields are the fields of the form that edits a debate's parts.
var partsFields = []string{"speakers", "agenda", "district_ids", "moderator_ids", "expected_seq"}

// PartsPage is the form that edits a debate's speakers, agenda, districts and moderators.
type PartsPage struct {
	FormPage
	Debate  Debate
	Problem string // a refusal that belongs to no field (a stale form)
}

// EditPartsForm shows the form filled with the debate as it is (its moderators and admins).
func (h *Handlers) EditPartsForm(c *fiber.Ctx) error {
	id, err := h.running(c)
	if err != nil {
		return err
	}
	d, err := h.svc.Get(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	form := render.NewForm(partsFields...)
	var b strings.Builder
	for _, sp := range d.State.Speakers {
		b.WriteString(sp.Name)
		if sp.Role != "" {
			b.WriteString(" | " + sp.Role)
		}
		b.WriteString("\n")
	}
	form.Values["speakers"] = b.String()
	b.Reset()
	for _, it := range d.State.Items {
		fmt.Fprintf(&b, "%s | %d\n", it.Topic, it.PlannedMinutes)
	}
	form.Values["agenda"] = b.String()
	form.Values["expected_seq"] = strconv.FormatInt(d.State.Seq, 10)
	districts, mods := map[int64]bool{}, map[int64]bool{}
	for _, x := range d.Districts {
		districts[x.ID] = true
	}
	for _, m := range d.Moderators {
		mods[m.ID] = true
	}
	return h.partsPage(c, fiber.StatusOK, d, form, districts, mods, "")
}

func (h *Handlers) partsPage(c *fiber.Ctx, status int, d Debate, form render.Form, districts, mods map[int64]bool, refused string) error {
	page, err := h.formPage(c, form, districts, mods)
	if err != nil {
		return err
	}
	return h.pages.HTML(c, status, "debate/parts", render.View{Title: httpx.L(c).T("debates.parts_title", "Title", d.Title),
		Section: "nav.admin", Error: form.HasErrors() || refused != "", Data: PartsPage{FormPage: page, Debate: d, Problem: refused}})
}

// EditParts saves the form.
func (h *Handlers) EditParts(c *fiber.Ctx) error {
	id, err := h.running(c)
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), auth.From(c)
	form := render.NewForm(partsFields...)
	httpx.FormValues(c, &form, partsFields...)
	in := Parts{DistrictIDs: httpx.FormIDs(c, "district_ids"), ModeratorIDs: httpx.FormIDs(c, "moderator_ids")}
	in.Speakers, in.Agenda = speakerLines(form.Values["speakers"]), agendaLines(form.Values["agenda"])
	if n, err := strconv.ParseInt(form.Values["expected_seq"], 10, 64); err == nil {
		in.ExpectedSeq = &n
	}
	if _, err := h.svc.EditParts(ctx, p, id, in); err != nil {
		d, gerr := h.svc.Get(ctx, p, id)
		if gerr != nil {
			return gerr
		}
		districts, mods := map[int64]bool{}, map[int64]bool{}
		for _, x := range in.DistrictIDs {
			districts[x] = true
		}
		for _, x := range in.ModeratorIDs {
			mods[x] = true
		}
		if pe, ok := problem.As(err); ok && pe.Status == fiber.StatusConflict {
			// Someone changed the debate meanwhile: show what was typed, on the new version.
			form.Values["expected_seq"] = strconv.FormatInt(d.State.Seq, 10)
			return h.partsPage(c, pe.Status, d, form, districts, mods, httpx.L(c).T(pe.Key, pe.Args...))
		}
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.partsPage(c, status, d, form, districts, mods, "")
	}
	return c.Redirect(fmt.Sprintf("/debaty/%d?zrobione=%s", id, url.QueryEscape("zapisano")), fiber.StatusSeeOther)
}
