-- +goose Up
-- Live polls. PostgreSQL holds every ballot (one per participant, by a unique
-- constraint); Redis only keeps tallies that can be rebuilt from here.
CREATE TABLE polls (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    question            text NOT NULL CHECK (length(question) BETWEEN 3 AND 300),
    kind                text NOT NULL CHECK (kind IN ('single', 'multiple')),
    max_choices         integer NOT NULL DEFAULT 1 CHECK (max_choices >= 1),
    eligibility         text NOT NULL CHECK (eligibility IN ('open', 'registered', 'verified', 'members')),
    results_visibility  text NOT NULL DEFAULT 'live' CHECK (results_visibility IN ('live', 'after_close')),
    allow_change        boolean NOT NULL DEFAULT true,
    debate_id           bigint,
    status              text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
    closes_at           timestamptz,
    created_by          bigint REFERENCES users (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    opened_at           timestamptz,
    closed_at           timestamptz,
    CHECK (kind = 'multiple' OR max_choices = 1)
);

CREATE TABLE poll_options (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    poll_id   bigint NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position  integer NOT NULL,
    label     text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    UNIQUE (poll_id, position)
);

-- One ballot per participant: "user:<id>" for accounts, "anon:<id>" for the signed
-- participant cookie of open polls. user_id is unlinked on erasure; the ballot stays.
CREATE TABLE ballots (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    poll_id          bigint NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    participant      text NOT NULL,
    user_id          bigint REFERENCES users (id),
    receipt          text NOT NULL UNIQUE,
    idempotency_key  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (poll_id, participant)
);
CREATE UNIQUE INDEX ballots_idempotency ON ballots (poll_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE ballot_choices (
    ballot_id  bigint NOT NULL REFERENCES ballots (id) ON DELETE CASCADE,
    option_id  bigint NOT NULL REFERENCES poll_options (id) ON DELETE CASCADE,
    PRIMARY KEY (ballot_id, option_id)
);
CREATE INDEX ballot_choices_option ON ballot_choices (option_id);

-- Paper ballots counted by a moderator, per option.
CREATE TABLE paper_counts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    poll_id     bigint NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    ballots     integer NOT NULL CHECK (ballots >= 0),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    entered_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE paper_count_options (
    paper_count_id  bigint NOT NULL REFERENCES paper_counts (id) ON DELETE CASCADE,
    option_id       bigint NOT NULL REFERENCES poll_options (id) ON DELETE CASCADE,
    votes           integer NOT NULL CHECK (votes >= 0),
    PRIMARY KEY (paper_count_id, option_id)
);

-- +goose Down
DROP TABLE paper_count_options;
DROP TABLE paper_counts;
DROP TABLE ballot_choices;
DROP TABLE ballots;
DROP TABLE poll_options;
DROP TABLE polls;
