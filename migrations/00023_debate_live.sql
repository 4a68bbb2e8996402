-- +goose Up
-- Live polls in a debate and who may take part. poll_id is the poll "on air": launched
-- from the console, shown on the phones (to vote) and the projector (its result); it
-- stays on air after the close (the final result) until another is launched or the
-- console takes it off. It is part of the state, moved with seq like every console
-- action. eligibility says who may ask and upvote questions, with the poll rules:
-- open (anyone, with or without an account), registered, verified, members.
ALTER TABLE debates
    ADD COLUMN poll_id bigint REFERENCES polls (id) ON DELETE SET NULL,
    ADD COLUMN eligibility text NOT NULL DEFAULT 'open' CHECK (eligibility IN ('open', 'registered', 'verified', 'members'));
CREATE INDEX polls_debate ON polls (debate_id) WHERE debate_id IS NOT NULL;

-- +goose Down
DROP INDEX polls_debate;
ALTER TABLE debates DROP COLUMN poll_id, DROP COLUMN eligibility;
