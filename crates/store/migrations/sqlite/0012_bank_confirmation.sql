-- Confirmation of a person's identity by a partner bank (OpenID Connect).

-- A sign-in at a bank in progress: made when the person picks the bank,
-- taken (deleted) once by the callback. `state_hash` is SHA-256 of the
-- `state` parameter; the PKCE verifier is sealed by the vault.
CREATE TABLE bank_flows (
    state_hash     TEXT PRIMARY KEY,
    account_id     BLOB NOT NULL REFERENCES accounts (id),
    bank           TEXT NOT NULL,
    nonce          TEXT NOT NULL,
    pkce_verifier  BLOB NOT NULL,
    restarts       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL
);
CREATE INDEX bank_flows_expiry ON bank_flows (expires_at);
CREATE INDEX bank_flows_account ON bank_flows (account_id);

-- The bank that vouches for the person, one per account: `active` (the
-- account is confirmed by it), `pending` (the bank could not be reached:
-- try later) or `rejected` (with the reason code).
CREATE TABLE bank_links (
    account_id    BLOB PRIMARY KEY REFERENCES accounts (id),
    bank          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('active', 'pending', 'rejected')),
    reason        TEXT,
    detail        TEXT,
    customer_id   BLOB,
    verified_at   TEXT,
    confirmed_at  TEXT,
    updated_at    TEXT NOT NULL
);

-- What the person sees of each try; `message` is a code the pages translate.
CREATE TABLE bank_link_log (
    id          BLOB PRIMARY KEY,
    account_id  BLOB NOT NULL REFERENCES accounts (id),
    at          TEXT NOT NULL,
    bank        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    message     TEXT NOT NULL,
    detail      TEXT
);
CREATE INDEX bank_link_log_account ON bank_link_log (account_id, at);

-- Identifiers seen once and never again until they expire (a JWT's `jti`
-- per issuer; later DPoP proofs and client assertions), shared by all nodes.
CREATE TABLE seen_once (
    scope       TEXT NOT NULL,
    id          TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (scope, id)
);
CREATE INDEX seen_once_expiry ON seen_once (expires_at);
