// Package secret keeps the server-side keys every instance shares (for CSRF tokens and
// signed cookies). A key is made once, at random, and stored in PostgreSQL, so a new
// deployment needs no extra setting and all instances agree.
package secret

import (
	"context"
	"crypto/rand"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Get returns the named 32-byte key, creating it on first use.
func Get(ctx context.Context, pool *pgxpool.Pool, name string) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, `INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
		name, fresh); err != nil {
		return nil, err
	}
	var key []byte
	err := pool.QueryRow(ctx, `SELECT value FROM app_secrets WHERE name = $1`, name).Scan(&key)
	return key, err
}
