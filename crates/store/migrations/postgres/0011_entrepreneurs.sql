-- Sole proprietorships (ИП) a confirmed person has added, as ЕГРИП showed
-- them. The OGRNIP belongs to one account; the extract is sealed (it holds
-- the person's INN and name).
CREATE TABLE entrepreneurs (
    id          UUID PRIMARY KEY,
    account_id  UUID NOT NULL REFERENCES accounts (id),
    ogrnip      TEXT NOT NULL UNIQUE,
    extract     BYTEA NOT NULL,
    added_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX entrepreneurs_account ON entrepreneurs (account_id);
