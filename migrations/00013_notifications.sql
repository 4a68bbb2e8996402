-- +goose Up
-- Follows and notifications. People follow a target (a proposal now; anything with a
-- type and an id later); an event on the target becomes one notification for each
-- follower but its actor, in the transaction of the event itself.
CREATE TABLE follows (
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target_type  text NOT NULL CHECK (target_type ~ '^[a-z][a-z_]{0,29}$'),
    target_id    bigint NOT NULL CHECK (target_id > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, target_type, target_id)
);
-- The fan-out reads a target's followers.
CREATE INDEX follows_target ON follows (target_type, target_id, user_id);

-- data holds what the text needs, as it was when the event happened (the title, the
-- new status, the comment's id); never the text of someone's comment.
CREATE TABLE notifications (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind ~ '^[a-z][a-z_.]{0,39}$'),
    target_type  text NOT NULL CHECK (target_type ~ '^[a-z][a-z_]{0,29}$'),
    target_id    bigint NOT NULL CHECK (target_id > 0),
    actor_id     bigint REFERENCES users (id), -- NULL: nobody in particular, or erased
    data         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
    read_at      timestamptz,
    digested_at  timestamptz, -- when a digest mail carried it (each goes out once)
    created_at   timestamptz NOT NULL DEFAULT now()
);
-- A person's list, newest first, a page at a time; their unread ones (mark all read,
-- the digest).
CREATE INDEX notifications_inbox ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL;
CREATE INDEX notifications_actor ON notifications (actor_id) WHERE actor_id IS NOT NULL;

-- The unread count of each person, kept in the same transaction as the notifications
-- (the header shows it on every page: one primary-key read, not a count). version
-- grows with every change, so live updates can be put in order.
CREATE TABLE notification_counts (
    user_id  bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    unread   integer NOT NULL DEFAULT 0 CHECK (unread >= 0),
    version  bigint NOT NULL DEFAULT 0 CHECK (version >= 0)
);

-- Mail settings: the daily digest (off unless the person turns it on) and the day
-- (Europe/Warsaw) of the last digest round for them, so a day has at most one digest.
CREATE TABLE notification_settings (
    user_id         bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    daily_digest    boolean NOT NULL DEFAULT false,
    digest_sent_on  date,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_settings_digest ON notification_settings (digest_sent_on) WHERE daily_digest;

-- +goose Down
DROP TABLE notification_settings;
DROP TABLE notification_counts;
DROP TABLE notifications;
DROP TABLE follows;
