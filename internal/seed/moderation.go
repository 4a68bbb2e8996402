package seed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lawka/internal/account"
	"lawka/internal/comment"
	"lawka/internal/moderation"
	"lawka/internal/neighbourhood"
	"lawka/internal/notify"
	"lawka/internal/platform/auth"
	"lawka/internal/proposal"
	"lawka/internal/server/wire"
)

// The demo spammer: an account that exists only to post one advert.
const (
	demoSpammer     = "szybka.gotowka@example.org"
	demoSpammerName = "Szybka Gotówka 24 (demo)"
)

// demoSpam is the advert in the queue, hidden after three residents reported it.
var demoSpam = struct {
	proposal, body string
	reports        []demoReport
}{
	"Bezpłatne sale dla NGO w domach kultury",
	"Tanie kredyty bez BIK, zadzwoń już dziś: 500 000 000 (demo)! Gotówka w 15 minut, bez zaświadczeń, dla każdego stowarzyszenia.",
	[]demoReport{
		{"resident@example.org", "spam", ""},
		{"anna.mieszkanka@example.org", "spam", "Reklama pożyczek, nie ma nic wspólnego z salami dla NGO."},
		{"marta.sasiadka@example.org", "off_topic", ""},
	},
}

// demoHidden is a decided case: a comment naming a neighbour with his address and
// phone, reported once and hidden by the moderator with a public reason.
var demoHidden = struct {
	proposal, author, body, reason string
	report                         demoReport
}{
	"Zielony skwer zamiast parkingu przy Królewskiej",
	"resident@example.org",
	"Parking blokuje głównie pan Zdzisław K. z Królewskiej 12 m. 4, tel. 600 000 000 (demo). Dzwońcie do niego, może w końcu przestawi auto.",
	"Dane osobowe sąsiada — prosimy o kontakt przez moderację",
	demoReport{"marta.sasiadka@example.org", "personal_data", "Podany adres i telefon sąsiada."},
}

// demoPremoderatedTopic asks for pre-moderation of first-time posters under social
// inclusion: proposals there (help for refugees from Ukraine, say) draw the hostile
// first posts that other topics do not, and one topic keeps the rest of the platform
// as open as before. A topic rather than a district: the risk follows the subject.
const demoPremoderatedTopic = "wlaczanie"

type demoReport struct{ reporter, reason, note string }

// seedModeration gives the moderators' queue and the case pages something to show: an
// open case (an advert hidden after three reports, pending review), a closed one (a
// comment hidden by the moderator with a public reason) and pre-moderation switched on
// for one topic. It goes through the comment and moderation services, as the live
// platform does, so the counts, audit records and authors' notifications agree. Once:
// it does nothing when any case exists.
func seedModeration(ctx context.Context, pool *pgxpool.Pool) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM moderation_cases)`).Scan(&exists); err != nil || exists {
		return err
	}
	comments := comment.NewService(pool, comment.Deps{})
	comments.Register("proposal", seedTarget{})
	notes := notify.NewService(pool, notify.Deps{})
	notes.Register("moderation", wire.ModerationCases{})
	mod := moderation.NewService(pool, moderation.Deps{HideAfter: moderation.DefaultHideAfter, Notifier: wire.ModerationNotifier{Svc: notes}})
	mod.Register("comment", wire.ModeratedComments{Svc: comments, Titles: wire.TitlesOf(proposal.NewService(pool, nil, nil, nil, slog.Default()).Titles, nil)})
	moderator, err := principal(ctx, pool, "moderator@example.org", auth.Moderator)
	if err != nil {
		return err
	}

	// The open case: reports alone hide the advert until a moderator looks at it.
	spammer, err := seedSpammer(ctx, pool)
	if err != nil {
		return err
	}
	spam, err := seedComment(ctx, pool, comments, spammer, demoSpam.proposal, demoSpam.body)
	if err != nil {
		return err
	}
	if err := seedReports(ctx, pool, mod, spam, demoSpam.reports...); err != nil {
		return err
	}
	var hidden bool
	if err := pool.QueryRow(ctx, `SELECT status = 'hidden' FROM comments WHERE id = $1`, spam).Scan(&hidden); err != nil {
		return err
	}
	if !hidden {
		return fmt.Errorf("the demo advert (comment %d) is not hidden after %d reports", spam, len(demoSpam.reports))
	}

	// The closed case: one report, and the moderator hides the comment with a reason.
	author, err := principal(ctx, pool, demoHidden.author)
	if err != nil {
		return err
	}
	named, err := seedComment(ctx, pool, comments, author, demoHidden.proposal, demoHidden.body)
	if err != nil {
		return err
	}
	if err := seedReports(ctx, pool, mod, named, demoHidden.report); err != nil {
		return err
	}
	if _, err := mod.Decide(ctx, moderator, moderation.Decision{Items: []moderation.Ref{{Type: "comment", ID: named}},
		Action: moderation.Hide, Reason: demoHidden.reason}); err != nil {
		return fmt.Errorf("hide comment %d: %w", named, err)
	}

	var topic int64
	if err := pool.QueryRow(ctx, `SELECT id FROM topics WHERE slug = $1`, demoPremoderatedTopic).Scan(&topic); err != nil {
		return fmt.Errorf("topic %s: %w", demoPremoderatedTopic, err)
	}
	admin, err := principal(ctx, pool, "admin@example.org", auth.Admin, auth.Moderator)
	if err != nil {
		return err
	}
	return neighbourhood.NewStore(pool).SetPremoderation(ctx, admin, "topic", topic, true)
}

// seedSpammer finds or makes the demo spammer's account.
func seedSpammer(ctx context.Context, pool *pgxpool.Pool) (auth.Principal, error) {
	p, err := principal(ctx, pool, demoSpammer)
	if !errors.Is(err, pgx.ErrNoRows) {
		return p, err
	}
	u, err := account.NewService(pool, account.Deps{}).Create(ctx, account.NewUser{Email: demoSpammer, Password: DemoPassword,
		DisplayName: demoSpammerName, EmailConfirmed: true, Demo: true})
	if err != nil {
		return auth.Principal{}, fmt.Errorf("seed account %s: %w", demoSpammer, err)
	}
	return auth.Principal{UserID: u.ID, DisplayName: demoSpammerName}, nil
}

// seedComment posts a comment under the demo proposal of that title.
func seedComment(ctx context.Context, pool *pgxpool.Pool, svc *comment.Service, author auth.Principal, title, body string) (int64, error) {
	var id int64
	if err := pool.QueryRow(ctx, `SELECT id FROM proposals WHERE title = $1`, title).Scan(&id); err != nil {
		return 0, fmt.Errorf("proposal %q: %w", title, err)
	}
	c, err := svc.Post(ctx, author, comment.Target{Type: "proposal", ID: id}, comment.New{Body: body, Stance: comment.Neutral})
	if err != nil {
		return 0, fmt.Errorf("comment under %q: %w", title, err)
	}
	return c.ID, nil
}

// seedReports reports the comment, each report by its own demo account.
func seedReports(ctx context.Context, pool *pgxpool.Pool, svc *moderation.Service, id int64, reports ...demoReport) error {
	for _, r := range reports {
		p, err := principal(ctx, pool, r.reporter)
		if err != nil {
			return err
		}
		if _, err := svc.Report(ctx, p, moderation.ReportInput{Item: moderation.Ref{Type: "comment", ID: id},
			Reason: r.reason, Note: r.note}); err != nil {
			return fmt.Errorf("report of comment %d by %s: %w", id, r.reporter, err)
		}
	}
	return nil
}
