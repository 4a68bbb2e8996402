-- +goose Up
-- Moderation: reports on proposals and comments, one case per reported or held item
-- (the queue), decisions with a public reason, one appeal per author and case, blocked
-- accounts, and pre-moderation of first-time posters per district or topic.

-- A proposal's moderation is apart from its workflow status: a hidden proposal keeps
-- the status it had, and gets it back when restored. "pending" waits for a moderator
-- (pre-moderation); "hidden" says why in hidden_reason ('' while hidden after reports,
-- before a moderator has decided).
ALTER TABLE proposals
    ADD COLUMN moderation     text NOT NULL DEFAULT 'visible' CHECK (moderation IN ('visible', 'pending', 'hidden')),
    ADD COLUMN hidden_reason  text CHECK (length(hidden_reason) <= 500),
    ADD CONSTRAINT proposals_hidden_reason CHECK ((moderation = 'hidden') = (hidden_reason IS NOT NULL));

-- Comments already had "hidden" (with hidden_reason); "pending" waits for pre-moderation.
ALTER TABLE comments DROP CONSTRAINT comments_status_check,
    ADD CONSTRAINT comments_status_check CHECK (status IN ('visible', 'deleted', 'hidden', 'pending'));

ALTER TABLE neighbourhoods ADD COLUMN premoderated boolean NOT NULL DEFAULT false;
ALTER TABLE topics ADD COLUMN premoderated boolean NOT NULL DEFAULT false;

-- A blocked account reads, signs in, exports and erases its data, but writes nothing.
ALTER TABLE users
    ADD COLUMN blocked_at      timestamptz,
    ADD COLUMN blocked_reason  text CHECK (length(blocked_reason) <= 500),
    ADD COLUMN blocked_by      bigint REFERENCES users (id),
    ADD CONSTRAINT users_blocked CHECK ((blocked_at IS NULL) = (blocked_reason IS NULL));

-- One case per item that moderators have looked at or must look at. "open" cases are
-- the queue; why says what opened it last.
CREATE TABLE moderation_cases (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_type      text NOT NULL CHECK (item_type IN ('proposal', 'comment')),
    item_id        bigint NOT NULL CHECK (item_id > 0),
    author_id      bigint REFERENCES users (id) ON DELETE SET NULL,
    open           boolean NOT NULL DEFAULT true,
    why            text NOT NULL CHECK (why IN ('reports', 'premoderation', 'appeal', 'moderator')),
    auto_hidden    boolean NOT NULL DEFAULT false,
    opened_at      timestamptz NOT NULL DEFAULT now(),
    -- the last decision
    decision       text CHECK (decision IN ('hidden', 'restored')),
    public_reason  text CHECK (length(public_reason) <= 500),
    decided_by     bigint REFERENCES users (id) ON DELETE SET NULL,
    decided_at     timestamptz,
    -- the author's one appeal
    appeal         text CHECK (char_length(appeal) BETWEEN 1 AND 2000),
    appealed_at    timestamptz,
    appeal_outcome text CHECK (appeal_outcome IN ('granted', 'refused')),
    UNIQUE (item_type, item_id),
    CHECK ((appeal IS NULL) = (appealed_at IS NULL)),
    CHECK (appeal_outcome IS NULL OR appeal IS NOT NULL)
);
CREATE INDEX moderation_cases_queue ON moderation_cases (opened_at, id) WHERE open;
CREATE INDEX moderation_cases_author ON moderation_cases (author_id);

-- One report per account and item; reviewed_at is set when a moderator decides, so only
-- reports since the last decision count towards hiding the item again.
CREATE TABLE reports (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id      bigint NOT NULL REFERENCES moderation_cases (id) ON DELETE CASCADE,
    reporter_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason       text NOT NULL CHECK (reason IN ('spam', 'abuse', 'hate', 'personal_data', 'off_topic', 'illegal', 'other')),
    note         text NOT NULL DEFAULT '' CHECK (char_length(note) <= 1000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    reviewed_at  timestamptz,
    UNIQUE (case_id, reporter_id)
);
CREATE INDEX reports_reporter ON reports (reporter_id);
CREATE INDEX reports_unreviewed ON reports (case_id) WHERE reviewed_at IS NULL;

-- +goose Down
DROP TABLE reports;
DROP TABLE moderation_cases;
ALTER TABLE users DROP CONSTRAINT users_blocked, DROP COLUMN blocked_by, DROP COLUMN blocked_reason, DROP COLUMN blocked_at;
ALTER TABLE topics DROP COLUMN premoderated;
ALTER TABLE neighbourhoods DROP COLUMN premoderated;
ALTER TABLE comments DROP CONSTRAINT comments_status_check,
    ADD CONSTRAINT comments_status_check CHECK (status IN ('visible', 'deleted', 'hidden'));
ALTER TABLE proposals DROP CONSTRAINT proposals_hidden_reason, DROP COLUMN hidden_reason, DROP COLUMN moderation;
