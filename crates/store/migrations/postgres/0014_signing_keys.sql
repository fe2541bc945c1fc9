-- The OpenID provider's signing keys. `private_key` is the PKCS#8 key
-- sealed by the vault (context `signing_key:<kid>`); `public_jwk` is what
-- the JWKS publishes. A key signs while it is the newest unretired one of
-- its algorithm; once retired it stays published until `publish_until`,
-- past the expiry of every token it signed.
CREATE TABLE signing_keys (
    kid            TEXT PRIMARY KEY,
    alg            TEXT NOT NULL,
    private_key    BYTEA NOT NULL,
    public_jwk     TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    retired_at     TIMESTAMPTZ,
    publish_until  TIMESTAMPTZ
);
CREATE INDEX signing_keys_alg ON signing_keys (alg, created_at);
