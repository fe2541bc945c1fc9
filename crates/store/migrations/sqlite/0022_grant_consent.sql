-- The consent a sign-in asked for with RFC 9396 authorization_details
-- (type propusk_consent) and the person approved: the grant's tokens carry
-- it, so the data API knows which consent a person's token reads under.
ALTER TABLE oauth_grants ADD COLUMN consent_id BLOB REFERENCES consents (id);
