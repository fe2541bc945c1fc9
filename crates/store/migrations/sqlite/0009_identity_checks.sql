-- The check of a person's passport and SNILS at МВД and СФР (and the INN at
-- ФНС): one row per account, a work queue for the job while `pending`.
-- `generation` grows each time the person changes the data, so a check that
-- was running on the old data cannot overwrite the new one's result.
CREATE TABLE identity_checks (
    account_id    BLOB PRIMARY KEY REFERENCES accounts (id),
    state         TEXT NOT NULL CHECK (state IN ('pending', 'verified', 'rejected')),
    generation    INTEGER NOT NULL DEFAULT 1,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_try_at   TEXT,
    last_error    TEXT,
    requested_at  TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX identity_checks_due ON identity_checks (next_try_at) WHERE state = 'pending';

-- What the person sees of the check, step by step. `message` is a code the
-- pages translate (no personal data); `detail` names fields, registries or times.
CREATE TABLE identity_check_log (
    id          BLOB PRIMARY KEY,
    account_id  BLOB NOT NULL REFERENCES accounts (id),
    at          TEXT NOT NULL,
    registry    TEXT,
    outcome     TEXT NOT NULL,
    message     TEXT NOT NULL,
    detail      TEXT
);
CREATE INDEX identity_check_log_account ON identity_check_log (account_id, at);
