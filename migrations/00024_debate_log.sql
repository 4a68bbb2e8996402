-- +goose Up
-- Every version of a debate's live state, as it was written: the archive after the
-- debate reads from it when each agenda item was current, who spoke when, and at which
-- moment which question went on screen (answered). One row per seq, in the same
-- transaction as the state, so the log never disagrees with what the consoles saw.
CREATE TABLE debate_log (
    event_id               bigint NOT NULL REFERENCES debates (event_id) ON DELETE CASCADE,
    seq                    bigint NOT NULL,
    at                     timestamptz NOT NULL,
    phase                  text NOT NULL,
    item_id                bigint,
    speaker_id             bigint,
    speaker_running        boolean NOT NULL,
    on_screen_question_id  bigint,
    PRIMARY KEY (event_id, seq)
);

-- +goose Down
DROP TABLE debate_log;
