-- Accounts and their contacts. Personal data is sealed by the application
-- (core::vault) before it gets here: `profile` and `contacts.value` are
-- AES-256-GCM ciphertexts, and contacts are found by an HMAC blind index.
CREATE TABLE accounts (
    id                 UUID PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('person', 'entrepreneur', 'legal_entity')),
    status             TEXT NOT NULL CHECK (status IN ('awaiting_confirmation', 'active', 'blocked', 'deleted')),
    trust_level        TEXT CHECK (trust_level IN ('simplified', 'standard', 'confirmed')),
    profile            BYTEA NOT NULL,
    password_hash      TEXT NOT NULL,
    pd_consent_version TEXT NOT NULL,
    pd_consent_at      TIMESTAMPTZ NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE contacts (
    id           UUID PRIMARY KEY,
    account_id   UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel      TEXT NOT NULL CHECK (channel IN ('phone', 'email')),
    value_index  TEXT NOT NULL,
    value        BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    confirmed_at TIMESTAMPTZ,
    removed_at   TIMESTAMPTZ
);
CREATE INDEX contacts_account ON contacts (account_id);
CREATE INDEX contacts_lookup ON contacts (channel, value_index);
-- A phone or email confirms into one account at most.
CREATE UNIQUE INDEX contacts_one_owner ON contacts (channel, value_index)
    WHERE confirmed_at IS NOT NULL AND removed_at IS NULL;
