// Package web embeds the templates, static files and translations into the binary.
package web

import "embed"

// FS holds templates/, static/ and locales/.
//
//go:embed templates static locales
var FS embed.FS
