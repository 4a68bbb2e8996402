package proposal

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/neighbourhood"
	"lawka/internal/platform/auth"
	"lawka/internal/platform/db/dbtest"
)

type places struct{ store *neighbourhood.Store }

func (p places) Exists(ctx context.Context, id int64) (bool, error) { return p.store.Exists(ctx, id) }
func (p places) TopicsExist(ctx context.Context, ids []int64) (bool, error) {
	return p.store.TopicsExist(ctx, ids)
}
func (places) DistrictChoices(context.Context) ([]Choice, error)      { return nil, nil }
func (places) DistrictBySlug(context.Context, string) (Choice, error) { return Choice{}, nil }
func (places) TopicChoices(context.Context, string) ([]Choice, error) { return nil, nil }

// people makes n accounts and returns them as signed-in principals.
func people(t *testing.T, pool *pgxpool.Pool, n int) []auth.Principal {
	t.Helper()
	rows, err := pool.Query(context.Background(), `INSERT INTO users (email, password_hash, display_name, email_confirmed_at)
		SELECT 'osoba' || i || '@example.org', 'x', 'Osoba ' || i, now() FROM generate_series(1, $1) i RETURNING id`, n)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]auth.Principal, len(ids))
	for i, id := range ids {
		out[i] = auth.Principal{UserID: id, Confirmed: true}
	}
	return out
}

// TestSupportsAreExactUnderConcurrentToggling: many people support and take back their
// support at the same time, some several times over; the count is the number of people
// whose last action was "support".
func TestSupportsAreExactUnderConcurrentToggling(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.New(t)
	store := neighbourhood.NewStore(pool)
	if err := store.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	svc := NewService(pool, places{store}, nil, nil, nil)
	ps := people(t, pool, 120)
	districts, err := store.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := svc.Create(ctx, ps[0], Input{Title: "Ławka dialogu przy bibliotece", Body: "Prosimy o ławkę dialogu przy bibliotece na osiedlu.",
		NeighbourhoodID: districts[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, len(ps))
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// Everyone supports twice (a double click); every third person then takes it
			// back twice.
			steps := []bool{true, true}
			if i%3 == 0 {
				steps = append(steps, false, false)
			}
			for _, on := range steps {
				if _, _, err := svc.Support(ctx, p, pr.ID, on); err != nil {
					errs <- fmt.Errorf("person %d: %w", i, err)
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := len(ps) - (len(ps)+2)/3
	var counter, rows int
	if err := pool.QueryRow(ctx, `SELECT supports, (SELECT count(*) FROM proposal_supports WHERE proposal_id = $1)::int
		FROM proposals WHERE id = $1`, pr.ID).Scan(&counter, &rows); err != nil {
		t.Fatal(err)
	}
	if counter != want || rows != want {
		t.Fatalf("supports: counter %d, rows %d, want %d", counter, rows, want)
	}
}
