package moderation

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
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
)

// Reports are rate-limited per account: enough for a bad evening, not for a campaign.
var reportsPerAccount = ratelimit.Rule{Name: "moderation:report", Limit: 20, Window: time.Hour}

// ReportInput is a report as a resident sends it.
type ReportInput struct {
	Item   Ref
	Reason string
	Note   string
}

// Reported is what a report did.
type Reported struct {
	CaseID int64 `json:"case_id"`
	// Hidden says the report was the one that hid the item pending review.
	Hidden bool `json:"hidden"`
}

// cleanText trims a text and checks its characters and length (max runes).
func cleanText(v string, field string, max int, bad problem.Fields) string {
	v = strings.TrimSpace(strings.ReplaceAll(v, "\r\n", "\n"))
	switch {
	case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
		bad.Add(field, "moderation.text_invalid")
	case utf8.RuneCountInString(v) > max:
		bad.Add(field, "moderation."+field+"_too_long")
	}
	return v
}

// Report records p's report of an item. One report per account and item; the report
// that brings the item to HideAfter different reporters since the last decision hides
// it until a moderator decides. The case row is locked first, so reports arriving
// together hide an item once.
func (s *Service) Report(ctx context.Context, p auth.Principal, in ReportInput) (Reported, error) {
	if err := auth.RequireActive(p); err != nil {
		return Reported{}, err
	}
	bad := problem.Fields{}
	if !slices.Contains(Reasons, in.Reason) {
		bad.Add("reason", "moderation.reason_unknown")
	}
	in.Note = cleanText(in.Note, "note", MaxNote, bad)
	if in.Reason == "other" && in.Note == "" && bad["note"] == "" {
		bad.Add("note", "moderation.note_required")
	}
	k, ok := s.kind(in.Item.Type)
	if !ok {
		bad.Add("item_type", "moderation.item_unknown")
	}
	if err := bad.Err(); err != nil {
		return Reported{}, err
	}
	if err := k.CanRead(ctx, p, in.Item.ID); err != nil {
		return Reported{}, err
	}
	it, _, err := s.item(ctx, s.pool, in.Item)
	if err != nil {
		return Reported{}, err
	}
	switch {
	case it.AuthorID == p.UserID:
		return Reported{}, &problem.Error{Status: 403, Code: "own_item", Key: "moderation.own_item"}
	case it.Visibility != Visible:
		return Reported{}, problem.Conflict("not_visible", "moderation.not_visible")
	}
	if s.Limits != nil {
		if ok, wait := s.Limits.Allow(ctx, reportsPerAccount, strconv.FormatInt(p.UserID, 10)); !ok {
			return Reported{}, problem.TooMany(wait)
		}
	}
	var out Reported
	var after []func(context.Context)
	err = db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		caseID, _, err := openCase(ctx, tx, in.Item, it.AuthorID, WhyReports)
		if err != nil {
			return err
		}
		out.CaseID = caseID
		tag, err := tx.Exec(ctx, `INSERT INTO reports (case_id, reporter_id, reason, note) VALUES ($1, $2, $3, $4)
			ON CONFLICT (case_id, reporter_id) DO NOTHING`, caseID, p.UserID, in.Reason, in.Note)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return problem.Conflict("already_reported", "moderation.already_reported")
		}
		var reporters int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM reports WHERE case_id = $1 AND reviewed_at IS NULL`, caseID).
			Scan(&reporters); err != nil {
			return err
		}
		if reporters < s.HideAfter {
			return nil
		}
		// Read again under the case's lock: a moderator may have decided meanwhile.
		now, k, err := s.item(ctx, tx, in.Item)
		if err != nil || now.Visibility != Visible {
			return err
		}
		live, err := k.SetVisibility(ctx, tx, in.Item.ID, Hidden, "")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE moderation_cases SET auto_hidden = true WHERE id = $1`, caseID); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "content.auto_hide", TargetType: in.Item.Type, TargetID: in.Item.ID,
			Details: map[string]any{"case_id": caseID, "reporters": reporters}}); err != nil {
			return err
		}
		told, err := s.decided(ctx, tx, News{CaseID: caseID, AuthorID: it.AuthorID, Item: in.Item, Title: it.Title,
			Outcome: OutcomeHiddenReports})
		if err != nil {
			return err
		}
		out.Hidden, after = true, []func(context.Context){live, told}
		return nil
	})
	if err != nil {
		return Reported{}, err
	}
	for _, f := range after {
		f(ctx)
	}
	return out, nil
}

// openCase opens (or reopens) the item's case and locks it; it returns the case's id
// and whether it was open before.
func openCase(ctx context.Context, tx pgx.Tx, ref Ref, authorID int64, why string) (int64, bool, error) {
	var id int64
	var wasOpen bool
	err := tx.QueryRow(ctx, `WITH before AS (SELECT open FROM moderation_cases WHERE item_type = $1 AND item_id = $2)
		INSERT INTO moderation_cases AS c (item_type, item_id, author_id, why) VALUES ($1, $2, nullif($3, 0), $4)
		ON CONFLICT (item_type, item_id) DO UPDATE SET
			why = CASE WHEN c.open AND c.why <> 'moderator' THEN c.why ELSE excluded.why END,
			opened_at = CASE WHEN c.open THEN c.opened_at ELSE now() END,
			open = true
		RETURNING c.id, coalesce((SELECT open FROM before), false)`, ref.Type, ref.ID, authorID, why).Scan(&id, &wasOpen)
	return id, wasOpen, err
}

// Decision is a moderator's decision on one or more items.
type Decision struct {
	Items  []Ref  `json:"items"`
	Action string `json:"action"`
	// Reason is shown publicly in place of a hidden item ("ukryte przez moderację: …")
	// and told to the author; required to hide.
	Reason string `json:"reason"`
}

// Decide hides or restores items (moderators and admins), all in one transaction: each
// item's case closes with the decision, its reports count as reviewed, the author is
// told, an audit record is written. An appeal waiting on a case is granted by a
// restore and refused by a hide. It returns how many items changed visibility.
func (s *Service) Decide(ctx context.Context, p auth.Principal, d Decision) (int, error) {
	if err := auth.RequireStaff(p); err != nil {
		return 0, err
	}
	bad := problem.Fields{}
	if d.Action != Hide && d.Action != Restore {
		bad.Add("action", "moderation.action_unknown")
	}
	d.Reason = cleanText(d.Reason, "reason", MaxReason, bad)
	if d.Action == Hide && utf8.RuneCountInString(d.Reason) < MinReason && bad["reason"] == "" {
		bad.Add("reason", "moderation.reason_required")
	}
	refs := []Ref{}
	for _, r := range d.Items {
		if _, ok := s.kind(r.Type); !ok || r.ID <= 0 {
			bad.Add("items", "moderation.item_unknown")
		} else if !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	switch {
	case len(refs) == 0 && bad["items"] == "":
		bad.Add("items", "moderation.items_required")
	case len(refs) > MaxBulk:
		bad.Add("items", "moderation.too_many_items")
	}
	if err := bad.Err(); err != nil {
		return 0, err
	}
	// One order for every decision, so two bulk decisions never lock in opposite orders.
	slices.SortFunc(refs, func(a, b Ref) int {
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	changed := 0
	var after []func(context.Context)
	err := db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		changed, after = 0, nil
		for _, ref := range refs {
			moved, fns, err := s.decideOne(ctx, tx, p, ref, d)
			if err != nil {
				return err
			}
			if moved {
				changed++
			}
			after = append(after, fns...)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, f := range after {
		f(ctx)
	}
	return changed, nil
}

func (s *Service) decideOne(ctx context.Context, tx pgx.Tx, p auth.Principal, ref Ref, d Decision) (bool, []func(context.Context), error) {
	it, k, err := s.item(ctx, tx, ref)
	if err != nil {
		return false, nil, err
	}
	caseID, _, err := openCase(ctx, tx, ref, it.AuthorID, WhyModerator)
	if err != nil {
		return false, nil, err
	}
	var appealWaiting bool
	if err := tx.QueryRow(ctx, `SELECT appeal IS NOT NULL AND appeal_outcome IS NULL FROM moderation_cases WHERE id = $1`,
		caseID).Scan(&appealWaiting); err != nil {
		return false, nil, err
	}
	// Read again now that the case is locked: this is the state the decision changes.
	if it, k, err = s.item(ctx, tx, ref); err != nil {
		return false, nil, err
	}
	to, outcome := Hidden, OutcomeHidden
	if d.Action == Restore {
		to, outcome = Visible, OutcomeRestored
		if it.Visibility == Pending {
			outcome = OutcomeApproved
		}
	}
	moved := it.Visibility != Gone && (it.Visibility != to || to == Hidden && it.HiddenReason != d.Reason)
	var fns []func(context.Context)
	if moved {
		live, err := k.SetVisibility(ctx, tx, ref.ID, to, d.Reason)
		if err != nil {
			return false, nil, err
		}
		fns = append(fns, live)
	}
	decision := map[string]string{Hide: Hidden, Restore: "restored"}[d.Action]
	if _, err := tx.Exec(ctx, `UPDATE moderation_cases SET open = false, auto_hidden = false, decision = $2,
		public_reason = nullif($3, ''), decided_by = $4, decided_at = now(),
		appeal_outcome = CASE WHEN appeal IS NOT NULL AND appeal_outcome IS NULL THEN $5 ELSE appeal_outcome END
		WHERE id = $1`, caseID, decision, d.Reason, p.UserID, map[string]string{Hide: "refused", Restore: "granted"}[d.Action]); err != nil {
		return false, nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE reports SET reviewed_at = now() WHERE case_id = $1 AND reviewed_at IS NULL`, caseID); err != nil {
		return false, nil, err
	}
	if err := audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "content." + d.Action, TargetType: ref.Type,
		TargetID: ref.ID, Reason: d.Reason, Details: map[string]any{"case_id": caseID, "from": it.Visibility, "appeal": appealWaiting}}); err != nil {
		return false, nil, err
	}
	// The author hears of a change, and of the answer to their appeal; keeping a
	// reported item as it was is not news to them.
	if !moved && appealWaiting && d.Action == Hide {
		outcome = OutcomeRefused
	} else if !moved {
		return false, fns, nil
	}
	told, err := s.decided(ctx, tx, News{CaseID: caseID, AuthorID: it.AuthorID, Item: ref, Title: it.Title,
		Outcome: outcome, Reason: d.Reason, ActorID: p.UserID})
	if err != nil {
		return false, nil, err
	}
	return moved, append(fns, told), nil
}

// Appeal is the author's one appeal against hiding their item: the case goes back to
// the queue with the author's words.
func (s *Service) Appeal(ctx context.Context, p auth.Principal, caseID int64, text string) error {
	if !p.SignedIn() {
		return problem.Unauthorized()
	}
	bad := problem.Fields{}
	text = cleanText(text, "appeal", MaxAppeal, bad)
	if utf8.RuneCountInString(text) < MinAppeal && bad["appeal"] == "" {
		bad.Add("appeal", "moderation.appeal_too_short")
	}
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var ref Ref
		var author *int64
		var appealed bool
		err := tx.QueryRow(ctx, `SELECT item_type, item_id, author_id, appeal IS NOT NULL FROM moderation_cases WHERE id = $1 FOR UPDATE`,
			caseID).Scan(&ref.Type, &ref.ID, &author, &appealed)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && (author == nil || *author != p.UserID) {
			return problem.NotFound()
		}
		if err != nil {
			return err
		}
		it, _, err := s.item(ctx, tx, ref)
		if err != nil {
			return err
		}
		switch {
		case appealed:
			return problem.Conflict("appeal_used", "moderation.appeal_used")
		case it.Visibility != Hidden:
			return problem.Conflict("not_hidden", "moderation.not_hidden")
		}
		if err := bad.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE moderation_cases SET appeal = $2, appealed_at = now(), open = true, why = 'appeal',
			opened_at = now() WHERE id = $1`, caseID, text); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{ActorID: p.UserID, Action: "content.appeal", TargetType: ref.Type,
			TargetID: ref.ID, Details: map[string]any{"case_id": caseID}})
	})
}

// Hold says whether a post by p must wait for a moderator: in a place that asks for
// pre-moderation, a person with nothing shown publicly yet (a first-time poster) waits;
// the staff never do.
func (s *Service) Hold(ctx context.Context, q db.Querier, p auth.Principal, premoderated bool) (bool, error) {
	if !premoderated || p.Staff() {
		return false, nil
	}
	for _, t := range s.Types() {
		k, _ := s.kind(t)
		shown, err := k.HasVisible(ctx, q, p.UserID)
		if err != nil || shown {
			return false, err
		}
	}
	return true, nil
}

// Held opens the case of a post that waits for a moderator, in the post's transaction.
func (s *Service) Held(ctx context.Context, tx pgx.Tx, ref Ref, authorID int64) error {
	_, _, err := openCase(ctx, tx, ref, authorID, WhyPremoderation)
	return err
}

// Entry is one case in the queue.
type Entry struct {
	CaseID     int64          `json:"case_id"`
	Item       Item           `json:"item"`
	Why        string         `json:"why"`
	OpenedAt   time.Time      `json:"opened_at"`
	AutoHidden bool           `json:"auto_hidden"`
	Reports    int            `json:"reports"`
	Reasons    map[string]int `json:"reasons"`
	Appeal     string         `json:"appeal,omitempty"`
}

// Queue is a page of open cases, oldest first, optionally only those open for why.
func (s *Service) Queue(ctx context.Context, p auth.Principal, why, cur string) ([]Entry, string, error) {
	if err := auth.RequireStaff(p); err != nil {
		return nil, "", err
	}
	if why != "" && !slices.Contains(Whys, why) {
		return nil, "", problem.Invalid(map[string]string{"why": "moderation.why_unknown"})
	}
	after, err := cursor.Decode(cur)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT c.id, c.item_type, c.item_id, c.why, c.opened_at, c.auto_hidden, coalesce(c.appeal, '')
		FROM moderation_cases c
		WHERE c.open AND ($1 = '' OR c.why = $1)
		  AND ($2 = 0 OR (c.opened_at, c.id) > (SELECT opened_at, id FROM moderation_cases WHERE id = $2))
		ORDER BY c.opened_at, c.id LIMIT $3`, why, after, QueueSize+1)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) {
		var e Entry
		err := r.Scan(&e.CaseID, &e.Item.Type, &e.Item.ID, &e.Why, &e.OpenedAt, &e.AutoHidden, &e.Appeal)
		return e, err
	})
	if err != nil {
		return nil, "", err
	}
	list, next := cursor.Page(list, QueueSize, func(e Entry) int64 { return e.CaseID })
	if err := s.fill(ctx, list); err != nil {
		return nil, "", err
	}
	if next == 0 {
		return list, "", nil
	}
	return list, cursor.Encode(next), nil
}

// fill reads the entries' items (one query per kind) and unreviewed reports (one query).
func (s *Service) fill(ctx context.Context, list []Entry) error {
	byKind := map[string][]int64{}
	cases := make([]int64, len(list))
	for i, e := range list {
		byKind[e.Item.Type] = append(byKind[e.Item.Type], e.Item.ID)
		cases[i] = e.CaseID
	}
	items := map[Ref]Item{}
	for t, ids := range byKind {
		k, ok := s.kind(t)
		if !ok {
			continue
		}
		got, err := k.Items(ctx, s.pool, ids)
		if err != nil {
			return err
		}
		for id, it := range got {
			items[Ref{t, id}] = it
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT case_id, reason, count(*)::int FROM reports
		WHERE case_id = ANY($1) AND reviewed_at IS NULL GROUP BY case_id, reason`, cases)
	if err != nil {
		return err
	}
	reasons := map[int64]map[string]int{}
	var caseID int64
	var reason string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&caseID, &reason, &n}, func() error {
		if reasons[caseID] == nil {
			reasons[caseID] = map[string]int{}
		}
		reasons[caseID][reason] = n
		return nil
	}); err != nil {
		return err
	}
	for i := range list {
		e := &list[i]
		if it, ok := items[e.Item.Ref]; ok {
			e.Item = it
		} else {
			e.Item.Visibility = Gone
		}
		e.Reasons = reasons[e.CaseID]
		if e.Reasons == nil {
			e.Reasons = map[string]int{}
		}
		for _, n := range e.Reasons {
			e.Reports += n
		}
	}
	return nil
}

// OpenCases counts the queue (for the staff's menu).
func (s *Service) OpenCases(ctx context.Context, p auth.Principal) (int, error) {
	if !p.Staff() {
		return 0, nil
	}
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM moderation_cases WHERE open`).Scan(&n)
	return n, err
}

// Report is one report as moderators see it.
type Report struct {
	Reporter  string    `json:"reporter"`
	Reason    string    `json:"reason"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
	Reviewed  bool      `json:"reviewed"`
}

// Case is an item's moderation as its page shows it. The staff see the reports; the
// author sees the decision and their appeal.
type Case struct {
	ID            int64      `json:"id"`
	Item          Item       `json:"item"`
	Open          bool       `json:"open"`
	Why           string     `json:"why"`
	AutoHidden    bool       `json:"auto_hidden"`
	OpenedAt      time.Time  `json:"opened_at"`
	Decision      string     `json:"decision,omitempty"`
	PublicReason  string     `json:"public_reason,omitempty"`
	DecidedAt     *time.Time `json:"decided_at,omitempty"`
	Appeal        string     `json:"appeal,omitempty"`
	AppealedAt    *time.Time `json:"appealed_at,omitempty"`
	AppealOutcome string     `json:"appeal_outcome,omitempty"`
	Reports       []Report   `json:"reports,omitempty"`
	// CanAppeal: the viewer is the author, the item is hidden and no appeal was made.
	CanAppeal bool `json:"can_appeal"`
	Staff     bool `json:"-"`
}

// Case reads a case for the staff or the item's author (others: not found).
func (s *Service) Case(ctx context.Context, p auth.Principal, id int64) (Case, error) {
	if !p.SignedIn() {
		return Case{}, problem.Unauthorized()
	}
	var c Case
	var author *int64
	var decision, reason, appeal, outcome *string
	err := s.pool.QueryRow(ctx, `SELECT id, item_type, item_id, author_id, open, why, auto_hidden, opened_at, decision,
		public_reason, decided_at, appeal, appealed_at, appeal_outcome FROM moderation_cases WHERE id = $1`, id).
		Scan(&c.ID, &c.Item.Type, &c.Item.ID, &author, &c.Open, &c.Why, &c.AutoHidden, &c.OpenedAt, &decision,
			&reason, &c.DecidedAt, &appeal, &c.AppealedAt, &outcome)
	mine := author != nil && *author == p.UserID
	if errors.Is(err, pgx.ErrNoRows) || err == nil && !mine && !p.Staff() {
		return Case{}, problem.NotFound()
	}
	if err != nil {
		return Case{}, err
	}
	c.Decision, c.PublicReason, c.Appeal, c.AppealOutcome = deref(decision), deref(reason), deref(appeal), deref(outcome)
	it, _, err := s.item(ctx, s.pool, c.Item.Ref)
	switch {
	case err == nil:
		c.Item = it
	case isNotFound(err):
		c.Item.Visibility = Gone
	default:
		return Case{}, err
	}
	c.CanAppeal = mine && c.Appeal == "" && c.Item.Visibility == Hidden
	c.Staff = p.Staff()
	if !c.Staff {
		return c, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT coalesce(u.display_name, ''), r.reason, r.note, r.created_at, r.reviewed_at IS NOT NULL
		FROM reports r LEFT JOIN users u ON u.id = r.reporter_id AND u.deleted_at IS NULL
		WHERE r.case_id = $1 ORDER BY r.id DESC LIMIT 200`, id)
	if err != nil {
		return Case{}, err
	}
	c.Reports, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Report])
	return c, err
}

// CaseOf finds an item's case for the staff (0 when it has none) and reads the item.
func (s *Service) CaseOf(ctx context.Context, p auth.Principal, ref Ref) (int64, Item, error) {
	if err := auth.RequireStaff(p); err != nil {
		return 0, Item{}, err
	}
	it, _, err := s.item(ctx, s.pool, ref)
	if err != nil {
		return 0, Item{}, err
	}
	var id int64
	err = s.pool.QueryRow(ctx, `SELECT id FROM moderation_cases WHERE item_type = $1 AND item_id = $2`, ref.Type, ref.ID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, it, nil
	}
	return id, it, err
}

func isNotFound(err error) bool {
	p, ok := problem.As(err)
	return ok && p.Status == 404
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
