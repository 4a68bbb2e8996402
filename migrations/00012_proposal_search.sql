-- +goose Up
-- Search that works for Polish: diacritics-insensitive (unaccent: "lawka" finds
-- "Ławka"), substring and prefix ("podgor" finds "Podgórskim") and typo tolerant
-- (pg_trgm word similarity: "bibloteka" finds "bibliotece").
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- unaccent() is only STABLE (its dictionary could change); this wrapper names the
-- dictionary, so it can be IMMUTABLE and feed a generated column and an index.
CREATE FUNCTION lawka_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, t));

ALTER TABLE proposals ADD COLUMN search_text text
    GENERATED ALWAYS AS (lawka_fold(title || ' ' || body)) STORED;
CREATE INDEX proposals_search ON proposals USING gin (search_text gin_trgm_ops);

-- +goose Down
DROP INDEX proposals_search;
ALTER TABLE proposals DROP COLUMN search_text;
DROP FUNCTION lawka_fold(text);
