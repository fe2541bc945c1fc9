-- Consents for organizations (docs/consents.md): a partner's request, the
-- citizen's decision, every change of state, and every read made under it.

-- `terms` is the checked request as JSON (purpose, categories, optional
-- ones, valid_until, mode, return_url): nothing personal. `granted` is the
-- JSON array of categories the citizen kept, set at approval. `subject` is
-- the citizen's pairwise identifier for the client's sector.
CREATE TABLE consents (
    id                  BLOB PRIMARY KEY,
    client_id           TEXT NOT NULL REFERENCES oauth_clients (client_id),
    org_id              BLOB NOT NULL REFERENCES organizations (id),
    account_id          BLOB NOT NULL REFERENCES accounts (id),
    subject             TEXT NOT NULL,
    channel             TEXT NOT NULL CHECK (channel IN ('api', 'oidc_rar')),
    purpose             TEXT NOT NULL,
    terms               TEXT NOT NULL,
    granted             TEXT,
    status              TEXT NOT NULL CHECK (status IN ('requested', 'active', 'paused', 'declined',
                            'request_expired', 'revoked', 'cancelled', 'expired', 'consumed')),
    status_by           TEXT,
    status_reason       TEXT,
    created_at          TEXT NOT NULL,
    request_expires_at  TEXT NOT NULL,
    valid_until         TEXT NOT NULL,
    approved_at         TEXT,
    status_changed_at   TEXT NOT NULL,
    read_count          INTEGER NOT NULL DEFAULT 0,
    last_read_at        TEXT,
    record_hash         TEXT,
    receipt             TEXT
);
CREATE INDEX consents_account ON consents (account_id, created_at);
CREATE INDEX consents_client ON consents (client_id, created_at);
-- The expiry job's look-up: live consents by the time they end.
CREATE INDEX consents_due ON consents (status, valid_until);

-- Append-only history; each event may carry the receipt made for it.
CREATE TABLE consent_events (
    id           BLOB PRIMARY KEY,
    consent_id   BLOB NOT NULL REFERENCES consents (id),
    at           TEXT NOT NULL,
    event        TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    by_whom      TEXT NOT NULL,
    reason       TEXT,
    receipt      TEXT
);
CREATE INDEX consent_events_consent ON consent_events (consent_id, at);

-- One row per read attempt under a consent (the citizen's access log):
-- categories as JSON arrays, `answer_sha256` of what was sent (no data).
CREATE TABLE consent_reads (
    id                   BLOB PRIMARY KEY,
    consent_id           BLOB NOT NULL REFERENCES consents (id),
    account_id           BLOB NOT NULL,
    client_id            TEXT NOT NULL,
    at                   TEXT NOT NULL,
    endpoint             TEXT NOT NULL,
    categories_asked     TEXT NOT NULL,
    categories_returned  TEXT NOT NULL,
    result               TEXT NOT NULL,
    answer_sha256        TEXT
);
CREATE INDEX consent_reads_consent ON consent_reads (consent_id, at);
CREATE INDEX consent_reads_account ON consent_reads (account_id, at);

-- Pairwise subjects as they were handed out, so a partner's `sub` finds
-- its citizen (the identifier is a MAC and cannot be inverted).
CREATE TABLE pairwise_subjects (
    sector      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    account_id  BLOB NOT NULL REFERENCES accounts (id),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (sector, subject)
);

-- Registry answers kept for a while per category, sealed by the vault.
CREATE TABLE person_data_cache (
    account_id  BLOB NOT NULL REFERENCES accounts (id),
    category    TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    fetched_at  TEXT NOT NULL,
    PRIMARY KEY (account_id, category)
);

-- A key that signed consent receipts stays published (and is not purged)
-- until the last of those receipts stops mattering: the consent's end plus
-- how long the partner keeps the data.
ALTER TABLE signing_keys ADD COLUMN keep_until TEXT;
