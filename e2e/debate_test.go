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
}
