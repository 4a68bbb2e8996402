// Package seed fills a database with demo data that makes the platform look alive on
// first start: Kraków's districts, the coalition's Declaration and demo accounts.
// Every feature adds its part here. Everything is plainly demo (@example.org).
package seed

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/account"
	"lawka/internal/coalition"
	"lawka/internal/neighbourhood"
)

// DemoPassword is the password of every demo account (development only).
const DemoPassword = "lawka-demo-2026"

// DemoAccount is a ready-made login, printed by `lawka serve` in development.
type DemoAccount struct {
	Email, Name string
	Roles       []string
	Verified    bool
}

// DemoAccounts are one of each kind of user.
var DemoAccounts = []DemoAccount{
	{"admin@example.org", "Alicja Demo (administratorka)", []string{account.RoleAdmin, account.RoleModerator}, true},
	{"moderator@example.org", "Marek Demo (moderator)", []string{account.RoleModerator}, true},
	{"advocate@example.org", "Ewa Demo (rzeczniczka)", []string{account.RoleAdvocate}, true},
	{"resident@example.org", "Jan Demo (mieszkaniec)", nil, true},
}

// IsEmpty reports whether the database has no data yet (no districts).
func IsEmpty(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	n, err := neighbourhood.NewStore(pool).Count(ctx)
	return n == 0, err
}

// Run adds the demo data. Running it again adds nothing twice.
func Run(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	if err := neighbourhood.NewStore(pool).Seed(ctx); err != nil {
		return fmt.Errorf("seed neighbourhoods: %w", err)
	}
	if err := coalition.NewStore(pool).Seed(ctx); err != nil {
		return fmt.Errorf("seed declaration: %w", err)
	}
	accounts := account.NewService(pool, account.Deps{})
	for _, d := range DemoAccounts {
		exists, err := accounts.Exists(ctx, d.Email)
		if err != nil {
			return err
		}
		if exists {
			continue
		}
		if _, err := accounts.Create(ctx, account.NewUser{
			Email: d.Email, Password: DemoPassword, DisplayName: d.Name, Roles: d.Roles,
			Verified: d.Verified, EmailConfirmed: true, Demo: true,
		}); err != nil {
			return fmt.Errorf("seed account %s: %w", d.Email, err)
		}
	}
	log.Info("demo data seeded", "districts", len(neighbourhood.Districts), "accounts", len(DemoAccounts))
	return nil
}
