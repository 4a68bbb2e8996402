-- +goose Up
-- The coalition's events: study visits, the allies' gala, online meetings, meetings of
-- the Civic Dialogue Commission (KDO), debates and others. An event takes place at an
-- address, online, or both; people register (one registration per account and event),
-- beyond the capacity onto a waiting list; minutes and files come afterwards.
CREATE TABLE events (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                    text NOT NULL CHECK (kind IN
                            ('study_visit', 'gala', 'online_meeting', 'kdo_meeting', 'debate', 'meeting', 'other')),
    title                   text NOT NULL CHECK (char_length(title) BETWEEN 3 AND 200),
    description             text NOT NULL DEFAULT '' CHECK (char_length(description) <= 20000),
    description_html        text NOT NULL DEFAULT '',
    starts_at               timestamptz NOT NULL,
    ends_at                 timestamptz NOT NULL,
    address                 text CHECK (char_length(address) BETWEEN 1 AND 300),
    neighbourhood_id        bigint REFERENCES neighbourhoods (id),
    accessibility           text NOT NULL DEFAULT '' CHECK (char_length(accessibility) <= 2000),
    online_url              text CHECK (online_url ~ '^https?://' AND char_length(online_url) <= 500),
    organisers              text NOT NULL DEFAULT '' CHECK (char_length(organisers) <= 300),
    -- NULL: no limit on places
    capacity                integer CHECK (capacity > 0),
    registration            boolean NOT NULL DEFAULT false,
    -- NULL: registration closes when the event starts
    registration_closes_at  timestamptz,
    status                  text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'cancelled')),
    cancel_reason           text CHECK (char_length(cancel_reason) <= 500),
    minutes                 text NOT NULL DEFAULT '' CHECK (char_length(minutes) <= 50000),
    minutes_html            text NOT NULL DEFAULT '',
    -- grows with every change, so calendar programs replace their copy (iCalendar SEQUENCE)
    sequence                integer NOT NULL DEFAULT 0,
    created_by              bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    CHECK (address IS NOT NULL OR online_url IS NOT NULL),
    CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL))
);
CREATE INDEX events_calendar ON events (starts_at, id) WHERE status <> 'draft';
CREATE INDEX events_district ON events (neighbourhood_id, starts_at) WHERE neighbourhood_id IS NOT NULL;

-- The order of the waiting list: taken under the event's row lock, so it is the order in
-- which registrations were decided, not the order their transactions began.
CREATE SEQUENCE event_queue;

CREATE TABLE event_registrations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status       text NOT NULL CHECK (status IN ('registered', 'waiting', 'cancelled')),
    queue_no     bigint NOT NULL DEFAULT nextval('event_queue'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    -- the reminder the day before went out (once)
    reminded_at  timestamptz,
    UNIQUE (event_id, user_id)
);
CREATE INDEX event_registrations_queue ON event_registrations (event_id, status, queue_no);
CREATE INDEX event_registrations_user ON event_registrations (user_id);
CREATE INDEX event_registrations_remind ON event_registrations (event_id) WHERE status = 'registered' AND reminded_at IS NULL;

-- Files attached after the event (photos, presentations, the signed attendance list).
CREATE TABLE event_attachments (
    event_id  bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    file_id   bigint NOT NULL REFERENCES files (id),
    position  integer NOT NULL,
    PRIMARY KEY (event_id, file_id)
);

-- The Declaration can be signed at an event: a moderator records the paper signature
-- and the event it was signed at.
ALTER TABLE signatures ADD COLUMN event_id bigint REFERENCES events (id) ON DELETE SET NULL;
CREATE INDEX signatures_event ON signatures (event_id) WHERE event_id IS NOT NULL;

-- +goose Down
DROP INDEX signatures_event;
ALTER TABLE signatures DROP COLUMN event_id;
DROP TABLE event_attachments;
DROP TABLE event_registrations;
DROP SEQUENCE event_queue;
DROP TABLE events;
