// Package seed fills a database with demo data that makes the platform look alive on
// first start: Kraków's districts, the coalition's Declaration and demo accounts.
// Every feature adds its part here. Everything is plainly demo (@example.org).
package seed

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/account"
	"lawka/internal/coalition"
	"lawka/internal/neighbourhood"
	"lawka/internal/platform/auth"
	"lawka/internal/poll"
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

// Run adds the reference data (districts, topics, the Declaration) and, unless prod,
// the demo data. Running it again adds nothing twice.
func Run(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	return run(ctx, pool, log, true)
}

// Reference adds only what a real deployment needs: Kraków's districts, the topics
// and the Declaration — never demo accounts with a published password.
func Reference(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	return run(ctx, pool, log, false)
}

func run(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, demo bool) error {
	if err := neighbourhood.NewStore(pool).Seed(ctx); err != nil {
		return fmt.Errorf("seed neighbourhoods: %w", err)
	}
	if err := coalition.NewStore(pool).Seed(ctx); err != nil {
		return fmt.Errorf("seed declaration: %w", err)
	}
	if !demo {
		log.Info("reference data seeded (no demo accounts in prod)")
		return nil
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
	if err := seedAllies(ctx, pool); err != nil {
		return fmt.Errorf("seed allies: %w", err)
	}
	if err := seedPolls(ctx, pool); err != nil {
		return fmt.Errorf("seed polls: %w", err)
	}
	if err := seedProposals(ctx, pool); err != nil {
		return fmt.Errorf("seed proposals: %w", err)
	}
	if err := seedComments(ctx, pool); err != nil {
		return fmt.Errorf("seed comments: %w", err)
	}
	if err := seedNotifications(ctx, pool); err != nil {
		return fmt.Errorf("seed notifications: %w", err)
	}
	if err := seedModeration(ctx, pool); err != nil {
		return fmt.Errorf("seed moderation: %w", err)
	}
	if err := seedEvents(ctx, pool); err != nil {
		return fmt.Errorf("seed events: %w", err)
	}
	if err := seedDebates(ctx, pool); err != nil {
		return fmt.Errorf("seed debates: %w", err)
	}
	if err := seedPromises(ctx, pool); err != nil {
		return fmt.Errorf("seed promises: %w", err)
	}
	if err := seedConsultations(ctx, pool, accounts); err != nil {
		return fmt.Errorf("seed consultations: %w", err)
	}
	if err := seedResponses(ctx, pool); err != nil {
		return fmt.Errorf("seed coalition responses: %w", err)
	}
	if err := seedInvitations(ctx, pool, accounts); err != nil {
		return fmt.Errorf("seed invitation codes: %w", err)
	}
	log.Info("demo data seeded", "districts", len(neighbourhood.Districts), "accounts", len(DemoAccounts))
	return nil
}

// seedInvitations prints a demo batch of invitation codes for the allies' gala.
func seedInvitations(ctx context.Context, pool *pgxpool.Pool, accounts *account.Service) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM invitation_batches)`).Scan(&exists); err != nil || exists {
		return err
	}
	var modID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM users WHERE email = 'moderator@example.org'`).Scan(&modID); err != nil {
		return err
	}
	moderator := auth.Principal{UserID: modID, Roles: []string{auth.Moderator}}
	_, err := accounts.CreateBatch(ctx, moderator, "Gala Sojuszników Sąsiedztw (demo)", 24, 60)
	return err
}

// demoOrganisation is an invented ally, marked as demo.
type demoOrganisation struct {
	email, person, name, kind, role, district string
	confirmed                                 bool
}

var demoOrganisations = []demoOrganisation{
	{"advocate@example.org", "Ewa Przykładowa", "Stowarzyszenie Sąsiedzi z Podgórza (demo)", "ngo", "prezeska zarządu", "podgorze", true},
	{"klub.nowahuta@example.org", "Tomasz Demo", "Klub Sąsiedzki Osiedle Zgody (demo)", "informal_group", "koordynator", "nowa-huta", true},
	{"dk.debniki@example.org", "Barbara Demo", "Dom Kultury Dębniki (demo)", "public_institution", "dyrektorka", "debniki", true},
	{"kawiarnia@example.org", "Piotr Demo", "Kawiarnia Pod Ławką (demo)", "business", "właściciel", "stare-miasto", false},
}

var demoPeople = []struct{ email, name, full string }{
	{"anna.mieszkanka@example.org", "Anna z Krowodrzy (demo)", "Anna Przykładowa"},
	{"marta.sasiadka@example.org", "Marta z Bieńczyc (demo)", "Marta Demo"},
}

// seedAllies signs the Declaration for a few invented organisations and people, and has
// the demo moderator confirm most of them, so the list of allies and the moderation
// queue both show something.
func seedAllies(ctx context.Context, pool *pgxpool.Pool) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM signatures)`).Scan(&exists); err != nil || exists {
		return err
	}
	accounts := account.NewService(pool, account.Deps{})
	sigs := coalition.NewSignatures(pool, nil, nil, "", nil)
	var modID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM users WHERE email = 'moderator@example.org'`).Scan(&modID); err != nil {
		return err
	}
	moderator := auth.Principal{UserID: modID, Roles: []string{auth.Moderator}, Confirmed: true}
	signer := func(email, name string) (auth.Principal, error) {
		var id int64
		err := pool.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, email).Scan(&id)
		if err != nil {
			u, cerr := accounts.Create(ctx, account.NewUser{Email: email, Password: DemoPassword, DisplayName: name,
				EmailConfirmed: true, Demo: true})
			if cerr != nil {
				return auth.Principal{}, cerr
			}
			id = u.ID
		}
		return auth.Principal{UserID: id, Confirmed: true}, nil
	}
	for _, o := range demoOrganisations {
		p, err := signer(o.email, o.person+" (demo)")
		if err != nil {
			return err
		}
		var district int64
		if err := pool.QueryRow(ctx, `SELECT id FROM neighbourhoods WHERE slug = $1`, o.district).Scan(&district); err != nil {
			return err
		}
		sig, err := sigs.SignForOrganisation(ctx, p, coalition.OrganisationSigning{Name: o.name, Kind: o.kind,
			NeighbourhoodID: &district, FullName: o.person, RoleTitle: o.role, Authority: true, ListPublicly: true})
		if err != nil {
			return err
		}
		if _, err := pool.Exec(ctx, `UPDATE organisations SET demo = true WHERE id = $1`, *sig.OrganisationID); err != nil {
			return err
		}
		if o.confirmed {
			if err := sigs.Decide(ctx, moderator, sig.ID, true, ""); err != nil {
				return err
			}
		}
	}
	for _, d := range demoPeople {
		p, err := signer(d.email, d.name)
		if err != nil {
			return err
		}
		sig, err := sigs.SignAsPerson(ctx, p, coalition.PersonSigning{FullName: d.full, Agree: true, ListPublicly: true})
		if err != nil {
			return err
		}
		if err := sigs.Decide(ctx, moderator, sig.ID, true, ""); err != nil {
			return err
		}
	}
	return nil
}

// seedPolls opens a live poll with a few online votes and a paper count, and keeps a
// closed one from the 2024 debate's themes.
func seedPolls(ctx context.Context, pool *pgxpool.Pool) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM polls)`).Scan(&exists); err != nil || exists {
		return err
	}
	var modID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM users WHERE email = 'moderator@example.org'`).Scan(&modID); err != nil {
		return err
	}
	mod := auth.Principal{UserID: modID, Roles: []string{auth.Moderator}}
	polls := poll.NewService(pool, nil, nil, nil)
	live, err := polls.Create(ctx, mod, poll.New{Question: "Gdzie w pierwszej kolejności postawić ławkę dialogu?", Kind: "single",
		Options: []string{"Rynek Podgórski", "Plac Centralny w Nowej Hucie", "Park Jordana", "Przed Urzędem Miasta"}, Eligibility: "open"})
	if err != nil {
		return err
	}
	if _, err := polls.Open(ctx, mod, live.ID); err != nil {
		return err
	}
	rows, err := pool.Query(ctx, `SELECT id FROM users WHERE demo ORDER BY id`)
	if err != nil {
		return err
	}
	voters, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	for i, uid := range voters {
		pt := poll.Participant{Principal: auth.Principal{UserID: uid}}
		if _, _, err := polls.Vote(ctx, pt, live.ID, []int64{live.Options[i%3].ID}, ""); err != nil {
			return err
		}
	}
	counts := map[string]int{}
	for i, o := range live.Options {
		counts[strconv.FormatInt(o.ID, 10)] = []int{7, 4, 2, 1}[i]
	}
	if err := polls.AddPaper(ctx, mod, live.ID, poll.PaperEntry{Counts: counts, Note: "urna na spotkaniu w Klubie Sąsiedzkim (demo)"}); err != nil {
		return err
	}
	closed, err := polls.Create(ctx, mod, poll.New{Question: "Która obietnica z debaty „Kraków obywatelski” jest dla Ciebie najważniejsza?",
		Kind: "multiple", MaxChoices: ptr(2), Eligibility: "registered", Options: []string{
			"Konsultacje przez konto internetowe, z formą tradycyjną", "Pełnomocnik ds. organizacji pozarządowych",
			"Ławka dialogu", "Lokale na spotkania sąsiedzkie", "Uregulowanie opłat za sale dla NGO"}})
	if err != nil {
		return err
	}
	if _, err := polls.Open(ctx, mod, closed.ID); err != nil {
		return err
	}
	for i, uid := range voters {
		pt := poll.Participant{Principal: auth.Principal{UserID: uid}}
		choice := []int64{closed.Options[i%5].ID, closed.Options[(i+3)%5].ID}
		if _, _, err := polls.Vote(ctx, pt, closed.ID, choice, ""); err != nil {
			return err
		}
	}
	_, err = polls.Close(ctx, mod, closed.ID)
	return err
}

func ptr[T any](v T) *T { return &v }
