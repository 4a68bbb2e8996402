package server

import (
	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/httpx"
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

	// Everything below needs PostgreSQL and Redis to have answered at start.
	app.Use(s.gate, httpx.Deadline(s.cfg.RequestTimeout))

	// Public pages.
	app.Get("/", s.neighbourhoods.Home)
	app.Get("/dzielnice/:slug", s.neighbourhoods.Show)
	app.Get("/deklaracja", s.coalition.Declaration)

	// Public JSON API.
	api := app.Group("/api/v1")
	api.Get("/neighbourhoods", s.neighbourhoods.APIList)
	api.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })

	// Anything else: a translated 404 page.
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}
