-- +goose Up
CREATE TABLE half_done (id int PRIMARY KEY);
INSERT INTO no_such_table VALUES (1);
-- +goose Down
DROP TABLE half_done;
