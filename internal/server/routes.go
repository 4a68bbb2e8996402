package server

import (
	"github.com/gofiber/fiber/v2"

	"lawka/internal/account"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
	"lawka/internal/promise"
)

// navigation is the main menu; each feature adds its entry as it lands. An entry with
// roles shows only to people who hold one of them.
var navigation = []struct {
	Key, Href string
	Roles     []string
}{
	{"nav.home", "/", nil},
	{"nav.proposals", "/propozycje", nil},
	{"nav.consultations", "/konsultacje", nil},
	{"nav.events", "/wydarzenia", nil}, // debates are events: the calendar lists them
	{"nav.promises", "/obietnice", nil},
	{"nav.declaration", "/deklaracja", nil},
	{"nav.allies", "/sojusznicy", nil},
	{"nav.admin", "/admin", []string{auth.Moderator, auth.Admin}},
}

// routes lists every route of the application, grouped by who may call it.
func (s *Server) routes() {
	app := s.App

	// Probes and metrics: no middleware beyond the minimum, always answer.
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", s.metrics.Handler())

	s.middleware()

	// Static files: fingerprinted, cached for a year.
	app.Get("/static/*", s.assets.Handler)

	// CSP violation reports (the policy's report-uri): before the session and CSRF checks,
	// because browsers send them without a token; rate-limited per address.
	app.Post(CSPReportPath, s.cspReport)

	// Everything below needs PostgreSQL and Redis to have answered at start, knows who
	// is signed in, and refuses state-changing requests without a CSRF token.
	app.Use(s.gate, httpx.Deadline(s.cfg.RequestTimeout), s.sessions.Middleware(), s.csrf.Middleware(),
		account.RequireStaffTOTP(s.cfg.RequireStaffTOTP))

	// Live updates: one websocket per tab; it only pushes (clients act over HTTP).
	app.Get("/ws", s.hub.Handler([]string{s.cfg.Origin()}))

	// Public pages. The busiest are served to signed-out visitors from the page cache
	// (pagecache: rendered at most once a LAWKA_PAGE_CACHE_TTL).
	app.Get("/", s.pages.Page(s.neighbourhoods.Home))
	app.Get("/dzielnice/:slug", s.pages.Page(s.neighbourhoods.Show))
	app.Get("/dzielnice/:slug/propozycje.atom", s.proposals.Feed)
	app.Get("/deklaracja", s.coalition.Declaration)
	app.Get("/zasady", s.terms)
	app.Get("/sojusznicy", s.signatures.Allies)
	app.Get("/zaproszenie", s.signatures.ShowInvite)
	app.Get("/propozycje", s.pages.Page(s.proposals.List))
	app.Get("/propozycje/:id<int>", s.pages.Page(s.proposals.Show))
	app.Get("/propozycje/:id<int>/historia", s.proposals.History)
	app.Get("/komentarze/:id<int>", s.pages.Page(s.commentPages.Thread))
	app.Get("/komentarze/:id<int>/historia", s.commentPages.History)
	app.Get("/propozycje/:id<int>/zalaczniki/:file<int>", s.proposals.File)
	app.Get("/wydarzenia", s.events.Calendar)
	app.Get("/wydarzenia.ics", s.events.Feed)
	app.Get("/wydarzenia/:id<int>.ics", s.events.ICS)
	app.Get("/wydarzenia/:id<int>", s.events.Show)
	app.Get("/wydarzenia/:id<int>/zalaczniki/:file<int>", s.events.File)
	app.Get("/debaty/:id<int>", s.debates.Show)
	app.Get("/debaty/:id<int>/na-zywo", s.debates.Audience)
	app.Get("/debaty/:id<int>/rzutnik", s.debates.Projector)
	app.Get("/debaty/:id<int>/kod.svg", s.debates.QR)
	app.Get("/debaty/:id<int>/archiwum", s.debates.Archive)
	app.Get("/debaty/:id<int>/archiwum.json", s.debates.ArchiveJSON)
	app.Get("/debaty/:id<int>/archiwum.csv", s.debates.ArchiveCSV)
	app.Get("/debaty/:id<int>/mowcy/:speaker<int>/zdjecie", s.debates.Photo)
	app.Post("/debaty/:id<int>/pytania", s.debates.Ask)
	app.Post("/debaty/:id<int>/pytania/:question<int>/glos", s.debates.Upvote)
	app.Post("/debaty/:id<int>/ankieta", s.debates.VotePoll)
	app.Get("/d", s.debates.Join)
	app.Get("/d/:code", s.debates.Join)
	app.Get("/obietnice", s.promises.Tracker)
	app.Get("/obietnice/:id<int>", s.promises.Show)
	app.Get("/konsultacje", s.consultations.List)
	app.Get("/konsultacje/:id<int>", s.consultations.Show)
	app.Get("/konsultacje/:id<int>/dokumenty/:file<int>", s.consultations.File)
	app.Get("/konsultacje/:id<int>/pokwitowanie", s.consultations.Receipt)
	app.Get("/konsultacje/:id<int>/raport", s.consultations.ReportView)
	app.Get("/konsultacje/:id<int>/wyniki.csv", s.consultations.ResultsCSV)
	app.Get("/konsultacje/:id<int>/odpowiedzi", s.consultations.Texts)
	// The coalition's responses: public once submitted; before that the service shows
	// them to their editors only (404 to everyone else).
	app.Get("/stanowiska/:id<int>", s.responses.Show)
	app.Get("/stanowiska/:id<int>/historia", s.responses.History)
	app.Get("/stanowiska/:id<int>/sekcje/:section<int>/historia", s.responses.SectionHistory)
	app.Get("/stanowiska/:id<int>/druk", s.responses.Print)
	app.Get("/stanowiska/:id<int>/eksport.md", s.responses.ExportMarkdown)
	app.Get("/stanowiska/:id<int>/eksport.pdf", s.responses.ExportPDF)
	app.Get("/ankiety/:id", s.pollPages.Show)
	app.Post("/ankiety/:id/glos", s.pollPages.Vote)
	app.Get("/ankiety/:id/wyniki.csv", s.polls.ResultsCSV)
	// The digest's unsubscribe link works without signing in (a signed token).
	app.Get("/powiadomienia/wypisz", s.notifications.ShowUnsubscribe)
	app.Post("/powiadomienia/wypisz", s.notifications.Unsubscribe)

	// Signing in and up (public forms).
	app.Get("/logowanie", s.accounts.ShowLogin)
	app.Post("/logowanie", s.accounts.Login)
	app.Get("/logowanie/kod", s.accounts.ShowLoginCode)
	app.Post("/logowanie/kod", s.accounts.LoginCode)
	app.Get("/rejestracja", s.accounts.ShowRegister)
	app.Post("/rejestracja", s.accounts.Register)
	app.Get("/potwierdz-email", s.accounts.ShowConfirm)
	app.Post("/potwierdz-email", s.accounts.Confirm)
	app.Get("/haslo/przypomnij", s.accounts.ShowResetRequest)
	app.Post("/haslo/przypomnij", s.accounts.ResetRequest)
	app.Get("/haslo/nowe", s.accounts.ShowReset)
	app.Post("/haslo/nowe", s.accounts.Reset)

	// Signed-in people: their account. (Middleware per route: a Fiber group with an
	// empty prefix would put it in front of every later route.)
	signedIn := account.RequireSignIn
	app.Post("/wyloguj", signedIn, s.accounts.Logout)
	app.Get("/konto", signedIn, s.accounts.Settings)
	app.Post("/konto/haslo", signedIn, s.accounts.ChangePassword)
	app.Post("/konto/email", signedIn, s.accounts.ChangeEmail)
	app.Post("/konto/jezyk", signedIn, s.accounts.SetLocale)
	app.Post("/konto/potwierdzenie", signedIn, s.accounts.ResendConfirmation)
	app.Post("/konto/sesje/:id/zakoncz", signedIn, s.accounts.RevokeSession)
	app.Get("/konto/2fa", signedIn, s.accounts.TOTPSettings)
	app.Post("/konto/2fa/start", signedIn, s.accounts.TOTPStart)
	app.Post("/konto/2fa/potwierdz", signedIn, s.accounts.TOTPConfirm)
	app.Post("/konto/2fa/wylacz", signedIn, s.accounts.TOTPDisable)
	app.Get("/konto/prywatnosc", signedIn, s.accounts.Privacy)
	app.Get("/konto/dane.json", signedIn, s.accounts.Download)
	app.Post("/konto/zgody", signedIn, s.signatures.WithdrawListing)
	app.Post("/konto/usun", signedIn, s.accounts.Delete)
	app.Get("/konto/powiadomienia", signedIn, s.notifications.Settings)
	app.Post("/konto/powiadomienia", signedIn, s.notifications.SaveSettings)
	app.Get("/powiadomienia", signedIn, s.notifications.List)
	app.Post("/powiadomienia/przeczytane", signedIn, s.notifications.MarkRead)

	app.Get("/deklaracja/podpisz", signedIn, s.signatures.ShowSign)
	app.Get("/deklaracja/podpisz/osoba", signedIn, s.signatures.ShowSignPerson)
	app.Post("/deklaracja/podpisz/osoba", signedIn, s.signatures.SignPerson)
	app.Get("/deklaracja/podpisz/organizacja", signedIn, s.signatures.ShowSignOrganisation)
	app.Post("/deklaracja/podpisz/organizacja", signedIn, s.signatures.SignOrganisation)
	app.Get("/konto/podpisy", signedIn, s.signatures.Mine)
	app.Get("/konto/organizacje", signedIn, s.signatures.Organisations)
	app.Post("/konto/organizacje/:id/zapros", signedIn, s.signatures.Invite)
	app.Post("/zaproszenie", signedIn, s.signatures.AcceptInvite)
	app.Post("/konto/podpisy/:id/wycofaj", signedIn, s.signatures.Withdraw)
	app.Get("/konto/podpisy/:id/skan", signedIn, s.signatures.Scan)
	app.Get("/propozycje/nowa", signedIn, s.proposals.New)
	app.Post("/propozycje", signedIn, s.proposals.Create)
	app.Get("/propozycje/:id<int>/edycja", signedIn, s.proposals.Edit)
	app.Post("/propozycje/:id<int>/edycja", signedIn, s.proposals.Update)
	app.Post("/propozycje/:id<int>/poparcie", signedIn, s.proposals.Support)
	app.Post("/propozycje/:id<int>/status", signedIn, s.proposals.SetStatus)
	app.Post("/propozycje/:id<int>/usun", signedIn, s.proposals.Discard)
	app.Post("/propozycje/:id<int>/obserwuj", signedIn, s.notifications.Follow("proposal"))
	app.Get("/propozycje/:id<int>/skan", signedIn, s.proposals.Scan)
	app.Post("/obietnice/:id<int>/obserwuj", signedIn, s.notifications.Follow(promise.Kind))
	app.Post("/wydarzenia/:id<int>/zapis", signedIn, s.events.Register)
	app.Post("/wydarzenia/:id<int>/rezygnacja", signedIn, s.events.Unregister)
	app.Get("/konsultacje/:id<int>/odpowiedz", signedIn, s.consultations.Respond)
	app.Post("/konsultacje/:id<int>/odpowiedz", signedIn, s.consultations.SaveResponse)
	app.Get("/konsultacje/:id<int>/potwierdzenie", signedIn, s.consultations.Confirmation)
	// Response documents: advocates of member organisations and the staff edit,
	// comment and move them; representatives co-sign (the service checks).
	app.Get("/konsultacje/:id<int>/stanowiska/nowe", signedIn, s.responses.New)
	app.Post("/konsultacje/:id<int>/stanowiska", signedIn, s.responses.Create)
	app.Post("/stanowiska/:id<int>/sekcje", signedIn, s.responses.AddSection)
	app.Get("/stanowiska/:id<int>/sekcje/:section<int>", signedIn, s.responses.Edit)
	app.Post("/stanowiska/:id<int>/sekcje/:section<int>", signedIn, s.responses.Save)
	app.Post("/stanowiska/:id<int>/sekcje/:section<int>/przywroc", signedIn, s.responses.Restore)
	app.Post("/stanowiska/:id<int>/sekcje/:section<int>/odpowiada", signedIn, s.responses.SetOwner)
	app.Post("/stanowiska/:id<int>/komentarze", signedIn, s.responses.AddComment)
	app.Post("/stanowiska/:id<int>/komentarze/:comment<int>/rozwiaz", signedIn, s.responses.Resolve)
	app.Post("/stanowiska/:id<int>/status", signedIn, s.responses.Move)
	app.Post("/stanowiska/:id<int>/podpisy", signedIn, s.responses.Cosign)
	app.Post("/komentarze", signedIn, s.commentPages.Post)
	app.Get("/komentarze/:id<int>/odpowiedz", signedIn, s.commentPages.ShowReply)
	app.Get("/komentarze/:id<int>/edycja", signedIn, s.commentPages.ShowEdit)
	app.Post("/komentarze/:id<int>/edycja", signedIn, s.commentPages.Edit)
	app.Get("/komentarze/:id<int>/usun", signedIn, s.commentPages.ShowDelete)
	app.Post("/komentarze/:id<int>/usun", signedIn, s.commentPages.Delete)
	app.Post("/komentarze/:id<int>/ocena", signedIn, s.commentPages.Vote)
	app.Get("/zglos", signedIn, s.moderation.ShowReport)
	app.Post("/zglos", signedIn, s.moderation.Report)
	app.Get("/moderacja/sprawy/:id<int>", signedIn, s.moderation.Case)
	app.Post("/moderacja/sprawy/:id<int>/odwolanie", signedIn, s.moderation.Appeal)
	app.Get("/kod", signedIn, s.accounts.ShowRedeem)
	app.Post("/kod", signedIn, s.accounts.Redeem)

	// Moderators and admins (each service checks the role again).
	app.Get("/admin", signedIn, s.adminHome)
	app.Get("/admin/osoby", signedIn, s.accounts.People)
	app.Get("/admin/osoby/:id", signedIn, s.accounts.Person)
	app.Post("/admin/osoby/:id/weryfikacja", signedIn, s.accounts.VerifyPerson)
	app.Post("/admin/osoby/:id/cofnij-weryfikacje", signedIn, s.accounts.UnverifyPerson)
	app.Post("/admin/osoby/:id/role", signedIn, s.accounts.SetRoles)
	app.Post("/admin/osoby/:id/blokada", signedIn, s.accounts.BlockPerson)
	app.Get("/moderacja", signedIn, s.moderation.Queue)
	app.Post("/moderacja/decyzje", signedIn, s.moderation.Decide)
	app.Get("/moderacja/pozycja", signedIn, s.moderation.Item)
	app.Get("/admin/kody", signedIn, s.accounts.Batches)
	app.Post("/admin/kody", signedIn, s.accounts.CreateBatch)
	app.Get("/admin/kody/:id", signedIn, s.accounts.PrintBatch)
	app.Get("/admin/dziennik", signedIn, s.auditlog.List)
	app.Get("/admin/dzielnice", signedIn, s.neighbourhoods.Places)
	app.Post("/admin/dzielnice/:id<int>", signedIn, s.neighbourhoods.RenameDistrict)
	app.Post("/admin/tematy", signedIn, s.neighbourhoods.SaveTopic)
	app.Post("/admin/tematy/:id<int>", signedIn, s.neighbourhoods.SaveTopic)
	app.Post("/admin/premoderacja", signedIn, s.neighbourhoods.SetPremoderation)
	app.Get("/admin/propozycje/papier", signedIn, s.proposals.PaperNew)
	app.Post("/admin/propozycje/papier", signedIn, s.proposals.PaperCreate)
	app.Get("/admin/wydarzenia", signedIn, s.events.Admin)
	app.Get("/admin/wydarzenia/nowe", signedIn, s.events.New)
	app.Post("/admin/wydarzenia", signedIn, s.events.Create)
	app.Get("/admin/wydarzenia/:id<int>", signedIn, s.events.Edit)
	app.Post("/admin/wydarzenia/:id<int>", signedIn, s.events.Update)
	app.Post("/admin/wydarzenia/:id<int>/odwolaj", signedIn, s.events.CancelEvent)
	app.Get("/admin/wydarzenia/:id<int>/notatka", signedIn, s.events.Minutes)
	app.Post("/admin/wydarzenia/:id<int>/notatka", signedIn, s.events.SaveMinutes)
	app.Get("/admin/wydarzenia/:id<int>/zapisy", signedIn, s.events.Registrations)
	app.Get("/admin/debaty/nowa", signedIn, s.debates.New)
	app.Post("/admin/debaty", signedIn, s.debates.Create)
	// The debate's own moderators and admins (the service checks).
	app.Get("/debaty/:id<int>/konsola", signedIn, s.debates.Console)
	app.Get("/debaty/:id<int>/edycja", signedIn, s.debates.EditPartsForm)
	app.Post("/debaty/:id<int>/edycja", signedIn, s.debates.EditParts)
	app.Post("/debaty/:id<int>/konsola", signedIn, s.debates.Act)
	app.Post("/debaty/:id<int>/konsola/ankiety", signedIn, s.debates.CreatePoll)
	app.Post("/debaty/:id<int>/mowcy/:speaker<int>/zdjecie", signedIn, s.debates.SetPhoto)
	app.Post("/debaty/:id<int>/pytania/:question<int>/moderacja", signedIn, s.debates.ModerateQuestion)
	// Promises: logged by the debate's moderators, admins and advocates; updated by
	// advocates, moderators and admins (the service checks).
	app.Post("/debaty/:id<int>/obietnice", signedIn, s.promises.Log)
	app.Post("/obietnice/:id<int>/aktualizacje", signedIn, s.promises.Update)
	app.Post("/obietnice/:id<int>/poprawka", signedIn, s.promises.Correct)
	app.Get("/admin/konsultacje", signedIn, s.consultations.Admin)
	app.Get("/admin/konsultacje/nowa", signedIn, s.consultations.New)
	app.Post("/admin/konsultacje", signedIn, s.consultations.Create)
	app.Get("/admin/konsultacje/:id<int>", signedIn, s.consultations.Edit)
	app.Post("/admin/konsultacje/:id<int>", signedIn, s.consultations.Update)
	app.Get("/admin/konsultacje/:id<int>/papier", signedIn, s.consultations.PaperForm)
	app.Post("/admin/konsultacje/:id<int>/papier", signedIn, s.consultations.Paper)
	app.Post("/admin/konsultacje/:id<int>/papier/:response<int>/sprawdzone", signedIn, s.consultations.CheckPaper)
	app.Get("/admin/konsultacje/:id<int>/papier/:response<int>/skan", signedIn, s.consultations.Scan)
	app.Post("/admin/konsultacje/:id<int>/odpowiedzi/:answer<int>/ukryj", signedIn, s.consultations.HideAnswer)
	app.Get("/admin/ankiety", signedIn, s.pollPages.Console)
	app.Post("/admin/ankiety", signedIn, s.pollPages.Create)
	app.Get("/admin/ankiety/:id", signedIn, s.pollPages.Manage)
	app.Post("/admin/ankiety/:id/otworz", signedIn, s.pollPages.OpenPoll)
	app.Post("/admin/ankiety/:id/zamknij", signedIn, s.pollPages.ClosePoll)
	app.Post("/admin/ankiety/:id/papier", signedIn, s.pollPages.Paper)
	app.Get("/admin/podpisy", signedIn, s.signatures.Queue)
	app.Get("/admin/podpisy/papier", signedIn, s.signatures.ShowPaper)
	app.Post("/admin/podpisy/papier", signedIn, s.signatures.Paper)
	app.Post("/admin/podpisy/:id/decyzja", signedIn, s.signatures.Decide)
	app.Get("/admin/podpisy/:id/skan", signedIn, s.signatures.Scan)
	app.Get("/komentarze/papier", signedIn, s.commentPages.ShowPaper)
	app.Post("/komentarze/papier", signedIn, s.commentPages.Paper)
	app.Get("/komentarze/:id<int>/skan", signedIn, s.commentPages.Scan)

	// Development only: the mail that would have been sent (admins).
	if s.cfg.Dev() {
		app.Get("/dev/mail", signedIn, s.devmail.List)
	}

	// JSON API.
	api := app.Group("/api/v1")
	api.Get("/openapi.json", s.openAPI)
	api.Get("/neighbourhoods", s.neighbourhoods.APIList)
	api.Get("/allies", s.signatures.APIAllies)
	api.Post("/auth/register", s.accounts.APIRegister)
	api.Post("/auth/login", s.accounts.APILogin)
	api.Post("/auth/logout", signedIn, s.accounts.APILogout)
	api.Get("/me", signedIn, s.accounts.APIMe)
	api.Delete("/me", signedIn, s.accounts.APIDelete)
	api.Get("/me/export", signedIn, s.accounts.APIExport)
	api.Post("/verification/redeem", signedIn, s.accounts.APIRedeem)
	api.Get("/admin/users", signedIn, s.accounts.APIUsers)
	api.Put("/admin/users/:id/roles", signedIn, s.accounts.APISetRoles)
	api.Post("/admin/users/:id/verify", signedIn, s.accounts.APIVerify)
	api.Post("/admin/users/:id/block", signedIn, s.accounts.APIBlock)
	api.Delete("/admin/users/:id/block", signedIn, s.accounts.APIBlock)
	api.Get("/admin/audit", signedIn, s.auditlog.APIList)
	api.Get("/proposals", s.proposals.APIList)
	api.Post("/proposals", signedIn, s.proposals.APICreate)
	api.Get("/proposals/:id", s.proposals.APIGet)
	api.Get("/proposals/:id/revisions", s.proposals.APIRevisions)
	api.Get("/proposals/:id/diff", s.proposals.APIDiff)
	api.Patch("/proposals/:id", signedIn, s.proposals.APIEdit)
	api.Delete("/proposals/:id", signedIn, s.proposals.APIDiscard)
	api.Post("/proposals/:id/status", signedIn, s.proposals.APIStatus)
	api.Post("/proposals/:id/support", signedIn, s.proposals.APISupport)
	api.Delete("/proposals/:id/support", signedIn, s.proposals.APISupport)
	api.Put("/proposals/:id/follow", signedIn, s.notifications.APIFollow("proposal"))
	api.Delete("/proposals/:id/follow", signedIn, s.notifications.APIFollow("proposal"))
	api.Get("/notifications", signedIn, s.notifications.APIList)
	api.Post("/notifications/read", signedIn, s.notifications.APIRead)
	api.Get("/proposals/:id/comments", s.comments.APIList("proposal"))
	api.Post("/proposals/:id/comments", signedIn, s.comments.APIPost("proposal"))
	api.Patch("/comments/:id", signedIn, s.comments.APIEdit)
	api.Delete("/comments/:id", signedIn, s.comments.APIDelete)
	api.Post("/comments/:id/vote", signedIn, s.comments.APIVote)
	api.Get("/comments/:id/thread", s.comments.APIThread)
	api.Get("/comments/:id/revisions", s.comments.APIRevisions)
	api.Post("/polls", signedIn, s.polls.APICreate)
	api.Get("/polls/:id", s.polls.APIGet)
	api.Post("/polls/:id/open", signedIn, s.polls.APIOpen)
	api.Post("/polls/:id/close", signedIn, s.polls.APIClose)
	api.Post("/polls/:id/votes", s.polls.APIVote)
	api.Get("/polls/:id/results", s.polls.APIResults)
	api.Post("/polls/:id/paper", signedIn, s.polls.APIPaper)
	api.Get("/polls/:id/receipts", s.polls.APIReceipts)
	api.Post("/signatures", signedIn, s.signatures.APISign)
	api.Delete("/signatures/:id", signedIn, s.signatures.APIWithdraw)
	api.Get("/me/signatures", signedIn, s.signatures.APIMine)
	api.Post("/reports", signedIn, s.moderation.APIReport)
	api.Get("/moderation/queue", signedIn, s.moderation.APIQueue)
	api.Post("/moderation/decisions", signedIn, s.moderation.APIDecide)
	api.Get("/moderation/cases/:id", signedIn, s.moderation.APICase)
	api.Post("/moderation/cases/:id/appeal", signedIn, s.moderation.APIAppeal)
	api.Get("/events", s.events.APIList)
	api.Post("/events", signedIn, s.events.APICreate)
	api.Get("/events/:id", s.events.APIGet)
	api.Patch("/events/:id", signedIn, s.events.APIEdit)
	api.Post("/events/:id/cancel", signedIn, s.events.APICancelEvent)
	api.Put("/events/:id/minutes", signedIn, s.events.APIMinutes)
	api.Get("/events/:id/registrations", signedIn, s.events.APIRegistrations)
	api.Post("/events/:id/registration", signedIn, s.events.APIRegister)
	api.Delete("/events/:id/registration", signedIn, s.events.APIRegister)
	api.Get("/debates", s.debates.APIList)
	api.Post("/debates", signedIn, s.debates.APICreate)
	api.Get("/debates/:id", s.debates.APIGet)
	api.Get("/debates/:id/archive", s.debates.ArchiveJSON)
	api.Post("/debates/:id/actions", signedIn, s.debates.APIAct)
	api.Get("/debates/:id/questions", s.debates.APIQuestions)
	api.Post("/debates/:id/questions", s.debates.APIAsk)
	api.Get("/debates/:id/questions/queue", signedIn, s.debates.APIQueue)
	api.Post("/debates/:id/questions/:question/vote", s.debates.APIVote)
	api.Delete("/debates/:id/questions/:question/vote", s.debates.APIVote)
	api.Post("/debates/:id/questions/:question/moderation", signedIn, s.debates.APIModerate)
	api.Post("/debates/:id/promises", signedIn, s.promises.APILog)
	api.Get("/promises", s.promises.APIList)
	api.Get("/promises/:id", s.promises.APIGet)
	api.Patch("/promises/:id", signedIn, s.promises.APICorrect)
	api.Post("/promises/:id/updates", signedIn, s.promises.APIUpdate)
	api.Put("/promises/:id/follow", signedIn, s.notifications.APIFollow(promise.Kind))
	api.Delete("/promises/:id/follow", signedIn, s.notifications.APIFollow(promise.Kind))
	api.Get("/promises/:id/comments", s.comments.APIList(promise.Kind))
	api.Post("/promises/:id/comments", signedIn, s.comments.APIPost(promise.Kind))
	api.Get("/consultations", s.consultations.APIList)
	api.Post("/consultations", signedIn, s.consultations.APICreate)
	api.Get("/consultations/:id", s.consultations.APIGet)
	api.Patch("/consultations/:id", signedIn, s.consultations.APIEdit)
	api.Get("/consultations/:id/response", signedIn, s.consultations.APIMine)
	api.Post("/consultations/:id/response", signedIn, s.consultations.APIRespond)
	api.Patch("/consultations/:id/response", signedIn, s.consultations.APIRespond)
	api.Post("/consultations/:id/paper", signedIn, s.consultations.APIPaper)
	api.Get("/consultations/:id/results", s.consultations.APIResults)
	api.Get("/consultations/:id/comments", s.comments.APIList("consultation"))
	api.Post("/consultations/:id/comments", signedIn, s.comments.APIPost("consultation"))
	api.Get("/responses/:id", s.responses.APIGet)
	api.Put("/responses/:id/sections/:section", signedIn, s.responses.APISave)
	api.Get("/responses/:id/revisions", s.responses.APIRevisions)
	api.Post("/responses/:id/comments", signedIn, s.responses.APIComment)
	api.Post("/responses/:id/presence", signedIn, s.responses.APIPresence)
	api.Get("/admin/signatures", signedIn, s.signatures.APIPending)
	api.Post("/admin/signatures/:id/decision", signedIn, s.signatures.APIDecide)
	api.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })

	// Anything else: a translated 404 page.
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// adminHome links the staff's tools.
func (s *Server) adminHome(c *fiber.Ctx) error {
	p := auth.From(c)
	if !p.Staff() {
		return problem.Forbidden()
	}
	return s.render.HTML(c, fiber.StatusOK, "admin/index", render.View{Title: httpx.L(c).T("nav.admin"),
		Section: "nav.admin", Data: p.Has(auth.Admin)})
}

// terms shows the terms of use and the privacy notice people accept when registering.
func (s *Server) terms(c *fiber.Ctx) error {
	l := httpx.L(c)
	if l == nil {
		l = s.i18n.For(i18n.Default)
	}
	return s.render.HTML(c, fiber.StatusOK, "legal/terms", render.View{Title: l.T("legal.title"), Data: account.TermsVersion})
}
