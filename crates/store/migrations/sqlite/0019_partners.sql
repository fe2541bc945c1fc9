-- Portal operators (`propusk admin create`), their sessions, and partner
-- applications: an organization asks to become a partner, an operator
-- approves (a production client is issued) or rejects with a reason.

-- An operator signs in with a password and a TOTP code, always. The TOTP
-- key is sealed by the vault; `totp_last_step` refuses a code used twice.
CREATE TABLE portal_operators (
    id              BLOB PRIMARY KEY,
    login           TEXT NOT NULL UNIQUE,
    password_hash   TEXT NOT NULL,
    totp_key        BLOB NOT NULL,
    totp_last_step  INTEGER,
    created_at      TEXT NOT NULL,
    disabled_at     TEXT
);

-- As `sessions`: the cookie holds a secret, only its SHA-256 is kept.
CREATE TABLE operator_sessions (
    id            BLOB PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    operator_id   BLOB NOT NULL REFERENCES portal_operators (id),
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    ended_at      TEXT
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id, ended_at);

-- `body` is the application as submitted (JSON: the legal data as ЕГРЮЛ
-- gave it, client name, redirect URIs, scopes with reasons, IP ranges,
-- keys); nothing personal. The contact person is sealed in `contact`.
CREATE TABLE partner_applications (
    id                 BLOB PRIMARY KEY,
    org_id             BLOB NOT NULL REFERENCES organizations (id),
    state              TEXT NOT NULL CHECK (state IN ('submitted', 'approved', 'rejected')),
    body               TEXT NOT NULL,
    contact            BLOB NOT NULL,
    submitted_by       BLOB NOT NULL,
    submitted_at       TEXT NOT NULL,
    sandbox_client_id  TEXT NOT NULL REFERENCES oauth_clients (client_id),
    decided_by         BLOB,
    decided_at         TEXT,
    reason             TEXT,
    client_id          TEXT REFERENCES oauth_clients (client_id)
);
-- One application under review per organization at a time.
CREATE UNIQUE INDEX partner_applications_open ON partner_applications (org_id) WHERE state = 'submitted';
CREATE INDEX partner_applications_state ON partner_applications (state, submitted_at);
CREATE INDEX partner_applications_org ON partner_applications (org_id, submitted_at);
