package server

import (
	"github.com/gofiber/fiber/v2"

	"lawka/internal/account"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/render"
)

// navigation is the main menu; each feature adds its entry as it lands.
var navigation = []struct{ Key, Href string }{
	{"nav.home", "/"},
	{"nav.declaration", "/deklaracja"},
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

	// Everything below needs PostgreSQL and Redis to have answered at start, knows who
	// is signed in, and refuses state-changing requests without a CSRF token.
	app.Use(s.gate, httpx.Deadline(s.cfg.RequestTimeout), s.sessions.Middleware(), s.csrf.Middleware())

	// Public pages.
	app.Get("/", s.neighbourhoods.Home)
	app.Get("/dzielnice/:slug", s.neighbourhoods.Show)
	app.Get("/deklaracja", s.coalition.Declaration)
	app.Get("/zasady", s.terms)

	// Signing in and up (public forms).
	app.Get("/logowanie", s.accounts.ShowLogin)
	app.Post("/logowanie", s.accounts.Login)
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

	// Development only: the mail that would have been sent (admins).
	if s.cfg.Dev() {
		app.Get("/dev/mail", signedIn, s.devmail.List)
	}

	// JSON API.
	api := app.Group("/api/v1")
	api.Get("/neighbourhoods", s.neighbourhoods.APIList)
	api.Post("/auth/register", s.accounts.APIRegister)
	api.Post("/auth/login", s.accounts.APILogin)
	api.Post("/auth/logout", signedIn, s.accounts.APILogout)
	api.Get("/me", signedIn, s.accounts.APIMe)
	api.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })

	// Anything else: a translated 404 page.
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// terms shows the terms of use and the privacy notice people accept when registering.
func (s *Server) terms(c *fiber.Ctx) error {
	l := httpx.L(c)
	if l == nil {
		l = s.i18n.For(i18n.Default)
	}
	return s.render.HTML(c, fiber.StatusOK, "legal/terms", render.View{Title: l.T("legal.title"), Data: account.TermsVersion})
}
