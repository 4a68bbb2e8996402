package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// TestJourneyAnswerConsultationWithoutJavaScript: a resident answers the consultation on
// renting rooms with JavaScript off, on a phone-sized screen. Sending it empty names the
// required questions in the error summary and keeps nothing; a draft keeps her answers;
// sending it shows the confirmation with a receipt, and PostgreSQL holds one online
// response with the receipt. The form, its errors, the confirmation and the finished
// consultation's report pass axe.
func TestJourneyAnswerConsultationWithoutJavaScript(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	var rooms, done int64
	if err := srv.Pool.QueryRow(t.Context(), `SELECT
		(SELECT id FROM consultations WHERE title LIKE 'Zasady wynajmu sal%'),
		(SELECT id FROM consultations WHERE title LIKE 'Godziny otwarcia klubów%')`).Scan(&rooms, &done); err != nil {
		t.Fatal(err)
	}
	ola := NewBrowser(t).NewPerson("resident")
	signIn(t, ola, srv, "resident@example.org", seed.DemoPassword)
	ola.DisableJavaScript()
	ola.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait))

	form := fmt.Sprintf("%s/konsultacje/%d/odpowiedz", srv.URL, rooms)
	if status := ola.Open(form); status != 200 {
		t.Fatalf("the response form: %d", status)
	}
	ola.CheckA11yWithoutJavaScript("the consultation's response form")
	if status := clickThrough(ola, button("Wyślij odpowiedzi")); status != 422 {
		t.Fatalf("sending an empty response: %d, want 422", status)
	}
	summary := Get(ola, chromedp.Text(chromedp.CSS(".error-summary")))
	for _, q := range []string{"Czy popierasz projekt zasad wynajmu sal?", "Jak oceniasz proponowane stawki"} {
		if !strings.Contains(summary, q) {
			t.Errorf("the error summary does not name the required question %q:\n%s", q, summary)
		}
	}
	ola.CheckA11yWithoutJavaScript("the response form with errors")
	ola.CheckConsole("the response form with errors")
	responses := func() (n int, status, receipt string) {
		t.Helper()
		err := srv.Pool.QueryRow(t.Context(), `SELECT count(*), coalesce(max(r.status), ''), coalesce(max(r.receipt), '')
			FROM consultation_responses r JOIN users u ON u.id = r.user_id
			WHERE r.consultation_id = $1 AND u.email = 'resident@example.org'`, rooms).Scan(&n, &status, &receipt)
		if err != nil {
			t.Fatal(err)
		}
		return n, status, receipt
	}
	if n, _, _ := responses(); n != 0 {
		t.Fatalf("an empty response was stored (%d)", n)
	}

	choose := func(role, name string) { ola.Do(chromedp.Click(role+" "+name, target{role, name}.query())) }
	choose("radio", "Raczej tak")
	choose("checkbox", "Sala spotkań do 20 osób")
	choose("radio", "4")
	// SetValue, not typed keys: the DevTools key map drops some Polish letters.
	ola.Do(chromedp.SetValue(chromedp.CSS("textarea"), "Proszę o stałe godziny dla grup sąsiedzkich we wtorki (ąćęłńóśźż)."))
	if status := clickThrough(ola, button("Zapisz wersję roboczą")); status != 200 {
		t.Fatalf("saving a draft: %d", status)
	}
	if main := Get(ola, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(main, "Wersja robocza zapisana") {
		t.Errorf("after saving the draft the page says:\n%.500s", main)
	}
	if checked := Get(ola, chromedp.Evaluate[bool](`[...document.querySelectorAll("input:checked")].map(i => i.labels[0].textContent.trim()).join("|") === "Raczej tak|Sala spotkań do 20 osób|4"`)); !checked {
		t.Error("the draft did not keep the chosen answers")
	}
	if n, status, _ := responses(); n != 1 || status != "draft" {
		t.Fatalf("after the draft: %d response(s), status %q", n, status)
	}

	if status := clickThrough(ola, button("Wyślij odpowiedzi")); status != 200 {
		t.Fatalf("sending the response: %d", status)
	}
	_, status, receipt := responses()
	if status != "submitted" || receipt == "" {
		t.Fatalf("after sending: status %q, receipt %q", status, receipt)
	}
	main := Get(ola, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(main, "Odpowiedzi wysłane") || !strings.Contains(strings.ReplaceAll(main, "-", ""), receipt) || !strings.Contains(main, "we wtorki (ąćęłńóśźż)") {
		t.Errorf("the confirmation does not show the receipt %s and the answers:\n%.800s", receipt, main)
	}
	ola.CheckA11yWithoutJavaScript("the confirmation with the receipt")
	ola.CheckConsole("the response form")

	report := fmt.Sprintf("%s/konsultacje/%d/raport", srv.URL, done)
	if status := ola.Open(report); status != 200 {
		t.Fatalf("the finished consultation's report: %d", status)
	}
	ola.CheckA11yWithoutJavaScript("a consultation's report on a phone")
	if svg := Get(ola, chromedp.Evaluate[int](`document.querySelectorAll("svg.chart").length`)); svg == 0 {
		t.Error("the report shows no chart")
	}
}
