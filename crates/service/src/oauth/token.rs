//! The token endpoint's grants (RFC 6749 §4.1.3, §4.4, §6; FAPI 2.0):
//! `authorization_code`, `refresh_token` and `client_credentials`.

use std::collections::BTreeMap;

use propusk_core::audit::{Actor, NewEvent};
use propusk_oidc::dpop::Proof;
use propusk_oidc::tokens::{
    ACCESS_TOKEN_TTL, AccessClaims, Cnf, ID_TOKEN_TTL, TYP_ACCESS, random_token, token_hash,
};
use propusk_oidc::{Alg, ErrorCode, OAuthError, Profile, pkce, scopes};
use propusk_store::audit;
use propusk_store::oauth_grants::{self, CodeUse, GrantRow};
use serde::Serialize;

use super::Client;
use super::client_auth::replayed_assertion;
use super::dpop::replayed_proof;
use crate::error::internal;
use crate::writes::Once;
use crate::{Result, ServiceError, Services};

/// RFC 6749 §5.1.
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
    /// RFC 9396 §7: what the grant's `authorization_details` granted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorization_details: Vec<serde_json::Value>,
}

pub(super) fn grant_err(why: &str) -> ServiceError {
    ServiceError::OAuth(OAuthError::grant(why.to_owned()))
}

/// A token request's one-time identifiers, checked but not yet spent: its
/// DPoP proof's `jti` and its client assertion's.
#[derive(Debug, Default)]
pub struct Unspent {
    pub dpop: Option<Once>,
    pub assertion: Option<Once>,
}

impl Unspent {
    /// Those present, the proof's first.
    pub(super) fn list(&self) -> Vec<Once> {
        self.dpop.iter().chain(&self.assertion).cloned().collect()
    }

    /// The refusal a used one earns, given each one's freshness in the
    /// order of [`Unspent::list`] (a shorter `fresh` checks a prefix).
    pub(super) fn refusal(&self, fresh: &[bool]) -> Option<ServiceError> {
        let mut flags = fresh.iter();
        if self.dpop.is_some() && flags.next() == Some(&false) {
            return Some(replayed_proof());
        }
        if self.assertion.is_some() && flags.next() == Some(&false) {
            return Some(replayed_assertion());
        }
        None
    }
}

/// The signing algorithm of access tokens: ES256, the fastest FAPI one.
pub const ACCESS_TOKEN_ALG: Alg = Alg::Es256;

impl Services {
    /// One token request from an authenticated client. `dpop`: the checked
    /// proof, if the request had one; `unspent`: its `jti` and the client
    /// assertion's, not yet spent (`check_dpop_once`,
    /// `authenticate_client_once`): spent here whatever the outcome, and
    /// nothing is issued if either was used before.
    pub async fn token(
        &self,
        client: &Client,
        params: &BTreeMap<String, String>,
        dpop: Option<&Proof>,
        unspent: Unspent,
    ) -> Result<TokenResponse> {
        let result = self.grant(client, params, dpop, unspent).await;
        if let Err(ServiceError::OAuth(e)) = &result {
            self.oauth
                .failures
                .note(&self.db, &self.clock, "token", Some(&client.id), e);
        }
        result
    }

    async fn grant(
        &self,
        client: &Client,
        params: &BTreeMap<String, String>,
        dpop: Option<&Proof>,
        unspent: Unspent,
    ) -> Result<TokenResponse> {
        let grant_type = params.get("grant_type").map(String::as_str);
        let fapi_without_dpop = client.profile == Profile::Fapi2 && dpop.is_none();
        let deferred = matches!(grant_type, Some("refresh_token" | "client_credentials"));
        // The two hot grants spend the jtis with their own write; the rest now.
        let unspent = if !deferred || fapi_without_dpop {
            self.spend(unspent).await?;
            Unspent::default()
        } else {
            unspent
        };
        if fapi_without_dpop {
            // FAPI 2.0 §5.3.2.1-4: sender-constrained tokens only.
            return Err(OAuthError::new(
                ErrorCode::InvalidDpopProof,
                "a DPoP proof is required for this client",
            )
            .into());
        }
        match grant_type {
            Some("authorization_code") => self.code_grant(client, params, dpop).await,
            Some("refresh_token") => self.refresh_grant(client, params, dpop, unspent).await,
            Some("client_credentials") => {
                self.client_credentials(client, params, dpop, unspent).await
            }
            Some(_) => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "supported: authorization_code, refresh_token, client_credentials",
            )
            .into()),
            None => Err(OAuthError::request("grant_type is required").into()),
        }
    }

    async fn code_grant(
        &self,
        client: &Client,
        params: &BTreeMap<String, String>,
        dpop: Option<&Proof>,
    ) -> Result<TokenResponse> {
        let code = params
            .get("code")
            .ok_or_else(|| ServiceError::OAuth(OAuthError::request("code is required")))?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let row = match oauth_grants::take_code(&mut tx, &token_hash(code), now).await? {
            CodeUse::Fresh(row) => row,
            CodeUse::Replayed(grant_id) => {
                // RFC 6749 §4.1.2: deny, and revoke what the code produced.
                oauth_grants::revoke_grant(&mut tx, grant_id, "code_replayed", now).await?;
                let event = NewEvent::new(Actor::client(&client.id), "oauth.code_replayed")
                    .subject(format!("oauth_grant:{grant_id}"));
                audit::append(&mut tx, now, &event).await?;
                tx.commit().await?;
                return Err(grant_err(
                    "the code was used before; its tokens are revoked",
                ));
            }
            CodeUse::Expired => {
                tx.commit().await?;
                return Err(grant_err("the code has expired"));
            }
            CodeUse::Unknown => return Err(grant_err("unknown code")),
        };
        let grant = oauth_grants::get_grant_in(&mut tx, row.grant_id)
            .await?
            .ok_or_else(|| internal("code without grant"))?;
        // Any mismatch leaves the code unused: the transaction rolls back.
        if grant.client_id != client.id {
            return Err(grant_err("the code was issued to another client"));
        }
        if params.get("redirect_uri") != Some(&row.redirect_uri) {
            return Err(grant_err(
                "redirect_uri differs from the authorization request's",
            ));
        }
        pkce::verify(
            params.get("code_verifier").map(String::as_str),
            &row.code_challenge,
        )?;
        let jkt = match (&grant.dpop_jkt, dpop) {
            (Some(bound), Some(p)) if *bound == p.jkt => Some(bound.clone()),
            (Some(_), _) => {
                return Err(OAuthError::new(
                    ErrorCode::InvalidDpopProof,
                    "the DPoP key differs from the one the code is bound to",
                )
                .into());
            }
            (None, Some(p)) => {
                oauth_grants::bind_grant_key(&mut tx, grant.id, &p.jkt).await?;
                Some(p.jkt.clone())
            }
            (None, None) => None,
        };
        let grant = GrantRow {
            dpop_jkt: jkt,
            ..grant
        };
        let refresh = random_token().map_err(internal)?;
        oauth_grants::insert_refresh(&mut tx, &token_hash(&refresh), grant.id, now).await?;
        let event = NewEvent::new(Actor::client(&client.id), "oauth.token_issued")
            .subject(format!("oauth_grant:{}", grant.id))
            .details(serde_json::json!({ "grant_type": "authorization_code" }));
        audit::append(&mut tx, now, &event).await?;
        // Read in this transaction (never through the pool while it is open).
        let details = match grant.consent_id {
            None => Vec::new(),
            Some(id) => {
                let consent = propusk_store::consents::get_in(&mut tx, id)
                    .await?
                    .ok_or_else(|| internal("grant of an unknown consent"))?;
                granted_details(&consent)?
            }
        };
        let response = self
            .tokens_for(
                client,
                &grant,
                &grant.scope,
                Some(refresh),
                (row.openid, row.nonce.as_deref()),
                details,
            )
            .await?;
        tx.commit().await?;
        Ok(response)
    }

    async fn client_credentials(
        &self,
        client: &Client,
        params: &BTreeMap<String, String>,
        dpop: Option<&Proof>,
        unspent: Unspent,
    ) -> Result<TokenResponse> {
        let (response, event) = match self.client_token(client, params, dpop).await {
            Ok(made) => made,
            Err(e) => return Err(self.spent_with(unspent, e).await),
        };
        // Sent only once its event is committed (batched with others'), and
        // only if the jtis were fresh.
        let fresh = self
            .writes
            .audit(&self.db, unspent.list(), self.clock.now(), event)
            .await?;
        match unspent.refusal(&fresh) {
            Some(e) => Err(e),
            None => Ok(response),
        }
    }

    /// Spends the `jti`s now, all of them; the replay's error if one was
    /// used before.
    pub(super) async fn spend(&self, unspent: Unspent) -> Result<()> {
        let mut fresh = Vec::new();
        for once in unspent.list() {
            fresh.push(self.writes.seen_once(&self.db, once).await?);
        }
        match unspent.refusal(&fresh) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// A refused grant still spends the `jti`s; the error is then a
    /// replay's if one was not fresh, or a failed write's.
    pub(super) async fn spent_with(&self, unspent: Unspent, e: ServiceError) -> ServiceError {
        self.spend(unspent).await.err().unwrap_or(e)
    }

    /// The client's own token and its audit event, not yet written.
    async fn client_token(
        &self,
        client: &Client,
        params: &BTreeMap<String, String>,
        dpop: Option<&Proof>,
    ) -> Result<(TokenResponse, NewEvent)> {
        let asked = scopes::split(params.get("scope").map(String::as_str).unwrap_or(""));
        if asked
            .iter()
            .any(|s| s == "openid" || !client.scopes.contains(s))
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "scope not allowed for this client's own access",
            )
            .into());
        }
        let keys = self.provider_keys().await?;
        let scope = asked.join(" ");
        let access_token = self.access_token(
            &keys,
            client,
            client.id.clone(),
            None,
            &scope,
            dpop.map(|p| p.jkt.clone()),
        )?;
        let event = NewEvent::new(Actor::client(&client.id), "oauth.token_issued")
            .subject(format!("oauth_client:{}", client.id))
            .details(serde_json::json!({
                "grant_type": "client_credentials",
                "scope": scope,
                "dpop": dpop.is_some(),
            }));
        let response = TokenResponse {
            access_token,
            token_type: if dpop.is_some() { "DPoP" } else { "Bearer" },
            expires_in: ACCESS_TOKEN_TTL,
            refresh_token: None,
            id_token: None,
            scope,
            authorization_details: Vec::new(),
        };
        Ok((response, event))
    }

    /// An RFC 9068 access token for `sub`: a person's under their grant
    /// (with what its `authorization_details` granted), or the client
    /// itself (no grant); DPoP-bound to `jkt` if given.
    fn access_token(
        &self,
        keys: &super::ProviderKeys,
        client: &Client,
        sub: String,
        grant: Option<(&GrantRow, Vec<serde_json::Value>)>,
        scope: &str,
        jkt: Option<String>,
    ) -> Result<String> {
        let (grant, authorization_details) = match grant {
            Some((g, d)) => (Some(g), d),
            None => (None, Vec::new()),
        };
        let now = self.unix_now();
        let claims = AccessClaims {
            iss: self.issuer().to_owned(),
            sub,
            aud: self.issuer().to_owned(),
            client_id: client.id.clone(),
            exp: now + ACCESS_TOKEN_TTL,
            iat: now,
            jti: random_token().map_err(internal)?,
            scope: scope.to_owned(),
            cnf: jkt.map(|jkt| Cnf::Jkt { jkt }),
            auth_time: grant.map(|g| g.auth_time.unix_timestamp()),
            acr: grant.map(|g| g.acr.clone()),
            gid: grant.map(|g| g.id.to_string()),
            authorization_details,
        };
        keys.signer(ACCESS_TOKEN_ALG)?
            .sign(TYP_ACCESS, &claims)
            .map_err(internal)
    }

    /// The access token (and ID token) of a grant.
    pub(super) async fn tokens_for(
        &self,
        client: &Client,
        grant: &GrantRow,
        scope: &str,
        refresh_token: Option<String>,
        (openid, nonce): (bool, Option<&str>),
        authorization_details: Vec<serde_json::Value>,
    ) -> Result<TokenResponse> {
        let now = self.unix_now();
        let keys = self.provider_keys().await?;
        let sub = self.pairwise_sub(&client.sector, grant.account_id);
        let auth_time = grant.auth_time.unix_timestamp();
        let access_token = self.access_token(
            &keys,
            client,
            sub.clone(),
            Some((grant, authorization_details.clone())),
            scope,
            grant.dpop_jkt.clone(),
        )?;
        let id_token = if openid {
            let signer = keys.signer(client.id_token_alg)?;
            let mut id = serde_json::json!({
                "iss": self.issuer(),
                "sub": sub,
                "aud": client.id,
                "exp": now + ID_TOKEN_TTL,
                "iat": now,
                "auth_time": auth_time,
                "acr": grant.acr,
                "amr": grant.amr.split(' ').collect::<Vec<_>>(),
                "at_hash": signer.at_hash(&access_token),
            });
            if let Some(n) = nonce {
                id["nonce"] = n.into();
            }
            if let Some(sid) = grant.session_id {
                id["sid"] = self.pairwise_sub(&client.sector, sid).into();
            }
            Some(signer.sign("JWT", &id).map_err(internal)?)
        } else {
            None
        };
        Ok(TokenResponse {
            access_token,
            token_type: if grant.dpop_jkt.is_some() {
                "DPoP"
            } else {
                "Bearer"
            },
            expires_in: ACCESS_TOKEN_TTL,
            refresh_token,
            id_token,
            scope: scope.to_owned(),
            authorization_details,
        })
    }

    /// RFC 9396 §7, §9.1: the details a grant's consent granted, as the
    /// token response and the access token carry them.
    pub(super) async fn granted_details(&self, grant: &GrantRow) -> Result<Vec<serde_json::Value>> {
        let Some(id) = grant.consent_id else {
            return Ok(Vec::new());
        };
        let row = propusk_store::consents::get(&self.db, id)
            .await?
            .ok_or_else(|| internal("grant of an unknown consent"))?;
        granted_details(&row)
    }
}

/// What a consent row granted, as `authorization_details`.
fn granted_details(row: &propusk_store::consents::ConsentRow) -> Result<Vec<serde_json::Value>> {
    let (terms, granted) = crate::consents::terms_of(row)?;
    Ok(vec![propusk_core::consent::rar::granted(
        row.id, &terms, granted,
    )])
}
