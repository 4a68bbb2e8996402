package drafting

// Presence: who has a document open and which section they edit, live. Pages report
// it over HTTP every few seconds (the socket only pushes); Redis keeps it briefly,
// since it means nothing once people leave, and the room "response:{id}" gets the list.

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
	"lawka/internal/platform/realtime"
	"lawka/internal/platform/redisx"
)

// PresenceTTL is how long a report counts: pages report every 20 seconds.
const PresenceTTL = 45 * time.Second

// Present is one person on a document's page.
type Present struct {
	UserID    int64  `json:"user_id"`
	Name      string `json:"name"`
	SectionID int64  `json:"section_id,omitempty"` // the section they edit (0: reading)
	At        int64  `json:"at"`                   // unix seconds of the last report
}

// Presence keeps who is where, in Redis.
type Presence struct {
	rdb *redisx.Client
	Now func() time.Time
}

// NewPresence builds the presence keeper (nil Redis: nobody is shown).
func NewPresence(rdb *redisx.Client) *Presence { return &Presence{rdb: rdb, Now: time.Now} }

func (pr *Presence) key(docID int64) string {
	return pr.rdb.Key("response", "{"+strconv.FormatInt(docID, 10)+"}", "presence")
}

// Report records p on the document (editing sectionID, 0 for reading; leaving removes
// them) and returns everyone present.
func (pr *Presence) Report(ctx context.Context, docID int64, p auth.Principal, sectionID int64, leaving bool) ([]Present, error) {
	k, field := pr.key(docID), strconv.FormatInt(p.UserID, 10)
	if leaving {
		if err := pr.rdb.HDel(ctx, k, field).Err(); err != nil {
			return nil, err
		}
		return pr.List(ctx, docID)
	}
	b, _ := json.Marshal(Present{UserID: p.UserID, Name: p.DisplayName, SectionID: sectionID, At: pr.Now().Unix()})
	pipe := pr.rdb.TxPipeline()
	pipe.HSet(ctx, k, field, b)
	pipe.Expire(ctx, k, 2*PresenceTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	return pr.List(ctx, docID)
}

// List is everyone who reported within PresenceTTL, by name.
func (pr *Presence) List(ctx context.Context, docID int64) ([]Present, error) {
	all, err := pr.rdb.HGetAll(ctx, pr.key(docID)).Result()
	if err != nil {
		return nil, err
	}
	out := []Present{}
	since := pr.Now().Add(-PresenceTTL).Unix()
	for _, v := range all {
		var x Present
		if json.Unmarshal([]byte(v), &x) == nil && x.At >= since {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b Present) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return int(a.UserID - b.UserID)
	})
	return out, nil
}

// presenceBody is what a page reports.
type presenceBody struct {
	SectionID int64 `json:"section_id"`
	Leaving   bool  `json:"leaving"`
}

// APIPresence answers POST /api/v1/responses/{id}/presence with {section_id, leaving}:
// 200 with who is present; the room hears the same list.
func (h *Handlers) APIPresence(c *fiber.Ctx) error {
	docID, _, err := ids(c, "")
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), auth.From(c)
	var in presenceBody
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	// Only those who may edit are shown as present (readers of a public page are not).
	if err := h.svc.CanView(ctx, p, docID); err != nil {
		return err
	}
	if err := requireWriter(ctx, h.svc.pool, p); err != nil {
		return err
	}
	list := []Present{}
	if h.Presence != nil {
		if list, err = h.Presence.Report(ctx, docID, p, in.SectionID, in.Leaving); err != nil {
			return err
		}
		if h.svc.Publisher != nil {
			if err := h.svc.Publisher.Publish(ctx, RoomOf(docID), "response.presence", fiber.Map{"present": list}); err != nil {
				h.svc.Log.Warn("drafting: presence not pushed", "document", docID, "error", err)
			}
		}
	}
	return c.JSON(fiber.Map{"present": list})
}

// Room is the realtime room of a document ("response:7"): section saves, status
// changes and who is present; its editors only.
func Room(svc *Service, pr *Presence) realtime.Numbered {
	return realtime.Numbered{
		Allow: func(ctx context.Context, p auth.Principal, id int64) error {
			if err := svc.CanView(ctx, p, id); err != nil {
				return err
			}
			return requireWriter(ctx, svc.pool, p)
		},
		State: func(ctx context.Context, id int64) (string, any, error) {
			list := []Present{}
			if pr != nil {
				var err error
				if list, err = pr.List(ctx, id); err != nil {
					return "", nil, err
				}
			}
			return "response.presence", fiber.Map{"present": list}, nil
		},
	}
}
