//! The resource side: checking access tokens (userinfo and, later, the
//! data API), introspection (RFC 7662) and revocation (RFC 7009).

use std::collections::BTreeMap;

use propusk_core::audit::{Actor, NewEvent};
use propusk_oidc::tokens::{AccessClaims, token_hash, verify_access};
use propusk_oidc::{Compact, ErrorCode, OAuthError};
use propusk_store::{audit, oauth_grants};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Client;
use crate::error::internal;
use crate::{Result, ServiceError, Services};

/// How the token came (RFC 6750 §2.1, RFC 9449 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Bearer,
    Dpop,
}

fn invalid_token(why: &str) -> ServiceError {
    ServiceError::OAuth(OAuthError::new(ErrorCode::InvalidToken, why.to_owned()))
}

impl Services {
    /// An access token's claims if it is ours, well signed and unexpired
    /// (revocation aside); the inner error says why not.
    async fn verified_access(
        &self,
        token: &str,
    ) -> Result<std::result::Result<AccessClaims, OAuthError>> {
        let keys = self.provider_keys().await?;
        Ok(verify_access(
            token,
            &keys.published,
            self.issuer(),
            self.issuer(),
            self.unix_now(),
        ))
    }

    /// A valid, unrevoked access token presented correctly: a DPoP-bound
    /// one only with the `DPoP` scheme and a proof by its key over this
    /// request (`method`, public `url`) and this token.
    pub async fn check_access_token(
        &self,
        token: &str,
        scheme: Scheme,
        proof: Option<&str>,
        method: &str,
        url: &str,
    ) -> Result<AccessClaims> {
        let claims = self.verified_access(token).await??;
        match (claims.jkt(), scheme) {
            (Some(jkt), Scheme::Dpop) => {
                let proof = proof.ok_or_else(|| {
                    ServiceError::OAuth(OAuthError::new(
                        ErrorCode::InvalidDpopProof,
                        "a DPoP proof is required",
                    ))
                })?;
                let checked = self
                    .check_dpop(proof, method, url, Some(token), false)
                    .await?;
                if checked.jkt != jkt {
                    return Err(ServiceError::OAuth(OAuthError::new(
                        ErrorCode::InvalidDpopProof,
                        "the proof's key is not the token's",
                    )));
                }
            }
            (Some(_), Scheme::Bearer) => {
                return Err(invalid_token(
                    "a DPoP-bound token must be sent with the DPoP scheme",
                ));
            }
            (None, Scheme::Dpop) => return Err(invalid_token("the token is not DPoP-bound")),
            (None, Scheme::Bearer) => {}
        }
        if !self.token_alive(&claims).await? {
            return Err(invalid_token("the token is revoked"));
        }
        Ok(claims)
    }

    /// Not revoked alone, its client not disabled, and its grant (if any)
    /// not revoked.
    async fn token_alive(&self, claims: &AccessClaims) -> Result<bool> {
        if oauth_grants::is_revoked(&self.db, &claims.jti).await? {
            return Ok(false);
        }
        match self.client(&claims.client_id).await? {
            Some(c) if !c.disabled => {}
            _ => return Ok(false),
        }
        if let Some(gid) = &claims.gid {
            let id = Uuid::parse_str(gid).map_err(|_| invalid_token("malformed grant"))?;
            let Some(g) = oauth_grants::get_grant(&self.db, id).await? else {
                return Ok(false);
            };
            return Ok(g.revoked_at.is_none() && g.expires_at > self.clock.now());
        }
        Ok(true)
    }

    /// UserInfo (OIDC Core §5.3): `sub` and the claims of the token's scopes.
    pub async fn userinfo(&self, claims: &AccessClaims) -> Result<serde_json::Value> {
        if !claims.has_scope("openid") {
            return Err(ServiceError::OAuth(OAuthError::new(
                ErrorCode::InsufficientScope,
                "the token lacks the openid scope",
            )));
        }
        let gid = claims
            .gid
            .as_deref()
            .and_then(|g| Uuid::parse_str(g).ok())
            .ok_or_else(|| invalid_token("not a person's token"))?;
        let grant = oauth_grants::get_grant(&self.db, gid)
            .await?
            .ok_or_else(|| invalid_token("unknown grant"))?;
        let scopes: Vec<String> = claims.scope.split(' ').map(str::to_owned).collect();
        let mut out = self.scope_claims(grant.account_id, &scopes).await?;
        out.insert("sub".into(), claims.sub.clone().into());
        Ok(serde_json::Value::Object(out))
    }

    /// RFC 7662: a token of the caller's is described; anything else,
    /// whatever the reason, is `{"active": false}`.
    pub async fn introspect(
        &self,
        caller: &Client,
        params: &BTreeMap<String, String>,
    ) -> Result<serde_json::Value> {
        let inactive = serde_json::json!({ "active": false });
        let Some(token) = params.get("token") else {
            return Err(ServiceError::OAuth(OAuthError::request(
                "token is required",
            )));
        };
        if Compact::parse(token).is_ok() {
            let Ok(claims) = self.verified_access(token).await? else {
                return Ok(inactive);
            };
            if claims.client_id != caller.id || !self.token_alive(&claims).await? {
                return Ok(inactive);
            }
            let mut out = serde_json::json!({
                "active": true, "token_type": if claims.jkt().is_some() { "DPoP" } else { "Bearer" },
                "scope": claims.scope, "client_id": claims.client_id, "sub": claims.sub,
                "iss": claims.iss, "aud": claims.aud, "exp": claims.exp, "iat": claims.iat, "jti": claims.jti,
            });
            if let Some(jkt) = claims.jkt() {
                out["cnf"] = serde_json::json!({ "jkt": jkt });
            }
            if !claims.authorization_details.is_empty() {
                // RFC 9396 §9.2.
                out["authorization_details"] = claims.authorization_details.clone().into();
            }
            return Ok(out);
        }
        let Some((gid, unused)) = oauth_grants::refresh_grant(&self.db, &token_hash(token)).await?
        else {
            return Ok(inactive);
        };
        let Some(g) = oauth_grants::get_grant(&self.db, gid).await? else {
            return Ok(inactive);
        };
        let rotating = caller.profile == propusk_oidc::Profile::Oidc;
        if g.client_id != caller.id
            || g.revoked_at.is_some()
            || g.expires_at <= self.clock.now()
            || (rotating && !unused)
        {
            return Ok(inactive);
        }
        Ok(serde_json::json!({
            "active": true, "token_type": "refresh_token", "scope": g.scope, "client_id": g.client_id,
            "sub": self.pairwise_sub(&caller.sector, g.account_id), "iss": self.issuer(),
            "exp": g.expires_at.unix_timestamp(), "iat": g.created_at.unix_timestamp(),
        }))
    }

    /// RFC 7009: revokes a refresh token (its whole grant) or an access
    /// token of the caller's. Unknown or foreign tokens change nothing, and
    /// the answer is the same.
    pub async fn revoke_token(
        &self,
        caller: &Client,
        params: &BTreeMap<String, String>,
    ) -> Result<()> {
        let Some(token) = params.get("token") else {
            return Err(ServiceError::OAuth(OAuthError::request(
                "token is required",
            )));
        };
        if let Some(hint) = params.get("token_type_hint")
            && hint != "access_token"
            && hint != "refresh_token"
        {
            return Err(ServiceError::OAuth(OAuthError::new(
                ErrorCode::UnsupportedTokenType,
                "token_type_hint: access_token or refresh_token",
            )));
        }
        let now = self.clock.now();
        if Compact::parse(token).is_ok() {
            // An expired token needs no revoking.
            let Ok(claims) = self.verified_access(token).await? else {
                return Ok(());
            };
            if claims.client_id != caller.id {
                return Ok(());
            }
            let until = OffsetDateTime::from_unix_timestamp(claims.exp).map_err(internal)?;
            let mut tx = self.db.begin().await?;
            oauth_grants::revoke_jti(&mut tx, &claims.jti, until).await?;
            let event = NewEvent::new(Actor::client(&caller.id), "oauth.token_revoked")
                .subject(format!("oauth_client:{}", caller.id))
                .details(serde_json::json!({ "token_type": "access_token", "jti": claims.jti }));
            audit::append(&mut tx, now, &event).await?;
            tx.commit().await?;
            return Ok(());
        }
        let Some((gid, _)) = oauth_grants::refresh_grant(&self.db, &token_hash(token)).await?
        else {
            return Ok(());
        };
        let Some(g) = oauth_grants::get_grant(&self.db, gid).await? else {
            return Ok(());
        };
        if g.client_id != caller.id {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        if oauth_grants::revoke_grant(&mut tx, gid, "revoked_by_client", now).await? {
            let event = NewEvent::new(Actor::client(&caller.id), "oauth.token_revoked")
                .subject(format!("oauth_grant:{gid}"))
                .details(serde_json::json!({ "token_type": "refresh_token" }));
            audit::append(&mut tx, now, &event).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
