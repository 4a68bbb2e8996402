-- +goose Up
-- Residents' proposals for their district. Every edit keeps a revision; every status
-- change after publication carries an official answer; supports are one per account.
CREATE TABLE proposals (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    neighbourhood_id  bigint NOT NULL REFERENCES neighbourhoods (id),
    author_id         bigint REFERENCES users (id), -- NULL once the author's account is erased
    title             text NOT NULL CHECK (length(title) BETWEEN 5 AND 150),
    body              text NOT NULL CHECK (length(body) BETWEEN 20 AND 20000),
    body_html         text NOT NULL,
    status            text NOT NULL DEFAULT 'published' CHECK (status IN
                      ('draft', 'published', 'under_review', 'accepted', 'rejected', 'implemented', 'withdrawn')),
    location_label    text CHECK (length(location_label) <= 200),
    latitude          double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude         double precision CHECK (longitude BETWEEN -180 AND 180),
    channel           text NOT NULL DEFAULT 'online' CHECK (channel IN ('online', 'paper')),
    entered_by        bigint REFERENCES users (id), -- the moderator who typed in a paper proposal
    scan_file_id      bigint REFERENCES files (id),
    supports          integer NOT NULL DEFAULT 0 CHECK (supports >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    published_at      timestamptz,
    CHECK ((latitude IS NULL) = (longitude IS NULL)),
    CHECK (channel = 'online' OR entered_by IS NOT NULL)
);
CREATE INDEX proposals_list ON proposals (neighbourhood_id, status, id DESC);
CREATE INDEX proposals_newest ON proposals (id DESC) WHERE status <> 'draft';
CREATE INDEX proposals_author ON proposals (author_id);

CREATE TABLE proposal_topics (
    proposal_id  bigint NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    topic_id     bigint NOT NULL REFERENCES topics (id),
    PRIMARY KEY (proposal_id, topic_id)
);

-- The text as it was after each save (the first row is the original).
CREATE TABLE proposal_revisions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    proposal_id  bigint NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    title        text NOT NULL,
    body         text NOT NULL,
    edited_by    bigint REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proposal_revisions_proposal ON proposal_revisions (proposal_id, id);

-- Status changes, each with the official answer given with it.
CREATE TABLE proposal_status_changes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    proposal_id  bigint NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    from_status  text NOT NULL,
    to_status    text NOT NULL,
    answer       text NOT NULL DEFAULT '' CHECK (length(answer) <= 5000),
    answer_html  text NOT NULL DEFAULT '',
    decided_by   bigint REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proposal_status_changes_proposal ON proposal_status_changes (proposal_id, id);

CREATE TABLE proposal_supports (
    proposal_id  bigint NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (proposal_id, user_id)
);
CREATE INDEX proposal_supports_user ON proposal_supports (user_id);

-- Images and PDFs attached to a proposal (content checked on upload).
CREATE TABLE proposal_attachments (
    proposal_id  bigint NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    file_id      bigint NOT NULL REFERENCES files (id),
    position     integer NOT NULL,
    PRIMARY KEY (proposal_id, file_id)
);

-- +goose Down
DROP TABLE proposal_attachments;
DROP TABLE proposal_supports;
DROP TABLE proposal_status_changes;
DROP TABLE proposal_revisions;
DROP TABLE proposal_topics;
DROP TABLE proposals;
