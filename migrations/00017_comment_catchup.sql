-- +goose Up
-- Every comment of a target in order, replies included: a page that missed live
-- messages asks for the comments after the newest it knows, and reads that newest id
-- when it is rendered (one index lookup).
CREATE INDEX comments_target_all ON comments (target_type, target_id, id);

-- +goose Down
DROP INDEX comments_target_all;
