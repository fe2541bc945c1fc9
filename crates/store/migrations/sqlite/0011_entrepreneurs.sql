-- Sole proprietorships (ИП) a confirmed person has added, as ЕГРИП showed
-- them. The OGRNIP belongs to one account; the extract is sealed (it holds
-- the person's INN and name).
CREATE TABLE entrepreneurs (
    id          BLOB PRIMARY KEY,
    account_id  BLOB NOT NULL REFERENCES accounts (id),
    ogrnip      TEXT NOT NULL UNIQUE,
    extract     BLOB NOT NULL,
    added_at    TEXT NOT NULL
);
CREATE INDEX entrepreneurs_account ON entrepreneurs (account_id);
