-- Server-side sessions. The cookie holds a random secret; only its SHA-256 is
-- stored, so a copy of the database does not let anyone in. `id` is the
-- public handle used to list and end sessions. `stage` is 'second_factor'
-- between a right password and the second factor, 'full' after.
CREATE TABLE sessions (
    id           UUID PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    account_id   UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    stage        TEXT NOT NULL CHECK (stage IN ('second_factor', 'full')),
    device       BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ,
    end_reason   TEXT
);
CREATE INDEX sessions_account ON sessions (account_id, ended_at);

-- Every sign-in attempt: the citizen's history, and the per-address failure
-- count. The address and device are sealed; `ip_index` is their blind index.
CREATE TABLE sign_in_events (
    id          UUID PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    account_id  UUID REFERENCES accounts (id) ON DELETE SET NULL,
    ip_index    TEXT NOT NULL,
    device      BYTEA NOT NULL,
    device_hash TEXT,
    result      TEXT NOT NULL CHECK (result IN ('success', 'wrong_password', 'locked',
                                                'factor_failed', 'rate_limited'))
);
CREATE INDEX sign_in_events_account ON sign_in_events (account_id, at);
CREATE INDEX sign_in_events_ip ON sign_in_events (ip_index, at);

-- Consecutive failures per login (an account, or the blind index of a login
-- that matches none, so unknown logins behave exactly like known ones).
CREATE TABLE login_locks (
    lock_key     TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ NOT NULL
);

-- Blind indexes of SNILS and INN: sign-in by SNILS, and each belongs to one
-- account at most. The values themselves live sealed in the profile.
ALTER TABLE accounts ADD COLUMN snils_index TEXT;
ALTER TABLE accounts ADD COLUMN inn_index TEXT;
CREATE UNIQUE INDEX accounts_snils ON accounts (snils_index) WHERE snils_index IS NOT NULL;
CREATE UNIQUE INDEX accounts_inn ON accounts (inn_index) WHERE inn_index IS NOT NULL;
