-- +goose Up
-- A representative invites colleagues, who become the organisation's advocates.
CREATE TABLE organisation_invites (
    token_hash       bytea PRIMARY KEY,
    organisation_id  bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    invited_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    email            text NOT NULL CHECK (email = lower(email)),
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz,
    used_by          bigint REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX organisation_invites_org ON organisation_invites (organisation_id);

-- +goose Down
DROP TABLE organisation_invites;
