// Package server is the one place that knows every feature: it builds the services,
// orders the middleware and mounts the routes (listed in routes.go).
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/account"
	"lawka/internal/auditlog"
	"lawka/internal/coalition"
	"lawka/internal/comment"
	"lawka/internal/consultation"
	"lawka/internal/debate"
	"lawka/internal/devmail"
	"lawka/internal/drafting"
	"lawka/internal/event"
	"lawka/internal/moderation"
	"lawka/internal/neighbourhood"
	"lawka/internal/notify"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/config"
	"lawka/internal/platform/csrf"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/mail"
	"lawka/internal/platform/metrics"
	"lawka/internal/platform/pagecache"
	"lawka/internal/platform/participant"
	"lawka/internal/platform/ratelimit"
	"lawka/internal/platform/realtime"
	"lawka/internal/platform/redisx"
	"lawka/internal/platform/render"
	"lawka/internal/platform/secret"
	"lawka/internal/poll"
	"lawka/internal/promise"
	"lawka/internal/proposal"
	"lawka/internal/server/wire"
	"lawka/web"
)

// PageCacheBytes bounds the page text the page cache holds (a hot proposal page is about
// 350 KB before compression).
const PageCacheBytes = 64 << 20

// Deps are the connections the server runs on.
type Deps struct {
	Pool  *pgxpool.Pool
	Redis *redisx.Client
	Log   *slog.Logger
}

// Server is the HTTP application and its readiness.
type Server struct {
	App     *fiber.App
	cfg     config.Config
	deps    Deps
	ready   atomic.Bool
	metrics *metrics.Registry
	render  *render.Renderer
	i18n    *i18n.Bundle
	assets  *render.Assets
	pages   *pagecache.Cache // public pages as signed-out visitors see them

	csrf     *csrf.Protector
	hub      *realtime.Hub
	sessions *account.Sessions
	limits   *ratelimit.Limiter

	neighbourhoods *neighbourhood.Handlers
	coalition      *coalition.Handlers
	signatures     *coalition.SignatureHandlers
	accounts       *account.Handlers
	auditlog       *auditlog.Handlers
	polls          *poll.Handlers
	proposals      *proposal.Handlers
	comments       *comment.Handlers
	commentPages   *comment.Pages
	commentService *comment.Service
	pollService    *poll.Service
	pollPages      *poll.Pages
	devmail        *devmail.Handlers
	notifyService  *notify.Service
	notifications  *notify.Handlers

	moderationService *moderation.Service
	moderation        *moderation.Handlers

	eventService *event.Service
	events       *event.Handlers

	debateService       *debate.Service
	debates             *debate.Handlers
	consultationService *consultation.Service
	consultations       *consultation.Handlers
	promiseService      *promise.Service
	promises            *promise.Handlers
	draftingService     *drafting.Service
	responses           *drafting.Handlers
}

// BodyLimit is the largest request body (uploads included; JSON routes stay far below).
const BodyLimit = 12 << 20

// New builds the application. It parses every template and locale now, so a broken one
// stops start-up rather than a request.
func New(cfg config.Config, d Deps) (*Server, error) {
	bundle, err := i18n.Load(web.FS, "locales")
	if err != nil {
		return nil, err
	}
	assets, err := render.LoadAssets(web.FS, "static")
	if err != nil {
		return nil, err
	}
	r, err := render.New(web.FS, assets)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, deps: d, render: r, i18n: bundle, assets: assets,
		metrics: metrics.New(d.Pool, d.Redis.Client)}
	r.Decorate = s.decorate
	s.pages = pagecache.New(cfg.PageCacheTTL, PageCacheBytes)
	s.pages.Anonymous = func(c *fiber.Ctx) bool { return !auth.From(c).SignedIn() }
	s.pages.Lang = func(c *fiber.Ctx) string { return httpx.L(c).Lang }
	s.metrics.MustRegister(s.pages.Collector())

	s.App = fiber.New(fiber.Config{
		AppName:      "lawka",
		BodyLimit:    BodyLimit,
		ReadTimeout:  30 * time.Second,
		WriteTimeout: 30 * time.Second,
		IdleTimeout:  120 * time.Second,
		// Request headers up to 4 KB (fasthttp's default; our cookies are a few hundred
		// bytes). fasthttp keeps this buffer for the life of every websocket.
		ReadBufferSize:        4 << 10,
		DisableStartupMessage: true,
		ErrorHandler:          httpx.ErrorHandler(r, d.Log),
		StrictRouting:         false,
		CaseSensitive:         true,
	})

	s.csrf = csrf.New(func(ctx context.Context) ([]byte, error) { return secret.Get(ctx, d.Pool, "csrf") }, cfg.Secure())
	s.limits = ratelimit.New(d.Redis, d.Log)
	s.sessions = account.NewSessions(d.Pool, d.Redis, bundle, cfg.Secure())
	s.hub = realtime.New(d.Redis, d.Log, realtime.Metrics{Connections: s.metrics.Websockets, SlowDrops: s.metrics.SlowDrops}, "poll.tally", "proposal.supports", "notify.unread",
		debate.StateMessage, debate.BoardMessage, debate.QueueMessage)
	s.sessions.Ended = s.hub.EndSessions
	s.sessions.Changed = s.hub.Recheck

	districts := neighbourhood.NewStore(d.Pool)
	s.eventService = event.NewService(d.Pool, event.Deps{Places: eventPlaces{districts}, I18n: bundle,
		PublicURL: cfg.PublicURL.String(), Log: d.Log})
	s.events = event.NewHandlers(s.eventService, r)
	s.debateService = debate.NewService(d.Pool, s.eventService, s.hub, d.Log)
	s.debateService.Places = eventPlaces{districts}
	participants := participant.New(func(ctx context.Context) ([]byte, error) { return secret.Get(ctx, d.Pool, "participant") },
		cfg.Secure())
	s.debates = debate.NewHandlers(s.debateService, r, cfg.PublicURL.String(), participants, s.limits)
	s.events.DebatePage = s.debateService.Page
	// Many phones join a debate at once: they share one read of its state.
	s.hub.RegisterCached("debate", debate.LiveRoom(s.debateService))
	s.hub.RegisterCached(debate.BoardKind, debate.BoardRoom(s.debateService))
	s.hub.RegisterCached(debate.QueueKind, debate.QueueRoom(s.debateService))
	s.promiseService = promise.NewService(d.Pool, s.debateService, s.hub, d.Log)
	s.promises = promise.NewHandlers(s.promiseService, r)
	s.hub.Register(promise.DebateKind, promise.DebateRoom(s.promiseService))
	s.hub.Register(promise.Kind, promise.PromiseRoom(s.promiseService))
	s.debates.Promises = func(c *fiber.Ctx, id int64, back string) (any, error) { return s.promises.Section(c, id, back) }
	s.consultationService = consultation.NewService(d.Pool, consultation.Deps{Places: consultationPlaces{districts}, I18n: bundle,
		PublicURL: cfg.PublicURL.String(), Log: d.Log})
	s.consultations = consultation.NewHandlers(s.consultationService, r)
	s.hub.Register("consultation", consultation.Room{Svc: s.consultationService})
	// The coalition's joint responses to consultations, drafted together.
	s.draftingService = drafting.NewService(d.Pool, wire.ResponseConsultations{Svc: s.consultationService, Pool: d.Pool})
	s.draftingService.Publisher, s.draftingService.Log = s.hub, d.Log
	s.responses = drafting.NewHandlers(s.draftingService, r)
	s.responses.Presence = drafting.NewPresence(d.Redis)
	s.hub.Register("response", drafting.Room(s.draftingService, s.responses.Presence))
	s.consultations.Responses = s.responses.ListFor

	s.coalition = coalition.NewHandlers(coalition.NewStore(d.Pool), r)
	accounts := account.NewService(d.Pool, account.Deps{Sessions: s.sessions, Limits: s.limits, I18n: bundle,
		PublicURL: cfg.PublicURL.String(), Districts: districtOptions{districts},
		Parts: []account.PersonalData{coalition.PersonalData{}, poll.PersonalData{}, comment.PersonalData{}, notify.PersonalData{},
			moderation.PersonalData{}, event.PersonalData{Svc: s.eventService}, debate.PersonalData{}, drafting.PersonalData{},
			promise.PersonalData{}}, RequireStaffTOTP: cfg.RequireStaffTOTP})
	s.accounts = account.NewHandlers(accounts, r, districtOptions{districts})
	s.devmail = devmail.NewHandlers(d.Pool, r)
	s.signatures = coalition.NewSignatureHandlers(
		coalition.NewSignatures(d.Pool, s.sessions, bundle, cfg.PublicURL.String(), s.limits), r, districtOptions{districts})
	s.signatures.Events = signableEvents{s.eventService}
	s.auditlog = auditlog.NewHandlers(auditlog.NewStore(d.Pool), r)
	proposals := proposal.NewService(d.Pool, proposalPlaces{districts}, s.hub, s.limits, d.Log)
	s.hub.Register("proposal", proposal.Room(proposals))
	s.proposals = proposal.NewHandlers(proposals, r, proposalPlaces{districts}, cfg.Origin())
	s.proposals.MapTiles = cfg.MapTiles
	s.notifyService = notify.NewService(d.Pool, notify.Deps{Publisher: s.hub, I18n: bundle, PublicURL: cfg.PublicURL.String(), Log: d.Log,
		Key: func(ctx context.Context) ([]byte, error) { return secret.Get(ctx, d.Pool, "notify-unsubscribe") }})
	s.notifyService.Register("proposal", followableProposals{proposals})
	s.hub.Register("notifications", notify.Room{Svc: s.notifyService})
	s.notifications = notify.NewHandlers(s.notifyService, r)
	proposals.Notifier = proposalNotifier{s.notifyService}
	s.neighbourhoods = neighbourhood.NewHandlers(districts, r, districtProposals{proposals})
	s.neighbourhoods.Events = districtEvents{s.eventService}
	s.neighbourhoods.Consultations = districtConsultations{s.consultationService}
	s.neighbourhoods.Debates = districtDebates{s.debateService}
	s.neighbourhoods.Spots = districtPlaces{proposals, s.eventService}
	s.moderationService = moderation.NewService(d.Pool, moderation.Deps{Limits: s.limits, Log: d.Log, HideAfter: cfg.ReportsToHide,
		Notifier: wire.ModerationNotifier{Svc: s.notifyService}})
	s.notifyService.Register("moderation", wire.ModerationCases{})
	s.notifyService.Register("response_document", wire.ResponseDocuments{Svc: s.draftingService})
	s.draftingService.Notifier = wire.ResponseNotifier{Svc: s.notifyService}
	proposals.Gate = proposalGate{s.moderationService, districts}
	s.commentService = comment.NewService(d.Pool, comment.Deps{Limits: s.limits, Publisher: s.hub, Log: d.Log,
		Notifier: commentNotifier{s.notifyService, map[string]func(context.Context, int64) (string, error){
			"proposal": proposalComments{proposals}.Title, "consultation": consultationComments{s.consultationService}.Title,
			promise.Kind: promiseComments{s.promiseService}.Title}},
		Gate: commentGate{s.moderationService, districts, proposals}})
	s.commentService.Register("proposal", proposalComments{proposals})
	s.commentService.Register("consultation", consultationComments{s.consultationService})
	// Comments notify followers and the replied-to through the notify feature, which must
	// know the target's kind (without it, posting on a consultation was a 404).
	s.notifyService.Register("consultation", consultationComments{s.consultationService})
	s.commentService.Register(promise.Kind, promiseComments{s.promiseService})
	s.notifyService.Register(promise.Kind, promiseComments{s.promiseService})
	s.promiseService.Notifier = promiseNotifier{s.notifyService}
	s.promises.Following = promiseNotifier{s.notifyService}.Following
	s.moderationService.Register("proposal", wire.ModeratedProposals{Svc: proposals})
	commentTitles := wire.TitlesOf(proposals.Titles, s.consultationService.Titles)
	commentTitles[promise.Kind] = s.promiseService.Titles
	s.moderationService.Register("comment", wire.ModeratedComments{Svc: s.commentService, Titles: commentTitles})
	s.moderation = moderation.NewHandlers(s.moderationService, r)
	s.comments = comment.NewHandlers(s.commentService)
	s.commentPages = comment.NewPages(s.commentService, r)
	s.commentPages.Seq = s.hub.Seq
	s.proposals.Comments = func(c *fiber.Ctx, id int64) (any, error) { return s.commentPages.Section(c, "proposal", id) }
	s.consultations.Comments = func(c *fiber.Ctx, id int64) (any, error) { return s.commentPages.Section(c, "consultation", id) }
	s.promises.Comments = func(c *fiber.Ctx, id int64) (any, error) { return s.commentPages.Section(c, promise.Kind, id) }
	polls := poll.NewService(d.Pool, d.Redis, s.hub, d.Log)
	s.pollService = polls
	s.metrics.MustRegister(polls.Collectors()...)
	s.hub.Register("poll", poll.Room{Svc: polls})
	s.hub.Register("pollwatch", poll.WatchRoom{Svc: polls})
	s.polls = poll.NewHandlers(polls, s.limits, func(ctx context.Context) ([]byte, error) { return secret.Get(ctx, d.Pool, "participant") },
		cfg.Secure())
	s.pollPages = poll.NewPages(s.polls, r)
	s.debateService.Polls = polls
	s.debates.SetArchiveSources(debateArchive{pool: d.Pool, polls: polls, promises: s.promiseService})

	s.routes()
	return s, nil
}

// middleware in order: ids and addresses first so every log line has them; metrics and
// the access log see the final status; recover turns a panic into a clean 500.
func (s *Server) middleware() {
	s.App.Use(
		httpx.RequestIDs(),
		httpx.ClientIPs(s.cfg.TrustedProxies),
		s.metrics.Middleware(),
		httpx.AccessLog(s.deps.Log),
		recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
			s.deps.Log.Error("panic", "request_id", httpx.RequestID(c), "panic", e)
		}}),
		httpx.SecurityHeaders(s.cfg.Secure(), CSPReportPath, s.cfg.MapTilesOrigin()),
		compress.New(compress.Config{Level: compress.LevelDefault, Next: func(c *fiber.Ctx) bool { return c.Path() == "/ws" }}),
		httpx.Language(s.i18n, s.cfg.Secure()),
	)
}

// gate answers 503 until PostgreSQL and Redis have both answered at start.
func (s *Server) gate(c *fiber.Ctx) error {
	if !s.ready.Load() {
		c.Set(fiber.HeaderRetryAfter, "2")
		return fiber.ErrServiceUnavailable
	}
	return c.Next()
}

// SetReady opens the gate (after the start-up checks) or closes it (on shutdown).
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// Serve answers on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.App.Listener(ln) }

// Shutdown stops accepting, lets in-flight requests finish (up to the timeout) and
// closes open websockets with a close frame.
func (s *Server) Shutdown(timeout time.Duration) error {
	s.SetReady(false)
	s.hub.Shutdown()
	return s.App.ShutdownWithTimeout(timeout)
}

// Polls is the poll service (tests reconcile its tallies on demand).
func (s *Server) Polls() *poll.Service { return s.pollService }

// Hub is the realtime hub (features publish to it).
func (s *Server) Hub() *realtime.Hub { return s.hub }

// readyz reports whether both PostgreSQL and Redis answer now.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	status := fiber.Map{"postgres": "ok", "redis": "ok"}
	ok := s.ready.Load()
	if !ok {
		status["startup"] = "waiting"
	}
	if err := s.deps.Pool.Ping(ctx); err != nil {
		status["postgres"] = "unavailable"
		ok = false
	}
	if err := s.deps.Redis.Ping(ctx).Err(); err != nil {
		status["redis"] = "unavailable"
		ok = false
	}
	if !ok {
		return c.Status(fiber.StatusServiceUnavailable).JSON(status)
	}
	return c.JSON(status)
}

// decorate fills the parts of every page that come from the request.
func (s *Server) decorate(c *fiber.Ctx, v *render.View) {
	l := httpx.L(c)
	if l == nil {
		l = s.i18n.For(i18n.Default)
	}
	v.L = l
	v.Lang = l.Lang
	v.Path = c.Path()
	v.RequestID = httpx.RequestID(c)
	v.Dev = s.cfg.Dev()
	v.Token = func() string { return s.csrf.Token(c) }
	p := auth.From(c)
	if p.SignedIn() {
		v.User = &render.User{ID: p.UserID, DisplayName: p.DisplayName, Roles: p.Roles, Unread: s.unreadFor(c.UserContext(), p)}
	}
	v.Query = map[string]string{}
	c.Context().QueryArgs().VisitAll(func(k, val []byte) { v.Query[string(k)] = string(val) })
	for _, n := range navigation {
		if n.Roles != nil && !slices.ContainsFunc(n.Roles, p.Has) {
			continue
		}
		v.Nav = append(v.Nav, render.NavItem{Key: n.Key, Href: n.Href, Current: n.Key == v.Section})
	}
	for _, lang := range i18n.Langs {
		v.Langs = append(v.Langs, render.LangLink{Lang: lang, Label: s.i18n.For(lang).T("lang.name"),
			Href: v.Path + "?lang=" + lang, Current: lang == l.Lang})
	}
}

// districtOptions adapts the neighbourhood store to what the account feature asks.
type districtOptions struct{ store *neighbourhood.Store }

func (d districtOptions) Exists(ctx context.Context, id int64) (bool, error) {
	return d.store.Exists(ctx, id)
}

func (d districtOptions) Options(ctx context.Context) ([]account.District, error) {
	list, err := d.store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]account.District, len(list))
	for i, n := range list {
		out[i] = account.District{ID: n.ID, Name: n.Roman() + " " + n.Name}
	}
	return out, nil
}

// Background runs the server's workers (mail delivery) until ctx ends.
func (s *Server) Background(ctx context.Context) error {
	var sender mail.Sender = mail.LogSender{Log: s.deps.Log}
	if s.cfg.SMTPURL != "" {
		smtp, err := mail.NewSMTP(s.cfg.SMTPURL)
		if err != nil {
			return err
		}
		sender = smtp
	}
	w := &mail.Worker{Pool: s.deps.Pool, Sender: sender, Log: s.deps.Log,
		From: "Ławka <no-reply@" + s.cfg.PublicURL.Hostname() + ">"}
	go w.Run(ctx)
	go s.hub.Run(ctx)
	go s.pollService.Run(ctx)
	go s.notifyService.Run(ctx)
	go s.eventService.Run(ctx)
	return nil
}

func (d districtOptions) Districts(ctx context.Context) ([]coalition.District, error) {
	list, err := d.store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]coalition.District, len(list))
	for i, n := range list {
		out[i] = coalition.District{ID: n.ID, Slug: n.Slug, Name: n.Roman() + " " + n.Name}
	}
	return out, nil
}

// proposalPlaces adapts the neighbourhood store to what proposals ask.
type proposalPlaces struct{ store *neighbourhood.Store }

func (p proposalPlaces) Exists(ctx context.Context, id int64) (bool, error) {
	return p.store.Exists(ctx, id)
}

func (p proposalPlaces) TopicsExist(ctx context.Context, ids []int64) (bool, error) {
	return p.store.TopicsExist(ctx, ids)
}

func (p proposalPlaces) DistrictChoices(ctx context.Context) ([]proposal.Choice, error) {
	list, err := p.store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]proposal.Choice, len(list))
	for i, n := range list {
		out[i] = proposal.Choice{ID: n.ID, Name: n.Roman() + " " + n.Name}
	}
	return out, nil
}

func (p proposalPlaces) DistrictBySlug(ctx context.Context, slug string) (proposal.Choice, error) {
	n, err := p.store.BySlug(ctx, slug)
	return proposal.Choice{ID: n.ID, Name: n.Roman() + " " + n.Name}, err
}

func (p proposalPlaces) TopicChoices(ctx context.Context, lang string) ([]proposal.Choice, error) {
	list, err := p.store.Topics(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]proposal.Choice, len(list))
	for i, t := range list {
		out[i] = proposal.Choice{ID: t.ID, Name: t.Name(lang)}
	}
	return out, nil
}

// districtProposals lists a district's proposals for its page.
type districtProposals struct{ svc *proposal.Service }

func (d districtProposals) Latest(ctx context.Context, p auth.Principal, districtID int64, n int) ([]neighbourhood.ProposalLink, error) {
	list, err := d.svc.Latest(ctx, p, districtID, n)
	if err != nil {
		return nil, err
	}
	out := make([]neighbourhood.ProposalLink, len(list))
	for i, pr := range list {
		out[i] = neighbourhood.ProposalLink{ID: pr.ID, Title: pr.Title, Status: pr.Status, Supports: pr.Supports}
		if pr.Location != nil {
			out[i].Place = pr.Location.Short()
		}
	}
	return out, nil
}

// eventPlaces adapts the neighbourhood store to what events ask.
type eventPlaces struct{ store *neighbourhood.Store }

func (p eventPlaces) Exists(ctx context.Context, id int64) (bool, error) {
	return p.store.Exists(ctx, id)
}

func (p eventPlaces) DistrictChoices(ctx context.Context) ([]event.Choice, error) {
	list, err := p.store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]event.Choice, len(list))
	for i, n := range list {
		out[i] = event.Choice{ID: n.ID, Slug: n.Slug, Name: n.Roman() + " " + n.Name}
	}
	return out, nil
}

// districtEvents lists a district's coming events for its page.
type districtEvents struct{ svc *event.Service }

func (d districtEvents) Upcoming(ctx context.Context, p auth.Principal, districtID int64, n int) ([]neighbourhood.EventLink, error) {
	list, err := d.svc.Upcoming(ctx, p, districtID, n)
	if err != nil {
		return nil, err
	}
	out := make([]neighbourhood.EventLink, len(list))
	for i, e := range list {
		out[i] = neighbourhood.EventLink{ID: e.ID, Title: e.Title, Kind: e.Kind, StartsAt: e.StartsAt, Cancelled: e.Status == event.Cancelled}
	}
	return out, nil
}

// signableEvents lets a moderator name the event a paper signature was made at.
type signableEvents struct{ svc *event.Service }

func (e signableEvents) EventChoices(ctx context.Context) ([]coalition.EventChoice, error) {
	list, err := e.svc.Signable(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]coalition.EventChoice, len(list))
	for i, ev := range list {
		out[i] = coalition.EventChoice{ID: ev.ID, Title: ev.Title, StartsAt: ev.StartsAt}
	}
	return out, nil
}

func (e signableEvents) EventExists(ctx context.Context, id int64) (bool, error) {
	return e.svc.Exists(ctx, id)
}

// consultationPlaces adapts the neighbourhood store to what consultations ask.
type consultationPlaces struct{ store *neighbourhood.Store }

func (p consultationPlaces) Exists(ctx context.Context, id int64) (bool, error) {
	return p.store.Exists(ctx, id)
}

func (p consultationPlaces) DistrictChoices(ctx context.Context) ([]consultation.Choice, error) {
	list, err := p.store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]consultation.Choice, len(list))
	for i, n := range list {
		out[i] = consultation.Choice{ID: n.ID, Slug: n.Slug, Name: n.Roman() + " " + n.Name}
	}
	return out, nil
}

// districtConsultations lists a district's consultations for its page.
type districtConsultations struct{ svc *consultation.Service }

func (d districtConsultations) ForDistrict(ctx context.Context, districtID int64, n int) ([]neighbourhood.ConsultationLink, error) {
	list, err := d.svc.List(ctx, districtID, n)
	if err != nil {
		return nil, err
	}
	out := make([]neighbourhood.ConsultationLink, len(list))
	for i, k := range list {
		out[i] = neighbourhood.ConsultationLink{ID: k.ID, Title: k.Title, Phase: k.Phase, ClosesAt: k.ClosesAt}
	}
	return out, nil
}

// districtDebates lists the debates held in a district or about it, for its page.
type districtDebates struct{ svc *debate.Service }

func (d districtDebates) ForDistrict(ctx context.Context, districtID int64, n int) ([]neighbourhood.DebateLink, error) {
	list, err := d.svc.ForDistrict(ctx, districtID, n)
	out := make([]neighbourhood.DebateLink, len(list))
	for i, x := range list {
		out[i] = neighbourhood.DebateLink{ID: x.ID, Title: x.Title, StartsAt: x.StartsAt, Phase: x.Phase}
	}
	return out, err
}

// districtPlaces gathers the places a district's proposals are about and where its
// events are held, one line per place name (the newest first).
type districtPlaces struct {
	proposals *proposal.Service
	events    *event.Service
}

func (d districtPlaces) InDistrict(ctx context.Context, p auth.Principal, districtID int64, n int) ([]neighbourhood.PlaceLink, error) {
	var out []neighbourhood.PlaceLink
	seen := map[string]bool{}
	add := func(l neighbourhood.PlaceLink) {
		key := strings.ToLower(strings.TrimSpace(l.Name))
		if key == "" || seen[key] || len(out) >= n {
			return
		}
		seen[key] = true
		out = append(out, l)
	}
	props, _, err := d.proposals.List(ctx, p, proposal.Filter{NeighbourhoodID: districtID, Limit: 50})
	if err != nil {
		return nil, err
	}
	for _, pr := range props {
		if pr.Location == nil {
			continue
		}
		l := neighbourhood.PlaceLink{Name: pr.Location.Label, Kind: "proposal", About: pr.Title, Href: "/propozycje/" + strconv.FormatInt(pr.ID, 10)}
		if pr.Location.Latitude != nil && pr.Location.Longitude != nil {
			l.Map = fmt.Sprintf("https://www.openstreetmap.org/?mlat=%.5f&mlon=%.5f#map=18/%.5f/%.5f",
				*pr.Location.Latitude, *pr.Location.Longitude, *pr.Location.Latitude, *pr.Location.Longitude)
		}
		add(l)
	}
	for _, when := range event.Whens {
		evs, _, err := d.events.List(ctx, p, event.Filter{NeighbourhoodID: districtID, When: when, Limit: 20})
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			add(neighbourhood.PlaceLink{Name: e.Address, Kind: "event", About: e.Title, Href: "/wydarzenia/" + strconv.FormatInt(e.ID, 10)})
		}
	}
	return out, nil
}
