package coalition

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
	"lawka/internal/platform/upload"
)

// EventChoice is an event a paper signature may have been made at.
type EventChoice struct {
	ID       int64
	Title    string
	StartsAt time.Time
}

// Events is the event feature as paper signatures need it: the Declaration can be
// signed at an event, and a moderator records the paper there.
type Events interface {
	EventChoices(ctx context.Context) ([]EventChoice, error)
	EventExists(ctx context.Context, id int64) (bool, error)
}

// PaperSigning is a personal signature made on paper, as a moderator types it in.
type PaperSigning struct {
	FullName     string
	ListPublicly bool
	EventID      *int64       // the event it was signed at, if any
	Scan         *upload.File // the signed page (optional; seen by the staff and never public)
}

// RecordPaper records a personal signature a moderator received on paper (moderators
// and admins). The moderator saw it signed, so it is confirmed at once, marked "paper",
// with the event it was signed at; it belongs to no account.
func (s *Signatures) RecordPaper(ctx context.Context, p auth.Principal, events Events, in PaperSigning) (Signature, error) {
	if err := auth.RequireStaff(p); err != nil {
		return Signature{}, err
	}
	bad := problem.Fields{}
	name := checkFullName(bad, in.FullName)
	if in.EventID != nil {
		ok := *in.EventID > 0 && events != nil
		if ok {
			var err error
			if ok, err = events.EventExists(ctx, *in.EventID); err != nil {
				return Signature{}, err
			}
		}
		if !ok {
			bad.Add("event_id", "coalition.choose_from_list")
		}
	}
	if err := bad.Err(); err != nil {
		return Signature{}, err
	}
	var id int64
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		version, err := currentVersion(ctx, tx)
		if err != nil {
			return err
		}
		scanID, err := upload.StoreOptional(ctx, tx, in.Scan, p.UserID)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO signatures (declaration_version_id, full_name, list_publicly, channel, scan_file_id,
			status, decided_by, decided_at, event_id) VALUES ($1, $2, $3, 'paper', $4, 'confirmed', $5, now(), $6) RETURNING id`,
			version, name, in.ListPublicly, scanID, p.UserID, in.EventID).Scan(&id); err != nil {
			return err
		}
		details := map[string]any{}
		if in.EventID != nil {
			details["event_id"] = *in.EventID
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "signature.paper", TargetType: "signature",
			TargetID: id, Details: details})
	})
	if err != nil {
		return Signature{}, err
	}
	return s.get(ctx, id)
}

// PaperPage is the moderators' form for a signature received on paper.
type PaperPage struct {
	Form   render.Form
	Events []EventChoice
}

var paperFields = []string{"full_name", "event_id", "list_publicly", "scan"}

func (h *SignatureHandlers) paperPage(c *fiber.Ctx, status int, form render.Form) error {
	page := PaperPage{Form: form}
	if h.Events != nil {
		var err error
		if page.Events, err = h.Events.EventChoices(c.UserContext()); err != nil {
			return err
		}
	}
	return h.page(c, status, "coalition/paper", "coalition.paper_title", "nav.admin", &form, page)
}

// ShowPaper shows the form; ?wydarzenie=ID preselects the event it was signed at.
func (h *SignatureHandlers) ShowPaper(c *fiber.Ctx) error {
	if err := auth.RequireStaff(auth.From(c)); err != nil {
		return err
	}
	form := render.NewForm(paperFields...)
	form.Values["event_id"] = strings.Clone(c.Query("wydarzenie"))
	form.Values["list_publicly"] = "yes"
	return h.paperPage(c, fiber.StatusOK, form)
}

// Paper records the signature (a multipart form with an optional scan).
func (h *SignatureHandlers) Paper(c *fiber.Ctx) error {
	p := auth.From(c)
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	form := render.NewForm(paperFields...)
	httpx.FormValues(c, &form, "full_name", "event_id", "list_publicly")
	in := PaperSigning{FullName: form.Values["full_name"], ListPublicly: form.Values["list_publicly"] == "yes"}
	var err error
	if raw := form.Values["event_id"]; raw != "" {
		n, perr := strconv.ParseInt(raw, 10, 64)
		if perr != nil {
			n = -1 // named by the service
		}
		in.EventID = &n
	}
	in.Scan, err = upload.FromForm(c, "scan")
	if err == nil {
		_, err = h.svc.RecordPaper(c.UserContext(), p, h.Events, in)
	}
	if err != nil {
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return h.paperPage(c, status, form)
	}
	return c.Redirect("/admin/podpisy?done=paper", fiber.StatusSeeOther)
}
