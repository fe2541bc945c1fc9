-- A citizen's requests to correct what a state registry holds about them
-- (152-FZ art. 21). Propusk carries each to the source registry and follows
-- it there: `reference` is the registry's number once it took the request,
-- `reason` its answer. What the citizen proposed and why is personal data,
-- sealed by the vault (context `data_correction:<id>`). `next_attempt_at`
-- is when the job asks the registry again (NULL once the request is closed).
CREATE TABLE data_corrections (
    id               BLOB PRIMARY KEY,
    account_id       BLOB NOT NULL REFERENCES accounts (id),
    category         TEXT NOT NULL,
    field            TEXT NOT NULL,
    registry         TEXT NOT NULL,
    sealed           BLOB NOT NULL,
    status           TEXT NOT NULL,
    reference        TEXT,
    reason           TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    created_at       TEXT NOT NULL,
    sent_at          TEXT,
    decided_at       TEXT,
    updated_at       TEXT NOT NULL
);
CREATE INDEX data_corrections_account ON data_corrections (account_id, created_at);
CREATE INDEX data_corrections_due ON data_corrections (next_attempt_at);
