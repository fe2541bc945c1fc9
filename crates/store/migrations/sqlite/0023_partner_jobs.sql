-- Scheduled jobs exactly one node runs at a time (consent expiry, the
-- partners' daily digest): a node holds a job until `held_until` and
-- renews while it works; another takes over only once that has passed.
-- `last_done_at` is when the job last finished, so a daily job runs once
-- a day whichever node holds it.
CREATE TABLE job_leases (
    job           TEXT PRIMARY KEY,
    holder        TEXT NOT NULL,
    held_until    TEXT NOT NULL,
    last_done_at  TEXT
);

-- Partner monitoring reads a client's access log by day.
CREATE INDEX consent_reads_client ON consent_reads (client_id, at);
