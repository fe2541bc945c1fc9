-- Look-ups that run on every sign-in must not grow with the history: the
-- per-address failure count reads failures only, and "is this a known
-- device" reads one account's devices.
CREATE INDEX sign_in_events_ip_failures ON sign_in_events (ip_index, at)
    WHERE result IN ('wrong_password', 'factor_failed');
CREATE INDEX sign_in_events_device ON sign_in_events (account_id, device_hash)
    WHERE device_hash IS NOT NULL;
