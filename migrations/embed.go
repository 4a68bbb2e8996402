// Package migrations embeds the goose SQL migrations, so the binary carries its schema.
package migrations

import "embed"

// FS holds NNNNN_name.sql files in goose's format.
//
//go:embed *.sql
var FS embed.FS
