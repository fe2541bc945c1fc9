-- Organizations registered by their head per ЕГРЮЛ, their members with a
-- role, invitations, and which organization a session acts for.

-- `extract` is the ЕГРЮЛ extract as fetched, sealed by the vault (it names
-- the head); OGRN, INN, KPP and the short name are public and kept plain.
CREATE TABLE organizations (
    id               UUID PRIMARY KEY,
    ogrn             TEXT NOT NULL UNIQUE,
    inn              TEXT NOT NULL,
    kpp              TEXT NOT NULL,
    name             TEXT NOT NULL,
    extract          BYTEA NOT NULL,
    head_account_id  UUID NOT NULL REFERENCES accounts (id),
    fetched_at       TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE org_members (
    org_id      UUID NOT NULL REFERENCES organizations (id),
    account_id  UUID NOT NULL REFERENCES accounts (id),
    role        TEXT NOT NULL CHECK (role IN ('administrator', 'operator', 'analyst', 'accountant')),
    added_by    UUID NOT NULL,
    added_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, account_id)
);
CREATE INDEX org_members_account ON org_members (account_id);

-- An invitation is addressed to a phone, an email or a SNILS, kept as the
-- vault's blind index (the same the accounts are found by) and a masked hint.
CREATE TABLE org_invitations (
    id            UUID PRIMARY KEY,
    org_id        UUID NOT NULL REFERENCES organizations (id),
    channel       TEXT NOT NULL CHECK (channel IN ('phone', 'email', 'snils')),
    target_index  TEXT NOT NULL,
    target_hint   TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('administrator', 'operator', 'analyst', 'accountant')),
    state         TEXT NOT NULL CHECK (state IN ('open', 'accepted', 'declined', 'revoked')),
    invited_by    UUID NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    decided_at    TIMESTAMPTZ,
    decided_by    UUID
);
CREATE INDEX org_invitations_target ON org_invitations (target_index) WHERE state = 'open';
CREATE INDEX org_invitations_org ON org_invitations (org_id, created_at);

-- The organization a signed-in session acts for; none: the personal cabinet.
CREATE TABLE session_contexts (
    session_id  UUID PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    org_id      UUID NOT NULL REFERENCES organizations (id),
    set_at      TIMESTAMPTZ NOT NULL
);
