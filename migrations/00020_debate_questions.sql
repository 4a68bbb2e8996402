-- +goose Up
-- Audience questions in a live debate. Anyone who may see the debate asks (an account,
-- or a browser's signed participant cookie: participant is 'user:<id>' or 'anon:<id>');
-- a question asked anonymously hides its author from the public, never from the
-- moderators (participant and user_id stay). Questions wait for a moderator unless the
-- debate is post-moderated. Every change of the questions takes the debate row's lock
-- and moves questions_seq on by one: the version of the question lists the audience
-- and consoles follow live. The question on the projector is part of the debate's
-- state (on_screen_question_id, moved with seq like every console action).
ALTER TABLE debates
    ADD COLUMN post_moderation boolean NOT NULL DEFAULT false,
    ADD COLUMN questions_seq bigint NOT NULL DEFAULT 0 CHECK (questions_seq >= 0),
    ADD COLUMN on_screen_question_id bigint;

CREATE TABLE debate_questions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       bigint NOT NULL REFERENCES debates (event_id) ON DELETE CASCADE,
    participant    text NOT NULL CHECK (participant ~ '^(user|anon|erased):'),
    user_id        bigint REFERENCES users (id) ON DELETE SET NULL,
    anonymous      boolean NOT NULL DEFAULT false,
    body           text NOT NULL CHECK (char_length(body) BETWEEN 10 AND 300),
    -- the text as asked, kept when a moderator corrects it (NULL: never edited)
    original       text,
    status         text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'merged')),
    reject_reason  text NOT NULL DEFAULT '' CHECK (char_length(reject_reason) <= 300),
    merged_into    bigint,
    starred        boolean NOT NULL DEFAULT false,
    demo           boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    decided_at     timestamptz,
    decided_by     bigint REFERENCES users (id) ON DELETE SET NULL,
    UNIQUE (event_id, id),
    FOREIGN KEY (event_id, merged_into) REFERENCES debate_questions (event_id, id),
    CHECK ((status = 'merged') = (merged_into IS NOT NULL)),
    CHECK (merged_into IS DISTINCT FROM id),
    CHECK (status <> 'rejected' OR reject_reason <> '')
);
CREATE INDEX debate_questions_debate ON debate_questions (event_id, status, created_at);
CREATE INDEX debate_questions_user ON debate_questions (user_id) WHERE user_id IS NOT NULL;

-- One upvote per participant and question.
CREATE TABLE debate_question_votes (
    question_id  bigint NOT NULL REFERENCES debate_questions (id) ON DELETE CASCADE,
    participant  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (question_id, participant)
);

ALTER TABLE debates ADD FOREIGN KEY (event_id, on_screen_question_id) REFERENCES debate_questions (event_id, id);

-- +goose Down
ALTER TABLE debates DROP COLUMN on_screen_question_id;
DROP TABLE debate_question_votes;
DROP TABLE debate_questions;
ALTER TABLE debates DROP COLUMN post_moderation, DROP COLUMN questions_seq;
