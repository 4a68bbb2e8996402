package poll

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/csvx"
	"lawka/internal/platform/problem"
)

// After the close, anyone can check the count: the list of every online ballot as the
// SHA-256 of its receipt with the options it chose, sorted, and one SHA-256 over that
// list. A voter finds their own line by hashing their receipt; nobody can tell whose
// line is whose, because only the voter knows the receipt.

// ReceiptLine is one ballot in the published list.
type ReceiptLine struct {
	ReceiptHash string  `json:"receipt_hash"`
	OptionIDs   []int64 `json:"option_ids"`
}

// ReceiptList is what is published after the close.
type ReceiptList struct {
	PollID  int64         `json:"poll_id"`
	Digest  string        `json:"digest"`
	Entries []ReceiptLine `json:"entries"`
}

// HashReceipt is the published form of a receipt.
func HashReceipt(receipt string) string {
	h := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(receipt))))
	return hex.EncodeToString(h[:])
}

// line is how an entry enters the digest: "<receipt hash>:<option id>,<option id>\n".
func (l ReceiptLine) line() string {
	ids := make([]string, len(l.OptionIDs))
	for i, id := range l.OptionIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	return l.ReceiptHash + ":" + strings.Join(ids, ",") + "\n"
}

// Receipts publishes the receipt list of a closed poll.
func (s *Service) Receipts(ctx context.Context, p auth.Principal, id int64) (ReceiptList, error) {
	poll, err := s.Get(ctx, id)
	if err != nil {
		return ReceiptList{}, err
	}
	if poll.Status != "closed" {
		if poll.Status == "draft" && !p.Staff() {
			return ReceiptList{}, problem.NotFound()
		}
		return ReceiptList{}, problem.Conflict("poll_not_closed", "polls.receipts_after_close")
	}
	// A closed poll's list never changes: it is made once per instance.
	if list, ok := s.receipts.Load(id); ok {
		return list.(ReceiptList), nil
	}
	rows, err := s.pool.Query(ctx, `SELECT b.receipt, array(SELECT c.option_id FROM ballot_choices c WHERE c.ballot_id = b.id ORDER BY c.option_id)
		FROM ballots b WHERE b.poll_id = $1`, id)
	if err != nil {
		return ReceiptList{}, err
	}
	lines, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReceiptLine, error) {
		var receipt string
		var l ReceiptLine
		err := r.Scan(&receipt, &l.OptionIDs)
		l.ReceiptHash = HashReceipt(receipt)
		return l, err
	})
	if err != nil {
		return ReceiptList{}, err
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].ReceiptHash < lines[j].ReceiptHash })
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l.line()))
	}
	list := ReceiptList{PollID: id, Digest: hex.EncodeToString(h.Sum(nil)), Entries: lines}
	s.receipts.Store(id, list)
	return list, nil
}

// APIReceipts answers GET /api/v1/polls/{id}/receipts.
func (h *Handlers) APIReceipts(c *fiber.Ctx) error {
	id, err := pollID(c)
	if err != nil {
		return err
	}
	list, err := h.svc.Receipts(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	return c.JSON(list)
}

// ResultsCSV answers GET /ankiety/{id}/wyniki.csv: one row per option.
func (h *Handlers) ResultsCSV(c *fiber.Ctx) error {
	id, err := pollID(c)
	if err != nil {
		return err
	}
	r, err := h.svc.Results(c.UserContext(), auth.From(c), id)
	if err != nil {
		return err
	}
	var b strings.Builder
	w := csvx.NewWriter(&b)
	_ = w.Write("option_id", "label", "online", "paper", "votes")
	for _, o := range r.Options {
		_ = w.Write(strconv.FormatInt(o.ID, 10), o.Label, strconv.Itoa(o.Online), strconv.Itoa(o.Paper), strconv.Itoa(o.Votes))
	}
	_ = w.Write("", "ballots", strconv.Itoa(r.ByChannel["online"]), strconv.Itoa(r.ByChannel["paper"]), strconv.Itoa(r.Total))
	_ = w.Flush()
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="ankieta-%d-wyniki.csv"`, id))
	return c.Status(http.StatusOK).SendString(b.String())
}
