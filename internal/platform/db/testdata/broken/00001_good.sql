-- +goose Up
CREATE TABLE good_one (id int PRIMARY KEY);
-- +goose Down
DROP TABLE good_one;
