-- TOTP keys (sealed) and backup codes (keyed hashes). `confirmed_at` is NULL
-- while the person is still adding the key to an app; `last_step` is the time
-- step of the last accepted code, so each code is accepted once.
CREATE TABLE totp_factors (
    account_id   BLOB PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    secret       BLOB NOT NULL,
    confirmed_at TEXT,
    last_step    INTEGER,
    created_at   TEXT NOT NULL
);

CREATE TABLE backup_codes (
    id         BLOB PRIMARY KEY,
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_index TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX backup_codes_account ON backup_codes (account_id, code_index);
