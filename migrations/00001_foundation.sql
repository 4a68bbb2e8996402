-- +goose Up
-- Kraków's districts and the topics proposals, consultations and debates are filed under.
CREATE TABLE neighbourhoods (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number      smallint NOT NULL UNIQUE CHECK (number BETWEEN 1 AND 99),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Topic names are translated: {"pl": "…", "en": "…", "uk": "…"}; Polish is required.
CREATE TABLE topics (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    names       jsonb NOT NULL CHECK (jsonb_typeof(names) = 'object' AND names ? 'pl'),
    position    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The coalition's Declaration of cooperation, versioned; each version has a text per language.
CREATE TABLE declaration_versions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version       integer NOT NULL UNIQUE CHECK (version > 0),
    published_at  timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE declaration_texts (
    version_id  bigint NOT NULL REFERENCES declaration_versions (id) ON DELETE CASCADE,
    lang        text NOT NULL CHECK (lang IN ('pl', 'en', 'uk')),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary     text NOT NULL DEFAULT '',
    body_md     text NOT NULL CHECK (length(body_md) > 0),
    PRIMARY KEY (version_id, lang)
);

-- Accounts. Everyone is a resident; extra roles are rows in user_roles.
CREATE TABLE users (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email                  text NOT NULL CHECK (email = lower(email) AND position('@' in email) > 1),
    email_confirmed_at     timestamptz,
    password_hash          text NOT NULL,
    display_name           text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
    locale                 text CHECK (locale IN ('pl', 'en', 'uk')),
    home_neighbourhood_id  bigint REFERENCES neighbourhoods (id),
    verified_at            timestamptz,
    demo                   boolean NOT NULL DEFAULT false,
    created_at             timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE user_roles (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('advocate', 'moderator', 'admin')),
    granted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role)
);

-- +goose Down
DROP TABLE user_roles;
DROP TABLE users;
DROP TABLE declaration_texts;
DROP TABLE declaration_versions;
DROP TABLE topics;
DROP TABLE neighbourhoods;
