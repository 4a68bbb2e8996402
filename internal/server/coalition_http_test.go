package server_test

import (
	"bytes"
	"html"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"lawka/internal/server/servertest"
)

// Signing the Declaration over real HTTP: as a person and for an organisation (with a
// scanned signature), the moderators' decisions, membership, the public list of allies
// and withdrawing.

type ally struct {
	Type         string  `json:"type"`
	Name         string  `json:"name"`
	District     *string `json:"district"`
	DistrictSlug *string `json:"district_slug"`
}

// allies reads GET /api/v1/allies?query and checks that its count matches its items.
func allies(t *testing.T, s *servertest.Running, query string) []ally {
	t.Helper()
	r := s.API(t).Do(http.MethodGet, "/api/v1/allies?"+query, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/allies?%s: %d %s", query, r.StatusCode, r.Body)
	}
	var body struct {
		Items []ally
		Count *int
	}
	r.JSON(t, &body)
	if body.Count == nil || *body.Count != len(body.Items) {
		t.Fatalf("GET /api/v1/allies?%s: count %v for %d items", query, body.Count, len(body.Items))
	}
	return body.Items
}

func allyNames(list []ally) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.Name)
	}
	return out
}

// alliesPage opens /sojusznicy?query and checks the count it states against its list.
func alliesPage(t *testing.T, s *servertest.Running, query string) (body string, n int) {
	t.Helper()
	r := s.Browser(t).Get("/sojusznicy?" + query)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /sojusznicy?%s: %d", query, r.StatusCode)
	}
	n = strings.Count(r.Body, `<span class="ally-name">`)
	if want := html.EscapeString(bundle().For("pl").N("count.allies", n)); !strings.Contains(r.Body, want) {
		t.Fatalf("/sojusznicy?%s lists %d allies but does not say %q", query, n, want)
	}
	return r.Body, n
}

func samplePDF() []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

func samplePNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// signatureState is what signing changes: a refused signature must leave it as it was.
func signatureState(t *testing.T, s *servertest.Running) string {
	t.Helper()
	return scalar[string](t, s, `SELECT concat_ws(' ', (SELECT count(*) FROM signatures), (SELECT count(*) FROM organisations),
		(SELECT count(*) FROM organisation_members), (SELECT count(*) FROM files))`)
}

func TestSigningNeedsAConfirmedEmail(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	newPerson(t, s, personSpec{Email: "niepotwierdzona@example.org", Name: "Niepotwierdzona", Unconfirmed: true})
	b := s.Browser(t)
	b.SignIn("niepotwierdzona@example.org", demoPW)
	a := s.API(t)
	a.Login("niepotwierdzona@example.org", demoPW)
	before := signatureState(t, s)
	message := html.EscapeString(tr("pl", "coalition.email_unconfirmed"))

	r := b.Submit("/deklaracja/podpisz/osoba", "/deklaracja/podpisz/osoba", url.Values{"agree": {"yes"}, "full_name": {"Nina Nowak"}, "list_publicly": {"yes"}})
	if r.StatusCode != http.StatusForbidden || !strings.Contains(r.Body, message) {
		t.Errorf("personal signature form: %d %q, want 403 saying to confirm the address", r.StatusCode, r.Title())
	}
	b.Get("/deklaracja/podpisz/organizacja")
	r = b.PostMultipart("/deklaracja/podpisz/organizacja", url.Values{"name": {"Fundacja Niepotwierdzona"}, "type": {"ngo"},
		"full_name": {"Nina Nowak"}, "role_title": {"prezeska"}, "authority_confirmed": {"yes"}})
	if r.StatusCode != http.StatusForbidden || !strings.Contains(r.Body, message) {
		t.Errorf("organisation form: %d %q, want 403 saying to confirm the address", r.StatusCode, r.Title())
	}
	for _, body := range []map[string]any{
		{"kind": "person", "full_name": "Nina Nowak", "agree": true},
		{"kind": "organisation", "name": "Fundacja Niepotwierdzona", "type": "ngo", "full_name": "Nina Nowak", "role_title": "prezeska", "authority_confirmed": true},
	} {
		r := a.Do(http.MethodPost, "/api/v1/signatures", body)
		if e := apiErr(t, r); r.StatusCode != http.StatusForbidden || e.Code != "email_unconfirmed" {
			t.Errorf("API %s: %d %+v, want 403 email_unconfirmed", body["kind"], r.StatusCode, e)
		}
	}
	if after := signatureState(t, s); after != before {
		t.Errorf("refused signatures changed something: %s → %s", before, after)
	}
}

func TestPersonalSignature(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	id := newPerson(t, s, personSpec{Email: "agata@example.org", Name: "Agata"})
	b := s.Browser(t)
	b.SignIn("agata@example.org", demoPW)
	before := signatureState(t, s)
	for _, tc := range []struct {
		name              string
		form              url.Values
		field, key, value string
	}{
		{"not agreed", url.Values{"full_name": {"Agata Nowak"}}, "agree", "coalition.agree_required", ""},
		{"no name", url.Values{"agree": {"yes"}, "full_name": {"   "}}, "full_name", "coalition.full_name_invalid", "   "},
		{"one word", url.Values{"agree": {"yes"}, "full_name": {"Agata"}}, "full_name", "coalition.full_name_invalid", "Agata"},
		{"too short", url.Values{"agree": {"yes"}, "full_name": {"A "}}, "full_name", "coalition.full_name_invalid", "A "},
		{"too long", url.Values{"agree": {"yes"}, "full_name": {"Agata " + strings.Repeat("ż", 115)}}, "full_name", "coalition.full_name_invalid", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.Submit("/deklaracja/podpisz/osoba", "/deklaracja/podpisz/osoba", tc.form)
			if r.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Title(), "Błąd:") {
				t.Fatalf("status %d %q, want 422 with the form again", r.StatusCode, r.Title())
			}
			checkFieldError(t, r.Body, tc.field, tr("pl", tc.key))
			if tc.value != "" && !strings.Contains(r.Body, `name="full_name" type="text" value="`+html.EscapeString(tc.value)+`"`) {
				t.Error("the form lost the typed name")
			}
		})
	}
	if after := signatureState(t, s); after != before {
		t.Fatalf("refused signatures changed something: %s → %s", before, after)
	}

	r := b.Submit("/deklaracja/podpisz/osoba", "/deklaracja/podpisz/osoba", url.Values{"agree": {"yes"},
		"full_name": {"  Agata   Nowak-Kowalska "}, "list_publicly": {"yes"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/konto/podpisy?done=signed" {
		t.Fatalf("sign: %d → %q (%s)", r.StatusCode, r.Header.Get("Location"), r.Title())
	}
	sigID := scalar[int64](t, s, `SELECT id FROM signatures WHERE user_id = $1 AND organisation_id IS NULL AND status = 'pending'
		AND full_name = 'Agata Nowak-Kowalska' AND list_publicly AND channel = 'online'`, id)
	if r := b.Get("/konto/podpisy?done=signed"); !strings.Contains(r.Body, "Agata Nowak-Kowalska") ||
		!strings.Contains(r.Body, `action="/konto/podpisy/`+strconv.FormatInt(sigID, 10)+`/wycofaj"`) {
		t.Error("the signer's list does not show the pending signature with a withdraw button")
	}
	if slices.Contains(allyNames(allies(t, s, "")), "Agata Nowak-Kowalska") {
		t.Error("a pending signature is on the list of allies")
	}

	// One live personal signature per person.
	r = b.Submit("/deklaracja/podpisz/osoba", "/deklaracja/podpisz/osoba", url.Values{"agree": {"yes"}, "full_name": {"Agata Nowak"}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.Body, html.EscapeString(tr("pl", "coalition.already_signed"))) {
		t.Errorf("signing twice (form): %d %q, want 409", r.StatusCode, r.Title())
	}
	a := s.API(t)
	a.Login("agata@example.org", demoPW)
	r = a.Do(http.MethodPost, "/api/v1/signatures", map[string]any{"kind": "person", "full_name": "Agata Nowak", "agree": true})
	if e := apiErr(t, r); r.StatusCode != http.StatusConflict || e.Code != "already_signed" {
		t.Errorf("signing twice (API): %d %+v, want 409 already_signed", r.StatusCode, e)
	}
	if n := count(t, s, `SELECT count(*) FROM signatures WHERE user_id = $1`, id); n != 1 {
		t.Fatalf("%d signatures, want 1", n)
	}

	// Withdrawn, the person may sign again.
	if r := b.Post("/konto/podpisy/"+strconv.FormatInt(sigID, 10)+"/wycofaj", nil); r.StatusCode != http.StatusSeeOther ||
		r.Header.Get("Location") != "/konto/podpisy?done=withdrawn" {
		t.Fatalf("withdraw: %d → %q", r.StatusCode, r.Header.Get("Location"))
	}
	r = a.Do(http.MethodPost, "/api/v1/signatures", map[string]any{"kind": "person", "full_name": "Agata Nowak", "agree": true, "list_publicly": true})
	var body struct {
		Signature struct {
			ID     int64
			Status string
		}
	}
	r.JSON(t, &body)
	if r.StatusCode != http.StatusCreated || body.Signature.Status != "pending" || body.Signature.ID == sigID {
		t.Errorf("signing after withdrawing: %d %s", r.StatusCode, r.Body)
	}
}

func TestOrganisationSignatureForm(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	signer := newPerson(t, s, personSpec{Email: "rep@example.org", Name: "Reprezentantka"})
	b := s.Browser(t)
	b.SignIn("rep@example.org", demoPW)
	podgorze := scalar[int64](t, s, `SELECT id FROM neighbourhoods WHERE slug = 'podgorze'`)
	pdf, pngFile := samplePDF(), samplePNG(t)
	// The largest scan accepted is 10 MB; one byte more is refused.
	limit := append(samplePDF(), bytes.Repeat([]byte{'0'}, 10<<20-len(samplePDF()))...)
	big := append(bytes.Clone(limit), '0')

	cases := []struct {
		name     string
		org, krs string
		file     *servertest.FormFile
		status   int
		field    string // with the message key: the field the error is shown at
		key      string
		wantKRS  string // stored, for accepted signatures
		wantScan string // stored content type, for accepted signatures with a scan
	}{
		{name: "KRS without its leading zeros", org: "Fundacja Zielony Kazimierz", krs: "123456", status: 303, wantKRS: "0000123456"},
		{name: "KRS with prefix and spaces", org: "Stowarzyszenie Ławeczka", krs: "KRS 0000 654 321", status: 303, wantKRS: "0000654321"},
		{name: "KRS of 11 digits", org: "Fundacja Za Długi Numer", krs: "12345678901", status: 422, field: "krs", key: "coalition.krs_invalid"},
		{name: "KRS of zeros", org: "Fundacja Zero", krs: "0", status: 422, field: "krs", key: "coalition.krs_invalid"},
		{name: "a taken name in other letter case", org: "KLUB SĄSIEDZKI OSIEDLE ZGODY (DEMO)", status: 409, field: "name", key: "coalition.org_exists"},
		{name: "a PDF scan", org: "Rada Osiedla Pod Kopcem", status: 303,
			file: &servertest.FormFile{Field: "scan", Name: "deklaracja.pdf", ContentType: "application/pdf", Content: pdf}, wantScan: "application/pdf"},
		{name: "a PNG named .pdf is kept as PNG", org: "Kółko Szachowe Wieża", status: 303,
			file: &servertest.FormFile{Field: "scan", Name: "skan.pdf", ContentType: "application/pdf", Content: pngFile}, wantScan: "image/png"},
		{name: "a text file named .pdf", org: "Fundacja Tekstowa", status: 422, field: "scan", key: "upload.wrong_type",
			file: &servertest.FormFile{Field: "scan", Name: "skan.pdf", ContentType: "application/pdf", Content: []byte("To nie jest skan, tylko tekst.\n")}},
		{name: "a scan of exactly 10 MB", org: "Fundacja Pełnych Plików", status: 303,
			file: &servertest.FormFile{Field: "scan", Name: "pelny.pdf", ContentType: "application/pdf", Content: limit}, wantScan: "application/pdf"},
		{name: "a scan over 10 MB", org: "Fundacja Wielkich Plików", status: 422, field: "scan", key: "upload.too_large",
			file: &servertest.FormFile{Field: "scan", Name: "duzy.pdf", ContentType: "application/pdf", Content: big}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"name": {tc.org}, "type": {"ngo"}, "krs": {tc.krs}, "website": {""},
				"neighbourhood_id": {strconv.FormatInt(podgorze, 10)}, "full_name": {"Renata Reprezentantka"},
				"role_title": {"prezeska zarządu"}, "authority_confirmed": {"yes"}, "list_publicly": {"yes"}}
			var files []servertest.FormFile
			if tc.file != nil {
				files = append(files, *tc.file)
			}
			if r := b.Get("/deklaracja/podpisz/organizacja"); r.StatusCode != http.StatusOK ||
				!strings.Contains(r.Body, `enctype="multipart/form-data"`) || !strings.Contains(r.Body, `name="scan" type="file"`) {
				t.Fatalf("the organisation form: %d, want a multipart form with a file field", r.StatusCode)
			}
			before := signatureState(t, s)
			r := b.PostMultipart("/deklaracja/podpisz/organizacja", form, files...)
			if r.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%s)", r.StatusCode, tc.status, r.Title())
			}
			if tc.status != http.StatusSeeOther {
				checkFieldError(t, r.Body, tc.field, tr("pl", tc.key))
				if !strings.Contains(r.Body, `name="name" type="text" value="`+html.EscapeString(tc.org)+`"`) {
					t.Error("the form lost the organisation's name")
				}
				if after := signatureState(t, s); after != before {
					t.Errorf("a refused signature saved something: %s → %s", before, after)
				}
				return
			}
			if loc := r.Header.Get("Location"); loc != "/konto/podpisy?done=signed" {
				t.Errorf("→ %q", loc)
			}
			var orgID int64
			var krs, scanType *string
			err := s.Pool.QueryRow(t.Context(), `SELECT o.id, o.krs, f.content_type FROM organisations o
				JOIN organisation_members m ON m.organisation_id = o.id AND m.user_id = $2 AND m.role = 'representative'
				JOIN signatures sg ON sg.organisation_id = o.id AND sg.user_id = $2 AND sg.status = 'pending'
					AND sg.authority_confirmed AND sg.full_name = 'Renata Reprezentantka' AND sg.role_title = 'prezeska zarządu'
				LEFT JOIN files f ON f.id = sg.scan_file_id
				WHERE o.name = $1 AND o.kind = 'ngo' AND o.created_by = $2 AND o.neighbourhood_id = $3`,
				tc.org, signer, podgorze).Scan(&orgID, &krs, &scanType)
			if err != nil {
				t.Fatalf("no organisation with its representative and pending signature: %v", err)
			}
			if tc.wantKRS != "" && (krs == nil || *krs != tc.wantKRS) {
				t.Errorf("KRS stored as %v, want %s", strOf(krs), tc.wantKRS)
			}
			if tc.wantScan != strOf(scanType) {
				t.Errorf("scan stored as %q, want %q", strOf(scanType), tc.wantScan)
			}
		})
	}

	// The API says the same about a taken name, at the field.
	a := s.API(t)
	a.Login("rep@example.org", demoPW)
	before := signatureState(t, s)
	r := a.Do(http.MethodPost, "/api/v1/signatures", map[string]any{"kind": "organisation", "name": "klub sąsiedzki osiedle zgody (demo)",
		"type": "informal_group", "full_name": "Renata Reprezentantka", "role_title": "członkini", "authority_confirmed": true})
	if e := apiErr(t, r); r.StatusCode != http.StatusConflict || e.Code != "organisation_exists" || e.Fields["name"] == "" {
		t.Errorf("API, a taken name: %d %+v, want 409 organisation_exists at name", r.StatusCode, e)
	}
	if after := signatureState(t, s); after != before {
		t.Errorf("a refused signature saved something: %s → %s", before, after)
	}
}

func strOf(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestScanDownloads(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	newPerson(t, s, personSpec{Email: "skan@example.org", Name: "Skanująca"})
	signer := s.Browser(t)
	signer.SignIn("skan@example.org", demoPW)
	pngFile := samplePNG(t)
	signer.Get("/deklaracja/podpisz/organizacja")
	r := signer.PostMultipart("/deklaracja/podpisz/organizacja", url.Values{"name": {"Fundacja Skanów"}, "type": {"ngo"},
		"full_name": {"Sara Skanująca"}, "role_title": {"prezeska"}, "authority_confirmed": {"yes"}},
		servertest.FormFile{Field: "scan", Name: "skan.pdf", ContentType: "application/pdf", Content: pngFile})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign: %d %q", r.StatusCode, r.Title())
	}
	id := strconv.FormatInt(scalar[int64](t, s, `SELECT s.id FROM signatures s JOIN organisations o ON o.id = s.organisation_id
		WHERE o.name = 'Fundacja Skanów'`), 10)
	if r := signer.Get("/konto/podpisy"); !strings.Contains(r.Body, `href="/konto/podpisy/`+id+`/skan"`) {
		t.Error("the signer's list has no link to the scan")
	}
	mod := s.Browser(t)
	mod.SignIn("moderator@example.org", demoPW)
	if r := mod.Get("/admin/podpisy"); !strings.Contains(r.Body, `href="/admin/podpisy/`+id+`/skan"`) {
		t.Error("the moderators' queue has no link to the scan")
	}
	resident := s.Browser(t)
	resident.SignIn("resident@example.org", demoPW)
	for _, tc := range []struct {
		who    string
		b      *servertest.Browser
		path   string
		status int
	}{
		{"the signer", signer, "/konto/podpisy/" + id + "/skan", 200},
		{"a moderator", mod, "/admin/podpisy/" + id + "/skan", 200},
		{"another resident", resident, "/konto/podpisy/" + id + "/skan", 404},
		{"another resident, staff path", resident, "/admin/podpisy/" + id + "/skan", 404},
		{"signed out", s.Browser(t), "/konto/podpisy/" + id + "/skan", 303},
	} {
		t.Run(tc.who, func(t *testing.T) {
			r := tc.b.Get(tc.path)
			if r.StatusCode != tc.status {
				t.Fatalf("GET %s: %d, want %d", tc.path, r.StatusCode, tc.status)
			}
			got := r.Body == string(pngFile)
			if got != (tc.status == 200) {
				t.Fatalf("the answer carries the scan: %v", got)
			}
			if tc.status != 200 {
				return
			}
			if ct, cd := r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"); ct != "image/png" ||
				cd != `attachment; filename="podpis-`+id+`.png"` || !strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
				t.Errorf("served as %q, %q, %q; want image/png as an attachment named .png, not stored", ct, cd, r.Header.Get("Cache-Control"))
			}
		})
	}
}

var signatureIDRE = regexp.MustCompile(`"id":([0-9]+)`)

type apiSignature struct {
	ID             int64  `json:"id"`
	Status         string `json:"status"`
	FullName       string `json:"full_name"`
	DecisionReason string `json:"decision_reason"`
}

func TestModeratorsDecideAndAlliesAreListed(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	const (
		personName = "Paweł Przykładny"
		orgName    = "Fundacja Zielona Krowodrza"
	)
	newPerson(t, s, personSpec{Email: "pawel@example.org", Name: "Paweł", District: "krowodrza"})
	orgRep := newPerson(t, s, personSpec{Email: "olga@example.org", Name: "Olga"})
	newPerson(t, s, personSpec{Email: "kuba@example.org", Name: "Kuba"})
	krowodrza := scalar[int64](t, s, `SELECT id FROM neighbourhoods WHERE slug = 'krowodrza'`)
	login := func(email string) (*servertest.Browser, *servertest.API) {
		b, a := s.Browser(t), s.API(t)
		b.SignIn(email, demoPW)
		a.Login(email, demoPW)
		return b, a
	}
	pawel, pawelAPI := login("pawel@example.org")
	_, olgaAPI := login("olga@example.org")
	kubaAPI := s.API(t)
	kubaAPI.Login("kuba@example.org", demoPW)
	mod, modAPI := login("moderator@example.org")
	resident, residentAPI := login("resident@example.org")
	modAPI.Header.Set("Accept-Language", "en")

	sign := func(a *servertest.API, body map[string]any) apiSignature {
		t.Helper()
		r := a.Do(http.MethodPost, "/api/v1/signatures", body)
		var out struct{ Signature apiSignature }
		r.JSON(t, &out)
		if r.StatusCode != http.StatusCreated || out.Signature.Status != "pending" {
			t.Fatalf("sign: %d %s", r.StatusCode, r.Body)
		}
		return out.Signature
	}
	personSig := sign(pawelAPI, map[string]any{"kind": "person", "full_name": personName, "agree": true, "list_publicly": true})
	orgSig := sign(olgaAPI, map[string]any{"kind": "organisation", "name": orgName, "type": "ngo", "neighbourhood_id": krowodrza,
		"website": "zielona.example.org", "full_name": "Olga Organizatorka", "role_title": "prezeska", "authority_confirmed": true, "list_publicly": true})
	rejected := sign(kubaAPI, map[string]any{"kind": "person", "full_name": "Kuba Kubacki", "agree": true, "list_publicly": true})
	ids := func(sig apiSignature) string { return strconv.FormatInt(sig.ID, 10) }

	if r := mod.Get("/admin/podpisy"); !strings.Contains(r.Body, `id="sig-`+ids(personSig)+`"`) ||
		!strings.Contains(r.Body, `id="sig-`+ids(orgSig)+`"`) || !strings.Contains(r.Body, html.EscapeString(orgName)) {
		t.Fatal("the moderators' queue does not list the pending signatures")
	}
	var pending struct{ Items []apiSignature }
	modAPI.Do(http.MethodGet, "/api/v1/admin/signatures", nil).JSON(t, &pending)
	if len(pending.Items) < 3 {
		t.Fatalf("GET /api/v1/admin/signatures lists %d, want the 3 new ones at least", len(pending.Items))
	}
	_, listedBefore := alliesPage(t, s, "")
	apiBefore := len(allies(t, s, ""))
	if listedBefore != apiBefore {
		t.Fatalf("the page lists %d allies, the API %d", listedBefore, apiBefore)
	}

	t.Run("a resident cannot decide", func(t *testing.T) {
		before := signatureState(t, s) + staffState(t, s)
		r := residentAPI.Do(http.MethodPost, "/api/v1/admin/signatures/"+ids(personSig)+"/decision", map[string]any{"confirm": true})
		if e := apiErr(t, r); r.StatusCode != http.StatusForbidden || e.Code != "forbidden" {
			t.Errorf("API: %d %+v, want 403", r.StatusCode, e)
		}
		// Who asks is checked before what they sent.
		if r := residentAPI.Do(http.MethodPost, "/api/v1/admin/signatures/"+ids(personSig)+"/decision", map[string]any{}); r.StatusCode != http.StatusForbidden {
			t.Errorf("API without a decision: %d, want 403", r.StatusCode)
		}
		resident.Get("/konto")
		for _, decision := range []string{"confirm", "reject", ""} {
			r := resident.Post("/admin/podpisy/"+ids(personSig)+"/decyzja", url.Values{"decision": {decision}, "reason": {"nie"}})
			if r.StatusCode != http.StatusForbidden {
				t.Errorf("form, decision %q: %d, want 403", decision, r.StatusCode)
			}
		}
		if r := resident.Get("/admin/podpisy"); r.StatusCode != http.StatusForbidden {
			t.Errorf("the queue: %d, want 403", r.StatusCode)
		}
		if r := residentAPI.Do(http.MethodGet, "/api/v1/admin/signatures", nil); r.StatusCode != http.StatusForbidden {
			t.Errorf("the API queue: %d, want 403", r.StatusCode)
		}
		if after := signatureState(t, s) + staffState(t, s); after != before ||
			scalar[string](t, s, `SELECT status FROM signatures WHERE id = $1`, personSig.ID) != "pending" {
			t.Errorf("a resident's decision changed something: %s → %s", before, after)
		}
	})

	t.Run("confirm a personal signature", func(t *testing.T) {
		if apiMe(t, pawelAPI).Member {
			t.Fatal("a member before the confirmation")
		}
		r := mod.Post("/admin/podpisy/"+ids(personSig)+"/decyzja", url.Values{"decision": {"confirm"}, "reason": {""}})
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/podpisy?done=confirmed" {
			t.Fatalf("confirm: %d → %q (%s)", r.StatusCode, r.Header.Get("Location"), r.Title())
		}
		mails := s.Mail(t, "pawel@example.org")
		if len(mails) != 1 || mails[0].Subject != tr("pl", "mail.signature_confirmed.subject") || !strings.Contains(mails[0].Body, personName) ||
			!strings.Contains(mails[0].Body, s.URL+"/sojusznicy") {
			t.Errorf("mail to the signer: %+v", mails)
		}
		if !apiMe(t, pawelAPI).Member {
			t.Error("the signer's next request is not a member's")
		}
		if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action = 'signature.confirm' AND target_id = $1`, personSig.ID); n != 1 {
			t.Errorf("%d signature.confirm entries", n)
		}
		body, n := alliesPage(t, s, "")
		if n != listedBefore+1 || !strings.Contains(body, html.EscapeString(personName)) {
			t.Errorf("/sojusznicy lists %d (was %d), with the new ally: %v", n, listedBefore, strings.Contains(body, html.EscapeString(personName)))
		}
		if list := allies(t, s, "type=person&district=krowodrza"); !slices.Equal(allyNames(list), []string{personName}) ||
			list[0].DistrictSlug == nil || *list[0].DistrictSlug != "krowodrza" {
			t.Errorf("allies of type person in Krowodrza: %+v", list)
		}
	})

	t.Run("confirm an organisation's signature", func(t *testing.T) {
		r := modAPI.Do(http.MethodPost, "/api/v1/admin/signatures/"+ids(orgSig)+"/decision", map[string]any{"confirm": true})
		var out struct{ Signature apiSignature }
		r.JSON(t, &out)
		if r.StatusCode != http.StatusOK || out.Signature.Status != "confirmed" {
			t.Fatalf("confirm: %d %s", r.StatusCode, r.Body)
		}
		u := apiMe(t, olgaAPI)
		if !u.Member || !slices.Equal(u.Roles, []string{"resident", "advocate"}) {
			t.Errorf("the representative's next request: member %v roles %v, want a member and an advocate", u.Member, u.Roles)
		}
		if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action = 'role.grant' AND target_id = $1 AND details->>'role' = 'advocate'`, orgRep); n != 1 {
			t.Errorf("%d role.grant advocate entries", n)
		}
		if mails := s.Mail(t, "olga@example.org"); len(mails) != 1 || !strings.Contains(mails[0].Body, orgName) {
			t.Errorf("mail to the representative: %+v", mails)
		}
		if list := allies(t, s, "type=ngo&district=krowodrza"); !slices.Equal(allyNames(list), []string{orgName}) || list[0].Type != "ngo" {
			t.Errorf("allies of type ngo in Krowodrza: %+v", list)
		}
		if names := allyNames(allies(t, s, "district=krowodrza")); !slices.Equal(names, []string{orgName, personName}) {
			t.Errorf("allies in Krowodrza: %v, want the organisation, then the person", names)
		}
		if names := allyNames(allies(t, s, "type=ngo")); !slices.Contains(names, orgName) || !slices.Contains(names, "Stowarzyszenie Sąsiedzi z Podgórza (demo)") ||
			slices.Contains(names, personName) {
			t.Errorf("allies of type ngo: %v", names)
		}
		if names := allyNames(allies(t, s, "type=ngo&district=podgorze")); slices.Contains(names, orgName) {
			t.Errorf("the filter by district lets another district through: %v", names)
		}
		body, n := alliesPage(t, s, "typ=ngo&dzielnica=krowodrza")
		if n != 1 || !strings.Contains(body, `href="https://zielona.example.org"`) || !strings.Contains(body, html.EscapeString(orgName)) {
			t.Errorf("/sojusznicy filtered to ngo in Krowodrza lists %d", n)
		}
		r = s.API(t).Do(http.MethodGet, "/api/v1/allies?type=partia", nil)
		if e := apiErr(t, r); r.StatusCode != http.StatusUnprocessableEntity || e.Fields["type"] == "" {
			t.Errorf("an unknown type: %d %+v, want 422", r.StatusCode, e)
		}
	})

	t.Run("a rejection needs a reason", func(t *testing.T) {
		decide := "/admin/podpisy/" + ids(rejected) + "/decyzja"
		mod.Get("/admin/podpisy")
		r := mod.Post(decide, url.Values{"decision": {"reject"}, "reason": {"  "}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, html.EscapeString(tr("pl", "account.reason_required"))) {
			t.Errorf("reject without a reason (form): %d %q, want 422", r.StatusCode, r.Title())
		}
		r = modAPI.Do(http.MethodPost, "/api/v1/admin/signatures/"+ids(rejected)+"/decision", map[string]any{"confirm": false})
		if e := apiErr(t, r); r.StatusCode != http.StatusUnprocessableEntity || e.Fields["reason"] == "" {
			t.Errorf("reject without a reason (API): %d %+v", r.StatusCode, e)
		}
		if st := scalar[string](t, s, `SELECT status FROM signatures WHERE id = $1`, rejected.ID); st != "pending" || len(s.Mail(t, "kuba@example.org")) != 0 {
			t.Fatalf("after refused rejections: %s, with mail", st)
		}
		const reason = "Podpis wygląda na żart — prosimy o pełne imię i nazwisko."
		r = mod.Post(decide, url.Values{"decision": {"reject"}, "reason": {reason}})
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/podpisy?done=rejected" {
			t.Fatalf("reject: %d → %q", r.StatusCode, r.Header.Get("Location"))
		}
		mails := s.Mail(t, "kuba@example.org")
		if len(mails) != 1 || mails[0].Subject != tr("pl", "mail.signature_rejected.subject") || !strings.Contains(mails[0].Body, reason) {
			t.Errorf("mail to the rejected signer: %+v", mails)
		}
		if apiMe(t, kubaAPI).Member || slices.Contains(allyNames(allies(t, s, "")), "Kuba Kubacki") {
			t.Error("a rejected signer is a member or listed")
		}
		var mine struct{ Items []apiSignature }
		kubaAPI.Do(http.MethodGet, "/api/v1/me/signatures", nil).JSON(t, &mine)
		if len(mine.Items) != 1 || mine.Items[0].Status != "rejected" || mine.Items[0].DecisionReason != reason {
			t.Errorf("the signer's own list: %+v", mine.Items)
		}
	})

	t.Run("deciding twice", func(t *testing.T) {
		before := signatureState(t, s) + staffState(t, s)
		mails := count(t, s, `SELECT count(*) FROM mail_outbox`)
		for _, sig := range []apiSignature{personSig, rejected} {
			for _, confirm := range []bool{true, false} {
				r := modAPI.Do(http.MethodPost, "/api/v1/admin/signatures/"+ids(sig)+"/decision", map[string]any{"confirm": confirm, "reason": "jeszcze raz"})
				if e := apiErr(t, r); r.StatusCode != http.StatusConflict || e.Code != "already_decided" {
					t.Errorf("signature %d, confirm %v again: %d %+v, want 409 already_decided", sig.ID, confirm, r.StatusCode, e)
				}
			}
		}
		mod.Get("/admin/podpisy")
		r := mod.Post("/admin/podpisy/"+ids(personSig)+"/decyzja", url.Values{"decision": {"reject"}, "reason": {"jednak nie"}})
		if r.StatusCode != http.StatusConflict || !strings.Contains(r.Body, html.EscapeString(tr("pl", "coalition.already_decided"))) {
			t.Errorf("form, deciding twice: %d %q", r.StatusCode, r.Title())
		}
		if r := modAPI.Do(http.MethodPost, "/api/v1/admin/signatures/999999/decision", map[string]any{"confirm": true}); r.StatusCode != http.StatusNotFound {
			t.Errorf("an unknown signature: %d, want 404", r.StatusCode)
		}
		if after := signatureState(t, s) + staffState(t, s); after != before || count(t, s, `SELECT count(*) FROM mail_outbox`) != mails {
			t.Errorf("deciding twice changed something: %s → %s", before, after)
		}
	})

	t.Run("withdrawing ends the listing and membership", func(t *testing.T) {
		// Not someone else's.
		if r := residentAPI.Do(http.MethodDelete, "/api/v1/signatures/"+ids(personSig), nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("a resident withdrawing another's signature: %d, want 404", r.StatusCode)
		}
		_, listed := alliesPage(t, s, "")
		pawel.Get("/konto/podpisy")
		if r := pawel.Post("/konto/podpisy/"+ids(personSig)+"/wycofaj", nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("withdraw (form): %d", r.StatusCode)
		}
		if apiMe(t, pawelAPI).Member {
			t.Error("still a member after withdrawing")
		}
		body, n := alliesPage(t, s, "")
		if n != listed-1 || strings.Contains(body, html.EscapeString(personName)) {
			t.Errorf("after withdrawing /sojusznicy lists %d (was %d)", n, listed)
		}
		if r := olgaAPI.Do(http.MethodDelete, "/api/v1/signatures/"+ids(orgSig), nil); r.StatusCode != http.StatusNoContent {
			t.Fatalf("withdraw (API): %d %s", r.StatusCode, r.Body)
		}
		if apiMe(t, olgaAPI).Member {
			t.Error("the representative is still a member after withdrawing the organisation's signature")
		}
		if names := allyNames(allies(t, s, "district=krowodrza")); len(names) != 0 {
			t.Errorf("allies in Krowodrza after both withdrew: %v", names)
		}
		if r := olgaAPI.Do(http.MethodDelete, "/api/v1/signatures/"+ids(orgSig), nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("withdrawing twice: %d, want 404", r.StatusCode)
		}
		if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action = 'signature.withdraw' AND target_id IN ($1, $2)`, personSig.ID, orgSig.ID); n != 2 {
			t.Errorf("%d signature.withdraw entries, want 2", n)
		}
	})
}
