-- A deletion the person asked for: the account stays usable (to change one's
-- mind) until this moment, then its personal data is erased.
ALTER TABLE accounts ADD COLUMN deletion_due_at TIMESTAMPTZ;
CREATE INDEX accounts_deletion_due ON accounts (deletion_due_at) WHERE deletion_due_at IS NOT NULL;
