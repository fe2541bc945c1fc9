-- The OpenID provider: partners' clients, pushed authorization requests,
-- grants with their codes and refresh tokens, individually revoked access
-- tokens, and the approvals a person chose to remember.
--
-- Secrets (codes, refresh tokens, client secrets, request URIs) are kept as
-- their SHA-256 only; a reader of the database cannot use what it sees.

CREATE TABLE oauth_clients (
    client_id       TEXT PRIMARY KEY,
    org_id          UUID NOT NULL REFERENCES organizations (id),
    name            TEXT NOT NULL,
    profile         TEXT NOT NULL CHECK (profile IN ('fapi2', 'oidc')),
    environment     TEXT NOT NULL CHECK (environment IN ('sandbox', 'production')),
    -- JSON arrays of strings.
    redirect_uris   TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    ip_allow        TEXT NOT NULL,
    -- Public keys for private_key_jwt: an inline JWKS, or where to fetch it.
    jwks            TEXT,
    jwks_uri        TEXT,
    secret_hash     TEXT,
    id_token_alg    TEXT NOT NULL,
    -- The pairwise subject sector: the redirect URIs' host.
    sector          TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    disabled_at     TIMESTAMPTZ,
    CHECK (profile = 'oidc' OR (jwks IS NOT NULL OR jwks_uri IS NOT NULL)),
    CHECK (profile = 'fapi2' OR environment = 'sandbox')
);
CREATE INDEX oauth_clients_org ON oauth_clients (org_id);

CREATE TABLE oauth_requests (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES oauth_clients (client_id),
    request     TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX oauth_requests_expiry ON oauth_requests (expires_at);

CREATE TABLE oauth_grants (
    id            UUID PRIMARY KEY,
    client_id     TEXT NOT NULL REFERENCES oauth_clients (client_id),
    account_id    UUID NOT NULL REFERENCES accounts (id),
    session_id    UUID,
    scope         TEXT NOT NULL,
    dpop_jkt      TEXT,
    auth_time     TIMESTAMPTZ NOT NULL,
    acr           TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ,
    revoke_reason TEXT
);
CREATE INDEX oauth_grants_account ON oauth_grants (account_id, client_id);
CREATE INDEX oauth_grants_expiry ON oauth_grants (expires_at);

CREATE TABLE oauth_codes (
    code_hash       TEXT PRIMARY KEY,
    grant_id        UUID NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    nonce           TEXT,
    openid          TEXT NOT NULL CHECK (openid IN ('yes', 'no')),
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ
);
CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at);

CREATE TABLE oauth_refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    grant_id    UUID NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX oauth_refresh_grant ON oauth_refresh_tokens (grant_id);

CREATE TABLE oauth_revoked_tokens (
    jti         TEXT PRIMARY KEY,
    expires_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE oauth_consents (
    account_id  UUID NOT NULL REFERENCES accounts (id),
    client_id   TEXT NOT NULL REFERENCES oauth_clients (client_id),
    scopes      TEXT NOT NULL,
    granted_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, client_id)
);
