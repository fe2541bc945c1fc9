-- Per-client rate limits: the limit on the client, and requests counted
-- per minute. Nodes count in memory and add their counts here every
-- second, so every node sees the others' share.
ALTER TABLE oauth_clients ADD COLUMN rate_per_minute INTEGER NOT NULL DEFAULT 60000;

CREATE TABLE oauth_rate (
    client_id     TEXT NOT NULL,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (client_id, window_start)
);
