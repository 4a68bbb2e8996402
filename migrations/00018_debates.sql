-- +goose Up
-- Live debates. A debate is an event of kind 'debate' (its title, time, place, stream
-- link and description stay in events) with what a debate adds: a short join code,
-- districts, speakers, agenda items, the moderators who run its console, and its live
-- state. The state is one row per debate with a version (seq) that grows by one with
-- every console action; an action names the version it was based on and is applied
-- under the row's lock, so a stale one is refused. Later slices hang audience
-- questions, live polls (polls.debate_id) and promises off the same debate row.
CREATE TABLE debates (
    event_id            bigint PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    -- typed by the audience at /d/KOD: no 0/O, 1/I/L
    code                text NOT NULL UNIQUE CHECK (code ~ '^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$'),
    phase               text NOT NULL DEFAULT 'scheduled' CHECK (phase IN ('scheduled', 'live', 'paused', 'ended')),
    seq                 bigint NOT NULL DEFAULT 0 CHECK (seq >= 0),
    current_item_id     bigint,
    current_speaker_id  bigint,
    -- the current agenda item's clock runs while the debate is live (NULL: stopped)
    item_since          timestamptz,
    -- the current speaker's timer: time of this turn before the last start, and since when it runs
    turn_ms             bigint NOT NULL DEFAULT 0 CHECK (turn_ms >= 0),
    speaker_since       timestamptz,
    announcement        text NOT NULL DEFAULT '' CHECK (char_length(announcement) <= 500),
    started_at          timestamptz,
    ended_at            timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (speaker_since IS NULL OR current_speaker_id IS NOT NULL),
    CHECK (item_since IS NULL OR (current_item_id IS NOT NULL AND phase = 'live')),
    CHECK (phase <> 'ended' OR (item_since IS NULL AND speaker_since IS NULL))
);

CREATE TABLE debate_districts (
    event_id          bigint NOT NULL REFERENCES debates (event_id) ON DELETE CASCADE,
    neighbourhood_id  bigint NOT NULL REFERENCES neighbourhoods (id),
    PRIMARY KEY (event_id, neighbourhood_id)
);
CREATE INDEX debate_districts_district ON debate_districts (neighbourhood_id);

CREATE TABLE debate_items (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         bigint NOT NULL REFERENCES debates (event_id) ON DELETE CASCADE,
    position         integer NOT NULL CHECK (position > 0),
    topic            text NOT NULL CHECK (char_length(topic) BETWEEN 2 AND 300),
    planned_minutes  integer NOT NULL CHECK (planned_minutes BETWEEN 1 AND 600),
    -- time the item was current while the debate was live (closed spans)
    used_ms          bigint NOT NULL DEFAULT 0 CHECK (used_ms >= 0),
    UNIQUE (event_id, position),
    UNIQUE (event_id, id)
);

CREATE TABLE debate_speakers (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       bigint NOT NULL REFERENCES debates (event_id) ON DELETE CASCADE,
    position       integer NOT NULL CHECK (position > 0),
    name           text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 200),
    role           text NOT NULL DEFAULT '' CHECK (char_length(role) <= 200),
    photo_file_id  bigint REFERENCES files (id),
    -- time on the speaker's timer (closed turns)
    used_ms        bigint NOT NULL DEFAULT 0 CHECK (used_ms >= 0),
    UNIQUE (event_id, position),
    UNIQUE (event_id, id)
);

-- The current item and speaker belong to the same debate.
ALTER TABLE debates ADD FOREIGN KEY (event_id, current_item_id) REFERENCES debate_items (event_id, id);
ALTER TABLE debates ADD FOREIGN KEY (event_id, current_speaker_id) REFERENCES debate_speakers (event_id, id);

-- Who runs the console: accounts that held the moderator or admin role when assigned.
CREATE TABLE debate_moderators (
    event_id  bigint NOT NULL REFERENCES debates (event_id) ON DELETE CASCADE,
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX debate_moderators_user ON debate_moderators (user_id);

-- +goose Down
DROP TABLE debate_moderators;
ALTER TABLE debates DROP COLUMN current_item_id, DROP COLUMN current_speaker_id;
DROP TABLE debate_speakers;
DROP TABLE debate_items;
DROP TABLE debate_districts;
DROP TABLE debates;
