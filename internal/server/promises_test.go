package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

// promiseOut is a promise as the API answers it.
type promiseOut struct {
	ID        int64  `json:"id"`
	DebateID  int64  `json:"debate_id"`
	SpeakerID *int64 `json:"speaker_id"`
	Speaker   string `json:"speaker"`
	Text      string `json:"text"`
	Topic     string `json:"topic"`
	ItemID    *int64 `json:"agenda_item_id"`
	MomentMS  *int64 `json:"moment_ms"`
	Status    string `json:"status"`
	Version   int64  `json:"version"`
	Demo      bool   `json:"demo"`
	Updates   []struct {
		Date     string   `json:"date"`
		ToStatus *string  `json:"to_status"`
		Note     string   `json:"note"`
		Links    []string `json:"links"`
		Author   string   `json:"author"`
		Demo     bool     `json:"demo"`
	} `json:"updates"`
	History []struct {
		Actor string  `json:"actor"`
		Field string  `json:"field"`
		Old   *string `json:"old"`
		New   *string `json:"new"`
	} `json:"history"`
}

func krakowDebate(t *testing.T, s *servertest.Running) int64 {
	t.Helper()
	return authzQuery[int64](t, s, `SELECT d.event_id FROM debates d JOIN events e ON e.id = d.event_id
		WHERE e.title LIKE 'Kraków obywatelski%'`)
}

func debateStateOf(t *testing.T, s *servertest.Running, id int64) debateState {
	t.Helper()
	r := s.API(t).Do(http.MethodGet, debatePath(id, ""), nil)
	var out struct {
		Debate struct {
			State debateState `json:"state"`
		} `json:"debate"`
	}
	r.JSON(t, &out)
	return out.Debate.State
}

func logPromise(t *testing.T, a *servertest.API, id int64, body map[string]any) (servertest.Response, promiseOut) {
	t.Helper()
	r := a.Do(http.MethodPost, debatePath(id, "/promises"), body)
	var out struct {
		Promise promiseOut `json:"promise"`
	}
	if r.StatusCode == http.StatusCreated {
		r.JSON(t, &out)
	}
	return r, out.Promise
}

func getPromise(t *testing.T, s *servertest.Running, id int64) promiseOut {
	t.Helper()
	r := s.API(t).Do(http.MethodGet, "/api/v1/promises/"+strconv.FormatInt(id, 10), nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET promise %d: %d %s", id, r.StatusCode, r.Body)
	}
	var out struct {
		Promise promiseOut `json:"promise"`
	}
	r.JSON(t, &out)
	return out.Promise
}

func listPromises(t *testing.T, s *servertest.Running, query string) ([]promiseOut, map[string]int) {
	t.Helper()
	r := s.API(t).Do(http.MethodGet, "/api/v1/promises?"+query, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET promises?%s: %d %s", query, r.StatusCode, r.Body)
	}
	var out struct {
		Items  []promiseOut `json:"items"`
		Counts []struct {
			Status string `json:"status"`
			Count  int    `json:"count"`
		} `json:"counts"`
	}
	r.JSON(t, &out)
	counts := map[string]int{}
	for _, c := range out.Counts {
		counts[c.Status] = c.Count
	}
	return out.Items, counts
}

// TestPromisesSeededFromTheSource: the five promises of "Kraków obywatelski" are
// attributed to the debate as a whole, with no moment, status made, one demo update.
func TestPromisesSeededFromTheSource(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := krakowDebate(t, s)
	items, counts := listPromises(t, s, "debate_id="+strconv.FormatInt(id, 10))
	if len(items) != 5 || counts["made"] != 5 {
		t.Fatalf("seeded promises: %d, counts %v", len(items), counts)
	}
	demo := 0
	for _, p := range items {
		if p.SpeakerID != nil || p.MomentMS != nil || p.Status != "made" || p.Demo || strings.Contains(p.Text, "*") {
			t.Errorf("seeded promise %+v", p)
		}
		d := getPromise(t, s, p.ID)
		for _, u := range d.Updates {
			if !u.Demo || u.ToStatus != nil {
				t.Errorf("seeded update on %d: %+v", p.ID, u)
			}
			demo++
		}
	}
	if demo != 1 {
		t.Errorf("%d demo updates, want 1", demo)
	}
	// The debate's archive lists them for the debate as a whole, each linking its page.
	r := s.API(t).Do(http.MethodGet, debatePath(id, "/archive"), nil)
	var out struct {
		Archive struct {
			General struct {
				Promises []struct {
					ID  int64  `json:"id"`
					URL string `json:"url"`
				} `json:"promises"`
			} `json:"general"`
		} `json:"archive"`
	}
	r.JSON(t, &out)
	if got := out.Archive.General.Promises; len(got) != 5 || got[0].URL != "/obietnice/"+strconv.FormatInt(items[4].ID, 10) {
		t.Errorf("the archive's promises: %d %+v", r.StatusCode, got)
	}
	page := s.Browser(t).Get("/obietnice")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "ławki dialogu") {
		t.Errorf("tracker page: %d", page.StatusCode)
	}
	if debatePage := s.Browser(t).Get("/debaty/" + strconv.FormatInt(id, 10)); !strings.Contains(debatePage.Body, `id="obietnice"`) ||
		!strings.Contains(debatePage.Body, "ławki dialogu") {
		t.Errorf("the debate's page does not list its promises")
	}
}

// TestPromiseLogging: the debate's moderators, admins and advocates log promises (the
// current agenda item and the moment since the start by default); residents and
// visitors are refused, unknown debates are not found, bad input is refused with its
// fields and nothing stored; the console's form works without JavaScript.
func TestPromiseLogging(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := upcomingDebate(t, s)
	mod, admin, advocate, resident := s.API(t), s.API(t), s.API(t), s.API(t)
	mod.Login("moderator@example.org", seed.DemoPassword)
	admin.Login("admin@example.org", seed.DemoPassword)
	advocate.Login("advocate@example.org", seed.DemoPassword)
	resident.Login("resident@example.org", seed.DemoPassword)
	st := debateStateOf(t, s, id)
	if r, _ := act(t, mod, id, map[string]any{"action": "start", "expected_seq": st.Seq}); r.StatusCode != http.StatusOK {
		t.Fatalf("start: %d %s", r.StatusCode, r.Body)
	}
	st = debateStateOf(t, s, id)
	if st.CurrentItemID == nil || len(st.Speakers) < 2 {
		t.Fatalf("the started debate: %+v", st)
	}
	count := func() int64 {
		return authzQuery[int64](t, s, `SELECT count(*) FROM promises WHERE event_id = $1`, id)
	}

	speaker := st.Speakers[1].ID
	r, p := logPromise(t, mod, id, map[string]any{"speaker_id": speaker, "text": "  Otworzymy  trzy lokale sąsiedzkie w Nowej Hucie. "})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("moderator logs: %d %s", r.StatusCode, r.Body)
	}
	if p.SpeakerID == nil || *p.SpeakerID != speaker || p.Speaker != st.Speakers[1].Name || p.Text != "Otworzymy trzy lokale sąsiedzkie w Nowej Hucie." ||
		p.ItemID == nil || *p.ItemID != *st.CurrentItemID || p.Topic != st.Items[0].Topic || p.MomentMS == nil || p.Status != "made" || p.Version != 1 {
		t.Errorf("logged by the moderator: %+v", p)
	}
	r, p = logPromise(t, advocate, id, map[string]any{"speaker_id": nil, "text": "Sale dla NGO bez opłat w tygodniu.", "topic": "opłaty",
		"no_agenda_item": true, "moment_ms": 61000})
	if r.StatusCode != http.StatusCreated || p.SpeakerID != nil || p.Speaker != "" || p.ItemID != nil || p.Topic != "opłaty" ||
		p.MomentMS == nil || *p.MomentMS != 61000 {
		t.Errorf("logged by an advocate: %d %+v", r.StatusCode, p)
	}
	if r, _ = logPromise(t, admin, id, map[string]any{"text": "Budżet na kluby sąsiedzkie wzrośnie."}); r.StatusCode != http.StatusCreated {
		t.Errorf("admin logs: %d %s", r.StatusCode, r.Body)
	}
	n := count()
	if n != 3 {
		t.Fatalf("%d promises logged, want 3", n)
	}
	history := getPromise(t, s, p.ID).History
	if len(history) != 1 || history[0].Field != "created" || history[0].Actor == "" {
		t.Errorf("a new promise's history: %+v", history)
	}

	// Who may not.
	wantError(t, "resident", resident.Do(http.MethodPost, debatePath(id, "/promises"), map[string]any{"text": "Obiecuję wszystko."}),
		http.StatusForbidden, "forbidden", "")
	wantError(t, "visitor", s.API(t).Do(http.MethodPost, debatePath(id, "/promises"), map[string]any{"text": "Obiecuję wszystko."}),
		http.StatusUnauthorized, "unauthorized", "")
	wantError(t, "unknown debate", advocate.Do(http.MethodPost, debatePath(999999, "/promises"), map[string]any{"text": "Obiecuję wszystko."}),
		http.StatusNotFound, "not_found", "")
	wantError(t, "unknown debate (moderator)", mod.Do(http.MethodPost, debatePath(999999, "/promises"), map[string]any{"text": "Obiecuję wszystko."}),
		http.StatusNotFound, "not_found", "")

	// Bad input: 422 with the field, nothing stored.
	other := authzQuery[int64](t, s, `SELECT min(id) FROM debate_speakers WHERE event_id = $1`, krakowDebate(t, s))
	otherItem := authzQuery[int64](t, s, `SELECT min(id) FROM debate_items WHERE event_id = $1`, krakowDebate(t, s))
	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"empty text", map[string]any{"text": "   "}, "text"},
		{"overlong text", map[string]any{"text": strings.Repeat("ą", 1001)}, "text"},
		{"overlong topic", map[string]any{"text": "Obietnica z długim tematem.", "topic": strings.Repeat("t", 201)}, "topic"},
		{"another debate's speaker", map[string]any{"text": "Obietnica kogoś z innej debaty.", "speaker_id": other}, "speaker_id"},
		{"another debate's item", map[string]any{"text": "Obietnica z innego programu.", "agenda_item_id": otherItem}, "agenda_item_id"},
		{"negative moment", map[string]any{"text": "Obietnica przed początkiem.", "moment_ms": -1}, "moment_ms"},
	} {
		wantError(t, c.name, advocate.Do(http.MethodPost, debatePath(id, "/promises"), c.body), http.StatusUnprocessableEntity,
			"validation_failed", c.field)
	}
	if got := count(); got != n {
		t.Errorf("refused promises were stored: %d, want %d", got, n)
	}

	// The console's form, without JavaScript.
	b := s.Browser(t)
	b.SignIn("moderator@example.org", seed.DemoPassword)
	console := "/debaty/" + strconv.FormatInt(id, 10) + "/konsola"
	page := b.Get(console)
	for _, want := range []string{`id="promise_speaker"`, `id="promise_text"`, `id="promise_topic"`, `id="promise_item"`,
		`data-live-room="debate-promises:` + strconv.FormatInt(id, 10)} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the console lacks %s", want)
		}
	}
	action := "/debaty/" + strconv.FormatInt(id, 10) + "/obietnice"
	r = b.Post(action, url.Values{"back": {"konsola"}, "promise_speaker": {"none"}, "promise_text": {"Ławka dialogu stanie przed urzędem."},
		"promise_topic": {""}, "promise_item": {strconv.FormatInt(*st.CurrentItemID, 10)}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), console) {
		t.Fatalf("the console's form: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if page = b.Get(console); !strings.Contains(page.Body, "Ławka dialogu stanie przed urzędem.") {
		t.Errorf("the console does not list the new promise")
	}
	r = b.Post(action, url.Values{"back": {"konsola"}, "promise_speaker": {"none"}, "promise_text": {""}, "promise_topic": {"zostaje"},
		"promise_item": {"none"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#promise_text"`) ||
		!strings.Contains(r.Body, `value="zostaje"`) || !strings.HasPrefix(r.Title(), "Błąd:") {
		t.Errorf("an empty promise from the form: %d %q", r.StatusCode, r.Title())
	}
	if got := count(); got != n+1 {
		t.Errorf("%d promises after the forms, want %d", got, n+1)
	}
}

// TestPromiseUpdates: advocates and staff add dated updates and move the status on;
// a stale version is refused (409) with nothing stored; bad input is refused; the
// history records every change; followers are notified.
func TestPromiseUpdates(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	pid := authzQuery[int64](t, s, `SELECT min(id) FROM promises`)
	path := "/api/v1/promises/" + strconv.FormatInt(pid, 10)
	mod, advocate, resident := s.API(t), s.API(t), s.API(t)
	mod.Login("moderator@example.org", seed.DemoPassword)
	advocate.Login("advocate@example.org", seed.DemoPassword)
	resident.Login("resident@example.org", seed.DemoPassword)
	if r := resident.Do(http.MethodPut, path+"/follow", nil); r.StatusCode != http.StatusOK {
		t.Fatalf("follow: %d %s", r.StatusCode, r.Body)
	}
	updates := func() int64 {
		return authzQuery[int64](t, s, `SELECT count(*) FROM promise_updates WHERE promise_id = $1`, pid)
	}
	before := getPromise(t, s, pid)
	u0 := updates()

	r := advocate.Do(http.MethodPost, path+"/updates", map[string]any{"version": before.Version, "date": "2025-03-01",
		"status": "in_progress", "note": "Urząd ogłosił **konsultacje** projektu.", "links": []string{"https://www.krakow.pl/", ""}})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("advocate's update: %d %s", r.StatusCode, r.Body)
	}
	after := getPromise(t, s, pid)
	if after.Status != "in_progress" || after.Version != before.Version+1 || len(after.Updates) != len(before.Updates)+1 {
		t.Fatalf("after the update: %+v", after)
	}
	last := after.Updates[len(after.Updates)-1]
	if last.Date != "2025-03-01" || last.ToStatus == nil || *last.ToStatus != "in_progress" || len(last.Links) != 1 || last.Author == "" {
		t.Errorf("the update: %+v", last)
	}
	var fields []string
	for _, h := range after.History {
		fields = append(fields, h.Field)
	}
	if strings.Join(fields, ",") != "created,status,update" {
		t.Errorf("history fields %v, want created,status,update", fields)
	}
	for _, h := range after.History {
		if h.Field == "status" && (h.Old == nil || *h.Old != "made" || h.New == nil || *h.New != "in_progress" || h.Actor == "") {
			t.Errorf("the status line of the history: %+v", h)
		}
	}

	// The follower heard of it; the advocate did not hear of their own act.
	if n := authzQuery[int64](t, s, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE u.email = 'resident@example.org' AND n.kind = 'promise.update' AND n.target_type = 'promise' AND n.target_id = $1
		AND n.data->>'to' = 'in_progress'`, pid); n != 1 {
		t.Errorf("the follower got %d notifications, want 1", n)
	}
	if n := authzQuery[int64](t, s, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE u.email = 'advocate@example.org' AND n.kind = 'promise.update'`); n != 0 {
		t.Errorf("the advocate was told of their own update")
	}

	// A stale version: 409, nothing stored.
	u1 := updates()
	wantError(t, "stale", mod.Do(http.MethodPost, path+"/updates", map[string]any{"version": before.Version, "status": "kept"}),
		http.StatusConflict, "stale_promise", "")
	if got := getPromise(t, s, pid); got.Status != "in_progress" || got.Version != after.Version || updates() != u1 {
		t.Errorf("a stale update changed the promise: %+v", got)
	}
	// Bad input and people who may not.
	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no version", map[string]any{"status": "kept"}, "version"},
		{"bad status", map[string]any{"version": after.Version, "status": "forgotten"}, "status"},
		{"bad link", map[string]any{"version": after.Version, "note": "Zobacz", "links": []string{"javascript:alert(1)"}}, "links"},
		{"future date", map[string]any{"version": after.Version, "note": "Jutro", "date": "2999-01-01"}, "date"},
		{"nothing new", map[string]any{"version": after.Version, "status": "in_progress"}, "note"},
	} {
		wantError(t, c.name, mod.Do(http.MethodPost, path+"/updates", c.body), http.StatusUnprocessableEntity, "validation_failed", c.field)
	}
	wantError(t, "resident", resident.Do(http.MethodPost, path+"/updates", map[string]any{"version": after.Version, "status": "kept"}),
		http.StatusForbidden, "forbidden", "")
	if updates() != u1 || u1 != u0+1 {
		t.Errorf("refused updates were stored: %d → %d", u0, updates())
	}

	// The page's form: a stale version comes back as 409 with what was typed.
	b := s.Browser(t)
	b.SignIn("moderator@example.org", seed.DemoPassword)
	page := "/obietnice/" + strconv.FormatInt(pid, 10)
	if g := b.Get(page); g.StatusCode != http.StatusOK || !strings.Contains(g.Body, `action="/obietnice/`+strconv.FormatInt(pid, 10)+`/aktualizacje"`) {
		t.Fatalf("the promise page for a moderator: %d", g.StatusCode)
	}
	r = b.Post(page+"/aktualizacje", url.Values{"version": {strconv.FormatInt(before.Version, 10)}, "status": {"kept"},
		"note": {"Napisane na starej stronie."}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.Body, "Napisane na starej stronie.") {
		t.Errorf("a stale form: %d", r.StatusCode)
	}
	r = b.Post(page+"/aktualizacje", url.Values{"version": {strconv.FormatInt(after.Version, 10)}, "status": {"kept"},
		"note": {"Dotrzymana."}, "date": {""}, "links": {"https://example.org/dowod\n"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the form: %d %s", r.StatusCode, r.Body)
	}
	if got := getPromise(t, s, pid); got.Status != "kept" || len(got.History) != 5 {
		t.Errorf("after the form: %s, %d history lines", got.Status, len(got.History))
	}
	if g := s.Browser(t).Get(page); !strings.Contains(g.Body, "Dotrzymana") || !strings.Contains(g.Body, "https://example.org/dowod") {
		t.Errorf("the public page does not show the update")
	}
}

// TestPromiseTrackerFilters: by debate, speaker (or the debate as a whole), topic and
// status, with counts per status; promises of draft debates stay the staff's.
func TestPromiseTrackerFilters(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := upcomingDebate(t, s)
	mod := s.API(t)
	mod.Login("moderator@example.org", seed.DemoPassword)
	st := debateStateOf(t, s, id)
	sp := st.Speakers[0].ID
	logged := map[string]int64{}
	for _, c := range []struct {
		text  string
		speak *int64
		topic string
	}{{"Pierwsza obietnica mówcy.", &sp, "lokale"}, {"Druga obietnica mówcy.", &sp, "opłaty"}, {"Obietnica całej debaty.", nil, "lokale"}} {
		r, p := logPromise(t, mod, id, map[string]any{"text": c.text, "speaker_id": c.speak, "topic": c.topic})
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("logging %q: %d %s", c.text, r.StatusCode, r.Body)
		}
		logged[c.text] = p.ID
	}
	draft := authzQuery[int64](t, s, `WITH e AS (INSERT INTO events (kind, title, starts_at, ends_at, address)
		VALUES ('debate', 'Szkic debaty', now() + interval '6 days', now() + interval '6 days 2 hours', 'Kraków') RETURNING id),
		d AS (INSERT INTO debates (event_id, code) SELECT id, 'PRMSZZ' FROM e RETURNING event_id)
		INSERT INTO promises (event_id, text) SELECT event_id, 'Obietnica ze szkicu.' FROM d RETURNING id`)

	texts := func(items []promiseOut) string {
		var out []string
		for _, p := range items {
			out = append(out, p.Text)
		}
		return strings.Join(out, "|")
	}
	d := "debate_id=" + strconv.FormatInt(id, 10)
	if items, counts := listPromises(t, s, d); len(items) != 3 || counts["made"] != 3 {
		t.Errorf("by debate: %s %v", texts(items), counts)
	}
	if items, _ := listPromises(t, s, d+"&speaker_id="+strconv.FormatInt(sp, 10)); texts(items) != "Druga obietnica mówcy.|Pierwsza obietnica mówcy." {
		t.Errorf("by speaker: %s", texts(items))
	}
	if items, _ := listPromises(t, s, d+"&speaker_id=none"); texts(items) != "Obietnica całej debaty." {
		t.Errorf("the debate as a whole: %s", texts(items))
	}
	if items, _ := listPromises(t, s, d+"&topic=lokale"); texts(items) != "Obietnica całej debaty.|Pierwsza obietnica mówcy." {
		t.Errorf("by topic: %s", texts(items))
	}
	// A status change moves the counts; the status filter leaves them whole.
	pid := logged["Druga obietnica mówcy."]
	if r := mod.Do(http.MethodPost, "/api/v1/promises/"+strconv.FormatInt(pid, 10)+"/updates",
		map[string]any{"version": 1, "status": "broken"}); r.StatusCode != http.StatusCreated {
		t.Fatalf("update: %d %s", r.StatusCode, r.Body)
	}
	if items, counts := listPromises(t, s, d+"&status=broken"); texts(items) != "Druga obietnica mówcy." || counts["made"] != 2 || counts["broken"] != 1 {
		t.Errorf("by status: %s %v", texts(items), counts)
	}
	wantError(t, "unknown status", s.API(t).Do(http.MethodGet, "/api/v1/promises?status=forgotten", nil),
		http.StatusUnprocessableEntity, "validation_failed", "status")
	wantError(t, "bad debate", s.API(t).Do(http.MethodGet, "/api/v1/promises?debate_id=x", nil),
		http.StatusUnprocessableEntity, "validation_failed", "debate_id")
	// Paging: a page of one continues with the cursor.
	r := s.API(t).Do(http.MethodGet, "/api/v1/promises?"+d+"&limit=2", nil)
	var page struct {
		Items []promiseOut `json:"items"`
		Next  string       `json:"next_cursor"`
	}
	r.JSON(t, &page)
	if len(page.Items) != 2 || page.Next == "" {
		t.Fatalf("a page of two: %d items, cursor %q", len(page.Items), page.Next)
	}
	if items, _ := listPromises(t, s, d+"&limit=2&cursor="+page.Next); len(items) != 1 {
		t.Errorf("the second page: %s", texts(items))
	}

	// Drafts: not in the public tracker, nor their page.
	if items, _ := listPromises(t, s, ""); strings.Contains(texts(items), "ze szkicu") {
		t.Errorf("a draft debate's promise is public")
	}
	if r := s.API(t).Do(http.MethodGet, "/api/v1/promises/"+strconv.FormatInt(draft, 10), nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("a draft debate's promise: %d", r.StatusCode)
	}

	// The page: filters as a GET form, counts per status.
	b := s.Browser(t)
	html := b.Get("/obietnice?debata=" + strconv.FormatInt(id, 10) + "&mowca=brak")
	if html.StatusCode != http.StatusOK || !strings.Contains(html.Body, "Obietnica całej debaty.") ||
		strings.Contains(html.Body, "Pierwsza obietnica mówcy.") || !strings.Contains(html.Body, `data-count="made">1<`) {
		t.Errorf("the tracker page filtered: %d", html.StatusCode)
	}
	if html = b.Get("/obietnice?status=broken"); !strings.Contains(html.Body, "Druga obietnica mówcy.") || strings.Contains(html.Body, "Obietnica całej debaty.") {
		t.Errorf("the tracker page by status")
	}
	if html = b.Get("/obietnice?mowca=x"); html.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a bad filter: %d", html.StatusCode)
	}
}

// TestPromisePersonalData: an advocate's logged promises and updates are in their data
// export; erasure unlinks them (the public record stays, without their name).
func TestPromisePersonalData(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	const name = "Bożydar Rzecznikowy"
	uid := newPerson(t, s, personSpec{Email: "bozydar.rzecznik@example.org", Name: name, Verified: true})
	authzQuery[int64](t, s, `INSERT INTO user_roles (user_id, role) VALUES ($1, 'advocate') RETURNING user_id`, uid)
	me := s.API(t)
	me.Login("bozydar.rzecznik@example.org", demoPassword)
	r, p := logPromise(t, me, upcomingDebate(t, s), map[string]any{"text": "Ławki przy każdym przystanku."})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("logging: %d %s", r.StatusCode, r.Body)
	}
	if r = me.Do(http.MethodPost, "/api/v1/promises/"+strconv.FormatInt(p.ID, 10)+"/updates",
		map[string]any{"version": p.Version, "status": "in_progress", "note": "Pierwsze ławki stoją."}); r.StatusCode != http.StatusCreated {
		t.Fatalf("update: %d %s", r.StatusCode, r.Body)
	}
	r = me.Do(http.MethodGet, "/api/v1/me/export", nil)
	var export struct {
		Promises struct {
			Logged  []struct{ ID int64 } `json:"logged"`
			Updates []struct {
				PromiseID int64 `json:"promise_id"`
				Note      string
			} `json:"updates"`
		} `json:"promises"`
	}
	r.JSON(t, &export)
	if len(export.Promises.Logged) != 1 || export.Promises.Logged[0].ID != p.ID || len(export.Promises.Updates) != 1 ||
		export.Promises.Updates[0].Note != "Pierwsze ławki stoją." {
		t.Errorf("the export: %+v", export.Promises)
	}
	if d := getPromise(t, s, p.ID); d.Updates[0].Author != name || d.History[0].Actor != name {
		t.Errorf("before erasure the update and history name %q / %q", d.Updates[0].Author, d.History[0].Actor)
	}
	if r = me.Do(http.MethodDelete, "/api/v1/me", map[string]any{"password": demoPassword, "confirm": true}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("erasure: %d %s", r.StatusCode, r.Body)
	}
	if n := authzQuery[int64](t, s, `SELECT (SELECT count(*) FROM promises WHERE created_by = $1) +
		(SELECT count(*) FROM promise_updates WHERE author_id = $1) + (SELECT count(*) FROM promise_changes WHERE actor_id = $1)`, uid); n != 0 {
		t.Errorf("%d promise rows still point at the erased account", n)
	}
	d := getPromise(t, s, p.ID)
	if d.Status != "in_progress" || len(d.Updates) != 1 || d.Updates[0].Author != "" || len(d.History) != 3 {
		t.Errorf("after erasure: %+v", d)
	}
	for _, h := range d.History {
		if h.Actor != "" {
			t.Errorf("the history still names %q", h.Actor)
		}
	}
}
