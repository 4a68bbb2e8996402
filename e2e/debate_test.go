package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// TestJourneyDebateFollowedLive: a person in the hall joins with the code on a phone
// (no account), a moderator runs the console with keyboard shortcuts, and the phone and
// the projector follow each change live. The phone view, the console and the projector
// pass axe.
func TestJourneyDebateFollowedLive(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	var id int64
	var code string
	if err := srv.Pool.QueryRow(t.Context(), `SELECT d.event_id, d.code FROM debates d WHERE d.phase = 'scheduled'
		ORDER BY d.event_id LIMIT 1`).Scan(&id, &code); err != nil {
		t.Fatal(err)
	}
	// The first poll prepared for the debate in advance (seeded): G launches it.
	var prepared int64
	if err := srv.Pool.QueryRow(t.Context(), `SELECT id FROM polls WHERE debate_id = $1 AND question = $2`, id,
		seed.DemoDebatePolls[0].Question).Scan(&prepared); err != nil {
		t.Fatal(err)
	}
	b := NewBrowser(t)
	phone := b.NewPerson("phone")
	if status := phone.Open(srv.URL + "/d/" + strings.ToLower(code)); status != 200 {
		t.Fatalf("joining with the code: %d", status)
	}
	if loc := location(phone); loc.Path != "/debaty/"+strconv.FormatInt(id, 10)+"/na-zywo" {
		t.Fatalf("the code opened %s", loc)
	}
	CheckA11y(t, phone.Ctx, "the debate on a phone, before it starts")
	phone.CheckConsole("the phone view")
	projector := b.NewPerson("projector")
	projector.Open(srv.URL + "/debaty/" + strconv.FormatInt(id, 10) + "/rzutnik")
	CheckA11y(t, projector.Ctx, "the projector view")

	mod := b.NewPerson("moderator")
	signIn(t, mod, srv, "moderator@example.org", seed.DemoPassword)
	if status := mod.Open(srv.URL + "/debaty/" + strconv.FormatInt(id, 10) + "/konsola"); status != 200 {
		t.Fatalf("the console: %d", status)
	}
	CheckA11y(t, mod.Ctx, "the moderator's console")
	// The page's script has subscribed once the version it shows came over the socket.
	waitFor(phone, "the phone's live connection", `document.querySelector('[data-live-room^="debate:"]').dataset.following === "yes"`)
	waitFor(projector, "the projector's live connection", `document.querySelector('[data-live-room^="debate:"]').dataset.following === "yes"`)
	waitFor(mod, "the console's live connection", `document.querySelector('[data-live-room^="debate:"]').dataset.following === "yes"`)

	mod.Do(chromedp.KeyEvent("s")) // start
	waitFor(phone, "the debate live on the phone", `document.querySelector("[data-debate-phase]").textContent.includes("Trwa") &&
		document.querySelector("[data-debate-item]").textContent.includes("Lokale na spotkania sąsiedzkie")`)
	waitFor(mod, "the console at version 1", `document.querySelector("[data-expected-seq]").value === "1"`)
	mod.Do(chromedp.KeyEvent("2")) // the second speaker
	waitFor(mod, "the console at version 2", `document.querySelector("[data-expected-seq]").value === "2"`)
	mod.Do(chromedp.KeyEvent("t")) // the timer
	waitFor(phone, "the speaker and the running timer on the phone", `document.querySelector("[data-debate-speaker]").textContent.includes("Piotr Testowy") &&
		document.querySelector("[data-debate-timer-state]").textContent.includes("mierzony")`)
	waitFor(projector, "the speaker on the projector", `document.querySelector("[data-debate-speaker]").textContent.includes("Piotr Testowy")`)
	waitFor(mod, "the console at version 3", `document.querySelector("[data-expected-seq]").value === "3"`)
	mod.Do(chromedp.KeyEvent("n")) // the next item
	waitFor(projector, "the next item on the projector", `document.querySelector("[data-debate-item]").textContent.includes("Opłaty za sale")`)
	CheckA11y(t, phone.Ctx, "the debate on a phone, live")
	CheckA11y(t, mod.Ctx, "the console, live")
	phone.CheckConsole("the phone view, live")
	mod.CheckConsole("the console, live")

	// A question asked and approved elsewhere appears on the phone live, upvote button and all.
	asker, approver := srv.API(t), srv.API(t)
	asker.Login("resident@example.org", seed.DemoPassword)
	approver.Login("moderator@example.org", seed.DemoPassword)
	r := asker.Do(http.MethodPost, fmt.Sprintf("/api/v1/debates/%d/questions", id), map[string]any{"body": "Czy sale w domach kultury będą tańsze dla organizacji?"})
	var asked struct{ Question struct{ ID int64 } }
	r.JSON(t, &asked)
	if r = approver.Do(http.MethodPost, fmt.Sprintf("/api/v1/debates/%d/questions/%d/moderation", id, asked.Question.ID),
		map[string]any{"action": "approve"}); r.StatusCode != http.StatusOK {
		t.Fatalf("approving: %d %s", r.StatusCode, r.Body)
	}
	waitFor(phone, "the approved question on the phone", fmt.Sprintf(`(() => { const li = document.getElementById("pytanie-%d");
		return li && li.textContent.includes("tańsze dla organizacji") && li.querySelector("form button") !== null; })()`, asked.Question.ID))
	CheckA11y(t, phone.Ctx, "the phone with live questions")
	phone.CheckConsole("the phone view with live questions")

	var seq int64
	var phase string
	if err := srv.Pool.QueryRow(t.Context(), `SELECT seq, phase FROM debates WHERE event_id = $1`, id).Scan(&seq, &phase); err != nil ||
		seq != 4 || phase != "live" {
		t.Errorf("the debate is at version %d, %s (%v), want 4, live", seq, phase, err)
	}

	// The console's queue redrew itself: the question approved by another moderator is
	// there. With the focus on its star button, a new question arrives: the list redraws
	// and the focus stays on that button.
	star := fmt.Sprintf(`#pytanie-%d button[value="star"]`, asked.Question.ID)
	waitFor(mod, "the approved question in the console's queue", fmt.Sprintf(`document.querySelector(%q) !== null`, star))
	mod.Do(chromedp.Focus(chromedp.CSS(star)))
	r = asker.Do(http.MethodPost, fmt.Sprintf("/api/v1/debates/%d/questions", id), map[string]any{"body": "Czy będzie można wynająć salę na jeden wieczór?"})
	r.JSON(t, &asked)
	waitFor(mod, "the new question in the console's queue", fmt.Sprintf(`document.getElementById("pytanie-%d") !== null`, asked.Question.ID))
	waitFor(mod, "the focus kept on the star button", fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, star))
	CheckA11y(t, mod.Ctx, "the console with a live queue")

	// The phone upvotes without leaving the page: the button turns into "take it back",
	// with the focus on it.
	before := location(phone).String()
	phone.Do(chromedp.Click(chromedp.CSS(`[data-question-list] form button[aria-pressed="false"]`)))
	waitFor(phone, "the upvote taken in place", `(() => { const b = document.querySelector('[data-question-list] form button');
		return b && b.getAttribute("aria-pressed") === "true" && document.activeElement === b; })()`)
	if after := location(phone).String(); after != before {
		t.Errorf("upvoting moved the phone from %s to %s", before, after)
	}

	// The console launches the prepared poll (G); the phone votes in it and sees the
	// result, the projector shows it large; Z closes it.
	mod.Do(chromedp.KeyEvent("g"))
	waitFor(phone, "the launched poll on the phone", `(() => { const f = document.querySelector("[data-debate-poll-form]");
		return f && f.textContent.includes("Nie mam zdania") && document.querySelector("[data-poll-question]").textContent.includes("weekendy"); })()`)
	waitFor(projector, "the launched poll on the projector", `document.querySelector(".projector [data-poll-question]") !== null`)
	waitFor(mod, "the poll on air in the console", `document.querySelector('[data-console-polls-list] button[value="poll_close"]') !== null`)
	phone.Do(chromedp.Click(chromedp.CSS(`[data-debate-poll-form] input[name="option_ids"]`)),
		chromedp.Click(chromedp.CSS(`[data-debate-poll-form] [data-poll-vote]`)))
	waitFor(phone, "the ballot taken", `document.querySelector("[data-poll-voted]").textContent !== ""`)
	waitFor(phone, "the result on the phone", `(document.querySelector("[data-debate-poll-slot] [data-total]") || {}).textContent === "1"`)
	waitFor(projector, "the result on the projector", `(document.querySelector("[data-debate-poll-slot] [data-bar-value]") || {}).textContent === "1 (100%)"`)
	CheckA11y(t, phone.Ctx, "the phone with a live poll")
	CheckA11y(t, projector.Ctx, "the projector with a poll's result")
	CheckA11y(t, mod.Ctx, "the console with a poll on air")
	phone.CheckConsole("the phone view with a poll")
	projector.CheckConsole("the projector with a poll")
	mod.Do(chromedp.KeyEvent("z"))
	waitFor(phone, "the poll closed on the phone", `document.querySelector("[data-debate-poll-slot]").dataset.debatePollSlot.endsWith(":closed") &&
		document.querySelector("[data-debate-poll-form]") === null`)

	// The console lets only accounts ask and upvote: the phone (no account) says so live
	// instead of offering the forms.
	mod.Do(chromedp.SetValue(chromedp.ID("debate-eligibility"), "registered"),
		chromedp.Click(chromedp.CSS(`#pytania form.console-inline button`)))
	waitFor(phone, "the phone told to sign in", `document.querySelector('[data-debate-need="sign_in_required"]') !== null &&
		document.querySelector('#pytania textarea[name="body"]') === null && document.querySelector("[data-question-list] form") === null`)
	CheckA11y(t, phone.Ctx, "the phone of a debate for accounts")
	var ballots int
	if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM ballots WHERE poll_id = $1`, prepared).Scan(&ballots); err != nil || ballots != 1 {
		t.Errorf("ballots: %d (%v), want 1", ballots, err)
	}
}
