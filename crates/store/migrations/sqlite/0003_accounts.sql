-- Accounts and their contacts. Personal data is sealed by the application
-- (core::vault) before it gets here: `profile` and `contacts.value` are
-- AES-256-GCM ciphertexts, and contacts are found by an HMAC blind index.
CREATE TABLE accounts (
    id                 BLOB PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('person', 'entrepreneur', 'legal_entity')),
    status             TEXT NOT NULL CHECK (status IN ('awaiting_confirmation', 'active', 'blocked', 'deleted')),
    trust_level        TEXT CHECK (trust_level IN ('simplified', 'standard', 'confirmed')),
    profile            BLOB NOT NULL,
    password_hash      TEXT NOT NULL,
    pd_consent_version TEXT NOT NULL,
    pd_consent_at      TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

CREATE TABLE contacts (
    id           BLOB PRIMARY KEY,
    account_id   BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel      TEXT NOT NULL CHECK (channel IN ('phone', 'email')),
    value_index  TEXT NOT NULL,
    value        BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    confirmed_at TEXT,
    removed_at   TEXT
);
CREATE INDEX contacts_account ON contacts (account_id);
CREATE INDEX contacts_lookup ON contacts (channel, value_index);
-- A phone or email confirms into one account at most.
CREATE UNIQUE INDEX contacts_one_owner ON contacts (channel, value_index)
    WHERE confirmed_at IS NOT NULL AND removed_at IS NULL;
