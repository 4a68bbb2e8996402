-- +goose Up
-- Public consultations: a city department or the coalition asks residents questions.
-- A consultation goes through its phases by its dates: information (until opens_at),
-- open for responses (until closes_at), analysis (until report_at), report published.
CREATE TABLE consultations (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title             text NOT NULL CHECK (char_length(title) BETWEEN 3 AND 200),
    organiser_kind    text NOT NULL CHECK (organiser_kind IN ('city', 'coalition')),
    organiser         text NOT NULL CHECK (char_length(organiser) BETWEEN 2 AND 200),
    description       text NOT NULL DEFAULT '' CHECK (char_length(description) <= 20000),
    description_html  text NOT NULL DEFAULT '',
    eligibility       text NOT NULL CHECK (eligibility IN ('registered', 'verified', 'members')),
    status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    opens_at          timestamptz NOT NULL,
    closes_at         timestamptz NOT NULL,
    report_at         timestamptz NOT NULL,
    created_by        bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (closes_at > opens_at),
    CHECK (report_at >= closes_at)
);
CREATE INDEX consultations_list ON consultations (closes_at DESC, id DESC) WHERE status = 'published';

CREATE TABLE consultation_districts (
    consultation_id   bigint NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    neighbourhood_id  bigint NOT NULL REFERENCES neighbourhoods (id),
    PRIMARY KEY (consultation_id, neighbourhood_id)
);
CREATE INDEX consultation_districts_district ON consultation_districts (neighbourhood_id);

-- The documents put up for consultation.
CREATE TABLE consultation_attachments (
    consultation_id  bigint NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    file_id          bigint NOT NULL REFERENCES files (id),
    position         integer NOT NULL,
    PRIMARY KEY (consultation_id, file_id)
);

-- Questions in order. Options are numbered from 1 by their place in the array; the
-- questions of a consultation change only while nobody has answered.
CREATE TABLE consultation_questions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultation_id  bigint NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    position         integer NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('single', 'multiple', 'scale', 'ranking', 'text')),
    prompt           text NOT NULL CHECK (char_length(prompt) BETWEEN 3 AND 500),
    hint             text NOT NULL DEFAULT '' CHECK (char_length(hint) <= 500),
    required         boolean NOT NULL DEFAULT false,
    options          text[] NOT NULL DEFAULT '{}',
    -- free text: the longest answer, in characters
    max_length       integer CHECK (max_length BETWEEN 10 AND 10000),
    UNIQUE (consultation_id, position),
    CHECK ((kind IN ('single', 'multiple', 'ranking')) = (cardinality(options) >= 2)),
    CHECK ((kind = 'text') = (max_length IS NOT NULL))
);

-- One response per participant: online responses belong to an account (a draft until
-- submitted, editable until the close); paper responses are typed in by a moderator
-- and checked by another.
CREATE TABLE consultation_responses (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultation_id   bigint NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    user_id           bigint REFERENCES users (id) ON DELETE SET NULL,
    channel           text NOT NULL CHECK (channel IN ('online', 'paper')),
    status            text NOT NULL CHECK (status IN ('draft', 'submitted')),
    receipt           text UNIQUE,
    -- where the participant lives (online: their home district when they submitted)
    neighbourhood_id  bigint REFERENCES neighbourhoods (id),
    entered_by        bigint REFERENCES users (id) ON DELETE SET NULL,
    scan_file_id      bigint REFERENCES files (id),
    paper_note        text NOT NULL DEFAULT '' CHECK (char_length(paper_note) <= 500),
    checked_by        bigint REFERENCES users (id) ON DELETE SET NULL,
    checked_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    submitted_at      timestamptz,
    UNIQUE (consultation_id, user_id),
    CHECK ((status = 'submitted') = (submitted_at IS NOT NULL AND receipt IS NOT NULL)),
    CHECK (channel = 'online' OR (status = 'submitted' AND user_id IS NULL)),
    CHECK (checked_by IS NULL OR checked_by <> entered_by),
    CHECK ((checked_by IS NULL) = (checked_at IS NULL))
);
CREATE INDEX consultation_responses_counted ON consultation_responses (consultation_id, submitted_at) WHERE status = 'submitted';
CREATE INDEX consultation_responses_user ON consultation_responses (user_id);

-- One answer per question of a response: chosen options (single, multiple) or the
-- options in ranked order (ranking), a scale value, or a text.
CREATE TABLE consultation_answers (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    response_id    bigint NOT NULL REFERENCES consultation_responses (id) ON DELETE CASCADE,
    question_id    bigint NOT NULL REFERENCES consultation_questions (id) ON DELETE CASCADE,
    choices        smallint[],
    scale          smallint CHECK (scale BETWEEN 1 AND 5),
    body           text CHECK (char_length(body) <= 10000),
    -- moderation of free text: hidden from the public results, kept for the record
    hidden_at      timestamptz,
    hidden_by      bigint REFERENCES users (id) ON DELETE SET NULL,
    hidden_reason  text CHECK (char_length(hidden_reason) <= 500),
    UNIQUE (response_id, question_id),
    CHECK (num_nonnulls(choices, scale, body) = 1)
);
CREATE INDEX consultation_answers_question ON consultation_answers (question_id);

-- +goose Down
DROP TABLE consultation_answers;
DROP TABLE consultation_responses;
DROP TABLE consultation_questions;
DROP TABLE consultation_attachments;
DROP TABLE consultation_districts;
DROP TABLE consultations;
