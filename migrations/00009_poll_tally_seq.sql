-- +goose Up
-- Each committed change to a poll's counts (a batch of votes, a paper entry) takes the
-- next number of its poll's sequence in the same transaction. Redis applies a batch's
-- deltas only in this order and only once, so its tally is exact even when the Redis
-- client retries a command, and a rebuild knows which batches a PostgreSQL count holds.
ALTER TABLE polls ADD COLUMN tally_seq bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE polls DROP COLUMN tally_seq;
