-- +goose Up
-- A proposal handed in on paper is typed in by a moderator: it has no account behind
-- it, only the name the person wrote on the form (which may be left empty).
ALTER TABLE proposals ADD COLUMN paper_author text CHECK (length(paper_author) <= 120);
ALTER TABLE proposals ADD CONSTRAINT proposals_paper_has_no_account CHECK (channel = 'online' OR author_id IS NULL);

-- +goose Down
ALTER TABLE proposals DROP CONSTRAINT proposals_paper_has_no_account;
ALTER TABLE proposals DROP COLUMN paper_author;
