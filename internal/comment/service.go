package comment

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/audit"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/cursor"
	"lawka/internal/platform/db"
	"lawka/internal/platform/markdown"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
	"lawka/internal/platform/upload"
)

// Posting and voting are rate-limited per account.
var (
	postsPerAccount = ratelimit.Rule{Name: "comment:post", Limit: 10, Window: time.Minute}
	votesPerAccount = ratelimit.Rule{Name: "comment:vote", Limit: 60, Window: time.Minute}
	editsPerAccount = ratelimit.Rule{Name: "comment:edit", Limit: 20, Window: time.Minute}
)

// New is what posting a comment needs.
type New struct {
	Body     string `json:"body"`
	ParentID *int64 `json:"parent_id,omitempty"`
	Stance   string `json:"stance"`
}

// PaperNew is a comment received on paper, as a moderator enters it.
type PaperNew struct {
	Body       string
	Stance     string
	ParentID   *int64
	AuthorName string       // as written on the paper; may be empty
	Scan       *upload.File // optional
}

// draft is a checked comment ready to insert.
type draft struct {
	target     Target
	parentID   *int64
	stance     string
	body       string
	authorID   *int64
	authorName *string
	authorShow string // the author's display name, for the answer and the live message
	channel    string
	enteredBy  *int64
	scan       *upload.File
	poster     *auth.Principal // who posts online (asked of the pre-moderation gate)
}

// cleanBody trims a body, unifies line ends and checks its length and characters.
func cleanBody(body string, bad problem.Fields) string {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	switch {
	case !utf8.ValidString(body) || strings.ContainsRune(body, 0):
		bad.Add("body", "comments.body_invalid")
	case body == "":
		bad.Add("body", "comments.body_empty")
	case utf8.RuneCountInString(body) > MaxBody:
		bad.Add("body", "comments.body_too_long")
	}
	return body
}

func checkStance(stance string, bad problem.Fields) {
	if !slices.Contains(Stances, stance) {
		bad.Add("stance", "comments.stance_unknown")
	}
}

// Post adds a comment (a reply when ParentID is set) on target by p.
func (s *Service) Post(ctx context.Context, p auth.Principal, t Target, in New) (*Comment, error) {
	if err := auth.RequireActive(p); err != nil {
		return nil, err
	}
	k, err := s.kind(t.Type)
	if err != nil {
		return nil, err
	}
	if err := k.CanComment(ctx, p, t.ID); err != nil {
		return nil, err
	}
	bad := problem.Fields{}
	body := cleanBody(in.Body, bad)
	checkStance(in.Stance, bad)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	if s.limits != nil {
		if ok, wait := s.limits.Allow(ctx, postsPerAccount, idKey(p.UserID)); !ok {
			return nil, problem.TooMany(wait)
		}
	}
	uid := p.UserID
	return s.create(ctx, k, draft{target: t, parentID: in.ParentID, stance: in.Stance, body: body,
		authorID: &uid, authorShow: p.DisplayName, channel: Online, poster: &p})
}

// PostPaper enters a comment received on paper (moderators and admins), audited.
func (s *Service) PostPaper(ctx context.Context, p auth.Principal, t Target, in PaperNew) (*Comment, error) {
	if err := auth.RequireStaff(p); err != nil {
		return nil, err
	}
	k, err := s.kind(t.Type)
	if err != nil {
		return nil, err
	}
	if err := k.CanRead(ctx, p, t.ID); err != nil {
		return nil, err
	}
	bad := problem.Fields{}
	body := cleanBody(in.Body, bad)
	checkStance(in.Stance, bad)
	var name *string
	if n := strings.TrimSpace(in.AuthorName); n != "" {
		if !utf8.ValidString(n) || strings.ContainsRune(n, 0) || utf8.RuneCountInString(n) > MaxAuthorName {
			bad.Add("author_name", "comments.author_name_too_long")
		}
		name = &n
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	uid := p.UserID
	return s.create(ctx, k, draft{target: t, parentID: in.ParentID, stance: in.Stance, body: body,
		authorName: name, channel: Paper, enteredBy: &uid, scan: in.Scan})
}

// create inserts a checked comment with its counts in one transaction, then tells the
// target's viewers.
func (s *Service) create(ctx context.Context, k Commentable, d draft) (*Comment, error) {
	html := markdown.HTML(d.body)
	c := &Comment{Target: d.target, ParentID: d.parentID, Stance: d.stance, Body: d.body, BodyHTML: html,
		Status: Visible, Channel: d.channel, Mine: d.authorID != nil}
	if d.authorID != nil {
		c.Author = &Author{ID: *d.authorID, DisplayName: d.authorShow}
	}
	if d.authorName != nil {
		c.AuthorName = *d.authorName
	}
	var news News // notify hook: who hears of it
	if s.notifier != nil {
		title, err := k.Title(ctx, d.target.ID)
		if err != nil {
			return nil, err
		}
		news.Title = title
	}
	var announce func(context.Context)
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		if d.parentID != nil {
			var pt Target
			var depth int
			var root int64
			var status string
			err := tx.QueryRow(ctx, `SELECT target_type, target_id, depth, coalesce(root_id, id), status, coalesce(author_id, 0)
				FROM comments WHERE id = $1`, *d.parentID).Scan(&pt.Type, &pt.ID, &depth, &root, &status, &news.ParentAuthorID)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				return problem.Invalid(map[string]string{"parent_id": "comments.parent_missing"})
			case err != nil:
				return err
			case pt != d.target:
				return problem.Invalid(map[string]string{"parent_id": "comments.parent_elsewhere"})
			case depth >= MaxDepth:
				return problem.Invalid(map[string]string{"parent_id": "comments.too_deep"})
			case status != Visible:
				return problem.Invalid(map[string]string{"parent_id": "comments.parent_deleted"})
			}
			c.Depth, c.RootID = depth+1, &root
		}
		if d.poster != nil && s.gate != nil {
			held, err := s.gate.Hold(ctx, tx, *d.poster, d.target)
			if err != nil {
				return err
			}
			if held {
				c.Status = Pending
			}
		}
		var scanID *int64
		if d.scan != nil {
			id, err := upload.Store(ctx, tx, *d.scan, *d.enteredBy)
			if err != nil {
				return err
			}
			scanID, c.HasScan = &id, true
		}
		if err := tx.QueryRow(ctx, `INSERT INTO comments (target_type, target_id, parent_id, root_id, depth, author_id,
			author_name, stance, body, body_html, channel, entered_by, scan_file_id, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id, created_at`,
			d.target.Type, d.target.ID, d.parentID, c.RootID, c.Depth, d.authorID, d.authorName, d.stance, d.body,
			string(html), d.channel, d.enteredBy, scanID, c.Status).Scan(&c.ID, &c.CreatedAt); err != nil {
			return err
		}
		if c.RootID != nil {
			if _, err := tx.Exec(ctx, `UPDATE comments SET replies = replies + 1 WHERE id = $1`, *c.RootID); err != nil {
				return err
			}
		}
		if c.Status == Pending {
			// counted, announced and told once a moderator lets it through (moderation.go)
			announce = func(context.Context) {}
			return s.gate.Held(ctx, tx, c.ID, *d.authorID)
		}
		if err := count(ctx, tx, d.target, d.stance, d.channel, 1); err != nil {
			return err
		}
		// notify hook: the parent's author and the target's followers, in this transaction
		news.Target, news.CommentID = d.target, c.ID
		if d.authorID != nil {
			news.AuthorID = *d.authorID
		}
		ann, err := s.commented(ctx, tx, news)
		if err != nil {
			return err
		}
		announce = ann
		if d.channel == Paper {
			return audit.Write(ctx, tx, audit.Entry{ActorID: *d.enteredBy, Action: "comment.paper", TargetType: "comment",
				TargetID: c.ID, Details: map[string]any{"target_type": d.target.Type, "target_id": d.target.ID, "scan": scanID != nil}})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	announce(ctx)
	if c.Status == Visible {
		s.publish(ctx, k.Room(d.target.ID), c)
	}
	return c, nil
}

// Live is the message viewers of the target receive for a new comment ("comment.created").
type Live struct {
	ID         int64     `json:"id"`
	ParentID   *int64    `json:"parent_id"`
	RootID     *int64    `json:"root_id"`
	Depth      int       `json:"depth"`
	Stance     string    `json:"stance"`
	BodyHTML   string    `json:"body_html"`
	Author     *Author   `json:"author"`
	AuthorName string    `json:"author_name,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	Channel    string    `json:"channel"`
}

// publish tells the target's viewers; a failure is logged (the comment is saved, and
// everyone sees it on their next page load).
func (s *Service) publish(ctx context.Context, room string, c *Comment) {
	if s.pub == nil || room == "" {
		return
	}
	msg := Live{ID: c.ID, ParentID: c.ParentID, RootID: c.RootID, Depth: c.Depth, Stance: c.Stance,
		BodyHTML: string(c.BodyHTML), Author: c.Author, AuthorName: c.AuthorName, CreatedAt: c.CreatedAt, Channel: c.Channel}
	if err := s.pub.Publish(ctx, room, "comment.created", msg); err != nil {
		s.log.Warn("comment: live delivery failed", "room", room, "comment", c.ID, "error", err)
	}
}

// find reads a comment as p sees it, with its target's Commentable, after checking
// that p may read the target.
func (s *Service) find(ctx context.Context, p auth.Principal, id int64) (*Comment, Commentable, error) {
	c, err := load(ctx, s.pool, p.UserID, id)
	if err != nil {
		return nil, nil, err
	}
	k, err := s.kind(c.Target.Type)
	if err != nil {
		return nil, nil, err
	}
	if err := k.CanRead(ctx, p, c.Target.ID); err != nil {
		return nil, nil, err
	}
	return c, k, nil
}

// Get reads one comment as p sees it.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (*Comment, error) {
	c, _, err := s.find(ctx, p, id)
	return c, err
}

// Edit replaces the text of p's own comment, keeping the earlier version in its history.
// Only authors edit, while the target accepts comments.
func (s *Service) Edit(ctx context.Context, p auth.Principal, id int64, body string) (*Comment, error) {
	if err := auth.RequireActive(p); err != nil {
		return nil, err
	}
	c, k, err := s.find(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !c.Mine {
		return nil, &problem.Error{Status: 403, Code: "not_author", Key: "comments.not_author"}
	}
	if !c.Visible() {
		return nil, problem.Conflict("comment_deleted", "comments.deleted")
	}
	if err := k.CanComment(ctx, p, c.Target.ID); err != nil {
		return nil, err
	}
	bad := problem.Fields{}
	body = cleanBody(body, bad)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	// Every edit keeps a revision: a limit, so nobody fills the history by the thousand.
	if s.limits != nil {
		if ok, wait := s.limits.Allow(ctx, editsPerAccount, idKey(p.UserID)); !ok {
			return nil, problem.TooMany(wait)
		}
	}
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var old, oldHTML, status string
		var written time.Time
		if err := tx.QueryRow(ctx, `SELECT body, body_html, coalesce(edited_at, created_at), status FROM comments
			WHERE id = $1 FOR UPDATE`, id).Scan(&old, &oldHTML, &written, &status); err != nil {
			return err
		}
		if status != Visible {
			return problem.Conflict("comment_deleted", "comments.deleted")
		}
		if old == body {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO comment_revisions (comment_id, body, body_html, written_at, edited_by)
			VALUES ($1, $2, $3, $4, $5)`, id, old, oldHTML, written, p.UserID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE comments SET body = $2, body_html = $3, edited_at = now() WHERE id = $1`,
			id, body, string(markdown.HTML(body)))
		return err
	})
	if err != nil {
		return nil, err
	}
	return load(ctx, s.pool, p.UserID, id)
}

// Delete turns a comment into a tombstone: its text and history go, its replies stay.
// Authors delete their own; moderators and admins anyone's (audited). Deleting a
// deleted comment changes nothing.
func (s *Service) Delete(ctx context.Context, p auth.Principal, id int64) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	c, _, err := s.find(ctx, p, id)
	if err != nil {
		return err
	}
	if !c.Mine && !p.Staff() {
		return &problem.Error{Status: 403, Code: "not_author", Key: "comments.not_author_delete"}
	}
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var status, stance, channel string
		var scan *int64
		if err := tx.QueryRow(ctx, `SELECT status, stance, channel, scan_file_id FROM comments WHERE id = $1 FOR UPDATE`,
			id).Scan(&status, &stance, &channel, &scan); err != nil {
			return err
		}
		if status == Deleted {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE comments SET status = 'deleted', body = '', body_html = '', hidden_reason = NULL,
			author_name = NULL, scan_file_id = NULL, deleted_at = now(), deleted_by = $2 WHERE id = $1`, id, p.UserID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM comment_revisions WHERE comment_id = $1`, id); err != nil {
			return err
		}
		if scan != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM files WHERE id = $1`, *scan); err != nil {
				return err
			}
		}
		if status == Visible { // a hidden comment was taken out of the counts when it was hidden
			if err := count(ctx, tx, c.Target, stance, channel, -1); err != nil {
				return err
			}
		}
		if c.Mine {
			return nil
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "comment.delete", TargetType: "comment", TargetID: id,
			Details: map[string]any{"target_type": c.Target.Type, "target_id": c.Target.ID}})
	})
}

// Vote sets p's vote on a comment: 1 up, −1 down, 0 none. One vote per account, never
// on one's own comment. The counts change under the comment's row lock in the same
// transaction as the vote, so they stay exact however many vote at once.
func (s *Service) Vote(ctx context.Context, p auth.Principal, id int64, value int) (Votes, error) {
	if err := auth.RequireActive(p); err != nil {
		return Votes{}, err
	}
	if value < -1 || value > 1 {
		return Votes{}, problem.Invalid(map[string]string{"value": "comments.value_unknown"})
	}
	c, k, err := s.find(ctx, p, id)
	if err != nil {
		return Votes{}, err
	}
	if err := k.CanComment(ctx, p, c.Target.ID); err != nil {
		return Votes{}, err
	}
	if c.Mine {
		return Votes{}, &problem.Error{Status: 403, Code: "own_comment", Key: "comments.own_comment"}
	}
	if !c.Visible() {
		return Votes{}, problem.Conflict("comment_deleted", "comments.deleted")
	}
	if s.limits != nil {
		if ok, wait := s.limits.Allow(ctx, votesPerAccount, idKey(p.UserID)); !ok {
			return Votes{}, problem.TooMany(wait)
		}
	}
	v := Votes{ID: id, MyVote: value}
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var status string
		if err := tx.QueryRow(ctx, `SELECT status, up, down FROM comments WHERE id = $1 FOR UPDATE`, id).Scan(&status, &v.Up, &v.Down); err != nil {
			return err
		}
		if status != Visible {
			return problem.Conflict("comment_deleted", "comments.deleted")
		}
		var old int
		err := tx.QueryRow(ctx, `SELECT value FROM comment_votes WHERE comment_id = $1 AND user_id = $2`, id, p.UserID).Scan(&old)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if old == value {
			return nil
		}
		if value == 0 {
			_, err = tx.Exec(ctx, `DELETE FROM comment_votes WHERE comment_id = $1 AND user_id = $2`, id, p.UserID)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO comment_votes (comment_id, user_id, value) VALUES ($1, $2, $3)
				ON CONFLICT (comment_id, user_id) DO UPDATE SET value = excluded.value, created_at = now()`, id, p.UserID, value)
		}
		if err != nil {
			return err
		}
		du, dd := is(value == 1)-is(old == 1), is(value == -1)-is(old == -1)
		return tx.QueryRow(ctx, `UPDATE comments SET up = up + $2, down = down + $3 WHERE id = $1 RETURNING up, down`,
			id, du, dd).Scan(&v.Up, &v.Down)
	})
	v.Score = v.Up - v.Down
	return v, err
}

func is(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CheckSort refuses an unknown sort (422 naming "sort"); "" is best.
func CheckSort(sort string) (string, error) {
	if sort == "" {
		return Best, nil
	}
	if !slices.Contains(Sorts, sort) {
		return "", problem.Invalid(map[string]string{"sort": "comments.sort_unknown"})
	}
	return sort, nil
}

// Page reads one page of target's threads in sort order, continuing after cur: the
// roots, up to RepliesShown replies of each, and the viewer's own votes, in a fixed
// number of queries (two, after the target's CanRead) whatever the discussion's size.
func (s *Service) Page(ctx context.Context, p auth.Principal, t Target, sort, cur string) (Page, error) {
	k, err := s.kind(t.Type)
	if err != nil {
		return Page{}, err
	}
	if err := k.CanRead(ctx, p, t.ID); err != nil {
		return Page{}, err
	}
	return s.page(ctx, p, t, sort, cur)
}

// SinceLimit bounds one catch-up answer; a page that missed more reloads.
const SinceLimit = 100

// Since is the catch-up of a page that missed live messages: the target's visible
// comments after the comment after, oldest first, flat (at most SinceLimit).
func (s *Service) Since(ctx context.Context, p auth.Principal, t Target, after int64) (Page, error) {
	k, err := s.kind(t.Type)
	if err != nil {
		return Page{}, err
	}
	if err := k.CanRead(ctx, p, t.ID); err != nil {
		return Page{}, err
	}
	list, err := since(ctx, s.pool, p.UserID, t, after, SinceLimit)
	if list == nil {
		list = []*Comment{}
	}
	return Page{Items: list}, err
}

func (s *Service) page(ctx context.Context, p auth.Principal, t Target, sort, cur string) (Page, error) {
	sort, err := CheckSort(sort)
	if err != nil {
		return Page{}, err
	}
	after, err := cursor.Decode(cur)
	if err != nil {
		return Page{}, err
	}
	list, err := roots(ctx, s.pool, p.UserID, t, sort, after, PageSize+1)
	if err != nil {
		return Page{}, err
	}
	list, next := cursor.Page(list, PageSize, func(c *Comment) int64 { return c.ID })
	ids := make([]int64, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	replies, err := firstReplies(ctx, s.pool, p.UserID, ids, RepliesShown)
	if err != nil {
		return Page{}, err
	}
	attach(list, replies)
	pg := Page{Items: list}
	if next != 0 {
		pg.NextCursor = cursor.Encode(next)
	}
	if pg.Items == nil {
		pg.Items = []*Comment{}
	}
	return pg, nil
}

// attach hangs replies (oldest first) under their parents among roots and each other;
// it returns the replies whose parent is not there (a later page of a thread).
func attach(roots []*Comment, replies []*Comment) []*Comment {
	byID := make(map[int64]*Comment, len(roots)+len(replies))
	for _, r := range roots {
		byID[r.ID] = r
	}
	var orphans []*Comment
	for _, c := range replies {
		byID[c.ID] = c
		if parent := byID[*c.ParentID]; parent != nil {
			parent.Replies = append(parent.Replies, c)
		} else {
			orphans = append(orphans, c)
		}
	}
	shown := map[int64]int{}
	for _, c := range replies {
		shown[*c.RootID]++
	}
	for _, r := range roots {
		r.MoreReplies = max(r.ReplyCount-shown[r.ID], 0)
	}
	return orphans
}

// Summary counts target's visible comments by stance (after the target's CanRead).
func (s *Service) Summary(ctx context.Context, p auth.Principal, t Target) (Summary, error) {
	k, err := s.kind(t.Type)
	if err != nil {
		return Summary{}, err
	}
	if err := k.CanRead(ctx, p, t.ID); err != nil {
		return Summary{}, err
	}
	return summary(ctx, s.pool, t)
}

// Thread is one thread on its own page: the root and its replies from a point on.
type Thread struct {
	Target  Target
	Root    *Comment // with the replies of this page attached
	Orphans []*Comment
	// Focus is the comment the page was opened for.
	Focus      int64
	NextCursor string
	Later      bool // a page after the first
}

// Thread reads the thread that holds comment id: its root, and ThreadSize replies from
// the cursor on (replies whose parent is on an earlier page are listed as Orphans).
func (s *Service) Thread(ctx context.Context, p auth.Principal, id int64, cur string) (Thread, error) {
	c, _, err := s.find(ctx, p, id)
	if err != nil {
		return Thread{}, err
	}
	after, err := cursor.Decode(cur)
	if err != nil {
		return Thread{}, err
	}
	root := c
	if c.RootID != nil {
		if root, err = load(ctx, s.pool, p.UserID, *c.RootID); err != nil {
			return Thread{}, err
		}
	}
	replies, err := threadReplies(ctx, s.pool, p.UserID, root.ID, after, ThreadSize+1)
	if err != nil {
		return Thread{}, err
	}
	replies, next := cursor.Page(replies, ThreadSize, func(c *Comment) int64 { return c.ID })
	th := Thread{Target: c.Target, Root: root, Focus: id, Later: after != 0}
	th.Orphans = attach([]*Comment{root}, replies)
	root.MoreReplies = 0
	if next != 0 {
		th.NextCursor = cursor.Encode(next)
	}
	return th, nil
}

// History is a comment with its earlier versions, oldest first (none once deleted).
func (s *Service) History(ctx context.Context, p auth.Principal, id int64) (*Comment, []Revision, error) {
	c, _, err := s.find(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	if !c.Visible() {
		return c, nil, nil
	}
	list, err := revisions(ctx, s.pool, id)
	return c, list, err
}

// Scan is a paper comment's scan (moderators and admins).
func (s *Service) Scan(ctx context.Context, p auth.Principal, id int64) (upload.File, error) {
	if err := auth.RequireStaff(p); err != nil {
		return upload.File{}, err
	}
	return upload.LoadBy(ctx, s.pool, `SELECT scan_file_id FROM comments WHERE id = $1`, id)
}

// Title names a target (for the comment feature's own pages).
func (s *Service) Title(ctx context.Context, t Target) (string, error) {
	k, err := s.kind(t.Type)
	if err != nil {
		return "", err
	}
	return k.Title(ctx, t.ID)
}

// CanComment says whether p may comment on target now.
func (s *Service) CanComment(ctx context.Context, p auth.Principal, t Target) error {
	k, err := s.kind(t.Type)
	if err != nil {
		return err
	}
	return k.CanComment(ctx, p, t.ID)
}

func idKey(id int64) string {
	return "user:" + strconv.FormatInt(id, 10)
}
