-- +goose Up
-- Two-step sign-in with a time-based one-time password (TOTP, RFC 6238).
ALTER TABLE users
    ADD COLUMN totp_secret          text,
    ADD COLUMN totp_pending_secret  text,
    ADD COLUMN totp_enabled_at      timestamptz,
    -- the last accepted 30-second step, so a code cannot be used twice
    ADD COLUMN totp_last_counter    bigint NOT NULL DEFAULT 0;

-- Single-use recovery codes, stored hashed.
CREATE TABLE recovery_codes (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- A password that was right, waiting for the second step (five minutes, five tries).
CREATE TABLE login_challenges (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE login_challenges;
DROP TABLE recovery_codes;
ALTER TABLE users DROP COLUMN totp_last_counter, DROP COLUMN totp_enabled_at,
    DROP COLUMN totp_pending_secret, DROP COLUMN totp_secret;
