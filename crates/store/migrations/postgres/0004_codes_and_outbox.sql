-- One-time codes sent by SMS or email. Only a keyed hash of each code is kept
-- (six digits under a plain hash are reversed in microseconds); the contact is
-- kept as its blind index, which is all the send quotas need.
CREATE TABLE one_time_codes (
    id            UUID PRIMARY KEY,
    purpose       TEXT NOT NULL,
    subject       TEXT NOT NULL,
    contact_index TEXT NOT NULL,
    code_mac      TEXT NOT NULL,
    issued_at     TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    failed        INTEGER NOT NULL DEFAULT 0,
    used_at       TIMESTAMPTZ
);
CREATE INDEX one_time_codes_contact ON one_time_codes (contact_index, issued_at);
CREATE INDEX one_time_codes_subject ON one_time_codes (purpose, subject, issued_at);

-- Messages to send, written in the same transaction as the change that causes
-- them. Recipient and content are sealed (they hold contacts and codes).
CREATE TABLE outbox (
    id              UUID PRIMARY KEY,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'push')),
    recipient       BYTEA NOT NULL,
    content         BYTEA NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at);
