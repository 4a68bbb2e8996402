package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"lawka/internal/platform/pagecache"
	"lawka/internal/server/servertest"
)

// TestSignedOutVisitorsShareTheCachedProposalPage: a proposal page read by many
// signed-out visitors is rendered once per TTL and carries nothing personal (no CSRF
// cookie, no token, no name); a signed-in person always gets a fresh page with their
// own forms.
func TestSignedOutVisitorsShareTheCachedProposalPage(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{Env: map[string]string{"LAWKA_PAGE_CACHE_TTL": "1m"}})
	id := scalar[int64](t, s, `SELECT id FROM proposals WHERE status = 'published' AND moderation = 'visible' ORDER BY id LIMIT 1`)
	path := fmt.Sprintf("/propozycje/%d", id)

	first := s.Browser(t).Get(path)
	if first.StatusCode != http.StatusOK || first.Header.Get(pagecache.Header) != "miss" {
		t.Fatalf("first view: %d, cache %q", first.StatusCode, first.Header.Get(pagecache.Header))
	}
	if c := first.Header.Values("Set-Cookie"); len(c) != 0 {
		t.Fatalf("a signed-out view of a page without forms sets cookies: %v", c)
	}
	if strings.Contains(first.Body, `name="_csrf"`) {
		t.Fatal("the signed-out page carries a CSRF token")
	}
	second := s.Browser(t).Get(path)
	if second.Header.Get(pagecache.Header) != "hit" || second.Body != first.Body {
		t.Fatalf("second visitor: cache %q, same page %v", second.Header.Get(pagecache.Header), second.Body == first.Body)
	}

	// A comment posted now is on the page of the signed-in, who never get the cached page.
	ola := signedInAPI(t, s, "resident@example.org")
	postComment(t, ola, id, map[string]any{"body": "Świeży komentarz spoza pamięci podręcznej", "stance": "for"})
	b := s.Browser(t)
	b.SignIn("resident@example.org", demoPassword)
	mine := b.Get(path)
	if mine.Header.Get(pagecache.Header) != "bypass" || !strings.Contains(mine.Body, "Świeży komentarz") ||
		!strings.Contains(mine.Body, `name="_csrf"`) {
		t.Fatalf("signed-in view: cache %q, has the new comment %v", mine.Header.Get(pagecache.Header),
			strings.Contains(mine.Body, "Świeży komentarz"))
	}

	// The page in another language is a page of its own.
	en := s.Browser(t).Get(path + "?lang=en")
	if en.Header.Get(pagecache.Header) != "miss" || !strings.Contains(en.Body, `lang="en"`) {
		t.Fatalf("English view: cache %q", en.Header.Get(pagecache.Header))
	}
	// The sign-in page is never cached and still sets the CSRF cookie its form needs.
	if r := s.Browser(t).Get("/logowanie"); r.Header.Get(pagecache.Header) != "" || len(r.Header.Values("Set-Cookie")) == 0 {
		t.Fatalf("sign-in page: cache %q, cookies %v", r.Header.Get(pagecache.Header), r.Header.Values("Set-Cookie"))
	}
}

// TestCommentCatchUpListsWhatCameAfter: a page that missed live messages asks for the
// comments after the newest it knows: visible ones, replies included, oldest first.
func TestCommentCatchUpListsWhatCameAfter(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := scalar[int64](t, s, `SELECT id FROM proposals WHERE status = 'published' AND moderation = 'visible' ORDER BY id LIMIT 1`)
	ola := signedInAPI(t, s, "resident@example.org")
	known := postComment(t, ola, id, map[string]any{"body": "Znany już stronie", "stance": "for"})
	root := postComment(t, ola, id, map[string]any{"body": "Nowy wątek", "stance": "neutral"})
	reply := postComment(t, ola, id, map[string]any{"body": "Odpowiedź w nowym wątku", "stance": "for", "parent_id": root.ID})
	gone := postComment(t, ola, id, map[string]any{"body": "Usunięty zaraz po napisaniu", "stance": "against"})
	if r := ola.Do(http.MethodDelete, fmt.Sprintf("/api/v1/comments/%d", gone.ID), nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.StatusCode, r.Body)
	}

	r := s.API(t).Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d/comments?since=%d", id, known.ID), nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("catch-up: %d %s", r.StatusCode, r.Body)
	}
	var got commentListJSON
	r.JSON(t, &got)
	if len(got.Items) != 2 || got.Items[0].ID != root.ID || got.Items[1].ID != reply.ID ||
		got.Items[1].ParentID == nil || *got.Items[1].ParentID != root.ID || len(got.Items[0].Replies) != 0 {
		t.Fatalf("catch-up after %d = %+v; want the new thread and its reply, flat, without the deleted one", known.ID, got.Items)
	}

	bad := s.API(t).Do(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d/comments?since=wczoraj", id), nil)
	if bad.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `"since"`) {
		t.Fatalf("a bad since: %d %s", bad.StatusCode, bad.Body)
	}
}
