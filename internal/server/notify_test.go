package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"lawka/internal/platform/i18n"
	"lawka/internal/seed"
	"lawka/internal/server/servertest"
)

type notificationJSON struct {
	ID     int64  `json:"id"`
	Kind   string `json:"kind"`
	Target struct {
		Type string `json:"type"`
		ID   int64  `json:"id"`
	} `json:"target"`
	Actor *struct {
		ID          int64  `json:"id"`
		DisplayName string `json:"display_name"`
	} `json:"actor"`
	Data map[string]any `json:"data"`
	Read bool           `json:"read"`
	Path string         `json:"path"`
}

type notificationsJSON struct {
	Items      []notificationJSON `json:"items"`
	Unread     int                `json:"unread"`
	NextCursor string             `json:"next_cursor"`
}

func ntAPI(t *testing.T, s *servertest.Running, email string) *servertest.API {
	t.Helper()
	a := s.API(t)
	a.Login(email, seed.DemoPassword)
	return a
}

func ntList(t *testing.T, a *servertest.API) notificationsJSON {
	t.Helper()
	r := a.Do(http.MethodGet, "/api/v1/notifications", nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/notifications: %d %s", r.StatusCode, r.Body)
	}
	var out notificationsJSON
	r.JSON(t, &out)
	return out
}

func ntDecide(t *testing.T, a *servertest.API, proposal int64, status, answer string) {
	t.Helper()
	r := a.Do(http.MethodPost, fmt.Sprintf("/api/v1/proposals/%d/status", proposal), map[string]any{"status": status, "answer": answer})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("decide %s: %d %s", status, r.StatusCode, r.Body)
	}
}

func ntProposal(t *testing.T, s *servertest.Running, a *servertest.API, title string) int64 {
	t.Helper()
	return newProposal(t, a, map[string]any{"title": title, "body": "Prosimy o ławki i kosze na śmieci przy placu zabaw.",
		"neighbourhood_id": districtID(t, s, "podgorze")}).ID
}

// TestFollowAndNotificationsOverHTTP: the author follows their new proposal; others
// follow by the API and by the page's form; a moderator's decision reaches each of them
// once (not the moderator); nobody reads or marks someone else's notifications; a
// follower who stopped following hears nothing more.
func TestFollowAndNotificationsOverHTTP(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	author := ntAPI(t, s, "anna.mieszkanka@example.org")
	fan := ntAPI(t, s, "resident@example.org")
	moderator := ntAPI(t, s, "moderator@example.org")
	other := ntAPI(t, s, "marta.sasiadka@example.org")
	id := ntProposal(t, s, author, "Kosze przy placu zabaw")
	before := map[string]int{}
	for name, a := range map[string]*servertest.API{"author": author, "fan": fan, "moderator": moderator, "other": other} {
		before[name] = ntList(t, a).Unread
	}

	follow := fmt.Sprintf("/api/v1/proposals/%d/follow", id)
	for range 2 { // idempotent
		if r := fan.Do(http.MethodPut, follow, nil); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `"following":true`) {
			t.Fatalf("PUT follow: %d %s", r.StatusCode, r.Body)
		}
	}
	if r := fan.Do(http.MethodPut, "/api/v1/proposals/999999/follow", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("following a missing proposal: %d", r.StatusCode)
	}
	// The moderator follows with the page's form, and the page says so.
	b := s.Browser(t)
	b.SignIn("moderator@example.org", seed.DemoPassword)
	page := fmt.Sprintf("/propozycje/%d", id)
	if r := b.Get(page); !strings.Contains(r.Body, `action="/propozycje/`+strconv.FormatInt(id, 10)+`/obserwuj"`) ||
		!strings.Contains(r.Body, `name="follow" value="yes"`) {
		t.Fatalf("the proposal page offers no follow button:\n%s", r.Body)
	}
	if r := b.Post(page+"/obserwuj", url.Values{"follow": {"yes"}}); r.StatusCode != http.StatusSeeOther ||
		r.Header.Get("Location") != page+"#obserwuj" {
		t.Fatalf("follow form: %d → %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r := b.Get(page); !strings.Contains(r.Body, `name="follow" value="no"`) {
		t.Error("after following, the page does not offer to stop")
	}
	// The author follows their own proposal from the start.
	ab := s.Browser(t)
	ab.SignIn("anna.mieszkanka@example.org", seed.DemoPassword)
	if r := ab.Get(page); !strings.Contains(r.Body, `name="follow" value="no"`) {
		t.Error("the author's page does not show that they follow their proposal")
	}

	ntDecide(t, moderator, id, "under_review", "Sprawdzamy, czy plac należy do miasta.")
	for name, a := range map[string]*servertest.API{"author": author, "fan": fan} {
		l := ntList(t, a)
		if l.Unread != before[name]+1 || len(l.Items) == 0 {
			t.Fatalf("%s: unread %d (was %d), %d items", name, l.Unread, before[name], len(l.Items))
		}
		n := l.Items[0]
		if n.Kind != "proposal.status" || n.Target.ID != id || n.Data["to"] != "under_review" || n.Data["official"] != true ||
			n.Data["title"] != "Kosze przy placu zabaw" || n.Path != page || n.Read || n.Actor == nil {
			t.Errorf("%s's notification: %+v", name, n)
		}
	}
	if l := ntList(t, moderator); l.Unread != before["moderator"] {
		t.Errorf("the moderator who decided was told: unread %d (was %d)", l.Unread, before["moderator"])
	}
	if l := ntList(t, other); l.Unread != before["other"] {
		t.Errorf("someone not following was told: unread %d (was %d)", l.Unread, before["other"])
	}

	// Nobody touches another's notifications: the list is one's own, marking others' ids
	// changes nothing.
	fanItem := ntList(t, fan).Items[0]
	for _, n := range ntList(t, other).Items {
		if n.ID == fanItem.ID {
			t.Fatal("another person's list holds the fan's notification")
		}
	}
	r := other.Do(http.MethodPost, "/api/v1/notifications/read", map[string]any{"ids": []int64{fanItem.ID}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("marking: %d %s", r.StatusCode, r.Body)
	}
	if read := scalar[bool](t, s, `SELECT read_at IS NOT NULL FROM notifications WHERE id = $1`, fanItem.ID); read {
		t.Fatal("another person marked the fan's notification as read")
	}
	if r := other.Do(http.MethodPost, "/api/v1/notifications/read", map[string]any{}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("marking nothing: %d", r.StatusCode)
	}
	if r := other.Do(http.MethodGet, "/api/v1/notifications", nil, "Authorization", ""); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("listing without a sign-in: %d", r.StatusCode)
	}
	r = fan.Do(http.MethodPost, "/api/v1/notifications/read", map[string]any{"ids": []int64{fanItem.ID}})
	var marked struct{ Unread int }
	r.JSON(t, &marked)
	if r.StatusCode != http.StatusOK || marked.Unread != before["fan"] {
		t.Errorf("the fan marks their own: %d %s, want unread %d", r.StatusCode, r.Body, before["fan"])
	}

	// The fan stops following: the next decision reaches the author only.
	if r := fan.Do(http.MethodDelete, follow, nil); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `"following":false`) {
		t.Fatalf("DELETE follow: %d %s", r.StatusCode, r.Body)
	}
	ntDecide(t, moderator, id, "accepted", "Ustawimy kosze do końca miesiąca.")
	if l := ntList(t, fan); l.Unread != before["fan"] {
		t.Errorf("a former follower was told: unread %d", l.Unread)
	}
	if l := ntList(t, author); l.Unread != before["author"]+2 {
		t.Errorf("the author: unread %d, want %d", l.Unread, before["author"]+2)
	}
}

// TestNotificationsPageAndHeader: the header shows the unread count on every page; the
// list page links each notification to its page; "mark all as read" works without
// JavaScript and the count goes.
func TestNotificationsPageAndHeader(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	// The demo resident has seeded notifications (their proposals' official answers).
	b := s.Browser(t)
	b.SignIn("resident@example.org", seed.DemoPassword)
	unread := scalar[int](t, s, `SELECT unread FROM notification_counts c JOIN users u ON u.id = c.user_id
		WHERE u.email = 'resident@example.org'`)
	if unread == 0 {
		t.Fatal("the seed gave the demo resident no unread notifications")
	}
	home := b.Get("/")
	if !strings.Contains(home.Body, `href="/powiadomienia"`) || !strings.Contains(home.Body, `<span data-unread-number>`+strconv.Itoa(unread)+`</span>`) ||
		!strings.Contains(home.Body, `data-live-room="notifications:`) {
		t.Fatalf("the header does not show %d unread:\n%s", unread, home.Body)
	}
	r := b.Get("/powiadomienia")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Oficjalna odpowiedź w sprawie „Ławka dialogu na Rynku Podgórskim”: Rozpatrywana") ||
		!strings.Contains(r.Body, `href="/propozycje/`) || !strings.Contains(r.Body, `name="all" value="yes"`) {
		t.Fatalf("GET /powiadomienia: %d\n%s", r.StatusCode, r.Body)
	}
	// One marked, then all.
	id := scalar[int64](t, s, `SELECT n.id FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE u.email = 'resident@example.org' AND n.read_at IS NULL ORDER BY n.id LIMIT 1`)
	if r := b.Post("/powiadomienia/przeczytane", url.Values{"id": {strconv.FormatInt(id, 10)}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("marking one: %d", r.StatusCode)
	}
	if r := b.Get("/powiadomienia?done=read"); !strings.Contains(r.Body, `<span data-unread-number>`+strconv.Itoa(unread-1)+`</span>`) {
		t.Errorf("after marking one the header does not show %d", unread-1)
	}
	if r := b.Post("/powiadomienia/przeczytane", url.Values{"all": {"yes"}}); r.StatusCode != http.StatusSeeOther ||
		r.Header.Get("Location") != "/powiadomienia?done=read" {
		t.Fatalf("mark all: %d → %s", r.StatusCode, r.Header.Get("Location"))
	}
	r = b.Get("/powiadomienia?done=read")
	if !strings.Contains(r.Body, `data-unread-count hidden`) || !strings.Contains(r.Body, "Wszystko przeczytane.") ||
		strings.Contains(r.Body, `name="all" value="yes"`) {
		t.Errorf("after marking all:\n%s", r.Body)
	}
	if n := scalar[int](t, s, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE u.email = 'resident@example.org' AND n.read_at IS NULL`); n != 0 {
		t.Errorf("%d still unread", n)
	}
	// Signed out: the page asks to sign in, the header has no count.
	v := s.Browser(t)
	if r := v.Get("/powiadomienia"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/logowanie") {
		t.Errorf("a visitor's GET /powiadomienia: %d → %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r := v.Get("/"); strings.Contains(r.Body, "data-unread-number") {
		t.Error("a visitor's header shows an unread count")
	}
}

// TestUnreadCountMovesLiveOverTheWebsocket: the author's own room gets the new count
// when a moderator answers; nobody else may watch that room.
func TestUnreadCountMovesLiveOverTheWebsocket(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	author := ntAPI(t, s, "anna.mieszkanka@example.org")
	moderator := ntAPI(t, s, "moderator@example.org")
	id := ntProposal(t, s, author, "Ławka przy przystanku")
	authorID := scalar[int64](t, s, `SELECT id FROM users WHERE email = 'anna.mieszkanka@example.org'`)
	room := fmt.Sprintf("notifications:%d", authorID)

	ws := mustDial(t, s, author.Token)
	send(t, ws, map[string]any{"type": "subscribe", "rooms": []string{room}})
	if m := readMsg(t, ws); m.Type != "subscribed" || m.Room != room {
		t.Fatalf("subscribe: %+v", m)
	}
	snap := readMsg(t, ws)
	var start struct{ Unread, Version int64 }
	if err := json.Unmarshal(snap.Data, &start); err != nil || snap.Type != "notify.unread" {
		t.Fatalf("snapshot: %+v (%v)", snap, err)
	}

	ntDecide(t, moderator, id, "under_review", "Sprawdzamy, czy przystanek ma miejsce na ławkę.")
	m := readMsg(t, ws)
	var got struct{ Unread, Version int64 }
	if err := json.Unmarshal(m.Data, &got); err != nil || m.Type != "notify.unread" || m.Room != room ||
		got.Unread != start.Unread+1 || got.Version <= start.Version {
		t.Fatalf("live count: %+v %s, want unread %d and a newer version than %d", m, m.Data, start.Unread+1, start.Version)
	}
	if r := author.Do(http.MethodPost, "/api/v1/notifications/read", map[string]any{"all": true}); r.StatusCode != http.StatusOK {
		t.Fatal(r.Body)
	}
	if err := json.Unmarshal(readMsg(t, ws).Data, &got); err != nil || got.Unread != 0 {
		t.Errorf("after marking all: %+v (%v)", got, err)
	}

	// Someone else, and a visitor, may not watch the author's room.
	for name, token := range map[string]string{"moderator": moderator.Token, "visitor": ""} {
		c := mustDial(t, s, token)
		send(t, c, map[string]any{"type": "subscribe", "rooms": []string{room}})
		if m := readMsg(t, c); m.Type != "error" || m.Code != "forbidden" {
			t.Errorf("%s subscribing to %s: %+v, want error forbidden", name, room, m)
		}
	}
}

// TestCommentRepliesNotify: a reply tells the author of the comment replied to (as a
// reply) and the proposal's followers (as a new comment), never the one who wrote it.
func TestCommentRepliesNotify(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	author := ntAPI(t, s, "anna.mieszkanka@example.org")
	first := ntAPI(t, s, "resident@example.org")
	replier := ntAPI(t, s, "marta.sasiadka@example.org")
	id := ntProposal(t, s, author, "Poidełko na skwerze")
	post := func(a *servertest.API, body map[string]any) int64 {
		t.Helper()
		r := a.Do(http.MethodPost, fmt.Sprintf("/api/v1/proposals/%d/comments", id), body)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("comment: %d %s", r.StatusCode, r.Body)
		}
		var out struct {
			Comment struct{ ID int64 } `json:"comment"`
		}
		r.JSON(t, &out)
		return out.Comment.ID
	}
	c1 := post(first, map[string]any{"body": "Dobry pomysł, latem bardzo potrzebne.", "stance": "for"})
	if l := ntList(t, author); len(l.Items) == 0 || l.Items[0].Kind != "comment.new" || l.Items[0].Path != fmt.Sprintf("/propozycje/%d#komentarz-%d", id, c1) {
		t.Fatalf("the author (a follower) after a comment: %+v", l.Items)
	}
	authorBefore, firstBefore := ntList(t, author).Unread, ntList(t, first).Unread
	c2 := post(replier, map[string]any{"body": "Zgadzam się, i z miską dla psów.", "stance": "for", "parent_id": c1})
	l := ntList(t, first)
	if l.Unread != firstBefore+1 || l.Items[0].Kind != "comment.reply" || l.Items[0].Data["title"] != "Poidełko na skwerze" ||
		l.Items[0].Actor == nil || l.Items[0].Path != fmt.Sprintf("/propozycje/%d#komentarz-%d", id, c2) {
		t.Errorf("the parent's author: unread %d (was %d), %+v", l.Unread, firstBefore, l.Items[0])
	}
	if l := ntList(t, author); l.Unread != authorBefore+1 || l.Items[0].Kind != "comment.new" {
		t.Errorf("the proposal's author: unread %d (was %d), %+v", l.Unread, authorBefore, l.Items[0])
	}
	if n := scalar[int](t, s, `SELECT count(*) FROM notifications WHERE actor_id = (SELECT id FROM users WHERE email = 'marta.sasiadka@example.org')
		AND user_id = (SELECT id FROM users WHERE email = 'marta.sasiadka@example.org')`); n != 0 {
		t.Errorf("the replier was told of their own reply %d times", n)
	}
	// A reply to oneself tells nobody of a "reply".
	post(first, map[string]any{"body": "Dopiszę jeszcze: przy ławkach.", "stance": "for", "parent_id": c1})
	if l := ntList(t, first); l.Unread != firstBefore+1 {
		t.Errorf("a reply to one's own comment told its author: unread %d", l.Unread)
	}
}

// TestDigestAndOneClickUnsubscribe: the setting is a form; the digest goes through the
// outbox with a link that unsubscribes without signing in: GET asks, POST does it.
func TestDigestAndOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	b := s.Browser(t)
	b.SignIn("anna.mieszkanka@example.org", seed.DemoPassword)
	if r := b.Get("/konto"); !strings.Contains(r.Body, `href="/konto/powiadomienia"`) {
		t.Error("the account page does not link the notification settings")
	}
	if r := b.Get("/konto/powiadomienia"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `id="digest-off" name="digest" value="off" aria-describedby="digest-hint" checked`) {
		t.Fatalf("settings page: %d\n%s", r.StatusCode, r.Body)
	}
	if r := b.Post("/konto/powiadomienia", url.Values{"digest": {"daily"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the setting: %d", r.StatusCode)
	}
	if r := b.Get("/konto/powiadomienia?done=1"); !strings.Contains(r.Body, `value="daily" aria-describedby="digest-hint" checked`) {
		t.Fatal("the digest is not shown as on")
	}
	author := ntAPI(t, s, "anna.mieszkanka@example.org")
	id := ntProposal(t, s, author, "Stojaki na rowery przy bibliotece")
	ntDecide(t, ntAPI(t, s, "moderator@example.org"), id, "accepted", "Stojaki staną w maju.")

	ctx := context.Background()
	now := time.Now().In(i18n.Warsaw)
	if _, err := s.Server.Notifications().SendDigests(ctx, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Server.Notifications().SendDigests(ctx, now); err != nil { // the same day again
		t.Fatal(err)
	}
	var digests []string
	for _, m := range s.Mail(t, "anna.mieszkanka@example.org") {
		if strings.HasPrefix(m.Subject, "Ławka: ") && strings.Contains(m.Subject, "powiadomie") {
			digests = append(digests, m.Body)
		}
	}
	if len(digests) != 1 || !strings.Contains(digests[0], "„Stojaki na rowery przy bibliotece”: Przyjęta") {
		t.Fatalf("%d digests: %q", len(digests), digests)
	}
	link := s.Link(t, digests[0], "/powiadomienia/wypisz")

	v := s.Browser(t) // the mail opened elsewhere: no session
	r := v.Get(link)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `action="/powiadomienia/wypisz"`) {
		t.Fatalf("GET the link: %d\n%s", r.StatusCode, r.Body)
	}
	digestOn := func() bool {
		return scalar[bool](t, s, `SELECT daily_digest FROM notification_settings s JOIN users u ON u.id = s.user_id
			WHERE u.email = 'anna.mieszkanka@example.org'`)
	}
	if !digestOn() {
		t.Fatal("opening the link (a GET, as mail scanners do) unsubscribed")
	}
	u, _ := url.Parse(link)
	token := u.Query().Get("t")
	forged := strings.Replace(token, token[:strings.IndexByte(token, '.')], "1", 1)
	if r := v.Post("/powiadomienia/wypisz", url.Values{"t": {forged}}); r.StatusCode != http.StatusBadRequest || !digestOn() {
		t.Errorf("a forged token: %d, digest on %v", r.StatusCode, digestOn())
	}
	if r := v.Get("/powiadomienia/wypisz?t=" + url.QueryEscape(forged)); r.StatusCode != http.StatusBadRequest || !strings.HasPrefix(r.Title(), "Błąd:") {
		t.Errorf("a forged link's page: %d %q", r.StatusCode, r.Title())
	}
	v.Get(link)
	if r := v.Post("/powiadomienia/wypisz", url.Values{"t": {token}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST unsubscribe: %d\n%s", r.StatusCode, r.Body)
	}
	if digestOn() {
		t.Error("still subscribed after confirming")
	}
	if r := v.Get("/powiadomienia/wypisz?done=1"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Wypisaliśmy Cię") {
		t.Errorf("the confirmation: %d", r.StatusCode)
	}
}

// TestNotificationsInDataExport: the archive carries follows and notifications.
func TestNotificationsInDataExport(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	a := ntAPI(t, s, "resident@example.org")
	r := a.Do(http.MethodGet, "/api/v1/me/export", nil)
	var out struct {
		Notifications struct {
			Follows       []map[string]any `json:"follows"`
			Notifications []map[string]any `json:"notifications"`
		} `json:"notifications"`
	}
	r.JSON(t, &out)
	if r.StatusCode != http.StatusOK || len(out.Notifications.Follows) == 0 || len(out.Notifications.Notifications) == 0 {
		t.Errorf("export: %d, %d follows, %d notifications", r.StatusCode, len(out.Notifications.Follows), len(out.Notifications.Notifications))
	}
}

// TestNotificationAnswersMatchTheOpenAPIDocument calls the notification operations with
// successes and the usual errors and checks each answer against openapi.json.
func TestNotificationAnswersMatchTheOpenAPIDocument(t *testing.T) {
	t.Parallel()
	_, doc := loadOpenAPI(t)
	s := servertest.Start(t, servertest.Options{})
	client := newAuthzClient(t, s.URL)
	c := &openAPICalls{t: t, s: s, doc: doc, v: openAPIValidator{doc}, client: client, covered: map[string]bool{}}
	resident, _ := client.login(t, "resident@example.org")
	moderator, _ := client.login(t, "moderator@example.org")
	proposal := scalar[int64](t, s, `SELECT min(id) FROM proposals WHERE status <> 'draft'`)
	follow := fmt.Sprintf("/api/v1/proposals/%d/follow", proposal)

	c.call("PUT", "/api/v1/proposals/{id}/follow", follow, moderator, nil, 200)
	c.call("PUT", "/api/v1/proposals/{id}/follow", "/api/v1/proposals/999999/follow", moderator, nil, 404)
	c.call("PUT", "/api/v1/proposals/{id}/follow", follow, "", nil, 401)
	c.call("DELETE", "/api/v1/proposals/{id}/follow", follow, moderator, nil, 200)
	c.call("DELETE", "/api/v1/proposals/{id}/follow", "/api/v1/proposals/999999/follow", moderator, nil, 404)
	c.call("GET", "/api/v1/notifications", "/api/v1/notifications", resident, nil, 200) // seeded: with actors
	c.call("GET", "/api/v1/notifications", "/api/v1/notifications", moderator, nil, 200)
	c.call("GET", "/api/v1/notifications", "/api/v1/notifications?cursor=nonsense!", resident, nil, 400)
	c.call("GET", "/api/v1/notifications", "/api/v1/notifications", "", nil, 401)
	c.call("POST", "/api/v1/notifications/read", "/api/v1/notifications/read", resident, map[string]any{"ids": []int64{1}}, 200)
	c.call("POST", "/api/v1/notifications/read", "/api/v1/notifications/read", resident, map[string]any{"all": true}, 200)
	c.call("POST", "/api/v1/notifications/read", "/api/v1/notifications/read", resident, map[string]any{}, 422)
	c.call("POST", "/api/v1/notifications/read", "/api/v1/notifications/read", resident, map[string]any{"ids": make([]int64, 101)}, 422)
	c.call("POST", "/api/v1/notifications/read", "/api/v1/notifications/read", resident, `{"all":`, 400)
	for _, op := range []string{"PUT /api/v1/proposals/{id}/follow", "DELETE /api/v1/proposals/{id}/follow",
		"GET /api/v1/notifications", "POST /api/v1/notifications/read"} {
		if !c.covered[op] {
			t.Errorf("%s was not checked", op)
		}
	}
}
