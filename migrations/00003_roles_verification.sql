-- +goose Up
-- How a resident was verified (one person, one vote): in person by a moderator, or by
-- a single-use invitation code handed out at an event.
ALTER TABLE users
    ADD COLUMN verified_by      bigint REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN verified_method  text CHECK (verified_method IN ('in_person', 'code', 'admin')),
    ADD COLUMN verified_note    text NOT NULL DEFAULT '';

CREATE TABLE invitation_batches (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    created_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

-- Codes are short-lived, single-use and printed on paper, so they are kept readable
-- for reprinting; redeeming one is throttled.
CREATE TABLE invitation_codes (
    code         text PRIMARY KEY CHECK (code ~ '^[A-Z2-9]{10}$'),
    batch_id     bigint NOT NULL REFERENCES invitation_batches (id) ON DELETE CASCADE,
    redeemed_by  bigint UNIQUE REFERENCES users (id) ON DELETE SET NULL,
    redeemed_at  timestamptz
);
CREATE INDEX invitation_codes_batch ON invitation_codes (batch_id);

-- +goose Down
DROP TABLE invitation_codes;
DROP TABLE invitation_batches;
ALTER TABLE users DROP COLUMN verified_note, DROP COLUMN verified_method, DROP COLUMN verified_by;
