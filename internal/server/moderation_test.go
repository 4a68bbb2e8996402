package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"lawka/internal/server/servertest"
)

type moderationCaseJSON struct {
	ID   int64
	Item struct {
		Type         string
		ID           int64
		Visibility   string
		HiddenReason string `json:"hidden_reason"`
	}
	Open          bool
	Why           string
	Decision      string
	PublicReason  string `json:"public_reason"`
	Appeal        string
	AppealOutcome string `json:"appeal_outcome"`
	CanAppeal     bool   `json:"can_appeal"`
	Reports       []struct{ Reason string }
}

type queueJSON struct {
	Items []struct {
		CaseID     int64 `json:"case_id"`
		Why        string
		AutoHidden bool `json:"auto_hidden"`
		Reports    int
		Reasons    map[string]int
		Item       struct {
			Type       string
			ID         int64
			Visibility string
		}
	}
}

// of keeps the queue's entries of one item (the seed's demo cases are in the queue too).
func (q queueJSON) of(typ string, id int64) queueJSON {
	out := queueJSON{Items: q.Items[:0:0]}
	for _, e := range q.Items {
		if e.Item.Type == typ && e.Item.ID == id {
			out.Items = append(out.Items, e)
		}
	}
	return out
}

func report(a *servertest.API, typ string, id int64, reason string) servertest.Response {
	return a.Do(http.MethodPost, "/api/v1/reports", map[string]any{"item_type": typ, "item_id": id, "reason": reason})
}

func decide(t *testing.T, a *servertest.API, action, reason string, items ...[2]any) servertest.Response {
	t.Helper()
	list := []map[string]any{}
	for _, it := range items {
		list = append(list, map[string]any{"type": it[0], "id": it[1]})
	}
	return a.Do(http.MethodPost, "/api/v1/moderation/decisions", map[string]any{"items": list, "action": action, "reason": reason})
}

func queue(t *testing.T, a *servertest.API, why string) queueJSON {
	t.Helper()
	r := a.Do(http.MethodGet, "/api/v1/moderation/queue?why="+why, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("queue: %d %s", r.StatusCode, r.Body)
	}
	var q queueJSON
	r.JSON(t, &q)
	return q
}

func getCase(t *testing.T, a *servertest.API, id int64) moderationCaseJSON {
	t.Helper()
	r := a.Do(http.MethodGet, fmt.Sprintf("/api/v1/moderation/cases/%d", id), nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("case %d: %d %s", id, r.StatusCode, r.Body)
	}
	var out struct{ Case moderationCaseJSON }
	r.JSON(t, &out)
	return out.Case
}

// TestReportsHideACommentOnceAndAModeratorRestoresIt: three different people report a
// comment at the same moment; exactly one report hides it (one audit record, one
// notification to its author); it leaves the counts and shows as hidden, pending
// review; a moderator restores it from the queue and everything is as before.
func TestReportsHideACommentOnceAndAModeratorRestoresIt(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	marta := signedInAPI(t, s, "marta.sasiadka@example.org")
	p := testProposal(t, s, marta, "Ławka przy przystanku")
	c := postComment(t, marta, p, map[string]any{"body": "Komentarz, który ktoś uzna za spam.", "stance": "for"})
	before := count(t, s, `SELECT comments FROM comment_stats WHERE target_type = 'proposal' AND target_id = $1`, p)
	seeded := count(t, s, `SELECT count(*) FROM reports`) // the demo cases' reports

	// Bad reports change nothing.
	if r := report(marta, "comment", c.ID, "spam"); r.StatusCode != http.StatusForbidden || apiErr(t, r).Code != "own_item" {
		t.Fatalf("own report: %d %s", r.StatusCode, r.Body)
	}
	ola := signedInAPI(t, s, "resident@example.org")
	for _, bad := range []map[string]any{
		{"item_type": "comment", "item_id": c.ID, "reason": "boring"},
		{"item_type": "comment", "item_id": c.ID, "reason": "other"},
		{"item_type": "poll", "item_id": c.ID, "reason": "spam"},
		{"item_type": "comment", "item_id": c.ID, "reason": "spam", "note": strings.Repeat("x", 1001)},
	} {
		if r := ola.Do(http.MethodPost, "/api/v1/reports", bad); r.StatusCode != http.StatusUnprocessableEntity || len(apiErr(t, r).Fields) == 0 {
			t.Fatalf("report %v: %d %s", bad, r.StatusCode, r.Body)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM reports`); n != seeded {
		t.Fatalf("%d reports saved from bad input", n)
	}

	reporters := []*servertest.API{ola, signedInAPI(t, s, "anna.mieszkanka@example.org"), signedInAPI(t, s, "advocate@example.org")}
	var wg sync.WaitGroup
	hid := make([]bool, len(reporters))
	for i, a := range reporters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := report(a, "comment", c.ID, []string{"spam", "spam", "off_topic"}[i])
			if r.StatusCode != http.StatusCreated {
				t.Errorf("report %d: %d %s", i, r.StatusCode, r.Body)
				return
			}
			var out struct{ Report struct{ Hidden bool } }
			r.JSON(t, &out)
			hid[i] = out.Report.Hidden
		}()
	}
	wg.Wait()
	hidden := 0
	for _, h := range hid {
		if h {
			hidden++
		}
	}
	if hidden != 1 {
		t.Fatalf("%d reports say they hid the comment, want exactly 1", hidden)
	}
	if r := report(ola, "comment", c.ID, "spam"); r.StatusCode != http.StatusConflict {
		t.Fatalf("second report by the same person: %d %s", r.StatusCode, r.Body)
	}
	if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action = 'content.auto_hide' AND target_id = $1`, c.ID); n != 1 {
		t.Fatalf("%d auto-hide audit records", n)
	}
	if n := count(t, s, `SELECT count(*) FROM notifications WHERE kind = 'content.moderated' AND user_id =
		(SELECT id FROM users WHERE email = 'marta.sasiadka@example.org')`); n != 1 {
		t.Fatalf("the author got %d moderation notifications, want 1", n)
	}
	visitor := s.API(t)
	list := listComments(t, visitor, p, "")
	if len(list.Items) != 1 || list.Items[0].Status != "hidden" || list.Items[0].Body != "" || list.Items[0].Author != nil {
		t.Fatalf("a hidden comment as a visitor sees it: %+v", list.Items)
	}
	if got := count(t, s, `SELECT comments FROM comment_stats WHERE target_type = 'proposal' AND target_id = $1`, p); got != before-1 {
		t.Fatalf("comments counted %d after hiding, want %d", got, before-1)
	}
	page := s.Browser(t).Get(fmt.Sprintf("/propozycje/%d", p))
	if !strings.Contains(page.Body, tr("pl", "comments.hidden_reported")) || strings.Contains(page.Body, "ktoś uzna za spam") {
		t.Fatal("the page does not show the hidden comment's placeholder, or still shows its text")
	}

	mod := signedInAPI(t, s, "moderator@example.org")
	q := queue(t, mod, "reports").of("comment", c.ID)
	if len(q.Items) != 1 || q.Items[0].Item.ID != c.ID || q.Items[0].Reports != 3 || q.Items[0].Reasons["spam"] != 2 ||
		!q.Items[0].AutoHidden || q.Items[0].Item.Visibility != "hidden" {
		t.Fatalf("queue: %+v", q.Items)
	}
	if r := decide(t, ola, "restore", "", [2]any{"comment", c.ID}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a resident decides: %d", r.StatusCode)
	}
	if r := decide(t, mod, "restore", "", [2]any{"comment", c.ID}); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `"changed":1`) {
		t.Fatalf("restore: %d %s", r.StatusCode, r.Body)
	}
	if list := listComments(t, visitor, p, ""); list.Items[0].Status != "visible" || list.Items[0].Body == "" {
		t.Fatalf("restored comment: %+v", list.Items[0])
	}
	if got := count(t, s, `SELECT comments FROM comment_stats WHERE target_type = 'proposal' AND target_id = $1`, p); got != before {
		t.Fatalf("comments counted %d after restoring, want %d", got, before)
	}
	if q := queue(t, mod, "").of("comment", c.ID); len(q.Items) != 0 {
		t.Fatalf("queue after the decision: %+v", q.Items)
	}
	if n := count(t, s, `SELECT count(*) FROM reports r JOIN moderation_cases mc ON mc.id = r.case_id
		WHERE mc.item_type = 'comment' AND mc.item_id = $1 AND r.reviewed_at IS NULL`, c.ID); n != 0 {
		t.Fatalf("%d reports left unreviewed", n)
	}
	if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action = 'content.restore' AND target_id = $1`, c.ID); n != 1 {
		t.Fatalf("%d restore audit records", n)
	}
}

// TestHiddenProposalShowsItsReasonAndTheAuthorAppealsOnce: a moderator hides a proposal
// with a public reason; the public sees the reason in its place and nothing else; the
// author still reads it and appeals once; the appeal returns to the queue and a refusal
// is told to the author.
func TestHiddenProposalShowsItsReasonAndTheAuthorAppealsOnce(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	marta := signedInAPI(t, s, "marta.sasiadka@example.org")
	p := testProposal(t, s, marta, "Ogłoszenie firmy remontowej")
	mod := signedInAPI(t, s, "moderator@example.org")

	r := decide(t, mod, "hide", "", [2]any{"proposal", p})
	if r.StatusCode != http.StatusUnprocessableEntity || apiErr(t, r).Fields["reason"] == "" {
		t.Fatalf("hide without a reason: %d %s", r.StatusCode, r.Body)
	}
	if n := count(t, s, `SELECT count(*) FROM proposals WHERE id = $1 AND moderation = 'visible'`, p); n != 1 {
		t.Fatal("a refused decision changed the proposal")
	}
	reason := "reklama usług, nie propozycja dla dzielnicy"
	if r := decide(t, mod, "hide", reason, [2]any{"proposal", p}); r.StatusCode != http.StatusOK {
		t.Fatalf("hide: %d %s", r.StatusCode, r.Body)
	}
	visitor := s.API(t)
	if r := visitor.Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d", p), nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("a visitor reads a hidden proposal: %d", r.StatusCode)
	}
	if r := visitor.Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d/comments", p), nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("a visitor reads a hidden proposal's comments: %d", r.StatusCode)
	}
	page := s.Browser(t).Get(fmt.Sprintf("/propozycje/%d", p))
	if page.StatusCode != http.StatusNotFound || !strings.Contains(page.Body, tr("pl", "proposals.hidden_reason", "Reason", reason)) ||
		strings.Contains(page.Body, "Ogłoszenie firmy") {
		t.Fatalf("the hidden proposal's page: %d %s", page.StatusCode, page.Title())
	}
	if r := visitor.Do(http.MethodGet, "/api/v1/proposals?q=remontowej", nil); strings.Contains(r.Body, "remontowej") {
		t.Fatal("a hidden proposal is listed")
	}
	own := marta.Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d", p), nil)
	if own.StatusCode != http.StatusOK || !strings.Contains(own.Body, `"moderation":"hidden"`) || !strings.Contains(own.Body, reason) {
		t.Fatalf("the author reads their hidden proposal: %d %s", own.StatusCode, own.Body)
	}

	caseID := int64(scalar[int64](t, s, `SELECT id FROM moderation_cases WHERE item_type = 'proposal' AND item_id = $1`, p))
	if c := getCase(t, marta, caseID); !c.CanAppeal || c.PublicReason != reason || len(c.Reports) != 0 {
		t.Fatalf("the author's view of the case: %+v", c)
	}
	ola := signedInAPI(t, s, "resident@example.org")
	if r := ola.Do(http.MethodGet, fmt.Sprintf("/api/v1/moderation/cases/%d", caseID), nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("someone else reads the case: %d", r.StatusCode)
	}
	appeal := func(a *servertest.API, text string) servertest.Response {
		return a.Do(http.MethodPost, fmt.Sprintf("/api/v1/moderation/cases/%d/appeal", caseID), map[string]any{"text": text})
	}
	if r := appeal(ola, "To nie jest reklama, tylko propozycja."); r.StatusCode != http.StatusNotFound {
		t.Fatalf("someone else appeals: %d", r.StatusCode)
	}
	if r := appeal(marta, "za krótko"); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a too short appeal: %d %s", r.StatusCode, r.Body)
	}
	if r := appeal(marta, "To propozycja remontu świetlicy, nie reklama."); r.StatusCode != http.StatusOK {
		t.Fatalf("appeal: %d %s", r.StatusCode, r.Body)
	}
	if r := appeal(marta, "Jeszcze raz proszę o przywrócenie."); r.StatusCode != http.StatusConflict || apiErr(t, r).Code != "appeal_used" {
		t.Fatalf("a second appeal: %d %s", r.StatusCode, r.Body)
	}
	if q := queue(t, mod, "appeal"); len(q.Items) != 1 || q.Items[0].CaseID != caseID {
		t.Fatalf("appeals in the queue: %+v", q.Items)
	}
	if r := decide(t, mod, "hide", reason, [2]any{"proposal", p}); r.StatusCode != http.StatusOK {
		t.Fatalf("refuse the appeal: %d %s", r.StatusCode, r.Body)
	}
	if c := getCase(t, marta, caseID); c.AppealOutcome != "refused" || c.Open || c.CanAppeal {
		t.Fatalf("the case after the refusal: %+v", c)
	}
	if n := count(t, s, `SELECT count(*) FROM notifications WHERE kind = 'content.moderated' AND target_id = $1
		AND data->>'outcome' = 'appeal_refused'`, caseID); n != 1 {
		t.Fatalf("%d refusal notifications", n)
	}
}

// TestBulkDecisionIsAllOrNothing: a decision on several items hides them all, or, when
// one of them does not exist, none.
func TestBulkDecisionIsAllOrNothing(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	marta := signedInAPI(t, s, "marta.sasiadka@example.org")
	p := testProposal(t, s, marta, "Dużo spamu pod propozycją")
	a := postComment(t, marta, p, map[string]any{"body": "Pierwszy wpis do ukrycia.", "stance": "neutral"})
	b := postComment(t, marta, p, map[string]any{"body": "Drugi wpis do ukrycia.", "stance": "neutral"})
	mod := signedInAPI(t, s, "moderator@example.org")
	if r := decide(t, mod, "hide", "spam reklamowy", [2]any{"comment", a.ID}, [2]any{"comment", b.ID}, [2]any{"comment", 99999999}); r.StatusCode != http.StatusNotFound {
		t.Fatalf("a decision with a missing item: %d %s", r.StatusCode, r.Body)
	}
	if n := count(t, s, `SELECT count(*) FROM comments WHERE status = 'hidden' AND id = ANY($1)`, []int64{a.ID, b.ID}); n != 0 {
		t.Fatalf("%d comments hidden by a refused decision", n)
	}
	if r := decide(t, mod, "hide", "spam reklamowy", [2]any{"comment", a.ID}, [2]any{"comment", b.ID}); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `"changed":2`) {
		t.Fatalf("bulk hide: %d %s", r.StatusCode, r.Body)
	}
	if n := count(t, s, `SELECT count(*) FROM comments WHERE status = 'hidden' AND hidden_reason = 'spam reklamowy'`); n != 2 {
		t.Fatalf("%d comments hidden", n)
	}
	if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action = 'content.hide' AND reason = 'spam reklamowy'`); n != 2 {
		t.Fatalf("%d audit records", n)
	}
}

// TestBlockedAccountReadsButWritesNothing: a moderator blocks a resident, whose open
// session can then read but not comment, support or report; unblocked, they can.
func TestBlockedAccountReadsButWritesNothing(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	marta := signedInAPI(t, s, "marta.sasiadka@example.org")
	p := testProposal(t, s, marta, "Propozycja pod okiem moderacji")
	ola := signedInAPI(t, s, "resident@example.org")
	olaID := scalar[int64](t, s, `SELECT id FROM users WHERE email = 'resident@example.org'`)
	mod := signedInAPI(t, s, "moderator@example.org")
	blockURL := fmt.Sprintf("/api/v1/admin/users/%d/block", olaID)

	if r := mod.Do(http.MethodPost, blockURL, map[string]any{}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("block without a reason: %d %s", r.StatusCode, r.Body)
	}
	if r := ola.Do(http.MethodPost, fmt.Sprintf("/api/v1/admin/users/%d/block", scalar[int64](t, s,
		`SELECT id FROM users WHERE email = 'anna.mieszkanka@example.org'`)), map[string]any{"reason": "test"}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a resident blocks someone: %d", r.StatusCode)
	}
	admin := scalar[int64](t, s, `SELECT id FROM users WHERE email = 'admin@example.org'`)
	if r := mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/admin/users/%d/block", admin), map[string]any{"reason": "test"}); r.StatusCode != http.StatusConflict {
		t.Fatalf("a moderator blocks an admin: %d %s", r.StatusCode, r.Body)
	}
	if r := mod.Do(http.MethodPost, blockURL, map[string]any{"reason": "obraźliwe komentarze mimo ostrzeżeń"}); r.StatusCode != http.StatusOK {
		t.Fatalf("block: %d %s", r.StatusCode, r.Body)
	}
	blocked := func(r servertest.Response, what string) {
		t.Helper()
		if r.StatusCode != http.StatusForbidden || apiErr(t, r).Code != "account_blocked" {
			t.Fatalf("%s while blocked: %d %s", what, r.StatusCode, r.Body)
		}
	}
	blocked(ola.Do(http.MethodPost, fmt.Sprintf("/api/v1/proposals/%d/comments", p), map[string]any{"body": "Nadal tu jestem.", "stance": "against"}), "comment")
	blocked(ola.Do(http.MethodPost, fmt.Sprintf("/api/v1/proposals/%d/support", p), nil), "support")
	blocked(ola.Do(http.MethodPost, "/api/v1/proposals", map[string]any{"title": "Nowa propozycja", "neighbourhood_id": districtID(t, s, "podgorze"),
		"body": "Treść, której zablokowana osoba nie opublikuje."}), "proposal")
	blocked(report(ola, "proposal", p, "spam"), "report")
	var poll struct {
		Poll struct {
			ID      int64
			Options []struct{ ID int64 }
		}
	}
	mod.Do(http.MethodPost, "/api/v1/polls", map[string]any{"question": "Czy zablokowani głosują?", "kind": "single",
		"options": []string{"Tak", "Nie"}, "eligibility": "registered"}).JSON(t, &poll)
	mustOK(t, mod.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/open", poll.Poll.ID), nil))
	blocked(ola.Do(http.MethodPost, fmt.Sprintf("/api/v1/polls/%d/votes", poll.Poll.ID), map[string]any{"option_ids": []int64{poll.Poll.Options[0].ID}}), "poll vote")
	if r := ola.Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d", p), nil); r.StatusCode != http.StatusOK {
		t.Fatalf("a blocked person reads: %d", r.StatusCode)
	}
	if r := mod.Do(http.MethodDelete, blockURL, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("unblock: %d %s", r.StatusCode, r.Body)
	}
	postComment(t, ola, p, map[string]any{"body": "Już mogę pisać.", "stance": "neutral"})
	if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action IN ('user.block', 'user.unblock') AND target_id = $1`, olaID); n != 2 {
		t.Fatalf("%d block audit records", n)
	}
}

// TestPremoderationHoldsFirstTimePosters: with pre-moderation on in a district, a new
// participant's first proposal and comment wait for a moderator, seen by them alone;
// once a moderator approves, everyone sees them, the counts include them, and the
// person's next post is published at once.
func TestPremoderationHoldsFirstTimePosters(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	podgorze := districtID(t, s, "podgorze")
	admin := s.Browser(t)
	admin.SignIn("admin@example.org", demoPassword)
	if r := admin.Submit("/admin/dzielnice", "/admin/premoderacja", url.Values{"kind": {"district"},
		"id": {strconv.FormatInt(podgorze, 10)}, "on": {"yes"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch pre-moderation on: %d %s", r.StatusCode, r.Title())
	}

	newcomer := s.API(t)
	if r := newcomer.Do(http.MethodPost, "/api/v1/auth/register", register("nowa.osoba@example.org", "dlugie-haslo-2026", "Nowa Osoba")); r.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %s", r.StatusCode, r.Body)
	}
	newcomer.Login("nowa.osoba@example.org", "dlugie-haslo-2026")
	held := newProposal(t, newcomer, map[string]any{"title": "Pierwsza propozycja nowej osoby", "neighbourhood_id": podgorze,
		"body": "Proszę o kosze na śmieci przy ławkach na Rynku Podgórskim."})
	if n := count(t, s, `SELECT count(*) FROM proposals WHERE id = $1 AND moderation = 'pending'`, held.ID); n != 1 {
		t.Fatal("a first-time poster's proposal was not held")
	}
	visitor := s.API(t)
	if r := visitor.Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d", held.ID), nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("a visitor reads a held proposal: %d", r.StatusCode)
	}
	if r := newcomer.Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d", held.ID), nil); r.StatusCode != http.StatusOK {
		t.Fatalf("the author reads their held proposal: %d", r.StatusCode)
	}

	marta := signedInAPI(t, s, "marta.sasiadka@example.org")
	p := testProposal(t, s, marta, "Propozycja w dzielnicy z pre-moderacją") // marta has posted before: not held
	if n := count(t, s, `SELECT count(*) FROM proposals WHERE id = $1 AND moderation = 'visible'`, p); n != 1 {
		t.Fatal("a known poster's proposal was held")
	}
	c := postComment(t, newcomer, p, map[string]any{"body": "Mój pierwszy komentarz tutaj.", "stance": "for"})
	if c.Status != "pending" {
		t.Fatalf("a first-time poster's comment: %+v", c)
	}
	if list := listComments(t, visitor, p, ""); len(list.Items) != 0 {
		t.Fatalf("a visitor sees a held comment: %+v", list.Items)
	}
	if list := listComments(t, newcomer, p, ""); len(list.Items) != 1 || list.Items[0].Body == "" {
		t.Fatalf("the author does not see their held comment: %+v", list.Items)
	}
	if n := count(t, s, `SELECT coalesce((SELECT comments FROM comment_stats WHERE target_type = 'proposal' AND target_id = $1), 0)`, p); n != 0 {
		t.Fatalf("a held comment is counted: %d", n)
	}

	mod := signedInAPI(t, s, "moderator@example.org")
	q := queue(t, mod, "premoderation")
	if len(q.Items) != 2 {
		t.Fatalf("held items in the queue: %+v", q.Items)
	}
	if r := decide(t, mod, "restore", "", [2]any{"proposal", held.ID}, [2]any{"comment", c.ID}); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `"changed":2`) {
		t.Fatalf("approve: %d %s", r.StatusCode, r.Body)
	}
	if r := visitor.Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d", held.ID), nil); r.StatusCode != http.StatusOK {
		t.Fatalf("an approved proposal: %d", r.StatusCode)
	}
	if list := listComments(t, visitor, p, ""); len(list.Items) != 1 || list.Items[0].Status != "visible" {
		t.Fatalf("an approved comment: %+v", list.Items)
	}
	if n := count(t, s, `SELECT comments FROM comment_stats WHERE target_type = 'proposal' AND target_id = $1`, p); n != 1 {
		t.Fatalf("an approved comment counted %d times", n)
	}
	if next := postComment(t, newcomer, p, map[string]any{"body": "Drugi komentarz, już bez czekania.", "stance": "for"}); next.Status != "visible" {
		t.Fatalf("a known poster's next comment: %+v", next)
	}
	if n := count(t, s, `SELECT count(*) FROM notifications WHERE kind = 'content.moderated' AND data->>'outcome' = 'approved'`); n != 2 {
		t.Fatalf("%d approval notifications", n)
	}
}

// TestReportFormAndQueuePages: the report form works without JavaScript and thanks
// the reporter; the moderator's queue and case pages show the item; the author's case
// page offers the appeal.
func TestReportFormAndQueuePages(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	marta := signedInAPI(t, s, "marta.sasiadka@example.org")
	p := testProposal(t, s, marta, "Propozycja ze zgłoszonym komentarzem")
	c := postComment(t, marta, p, map[string]any{"body": "Komentarz <em>do zgłoszenia</em> przez formularz.", "stance": "against"})

	ola := s.Browser(t)
	ola.SignIn("resident@example.org", demoPassword)
	form := fmt.Sprintf("/zglos?typ=comment&id=%d", c.ID)
	if r := ola.Submit(form, "/zglos", url.Values{"typ": {"comment"}, "id": {strconv.FormatInt(c.ID, 10)}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, tr("pl", "moderation.reason_unknown")) {
		t.Fatalf("a report without a reason: %d %s", r.StatusCode, r.Title())
	}
	r := ola.Submit(form, "/zglos", url.Values{"typ": {"comment"}, "id": {strconv.FormatInt(c.ID, 10)}, "reason": {"abuse"}, "note": {"Obraźliwe."}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, tr("pl", "moderation.reported_text")) {
		t.Fatalf("report: %d %s", r.StatusCode, r.Title())
	}

	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", demoPassword)
	q := mod.Get("/moderacja")
	if q.StatusCode != http.StatusOK || !strings.Contains(q.Body, "do zgłoszenia") || !strings.Contains(q.Body, tr("pl", "moderation.reason_abuse")) {
		t.Fatalf("queue page: %d %s", q.StatusCode, q.Title())
	}
	r = mod.Submit("/moderacja", "/moderacja/decyzje", url.Values{"item": {fmt.Sprintf("comment:%d", c.ID)}, "action": {"hide"},
		"reason": {"obraźliwy język"}, "next": {"/moderacja"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("hide from the queue: %d %s", r.StatusCode, r.Title())
	}
	page := s.Browser(t).Get(fmt.Sprintf("/propozycje/%d", p))
	if !strings.Contains(page.Body, tr("pl", "comments.hidden_reason", "Reason", "obraźliwy język")) {
		t.Fatal("the public reason is not shown in place of the comment")
	}
	caseID := scalar[int64](t, s, `SELECT id FROM moderation_cases WHERE item_type = 'comment' AND item_id = $1`, c.ID)
	author := s.Browser(t)
	author.SignIn("marta.sasiadka@example.org", demoPassword)
	casePage := author.Get(fmt.Sprintf("/moderacja/sprawy/%d", caseID))
	if casePage.StatusCode != http.StatusOK || !strings.Contains(casePage.Body, `action="/moderacja/sprawy/`) || strings.Contains(casePage.Body, "Obraźliwe.") {
		t.Fatalf("the author's case page (no reports shown, an appeal form): %d %s", casePage.StatusCode, casePage.Title())
	}
}
