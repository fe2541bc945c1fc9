-- Logout (OpenID RP-Initiated Logout 1.0, Back-Channel Logout 1.0): where
-- a client may be sent after signing out, where it hears of a session's
-- end, and the logout tokens waiting to be delivered there.
ALTER TABLE oauth_clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';
ALTER TABLE oauth_clients ADD COLUMN backchannel_logout_uri TEXT;

CREATE TABLE oauth_logout_queue (
    id               BLOB PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES oauth_clients (client_id),
    uri              TEXT NOT NULL,
    logout_token     TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
    attempts         INTEGER NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX oauth_logout_queue_due ON oauth_logout_queue (status, next_attempt_at);
CREATE INDEX oauth_grants_session ON oauth_grants (session_id);
