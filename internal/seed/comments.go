package seed

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/comment"
	"lawka/internal/platform/auth"
)

// demoComment is one comment of a demo discussion; replies are indented by parent
// (an index into the same discussion, -1 for a new thread). A paper comment has no
// author account: paperName is what was written on it.
type demoComment struct {
	parent    int
	author    string // email, "" for paper
	paperName string
	stance    string
	body      string
	likedBy   []string // emails that found it helpful
}

// demoDiscussions are realistic conversations under the demo proposals, by title.
var demoDiscussions = map[string][]demoComment{
	"Ławka dialogu na Rynku Podgórskim": {
		{-1, "marta.sasiadka@example.org", "", comment.For,
			"Świetny pomysł. Dobrze byłoby, żeby raz na kwartał spotkanie odbywało się **wieczorem** — nie każdy może w sobotę przed południem.",
			[]string{"anna.mieszkanka@example.org", "advocate@example.org"}},
		{0, "resident@example.org", "", comment.Neutral,
			"Dzięki! Dopiszę do propozycji wariant: co trzecie spotkanie w czwartek o 18:00.", nil},
		{1, "anna.mieszkanka@example.org", "", comment.For,
			"Czwartek pasuje. Można by też publikować krótką notatkę dla osób, które nie dadzą rady przyjść.",
			[]string{"resident@example.org"}},
		{-1, "anna.mieszkanka@example.org", "", comment.Against,
			"Rynek Podgórski zimą nie zachęca do siedzenia na ławce. Może od listopada do marca spotkania w bibliotece przy Limanowskiego, a latem na zewnątrz?",
			[]string{"marta.sasiadka@example.org"}},
		{3, "advocate@example.org", "", comment.Neutral,
			"Rozmawialiśmy z kierowniczką filii — sala w sobotę rano jest wolna. Ławka mogłaby „wędrować” sezonowo.", nil},
		{-1, "", "Halina K.", comment.For,
			"Jestem za. Proszę, żeby na spotkania przychodził też ktoś z Zarządu Zieleni Miejskiej, bo mamy sprawę drzew przy Kalwaryjskiej.", nil},
	},
	"Zielony skwer zamiast parkingu przy Królewskiej": {
		{-1, "resident@example.org", "", comment.Against,
			"Z tych miejsc korzystają dostawcy sklepu na rogu. Może skwer tylko na części parkingu?", []string{"advocate@example.org"}},
		{0, "anna.mieszkanka@example.org", "", comment.For,
			"Dobry kompromis: dwa miejsca na dostawy, reszta na zieleń. Dopiszę to do propozycji.",
			[]string{"resident@example.org", "marta.sasiadka@example.org"}},
		{-1, "marta.sasiadka@example.org", "", comment.For,
			"Popieram. Latem ten róg to patelnia — poidełko koniecznie!", []string{"anna.mieszkanka@example.org"}},
	},
	"Bezpłatne sale dla NGO w domach kultury": {
		{-1, "marta.sasiadka@example.org", "", comment.For,
			"Nasze stowarzyszenie płaci 120 zł za godzinę sali na spotkanie otwarte dla sąsiadów. To się nie spina.",
			[]string{"resident@example.org"}},
		{-1, "resident@example.org", "", comment.Neutral,
			"Kto sprawdzi, czy spotkanie jest naprawdę otwarte? Może wystarczy, że jest ogłoszone publicznie na Ławce?", nil},
		{1, "advocate@example.org", "", comment.For,
			"Tak to widzimy: wydarzenie ogłoszone z co najmniej tygodniowym wyprzedzeniem i wstęp wolny. Dopiszemy ten warunek.",
			[]string{"resident@example.org", "marta.sasiadka@example.org"}},
	},
}

// seedTarget lets the seed comment on proposals without a web request.
type seedTarget struct{}

func (seedTarget) CanRead(context.Context, auth.Principal, int64) error    { return nil }
func (seedTarget) CanComment(context.Context, auth.Principal, int64) error { return nil }
func (seedTarget) Room(int64) string                                       { return "" }
func (seedTarget) Path(id int64) string                                    { return "/propozycje/" + strconv.FormatInt(id, 10) }
func (seedTarget) Title(context.Context, int64) (string, error)            { return "", nil }

// seedComments writes the demo discussions under the demo proposals (once), with votes
// and one comment received on paper, through the comment service so every count agrees.
func seedComments(ctx context.Context, pool *pgxpool.Pool) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM comments)`).Scan(&exists); err != nil || exists {
		return err
	}
	svc := comment.NewService(pool, comment.Deps{})
	svc.Register("proposal", seedTarget{})
	mod, err := principal(ctx, pool, "moderator@example.org", auth.Moderator)
	if err != nil {
		return err
	}
	for title, discussion := range demoDiscussions {
		var id int64
		if err := pool.QueryRow(ctx, `SELECT id FROM proposals WHERE title = $1`, title).Scan(&id); err != nil {
			return fmt.Errorf("proposal %q: %w", title, err)
		}
		target := comment.Target{Type: "proposal", ID: id}
		ids := make([]int64, len(discussion))
		for i, d := range discussion {
			var parent *int64
			if d.parent >= 0 {
				parent = &ids[d.parent]
			}
			var c *comment.Comment
			if d.author == "" {
				c, err = svc.PostPaper(ctx, mod, target, comment.PaperNew{Body: d.body, Stance: d.stance, ParentID: parent, AuthorName: d.paperName})
			} else {
				var author auth.Principal
				if author, err = principal(ctx, pool, d.author); err == nil {
					c, err = svc.Post(ctx, author, target, comment.New{Body: d.body, Stance: d.stance, ParentID: parent})
				}
			}
			if err != nil {
				return fmt.Errorf("comment %d under %q: %w", i, title, err)
			}
			ids[i] = c.ID
			for _, email := range d.likedBy {
				voter, err := principal(ctx, pool, email)
				if err != nil {
					return err
				}
				if _, err := svc.Vote(ctx, voter, c.ID, 1); err != nil {
					return fmt.Errorf("vote on comment %d under %q: %w", i, title, err)
				}
			}
		}
	}
	return nil
}
