package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// setText replaces a field's value as if typed (the page's input listeners hear it).
func setText(p *Person, id, text string) {
	p.t.Helper()
	Get(p, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const f = document.getElementById(%s); f.value = %s;
		f.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`, jsString(id), jsString(text))))
}

// TestJourneyResponseMergeAndCosign: two advocates open one section of the coalition's
// response in two browsers (each sees the other on the document, live). The first
// saves; the second's save is refused with the merge view — the saved text beside
// hers, hers still in the field; she merges and saves. The edit asks the co-signers to
// confirm again, and the first advocate's organisation confirms; the PDF downloads.
// Every page passes axe.
func TestJourneyResponseMergeAndCosign(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	var docID, secID int64
	if err := srv.Pool.QueryRow(t.Context(), `SELECT d.id, s.id FROM response_documents d JOIN response_sections s ON s.document_id = d.id
		WHERE s.title = 'Rezerwacja i godziny' ORDER BY d.id LIMIT 1`).Scan(&docID, &secID); err != nil {
		t.Fatalf("the seeded response: %v", err)
	}
	doc := fmt.Sprintf("%s/stanowiska/%d", srv.URL, docID)
	edit := fmt.Sprintf("%s/sekcje/%d", doc, secID)
	b := NewBrowser(t)
	ewa := b.NewPersonWithin("advocate", 3*Timeout)
	tomek := b.NewPersonWithin("other advocate", 3*Timeout)
	signIn(t, ewa, srv, "advocate@example.org", seed.DemoPassword)
	signIn(t, tomek, srv, "klub.nowahuta@example.org", seed.DemoPassword)

	// Ewa reads the document; Tomek opens the section to edit: she sees him there.
	if status := ewa.Open(doc); status != 200 {
		t.Fatalf("the document: %d", status)
	}
	CheckA11y(t, ewa.Ctx, "a coalition response in review")
	if status := tomek.Open(edit); status != 200 {
		t.Fatalf("the edit form: %d", status)
	}
	waitFor(ewa, "Tomek shown editing the section", `(() => { const p = document.querySelector("[data-presence]");
		return p && !p.hidden && p.textContent.includes("Tomasz Demo") && p.textContent.includes("Rezerwacja i godziny"); })()`)
	CheckA11y(t, tomek.Ctx, "the section edit form")

	// Ewa opens the same section and saves first.
	if status := ewa.Open(edit); status != 200 {
		t.Fatalf("Ewa's edit form: %d", status)
	}
	first := "Rezerwacja przez internet i telefonicznie. Sale otwarte do 22:00."
	setText(ewa, "body", first)
	if status := clickThrough(ewa, button("Zapisz sekcję")); status != 200 {
		t.Fatalf("Ewa's save: %d", status)
	}
	// Tomek's page hears that the section changed under him.
	waitFor(tomek, "the notice that someone saved the section", `!document.querySelector("[data-changed]").hidden`)

	// Tomek saves his text, based on the old version: the merge view, nothing lost.
	mine := "Rezerwacja przez internet. Sale otwarte także w soboty."
	setText(tomek, "body", mine)
	if status := clickThrough(tomek, button("Zapisz sekcję")); status != 409 {
		t.Fatalf("Tomek's stale save: %d, want 409", status)
	}
	state := Get(tomek, chromedp.Evaluate[map[string]any](`({
		saved: document.querySelector("[data-merge-saved]").textContent,
		yours: document.querySelector("[data-merge-yours]").textContent,
		field: document.getElementById("body").value,
		focus: document.activeElement && document.activeElement.hasAttribute("data-error-summary"),
		title: document.title,
	})`))
	if state["saved"] != first || state["yours"] != mine || state["field"] != mine || state["focus"] != true ||
		!strings.HasPrefix(state["title"].(string), "Błąd:") {
		t.Fatalf("the merge view: %v", state)
	}
	CheckA11y(t, tomek.Ctx, "the merge view after a stale save")
	tomek.CheckConsole("the merge view")
	merged := "Rezerwacja przez internet i telefonicznie. Sale otwarte do 22:00 i w soboty."
	setText(tomek, "body", merged)
	if status := clickThrough(tomek, button("Zapisz połączony tekst")); status != 200 {
		t.Fatalf("saving the merged text: %d", status)
	}
	waitFor(tomek, "the merged text on the document", fmt.Sprintf(`document.getElementById("sekcja-%d").textContent.includes("do 22:00 i w soboty")`, secID))

	// The edit asks the co-signers to confirm again; Ewa confirms for her organisation.
	if status := ewa.Open(doc); status != 200 {
		t.Fatalf("the document again: %d", status)
	}
	again := "Potwierdź ponownie w imieniu: Stowarzyszenie Sąsiedzi z Podgórza (demo)"
	if status := clickThrough(ewa, button(again)); status != 200 {
		t.Fatalf("confirming again: %d", status)
	}
	waitFor(ewa, "the signature confirmed", `document.querySelector("#podpisy").textContent.includes("Organizacja Stowarzyszenie Sąsiedzi z Podgórza (demo) podpisała")`)
	CheckA11y(t, ewa.Ctx, "the response after co-signing")
	ewa.CheckConsole("the response after co-signing")
	var statuses []string
	rows, err := srv.Pool.Query(t.Context(), `SELECT status FROM response_cosignatures WHERE document_id = $1 ORDER BY signed_at`, docID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		statuses = append(statuses, s)
	}
	rows.Close()
	if strings.Join(statuses, ",") != "to_confirm,signed" {
		t.Errorf("co-signatures after the edit and one confirmation: %v", statuses)
	}
	// The PDF downloads: the page's link, fetched with Ewa's session as the browser
	// would, brings a PDF with the text and the signatories.
	pdf := Get(ewa, chromedp.Evaluate[string](`(async () => {
  const a = [...document.querySelectorAll("a[download]")].find(a => a.textContent.trim() === "Pobierz jako PDF");
  if (!a) return "no link";
  const r = await fetch(a.href);
  const head = new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5));
  return r.status + " " + r.headers.get("content-type") + " " + head + " " + (r.headers.get("content-disposition") || "");
})()`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(pdf, "200 application/pdf %PDF-") || !strings.Contains(pdf, "stanowisko-") {
		t.Errorf("the PDF link: %s", pdf)
	}
}

// TestJourneyResponseCommentByKeyboard: without a mouse, an advocate comments on a
// passage (the form is a plain form, with or without JavaScript): Tab to the section list, arrow to the section, type
// the passage and the comment, Enter. A passage that is not in the text gets a clear
// error by its field; the comment then stands under its section with the passage.
func TestJourneyResponseCommentByKeyboard(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	var docID int64
	if err := srv.Pool.QueryRow(t.Context(), `SELECT min(id) FROM response_documents`).Scan(&docID); err != nil {
		t.Fatal(err)
	}
	b := NewBrowser(t)
	ewa := b.NewPersonWithin("advocate", 2*Timeout)
	signIn(t, ewa, srv, "advocate@example.org", seed.DemoPassword)
	doc := fmt.Sprintf("%s/stanowiska/%d", srv.URL, docID)
	if status := ewa.Open(doc); status != 200 {
		t.Fatalf("the document: %d", status)
	}
	fill := func(passage, comment string) {
		tabTo(t, ewa, "the section list", `document.activeElement && document.activeElement.id === "comment_section"`)
		if Get(ewa, chromedp.Evaluate[string](`document.getElementById("comment_section").selectedOptions[0].text`)) != "Stawki i ulgi" {
			ewa.Do(chromedp.KeyEvent(kb.ArrowDown))
		}
		tabTo(t, ewa, "the passage field", `document.activeElement && document.activeElement.id === "quote"`)
		ewa.Do(chromedp.KeyEvent(passage))
		tabTo(t, ewa, "the comment field", `document.activeElement && document.activeElement.id === "comment"`)
		ewa.Do(chromedp.KeyEvent(comment))
		tabTo(t, ewa, "the comment button", `document.activeElement && document.activeElement.textContent.trim() === "Dodaj uwagę"`)
	}
	fill("kaucja, której nie ma", "Sprawdźmy to.")
	res, err := chromedp.RunResponse(ewa.Ctx, chromedp.KeyEvent("\r"))
	if err != nil || res == nil || res.Status != 422 {
		t.Fatalf("a passage that is not in the text: %v (%v)", res, err)
	}
	state := Get(ewa, chromedp.Evaluate[map[string]any](`({
		summary: document.querySelector(".error-summary a[href='#quote']") !== null,
		message: (document.getElementById("quote-error") || {}).textContent || "",
		kept: document.getElementById("comment").value,
		section: document.getElementById("comment_section").selectedOptions[0].text,
	})`))
	if state["summary"] != true || !strings.Contains(state["message"].(string), "Tego fragmentu nie ma") || state["kept"] != "Sprawdźmy to." ||
		state["section"] != "Stawki i ulgi" {
		t.Fatalf("the error page: %v", state)
	}
	CheckA11y(t, ewa.Ctx, "the response with a comment form error")
	setText(ewa, "quote", "")
	setText(ewa, "comment", "")
	fill("Kaucja 500 zł", "Dodajmy, ile organizacji o tym pisało.")
	pressEnter(t, ewa, "adding the comment")
	u := location(ewa)
	if !strings.HasPrefix(u.Fragment, "uwaga-") {
		t.Fatalf("after commenting: %s", u)
	}
	ok := Get(ewa, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const li = document.getElementById(%s);
		return li && li.closest("section").querySelector("h2").textContent === "Stawki i ulgi" &&
			li.querySelector("blockquote").textContent === "Kaucja 500 zł" && li.textContent.includes("ile organizacji o tym pisało"); })()`,
		jsString(u.Fragment))))
	if !ok {
		t.Fatal("the comment is not under its section with its passage")
	}
	CheckA11y(t, ewa.Ctx, "the response with a new comment")
}

// TestJourneyResponseDraftKept: text typed into a section and not saved stays in the
// browser; opening the section again offers it back, restored with the keyboard.
func TestJourneyResponseDraftKept(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	var docID, secID int64
	if err := srv.Pool.QueryRow(t.Context(), `SELECT d.id, s.id FROM response_documents d JOIN response_sections s ON s.document_id = d.id
		ORDER BY d.id, s.position LIMIT 1`).Scan(&docID, &secID); err != nil {
		t.Fatal(err)
	}
	edit := fmt.Sprintf("%s/stanowiska/%d/sekcje/%d", srv.URL, docID, secID)
	ewa := NewBrowser(t).NewPersonWithin("advocate", 2*Timeout)
	signIn(t, ewa, srv, "advocate@example.org", seed.DemoPassword)
	if status := ewa.Open(edit); status != 200 {
		t.Fatalf("the edit form: %d", status)
	}
	draft := "Szkic, którego nikt jeszcze nie zapisał: ławki w każdym domu kultury."
	setText(ewa, "body", draft)
	waitFor(ewa, "the draft kept in the browser", fmt.Sprintf(`Object.keys(localStorage).some(k => k.startsWith("lawka:response:%d:%d") &&
		localStorage.getItem(k).includes("ławki w każdym"))`, docID, secID))
	if status := ewa.Open(edit); status != 200 {
		t.Fatalf("the edit form again: %d", status)
	}
	waitFor(ewa, "the offer of the draft", `!document.querySelector("[data-draft-notice]").hidden &&
		document.querySelector("[data-draft-text]").textContent.startsWith("Masz niezapisany szkic")`)
	if Get(ewa, chromedp.Evaluate[string](`document.getElementById("body").value`)) == draft {
		t.Fatal("the draft replaced the saved text before being asked for")
	}
	CheckA11y(t, ewa.Ctx, "the edit form offering a draft")
	tabTo(t, ewa, "the restore button", `document.activeElement && document.activeElement.hasAttribute("data-draft-restore")`)
	ewa.Do(chromedp.KeyEvent("\r"))
	waitFor(ewa, "the draft restored", fmt.Sprintf(`document.getElementById("body").value === %s && document.activeElement.id === "body"`, jsString(draft)))
	ewa.CheckConsole("the edit form with a restored draft")
}
