-- Fingerprints of the keys that seal personal data in this database. A node
-- whose key ring does not match refuses to start, instead of writing values
-- that the other nodes cannot read.
CREATE TABLE vault_keys (
    name        TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    added_at    TIMESTAMPTZ NOT NULL
);
