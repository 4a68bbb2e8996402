package server_test

// The route authorisation matrix: every mounted route, called by every kind of person,
// must answer as the table below says. The table is checked against the routes the
// server really mounts, so a new route fails these tests until someone decides who may
// call it.

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/account"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/upload"
	"lawka/internal/seed"
	"lawka/internal/server/servertest"
	"lawka/web"
)

// Outcome is how a route answers one person, as far as authorisation goes.
type Outcome int

const (
	// Allow: authorisation passed. Any status but 401 "sign in", 403, 404, a redirect
	// of a page to the sign-in form or a 5xx: a 422 for an empty form counts, and so
	// does a 401 for a wrong code once signed in (the 2FA form).
	Allow Outcome = iota + 1
	// SignIn: 401 unauthorized, or for a GET page a 303 to /logowanie?next=….
	SignIn
	// Deny: 403, or 404 where the app hides that the object exists.
	Deny
)

func (o Outcome) String() string {
	return [...]string{"?", "Allow", "SignIn", "Deny"}[o]
}

func (o Outcome) letter() string { return [...]string{"?", "A", "S", "D"}[o] }

// The people who call every route, in the order of authzWants.
const (
	asVisitor = iota
	asResident
	asVerified
	asMember
	asAdvocate
	asModerator
	asAdmin
	authzActorCount
)

var authzActors = [authzActorCount]struct{ name, email string }{
	{"visitor", ""}, // signed out
	{"resident", "authz.resident@example.org"}, // made by authzSetup: confirmed email, nothing else
	{"verified", "resident@example.org"},       // a verified resident
	{"member", "anna.mieszkanka@example.org"},  // a confirmed personal signatory
	{"advocate", "advocate@example.org"},       // advocate, represents an organisation that signed (so a member too)
	{"moderator", "moderator@example.org"},     // moderator
	{"admin", "admin@example.org"},             // admin and moderator
}

// authzWants is the expected outcome for each person, in the order of authzActors.
type authzWants [authzActorCount]Outcome

// visitor resident verified member advocate moderator admin
var (
	Public    = authzWants{Allow, Allow, Allow, Allow, Allow, Allow, Allow}
	SignedIn  = authzWants{SignIn, Allow, Allow, Allow, Allow, Allow, Allow}
	StaffOnly = authzWants{SignIn, Deny, Deny, Deny, Deny, Allow, Allow}
	AdminOnly = authzWants{SignIn, Deny, Deny, Deny, Deny, Deny, Allow}
	// Another person's object that only its owner may touch, staff included (after
	// the matrix, TestAuthorisationMatrix checks that these objects are untouched).
	NoOneElse = authzWants{SignIn, Deny, Deny, Deny, Deny, Deny, Deny}
	// The sample belongs to the advocate (their signature's scan): owner or staff.
	AdvocateOrStaff = authzWants{SignIn, Deny, Deny, Deny, Allow, Allow, Allow}
	// The sample is an organisation the advocate represents: its representatives only.
	AdvocateOnly = authzWants{SignIn, Deny, Deny, Deny, Allow, Deny, Deny}
	// Seen only by the staff (and its owner), not even offered to visitors: a draft.
	StaffSees = authzWants{Deny, Deny, Deny, Deny, Deny, Allow, Allow}
	// A coalition response before submission: advocates of member organisations and
	// the staff; everyone else gets 404.
	EditorsSee = authzWants{Deny, Deny, Deny, Deny, Allow, Allow, Allow}
)

// ownOrStaff is a route on an object its owner and the staff may change: the caller's
// own object ({ownProposal}) and someone else's ({proposal}).
func ownOrStaff(route, path string) authzRow {
	return authzRow{route: route, probes: []authzProbe{
		{name: "own", path: strings.ReplaceAll(path, "{proposal}", "{ownProposal}"), want: SignedIn},
		{name: "other's", path: path, want: StaffOnly},
	}}
}

// authzProbe is one request to a route.
type authzProbe struct {
	name string // which sample, when a route has several ("own", "other's")
	// path is the sample path ("" for the route's own path when it has no parameters).
	// Placeholders, filled by authzFixture.fill:
	//   {user}          resident@example.org, a verified resident without extra roles
	//   {batch}         the seeded invitation batch
	//   {pendingSig}    the seeded pending signature (Kawiarnia Pod Ławką)
	//   {scanSig}       the advocate's confirmed organisation signature, with a scan
	//   {repOrg}        the organisation the advocate represents
	//   {otherOrg}      an organisation the advocate does not represent
	//   {othersSig}     marta.sasiadka's confirmed personal signature (no actor's)
	//   {othersSession} a session of marta.sasiadka (no actor's)
	//   {ownSig}        a pending signature made for the caller just before the request
	//   {ownSession}    the caller's own session
	//   {proposal}      marta.sasiadka's published proposal (no actor's)
	//   {draftProposal} marta.sasiadka's draft
	//   {ownProposal}   a published proposal made for the caller just before the request
	//   {proposalFile}  an image attached to {proposal}
	//   {paperProposal} a proposal typed in from paper, with its scan
	//   {district}      Podgórze; {topic} the first topic
	//   {comment}       marta.sasiadka's comment on {proposal} (no actor's)
	//   {delComment}    another of hers, for the delete probes (staff delete it)
	//   {paperComment}  a comment received on paper under {proposal}, with a scan
	//   {case}          a moderation case about {comment} (marta.sasiadka's)
	//   {event}         a published event ten days ahead, registration open, 50 places
	//   {draftEvent}    a draft event
	//   {debate}        the seeded upcoming debate, moderated by moderator@example.org
	//   {debateCode}    its join code; {speaker} its first speaker, with a photo
	//   {otherDebate}   a published debate nobody is assigned to (admins run it)
	//   {draftDebate}   a draft debate
	//   {debateQuestion} marta.sasiadka's approved question in {debate}; {otherQuestion} a pending one in {otherDebate}
	//   {eventFile}     a PDF attached to {event}
	//   {consultation}  a published consultation open for responses (registered), one text question
	//   {draftConsultation} a draft consultation
	//   {consultationFile} a PDF attached to {consultation}
	//   {paperResponse} a paper response to {consultation} typed in by the moderator, with a scan
	//   {response}      the seeded coalition response (in review, started by the advocate)
	//   {responseSection} its first section; {responseComment} its seeded comment
	//   {submittedResponse} a submitted (public, frozen) coalition response
	//   {textAnswer}    the free-text answer of {paperResponse}
	//   {promise}       a seeded promise of the 2024 debate; {draftPromise} a promise of {draftDebate}
	path string
	// body is sent instead of the empty form ("") or "{}" (routes under /api/). Only
	// where an empty body would be refused before the role is looked at.
	body string
	want authzWants
	ends bool // ends the caller's session: such rows run last, and the caller signs in again
}

// authzRow is the table's entry for one mounted route ("METHOD /pattern").
type authzRow struct {
	route  string
	probes []authzProbe
}

func authzRoute(route string, want authzWants) authzRow {
	return authzRow{route: route, probes: []authzProbe{{want: want}}}
}

func authzAt(route, path string, want authzWants) authzRow {
	return authzRow{route: route, probes: []authzProbe{{path: path, want: want}}}
}

// authzTable says who may call every route. Probes (/healthz, /readyz, /metrics) and
// static files are left out; everything else the server mounts must be here.
var authzTable = []authzRow{
	// Public pages.
	authzRoute("GET /", Public),
	authzAt("GET /dzielnice/:slug", "/dzielnice/podgorze", Public),
	authzAt("GET /dzielnice/:slug/propozycje.atom", "/dzielnice/podgorze/propozycje.atom", Public),
	authzRoute("GET /deklaracja", Public),
	authzRoute("GET /zasady", Public),
	// A plain GET of /ws gets 426 Upgrade Required; who may watch which room is decided
	// per room on subscribe (realtime tests).
	authzRoute("GET /ws", Public),
	authzRoute("GET /sojusznicy", Public),
	authzRoute("GET /propozycje", Public),
	{route: "GET /propozycje/:id<int>", probes: []authzProbe{
		{name: "published", path: "/propozycje/{proposal}", want: Public},
		{name: "draft", path: "/propozycje/{draftProposal}", want: StaffSees},
	}},
	authzAt("GET /propozycje/:id<int>/historia", "/propozycje/{proposal}/historia", Public),
	authzAt("GET /komentarze/:id<int>", "/komentarze/{comment}", Public),
	authzAt("GET /komentarze/:id<int>/historia", "/komentarze/{comment}/historia", Public),
	authzAt("GET /propozycje/:id<int>/zalaczniki/:file<int>", "/propozycje/{proposal}/zalaczniki/{proposalFile}", Public),
	authzAt("GET /ankiety/:id", "/ankiety/{poll}", Public),
	authzAt("POST /ankiety/:id/glos", "/ankiety/{poll}/glos", Public), // empty form: 422 choose an answer
	authzAt("GET /ankiety/:id/wyniki.csv", "/ankiety/{poll}/wyniki.csv", Public),
	authzRoute("GET /zaproszenie", Public),
	authzRoute("GET /konsultacje", Public),
	authzRoute("GET /obietnice", Public),
	{route: "GET /obietnice/:id<int>", probes: []authzProbe{
		{name: "published", path: "/obietnice/{promise}", want: Public},
		{name: "draft", path: "/obietnice/{draftPromise}", want: StaffSees},
	}},
	{route: "GET /konsultacje/:id<int>", probes: []authzProbe{
		{name: "published", path: "/konsultacje/{consultation}", want: Public},
		{name: "draft", path: "/konsultacje/{draftConsultation}", want: StaffSees},
	}},
	authzAt("GET /konsultacje/:id<int>/dokumenty/:file<int>", "/konsultacje/{consultation}/dokumenty/{consultationFile}", Public),
	authzAt("GET /konsultacje/:id<int>/pokwitowanie", "/konsultacje/{consultation}/pokwitowanie?kod=ABCD", Public),
	// Results before the report phase: the staff see them, others get 409 not yet published.
	authzAt("GET /konsultacje/:id<int>/raport", "/konsultacje/{consultation}/raport", Public),
	authzAt("GET /konsultacje/:id<int>/wyniki.csv", "/konsultacje/{consultation}/wyniki.csv", Public),
	authzAt("GET /konsultacje/:id<int>/odpowiedzi", "/konsultacje/{consultation}/odpowiedzi", Public),
	{route: "GET /stanowiska/:id<int>", probes: []authzProbe{
		{name: "in review", path: "/stanowiska/{response}", want: EditorsSee},
		{name: "submitted", path: "/stanowiska/{submittedResponse}", want: Public},
	}},
	{route: "GET /stanowiska/:id<int>/eksport.md", probes: []authzProbe{
		{name: "in review", path: "/stanowiska/{response}/eksport.md", want: EditorsSee},
		{name: "submitted", path: "/stanowiska/{submittedResponse}/eksport.md", want: Public},
	}},
	{route: "GET /stanowiska/:id<int>/eksport.pdf", probes: []authzProbe{
		{name: "in review", path: "/stanowiska/{response}/eksport.pdf", want: EditorsSee},
		{name: "submitted", path: "/stanowiska/{submittedResponse}/eksport.pdf", want: Public},
	}},
	authzAt("GET /stanowiska/:id<int>/historia", "/stanowiska/{response}/historia", EditorsSee),
	authzAt("GET /stanowiska/:id<int>/sekcje/:section<int>/historia", "/stanowiska/{response}/sekcje/{responseSection}/historia", EditorsSee),
	authzAt("GET /stanowiska/:id<int>/druk", "/stanowiska/{response}/druk", EditorsSee),
	authzRoute("GET /wydarzenia", Public),
	authzRoute("GET /wydarzenia.ics", Public),
	{route: "GET /wydarzenia/:id<int>", probes: []authzProbe{
		{name: "published", path: "/wydarzenia/{event}", want: Public},
		{name: "draft", path: "/wydarzenia/{draftEvent}", want: StaffSees},
	}},
	{route: "GET /wydarzenia/:id<int>.ics", probes: []authzProbe{
		{name: "published", path: "/wydarzenia/{event}.ics", want: Public},
		{name: "draft", path: "/wydarzenia/{draftEvent}.ics", want: StaffSees},
	}},
	authzAt("GET /wydarzenia/:id<int>/zalaczniki/:file<int>", "/wydarzenia/{event}/zalaczniki/{eventFile}", Public),
	{route: "GET /debaty/:id<int>", probes: []authzProbe{
		{name: "published", path: "/debaty/{debate}", want: Public},
		{name: "draft", path: "/debaty/{draftDebate}", want: StaffSees},
	}},
	authzAt("GET /debaty/:id<int>/na-zywo", "/debaty/{debate}/na-zywo", Public),
	authzAt("GET /debaty/:id<int>/rzutnik", "/debaty/{debate}/rzutnik", Public),
	authzAt("GET /debaty/:id<int>/kod.svg", "/debaty/{debate}/kod.svg", Public),
	{route: "GET /debaty/:id<int>/archiwum", probes: []authzProbe{
		{name: "published", path: "/debaty/{debate}/archiwum", want: Public},
		{name: "draft", path: "/debaty/{draftDebate}/archiwum", want: StaffSees},
	}},
	authzAt("GET /debaty/:id<int>/archiwum.json", "/debaty/{debate}/archiwum.json", Public),
	authzAt("GET /debaty/:id<int>/archiwum.csv", "/debaty/{debate}/archiwum.csv", Public),
	authzAt("GET /debaty/:id<int>/mowcy/:speaker<int>/zdjecie", "/debaty/{debate}/mowcy/{speaker}/zdjecie", Public),
	authzRoute("GET /d", Public),
	authzAt("GET /d/:code", "/d/{debateCode}", Public),                           // 303 to the phone view
	authzAt("POST /debaty/:id<int>/pytania", "/debaty/{debate}/pytania", Public), // empty form: 422
	// Everyone upvotes marta.sasiadka's question once (303), visitors by their participant cookie.
	authzAt("POST /debaty/:id<int>/pytania/:question<int>/glos", "/debaty/{debate}/pytania/{debateQuestion}/glos", Public),
	authzAt("POST /debaty/:id<int>/ankieta", "/debaty/{debate}/ankieta", Public), // no poll on air: 409
	// The digest's unsubscribe link: no sign-in, a signed token (none here: 400).
	authzRoute("GET /powiadomienia/wypisz", Public),
	authzRoute("POST /powiadomienia/wypisz", Public),

	// CSP violation reports: browsers send them without a session or CSRF token (empty
	// form: 400, nothing counted). Exempt from CSRF, see csrfExempt.
	authzRoute("POST /csp-report", Public),

	// Signing in and up.
	authzRoute("GET /logowanie", Public),
	authzRoute("POST /logowanie", Public),
	authzRoute("GET /logowanie/kod", Public),
	authzRoute("POST /logowanie/kod", Public),
	authzRoute("GET /rejestracja", Public),
	authzRoute("POST /rejestracja", Public),
	authzRoute("GET /potwierdz-email", Public),
	authzRoute("POST /potwierdz-email", Public),
	authzRoute("GET /haslo/przypomnij", Public),
	authzRoute("POST /haslo/przypomnij", Public),
	authzRoute("GET /haslo/nowe", Public),
	authzRoute("POST /haslo/nowe", Public),

	// The signed-in person's account.
	{route: "POST /wyloguj", probes: []authzProbe{{want: SignedIn, ends: true}}},
	authzRoute("GET /konto", SignedIn),
	authzRoute("POST /konto/haslo", SignedIn),
	authzRoute("POST /konto/email", SignedIn),
	authzRoute("POST /konto/jezyk", SignedIn),
	authzRoute("POST /konto/potwierdzenie", SignedIn),
	{route: "POST /konto/sesje/:id/zakoncz", probes: []authzProbe{
		{name: "other's", path: "/konto/sesje/{othersSession}/zakoncz", want: NoOneElse},
		{name: "own", path: "/konto/sesje/{ownSession}/zakoncz", want: SignedIn, ends: true},
	}},
	authzRoute("GET /konto/2fa", SignedIn),
	authzRoute("POST /konto/2fa/start", SignedIn),
	authzRoute("POST /konto/2fa/potwierdz", SignedIn),
	authzRoute("POST /konto/2fa/wylacz", SignedIn),
	authzRoute("GET /konto/prywatnosc", SignedIn),
	authzRoute("GET /konto/dane.json", SignedIn),
	authzRoute("POST /konto/zgody", SignedIn),
	authzRoute("POST /konto/usun", SignedIn), // empty form: not confirmed, nothing erased
	authzRoute("GET /konto/powiadomienia", SignedIn),
	authzRoute("POST /konto/powiadomienia", SignedIn),       // empty form: the digest stays off
	authzRoute("GET /powiadomienia", SignedIn),              // the caller's own notifications only
	authzRoute("POST /powiadomienia/przeczytane", SignedIn), // empty form: 422

	// Signing the Declaration.
	authzRoute("GET /deklaracja/podpisz", SignedIn),
	authzRoute("GET /deklaracja/podpisz/osoba", SignedIn),
	authzRoute("POST /deklaracja/podpisz/osoba", SignedIn),
	authzRoute("GET /deklaracja/podpisz/organizacja", SignedIn),
	authzRoute("POST /deklaracja/podpisz/organizacja", SignedIn),
	authzRoute("GET /konto/podpisy", SignedIn),
	authzRoute("GET /konto/organizacje", SignedIn),
	{route: "POST /konto/organizacje/:id/zapros", probes: []authzProbe{
		// A valid address: Invite checks the address before the representation, so an
		// empty form would answer 422 to anyone.
		{name: "advocate's org", path: "/konto/organizacje/{repOrg}/zapros", body: "email=authz.kolega@example.org", want: AdvocateOnly},
		{name: "other org", path: "/konto/organizacje/{otherOrg}/zapros", body: "email=authz.kolega@example.org", want: NoOneElse},
	}},
	authzRoute("POST /zaproszenie", SignedIn),
	{route: "POST /konto/podpisy/:id/wycofaj", probes: []authzProbe{
		{name: "other's", path: "/konto/podpisy/{othersSig}/wycofaj", want: NoOneElse},
		{name: "own", path: "/konto/podpisy/{ownSig}/wycofaj", want: SignedIn},
	}},
	authzAt("GET /konto/podpisy/:id/skan", "/konto/podpisy/{scanSig}/skan", AdvocateOrStaff),
	authzRoute("GET /kod", SignedIn),
	authzRoute("POST /kod", SignedIn),

	// Moderators and admins.
	authzRoute("GET /admin", StaffOnly),
	authzRoute("GET /admin/osoby", StaffOnly),
	authzAt("GET /admin/osoby/:id", "/admin/osoby/{user}", StaffOnly),
	authzAt("POST /admin/osoby/:id/weryfikacja", "/admin/osoby/{user}/weryfikacja", StaffOnly), // already verified: 409
	authzAt("POST /admin/osoby/:id/cofnij-weryfikacje", "/admin/osoby/{user}/cofnij-weryfikacje", AdminOnly),
	authzAt("POST /admin/osoby/:id/role", "/admin/osoby/{user}/role", AdminOnly),
	authzAt("POST /admin/osoby/:id/blokada", "/admin/osoby/{user}/blokada", StaffOnly), // empty form: unblock, 409 not blocked
	authzRoute("GET /moderacja", StaffOnly),
	authzRoute("POST /moderacja/decyzje", StaffOnly), // empty form: 422
	authzAt("GET /moderacja/pozycja", "/moderacja/pozycja?typ=comment&id={comment}", StaffOnly),
	authzAt("GET /moderacja/sprawy/:id<int>", "/moderacja/sprawy/{case}", StaffOnly),                      // and its author
	authzAt("POST /moderacja/sprawy/:id<int>/odwolanie", "/moderacja/sprawy/{case}/odwolanie", NoOneElse), // its author alone
	authzAt("GET /zglos", "/zglos?typ=comment&id={comment}", SignedIn),
	authzRoute("POST /zglos", SignedIn),               // empty form: 422
	authzRoute("POST /admin/premoderacja", AdminOnly), // empty form: 422
	authzRoute("GET /admin/kody", StaffOnly),
	authzRoute("POST /admin/kody", StaffOnly),
	authzAt("GET /admin/kody/:id", "/admin/kody/{batch}", StaffOnly),
	authzRoute("GET /admin/dziennik", AdminOnly),
	authzRoute("GET /admin/dzielnice", AdminOnly),
	authzAt("POST /admin/dzielnice/:id<int>", "/admin/dzielnice/{district}", AdminOnly), // empty form: 422
	authzRoute("POST /admin/tematy", AdminOnly),                                         // empty form: 422
	authzAt("POST /admin/tematy/:id<int>", "/admin/tematy/{topic}", AdminOnly),          // empty form: 422
	authzRoute("GET /admin/ankiety", StaffOnly),
	authzRoute("GET /admin/debaty/nowa", StaffOnly),
	authzRoute("POST /admin/debaty", StaffOnly), // empty form: 422
	// A debate's console: its own moderators and admins ({debate}: moderator@example.org
	// moderates it; {otherDebate}: nobody is assigned, so admins only).
	{route: "GET /debaty/:id<int>/konsola", probes: []authzProbe{
		{name: "moderated", path: "/debaty/{debate}/konsola", want: StaffOnly},
		{name: "other", path: "/debaty/{otherDebate}/konsola", want: AdminOnly},
	}},
	{route: "GET /debaty/:id<int>/edycja", probes: []authzProbe{
		{name: "moderated", path: "/debaty/{debate}/edycja", want: StaffOnly},
		{name: "other", path: "/debaty/{otherDebate}/edycja", want: AdminOnly},
	}},
	{route: "POST /debaty/:id<int>/edycja", probes: []authzProbe{ // empty form: 422, nothing changes
		{name: "moderated", path: "/debaty/{debate}/edycja", want: StaffOnly},
		{name: "other", path: "/debaty/{otherDebate}/edycja", want: AdminOnly},
	}},
	// A speaker's photo (empty form: 422 choose a file; nothing changes).
	authzAt("POST /debaty/:id<int>/mowcy/:speaker<int>/zdjecie", "/debaty/{debate}/mowcy/{speaker}/zdjecie", StaffOnly),
	{route: "POST /debaty/:id<int>/pytania/:question<int>/moderacja", probes: []authzProbe{ // no action: 422, nothing changes
		{name: "moderated", path: "/debaty/{debate}/pytania/{debateQuestion}/moderacja", want: StaffOnly},
		{name: "other", path: "/debaty/{otherDebate}/pytania/{otherQuestion}/moderacja", want: AdminOnly},
	}},
	{route: "POST /debaty/:id<int>/konsola", probes: []authzProbe{ // empty form: 422, nothing changes
		{name: "moderated", path: "/debaty/{debate}/konsola", want: StaffOnly},
		{name: "other", path: "/debaty/{otherDebate}/konsola", want: AdminOnly},
	}},
	{route: "POST /debaty/:id<int>/konsola/ankiety", probes: []authzProbe{ // empty form: 422, no poll stored
		{name: "moderated", path: "/debaty/{debate}/konsola/ankiety", want: StaffOnly},
		{name: "other", path: "/debaty/{otherDebate}/konsola/ankiety", want: AdminOnly},
	}},
	authzRoute("POST /admin/ankiety", StaffOnly), // empty form: 422
	authzRoute("GET /propozycje/nowa", SignedIn),
	authzRoute("POST /propozycje", SignedIn), // empty form: 422
	ownOrStaff("GET /propozycje/:id<int>/edycja", "/propozycje/{proposal}/edycja"),
	ownOrStaff("POST /propozycje/:id<int>/edycja", "/propozycje/{proposal}/edycja"), // empty form: 422
	authzAt("POST /propozycje/:id<int>/poparcie", "/propozycje/{proposal}/poparcie", SignedIn),
	authzAt("POST /obietnice/:id<int>/obserwuj", "/obietnice/{promise}/obserwuj", SignedIn),
	// Promises: logged by the debate's moderators, admins and advocates (empty form: 422).
	{route: "POST /debaty/:id<int>/obietnice", probes: []authzProbe{
		{name: "moderated", path: "/debaty/{debate}/obietnice", want: AdvocateOrStaff},
		{name: "other", path: "/debaty/{otherDebate}/obietnice", want: authzWants{SignIn, Deny, Deny, Deny, Allow, Deny, Allow}},
	}},
	authzAt("POST /obietnice/:id<int>/aktualizacje", "/obietnice/{promise}/aktualizacje", AdvocateOrStaff), // empty form: 422
	authzAt("POST /obietnice/:id<int>/poprawka", "/obietnice/{promise}/poprawka", AdvocateOrStaff),         // empty form: 422
	{route: "POST /propozycje/:id<int>/obserwuj", probes: []authzProbe{
		{name: "published", path: "/propozycje/{proposal}/obserwuj", want: SignedIn},
		{name: "draft", path: "/propozycje/{draftProposal}/obserwuj", want: StaffOnly}, // drafts: their author and the staff
	}},
	ownOrStaff("POST /propozycje/:id<int>/status", "/propozycje/{proposal}/status"), // empty form: 422 no such move
	// Only its author deletes a draft (own sample: a published proposal, so 409 and kept).
	{route: "POST /propozycje/:id<int>/usun", probes: []authzProbe{
		{name: "own", path: "/propozycje/{ownProposal}/usun", want: SignedIn},
		{name: "other's", path: "/propozycje/{draftProposal}/usun", want: NoOneElse},
	}},
	authzAt("GET /propozycje/:id<int>/skan", "/propozycje/{paperProposal}/skan", StaffOnly),
	authzRoute("GET /admin/propozycje/papier", StaffOnly),
	authzRoute("POST /admin/propozycje/papier", StaffOnly), // empty form: 422
	authzRoute("POST /komentarze", SignedIn),               // empty form: 400 nothing to comment on
	authzAt("GET /konsultacje/:id<int>/stanowiska/nowe", "/konsultacje/{consultation}/stanowiska/nowe", AdvocateOrStaff),
	authzAt("POST /konsultacje/:id<int>/stanowiska", "/konsultacje/{consultation}/stanowiska", AdvocateOrStaff), // empty form: 422
	authzAt("POST /stanowiska/:id<int>/sekcje", "/stanowiska/{response}/sekcje", AdvocateOrStaff),               // empty title: 422
	authzAt("GET /stanowiska/:id<int>/sekcje/:section<int>", "/stanowiska/{response}/sekcje/{responseSection}", AdvocateOrStaff),
	authzAt("POST /stanowiska/:id<int>/sekcje/:section<int>", "/stanowiska/{response}/sekcje/{responseSection}", AdvocateOrStaff), // empty: 422
	authzAt("POST /stanowiska/:id<int>/sekcje/:section<int>/przywroc", "/stanowiska/{response}/sekcje/{responseSection}/przywroc", AdvocateOrStaff),
	authzAt("POST /stanowiska/:id<int>/sekcje/:section<int>/odpowiada", "/stanowiska/{response}/sekcje/{responseSection}/odpowiada", AdvocateOrStaff), // empty: 422
	authzAt("POST /stanowiska/:id<int>/komentarze", "/stanowiska/{response}/komentarze", AdvocateOrStaff),                                             // empty: 422
	authzAt("POST /stanowiska/:id<int>/komentarze/:comment<int>/rozwiaz", "/stanowiska/{response}/komentarze/{responseComment}/rozwiaz", AdvocateOrStaff),
	authzAt("POST /stanowiska/:id<int>/status", "/stanowiska/{response}/status", AdvocateOrStaff), // the creator and staff; no status: 422
	authzAt("POST /stanowiska/:id<int>/podpisy", "/stanowiska/{response}/podpisy", AdvocateOnly),  // representatives; no organisation: 422
	authzAt("GET /konsultacje/:id<int>/odpowiedz", "/konsultacje/{consultation}/odpowiedz", SignedIn),
	authzAt("POST /konsultacje/:id<int>/odpowiedz", "/konsultacje/{consultation}/odpowiedz", SignedIn),        // empty form: 422 required
	authzAt("GET /konsultacje/:id<int>/potwierdzenie", "/konsultacje/{consultation}/potwierdzenie", SignedIn), // none: back to the form
	authzRoute("GET /admin/konsultacje", StaffOnly),
	authzRoute("GET /admin/konsultacje/nowa", StaffOnly),
	authzRoute("POST /admin/konsultacje", StaffOnly), // empty form: 422
	authzAt("GET /admin/konsultacje/:id<int>", "/admin/konsultacje/{consultation}", StaffOnly),
	authzAt("POST /admin/konsultacje/:id<int>", "/admin/konsultacje/{consultation}", StaffOnly), // empty form: 422
	authzAt("GET /admin/konsultacje/:id<int>/papier", "/admin/konsultacje/{consultation}/papier", StaffOnly),
	authzAt("POST /admin/konsultacje/:id<int>/papier", "/admin/konsultacje/{consultation}/papier", StaffOnly), // empty form: 422
	// The moderator typed it in: 409 for them, checked by the admin (then no change).
	authzAt("POST /admin/konsultacje/:id<int>/papier/:response<int>/sprawdzone", "/admin/konsultacje/{consultation}/papier/{paperResponse}/sprawdzone", StaffOnly),
	authzAt("GET /admin/konsultacje/:id<int>/papier/:response<int>/skan", "/admin/konsultacje/{consultation}/papier/{paperResponse}/skan", StaffOnly),
	authzAt("POST /admin/konsultacje/:id<int>/odpowiedzi/:answer<int>/ukryj", "/admin/konsultacje/{consultation}/odpowiedzi/{textAnswer}/ukryj", StaffOnly), // empty form: 422 a reason
	{route: "POST /wydarzenia/:id<int>/zapis", probes: []authzProbe{
		{name: "published", path: "/wydarzenia/{event}/zapis", want: SignedIn},
		{name: "draft", path: "/wydarzenia/{draftEvent}/zapis", want: StaffOnly}, // staff: 409 registration closed
	}},
	authzAt("POST /wydarzenia/:id<int>/rezygnacja", "/wydarzenia/{event}/rezygnacja", SignedIn),
	authzRoute("GET /admin/wydarzenia", StaffOnly),
	authzRoute("GET /admin/wydarzenia/nowe", StaffOnly),
	authzRoute("POST /admin/wydarzenia", StaffOnly), // empty form: 422
	authzAt("GET /admin/wydarzenia/:id<int>", "/admin/wydarzenia/{event}", StaffOnly),
	authzAt("POST /admin/wydarzenia/:id<int>", "/admin/wydarzenia/{event}", StaffOnly),                 // empty form: 422
	authzAt("POST /admin/wydarzenia/:id<int>/odwolaj", "/admin/wydarzenia/{event}/odwolaj", StaffOnly), // empty form: 422 a reason
	authzAt("GET /admin/wydarzenia/:id<int>/notatka", "/admin/wydarzenia/{event}/notatka", StaffOnly),
	authzAt("POST /admin/wydarzenia/:id<int>/notatka", "/admin/wydarzenia/{event}/notatka", StaffOnly), // not started: 409
	authzAt("GET /admin/wydarzenia/:id<int>/zapisy", "/admin/wydarzenia/{event}/zapisy", StaffOnly),
	authzAt("GET /komentarze/:id<int>/odpowiedz", "/komentarze/{comment}/odpowiedz", SignedIn),
	authzAt("GET /komentarze/:id<int>/edycja", "/komentarze/{comment}/edycja", NoOneElse),
	authzAt("POST /komentarze/:id<int>/edycja", "/komentarze/{comment}/edycja", NoOneElse),
	authzAt("GET /komentarze/:id<int>/usun", "/komentarze/{delComment}/usun", StaffOnly),
	authzAt("POST /komentarze/:id<int>/usun", "/komentarze/{delComment}/usun", StaffOnly),
	authzAt("POST /komentarze/:id<int>/ocena", "/komentarze/{comment}/ocena", SignedIn), // empty form: 422 no vote
	authzAt("GET /admin/ankiety/:id", "/admin/ankiety/{poll}", StaffOnly),
	authzAt("POST /admin/ankiety/:id/otworz", "/admin/ankiety/{poll}/otworz", StaffOnly), // already open: no change
	authzAt("POST /admin/ankiety/:id/zamknij", "/admin/ankiety/{closedPoll}/zamknij", StaffOnly),
	authzAt("POST /admin/ankiety/:id/papier", "/admin/ankiety/{poll}/papier", StaffOnly), // empty form: 422
	authzRoute("GET /admin/podpisy", StaffOnly),
	authzRoute("GET /admin/podpisy/papier", StaffOnly),
	authzRoute("POST /admin/podpisy/papier", StaffOnly), // empty form: 422 a name
	// A rejection without a reason: Decide checks the decision field before the role
	// (an empty form answers 422 to anyone); this reaches the role check, and staff
	// then get 422 (reason required), so nothing is decided.
	{route: "POST /admin/podpisy/:id/decyzja", probes: []authzProbe{
		{path: "/admin/podpisy/{pendingSig}/decyzja", body: "decision=reject", want: StaffOnly}}},
	// The scan is the signer's too: the same handler serves both paths.
	authzAt("GET /admin/podpisy/:id/skan", "/admin/podpisy/{scanSig}/skan", AdvocateOrStaff),
	authzAt("GET /komentarze/papier", "/komentarze/papier?target_type=proposal&target_id={proposal}", StaffOnly),
	authzRoute("POST /komentarze/papier", StaffOnly), // empty form: 400 nothing to comment on
	authzAt("GET /komentarze/:id<int>/skan", "/komentarze/{paperComment}/skan", StaffOnly),
	authzRoute("GET /dev/mail", AdminOnly),

	// JSON API.
	authzRoute("GET /api/v1/openapi.json", Public),
	authzRoute("GET /api/v1/neighbourhoods", Public),
	authzRoute("GET /api/v1/allies", Public),
	authzRoute("POST /api/v1/auth/register", Public),
	authzRoute("POST /api/v1/auth/login", Public),
	{route: "POST /api/v1/auth/logout", probes: []authzProbe{{want: SignedIn, ends: true}}},
	authzRoute("GET /api/v1/me", SignedIn),
	authzRoute("DELETE /api/v1/me", SignedIn), // {}: not confirmed, nothing erased
	authzRoute("GET /api/v1/me/export", SignedIn),
	authzRoute("POST /api/v1/verification/redeem", SignedIn),
	authzRoute("GET /api/v1/admin/users", StaffOnly),
	authzAt("PUT /api/v1/admin/users/:id/roles", "/api/v1/admin/users/{user}/roles", AdminOnly),
	authzAt("POST /api/v1/admin/users/:id/verify", "/api/v1/admin/users/{user}/verify", StaffOnly), // already verified: 409
	authzAt("POST /api/v1/admin/users/:id/block", "/api/v1/admin/users/{user}/block", StaffOnly),   // {}: 422 a reason
	authzAt("DELETE /api/v1/admin/users/:id/block", "/api/v1/admin/users/{user}/block", StaffOnly), // 409 not blocked
	authzRoute("POST /api/v1/reports", SignedIn),                                                   // {}: 422
	authzRoute("GET /api/v1/moderation/queue", StaffOnly),
	authzRoute("POST /api/v1/moderation/decisions", StaffOnly), // {}: 422
	authzAt("GET /api/v1/moderation/cases/:id", "/api/v1/moderation/cases/{case}", StaffOnly),
	authzAt("POST /api/v1/moderation/cases/:id/appeal", "/api/v1/moderation/cases/{case}/appeal", NoOneElse),
	authzRoute("GET /api/v1/admin/audit", AdminOnly),
	authzRoute("POST /api/v1/signatures", SignedIn),
	{route: "DELETE /api/v1/signatures/:id", probes: []authzProbe{
		{name: "other's", path: "/api/v1/signatures/{othersSig}", want: NoOneElse},
		{name: "own", path: "/api/v1/signatures/{ownSig}", want: SignedIn},
	}},
	authzRoute("GET /api/v1/me/signatures", SignedIn),
	authzRoute("GET /api/v1/admin/signatures", StaffOnly),
	// {"confirm": false} for the same reason as the form above: {} answers 422 to anyone.
	{route: "POST /api/v1/admin/signatures/:id/decision", probes: []authzProbe{
		{path: "/api/v1/admin/signatures/{pendingSig}/decision", body: `{"confirm":false}`, want: StaffOnly}}},

	// Proposals.
	authzRoute("GET /api/v1/proposals", Public),
	authzRoute("POST /api/v1/proposals", SignedIn), // {}: 422
	authzAt("GET /api/v1/proposals/:id", "/api/v1/proposals/{proposal}", Public),
	{route: "GET /api/v1/proposals/:id/revisions", probes: []authzProbe{
		{name: "published", path: "/api/v1/proposals/{proposal}/revisions", want: Public},
		{name: "draft", path: "/api/v1/proposals/{draftProposal}/revisions", want: StaffSees},
	}},
	{route: "GET /api/v1/proposals/:id/diff", probes: []authzProbe{
		{name: "published", path: "/api/v1/proposals/{proposal}/diff", want: Public},
		{name: "draft", path: "/api/v1/proposals/{draftProposal}/diff", want: StaffSees},
	}},
	ownOrStaff("PATCH /api/v1/proposals/:id", "/api/v1/proposals/{proposal}"),
	{route: "DELETE /api/v1/proposals/:id", probes: []authzProbe{
		{name: "own", path: "/api/v1/proposals/{ownProposal}", want: SignedIn},
		{name: "other's", path: "/api/v1/proposals/{draftProposal}", want: NoOneElse},
	}}, // {}: 422
	ownOrStaff("POST /api/v1/proposals/:id/status", "/api/v1/proposals/{proposal}/status"), // {}: 422
	authzAt("POST /api/v1/proposals/:id/support", "/api/v1/proposals/{proposal}/support", SignedIn),
	authzAt("DELETE /api/v1/proposals/:id/support", "/api/v1/proposals/{proposal}/support", SignedIn),
	authzAt("PUT /api/v1/proposals/:id/follow", "/api/v1/proposals/{proposal}/follow", SignedIn),
	authzAt("DELETE /api/v1/proposals/:id/follow", "/api/v1/proposals/{proposal}/follow", SignedIn),
	authzRoute("GET /api/v1/notifications", SignedIn),       // the caller's own notifications only
	authzRoute("POST /api/v1/notifications/read", SignedIn), // {}: 422
	authzAt("GET /api/v1/proposals/:id/comments", "/api/v1/proposals/{proposal}/comments", Public),
	authzAt("POST /api/v1/proposals/:id/comments", "/api/v1/proposals/{proposal}/comments", SignedIn), // {}: 422
	authzAt("PATCH /api/v1/comments/:id", "/api/v1/comments/{comment}", NoOneElse),
	authzAt("DELETE /api/v1/comments/:id", "/api/v1/comments/{delComment}", StaffOnly),
	authzAt("POST /api/v1/comments/:id/vote", "/api/v1/comments/{comment}/vote", SignedIn), // {}: 422
	authzAt("GET /api/v1/comments/:id/thread", "/api/v1/comments/{comment}/thread", Public),
	authzAt("GET /api/v1/comments/:id/revisions", "/api/v1/comments/{comment}/revisions", Public),
	// Events ({event}: published, registration open).
	authzRoute("GET /api/v1/events", Public),
	authzRoute("POST /api/v1/events", StaffOnly), // {}: 422
	{route: "GET /api/v1/events/:id", probes: []authzProbe{
		{name: "published", path: "/api/v1/events/{event}", want: Public},
		{name: "draft", path: "/api/v1/events/{draftEvent}", want: StaffSees},
	}},
	authzAt("PATCH /api/v1/events/:id", "/api/v1/events/{event}", StaffOnly),               // {}: 422
	authzAt("POST /api/v1/events/:id/cancel", "/api/v1/events/{event}/cancel", StaffOnly),  // {}: 422 a reason
	authzAt("PUT /api/v1/events/:id/minutes", "/api/v1/events/{event}/minutes", StaffOnly), // not started: 409
	authzAt("GET /api/v1/events/:id/registrations", "/api/v1/events/{event}/registrations", StaffOnly),
	authzAt("POST /api/v1/events/:id/registration", "/api/v1/events/{event}/registration", SignedIn),
	authzAt("DELETE /api/v1/events/:id/registration", "/api/v1/events/{event}/registration", SignedIn),
	// Debates ({debate}: the seeded upcoming debate, moderated by moderator@example.org).
	authzRoute("GET /api/v1/debates", Public),
	authzRoute("POST /api/v1/debates", StaffOnly), // {}: 422
	{route: "GET /api/v1/debates/:id", probes: []authzProbe{
		{name: "published", path: "/api/v1/debates/{debate}", want: Public},
		{name: "draft", path: "/api/v1/debates/{draftDebate}", want: StaffSees},
	}},
	{route: "GET /api/v1/debates/:id/archive", probes: []authzProbe{
		{name: "published", path: "/api/v1/debates/{debate}/archive", want: Public},
		{name: "draft", path: "/api/v1/debates/{draftDebate}/archive", want: StaffSees},
	}},
	authzAt("GET /api/v1/debates/:id/questions", "/api/v1/debates/{debate}/questions", Public),
	authzAt("POST /api/v1/debates/:id/questions", "/api/v1/debates/{debate}/questions", Public), // {}: 422
	{route: "GET /api/v1/debates/:id/questions/queue", probes: []authzProbe{
		{name: "moderated", path: "/api/v1/debates/{debate}/questions/queue", want: StaffOnly},
		{name: "other", path: "/api/v1/debates/{otherDebate}/questions/queue", want: AdminOnly},
	}},
	// 200, or 409 already_voted after the page's upvote above: both pass authorisation.
	authzAt("POST /api/v1/debates/:id/questions/:question/vote", "/api/v1/debates/{debate}/questions/{debateQuestion}/vote", Public),
	authzAt("DELETE /api/v1/debates/:id/questions/:question/vote", "/api/v1/debates/{debate}/questions/{debateQuestion}/vote", Public),
	{route: "POST /api/v1/debates/:id/questions/:question/moderation", probes: []authzProbe{ // {}: 422, nothing changes
		{name: "moderated", path: "/api/v1/debates/{debate}/questions/{debateQuestion}/moderation", want: StaffOnly},
		{name: "other", path: "/api/v1/debates/{otherDebate}/questions/{otherQuestion}/moderation", want: AdminOnly},
	}},
	{route: "POST /api/v1/debates/:id/actions", probes: []authzProbe{ // {}: 422, nothing changes
		{name: "moderated", path: "/api/v1/debates/{debate}/actions", want: StaffOnly},
		{name: "other", path: "/api/v1/debates/{otherDebate}/actions", want: AdminOnly},
	}},
	// Consultations ({consultation}: open, results not yet public).
	authzRoute("GET /api/v1/consultations", Public),
	authzRoute("POST /api/v1/consultations", StaffOnly), // {}: 422
	{route: "GET /api/v1/consultations/:id", probes: []authzProbe{
		{name: "published", path: "/api/v1/consultations/{consultation}", want: Public},
		{name: "draft", path: "/api/v1/consultations/{draftConsultation}", want: StaffSees},
	}},
	authzAt("PATCH /api/v1/consultations/:id", "/api/v1/consultations/{consultation}", StaffOnly), // {}: 422
	// Nobody has a response of their own yet: 404 (the caller's own only).
	authzAt("GET /api/v1/consultations/:id/response", "/api/v1/consultations/{consultation}/response", authzWants{SignIn, Deny, Deny, Deny, Deny, Deny, Deny}),
	authzAt("POST /api/v1/consultations/:id/response", "/api/v1/consultations/{consultation}/response", SignedIn), // {}: a draft
	authzAt("PATCH /api/v1/consultations/:id/response", "/api/v1/consultations/{consultation}/response", SignedIn),
	authzAt("POST /api/v1/consultations/:id/paper", "/api/v1/consultations/{consultation}/paper", StaffOnly), // {}: 422
	authzAt("GET /api/v1/consultations/:id/results", "/api/v1/consultations/{consultation}/results", Public),
	authzAt("GET /api/v1/consultations/:id/comments", "/api/v1/consultations/{consultation}/comments", Public),
	authzAt("POST /api/v1/consultations/:id/comments", "/api/v1/consultations/{consultation}/comments", SignedIn), // {}: 422
	// Promises ({promise}: a seeded promise of the 2024 debate; {draftPromise} one of a
	// draft debate). Logging: the debate's moderators, admins and every advocate;
	// updates: advocates, moderators and admins. {}: 422, nothing stored.
	{route: "POST /api/v1/debates/:id/promises", probes: []authzProbe{
		{name: "moderated", path: "/api/v1/debates/{debate}/promises", want: AdvocateOrStaff},
		{name: "other", path: "/api/v1/debates/{otherDebate}/promises", want: authzWants{SignIn, Deny, Deny, Deny, Allow, Deny, Allow}},
	}},
	authzRoute("GET /api/v1/promises", Public),
	{route: "GET /api/v1/promises/:id", probes: []authzProbe{
		{name: "published", path: "/api/v1/promises/{promise}", want: Public},
		{name: "draft", path: "/api/v1/promises/{draftPromise}", want: StaffSees},
	}},
	authzAt("POST /api/v1/promises/:id/updates", "/api/v1/promises/{promise}/updates", AdvocateOrStaff),
	authzAt("PATCH /api/v1/promises/:id", "/api/v1/promises/{promise}", AdvocateOrStaff), // {}: 422
	authzAt("PUT /api/v1/promises/:id/follow", "/api/v1/promises/{promise}/follow", SignedIn),
	authzAt("DELETE /api/v1/promises/:id/follow", "/api/v1/promises/{promise}/follow", SignedIn),
	authzAt("GET /api/v1/promises/:id/comments", "/api/v1/promises/{promise}/comments", Public),
	authzAt("POST /api/v1/promises/:id/comments", "/api/v1/promises/{promise}/comments", SignedIn), // {}: 422
	authzAt("GET /api/v1/responses/:id", "/api/v1/responses/{response}", EditorsSee),
	authzAt("PUT /api/v1/responses/:id/sections/:section", "/api/v1/responses/{response}/sections/{responseSection}", AdvocateOrStaff), // {}: 422
	authzAt("GET /api/v1/responses/:id/revisions", "/api/v1/responses/{response}/revisions", EditorsSee),
	authzAt("POST /api/v1/responses/:id/comments", "/api/v1/responses/{response}/comments", AdvocateOrStaff), // {}: 422
	authzAt("POST /api/v1/responses/:id/presence", "/api/v1/responses/{response}/presence", AdvocateOrStaff),
	// Polls ({poll}: the seeded open poll anyone may vote in).
	authzRoute("POST /api/v1/polls", StaffOnly),
	authzAt("GET /api/v1/polls/:id", "/api/v1/polls/{poll}", Public),
	authzAt("POST /api/v1/polls/:id/open", "/api/v1/polls/{poll}/open", StaffOnly),
	authzAt("POST /api/v1/polls/:id/close", "/api/v1/polls/{closedPoll}/close", StaffOnly),
	authzAt("POST /api/v1/polls/:id/votes", "/api/v1/polls/{poll}/votes", Public), // {}: 422 choose an answer
	authzAt("GET /api/v1/polls/:id/results", "/api/v1/polls/{poll}/results", Public),
	authzAt("POST /api/v1/polls/:id/paper", "/api/v1/polls/{poll}/paper", StaffOnly), // {}: 422
	authzAt("GET /api/v1/polls/:id/receipts", "/api/v1/polls/{closedPoll}/receipts", Public),
}

// authzSkipped are mounted routes outside the matrix: probes and static files.
func authzSkipped(method, path string) bool {
	return method == http.MethodHead || path == "/healthz" || path == "/readyz" || path == "/metrics" ||
		strings.HasPrefix(path, "/static/")
}

func (r authzRow) method() string { return strings.Fields(r.route)[0] }

func (r authzRow) pattern() string { return strings.Fields(r.route)[1] }

func (r authzRow) ends() bool {
	for _, p := range r.probes {
		if p.ends {
			return true
		}
	}
	return false
}

func (r authzRow) samplePath(p authzProbe) string {
	if p.path != "" {
		return p.path
	}
	return r.pattern()
}

// authzMounted checks the table against the mounted routes, both ways, and returns the
// rows of mounted routes, those that end the caller's session last.
func authzMounted(t *testing.T, s *servertest.Running) []authzRow {
	t.Helper()
	mounted := map[string]bool{}
	for _, r := range s.Server.App.GetRoutes(true) {
		if !authzSkipped(r.Method, r.Path) {
			mounted[r.Method+" "+r.Path] = true
		}
	}
	rows := map[string]authzRow{}
	var out []authzRow
	for _, row := range authzTable {
		if _, dup := rows[row.route]; dup {
			t.Errorf("route %s has two rows in the authorisation table", row.route)
		}
		rows[row.route] = row
		if !mounted[row.route] {
			t.Errorf("route %s has a row in the authorisation table but is no longer mounted: remove the row", row.route)
			continue
		}
		if strings.ContainsAny(row.pattern(), ":*") {
			for _, p := range row.probes {
				if p.path == "" {
					t.Errorf("route %s: a probe has no sample path for its parameters", row.route)
				}
			}
		}
		out = append(out, row)
	}
	var missing []string
	for r := range mounted {
		if _, ok := rows[r]; !ok {
			missing = append(missing, r)
		}
	}
	sort.Strings(missing)
	for _, r := range missing {
		t.Errorf("route %s has no row in the authorisation table (internal/server/authz_test.go): say who may call it", r)
	}
	sort.SliceStable(out, func(i, j int) bool { return !out[i].ends() && out[j].ends() })
	return out
}

// authzClient sends requests without cookies and never follows redirects.
type authzClient struct {
	base string
	c    *http.Client
}

func newAuthzClient(t *testing.T, base string) authzClient {
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return authzClient{base: base, c: &http.Client{Transport: tr, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c authzClient) send(t *testing.T, method, path, token, contentType, body string) servertest.Response {
	t.Helper()
	var rd io.Reader
	if method != http.MethodGet {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "authz-matrix")
	if rd != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return servertest.Response{Response: resp, Body: string(b)}
}

// login signs in through the API and returns the bearer token and the user's id.
func (c authzClient) login(t *testing.T, email string) (string, int64) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": seed.DemoPassword})
	r := c.send(t, http.MethodPost, "/api/v1/auth/login", "", "application/json", string(body))
	var out struct {
		Token string `json:"token"`
		User  struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	if r.StatusCode != http.StatusOK || json.Unmarshal([]byte(r.Body), &out) != nil || out.Token == "" {
		t.Fatalf("API login as %s: %d %s", email, r.StatusCode, r.Body)
	}
	return out.Token, out.User.ID
}

// authzFixture holds the seeded objects the sample paths point at.
type authzFixture struct {
	s                        *servertest.Running
	client                   authzClient
	vals                     map[string]string
	ids                      map[string]int64
	victim                   string // marta.sasiadka's bearer token ({othersSession})
	mu                       sync.Mutex
	made                     int
	msgUnauthorized, msgCSRF string
}

func authzQuery[T any](t *testing.T, s *servertest.Running, query string, args ...any) T {
	t.Helper()
	var v T
	if err := s.Pool.QueryRow(context.Background(), query, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

// authzSetup looks up the sample objects, makes the plain resident, gives the
// advocate's signature a scan and signs in the person whose session is {othersSession}.
func authzSetup(t *testing.T, s *servertest.Running) *authzFixture {
	t.Helper()
	ctx := context.Background()
	bundle, err := i18n.Load(web.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	fx := &authzFixture{s: s, client: newAuthzClient(t, s.URL), vals: map[string]string{}, ids: map[string]int64{},
		msgUnauthorized: bundle.For("pl").T("error.unauthorized"), msgCSRF: bundle.For("pl").T("error.csrf_failed")}
	if _, err := account.NewService(s.Pool, account.Deps{}).Create(ctx, account.NewUser{Email: authzActors[asResident].email,
		Password: seed.DemoPassword, DisplayName: "Rezydentka Testowa", AcceptTerms: true, EmailConfirmed: true}); err != nil {
		t.Fatalf("making the plain resident: %v", err)
	}
	q := func(name, query string, args ...any) {
		id := authzQuery[int64](t, s, query, args...)
		fx.ids[name] = id
		fx.vals[name] = strconv.FormatInt(id, 10)
	}
	q("user", `SELECT id FROM users WHERE email = 'resident@example.org'`)
	q("batch", `SELECT id FROM invitation_batches ORDER BY id LIMIT 1`)
	q("pendingSig", `SELECT id FROM signatures WHERE status = 'pending' ORDER BY id LIMIT 1`)
	q("poll", `SELECT id FROM polls WHERE status = 'open' ORDER BY id LIMIT 1`)
	q("closedPoll", `SELECT id FROM polls WHERE status = 'closed' ORDER BY id LIMIT 1`)
	q("scanSig", `SELECT s.id FROM signatures s JOIN users u ON u.id = s.user_id
		WHERE u.email = 'advocate@example.org' AND s.organisation_id IS NOT NULL AND s.status = 'confirmed'`)
	q("repOrg", `SELECT m.organisation_id FROM organisation_members m JOIN users u ON u.id = m.user_id
		WHERE u.email = 'advocate@example.org' AND m.role = 'representative' ORDER BY 1 LIMIT 1`)
	q("otherOrg", `SELECT id FROM organisations WHERE id NOT IN (SELECT m.organisation_id FROM organisation_members m
		JOIN users u ON u.id = m.user_id WHERE u.email = 'advocate@example.org') ORDER BY id LIMIT 1`)
	q("othersSig", `SELECT s.id FROM signatures s JOIN users u ON u.id = s.user_id
		WHERE u.email = 'marta.sasiadka@example.org' AND s.organisation_id IS NULL AND s.status = 'confirmed'`)

	advocate := authzQuery[int64](t, s, `SELECT id FROM users WHERE email = 'advocate@example.org'`)
	file, err := upload.Store(ctx, s.Pool, upload.File{ContentType: "application/pdf", Content: []byte("%PDF-1.4\n%authz\n")}, advocate)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE signatures SET scan_file_id = $2 WHERE id = $1`, fx.ids["scanSig"], file); err != nil {
		t.Fatal(err)
	}

	var marta int64
	fx.victim, marta = fx.client.login(t, "marta.sasiadka@example.org")
	q("proposal", `INSERT INTO proposals (neighbourhood_id, author_id, title, body, body_html, published_at)
		VALUES ((SELECT min(id) FROM neighbourhoods), $1, 'Stojaki rowerowe przy bibliotece', 'Prosimy o stojaki na rowery przy filii biblioteki.',
		'<p>Prosimy o stojaki na rowery przy filii biblioteki.</p>', now()) RETURNING id`, marta)
	q("proposalFile", `WITH f AS (INSERT INTO files (content_type, size, sha256, content) VALUES ('image/png', 8, '\x00', '\x89504e470d0a1a0a'::bytea) RETURNING id)
		INSERT INTO proposal_attachments (proposal_id, file_id, position) SELECT $1, id, 1 FROM f RETURNING file_id`, fx.ids["proposal"])
	q("comment", `INSERT INTO comments (target_type, target_id, author_id, stance, body, body_html)
		VALUES ('proposal', $1, $2, 'for', 'Stojaki przydadzą się też przy szkole.', '<p>Stojaki przydadzą się też przy szkole.</p>')
		RETURNING id`, fx.ids["proposal"], marta)
	q("delComment", `INSERT INTO comments (target_type, target_id, author_id, stance, body, body_html)
		VALUES ('proposal', $1, $2, 'neutral', 'Drugi komentarz do usunięcia.', '<p>Drugi komentarz do usunięcia.</p>')
		RETURNING id`, fx.ids["proposal"], marta)
	q("paperComment", `WITH f AS (INSERT INTO files (content_type, size, sha256, content)
			VALUES ('application/pdf', 9, '\x00', convert_to(E'%PDF-1.4\n', 'UTF8')) RETURNING id)
		INSERT INTO comments (target_type, target_id, author_name, stance, body, body_html, channel, entered_by, scan_file_id)
		SELECT 'proposal', $1, 'Halina K.', 'against', 'Uwaga z urny w bibliotece.', '<p>Uwaga z urny w bibliotece.</p>', 'paper',
			(SELECT id FROM users WHERE email = 'moderator@example.org'), id FROM f RETURNING id`, fx.ids["proposal"])
	if _, err := s.Pool.Exec(ctx, `INSERT INTO comment_stats (target_type, target_id, comments, stance_for, stance_against,
		stance_neutral, paper) VALUES ('proposal', $1, 3, 1, 1, 1, 1)`, fx.ids["proposal"]); err != nil {
		t.Fatal(err)
	}
	q("case", `INSERT INTO moderation_cases (item_type, item_id, author_id, why) VALUES ('comment', $1, $2, 'reports')
		RETURNING id`, fx.ids["comment"], marta)
	q("paperProposal", `WITH f AS (INSERT INTO files (content_type, size, sha256, content) VALUES ('application/pdf', 9, '\x00', '\x255044462d312e340a'::bytea) RETURNING id)
		INSERT INTO proposals (neighbourhood_id, title, body, body_html, channel, entered_by, scan_file_id, paper_author, published_at)
		SELECT (SELECT min(id) FROM neighbourhoods), 'Z papieru: ławka przy kościele', 'Przepisane z papierowego formularza zebranego na spotkaniu.',
			'<p>Przepisane z papierowego formularza zebranego na spotkaniu.</p>', 'paper', (SELECT id FROM users WHERE email = 'moderator@example.org'), f.id, 'Jan Kowalski', now()
		FROM f RETURNING id`)
	q("district", `SELECT id FROM neighbourhoods WHERE slug = 'podgorze'`)
	q("topic", `SELECT min(id) FROM topics`)
	q("draftProposal", `INSERT INTO proposals (neighbourhood_id, author_id, title, body, body_html, status)
		VALUES ((SELECT min(id) FROM neighbourhoods), $1, 'Szkic: więcej ławek', 'Szkic propozycji, jeszcze nieopublikowany.',
		'<p>Szkic propozycji, jeszcze nieopublikowany.</p>', 'draft') RETURNING id`, marta)
	q("othersSession", `SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id DESC LIMIT 1`, marta)
	q("event", `INSERT INTO events (kind, title, starts_at, ends_at, address, capacity, registration, status)
		VALUES ('meeting', 'Spotkanie sąsiedzkie na Podgórzu', now() + interval '10 days', now() + interval '10 days 2 hours',
		'Rynek Podgórski 1, Kraków', 50, true, 'published') RETURNING id`)
	q("draftEvent", `INSERT INTO events (kind, title, starts_at, ends_at, online_url, registration)
		VALUES ('online_meeting', 'Szkic: spotkanie online', now() + interval '20 days', now() + interval '20 days 1 hour',
		'https://meet.example.org/szkic', true) RETURNING id`)
	q("eventFile", `WITH f AS (INSERT INTO files (content_type, size, sha256, content) VALUES ('application/pdf', 9, '\x00', '\x255044462d312e340a'::bytea) RETURNING id)
		INSERT INTO event_attachments (event_id, file_id, position) SELECT $1, id, 1 FROM f RETURNING file_id`, fx.ids["event"])
	q("debate", `SELECT d.event_id FROM debates d JOIN events e ON e.id = d.event_id WHERE e.status = 'published'
		AND d.phase = 'scheduled' AND EXISTS (SELECT 1 FROM debate_moderators m JOIN users u ON u.id = m.user_id
			WHERE m.event_id = d.event_id AND u.email = 'moderator@example.org') ORDER BY d.event_id LIMIT 1`)
	fx.vals["debateCode"] = authzQuery[string](t, s, `SELECT code FROM debates WHERE event_id = $1`, fx.ids["debate"])
	q("speaker", `WITH f AS (INSERT INTO files (content_type, size, sha256, content) VALUES ('image/png', 8, '\x00', '\x89504e470d0a1a0a'::bytea) RETURNING id)
		UPDATE debate_speakers SET photo_file_id = (SELECT id FROM f) WHERE id = (SELECT min(id) FROM debate_speakers WHERE event_id = $1)
		RETURNING id`, fx.ids["debate"])
	q("otherDebate", `WITH e AS (INSERT INTO events (kind, title, starts_at, ends_at, address, status)
		VALUES ('debate', 'Debata bez moderatorów', now() + interval '5 days', now() + interval '5 days 2 hours', 'Kraków', 'published')
		RETURNING id) INSERT INTO debates (event_id, code) SELECT id, 'AUTHZ2' FROM e RETURNING event_id`)
	q("draftDebate", `WITH e AS (INSERT INTO events (kind, title, starts_at, ends_at, address)
		VALUES ('debate', 'Szkic: debata', now() + interval '6 days', now() + interval '6 days 2 hours', 'Kraków')
		RETURNING id) INSERT INTO debates (event_id, code) SELECT id, 'AUTHZ3' FROM e RETURNING event_id`)
	q("debateQuestion", `INSERT INTO debate_questions (event_id, participant, user_id, body, status)
		SELECT $1, 'user:' || id, id, 'Kiedy powstanie ławka przy przystanku?', 'approved' FROM users
		WHERE email = 'marta.sasiadka@example.org' RETURNING id`, fx.ids["debate"])
	q("otherQuestion", `INSERT INTO debate_questions (event_id, participant, body, status)
		VALUES ($1, 'anon:authz', 'Pytanie w debacie bez moderatorów?', 'pending') RETURNING id`, fx.ids["otherDebate"])
	q("consultation", `INSERT INTO consultations (title, organiser_kind, organiser, eligibility, status, opens_at, closes_at, report_at)
		VALUES ('Zasady wynajmu sal', 'city', 'Wydział Kultury', 'registered', 'published', now() - interval '1 day',
		now() + interval '10 days', now() + interval '20 days') RETURNING id`)
	q("consultationQuestion", `INSERT INTO consultation_questions (consultation_id, position, kind, prompt, required, max_length)
		VALUES ($1, 1, 'text', 'Co chcesz dodać?', true, 500) RETURNING id`, fx.ids["consultation"])
	q("draftConsultation", `INSERT INTO consultations (title, organiser_kind, organiser, eligibility, opens_at, closes_at, report_at)
		VALUES ('Szkic konsultacji', 'coalition', 'Koalicja', 'verified', now() + interval '1 day',
		now() + interval '10 days', now() + interval '20 days') RETURNING id`)
	q("consultationFile", `WITH f AS (INSERT INTO files (content_type, size, sha256, content) VALUES ('application/pdf', 9, '\x00', '\x255044462d312e340a'::bytea) RETURNING id)
		INSERT INTO consultation_attachments (consultation_id, file_id, position) SELECT $1, id, 1 FROM f RETURNING file_id`, fx.ids["consultation"])
	q("paperResponse", `WITH f AS (INSERT INTO files (content_type, size, sha256, content) VALUES ('application/pdf', 9, '\x00', '\x255044462d312e340a'::bytea) RETURNING id)
		INSERT INTO consultation_responses (consultation_id, channel, status, receipt, entered_by, scan_file_id, submitted_at)
		SELECT $1, 'paper', 'submitted', 'AUTHZPAPER1', (SELECT id FROM users WHERE email = 'moderator@example.org'), f.id, now()
		FROM f RETURNING id`, fx.ids["consultation"])
	q("promise", `SELECT min(id) FROM promises`)
	q("draftPromise", `INSERT INTO promises (event_id, text) VALUES ($1, 'Obietnica w szkicu debaty') RETURNING id`, fx.ids["draftDebate"])
	q("response", `SELECT min(id) FROM response_documents`)
	q("responseSection", `SELECT id FROM response_sections WHERE document_id = $1 ORDER BY position LIMIT 1`, fx.ids["response"])
	q("responseComment", `SELECT min(id) FROM response_comments WHERE document_id = $1`, fx.ids["response"])
	q("submittedResponse", `WITH d AS (INSERT INTO response_documents (consultation_id, title, status, revision, submitted_at)
			VALUES ($1, 'Złożone stanowisko', 'submitted', 1, now()) RETURNING id),
		s AS (INSERT INTO response_sections (document_id, position, title, body) SELECT id, 1, 'Uwagi', 'Tekst złożony.' FROM d)
		SELECT id FROM d`, fx.ids["consultation"])
	q("textAnswer", `INSERT INTO consultation_answers (response_id, question_id, body) VALUES ($1, $2, 'Tańsze sale dla NGO.')
		RETURNING id`, fx.ids["paperResponse"], fx.ids["consultationQuestion"])
	return fx
}

// freshSignature makes a pending organisation signature of userID to withdraw.
func (fx *authzFixture) freshSignature(t *testing.T, userID int64) int64 {
	t.Helper()
	fx.mu.Lock()
	fx.made++
	n := fx.made
	fx.mu.Unlock()
	return authzQuery[int64](t, fx.s, `
		WITH o AS (INSERT INTO organisations (name, kind, created_by) VALUES ($1, 'informal_group', $2) RETURNING id)
		INSERT INTO signatures (declaration_version_id, user_id, organisation_id, full_name, role_title, authority_confirmed)
		SELECT (SELECT id FROM declaration_versions WHERE published_at <= now() ORDER BY version DESC LIMIT 1),
			$2, o.id, 'Osoba Testowa', 'koordynatorka', true FROM o
		RETURNING id`, fmt.Sprintf("Grupa testowa uprawnień %d", n), userID)
}

// fill puts the sample objects into path for the caller (userID and sessionID 0 for a
// visitor, who gets another person's objects instead of their own).
func (fx *authzFixture) fill(t *testing.T, path string, userID, sessionID int64) string {
	t.Helper()
	if strings.Contains(path, "{ownSig}") {
		id := fx.ids["othersSig"]
		if userID != 0 {
			id = fx.freshSignature(t, userID)
		}
		path = strings.ReplaceAll(path, "{ownSig}", strconv.FormatInt(id, 10))
	}
	if strings.Contains(path, "{ownProposal}") {
		id := fx.ids["proposal"]
		if userID != 0 {
			id = authzQuery[int64](t, fx.s, `INSERT INTO proposals (neighbourhood_id, author_id, title, body, body_html, published_at)
				VALUES ((SELECT min(id) FROM neighbourhoods), $1, 'Moja propozycja', 'Propozycja osoby sprawdzającej uprawnienia.',
				'<p>Propozycja osoby sprawdzającej uprawnienia.</p>', now()) RETURNING id`, userID)
		}
		path = strings.ReplaceAll(path, "{ownProposal}", strconv.FormatInt(id, 10))
	}
	if strings.Contains(path, "{ownSession}") {
		id := fx.ids["othersSession"]
		if sessionID != 0 {
			id = sessionID
		}
		path = strings.ReplaceAll(path, "{ownSession}", strconv.FormatInt(id, 10))
	}
	for k, v := range fx.vals {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	if strings.ContainsAny(path, "{}") {
		t.Fatalf("sample path %s has an unknown placeholder", path)
	}
	return path
}

// authzBody is the body a probe sends: its own, or an empty form / {} for the API.
func authzBody(method, path, body string) (contentType, b string) {
	if method == http.MethodGet {
		return "", ""
	}
	if strings.HasPrefix(path, "/api/") {
		if body == "" {
			body = "{}"
		}
		return "application/json", body
	}
	return "application/x-www-form-urlencoded", body
}

// problemCode is the error code of a JSON error, or for an HTML page the code whose
// message it shows (only the codes the tests look for), or "".
func (fx *authzFixture) problemCode(r servertest.Response) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(r.Body), &e) == nil && e.Error.Code != "" {
		return e.Error.Code
	}
	switch {
	case strings.Contains(r.Body, html.EscapeString(fx.msgUnauthorized)):
		return "unauthorized"
	case strings.Contains(r.Body, html.EscapeString(fx.msgCSRF)):
		return "csrf_failed"
	}
	return ""
}

// classify maps an answer to an outcome (5xx are reported separately).
func (fx *authzFixture) classify(method string, r servertest.Response) Outcome {
	switch {
	case r.StatusCode == http.StatusUnauthorized && fx.problemCode(r) == "unauthorized":
		return SignIn
	case r.StatusCode == http.StatusForbidden || r.StatusCode == http.StatusNotFound:
		return Deny
	case method == http.MethodGet && r.StatusCode >= 300 && r.StatusCode < 400 &&
		strings.HasPrefix(r.Header.Get("Location"), "/logowanie?next="):
		return SignIn
	}
	return Allow
}

func authzSnippet(body string) string {
	body = strings.Join(strings.Fields(body), " ")
	if len(body) > 600 {
		body = body[:600] + "…"
	}
	return body
}

// authzCell is one answer in the printed matrix.
type authzCell struct {
	status int
	got    Outcome
	want   Outcome
}

type authzLine struct {
	route string
	cells [authzActorCount]authzCell
}

func authzTableText(lines []authzLine) string {
	var b strings.Builder
	b.WriteString("\nstatus and outcome per person (A allow, S sign in, D deny; got≠want marks a mismatch)\n")
	fmt.Fprintf(&b, "%-58s", "route")
	for _, a := range authzActors {
		fmt.Fprintf(&b, " %-10s", a.name)
	}
	b.WriteString("\n")
	for _, l := range lines {
		fmt.Fprintf(&b, "%-58s", l.route)
		for _, c := range l.cells {
			cell := fmt.Sprintf("%d %s", c.status, c.got.letter())
			if c.got != c.want {
				cell += "≠" + c.want.letter()
			}
			fmt.Fprintf(&b, " %-10s", cell)
		}
		b.WriteString("\n")
	}
	return b.String()
}

type authzCaller struct {
	email           string
	token           string
	userID, session int64
}

func TestAuthorisationMatrix(t *testing.T) {
	t.Parallel()
	began := time.Now()
	s := servertest.Start(t, servertest.Options{})
	fx := authzSetup(t, s)
	rows := authzMounted(t, s)

	var callers [authzActorCount]authzCaller
	for i, a := range authzActors {
		callers[i].email = a.email
	}
	// A signed-out API client: a token that was never issued. It carries an
	// Authorization header like everyone else, so the CSRF check (which lets bearer
	// requests through) does not answer for the routes.
	callers[asVisitor].token = strings.Repeat("v", 43)
	signIn := func(t *testing.T, c *authzCaller) {
		c.token, c.userID = fx.client.login(t, c.email)
		c.session = authzQuery[int64](t, s, `SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL
			ORDER BY id DESC LIMIT 1`, c.userID)
	}

	var lines []authzLine
	requests := 0
	for _, row := range rows {
		t.Run(row.route, func(t *testing.T) {
			method := row.method()
			for _, p := range row.probes {
				line := authzLine{route: row.route}
				if p.name != "" {
					line.route += " [" + p.name + "]"
				}
				for i := range callers {
					c := &callers[i]
					if c.email != "" && c.token == "" {
						signIn(t, c)
					}
					path := fx.fill(t, row.samplePath(p), c.userID, c.session)
					ct, body := authzBody(method, path, p.body)
					r := fx.client.send(t, method, path, c.token, ct, body)
					requests++
					who := authzActors[i].name
					if r.StatusCode >= 500 {
						t.Errorf("%s %s as %s: %d (server error)\n%s", method, path, who, r.StatusCode, authzSnippet(r.Body))
					}
					got := fx.classify(method, r)
					line.cells[i] = authzCell{status: r.StatusCode, got: got, want: p.want[i]}
					if got != p.want[i] {
						status := strconv.Itoa(r.StatusCode)
						if loc := r.Header.Get("Location"); loc != "" {
							status += " → " + loc
						}
						t.Errorf("%s %s as %s: %s is %s, want %s\n%s", method, path, who, status, got, p.want[i], authzSnippet(r.Body))
					}
					if p.ends && c.email != "" {
						c.token = "" // sign in again before the next request
					}
				}
				lines = append(lines, line)
			}
		})
	}

	// Whatever the answers said, nobody touched what was not theirs.
	t.Run("others' objects are untouched", func(t *testing.T) {
		if r := fx.client.send(t, http.MethodGet, "/api/v1/me", fx.victim, "", ""); r.StatusCode != http.StatusOK {
			t.Errorf("marta.sasiadka's session (%s) no longer works after others posted to /konto/sesje/%[1]s/zakoncz: %d",
				fx.vals["othersSession"], r.StatusCode)
		}
		if st := authzQuery[string](t, s, `SELECT status FROM signatures WHERE id = $1`, fx.ids["othersSig"]); st != "confirmed" {
			t.Errorf("marta.sasiadka's signature %d is %s after others tried to withdraw it", fx.ids["othersSig"], st)
		}
		if st := authzQuery[string](t, s, `SELECT status FROM signatures WHERE id = $1`, fx.ids["pendingSig"]); st != "pending" {
			t.Errorf("the pending signature %d is %s after the decision probes", fx.ids["pendingSig"], st)
		}
		if n := authzQuery[int64](t, s, `SELECT count(*) FROM organisation_invites WHERE organisation_id = $1`, fx.ids["otherOrg"]); n != 0 {
			t.Errorf("%d invitations were sent for organisation %d, which none of the callers represents", n, fx.ids["otherOrg"])
		}
		if n := authzQuery[int64](t, s, `SELECT count(*) FROM organisation_invites WHERE organisation_id = $1`, fx.ids["repOrg"]); n != 1 {
			t.Errorf("%d invitations for the advocate's organisation %d, want 1 (the advocate's own)", n, fx.ids["repOrg"])
		}
		if ok := authzQuery[bool](t, s, `SELECT verified_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id)
			FROM users u WHERE id = $1`, fx.ids["user"]); !ok {
			t.Errorf("user %d lost their verification or gained a role from the staff probes", fx.ids["user"])
		}
		if c := authzQuery[string](t, s, `SELECT status || ': ' || body FROM comments WHERE id = $1`, fx.ids["comment"]); c != "visible: Stojaki przydadzą się też przy szkole." {
			t.Errorf("marta.sasiadka's comment %d is %q after others tried to edit it", fx.ids["comment"], c)
		}
		if st := authzQuery[string](t, s, `SELECT status FROM events WHERE id = $1`, fx.ids["event"]); st != "published" {
			t.Errorf("the sample event %d is %s after the probes (a cancel without a reason must change nothing)", fx.ids["event"], st)
		}
		for _, name := range []string{"debate", "otherDebate"} {
			if seq := authzQuery[int64](t, s, `SELECT seq FROM debates WHERE event_id = $1`, fx.ids[name]); seq != 0 {
				t.Errorf("the sample debate %d is at version %d after console probes without an action", fx.ids[name], seq)
			}
		}
		if st := authzQuery[string](t, s, `SELECT status || ' ' || starred || ' ' || body FROM debate_questions WHERE id = $1`,
			fx.ids["debateQuestion"]); st != "approved false Kiedy powstanie ławka przy przystanku?" {
			t.Errorf("the sample question %d is %q after moderation probes without an action", fx.ids["debateQuestion"], st)
		}
		if st := authzQuery[string](t, s, `SELECT status FROM debate_questions WHERE id = $1`, fx.ids["otherQuestion"]); st != "pending" {
			t.Errorf("the other debate's question %d is %s after moderation probes without an action", fx.ids["otherQuestion"], st)
		}
		if n := authzQuery[int64](t, s, `SELECT count(*) FROM comment_votes WHERE comment_id = $1`, fx.ids["comment"]); n != 0 {
			t.Errorf("%d votes on comment %d from probes without a value", n, fx.ids["comment"])
		}
	})

	t.Log(authzTableText(lines))
	t.Logf("%d routes, %d people, %d requests in %v", len(rows), authzActorCount, requests, time.Since(began).Round(time.Millisecond))
}

// authzFingerprint is a checksum of every table (sessions.last_seen_at left out: using
// a session moves it).
func authzFingerprint(t *testing.T, s *servertest.Running) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := s.Pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(tables))
	for _, name := range tables {
		var n int64
		var sum string
		err := s.Pool.QueryRow(ctx, `SELECT count(*), coalesce(md5(string_agg(x, '|' ORDER BY x)), '')
			FROM (SELECT (to_jsonb(t) - 'last_seen_at')::text AS x FROM `+pgx.Identifier{name}.Sanitize()+` t) rows`).Scan(&n, &sum)
		if err != nil {
			t.Fatalf("fingerprint of %s: %v", name, err)
		}
		out[name] = fmt.Sprintf("%d rows, md5 %s", n, sum)
	}
	return out
}

func authzChanged(before, after map[string]string) []string {
	var changed []string
	for name, v := range after {
		if before[name] != v {
			changed = append(changed, fmt.Sprintf("%s (%s → %s)", name, before[name], v))
		}
	}
	sort.Strings(changed)
	return changed
}

// csrfExempt are the state-changing routes that take no CSRF token, and why. Each is
// still sent without a token below and must change nothing in the database.
var csrfExempt = map[string]string{
	// Browsers send CSP violation reports on their own, with no token (and no way to add
	// one); a report only writes a log line and counts a metric.
	"POST /csp-report": "browser-sent CSP violation reports carry no token; they store nothing",
}

// TestEveryStateChangingRouteNeedsCSRF sends every mounted POST, PUT and DELETE with
// an admin's session cookie but without the CSRF token: each must be refused with 403
// csrf_failed and change nothing.
func TestEveryStateChangingRouteNeedsCSRF(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	fx := authzSetup(t, s)
	rows := authzMounted(t, s)
	b := s.Browser(t)
	b.SignIn(authzActors[asAdmin].email, seed.DemoPassword)
	adminID := authzQuery[int64](t, s, `SELECT id FROM users WHERE email = $1`, authzActors[asAdmin].email)
	session := authzQuery[int64](t, s, `SELECT id FROM sessions WHERE user_id = $1 AND kind = 'browser' AND revoked_at IS NULL
		ORDER BY id DESC LIMIT 1`, adminID)
	if b.CSRF() == "" || b.Cookie("lawka_csrf") == "" {
		t.Fatal("the browser has no CSRF cookie and token: the test would not show that a token is needed")
	}

	type request struct{ route, method, path, contentType, body string }
	var reqs []request
	for _, row := range rows {
		m := row.method()
		if m != http.MethodPost && m != http.MethodPut && m != http.MethodDelete {
			continue
		}
		for _, p := range row.probes {
			path := fx.fill(t, row.samplePath(p), adminID, session) // before the fingerprint: may make a signature
			ct, body := authzBody(m, path, p.body)
			reqs = append(reqs, request{row.route, m, path, ct, body})
		}
	}
	if len(reqs) < 10 {
		t.Fatalf("only %d state-changing requests: the route list looks wrong", len(reqs))
	}
	for route := range csrfExempt {
		if !slices.ContainsFunc(reqs, func(r request) bool { return r.route == route }) {
			t.Errorf("%s is exempt from CSRF but not mounted: remove the exemption", route)
		}
	}

	before := authzFingerprint(t, s)
	for _, rq := range reqs {
		req, err := http.NewRequest(rq.method, s.URL+rq.path, strings.NewReader(rq.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", rq.contentType)
		r := b.Do(req) // session and CSRF cookies, no token in the form or the header
		if why, ok := csrfExempt[rq.route]; ok {
			if r.StatusCode == http.StatusForbidden || r.StatusCode >= 500 {
				t.Errorf("%s %s is exempt from CSRF (%s) but answered %d", rq.method, rq.path, why, r.StatusCode)
			}
		} else if code := fx.problemCode(r); r.StatusCode != http.StatusForbidden || code != "csrf_failed" {
			t.Errorf("%s %s (%s) with a session cookie and no CSRF token: %d %q, want 403 csrf_failed\n%s",
				rq.method, rq.path, rq.route, r.StatusCode, code, authzSnippet(r.Body))
		}
		after := authzFingerprint(t, s)
		if changed := authzChanged(before, after); len(changed) > 0 {
			t.Errorf("%s %s without a CSRF token changed the database: %s", rq.method, rq.path, strings.Join(changed, "; "))
		}
		before = after
	}
	if r := b.Get("/konto"); r.StatusCode != http.StatusOK {
		t.Errorf("the admin's browser is no longer signed in after the refused requests: GET /konto %d", r.StatusCode)
	}
	t.Logf("%d state-changing requests sent without a CSRF token", len(reqs))
}

// TestGetRoutesChangeNothing calls every mounted GET route as an admin and as a visitor
// and checks that the database is as it was after each.
func TestGetRoutesChangeNothing(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	fx := authzSetup(t, s)
	rows := authzMounted(t, s)
	admin := s.Browser(t)
	admin.SignIn(authzActors[asAdmin].email, seed.DemoPassword)
	adminID := authzQuery[int64](t, s, `SELECT id FROM users WHERE email = $1`, authzActors[asAdmin].email)
	session := authzQuery[int64](t, s, `SELECT id FROM sessions WHERE user_id = $1 AND kind = 'browser' AND revoked_at IS NULL
		ORDER BY id DESC LIMIT 1`, adminID)
	visitor := s.Browser(t)
	visitor.Get("/")

	type request struct {
		route, path string
		as          string
		b           *servertest.Browser
	}
	var reqs []request
	for _, row := range rows {
		if row.method() != http.MethodGet {
			continue
		}
		for _, p := range row.probes {
			reqs = append(reqs, request{row.route, fx.fill(t, row.samplePath(p), adminID, session), "admin", admin},
				request{row.route, fx.fill(t, row.samplePath(p), 0, 0), "visitor", visitor})
		}
	}
	if len(reqs) < 20 {
		t.Fatalf("only %d GET requests: the route list looks wrong", len(reqs))
	}

	before := authzFingerprint(t, s)
	for _, rq := range reqs {
		r := rq.b.Get(rq.path)
		if r.StatusCode >= 500 {
			t.Errorf("GET %s as %s: %d (server error)\n%s", rq.path, rq.as, r.StatusCode, authzSnippet(r.Body))
		}
		after := authzFingerprint(t, s)
		if changed := authzChanged(before, after); len(changed) > 0 {
			t.Errorf("GET %s (%s) as %s changed the database: %s", rq.path, rq.route, rq.as, strings.Join(changed, "; "))
		}
		before = after
	}
	t.Logf("%d GET requests checked", len(reqs))
}
