package drafting

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
)

// PersonalData exports and erases what a person wrote in response documents and the
// co-signatures they gave for their organisations.
type PersonalData struct{}

// Name is the key in the export.
func (PersonalData) Name() string { return "coalition_responses" }

// Export lists the person's section versions, comments and co-signatures.
func (PersonalData) Export(ctx context.Context, q db.Querier, userID int64) (any, error) {
	type version struct {
		DocumentID int64     `json:"document_id"`
		SectionID  int64     `json:"section_id"`
		Version    int       `json:"version"`
		Title      string    `json:"title"`
		Body       string    `json:"body"`
		At         time.Time `json:"at"`
	}
	rows, err := q.Query(ctx, `SELECT document_id, section_id, version, title, body, created_at FROM response_revisions
		WHERE author_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	versions, err := pgx.CollectRows(rows, pgx.RowToStructByPos[version])
	if err != nil {
		return nil, err
	}
	type comment struct {
		DocumentID int64     `json:"document_id"`
		SectionID  int64     `json:"section_id"`
		Quote      string    `json:"quote"`
		Body       string    `json:"body"`
		At         time.Time `json:"at"`
	}
	rows, err = q.Query(ctx, `SELECT document_id, section_id, quote, body, created_at FROM response_comments
		WHERE author_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	comments, err := pgx.CollectRows(rows, pgx.RowToStructByPos[comment])
	if err != nil {
		return nil, err
	}
	type cosignature struct {
		DocumentID     int64     `json:"document_id"`
		OrganisationID int64     `json:"organisation_id"`
		Name           string    `json:"signer_name"`
		At             time.Time `json:"at"`
	}
	rows, err = q.Query(ctx, `SELECT document_id, organisation_id, signer_name, signed_at FROM response_cosignatures
		WHERE signed_by = $1 ORDER BY signed_at`, userID)
	if err != nil {
		return nil, err
	}
	signed, err := pgx.CollectRows(rows, pgx.RowToStructByPos[cosignature])
	return map[string]any{"section_versions": versions, "comments": comments, "cosignatures": signed}, err
}

// Erase unlinks the person from the documents: the texts and comments stay (the
// coalition's work), shown without a name; a co-signature stays the organisation's,
// without the signer's name.
func (PersonalData) Erase(ctx context.Context, tx pgx.Tx, userID int64) error {
	for _, q := range []string{
		`UPDATE response_revisions SET author_id = NULL WHERE author_id = $1`,
		`UPDATE response_comments SET author_id = NULL WHERE author_id = $1`,
		`UPDATE response_comments SET resolved_by = NULL WHERE resolved_by = $1`,
		`UPDATE response_sections SET owner_id = NULL WHERE owner_id = $1`,
		`UPDATE response_sections SET updated_by = NULL WHERE updated_by = $1`,
		`UPDATE response_documents SET created_by = NULL WHERE created_by = $1`,
		`UPDATE response_documents SET submitted_by = NULL WHERE submitted_by = $1`,
		`UPDATE response_cosignatures SET signed_by = NULL, signer_name = '' WHERE signed_by = $1`,
	} {
		if _, err := tx.Exec(ctx, q, userID); err != nil {
			return err
		}
	}
	return nil
}
