package notify

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

// Handlers serves the notifications API and pages.
type Handlers struct {
	svc   *Service
	pages *render.Renderer
}

// NewHandlers builds the handlers.
func NewHandlers(svc *Service, r *render.Renderer) *Handlers {
	return &Handlers{svc: svc, pages: r}
}

// Service is the service behind the handlers.
func (h *Handlers) Service() *Service { return h.svc }

func targetOf(c *fiber.Ctx, kind string) (Target, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return Target{}, problem.NotFound()
	}
	return Target{Type: kind, ID: id}, nil
}

// APIList answers GET /api/v1/notifications: a page, newest first, and the unread count.
func (h *Handlers) APIList(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), auth.From(c)
	list, next, err := h.svc.List(ctx, p, strings.Clone(c.Query("cursor")))
	if err != nil {
		return err
	}
	n, err := h.svc.Unread(ctx, p)
	if err != nil {
		return err
	}
	out := fiber.Map{"items": list, "unread": n.Unread}
	if next != "" {
		out["next_cursor"] = next
	}
	return c.JSON(out)
}

// APIRead answers POST /api/v1/notifications/read {"ids":[…]} or {"all":true}.
func (h *Handlers) APIRead(c *fiber.Ctx) error {
	var in struct {
		IDs []int64 `json:"ids"`
		All bool    `json:"all"`
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	n, err := h.svc.MarkRead(c.UserContext(), auth.From(c), in.IDs, in.All)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"unread": n.Unread})
}

// APIFollow answers PUT (follow) and DELETE (unfollow) /api/v1/<kind>s/{id}/follow.
func (h *Handlers) APIFollow(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := targetOf(c, kind)
		if err != nil {
			return err
		}
		on := c.Method() == fiber.MethodPut
		if on {
			err = h.svc.Follow(c.UserContext(), auth.From(c), t)
		} else {
			err = h.svc.Unfollow(c.UserContext(), auth.From(c), t)
		}
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"following": on})
	}
}

// Follow is the follow button's form on a target's page (follow=no stops following).
func (h *Handlers) Follow(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := targetOf(c, kind)
		if err != nil {
			return err
		}
		ctx, p := c.UserContext(), auth.From(c)
		if c.FormValue("follow") == "no" {
			err = h.svc.Unfollow(ctx, p, t)
		} else {
			err = h.svc.Follow(ctx, p, t)
		}
		if err != nil {
			return err
		}
		f, _ := h.svc.kind(kind)
		return c.Redirect(f.Path(t.ID)+"#obserwuj", fiber.StatusSeeOther)
	}
}

// Item is one notification as the list page shows it.
type Item struct {
	Notification
	Text string
}

// ListPage is the notifications page.
type ListPage struct {
	Items  []Item
	Unread int
	Next   string // the next page's URL, "" on the last
	Later  bool   // a page after the first
	Notice string
}

// List is the notifications page: newest first, unread ones marked, a page at a time.
func (h *Handlers) List(c *fiber.Ctx) error {
	ctx, p, l := c.UserContext(), auth.From(c), httpx.L(c)
	cur := strings.Clone(c.Query("cursor"))
	list, next, err := h.svc.List(ctx, p, cur)
	if err != nil {
		return err
	}
	n, err := h.svc.Unread(ctx, p)
	if err != nil {
		return err
	}
	page := ListPage{Unread: n.Unread, Later: cur != ""}
	for _, x := range list {
		page.Items = append(page.Items, Item{Notification: x, Text: Text(l, x)})
	}
	if next != "" {
		page.Next = "/powiadomienia?cursor=" + next
	}
	if c.Query("done") == "read" {
		page.Notice = l.T("notifications.done_read")
	}
	return h.pages.HTML(c, fiber.StatusOK, "notify/list", render.View{Title: l.T("notifications.title"),
		Data: page})
}

// MarkRead is the list page's forms: "mark all as read" (all=yes) or one (id=…).
func (h *Handlers) MarkRead(c *fiber.Ctx) error {
	all := c.FormValue("all") == "yes"
	var ids []int64
	if !all {
		id, err := strconv.ParseInt(c.FormValue("id"), 10, 64)
		if err != nil || id <= 0 {
			return problem.Invalid(map[string]string{"id": "notifications.nothing_to_mark"})
		}
		ids = []int64{id}
	}
	if _, err := h.svc.MarkRead(c.UserContext(), auth.From(c), ids, all); err != nil {
		return err
	}
	back := "/powiadomienia?done=read"
	if cur := c.FormValue("cursor"); cur != "" && !all {
		back += "&cursor=" + url.QueryEscape(cur)
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}

// SettingsPage is the mail settings page.
type SettingsPage struct {
	Settings Settings
	Notice   string
}

// Settings shows the person's mail settings (the daily digest).
func (h *Handlers) Settings(c *fiber.Ctx) error {
	st, err := h.svc.Settings(c.UserContext(), auth.From(c))
	if err != nil {
		return err
	}
	page := SettingsPage{Settings: st}
	if c.Query("done") == "1" {
		page.Notice = httpx.L(c).T("notifications.settings_saved")
	}
	return h.pages.HTML(c, fiber.StatusOK, "notify/settings", render.View{Title: httpx.L(c).T("notifications.settings_title"),
		Section: "nav.account", Data: page})
}

// SaveSettings saves the digest choice (digest=daily turns it on, anything else off).
func (h *Handlers) SaveSettings(c *fiber.Ctx) error {
	if err := h.svc.SetDigest(c.UserContext(), auth.From(c), c.FormValue("digest") == "daily"); err != nil {
		return err
	}
	return c.Redirect("/konto/powiadomienia?done=1", fiber.StatusSeeOther)
}

// UnsubscribePage is the confirmation page of a digest's unsubscribe link.
type UnsubscribePage struct {
	Token string
	Done  bool
	Bad   bool
}

// ShowUnsubscribe asks to confirm (a GET changes nothing: mail scanners open links).
func (h *Handlers) ShowUnsubscribe(c *fiber.Ctx) error {
	token := strings.Clone(c.Query("t"))
	page := UnsubscribePage{Token: token, Done: c.Query("done") == "1"}
	status := fiber.StatusOK
	if !page.Done {
		if err := h.svc.CheckUnsubscribe(c.UserContext(), token); err != nil {
			if _, ok := problem.As(err); !ok {
				return err
			}
			page.Bad, status = true, fiber.StatusBadRequest
		}
	}
	return h.unsubscribePage(c, status, page)
}

func (h *Handlers) unsubscribePage(c *fiber.Ctx, status int, page UnsubscribePage) error {
	l := httpx.L(c)
	if l == nil {
		l = h.svc.I18n.For(i18n.Default)
	}
	return h.pages.HTML(c, status, "notify/unsubscribe", render.View{Title: l.T("notifications.unsubscribe_title"),
		Error: page.Bad, Data: page})
}

// Unsubscribe turns the digest off for the link's owner, signed in or not.
func (h *Handlers) Unsubscribe(c *fiber.Ctx) error {
	token := strings.Clone(c.FormValue("t"))
	if err := h.svc.Unsubscribe(c.UserContext(), token); err != nil {
		if _, ok := problem.As(err); !ok {
			return err
		}
		return h.unsubscribePage(c, fiber.StatusBadRequest, UnsubscribePage{Bad: true})
	}
	return c.Redirect("/powiadomienia/wypisz?done=1", fiber.StatusSeeOther)
}
