// Package coalition holds the Koalicja na rzecz sąsiedztw itself: the versioned
// Declaration of cooperation (and, as it grows, signatures, organisations and the
// public list of allies).
package coalition

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/db"
	"lawka/internal/platform/i18n"
	"lawka/internal/platform/markdown"
	"lawka/internal/platform/problem"
)

// Name is the coalition's name as it calls itself.
const Name = "Koalicja na rzecz sąsiedztw"

// Declaration is one version of the Declaration in one language.
type Declaration struct {
	Version     int       `db:"version"`
	PublishedAt time.Time `db:"published_at"`
	Lang        string    `db:"lang"`
	Title       string    `db:"title"`
	Summary     string    `db:"summary"`
	BodyMD      string    `db:"body_md"`
}

// BodyHTML is the text as sanitised HTML.
func (d Declaration) BodyHTML() template.HTML { return markdown.HTML(d.BodyMD) }

// Store is the only code that touches the coalition's tables.
type Store struct{ pool *pgxpool.Pool }

// NewStore wraps pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// CurrentDeclaration is the newest published version in lang (Polish when lang has none).
func (s *Store) CurrentDeclaration(ctx context.Context, lang string) (Declaration, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT v.version, v.published_at, t.lang, t.title, t.summary, t.body_md
		FROM declaration_versions v JOIN declaration_texts t ON t.version_id = v.id
		WHERE v.published_at <= now() AND t.lang IN ($1, 'pl')
		ORDER BY v.version DESC, (t.lang = $1) DESC
		LIMIT 1`, lang)
	if err != nil {
		return Declaration{}, err
	}
	d, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Declaration])
	if errors.Is(err, pgx.ErrNoRows) {
		return d, problem.NotFound()
	}
	return d, err
}

//go:embed declaration
var declarationFS embed.FS

// Seed publishes version 1 of the Declaration (the Polish text verbatim from the
// coalition's material, with English and Ukrainian translations); idempotent.
func (s *Store) Seed(ctx context.Context) error {
	raw, err := declarationFS.ReadFile("declaration/titles.toml")
	if err != nil {
		return err
	}
	var titles map[string]struct{ Title, Summary string }
	if err := toml.Unmarshal(raw, &titles); err != nil {
		return fmt.Errorf("declaration titles: %w", err)
	}
	return db.Tx(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `
			INSERT INTO declaration_versions (version, published_at) VALUES (1, '2024-10-24T11:00:00+02:00')
			ON CONFLICT (version) DO UPDATE SET version = EXCLUDED.version
			RETURNING id`).Scan(&id)
		if err != nil {
			return err
		}
		for _, lang := range i18n.Langs {
			body, err := declarationFS.ReadFile("declaration/v1." + lang + ".md")
			if err != nil {
				return err
			}
			t := titles[lang]
			if _, err := tx.Exec(ctx, `
				INSERT INTO declaration_texts (version_id, lang, title, summary, body_md) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (version_id, lang) DO UPDATE
				SET title = EXCLUDED.title, summary = EXCLUDED.summary, body_md = EXCLUDED.body_md`,
				id, lang, t.Title, t.Summary, string(body)); err != nil {
				return err
			}
		}
		return nil
	})
}
