-- +goose Up
-- The coalition's joint response to a consultation, drafted together by the advocates
-- of member organisations: ordered Markdown sections, each saved only on the version
-- it was based on; every save is a revision (history, diffs, restore); comments
-- anchored to passages; organisations co-sign it in review; once submitted it is frozen.
CREATE TABLE response_documents (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultation_id  bigint NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    title            text NOT NULL CHECK (char_length(title) BETWEEN 3 AND 200),
    status           text NOT NULL DEFAULT 'drafting' CHECK (status IN ('drafting', 'review', 'approved', 'submitted')),
    -- the number of section revisions so far: a document revision is a point in that stream
    revision         integer NOT NULL DEFAULT 0,
    created_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    submitted_by     bigint REFERENCES users (id) ON DELETE SET NULL,
    submitted_at     timestamptz,
    CHECK ((status = 'submitted') = (submitted_at IS NOT NULL))
);
CREATE INDEX response_documents_consultation ON response_documents (consultation_id, id);

CREATE TABLE response_sections (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id  bigint NOT NULL REFERENCES response_documents (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    title        text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    body         text NOT NULL DEFAULT '' CHECK (char_length(body) <= 20000),
    owner_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    -- a save names the version it was based on and is applied only on that version
    version      integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (document_id, position)
);

-- Every version of every section, never rewritten; doc_revision orders them within the
-- document (a restore is a new revision with an old text).
CREATE TABLE response_revisions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id    bigint NOT NULL REFERENCES response_documents (id) ON DELETE CASCADE,
    section_id     bigint NOT NULL REFERENCES response_sections (id) ON DELETE CASCADE,
    version        integer NOT NULL,
    doc_revision   integer NOT NULL,
    title          text NOT NULL,
    body           text NOT NULL,
    author_id      bigint REFERENCES users (id) ON DELETE SET NULL,
    restored_from  integer,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (section_id, version),
    UNIQUE (document_id, doc_revision)
);

-- Comments on a passage of a section, kept like a W3C TextQuoteSelector: the passage,
-- some text before and after it, and where it starts (in characters). After each save
-- they are anchored again by text; a passage that is gone marks them outdated.
CREATE TABLE response_comments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id  bigint NOT NULL REFERENCES response_documents (id) ON DELETE CASCADE,
    section_id   bigint NOT NULL REFERENCES response_sections (id) ON DELETE CASCADE,
    author_id    bigint REFERENCES users (id) ON DELETE SET NULL,
    body         text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2000),
    quote        text NOT NULL CHECK (char_length(quote) BETWEEN 1 AND 1000),
    prefix       text NOT NULL DEFAULT '',
    suffix       text NOT NULL DEFAULT '',
    start_at     integer NOT NULL CHECK (start_at >= 0),
    outdated     boolean NOT NULL DEFAULT false,
    resolved_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    resolved_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX response_comments_section ON response_comments (section_id, id);
CREATE INDEX response_comments_document ON response_comments (document_id, id);

-- Organisations that sign the response, by a representative; a change of the text
-- after signing asks them to confirm again.
CREATE TABLE response_cosignatures (
    document_id      bigint NOT NULL REFERENCES response_documents (id) ON DELETE CASCADE,
    organisation_id  bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    signed_by        bigint REFERENCES users (id) ON DELETE SET NULL,
    signer_name      text NOT NULL,
    status           text NOT NULL DEFAULT 'signed' CHECK (status IN ('signed', 'to_confirm')),
    doc_revision     integer NOT NULL,
    signed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, organisation_id)
);
CREATE INDEX response_cosignatures_organisation ON response_cosignatures (organisation_id);

-- +goose Down
DROP TABLE response_cosignatures;
DROP TABLE response_comments;
DROP TABLE response_revisions;
DROP TABLE response_sections;
DROP TABLE response_documents;
