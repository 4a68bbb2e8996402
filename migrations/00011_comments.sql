-- +goose Up
-- Comments on any "commentable" (proposals now; consultations, drafts and debates later),
-- threaded to five levels (depth 0 to 4). A deleted comment stays as a tombstone so its
-- replies keep their place. body_html is sanitised Markdown, made when the body is written.
CREATE TABLE comments (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target_type    text NOT NULL CHECK (target_type ~ '^[a-z][a-z_]{0,29}$'),
    target_id      bigint NOT NULL CHECK (target_id > 0),
    parent_id      bigint,
    root_id        bigint REFERENCES comments (id),
    depth          smallint NOT NULL DEFAULT 0 CHECK (depth BETWEEN 0 AND 4),
    -- NULL for comments received on paper and after the author's account was erased
    author_id      bigint REFERENCES users (id),
    author_name    text CHECK (length(author_name) BETWEEN 1 AND 120),
    stance         text NOT NULL CHECK (stance IN ('for', 'against', 'neutral')),
    body           text NOT NULL CHECK (char_length(body) <= 5000),
    body_html      text NOT NULL,
    status         text NOT NULL DEFAULT 'visible' CHECK (status IN ('visible', 'deleted', 'hidden')),
    hidden_reason  text CHECK (length(hidden_reason) <= 500),
    channel        text NOT NULL DEFAULT 'online' CHECK (channel IN ('online', 'paper')),
    entered_by     bigint REFERENCES users (id),
    scan_file_id   bigint REFERENCES files (id),
    up             integer NOT NULL DEFAULT 0 CHECK (up >= 0),
    down           integer NOT NULL DEFAULT 0 CHECK (down >= 0),
    score          integer GENERATED ALWAYS AS (up - down) STORED,
    -- for a root: how many replies its thread holds (tombstones included)
    replies        integer NOT NULL DEFAULT 0 CHECK (replies >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    edited_at      timestamptz,
    deleted_at     timestamptz,
    deleted_by     bigint REFERENCES users (id),
    -- a reply belongs to the thread of the same target as its parent
    UNIQUE (id, target_type, target_id),
    FOREIGN KEY (parent_id, target_type, target_id) REFERENCES comments (id, target_type, target_id),
    CHECK ((parent_id IS NULL) = (depth = 0) AND (parent_id IS NULL) = (root_id IS NULL)),
    CHECK (depth <> 1 OR parent_id = root_id),
    -- a visible comment says something; a deleted one keeps no text
    CHECK (status = 'deleted' OR char_length(btrim(body)) >= 1),
    CHECK (status <> 'deleted' OR (body = '' AND body_html = '')),
    CHECK ((status = 'deleted') = (deleted_at IS NOT NULL)),
    CHECK ((status = 'hidden') = (hidden_reason IS NOT NULL)),
    -- paper comments are entered by a moderator, may carry the name written on them and
    -- a scan; online ones have none of that
    CHECK (channel = 'paper' AND entered_by IS NOT NULL
        OR channel = 'online' AND entered_by IS NULL AND scan_file_id IS NULL AND author_name IS NULL)
);
-- One page of roots by each sort (best: score then id; newest/oldest: id), then the
-- replies of those roots in order.
CREATE INDEX comments_roots_best ON comments (target_type, target_id, score, id) WHERE parent_id IS NULL;
CREATE INDEX comments_roots_new ON comments (target_type, target_id, id) WHERE parent_id IS NULL;
CREATE INDEX comments_thread ON comments (root_id, id) WHERE root_id IS NOT NULL;
CREATE INDEX comments_author ON comments (author_id) WHERE author_id IS NOT NULL;

-- Earlier versions of an edited comment: each row is a version as it was until replaced.
CREATE TABLE comment_revisions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    comment_id   bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    body         text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
    body_html    text NOT NULL,
    written_at   timestamptz NOT NULL,
    edited_by    bigint REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comment_revisions_comment ON comment_revisions (comment_id, id);

-- One vote per account and comment; comments.up/down count them in the same transaction.
CREATE TABLE comment_votes (
    comment_id  bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id),
    value       smallint NOT NULL CHECK (value IN (-1, 1)),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (comment_id, user_id)
);
CREATE INDEX comment_votes_user ON comment_votes (user_id);

-- Counts per target, kept in the same transaction as every post and delete, so other
-- features can show and sort by them with a join. Visible comments only; paper ones are
-- counted with the rest (and once more in paper).
CREATE TABLE comment_stats (
    target_type     text NOT NULL,
    target_id       bigint NOT NULL,
    comments        integer NOT NULL DEFAULT 0 CHECK (comments >= 0),
    stance_for      integer NOT NULL DEFAULT 0 CHECK (stance_for >= 0),
    stance_against  integer NOT NULL DEFAULT 0 CHECK (stance_against >= 0),
    stance_neutral  integer NOT NULL DEFAULT 0 CHECK (stance_neutral >= 0),
    paper           integer NOT NULL DEFAULT 0 CHECK (paper >= 0 AND paper <= comments),
    PRIMARY KEY (target_type, target_id),
    CHECK (comments = stance_for + stance_against + stance_neutral)
);
CREATE INDEX comment_stats_most ON comment_stats (target_type, comments);

-- +goose Down
DROP TABLE comment_stats;
DROP TABLE comment_votes;
DROP TABLE comment_revisions;
DROP TABLE comments;
