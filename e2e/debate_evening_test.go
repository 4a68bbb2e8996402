package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// TestJourneyDebateEvening is the evening of a debate across three browsers: the
// moderator starts the debate in the console; a phone in the hall (no account) asks a
// question; the moderator approves it and puts it on screen, and the projector shows
// it; the phone upvotes another question; a poll runs (the phone votes, the projector
// shows the result); the moderator logs a promise, which the public tracker lists; and
// the archive ties the question and the promise to the agenda item they belong to. The
// phone and the projector pass axe at each step.
func TestJourneyDebateEvening(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	var id int64
	var code string
	if err := srv.Pool.QueryRow(t.Context(), `SELECT d.event_id, d.code FROM debates d WHERE d.phase = 'scheduled'
		ORDER BY d.event_id LIMIT 1`).Scan(&id, &code); err != nil {
		t.Fatal(err)
	}
	debate := srv.URL + "/debaty/" + strconv.FormatInt(id, 10)
	b := NewBrowser(t)
	mod, phone, projector := b.NewPerson("moderator"), b.NewPerson("phone"), b.NewPerson("projector")
	signIn(t, mod, srv, "moderator@example.org", seed.DemoPassword)
	phone.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait))
	if status := phone.Open(srv.URL + "/d/" + code); status != 200 {
		t.Fatalf("joining with the code: %d", status)
	}
	projector.Do(chromedp.EmulateViewport(1280, 720))
	projector.Open(debate + "/rzutnik")
	mod.Open(debate + "/konsola")
	following := `document.querySelector('[data-live-room^="debate:"]').dataset.following === "yes"`
	for _, p := range []*Person{mod, phone, projector} {
		waitFor(p, "the live connection", following)
	}

	// The moderator starts the debate.
	mod.Do(chromedp.KeyEvent("s"))
	waitFor(phone, "the debate live on the phone", `document.querySelector("[data-debate-phase]").textContent.includes("Trwa")`)
	waitFor(projector, "the debate live on the projector", `document.querySelector("[data-debate-phase]").textContent.includes("Trwa")`)
	var firstItem int64
	if err := srv.Pool.QueryRow(t.Context(), `SELECT current_item_id FROM debates WHERE event_id = $1`, id).Scan(&firstItem); err != nil {
		t.Fatal(err)
	}

	// The phone asks (the plain form: it works with or without JavaScript).
	const asked = "Kiedy w Nowej Hucie stanie ławka dialogu i kto będzie przy niej dyżurował?"
	phone.Do(chromedp.SetValue(chromedp.ID("body"), asked))
	if status := clickThrough(phone, button("Zadaj pytanie")); status != 200 {
		t.Fatalf("asking: %d", status)
	}
	CheckA11y(t, phone.Ctx, "the phone after asking")
	phone.CheckConsole("the phone after asking")
	var qid int64
	if err := srv.Pool.QueryRow(t.Context(), `SELECT id FROM debate_questions WHERE event_id = $1 AND body = $2`, id, asked).Scan(&qid); err != nil {
		t.Fatalf("the asked question is not stored: %v", err)
	}

	// The moderator sees it arrive in the queue, approves it and puts it on screen.
	approve := fmt.Sprintf(`#pytanie-%d button[value="approve"]`, qid)
	waitFor(mod, "the question in the console's queue", fmt.Sprintf(`document.querySelector(%q) !== null`, approve))
	submitBy(t, mod, approve)
	onScreen := fmt.Sprintf(`#pytanie-%d input[value="screen"] ~ button`, qid)
	waitFor(mod, "the question approved in the console", fmt.Sprintf(`document.querySelector(%q) !== null`, onScreen))
	waitFor(mod, "the console's live connection again", following)
	mod.Do(chromedp.Click(chromedp.CSS(onScreen))) // a console action: sent by the page's script
	waitFor(projector, "the question on the projector", fmt.Sprintf(`(() => { const f = document.querySelector("[data-debate-onscreen]");
		return f && !f.hidden && f.textContent.includes(%q); })()`, "ławka dialogu"))
	CheckA11y(t, projector.Ctx, "the projector with a question on screen")
	projector.CheckConsole("the projector with a question")

	// The phone upvotes another approved question, in place.
	waitFor(phone, "the approved question on the phone", fmt.Sprintf(`document.getElementById("pytanie-%d") !== null`, qid))
	up := `[data-question-list] form button[aria-pressed="false"]`
	phone.Do(chromedp.Click(chromedp.CSS(up)))
	waitFor(phone, "the upvote taken", `document.querySelector('[data-question-list] form button[aria-pressed="true"]') !== null`)
	CheckA11y(t, phone.Ctx, "the phone after upvoting")

	// A poll runs: the moderator takes the question off the screen and launches the
	// prepared poll; the phone votes, the projector shows the result.
	waitFor(mod, "the console offering to clear the screen", `!document.querySelector("[data-clear-screen]").hidden`)
	mod.Do(chromedp.Click(chromedp.CSS(`[data-clear-screen] button`)))
	waitFor(projector, "the screen cleared", `document.querySelector("[data-debate-onscreen]").hidden`)
	// The console launches from the version it shows: wait until it has the cleared state.
	waitFor(mod, "the console at the cleared state", `document.querySelector("[data-clear-screen]").hidden`)
	mod.Do(chromedp.KeyEvent("g"))
	waitFor(mod, "the poll on air in the console", `document.querySelector('[data-console-polls-list] button[value="poll_close"]') !== null`)
	waitFor(phone, "the poll on the phone", `document.querySelector("[data-debate-poll-form]") !== null`)
	phone.Do(chromedp.Click(chromedp.CSS(`[data-debate-poll-form] input[name="option_ids"]`)),
		chromedp.Click(chromedp.CSS(`[data-debate-poll-form] [data-poll-vote]`)))
	waitFor(phone, "the phone's ballot counted", `(document.querySelector("[data-debate-poll-slot] [data-total]") || {}).textContent === "1"`)
	waitFor(projector, "the poll's result on the projector", `(document.querySelector("[data-debate-poll-slot] [data-bar-value]") || {}).textContent === "1 (100%)"`)
	CheckA11y(t, phone.Ctx, "the phone with a poll")
	CheckA11y(t, projector.Ctx, "the projector with a poll's result")

	// The moderator logs a promise in a few keystrokes; the tracker lists it.
	const promise = "Ławka dialogu stanie przed urzędem dzielnicy w ciągu roku."
	mod.Do(chromedp.SetValue(chromedp.ID("promise_text"), promise))
	if status := clickThrough(mod, button("Zapisz obietnicę")); status != 200 {
		t.Fatalf("logging the promise: %d", status)
	}
	if main := Get(mod, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(main, "Obietnica zapisana") {
		t.Errorf("after logging the console says:\n%.400s", main)
	}
	if status := phone.Open(srv.URL + "/obietnice"); status != 200 {
		t.Fatalf("the tracker: %d", status)
	}
	if main := Get(phone, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(main, promise) {
		t.Errorf("the tracker does not list the promise:\n%.600s", main)
	}
	CheckA11y(t, phone.Ctx, "the promise tracker on a phone")

	// The archive puts the answered question and the promise under the first item.
	var item int64
	var moment *int64
	if err := srv.Pool.QueryRow(t.Context(), `SELECT item_id, moment_ms FROM promises WHERE event_id = $1 AND text = $2`,
		id, promise).Scan(&item, &moment); err != nil || item != firstItem || moment == nil || *moment < 0 {
		t.Errorf("the promise's item %d (want %d) and moment %v: %v", item, firstItem, moment, err)
	}
	if status := phone.Open(debate + "/archiwum"); status != 200 {
		t.Fatalf("the archive: %d", status)
	}
	section := Get(phone, chromedp.Text(chromedp.CSS(fmt.Sprintf(`section[aria-labelledby="punkt-%d"]`, firstItem))))
	if !strings.Contains(section, asked) || !strings.Contains(section, promise) {
		t.Errorf("the archive's first item does not hold the question and the promise:\n%.800s", section)
	}
	CheckA11y(t, phone.Ctx, "the debate's archive on a phone")
	phone.CheckConsole("the archive")
}

// submitBy clicks the button css in a plain form and waits for the page it loads.
func submitBy(t *testing.T, p *Person, css string) {
	t.Helper()
	res, err := chromedp.RunResponse(p.Ctx, chromedp.Click(chromedp.CSS(css)))
	if err != nil || res == nil || res.Status != 200 {
		t.Fatalf("e2e: %s: submitting with %s: %v (%v)", p.name, css, err, res)
	}
}
