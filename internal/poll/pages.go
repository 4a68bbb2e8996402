package poll

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

// Pages serves the voter's page: the question, a plain form that works without
// JavaScript, and the results as an SVG chart with a table beside it, live when
// scripts run.
type Pages struct {
	*Handlers
	render *render.Renderer
}

// NewPages builds the poll pages.
func NewPages(h *Handlers, r *render.Renderer) *Pages { return &Pages{Handlers: h, render: r} }

// PageData is what the poll page shows.
type PageData struct {
	Poll       Poll
	Results    *Results // nil while hidden
	Bars       []Bar
	Form       render.Form
	Receipt    string
	CanVote    bool
	NeedSignIn bool
	Room       string
	Digest     string // after the close: the SHA-256 of the published receipt list
	Check      *ReceiptCheck
}

// ReceiptCheck answers "is my receipt counted?".
type ReceiptCheck struct {
	Receipt string
	Found   bool
	Labels  []string
}

// Bar is one option's row of the chart and table.
type Bar struct {
	ID      int64
	Label   string
	Votes   int
	Online  int
	Paper   int
	Percent int // of all choices, rounded
	Width   int // of the chart's 400 units, relative to the leader
	Y       int
}

// chartRow is the height of one answer in the chart: its label above, its bar below, so
// long answers never run into the bars.
const chartRow = 56

// Bars draws the results as the chart and table show them (a debate's phones and projector too).
func Bars(r *Results) []Bar { return bars(r) }

func bars(r *Results) []Bar {
	if r == nil {
		return nil
	}
	total, most := 0, 0
	for _, o := range r.Options {
		total += o.Votes
		most = max2(most, o.Votes)
	}
	out := make([]Bar, len(r.Options))
	for i, o := range r.Options {
		b := Bar{ID: o.ID, Label: o.Label, Votes: o.Votes, Online: o.Online, Paper: o.Paper, Y: i * chartRow}
		if total > 0 {
			b.Percent = (o.Votes*100 + total/2) / total
		}
		if most > 0 {
			b.Width = o.Votes * 400 / most
		}
		out[i] = b
	}
	return out
}

func (pg *Pages) show(c *fiber.Ctx, status int, form render.Form) error {
	id, err := pollID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p := auth.From(c)
	poll, err := pg.svc.Get(ctx, id)
	if err != nil {
		return err
	}
	if poll.Status == "draft" && !p.Staff() {
		return problem.NotFound()
	}
	data := PageData{Poll: poll, Form: form, Receipt: pg.takeReceipt(c, id), Room: fmt.Sprintf("poll:%d", id)}
	if r, err := pg.svc.Results(ctx, p, id); err == nil {
		data.Results = &r
		data.Bars = bars(&r)
	} else if pr, ok := problem.As(err); !ok || pr.Code != "results_hidden" {
		return err
	}
	if poll.Status == "closed" {
		if list, err := pg.svc.Receipts(ctx, p, id); err == nil {
			data.Digest = list.Digest
			if q := strings.TrimSpace(c.Query("sprawdz")); q != "" {
				data.Check = check(list, poll, q)
			}
		}
	}
	data.CanVote = poll.Status == "open"
	data.NeedSignIn = data.CanVote && poll.Eligibility != "open" && !p.SignedIn()
	v := render.View{Title: poll.Question, Data: data, Error: form.HasErrors()}
	return pg.render.HTML(c, status, "poll/show", v)
}

// Show is the poll page.
func (pg *Pages) Show(c *fiber.Ctx) error {
	return pg.show(c, fiber.StatusOK, render.NewForm("option_ids"))
}

// Vote takes the plain form post.
func (pg *Pages) Vote(c *fiber.Ctx) error {
	id, err := pollID(c)
	if err != nil {
		return err
	}
	var ids []int64
	args := c.Request().PostArgs()
	for _, raw := range args.PeekMulti("option_ids") {
		n, perr := strconv.ParseInt(string(raw), 10, 64)
		if perr != nil {
			ids = nil
			break
		}
		ids = append(ids, n)
	}
	pt, err := pg.voter(c)
	var receipt string
	if err == nil {
		receipt, _, err = pg.svc.Vote(c.UserContext(), pt, id, ids, "")
	}
	if err != nil {
		form := render.NewForm("option_ids")
		status, ok := httpx.FormProblem(c, err, &form)
		if !ok {
			return err
		}
		return pg.show(c, status, form)
	}
	// The receipt reaches the next page in a short-lived cookie, not in the address,
	// which browser history and access logs would keep.
	c.Cookie(&fiber.Cookie{Name: receiptCookie, Value: receipt, Path: fmt.Sprintf("/ankiety/%d", id), HTTPOnly: true,
		Secure: pg.secure, SameSite: fiber.CookieSameSiteLaxMode, MaxAge: 300})
	return c.Redirect(fmt.Sprintf("/ankiety/%d#wynik", id), fiber.StatusSeeOther)
}

func check(list ReceiptList, poll Poll, receipt string) *ReceiptCheck {
	want := HashReceipt(receipt)
	rc := &ReceiptCheck{Receipt: strings.Clone(receipt)}
	for _, e := range list.Entries {
		if e.ReceiptHash != want {
			continue
		}
		rc.Found = true
		for _, id := range e.OptionIDs {
			for _, o := range poll.Options {
				if o.ID == id {
					rc.Labels = append(rc.Labels, o.Label)
				}
			}
		}
	}
	return rc
}

// receiptCookie carries a voter's receipt from the vote to the page that shows it, once.
const receiptCookie = "lawka_receipt"

// takeReceipt reads the receipt a vote just left for poll id and clears it.
func (pg *Pages) takeReceipt(c *fiber.Ctx, id int64) string {
	r := strings.Clone(c.Cookies(receiptCookie))
	if r == "" || len(r) > 64 {
		return ""
	}
	c.Cookie(&fiber.Cookie{Name: receiptCookie, Value: "", Path: fmt.Sprintf("/ankiety/%d", id), HTTPOnly: true,
		Secure: pg.secure, SameSite: fiber.CookieSameSiteLaxMode, MaxAge: -1})
	return r
}
