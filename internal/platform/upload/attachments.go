package upload

import (
	"context"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
	"lawka/internal/platform/problem"
)

// Attachment is a file attached to something (a proposal, an event), as pages and the
// API show it.
type Attachment struct {
	ID          int64  `json:"id"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
	URL         string `json:"url"`
}

// Image says whether the attachment is shown as a picture.
func (a Attachment) Image() bool { return a.ContentType != "application/pdf" }

// Attachments is a table that attaches files to their owners in order: Table has the
// columns Owner, file_id and position. A feature declares one and reads and changes its
// files through it.
type Attachments struct {
	Table, Owner string // names from the feature's code, never from a request
	Max          int    // files one owner may carry
	TooMany      string // translation key of the "attachments" field error beyond Max
	// URL is where an attachment is served.
	URL func(owner, file int64) string
}

// List reads an owner's attachments in order.
func (a Attachments) List(ctx context.Context, q db.Querier, owner int64) ([]Attachment, error) {
	rows, err := q.Query(ctx, `SELECT f.id, f.content_type, f.size FROM `+a.Table+` x JOIN files f ON f.id = x.file_id
		WHERE x.`+a.Owner+` = $1 ORDER BY x.position, f.id`, owner)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Attachment, error) {
		var at Attachment
		err := r.Scan(&at.ID, &at.ContentType, &at.Size)
		at.URL = a.URL(owner, at.ID)
		return at, err
	})
}

// Change removes an owner's attachments in remove (their files go too: nothing else
// refers to them) and adds files after the others, keeping to Max, inside tx. The
// caller holds the owner's row lock, so two changes at once keep to Max.
func (a Attachments) Change(ctx context.Context, tx pgx.Tx, owner, by int64, files []File, remove []int64) error {
	if len(remove) > 0 {
		if _, err := tx.Exec(ctx, `WITH gone AS (DELETE FROM `+a.Table+` WHERE `+a.Owner+` = $1 AND file_id = ANY($2)
			RETURNING file_id) DELETE FROM files WHERE id IN (SELECT file_id FROM gone)`, owner, remove); err != nil {
			return err
		}
	}
	if len(files) == 0 {
		return nil
	}
	var have, last int
	if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(max(position), 0) FROM `+a.Table+` WHERE `+a.Owner+` = $1`, owner).
		Scan(&have, &last); err != nil {
		return err
	}
	if have+len(files) > a.Max {
		return problem.Invalid(map[string]string{"attachments": a.TooMany})
	}
	for i, f := range files {
		fileID, err := Store(ctx, tx, f, by)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+a.Table+` (`+a.Owner+`, file_id, position) VALUES ($1, $2, $3)`,
			owner, fileID, last+i+1); err != nil {
			return err
		}
	}
	return nil
}

// Load returns one of an owner's attachments (problem.NotFound when the file is not
// attached to it).
func (a Attachments) Load(ctx context.Context, q db.Querier, owner, file int64) (File, error) {
	return LoadBy(ctx, q, `SELECT file_id FROM `+a.Table+` WHERE `+a.Owner+` = $1 AND file_id = $2`, owner, file)
}
