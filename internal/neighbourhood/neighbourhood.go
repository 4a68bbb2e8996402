// Package neighbourhood holds Kraków's districts (dzielnice) and the topics that
// proposals, consultations and debates are filed under.
package neighbourhood

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/problem"
)

// Neighbourhood is one district.
type Neighbourhood struct {
	ID     int64  `json:"id" db:"id"`
	Number int    `json:"number" db:"number"`
	Slug   string `json:"slug" db:"slug"`
	Name   string `json:"name" db:"name"`
	// Premoderated: first-time posters' proposals and comments here wait for a moderator.
	Premoderated bool `json:"-" db:"premoderated"`
}

// Roman is the district's number as Kraków writes it ("XIII").
func (n Neighbourhood) Roman() string { return roman(n.Number) }

// Topic is a theme such as meeting places or green spaces.
type Topic struct {
	ID       int64             `db:"id"`
	Slug     string            `db:"slug"`
	Names    map[string]string `db:"names"`
	Position int               `db:"position"`
	// Premoderated: first-time posters' proposals under this topic wait for a moderator.
	Premoderated bool `db:"premoderated"`
}

// Name is the topic's name in lang, falling back to Polish.
func (t Topic) Name(lang string) string {
	if s := t.Names[lang]; s != "" {
		return s
	}
	return t.Names["pl"]
}

// Store is the only code that touches the neighbourhoods and topics tables.
type Store struct{ pool *pgxpool.Pool }

// NewStore wraps pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// List returns every district in Kraków's order.
func (s *Store) List(ctx context.Context) ([]Neighbourhood, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, number, slug, name, premoderated FROM neighbourhoods ORDER BY number`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Neighbourhood])
}

// BySlug finds a district; problem.NotFound when there is none.
func (s *Store) BySlug(ctx context.Context, slug string) (Neighbourhood, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, number, slug, name, premoderated FROM neighbourhoods WHERE slug = $1`, slug)
	if err != nil {
		return Neighbourhood{}, err
	}
	n, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Neighbourhood])
	if errors.Is(err, pgx.ErrNoRows) {
		return n, problem.NotFound()
	}
	return n, err
}

// Topics returns every topic in display order.
func (s *Store) Topics(ctx context.Context) ([]Topic, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, slug, names, position, premoderated FROM topics ORDER BY position, id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Topic])
}

// Count is how many districts exist (the seed uses it to tell an empty database).
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM neighbourhoods`).Scan(&n)
	return n, err
}

// EnsureDistrict adds a district by number, unless it is there (admins may have renamed it).
func (s *Store) EnsureDistrict(ctx context.Context, number int, slug, name string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO neighbourhoods (number, slug, name) VALUES ($1, $2, $3)
		ON CONFLICT (number) DO NOTHING`, number, slug, name)
	return err
}

// EnsureTopic adds a topic by slug, unless it is there (admins may have renamed it).
func (s *Store) EnsureTopic(ctx context.Context, slug string, names map[string]string, position int) error {
	raw, err := json.Marshal(names)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO topics (slug, names, position) VALUES ($1, $2, $3)
		ON CONFLICT (slug) DO NOTHING`, slug, raw, position)
	return err
}

func roman(n int) string {
	vals := []int{10, 9, 5, 4, 1}
	syms := []string{"X", "IX", "V", "IV", "I"}
	out := ""
	for i, v := range vals {
		for n >= v {
			out += syms[i]
			n -= v
		}
	}
	return out
}

// Exists reports whether a district with id exists.
func (s *Store) Exists(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM neighbourhoods WHERE id = $1)`, id).Scan(&ok)
	return ok, err
}

// TopicsExist reports whether every one of ids is a topic.
func (s *Store) TopicsExist(ctx context.Context, ids []int64) (bool, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM topics WHERE id = ANY($1)`, ids).Scan(&n)
	return n == len(ids), err
}
