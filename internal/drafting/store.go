package drafting

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"lawka/internal/platform/db"
	"lawka/internal/platform/markdown"
	"lawka/internal/platform/problem"
)

// person turns a nullable id and name into a Person (nil when the account is gone).
func person(id *int64, name *string) *Person {
	if id == nil {
		return nil
	}
	p := &Person{ID: *id}
	if name != nil {
		p.DisplayName = *name
	}
	return p
}

// isEditor: an advocate acting for an organisation whose signature of the Declaration
// is confirmed (staff are checked by the caller).
func isEditor(ctx context.Context, q db.Querier, userID int64) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organisation_members m
		JOIN signatures s ON s.organisation_id = m.organisation_id AND s.status = 'confirmed'
		WHERE m.user_id = $1)`, userID).Scan(&ok)
	return ok, err
}

// editorsWhere is who may edit, as SQL over users u: staff, and advocates of a member
// organisation (the same rule as editor, for people other than the caller).
const editorsWhere = `u.deleted_at IS NULL AND (
	EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role IN ('moderator', 'admin'))
	OR EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = 'advocate')
		AND EXISTS (SELECT 1 FROM organisation_members m JOIN signatures s ON s.organisation_id = m.organisation_id
			AND s.status = 'confirmed' WHERE m.user_id = u.id))`

// readEditors lists the people who may edit (one of them when id is not 0).
func readEditors(ctx context.Context, q db.Querier, id int64) ([]Person, error) {
	rows, err := q.Query(ctx, `SELECT u.id, u.display_name FROM users u WHERE `+editorsWhere+`
		AND ($1 = 0 OR u.id = $1) ORDER BY u.display_name, u.id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Person])
}

// readDocument reads a document with its sections and co-signatures; lock takes its row
// lock (saves, transitions and signatures of one document run one at a time).
func readDocument(ctx context.Context, q db.Querier, id int64, lock bool) (Document, error) {
	var d Document
	var creator *int64
	var creatorName *string
	sql := `SELECT d.id, d.consultation_id, d.title, d.status, d.revision, d.created_by, u.display_name,
		d.created_at, d.updated_at, d.submitted_at
		FROM response_documents d LEFT JOIN users u ON u.id = d.created_by WHERE d.id = $1`
	if lock {
		sql += ` FOR UPDATE OF d`
	}
	err := q.QueryRow(ctx, sql, id).Scan(&d.ID, &d.ConsultationID, &d.Title, &d.Status, &d.Revision, &creator, &creatorName,
		&d.CreatedAt, &d.UpdatedAt, &d.SubmittedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, problem.NotFound()
	}
	if err != nil {
		return d, err
	}
	d.CreatedBy = person(creator, creatorName)
	if d.Sections, err = readSections(ctx, q, id); err != nil {
		return d, err
	}
	d.Cosignatures, err = readCosignatures(ctx, q, id)
	return d, err
}

func readSections(ctx context.Context, q db.Querier, docID int64) ([]Section, error) {
	rows, err := q.Query(ctx, `SELECT s.id, s.position, s.title, s.body, s.owner_id, o.display_name, s.version,
		s.updated_by, e.display_name, s.updated_at
		FROM response_sections s LEFT JOIN users o ON o.id = s.owner_id LEFT JOIN users e ON e.id = s.updated_by
		WHERE s.document_id = $1 ORDER BY s.position`, docID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Section, error) {
		var s Section
		var owner, editor *int64
		var ownerName, editorName *string
		err := r.Scan(&s.ID, &s.Position, &s.Title, &s.Body, &owner, &ownerName, &s.Version, &editor, &editorName, &s.UpdatedAt)
		s.Owner, s.UpdatedBy = person(owner, ownerName), person(editor, editorName)
		s.BodyHTML = markdown.HTML(s.Body)
		return s, err
	})
}

func readCosignatures(ctx context.Context, q db.Querier, docID int64) ([]Cosignature, error) {
	rows, err := q.Query(ctx, `SELECT c.organisation_id, o.name, c.signer_name, c.status, c.doc_revision, c.signed_at
		FROM response_cosignatures c JOIN organisations o ON o.id = c.organisation_id
		WHERE c.document_id = $1 ORDER BY c.signed_at, o.name`, docID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Cosignature, error) {
		var c Cosignature
		err := r.Scan(&c.OrganisationID, &c.OrganisationName, &c.SignerName, &c.Status, &c.DocRevision, &c.SignedAt)
		return c, err
	})
}

// readRevisions reads a document's revisions, oldest first (of one section when
// sectionID is not 0).
func readRevisions(ctx context.Context, q db.Querier, docID, sectionID int64) ([]Revision, error) {
	rows, err := q.Query(ctx, `SELECT r.id, r.section_id, r.version, r.doc_revision, r.title, r.body, r.author_id, u.display_name,
		r.restored_from, r.created_at
		FROM response_revisions r LEFT JOIN users u ON u.id = r.author_id
		WHERE r.document_id = $1 AND ($2 = 0 OR r.section_id = $2) ORDER BY r.doc_revision`, docID, sectionID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Revision, error) {
		var v Revision
		var author *int64
		var name *string
		err := r.Scan(&v.ID, &v.SectionID, &v.Version, &v.DocRevision, &v.Title, &v.Body, &author, &name, &v.RestoredFrom, &v.CreatedAt)
		v.Author = person(author, name)
		return v, err
	})
}

// readComments reads a document's comments in order of their sections and passages.
func readComments(ctx context.Context, q db.Querier, docID int64) ([]Comment, error) {
	rows, err := q.Query(ctx, `SELECT c.id, c.section_id, c.author_id, u.display_name, c.body, c.quote, c.prefix, c.suffix,
		c.start_at, c.outdated, c.resolved_at, c.created_at
		FROM response_comments c JOIN response_sections s ON s.id = c.section_id LEFT JOIN users u ON u.id = c.author_id
		WHERE c.document_id = $1 ORDER BY s.position, c.outdated, c.start_at, c.id`, docID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Comment, error) {
		var c Comment
		var author *int64
		var name *string
		err := r.Scan(&c.ID, &c.SectionID, &author, &name, &c.Body, &c.Quote, &c.Prefix, &c.Suffix, &c.Start, &c.Outdated,
			&c.ResolvedAt, &c.CreatedAt)
		c.Author = person(author, name)
		return c, err
	})
}

// addRevision records a section's new version as the document's next revision.
func addRevision(ctx context.Context, tx pgx.Tx, docID int64, s Section, authorID int64, restoredFrom *int) (int, error) {
	var rev int
	if err := tx.QueryRow(ctx, `UPDATE response_documents SET revision = revision + 1, updated_at = now() WHERE id = $1
		RETURNING revision`, docID).Scan(&rev); err != nil {
		return 0, err
	}
	_, err := tx.Exec(ctx, `INSERT INTO response_revisions (document_id, section_id, version, doc_revision, title, body, author_id, restored_from)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, docID, s.ID, s.Version, rev, s.Title, s.Body, authorID, restoredFrom)
	return rev, err
}

// reanchorComments finds every open comment of a section again in its new text: moved
// with its passage, or marked outdated (and back when the passage returns).
func reanchorComments(ctx context.Context, tx pgx.Tx, sectionID int64, body string) error {
	rows, err := tx.Query(ctx, `SELECT id, quote, prefix, suffix, start_at FROM response_comments
		WHERE section_id = $1 AND resolved_at IS NULL`, sectionID)
	if err != nil {
		return err
	}
	type open struct {
		id int64
		a  Anchor
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (open, error) {
		var o open
		err := r.Scan(&o.id, &o.a.Quote, &o.a.Prefix, &o.a.Suffix, &o.a.Start)
		return o, err
	})
	if err != nil || len(list) == 0 {
		return err
	}
	batch := &pgx.Batch{}
	for _, o := range list {
		if a, ok := reanchor(body, o.a); ok {
			batch.Queue(`UPDATE response_comments SET prefix = $2, suffix = $3, start_at = $4, outdated = false WHERE id = $1`,
				o.id, a.Prefix, a.Suffix, a.Start)
		} else {
			// The original passage, context and place stay, to be shown as they were.
			batch.Queue(`UPDATE response_comments SET outdated = true WHERE id = $1`, o.id)
		}
	}
	return tx.SendBatch(ctx, batch).Close()
}
