-- Webhooks to partners (docs/consents.md): endpoints a client registers,
-- and one delivery row per event and endpoint, delivered from this queue
-- by the dispatcher on every node.

-- Secrets are sealed by the vault (they must be recovered to sign); the
-- previous one keeps signing until `previous_until` after a rotation.
CREATE TABLE webhook_endpoints (
    id               UUID PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES oauth_clients (client_id),
    url              TEXT NOT NULL,
    events           TEXT NOT NULL,
    secret           BYTEA NOT NULL,
    previous_secret  BYTEA,
    previous_until   TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    disabled_at      TIMESTAMPTZ
);
CREATE INDEX webhook_endpoints_client ON webhook_endpoints (client_id);

-- `event_id` is stable across retries and redeliveries, so a receiver
-- can drop what it has seen. `payload` is the JSON sent, byte for byte
-- (no personal data: ids, types, statuses).
CREATE TABLE webhook_deliveries (
    id               UUID PRIMARY KEY,
    endpoint_id      UUID NOT NULL REFERENCES webhook_endpoints (id),
    event_id         UUID NOT NULL,
    event_type       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    last_attempt_at  TIMESTAMPTZ,
    last_status      INTEGER,
    last_error       TEXT,
    delivered_at     TIMESTAMPTZ,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);

-- `consent.expiring` is sent once, seven days before the end.
ALTER TABLE consents ADD COLUMN expiring_sent_at TIMESTAMPTZ;
