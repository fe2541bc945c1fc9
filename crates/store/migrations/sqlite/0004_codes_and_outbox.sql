-- One-time codes sent by SMS or email. Only a keyed hash of each code is kept
-- (six digits under a plain hash are reversed in microseconds); the contact is
-- kept as its blind index, which is all the send quotas need.
CREATE TABLE one_time_codes (
    id            BLOB PRIMARY KEY,
    purpose       TEXT NOT NULL,
    subject       TEXT NOT NULL,
    contact_index TEXT NOT NULL,
    code_mac      TEXT NOT NULL,
    issued_at     TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    failed        INTEGER NOT NULL DEFAULT 0,
    used_at       TEXT
);
CREATE INDEX one_time_codes_contact ON one_time_codes (contact_index, issued_at);
CREATE INDEX one_time_codes_subject ON one_time_codes (purpose, subject, issued_at);

-- Messages to send, written in the same transaction as the change that causes
-- them. Recipient and content are sealed (they hold contacts and codes).
CREATE TABLE outbox (
    id              BLOB PRIMARY KEY,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'push')),
    recipient       BLOB NOT NULL,
    content         BLOB NOT NULL,
    created_at      TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    sent_at         TEXT,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at);
