-- +goose Up
ALTER TABLE users
    ADD COLUMN terms_version        text,
    ADD COLUMN terms_accepted_at    timestamptz,
    ADD COLUMN password_changed_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN deleted_at           timestamptz;

-- Sessions: browser cookies and API bearer tokens. Only a SHA-256 of the token is
-- stored, so a leaked table cannot be used to sign in.
CREATE TABLE sessions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('browser', 'api')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    user_agent    text NOT NULL DEFAULT '',
    ip            text NOT NULL DEFAULT '',
    revoked_at    timestamptz
);
CREATE INDEX sessions_user_active ON sessions (user_id) WHERE revoked_at IS NULL;

-- Single-use links sent by mail (confirm an address, reset a password, change email).
CREATE TABLE email_tokens (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('confirm_email', 'reset_password', 'change_email')),
    new_email   text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);

-- Mail is queued in the same transaction as what caused it and sent by a worker, so a
-- crash between "saved" and "sent" loses no mail.
CREATE TABLE mail_outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_address  text NOT NULL,
    subject     text NOT NULL,
    body_text   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    attempts    integer NOT NULL DEFAULT 0,
    next_try_at timestamptz NOT NULL DEFAULT now(),
    last_error  text
);
CREATE INDEX mail_outbox_pending ON mail_outbox (next_try_at) WHERE sent_at IS NULL;

-- Who did what, when and why: role changes, verifications, signature decisions,
-- paper entries, moderation. Append-only, enforced by a trigger. Holds ids, not
-- personal data, so erasing an account does not require rewriting history.
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    action       text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    target_type  text NOT NULL,
    target_id    bigint,
    reason       text NOT NULL DEFAULT '',
    details      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id);
CREATE INDEX audit_log_actor ON audit_log (actor_id);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL
       AND NEW.id = OLD.id AND NEW.action = OLD.action AND NEW.details = OLD.details THEN
        RETURN NEW; -- ON DELETE SET NULL of an erased account
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Server-side secrets shared by every instance (CSRF and signed-cookie keys), made once.
CREATE TABLE app_secrets (
    name        text PRIMARY KEY,
    value       bytea NOT NULL CHECK (length(value) >= 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE app_secrets;
DROP TRIGGER audit_log_append_only ON audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE audit_log;
DROP TABLE mail_outbox;
DROP TABLE email_tokens;
DROP TABLE sessions;
ALTER TABLE users DROP COLUMN deleted_at, DROP COLUMN password_changed_at,
    DROP COLUMN terms_accepted_at, DROP COLUMN terms_version;
