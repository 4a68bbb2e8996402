package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// consultationFixture is a published consultation open for responses, made through the
// API by the demo moderator, with one question of each kind.
type consultationFixture struct {
	id                                     int64
	path                                   string // /api/v1/consultations/{id}
	single, multiple, scale, ranking, text int64  // question ids
	singleLabels                           []string
	mod                                    *servertest.API
}

// newConsultation creates the fixture; eligibility is registered, verified or members.
// The single choice and the scale are required, the rest optional.
func newConsultation(t *testing.T, s *servertest.Running, eligibility string) consultationFixture {
	t.Helper()
	mod := s.API(t)
	mod.Login("moderator@example.org", seed.DemoPassword)
	now := time.Now()
	in := map[string]any{
		"title": "Zasady wynajmu sal (test)", "organiser_kind": "city", "organiser": "Wydział Kultury i Dziedzictwa Narodowego",
		"description": "Projekt **zasad**.", "eligibility": eligibility, "status": "published",
		"opens_at": now.Add(-time.Hour).Format(time.RFC3339), "closes_at": now.Add(10 * 24 * time.Hour).Format(time.RFC3339),
		"report_at": now.Add(20 * 24 * time.Hour).Format(time.RFC3339),
		"questions": []map[string]any{
			{"kind": "single", "prompt": "Czy popierasz projekt?", "required": true, "options": []string{"Tak", "Nie", "Nie mam zdania"}},
			{"kind": "multiple", "prompt": "Które sale są potrzebne?", "options": []string{"Sala duża", "Sala mała", "Pracownia"}},
			{"kind": "scale", "prompt": "Jak oceniasz obecne opłaty?", "required": true},
			{"kind": "ranking", "prompt": "Uszereguj priorytety", "options": []string{"Cena", "Godziny", "Dostępność"}},
			{"kind": "text", "prompt": "Co jeszcze chcesz powiedzieć?", "max_length": 200},
		},
	}
	r := mod.Do(http.MethodPost, "/api/v1/consultations", in)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("creating a consultation: %d %s", r.StatusCode, r.Body)
	}
	var body struct {
		Consultation struct {
			ID        int64 `json:"id"`
			Questions []struct {
				ID      int64  `json:"id"`
				Kind    string `json:"kind"`
				Options []struct {
					Label string `json:"label"`
				} `json:"options"`
			} `json:"questions"`
		} `json:"consultation"`
	}
	r.JSON(t, &body)
	f := consultationFixture{id: body.Consultation.ID, mod: mod,
		path: "/api/v1/consultations/" + strconv.FormatInt(body.Consultation.ID, 10)}
	for _, q := range body.Consultation.Questions {
		switch q.Kind {
		case "single":
			f.single = q.ID
			for _, o := range q.Options {
				f.singleLabels = append(f.singleLabels, o.Label)
			}
		case "multiple":
			f.multiple = q.ID
		case "scale":
			f.scale = q.ID
		case "ranking":
			f.ranking = q.ID
		case "text":
			f.text = q.ID
		}
	}
	if f.single == 0 || f.multiple == 0 || f.scale == 0 || f.ranking == 0 || f.text == 0 {
		t.Fatalf("the consultation lacks a kind of question: %s", r.Body)
	}
	return f
}

// page is the consultation's HTML page.
func (f consultationFixture) page() string { return "/konsultacje/" + strconv.FormatInt(f.id, 10) }

// answers writes the API's answers: single option, scale value, text ("" leaves out).
func (f consultationFixture) answers(single, scale int, text string) map[string]any {
	a := map[string]any{}
	if single > 0 {
		a[strconv.FormatInt(f.single, 10)] = map[string]any{"choices": []int{single}}
	}
	if scale > 0 {
		a[strconv.FormatInt(f.scale, 10)] = map[string]any{"scale": scale}
	}
	if text != "" {
		a[strconv.FormatInt(f.text, 10)] = map[string]any{"text": text}
	}
	return a
}

// setPhase moves the consultation's dates so that it is in phase now.
func (f consultationFixture) setPhase(t *testing.T, s *servertest.Running, phase string) {
	t.Helper()
	dates := map[string][3]string{
		"open":     {"-1 day", "10 days", "20 days"},
		"analysis": {"-10 days", "-1 minute", "10 days"},
		"report":   {"-20 days", "-10 days", "-1 minute"},
	}[phase]
	if _, err := s.Pool.Exec(context.Background(), `UPDATE consultations SET opens_at = now() + $2::interval,
		closes_at = now() + $3::interval, report_at = now() + $4::interval WHERE id = $1`, f.id, dates[0], dates[1], dates[2]); err != nil {
		t.Fatal(err)
	}
}

type apiResponse struct {
	ID          int64                      `json:"id"`
	Channel     string                     `json:"channel"`
	Status      string                     `json:"status"`
	Receipt     string                     `json:"receipt"`
	Answers     map[string]json.RawMessage `json:"answers"`
	SubmittedAt *time.Time                 `json:"submitted_at"`
}

func decodeResponse(t *testing.T, r servertest.Response) apiResponse {
	t.Helper()
	var body struct {
		Response apiResponse `json:"response"`
	}
	r.JSON(t, &body)
	return body.Response
}

func (f consultationFixture) counts(t *testing.T, s *servertest.Running) (responses, answers int) {
	t.Helper()
	return count(t, s, `SELECT count(*) FROM consultation_responses WHERE consultation_id = $1`, f.id),
		count(t, s, `SELECT count(*) FROM consultation_answers a JOIN consultation_responses r ON r.id = a.response_id
			WHERE r.consultation_id = $1`, f.id)
}

// TestConsultationConcurrentSubmitsGiveOneResponse: the same participant submits twice
// at the same moment; exactly one response exists, one call creates it (201) and the
// other is refused as a second response (409), never a second row.
func TestConsultationConcurrentSubmitsGiveOneResponse(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	f := newConsultation(t, s, "registered")
	api := s.API(t)
	api.Login("resident@example.org", seed.DemoPassword)
	body, err := json.Marshal(map[string]any{"answers": f.answers(1, 4, "Tańsze sale."), "submit": true})
	if err != nil {
		t.Fatal(err)
	}
	const n = 2
	start := make(chan struct{})
	var wg sync.WaitGroup
	statuses := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest(http.MethodPost, s.URL+f.path+"/response", bytes.NewReader(body))
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+api.Token)
			<-start
			resp, err := api.Client.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := map[int]int{}
	for _, st := range statuses {
		got[st]++
	}
	if got[http.StatusCreated] != 1 || got[http.StatusConflict] != 1 {
		t.Errorf("two submits at once answered %v, want one 201 and one 409", statuses)
	}
	responses, answers := f.counts(t, s)
	if responses != 1 || answers != 3 {
		t.Errorf("%d responses with %d answers saved, want 1 with 3", responses, answers)
	}
	if n := count(t, s, `SELECT count(*) FROM consultation_responses WHERE consultation_id = $1 AND status = 'submitted'
		AND receipt IS NOT NULL`, f.id); n != 1 {
		t.Errorf("%d submitted responses with a receipt", n)
	}
}

// TestConsultationDraftThenSubmitAndReceipt: a draft may miss required answers and is
// not counted; submitting it gives a receipt (and a mail with it), which the public
// receipt page confirms to anyone while a made-up code is not found.
func TestConsultationDraftThenSubmitAndReceipt(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	f := newConsultation(t, s, "registered")
	api := s.API(t)
	api.Login("resident@example.org", seed.DemoPassword)

	r := api.Do(http.MethodPost, f.path+"/response", map[string]any{"answers": f.answers(0, 0, "Pierwsza myśl"), "submit": false})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("saving a draft: %d %s", r.StatusCode, r.Body)
	}
	if d := decodeResponse(t, r); d.Status != "draft" || d.Receipt != "" || d.SubmittedAt != nil {
		t.Errorf("the draft: %+v", d)
	}
	r = api.Do(http.MethodGet, f.path+"/response", nil)
	if d := decodeResponse(t, r); r.StatusCode != http.StatusOK || d.Status != "draft" ||
		!strings.Contains(string(d.Answers[strconv.FormatInt(f.text, 10)]), "Pierwsza myśl") {
		t.Fatalf("reading the draft back: %d %s", r.StatusCode, r.Body)
	}
	if n := count(t, s, `SELECT count(*) FROM consultation_responses WHERE consultation_id = $1 AND status = 'submitted'`, f.id); n != 0 {
		t.Errorf("a draft counts as %d submitted responses", n)
	}

	r = api.Do(http.MethodPatch, f.path+"/response", map[string]any{"answers": f.answers(2, 3, "Druga myśl"), "submit": true})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("submitting the draft: %d %s", r.StatusCode, r.Body)
	}
	sub := decodeResponse(t, r)
	if sub.Status != "submitted" || sub.Receipt == "" || sub.SubmittedAt == nil {
		t.Fatalf("the submitted response: %+v", sub)
	}
	if responses, _ := f.counts(t, s); responses != 1 {
		t.Errorf("%d responses after draft and submit", responses)
	}
	mails := s.Mail(t, "resident@example.org")
	if len(mails) == 0 || !strings.Contains(mails[0].Body, sub.Receipt) {
		t.Errorf("no mail with the receipt %s: %+v", sub.Receipt, mails)
	}

	anon := s.Browser(t)
	r = anon.Get(f.page() + "/pokwitowanie?kod=" + url.QueryEscape(strings.ToLower(sub.Receipt)))
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "To potwierdzenie należy do odpowiedzi, która jest liczona") {
		t.Errorf("checking the receipt: %d\n%s", r.StatusCode, authzSnippet(r.Body))
	}
	r = anon.Get(f.page() + "/pokwitowanie?kod=AAAA-BBBB-CCCC-DDDD")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Nie znaleźliśmy odpowiedzi z tym potwierdzeniem") {
		t.Errorf("a made-up receipt: %d\n%s", r.StatusCode, authzSnippet(r.Body))
	}
}

// TestConsultationEditableUntilTheClose: a submitted response changes until the close
// (same receipt, same submission time, new answers); after the close changes and new
// responses are refused with 409 and nothing changes.
func TestConsultationEditableUntilTheClose(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	f := newConsultation(t, s, "registered")
	api := s.API(t)
	api.Login("resident@example.org", seed.DemoPassword)
	r := api.Do(http.MethodPost, f.path+"/response", map[string]any{"answers": f.answers(1, 2, ""), "submit": true})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("submitting: %d %s", r.StatusCode, r.Body)
	}
	first := decodeResponse(t, r)
	r = api.Do(http.MethodPatch, f.path+"/response", map[string]any{"answers": f.answers(3, 5, "Po namyśle"), "submit": true})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("editing before the close: %d %s", r.StatusCode, r.Body)
	}
	edited := decodeResponse(t, r)
	if edited.Receipt != first.Receipt || !edited.SubmittedAt.Equal(*first.SubmittedAt) || edited.Status != "submitted" {
		t.Errorf("an edit changed the receipt or the submission: %+v, then %+v", first, edited)
	}
	scale := func() int {
		return count(t, s, `SELECT a.scale FROM consultation_answers a WHERE a.question_id = $1`, f.scale)
	}
	if v := scale(); v != 5 {
		t.Fatalf("the scale answer is %d after the edit, want 5", v)
	}

	f.setPhase(t, s, "analysis")
	r = api.Do(http.MethodPatch, f.path+"/response", map[string]any{"answers": f.answers(1, 1, ""), "submit": true})
	if r.StatusCode != http.StatusConflict || apiErr(t, r).Code != "consultation_closed" {
		t.Errorf("editing after the close: %d %s", r.StatusCode, r.Body)
	}
	if v := scale(); v != 5 {
		t.Errorf("the refused edit changed the scale answer to %d", v)
	}
	other := s.API(t)
	other.Login("anna.mieszkanka@example.org", seed.DemoPassword)
	r = other.Do(http.MethodPost, f.path+"/response", map[string]any{"answers": f.answers(1, 1, ""), "submit": true})
	if r.StatusCode != http.StatusConflict {
		t.Errorf("a new response after the close: %d %s", r.StatusCode, r.Body)
	}
	if responses, _ := f.counts(t, s); responses != 1 {
		t.Errorf("%d responses after the refused ones", responses)
	}
	b := s.Browser(t)
	b.SignIn("resident@example.org", seed.DemoPassword)
	if r = b.Get(f.page() + "/odpowiedz"); r.StatusCode != http.StatusConflict {
		t.Errorf("the form after the close: %d", r.StatusCode)
	}
}

// TestConsultationBadAnswersAre422 sends answers that must be refused: each time 422
// naming the question's field, and no response nor answer saved (a valid answer sent
// alongside is not saved either).
func TestConsultationBadAnswersAre422(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	f := newConsultation(t, s, "registered")
	api := s.API(t)
	api.Login("resident@example.org", seed.DemoPassword)
	key := func(id int64) string { return strconv.FormatInt(id, 10) }
	field := func(id int64) string { return "q" + key(id) }
	with := func(extra map[string]any) map[string]any {
		a := f.answers(1, 3, "Poprawna odpowiedź")
		for k, v := range extra {
			a[k] = v
		}
		return a
	}
	cases := []struct {
		name    string
		answers map[string]any
		submit  bool
		fields  []string
	}{
		{"required missing", f.answers(0, 0, "Tylko tekst"), true, []string{field(f.single), field(f.scale)}},
		{"unknown question", with(map[string]any{"999999": map[string]any{"text": "?"}}), false, []string{"q999999"}},
		{"ranking with duplicates", with(map[string]any{key(f.ranking): map[string]any{"choices": []int{1, 1, 2}}}), true, []string{field(f.ranking)}},
		{"ranking with a gap", with(map[string]any{key(f.ranking): map[string]any{"choices": []int{1, 3}}}), true, []string{field(f.ranking)}},
		{"option out of range", with(map[string]any{key(f.multiple): map[string]any{"choices": []int{4}}}), false, []string{field(f.multiple)}},
		{"scale out of range", f.answers(1, 6, ""), true, []string{field(f.scale)}},
		{"text too long", f.answers(1, 3, strings.Repeat("ż", 201)), true, []string{field(f.text)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			beforeR, beforeA := f.counts(t, s)
			r := api.Do(http.MethodPost, f.path+"/response", map[string]any{"answers": tc.answers, "submit": tc.submit})
			if r.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", r.StatusCode, r.Body)
			}
			e := apiErr(t, r)
			for _, name := range tc.fields {
				if e.Fields[name] == "" {
					t.Errorf("the error does not name %s: %+v", name, e)
				}
			}
			if afterR, afterA := f.counts(t, s); afterR != beforeR || afterA != beforeA {
				t.Errorf("saved anyway: responses %d → %d, answers %d → %d", beforeR, afterR, beforeA, afterA)
			}
		})
	}

	// The HTML form sends a ranking as each option's rank: two options ranked first.
	b := s.Browser(t)
	b.SignIn("resident@example.org", seed.DemoPassword)
	b.Get(f.page() + "/odpowiedz")
	rn := func(opt int) string { return fmt.Sprintf("q%d_%d", f.ranking, opt) }
	r := b.Post(f.page()+"/odpowiedz", url.Values{field(f.single): {"1"}, field(f.scale): {"3"},
		rn(1): {"1"}, rn(2): {"1"}, rn(3): {"2"}, "action": {"submit"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="`+field(f.ranking)+`-error"`) {
		t.Errorf("the form with a duplicate rank: %d\n%s", r.StatusCode, authzSnippet(r.Body))
	}
	if responses, answers := f.counts(t, s); responses != 0 || answers != 0 {
		t.Errorf("bad answers left %d responses and %d answers", responses, answers)
	}
}

// TestConsultationVerifiedOnly: a consultation for verified residents refuses a
// resident who is not verified (403, nothing saved) and takes a verified one.
func TestConsultationVerifiedOnly(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	f := newConsultation(t, s, "verified")
	if v := scalar[bool](t, s, `SELECT verified_at IS NOT NULL FROM users WHERE email = 'anna.mieszkanka@example.org'`); v {
		t.Fatal("the demo account anna.mieszkanka is verified; the test needs one that is not")
	}
	anna := s.API(t)
	anna.Login("anna.mieszkanka@example.org", seed.DemoPassword)
	r := anna.Do(http.MethodPost, f.path+"/response", map[string]any{"answers": f.answers(1, 3, ""), "submit": true})
	if r.StatusCode != http.StatusForbidden || apiErr(t, r).Code != "not_eligible" {
		t.Errorf("a resident who is not verified: %d %s", r.StatusCode, r.Body)
	}
	b := s.Browser(t)
	b.SignIn("anna.mieszkanka@example.org", seed.DemoPassword)
	if r = b.Get(f.page() + "/odpowiedz"); r.StatusCode != http.StatusForbidden {
		t.Errorf("the form for a resident who is not verified: %d", r.StatusCode)
	}
	if responses, _ := f.counts(t, s); responses != 0 {
		t.Fatalf("%d responses saved for someone not eligible", responses)
	}
	jan := s.API(t)
	jan.Login("resident@example.org", seed.DemoPassword)
	if r = jan.Do(http.MethodPost, f.path+"/response", map[string]any{"answers": f.answers(1, 3, ""), "submit": true}); r.StatusCode != http.StatusCreated {
		t.Errorf("a verified resident: %d %s", r.StatusCode, r.Body)
	}
}

// TestConsultationPaperEntryAndCheck: a moderator types in a paper form (counted at
// once, channel paper, who entered it kept); they may not check their own entry (409,
// still unchecked); a second moderator's check is recorded and audited.
func TestConsultationPaperEntryAndCheck(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	f := newConsultation(t, s, "registered")
	r := f.mod.Do(http.MethodPost, f.path+"/paper", map[string]any{"answers": f.answers(2, 4, "Z formularza"), "note": "urna w DK"})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("typing in a paper form: %d %s", r.StatusCode, r.Body)
	}
	paper := decodeResponse(t, r)
	if paper.Channel != "paper" || paper.Status != "submitted" || paper.Receipt == "" {
		t.Errorf("the paper response: %+v", paper)
	}
	if n := count(t, s, `SELECT count(*) FROM consultation_responses r JOIN users u ON u.id = r.entered_by
		WHERE r.id = $1 AND u.email = 'moderator@example.org' AND r.checked_by IS NULL AND r.user_id IS NULL`, paper.ID); n != 1 {
		t.Errorf("the paper response does not record who entered it")
	}
	resident := s.API(t)
	resident.Login("resident@example.org", seed.DemoPassword)
	if r = resident.Do(http.MethodPost, f.path+"/paper", map[string]any{"answers": f.answers(1, 1, "")}); r.StatusCode != http.StatusForbidden {
		t.Errorf("a resident typing in paper: %d", r.StatusCode)
	}

	check := fmt.Sprintf("/admin/konsultacje/%d/papier/%d/sprawdzone", f.id, paper.ID)
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", seed.DemoPassword)
	mod.Get(fmt.Sprintf("/admin/konsultacje/%d/papier", f.id))
	if r = mod.Post(check, nil); r.StatusCode != http.StatusConflict {
		t.Errorf("the same moderator checking their own entry: %d", r.StatusCode)
	}
	if n := count(t, s, `SELECT count(*) FROM consultation_responses WHERE id = $1 AND checked_by IS NULL`, paper.ID); n != 1 {
		t.Fatal("the entry was checked by the one who typed it in")
	}
	admin := s.Browser(t)
	admin.SignIn("admin@example.org", seed.DemoPassword)
	r = admin.Get(fmt.Sprintf("/admin/konsultacje/%d/papier", f.id))
	if !strings.Contains(r.Body, `action="`+check+`"`) {
		t.Errorf("the paper page offers the second moderator no check button")
	}
	if r = admin.Post(check, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("a second moderator checking: %d", r.StatusCode)
	}
	if n := count(t, s, `SELECT count(*) FROM consultation_responses r JOIN users u ON u.id = r.checked_by
		WHERE r.id = $1 AND u.email = 'admin@example.org' AND r.checked_at IS NOT NULL`, paper.ID); n != 1 {
		t.Error("the check is not recorded as the admin's")
	}
	if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action = 'consultation.paper_check' AND target_id = $1
		AND details->>'response_id' = $2`, f.id, strconv.FormatInt(paper.ID, 10)); n != 1 {
		t.Errorf("%d audit entries for the check", n)
	}
	var res consultationResults
	f.mod.Do(http.MethodGet, f.path+"/results", nil).JSON(t, &res)
	if p := res.Participation; p.Paper != 1 || p.PaperChecked != 1 || p.Total != 1 {
		t.Errorf("participation after the check: %+v", p)
	}
}

type consultationResults struct {
	Participation struct {
		Total        int `json:"total"`
		Online       int `json:"online"`
		Paper        int `json:"paper"`
		PaperChecked int `json:"paper_checked"`
	} `json:"participation"`
	Questions []struct {
		Question struct {
			ID int64 `json:"id"`
		} `json:"question"`
		Answered int `json:"answered"`
		Rows     []struct {
			ID     int `json:"id"`
			Total  int `json:"total"`
			Online int `json:"online"`
			Paper  int `json:"paper"`
		} `json:"rows"`
	} `json:"questions"`
}

// TestConsultationResultsByChannel: two online responses and one on paper; the JSON
// results count each option in total and apart by channel, and the CSV export has the
// header and the same rows. Before the report phase only the staff see them.
func TestConsultationResultsByChannel(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	f := newConsultation(t, s, "registered")
	for email, single := range map[string]int{"resident@example.org": 1, "anna.mieszkanka@example.org": 2} {
		api := s.API(t)
		api.Login(email, seed.DemoPassword)
		if r := api.Do(http.MethodPost, f.path+"/response", map[string]any{"answers": f.answers(single, 4, ""), "submit": true}); r.StatusCode != http.StatusCreated {
			t.Fatalf("%s responding: %d %s", email, r.StatusCode, r.Body)
		}
	}
	// A draft is not counted.
	draft := s.API(t)
	draft.Login("marta.sasiadka@example.org", seed.DemoPassword)
	draft.Do(http.MethodPost, f.path+"/response", map[string]any{"answers": f.answers(1, 1, ""), "submit": false})
	if r := f.mod.Do(http.MethodPost, f.path+"/paper", map[string]any{"answers": f.answers(1, 2, "")}); r.StatusCode != http.StatusCreated {
		t.Fatalf("paper: %d %s", r.StatusCode, r.Body)
	}

	anon := s.API(t)
	if r := anon.Do(http.MethodGet, f.path+"/results", nil); r.StatusCode != http.StatusConflict {
		t.Errorf("results before the report phase, signed out: %d", r.StatusCode)
	}
	f.setPhase(t, s, "report")
	r := anon.Do(http.MethodGet, f.path+"/results", nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("results in the report phase: %d %s", r.StatusCode, r.Body)
	}
	var res consultationResults
	r.JSON(t, &res)
	if p := res.Participation; p.Total != 3 || p.Online != 2 || p.Paper != 1 || p.PaperChecked != 0 {
		t.Errorf("participation: %+v", p)
	}
	type split struct{ total, online, paper int }
	want := map[int64]map[int]split{
		f.single: {1: {2, 1, 1}, 2: {1, 1, 0}, 3: {0, 0, 0}},
		f.scale:  {2: {1, 0, 1}, 4: {2, 2, 0}, 5: {0, 0, 0}},
	}
	for _, q := range res.Questions {
		w, ok := want[q.Question.ID]
		if !ok {
			continue
		}
		if q.Answered != 3 {
			t.Errorf("question %d: %d answered", q.Question.ID, q.Answered)
		}
		for _, row := range q.Rows {
			if x, ok := w[row.ID]; ok && (split{row.Total, row.Online, row.Paper}) != x {
				t.Errorf("question %d, answer %d: %d (%d online, %d paper), want %+v", q.Question.ID, row.ID, row.Total, row.Online, row.Paper, x)
			}
		}
		delete(want, q.Question.ID)
	}
	if len(want) > 0 {
		t.Errorf("questions missing from the results: %v", want)
	}

	csv := s.Browser(t).Get(f.page() + "/wyniki.csv")
	if csv.StatusCode != http.StatusOK || !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("the CSV: %d %s", csv.StatusCode, csv.Header.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(csv.Body, "\r\n", "\n")), "\n")
	if lines[0] != "question,kind,answer_id,answer,total,online,paper,average_rank" {
		t.Errorf("the CSV header: %q", lines[0])
	}
	for _, row := range []string{"1,single,1," + f.singleLabels[0] + ",2,1,1,", "1,single,2," + f.singleLabels[1] + ",1,1,0,",
		"3,scale,4,4,2,2,0,", ",responses,,,3,2,1,"} {
		found := false
		for _, l := range lines {
			found = found || l == row
		}
		if !found {
			t.Errorf("the CSV lacks the row %q:\n%s", row, csv.Body)
		}
	}
}

// TestConsultationHiddenAnswerLeavesThePublicList: a moderator hides a free-text answer
// with a reason; the hiding is audited, the public list no longer shows it, the staff
// still do, and it is still counted.
func TestConsultationHiddenAnswerLeavesThePublicList(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	f := newConsultation(t, s, "registered")
	for email, text := range map[string]string{"resident@example.org": "Sale powinny być tańsze w weekendy.",
		"anna.mieszkanka@example.org": "Dzwońcie do pana K., tel. 600 000 000."} {
		api := s.API(t)
		api.Login(email, seed.DemoPassword)
		if r := api.Do(http.MethodPost, f.path+"/response", map[string]any{"answers": f.answers(1, 3, text), "submit": true}); r.StatusCode != http.StatusCreated {
			t.Fatalf("%s: %d %s", email, r.StatusCode, r.Body)
		}
	}
	f.setPhase(t, s, "report")
	texts := f.page() + "/odpowiedzi"
	anon := s.Browser(t)
	if r := anon.Get(texts); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Dzwońcie do pana K.") ||
		!strings.Contains(r.Body, "tańsze w weekendy") {
		t.Fatalf("the public list before hiding: %d\n%s", r.StatusCode, authzSnippet(r.Body))
	}
	if r := anon.Get(texts + "?q=weekend"); strings.Contains(r.Body, "Dzwońcie do pana K.") || !strings.Contains(r.Body, "tańsze w weekendy") {
		t.Errorf("searching the answers for “weekend”:\n%s", authzSnippet(r.Body))
	}
	aid := count(t, s, `SELECT id FROM consultation_answers WHERE body LIKE 'Dzwońcie%'`)
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", seed.DemoPassword)
	mod.Get(texts)
	hide := fmt.Sprintf("/admin/konsultacje/%d/odpowiedzi/%d/ukryj", f.id, aid)
	if r := mod.Post(hide, url.Values{"reason": {""}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("hiding without a reason: %d", r.StatusCode)
	}
	if r := mod.Post(hide, url.Values{"reason": {"dane osobowe"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("hiding: %d", r.StatusCode)
	}
	if n := count(t, s, `SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id WHERE a.action = 'consultation.answer_hide'
		AND a.target_id = $1 AND a.reason = 'dane osobowe' AND a.details->>'answer_id' = $2 AND u.email = 'moderator@example.org'`,
		f.id, strconv.Itoa(aid)); n != 1 {
		t.Errorf("%d audit entries for hiding", n)
	}
	if r := anon.Get(texts); strings.Contains(r.Body, "Dzwońcie do pana K.") || !strings.Contains(r.Body, "tańsze w weekendy") {
		t.Errorf("the public list after hiding:\n%s", authzSnippet(r.Body))
	}
	if r := mod.Get(texts); !strings.Contains(r.Body, "Dzwońcie do pana K.") {
		t.Error("the staff no longer see the hidden answer")
	}
	var res consultationResults
	anon2 := s.API(t)
	anon2.Do(http.MethodGet, f.path+"/results", nil).JSON(t, &res)
	for _, q := range res.Questions {
		if q.Question.ID == f.text && q.Answered != 2 {
			t.Errorf("the hidden answer is no longer counted: %d answered", q.Answered)
		}
	}
}

// TestConsultationHTMLFormWithoutJavaScript answers through the plain form as a browser
// without JavaScript does: a draft first (back to the form, saved), then the submit
// button; the redirect leads to the confirmation with the receipt and the answers.
func TestConsultationHTMLFormWithoutJavaScript(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	f := newConsultation(t, s, "registered")
	b := s.Browser(t)
	b.SignIn("resident@example.org", seed.DemoPassword)
	form := f.page() + "/odpowiedz"
	if r := b.Get(f.page() + "/potwierdzenie"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != form {
		t.Errorf("the confirmation without a response: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	r := b.Get(form)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `action="`+form+`"`) {
		t.Fatalf("the form: %d", r.StatusCode)
	}
	q := func(id int64) string { return "q" + strconv.FormatInt(id, 10) }
	rank := func(opt int) string { return fmt.Sprintf("%s_%d", q(f.ranking), opt) }
	r = b.Post(form, url.Values{q(f.text): {"Szkic bez JavaScriptu"}, "action": {"draft"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != form+"?zrobione=szkic" {
		t.Fatalf("saving a draft: %d %s\n%s", r.StatusCode, r.Header.Get("Location"), authzSnippet(r.Body))
	}
	if r = b.Get(r.Header.Get("Location")); !strings.Contains(r.Body, "Szkic bez JavaScriptu") {
		t.Error("the form does not show the saved draft")
	}
	answers := url.Values{q(f.single): {"2"}, q(f.multiple): {"1", "3"}, q(f.scale): {"5"},
		rank(1): {"3"}, rank(2): {"1"}, rank(3): {"2"}, q(f.text): {"Gotowe bez JavaScriptu"}, "action": {"submit"}}
	r = b.Post(form, answers)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != f.page()+"/potwierdzenie" {
		t.Fatalf("submitting: %d %s\n%s", r.StatusCode, r.Header.Get("Location"), authzSnippet(r.Body))
	}
	r = b.Get(r.Header.Get("Location"))
	receipt := scalar[string](t, s, `SELECT receipt FROM consultation_responses WHERE consultation_id = $1 AND status = 'submitted'`, f.id)
	formatted := receipt[:4] + "-" + receipt[4:8]
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, formatted) || !strings.Contains(r.Body, "Gotowe bez JavaScriptu") ||
		!strings.Contains(r.Body, "1. Godziny") || !strings.Contains(r.Body, f.singleLabels[1]) {
		t.Errorf("the confirmation: %d\n%s", r.StatusCode, authzSnippet(r.Body))
	}
	if got := scalar[string](t, s, `SELECT array_to_string(choices, ',') FROM consultation_answers WHERE question_id = $1`, f.ranking); got != "2,3,1" {
		t.Errorf("the ranking saved as %s, want 2,3,1", got)
	}
	if got := scalar[string](t, s, `SELECT array_to_string(choices, ',') FROM consultation_answers WHERE question_id = $1`, f.multiple); got != "1,3" {
		t.Errorf("the multiple choice saved as %s, want 1,3", got)
	}
}

// TestSeededConsultations: the demo data has the rooms consultation open, with online
// responses from several districts over several days and paper forms (some checked),
// a finished consultation whose public report shows results, and seeding again adds
// nothing.
func TestSeededConsultations(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	rooms := count(t, s, `SELECT id FROM consultations WHERE title = 'Zasady wynajmu sal w domach kultury organizacjom pozarządowym'`)
	if n := count(t, s, `SELECT count(*) FROM consultation_responses WHERE consultation_id = $1 AND channel = 'online'
		AND status = 'submitted'`, rooms); n < 24 {
		t.Errorf("%d online responses to the rooms consultation, want a few dozen", n)
	}
	if n := count(t, s, `SELECT count(*) FROM consultation_responses WHERE consultation_id = $1 AND channel = 'paper'`, rooms); n < 5 {
		t.Errorf("%d paper responses", n)
	}
	if n := count(t, s, `SELECT count(*) FROM consultation_responses WHERE consultation_id = $1 AND checked_at IS NOT NULL`, rooms); n < 2 {
		t.Errorf("%d checked paper responses", n)
	}
	if n := count(t, s, `SELECT count(DISTINCT neighbourhood_id) FROM consultation_responses WHERE consultation_id = $1`, rooms); n < 4 {
		t.Errorf("responses from %d districts", n)
	}
	if n := count(t, s, `SELECT count(DISTINCT submitted_at::date) FROM consultation_responses WHERE consultation_id = $1`, rooms); n < 7 {
		t.Errorf("responses on %d days", n)
	}
	if n := count(t, s, `SELECT count(DISTINCT q.kind) FROM consultation_questions q WHERE q.consultation_id = $1`, rooms); n != 5 {
		t.Errorf("%d kinds of question", n)
	}
	if n := count(t, s, `SELECT count(*) FROM consultation_responses WHERE consultation_id = $1 AND user_id =
		(SELECT id FROM users WHERE email = 'resident@example.org')`, rooms); n != 0 {
		t.Error("the demo resident has already responded; they are left free to try")
	}
	anon := s.Browser(t)
	if r := anon.Get(fmt.Sprintf("/konsultacje/%d", rooms)); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Zasady wynajmu sal") {
		t.Errorf("the rooms consultation's page: %d", r.StatusCode)
	}
	// Before its report phase, the report page says when the report comes (not an error).
	if r := anon.Get(fmt.Sprintf("/konsultacje/%d/raport", rooms)); r.StatusCode != http.StatusOK ||
		!strings.Contains(r.Body, "gdy zacznie się etap raportu") || strings.Contains(r.Body, "<svg class=\"chart\"") {
		t.Errorf("the open consultation's report page: %d\n%s", r.StatusCode, authzSnippet(r.Body))
	}
	done := count(t, s, `SELECT id FROM consultations WHERE report_at < now() AND title LIKE 'Godziny otwarcia klubów%'`)
	r := anon.Get(fmt.Sprintf("/konsultacje/%d/raport", done))
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Kiedy klub powinien być otwarty najdłużej?") {
		t.Errorf("the finished consultation's report: %d\n%s", r.StatusCode, authzSnippet(r.Body))
	}
	sizes := func() string {
		return scalar[string](t, s, `SELECT concat_ws(' ', (SELECT count(*) FROM consultations), (SELECT count(*) FROM consultation_responses),
			(SELECT count(*) FROM consultation_answers), (SELECT count(*) FROM users))`)
	}
	before := sizes()
	if err := seed.Run(ctx, s.Pool, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if after := sizes(); after != before {
		t.Errorf("seeding again changed consultations, responses, answers, users from %s to %s", before, after)
	}
}

// TestConsultationComments: comments on a consultation go through the comment feature
// from its page's form; a reply notifies the first author. (Posting used to be a 404:
// the notify feature did not know consultations.)
func TestConsultationComments(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	f := newConsultation(t, s, "registered")
	id := strconv.FormatInt(f.id, 10)
	jan := s.Browser(t)
	jan.SignIn("resident@example.org", seed.DemoPassword)
	r := jan.Submit(f.page(), "/komentarze", url.Values{"target_type": {"consultation"}, "target_id": {id}, "stance": {"for"},
		"body": {"Dobrze, że stawki będą *wspólne*."}})
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, f.page()+"#komentarz-") {
		t.Fatalf("posting on a consultation: %d → %q (%s)", r.StatusCode, loc, r.Title())
	}
	cid := strings.TrimPrefix(loc, f.page()+"#komentarz-")
	if body := jan.Get(f.page()).Body; !strings.Contains(body, `id="komentarz-`+cid+`"`) || !strings.Contains(body, "<em>wspólne</em>") {
		t.Error("the consultation page does not show the comment")
	}
	anna := s.Browser(t)
	anna.SignIn("anna.mieszkanka@example.org", seed.DemoPassword)
	r = anna.Submit(f.page(), "/komentarze", url.Values{"target_type": {"consultation"}, "target_id": {id}, "stance": {"neutral"},
		"parent_id": {cid}, "body": {"A co z grupami nieformalnymi?"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("replying: %d (%s)", r.StatusCode, r.Title())
	}
	if n := count(t, s, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE u.email = 'resident@example.org' AND n.target_type = 'consultation' AND n.target_id = $1`, f.id); n != 1 {
		t.Errorf("%d notifications of the reply for the first author", n)
	}
	if r = jan.Get("/powiadomienia"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `href="`+f.page()) {
		t.Errorf("the notifications page does not lead to the consultation: %d\n%s", r.StatusCode, authzSnippet(r.Body))
	}
	// A report of a comment on a consultation reaches the moderators' queue under the
	// consultation's title (read inside the moderation's transaction).
	commentID, _ := strconv.ParseInt(cid, 10, 64)
	if r := report(signedInAPI(t, s, "anna.mieszkanka@example.org"), "comment", commentID, "spam"); r.StatusCode != http.StatusCreated {
		t.Fatalf("report: %d %s", r.StatusCode, r.Body)
	}
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", seed.DemoPassword)
	title := scalar[string](t, s, `SELECT title FROM consultations WHERE id = $1`, f.id)
	if body := mod.Get("/moderacja").Body; !strings.Contains(body, html.EscapeString(title)) || !strings.Contains(body, f.page()+"#komentarz-"+cid) {
		t.Errorf("the queue does not show the reported comment under the consultation's title %q", title)
	}
}
