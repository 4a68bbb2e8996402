package comment

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/cursor"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
	"lawka/internal/platform/upload"
)

// Pages serves the comment section that target pages include, and the comment forms,
// which work without JavaScript: posting, replying, editing, deleting, voting, entering
// a paper comment. A form with a problem comes back on its own page with an error
// summary and everything typed; a form that worked goes back to the comment on the
// target's page.
type Pages struct {
	svc    *Service
	render *render.Renderer
	// Seq is a live room's latest sequence number (nil: 0). A page shows it so that
	// its script, on subscribing, can tell whether it missed comments since.
	Seq func(ctx context.Context, room string) int64
}

// NewPages builds the pages.
func NewPages(svc *Service, r *render.Renderer) *Pages { return &Pages{svc: svc, render: r} }

// Query arguments of a target's page that choose the comments shown.
const (
	sortArg  = "komentarze"    // najlepsze, najnowsze, najstarsze
	afterArg = "komentarze_od" // the cursor of the next page
)

// sortWords are the sorts as they read in page addresses.
var sortWords = map[string]string{Best: "najlepsze", Newest: "najnowsze", Oldest: "najstarsze"}

func sortFromWord(w string) string {
	for s, word := range sortWords {
		if word == w {
			return s
		}
	}
	return Best
}

// Section is what the "comments" partial shows on a target's page.
type Section struct {
	Target  Target
	Path    string // the target's page
	Room    string
	Seq     int64 // the room's sequence number when the page was read
	Summary Summary
	Items   []*Comment
	Sort    string
	Sorts   []SortLink
	More    string // the next page of threads, "" on the last
	First   string // the first page, when this is a later one
	Form    render.Form
	// CanComment: the viewer may post here; else SignIn (visitors) or Reason (why not).
	CanComment bool
	SignIn     string
	Reason     string
	Viewer     int64
	Staff      bool
	Here       string // this page's address, to come back to after a vote
	MaxDepth   int
	Stances    []string
}

// SortLink is one of the sort choices.
type SortLink struct {
	Sort    string
	Href    string
	Current bool
}

// Section reads the comments of a target for its page: the page of threads the
// address asks for (a bad sort or cursor shows the first page by best), the stance
// summary and whether the viewer may comment, in a fixed number of queries. The
// caller has already checked that the viewer may see the target.
func (pg *Pages) Section(c *fiber.Ctx, kind string, id int64) (*Section, error) {
	ctx := c.UserContext()
	p := auth.From(c)
	k, err := pg.svc.kind(kind)
	if err != nil {
		return nil, err
	}
	t := Target{Type: kind, ID: id}
	s := &Section{Target: t, Path: k.Path(id), Room: k.Room(id), Sort: sortFromWord(c.Query(sortArg)),
		Viewer: p.UserID, Staff: p.Staff(), MaxDepth: MaxDepth, Stances: Stances, Form: render.NewForm("stance", "body"),
		Here: strings.Clone(string(c.Request().URI().RequestURI()))}
	if pg.Seq != nil { // before the comments are read: anything later has a later number
		s.Seq = pg.Seq(ctx, s.Room)
	}
	after := strings.Clone(c.Query(afterArg))
	if _, err := cursor.Decode(after); err != nil {
		after = ""
	}
	page, err := pg.svc.page(ctx, p, t, s.Sort, after)
	if err != nil {
		return nil, err
	}
	s.Items = page.Items
	if s.Summary, err = summary(ctx, pg.svc.pool, t); err != nil {
		return nil, err
	}
	switch err := k.CanComment(ctx, p, id); {
	case err == nil:
		s.CanComment = true
	case !p.SignedIn():
		s.SignIn = "/logowanie?next=" + url.QueryEscape(s.Path+"#komentarze")
	default:
		pr, ok := problem.As(err)
		if !ok {
			return nil, err
		}
		s.Reason = httpx.L(c).T(pr.Key, pr.Args...)
	}
	for _, sort := range Sorts {
		s.Sorts = append(s.Sorts, SortLink{Sort: sort, Href: s.Path + "?" + sortArg + "=" + sortWords[sort] + "#komentarze",
			Current: sort == s.Sort})
	}
	if page.NextCursor != "" {
		s.More = s.Path + "?" + sortArg + "=" + sortWords[s.Sort] + "&" + afterArg + "=" + page.NextCursor + "#komentarze"
	}
	if after != "" {
		s.First = s.Path + "?" + sortArg + "=" + sortWords[s.Sort] + "#komentarze"
	}
	return s, nil
}

// Later reports whether the section shows a page after the first (live comments then
// have no place on it).
func (s *Section) Later() bool { return s.First != "" }

// FormPage is a comment form on its own page: a new comment whose form came back with
// a problem, a reply, an edit, a paper comment.
type FormPage struct {
	Mode        string // new, reply, edit, paper
	Target      *Target
	TargetTitle string
	TargetPath  string
	Parent      *Comment // the comment replied to
	Comment     *Comment // the comment edited
	Form        render.Form
	Stances     []string
	Action      string
	Multipart   bool
}

var (
	newFields   = []string{"stance", "body"}
	paperFields = []string{"stance", "body", "author_name", "scan"}
)

// formPage renders a form page; t may be nil when the form did not say its target.
func (pg *Pages) formPage(c *fiber.Ctx, status int, fp FormPage) error {
	ctx := c.UserContext()
	l := httpx.L(c)
	fp.Stances = Stances
	if fp.Target != nil {
		if k, err := pg.svc.kind(fp.Target.Type); err == nil {
			fp.TargetPath = k.Path(fp.Target.ID)
			title, err := k.Title(ctx, fp.Target.ID)
			if err != nil {
				if pr, ok := problem.As(err); !ok || pr.Status >= 500 {
					return err
				}
			}
			fp.TargetTitle = title
		}
	}
	switch fp.Mode {
	case "reply":
		fp.Action = "/komentarze"
	case "edit":
		fp.Action = "/komentarze/" + strconv.FormatInt(fp.Comment.ID, 10) + "/edycja"
	case "paper":
		fp.Action, fp.Multipart = "/komentarze/papier", true
	default:
		fp.Action = "/komentarze"
	}
	return pg.render.HTML(c, status, "comment/form", render.View{Title: l.T("comments.title_" + fp.Mode),
		Error: fp.Form.HasErrors(), Data: fp})
}

// targetFrom reads the target of a posted form (400 when it names none).
func targetFrom(form render.Form) (*Target, error) {
	id, err := strconv.ParseInt(form.Values["target_id"], 10, 64)
	if form.Values["target_type"] == "" || err != nil || id <= 0 {
		return nil, problem.BadRequest("target_missing", "comments.target_missing")
	}
	return &Target{Type: form.Values["target_type"], ID: id}, nil
}

func optionalID(raw string) *int64 {
	if raw == "" {
		return nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		id = -1 // reported as a missing parent
	}
	return &id
}

// problemPage re-renders fp with err's problems, or hands err to the error handler
// when it is not the person's to fix.
func (pg *Pages) problemPage(c *fiber.Ctx, err error, fp FormPage) error {
	status, ok := httpx.FormProblem(c, err, &fp.Form)
	if !ok {
		return err
	}
	if msg, bad := fp.Form.Errors["parent_id"]; bad {
		// the reply's target comment is not a field: say it above the form
		delete(fp.Form.Errors, "parent_id")
		fp.Form.General = msg
	}
	return pg.formPage(c, status, fp)
}

// Post takes the comment form (a new comment or a reply) and goes back to the comment
// on the target's page.
func (pg *Pages) Post(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := auth.From(c)
	form := render.NewForm(newFields...)
	httpx.FormValues(c, &form, "target_type", "target_id", "parent_id", "stance", "body")
	fp := FormPage{Mode: "new", Form: form}
	t, err := targetFrom(form)
	var cm *Comment
	if err == nil {
		fp.Target = t
		in := New{Body: form.Values["body"], Stance: form.Values["stance"], ParentID: optionalID(form.Values["parent_id"])}
		if in.ParentID != nil {
			fp.Mode = "reply"
			fp.Parent, _ = pg.svc.Get(ctx, p, *in.ParentID)
		}
		cm, err = pg.svc.Post(ctx, p, *t, in)
	}
	if err != nil {
		return pg.problemPage(c, err, fp)
	}
	return pg.toComment(c, *t, cm.ID)
}

// ShowReply is the form to reply to a comment.
func (pg *Pages) ShowReply(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	parent, err := pg.svc.Get(ctx, auth.From(c), id)
	if err != nil {
		return err
	}
	form := render.NewForm(newFields...)
	form.Values["stance"] = Neutral
	form.Values["parent_id"] = strconv.FormatInt(id, 10)
	fp := FormPage{Mode: "reply", Target: &parent.Target, Parent: parent, Form: form}
	switch {
	case !parent.Visible():
		fp.Form.General = httpx.L(c).T("comments.parent_deleted")
	case parent.Depth >= MaxDepth:
		fp.Form.General = httpx.L(c).T("comments.too_deep")
	default:
		if err := pg.svc.CanComment(ctx, auth.From(c), parent.Target); err != nil {
			return err
		}
	}
	return pg.formPage(c, fiber.StatusOK, fp)
}

// mine reads a comment for its author's form (403 for anyone else; 409 once deleted).
func (pg *Pages) mine(ctx context.Context, p auth.Principal, id int64) (*Comment, error) {
	cm, err := pg.svc.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !cm.Mine {
		return nil, &problem.Error{Status: 403, Code: "not_author", Key: "comments.not_author"}
	}
	if !cm.Visible() {
		return nil, problem.Conflict("comment_deleted", "comments.deleted")
	}
	return cm, nil
}

// ShowEdit is the form to edit one's own comment.
func (pg *Pages) ShowEdit(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	cm, err := pg.mine(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	form := render.NewForm("body")
	form.Values["body"] = cm.Body
	return pg.formPage(c, fiber.StatusOK, FormPage{Mode: "edit", Target: &cm.Target, Comment: cm, Form: form})
}

// Edit takes the edit form.
func (pg *Pages) Edit(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p := auth.From(c)
	cm, err := pg.mine(ctx, p, id)
	if err != nil {
		return err
	}
	form := render.NewForm("body")
	httpx.FormValues(c, &form, "body")
	if _, err := pg.svc.Edit(ctx, p, id, form.Values["body"]); err != nil {
		return pg.problemPage(c, err, FormPage{Mode: "edit", Target: &cm.Target, Comment: cm, Form: form})
	}
	return pg.toComment(c, cm.Target, id)
}

// DeletePage asks before deleting a comment.
type DeletePage struct {
	Comment     *Comment
	TargetTitle string
	TargetPath  string
}

// ShowDelete asks "delete this comment?" (its author, moderators and admins).
func (pg *Pages) ShowDelete(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p := auth.From(c)
	cm, err := pg.svc.Get(ctx, p, id)
	if err != nil {
		return err
	}
	if !cm.Mine && !p.Staff() {
		return &problem.Error{Status: 403, Code: "not_author", Key: "comments.not_author_delete"}
	}
	path, _, err := pg.svc.Where(cm.Target)
	if err != nil {
		return err
	}
	title, err := pg.svc.Title(ctx, cm.Target)
	if err != nil {
		return err
	}
	return pg.render.HTML(c, fiber.StatusOK, "comment/delete", render.View{Title: httpx.L(c).T("comments.title_delete"),
		Data: DeletePage{Comment: cm, TargetTitle: title, TargetPath: path}})
}

// Delete deletes a comment and goes back to its tombstone.
func (pg *Pages) Delete(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p := auth.From(c)
	cm, err := pg.svc.Get(ctx, p, id)
	if err != nil {
		return err
	}
	if err := pg.svc.Delete(ctx, p, id); err != nil {
		return err
	}
	return pg.toComment(c, cm.Target, id)
}

// Vote takes a vote button (value 1, -1 or 0) and goes back where it was pressed; a
// script that asks for JSON gets the new counts instead.
func (pg *Pages) Vote(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p := auth.From(c)
	value, perr := strconv.Atoi(c.FormValue("value"))
	if perr != nil {
		return problem.Invalid(map[string]string{"value": "comments.value_unknown"})
	}
	v, err := pg.svc.Vote(ctx, p, id, value)
	if err != nil {
		return err
	}
	if httpx.WantsJSON(c) {
		return c.JSON(v)
	}
	cm, err := pg.svc.Get(ctx, p, id)
	if err != nil {
		return err
	}
	path, _, err := pg.svc.Where(cm.Target)
	if err != nil {
		return err
	}
	next := httpx.SafeNext(c.FormValue("next"), path)
	if i := strings.IndexByte(next, '#'); i >= 0 {
		next = next[:i]
	}
	return c.Redirect(strings.Clone(next)+"#komentarz-"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
}

// HistoryPage is a comment with its earlier versions.
type HistoryPage struct {
	Comment     *Comment
	Revisions   []Revision
	TargetTitle string
	TargetPath  string
}

// History shows a comment's edit history (whoever may read its target).
func (pg *Pages) History(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	cm, revs, err := pg.svc.History(ctx, auth.From(c), id)
	if err != nil {
		return err
	}
	path, _, err := pg.svc.Where(cm.Target)
	if err != nil {
		return err
	}
	title, err := pg.svc.Title(ctx, cm.Target)
	if err != nil {
		return err
	}
	// newest first, as people read a history
	for i, j := 0, len(revs)-1; i < j; i, j = i+1, j-1 {
		revs[i], revs[j] = revs[j], revs[i]
	}
	return pg.render.HTML(c, fiber.StatusOK, "comment/history", render.View{Title: httpx.L(c).T("comments.title_history"),
		Data: HistoryPage{Comment: cm, Revisions: revs, TargetTitle: title, TargetPath: path}})
}

// ThreadPage is one thread on its own page.
type ThreadPage struct {
	Thread      Thread
	Section     *Section // for the partial: the viewer, the address to come back to
	TargetTitle string
	TargetPath  string
	Next        string
}

// Thread shows the whole thread that holds a comment (where "more replies" lead).
func (pg *Pages) Thread(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p := auth.From(c)
	th, err := pg.svc.Thread(ctx, p, id, strings.Clone(c.Query("od")))
	if err != nil {
		return err
	}
	k, err := pg.svc.kind(th.Target.Type)
	if err != nil {
		return err
	}
	title, err := k.Title(ctx, th.Target.ID)
	if err != nil {
		return err
	}
	s := &Section{Target: th.Target, Path: k.Path(th.Target.ID), Room: k.Room(th.Target.ID), Viewer: p.UserID,
		Staff: p.Staff(), MaxDepth: MaxDepth, Here: strings.Clone(string(c.Request().URI().RequestURI())),
		CanComment: k.CanComment(ctx, p, th.Target.ID) == nil}
	page := ThreadPage{Thread: th, Section: s, TargetTitle: title, TargetPath: s.Path}
	if th.NextCursor != "" {
		page.Next = "/komentarze/" + strconv.FormatInt(th.Root.ID, 10) + "?od=" + th.NextCursor
	}
	return pg.render.HTML(c, fiber.StatusOK, "comment/thread", render.View{Title: httpx.L(c).T("comments.title_thread", "Title", title),
		Data: page})
}

// ShowPaper is the moderators' form for a comment received on paper.
func (pg *Pages) ShowPaper(c *fiber.Ctx) error {
	if err := auth.RequireStaff(auth.From(c)); err != nil {
		return err
	}
	form := render.NewForm(paperFields...)
	form.Values["target_type"], form.Values["target_id"] = strings.Clone(c.Query("target_type")), strings.Clone(c.Query("target_id"))
	t, err := targetFrom(form)
	if err != nil {
		return err
	}
	if _, err := pg.svc.kind(t.Type); err != nil {
		return err
	}
	return pg.formPage(c, fiber.StatusOK, FormPage{Mode: "paper", Target: t, Form: form})
}

// Paper takes the paper comment form (with an optional scan).
func (pg *Pages) Paper(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := auth.From(c)
	if err := auth.RequireStaff(p); err != nil {
		return err
	}
	form := render.NewForm(paperFields...)
	httpx.FormValues(c, &form, "target_type", "target_id", "parent_id", "stance", "body", "author_name")
	fp := FormPage{Mode: "paper", Form: form}
	t, err := targetFrom(form)
	var cm *Comment
	if err == nil {
		fp.Target = t
		in := PaperNew{Body: form.Values["body"], Stance: form.Values["stance"], AuthorName: form.Values["author_name"],
			ParentID: optionalID(form.Values["parent_id"])}
		in.Scan, err = upload.FromForm(c, "scan")
		if err == nil {
			cm, err = pg.svc.PostPaper(ctx, p, *t, in)
		}
	}
	if err != nil {
		return pg.problemPage(c, err, fp)
	}
	return pg.toComment(c, *t, cm.ID)
}

// Scan sends a paper comment's scan (moderators and admins).
func (pg *Pages) Scan(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	f, err := pg.svc.Scan(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return upload.Serve(c, f, "komentarz-"+strconv.FormatInt(id, 10), true, true)
}

// toComment sends the browser back to the page the comment is on, at the comment.
func (pg *Pages) toComment(c *fiber.Ctx, t Target, id int64) error {
	path, _, err := pg.svc.Where(t)
	if err != nil {
		return err
	}
	return c.Redirect(path+"#komentarz-"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
}
