-- TOTP keys (sealed) and backup codes (keyed hashes). `confirmed_at` is NULL
-- while the person is still adding the key to an app; `last_step` is the time
-- step of the last accepted code, so each code is accepted once.
CREATE TABLE totp_factors (
    account_id   UUID PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    secret       BYTEA NOT NULL,
    confirmed_at TIMESTAMPTZ,
    last_step    BIGINT,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE backup_codes (
    id         UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_index TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX backup_codes_account ON backup_codes (account_id, code_index);
