package seed

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/platform/markdown"
)

// KrakowPromises are the five promises recorded at "Kraków obywatelski" (27.04.2024),
// as the source material words them (without its bold marks), each with the index of
// the debate theme it belongs to. The material does not say who made which, nor when
// in the debate: they are attributed to the debate as a whole, with no moment.
var KrakowPromises = []struct {
	Text  string
	Theme int
}{
	{"zmiana systemu konsultacji społecznych - każdy mieszkaniec z dostępem do internetowego konta, w którym będzie mógł " +
		"konsultować każdy projekt; pozostaną też konsultacje w tradycyjnej formie", 0},
	{"organizacje pozarządowe - szereg udogodnień dla ngo, by poprawić partnerskie relacje (mentalna zmiana podejścia do " +
		"relacji z ngo, powołanie pełnomocnika do spraw ngo, w KDO przedstawiciel prezydenta)", 1},
	{"postawienie \"ławki dialogu\" jako symbolu zmian w Krakowie w obszarze partycypacji", 0},
	{"Większa uważność na zapewnienie lokali pod takie działania [miejsca spotkań sąsiedzkich], czy to w ramach SIM czy " +
		"audytu pustostanów, czy też dbałości na te kwestię przy sprzedaży różnych nieruchomości przez miasto", 2},
	{"[W kontekście pobierania opłat za wydarzenia sąsiedzkie, ngo w domach kultury] Kwestie pobierania odpłatności za " +
		"wynajem sal organizacjom pozarządowym należy uregulować z uwzględnieniem potrzeb organizacji pozarządowych", 1},
}

// demoPromiseNote is the one demo update, on the "ławka dialogu" promise: plainly marked
// demo, and it leaves the status as it was.
const demoPromiseNote = "_Przykładowa aktualizacja (demo)._ Rzecznicy koalicji zapytali Urząd Miasta Krakowa, " +
	"kiedy stanie ławka dialogu. Czekamy na odpowiedź."

// seedPromises records the five promises of "Kraków obywatelski" (status made, nobody
// in particular, moment unknown) and one demo update.
func seedPromises(ctx context.Context, pool *pgxpool.Pool) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM promises)`).Scan(&exists); err != nil || exists {
		return err
	}
	var debateID int64
	err := pool.QueryRow(ctx, `SELECT d.event_id FROM debates d JOIN events e ON e.id = d.event_id
		WHERE e.title LIKE 'Kraków obywatelski%' ORDER BY d.event_id LIMIT 1`).Scan(&debateID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for i, p := range KrakowPromises {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO promises (event_id, text, topic) VALUES ($1, $2, $3) RETURNING id`,
				debateID, p.Text, KrakowDebateThemes[p.Theme]).Scan(&id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO promise_changes (promise_id, field, new_value) VALUES ($1, 'created', $2)`,
				id, p.Text); err != nil {
				return err
			}
			if i != 2 {
				continue
			}
			link := "https://example.org/demo/lawka-dialogu"
			if _, err := tx.Exec(ctx, `WITH a AS (SELECT id FROM users WHERE email = 'advocate@example.org'),
				u AS (INSERT INTO promise_updates (promise_id, happened_on, note, note_html, links, author_id, demo)
					SELECT $1, current_date, $2, $3, ARRAY[$4], a.id, true FROM a RETURNING author_id)
				INSERT INTO promise_changes (promise_id, actor_id, field, new_value)
				SELECT $1, author_id, 'update', to_char(current_date, 'YYYY-MM-DD') || ': ' || $5 FROM u`,
				id, demoPromiseNote, string(markdown.HTML(demoPromiseNote)), link,
				"Przykładowa aktualizacja (demo)."); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE promises SET version = version + 1 WHERE id = $1`, id); err != nil {
				return err
			}
		}
		return nil
	})
}
