-- How the person authenticated for a grant (OIDC Core §2 `amr`),
-- space-separated: `pwd`, and `mfa` when the sign-in needed a second factor.
ALTER TABLE oauth_grants ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
