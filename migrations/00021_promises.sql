-- +goose Up
-- Promises made in a debate, and the public tracker that follows them afterwards. A
-- promise is logged during the debate by its moderators, admins or advocates: who made
-- it (a speaker of that debate, or NULL when the source does not say: the debate as a
-- whole), its text and topic, the agenda item and the moment (milliseconds since the
-- debate started; NULL when unknown). Afterwards advocates, moderators and admins add
-- dated updates (a note, evidence links, perhaps a new status). Every change is written
-- to promise_changes, which is append-only. version moves on with every change of the
-- promise row, so two people changing the status from the same page cannot both win.
CREATE TABLE promises (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    bigint NOT NULL REFERENCES debates (event_id) ON DELETE CASCADE,
    speaker_id  bigint,
    item_id     bigint,
    text        text NOT NULL CHECK (char_length(text) BETWEEN 5 AND 1000),
    topic       text NOT NULL DEFAULT '' CHECK (char_length(topic) <= 200),
    moment_ms   bigint CHECK (moment_ms >= 0),
    status      text NOT NULL DEFAULT 'made'
                CHECK (status IN ('made', 'in_progress', 'partly_kept', 'kept', 'broken', 'abandoned')),
    created_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     bigint NOT NULL DEFAULT 1 CHECK (version > 0),
    demo        boolean NOT NULL DEFAULT false,
    FOREIGN KEY (event_id, speaker_id) REFERENCES debate_speakers (event_id, id),
    FOREIGN KEY (event_id, item_id) REFERENCES debate_items (event_id, id)
);
CREATE INDEX promises_debate ON promises (event_id, id);
CREATE INDEX promises_status ON promises (status, id);
CREATE INDEX promises_created_by ON promises (created_by) WHERE created_by IS NOT NULL;

-- What happened to a promise, on a date: a note (Markdown, sanitised when written),
-- evidence links, and the status it moved to (NULL: no change).
CREATE TABLE promise_updates (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    promise_id   bigint NOT NULL REFERENCES promises (id) ON DELETE CASCADE,
    happened_on  date NOT NULL,
    from_status  text,
    to_status    text CHECK (to_status IN ('made', 'in_progress', 'partly_kept', 'kept', 'broken', 'abandoned')),
    note         text NOT NULL DEFAULT '' CHECK (char_length(note) <= 5000),
    note_html    text NOT NULL DEFAULT '',
    links        text[] NOT NULL DEFAULT '{}' CHECK (cardinality(links) <= 10),
    author_id    bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    demo         boolean NOT NULL DEFAULT false,
    CHECK ((from_status IS NULL) = (to_status IS NULL)),
    CHECK (note <> '' OR to_status IS NOT NULL OR cardinality(links) > 0)
);
CREATE INDEX promise_updates_promise ON promise_updates (promise_id, happened_on, id);
CREATE INDEX promise_updates_author ON promise_updates (author_id) WHERE author_id IS NOT NULL;

-- Every change of a promise: who, when, which field, old → new (created: old is NULL).
CREATE TABLE promise_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    promise_id  bigint NOT NULL REFERENCES promises (id) ON DELETE CASCADE,
    actor_id    bigint REFERENCES users (id) ON DELETE RESTRICT,
    at          timestamptz NOT NULL DEFAULT now(),
    field       text NOT NULL CHECK (field IN ('created', 'status', 'update', 'text', 'topic', 'speaker')),
    old_value   text,
    new_value   text
);
CREATE INDEX promise_changes_promise ON promise_changes (promise_id, id);
CREATE INDEX promise_changes_actor ON promise_changes (actor_id) WHERE actor_id IS NOT NULL;

-- Append-only: the only change allowed is unlinking an erased account. (Deleting a whole
-- debate still cascades: the rows go with their promise.)
-- +goose StatementBegin
CREATE FUNCTION promise_changes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL AND NEW.id = OLD.id AND NEW.promise_id = OLD.promise_id
       AND NEW.at = OLD.at AND NEW.field = OLD.field AND NEW.old_value IS NOT DISTINCT FROM OLD.old_value
       AND NEW.new_value IS NOT DISTINCT FROM OLD.new_value THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'promise_changes is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER promise_changes_append_only BEFORE UPDATE ON promise_changes
    FOR EACH ROW EXECUTE FUNCTION promise_changes_append_only();

-- +goose Down
DROP TABLE promise_changes;
DROP FUNCTION promise_changes_append_only();
DROP TABLE promise_updates;
DROP TABLE promises;
