-- The head's last hash follows each appended event in the database, so an
-- append is two statements (claim the head, insert the event) instead of
-- three. Code of the version before still sets it itself, to the same
-- value, so both can run side by side during an upgrade.
CREATE TRIGGER audit_events_set_head AFTER INSERT ON audit_events
BEGIN
    UPDATE audit_head SET last_hash = NEW.hash WHERE id = 1;
END;
