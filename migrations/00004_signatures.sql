-- +goose Up
-- Organisations that sign the Declaration through a representative.
CREATE TABLE organisations (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text NOT NULL CHECK (length(name) BETWEEN 2 AND 200),
    kind              text NOT NULL CHECK (kind IN ('ngo', 'public_institution', 'business', 'informal_group')),
    krs               text CHECK (krs ~ '^[0-9]{10}$'),
    website           text CHECK (website ~ '^https?://'),
    neighbourhood_id  bigint REFERENCES neighbourhoods (id),
    created_by        bigint REFERENCES users (id) ON DELETE SET NULL,
    demo              boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organisations_name_key ON organisations (lower(name));
CREATE UNIQUE INDEX organisations_krs_key ON organisations (krs) WHERE krs IS NOT NULL;

-- People who act for an organisation: its representatives (who signed for it) and the
-- colleagues they invite (advocates).
CREATE TABLE organisation_members (
    organisation_id  bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role             text NOT NULL CHECK (role IN ('representative', 'advocate')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, user_id)
);
CREATE INDEX organisation_members_user ON organisation_members (user_id);

-- Uploaded files (signed scans), kept in PostgreSQL: outside any web root, shared by
-- every instance, erased with what they belong to.
CREATE TABLE files (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size          integer NOT NULL CHECK (size BETWEEN 1 AND 10485760),
    sha256        bytea NOT NULL,
    content       bytea NOT NULL,
    uploaded_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE signatures (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    declaration_version_id  bigint NOT NULL REFERENCES declaration_versions (id),
    user_id                 bigint REFERENCES users (id) ON DELETE SET NULL,
    organisation_id         bigint REFERENCES organisations (id) ON DELETE CASCADE,
    full_name               text NOT NULL CHECK (length(full_name) BETWEEN 3 AND 120),
    role_title              text NOT NULL DEFAULT '' CHECK (length(role_title) <= 120),
    authority_confirmed     boolean NOT NULL DEFAULT false,
    list_publicly           boolean NOT NULL DEFAULT true,
    channel                 text NOT NULL DEFAULT 'online' CHECK (channel IN ('online', 'paper')),
    scan_file_id            bigint REFERENCES files (id) ON DELETE SET NULL,
    status                  text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'rejected', 'withdrawn')),
    decided_by              bigint REFERENCES users (id) ON DELETE SET NULL,
    decided_at              timestamptz,
    decision_reason         text NOT NULL DEFAULT '' CHECK (length(decision_reason) <= 500),
    created_at              timestamptz NOT NULL DEFAULT now(),
    withdrawn_at            timestamptz,
    -- a representative must state their authority to sign for an organisation
    CHECK (organisation_id IS NULL OR authority_confirmed)
);
-- One live signature per person and per organisation.
CREATE UNIQUE INDEX signatures_person_live ON signatures (user_id)
    WHERE organisation_id IS NULL AND status IN ('pending', 'confirmed');
CREATE UNIQUE INDEX signatures_organisation_live ON signatures (organisation_id)
    WHERE organisation_id IS NOT NULL AND status IN ('pending', 'confirmed');
CREATE INDEX signatures_status ON signatures (status, created_at);

-- A member is a person whose own signature, or whose organisation's, is confirmed.
CREATE FUNCTION is_member(uid bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM signatures s
        WHERE s.status = 'confirmed'
          AND ((s.organisation_id IS NULL AND s.user_id = uid)
               OR s.organisation_id IN (SELECT m.organisation_id FROM organisation_members m WHERE m.user_id = uid)))
$$;

-- +goose Down
DROP FUNCTION is_member(bigint);
DROP TABLE signatures;
DROP TABLE files;
DROP TABLE organisation_members;
DROP TABLE organisations;
