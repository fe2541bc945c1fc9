//! Client authentication at the token, PAR, introspection and revocation
//! endpoints (RFC 6749 §2.3, RFC 7523, FAPI 2.0 §5.3.2.1-6): exactly one
//! method per request; `fapi2` clients only with `private_key_jwt`.

use std::net::IpAddr;
use std::sync::Arc;

use propusk_oidc::assertion::{self, ASSERTION_TYPE};
use propusk_oidc::tokens::token_hash;
use propusk_oidc::{Compact, ErrorCode, OAuthError, Profile};
use time::OffsetDateTime;

use super::Client;
use super::token::Unspent;
use crate::writes::Once;
use crate::{Result, ServiceError, Services};

/// What a request presented.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// From `Authorization: Basic`.
    pub basic: Option<(String, String)>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub assertion_type: Option<String>,
    pub assertion: Option<String>,
}

impl Credentials {
    /// The form fields of a token-style request.
    pub fn from_params(
        params: &std::collections::BTreeMap<String, String>,
        basic: Option<(String, String)>,
    ) -> Credentials {
        let get = |k: &str| params.get(k).cloned();
        Credentials {
            basic,
            client_id: get("client_id"),
            client_secret: get("client_secret"),
            assertion_type: get("client_assertion_type"),
            assertion: get("client_assertion"),
        }
    }
}

fn client_err(why: &str) -> ServiceError {
    ServiceError::OAuth(OAuthError::client(why.to_owned()))
}

pub(crate) fn replayed_assertion() -> ServiceError {
    client_err("client assertion: jti was used before")
}

impl Services {
    /// The authenticated client, or `invalid_client`; a known client calling
    /// from outside its IP allow-list gets `access_denied`. Refusals are
    /// counted for the audit log (`failures`) under the client they name,
    /// if it exists.
    pub async fn authenticate_client(&self, c: &Credentials, ip: IpAddr) -> Result<Arc<Client>> {
        let result = async {
            let (client, once) = self.authenticate(c, ip).await?;
            if let Some(once) = once {
                self.spend_assertion(once).await?;
            }
            Ok(client)
        }
        .await;
        if let Err(ServiceError::OAuth(e)) = &result {
            self.note_client_failure(c, e).await;
        }
        result
    }

    /// The same for the token endpoint, with the client assertion's `jti`
    /// back unspent beside the DPoP proof's (`dpop`, from
    /// `check_dpop_once`): the grant spends both in its own write (one
    /// wait), and issues nothing if either was used before. A refused
    /// client still spends the proof.
    pub async fn authenticate_client_once(
        &self,
        c: &Credentials,
        ip: IpAddr,
        dpop: Option<Once>,
    ) -> Result<(Arc<Client>, Unspent)> {
        match self.authenticate(c, ip).await {
            Ok((client, assertion)) => Ok((client, Unspent { dpop, assertion })),
            Err(e) => {
                // The refusal is the client's, whatever the proof's fate.
                let _ = self
                    .spend(Unspent {
                        dpop,
                        assertion: None,
                    })
                    .await;
                if let ServiceError::OAuth(o) = &e {
                    self.note_client_failure(c, o).await;
                }
                Err(e)
            }
        }
    }

    /// Remembers an assertion's `jti`; `invalid_client` if it was used before.
    pub(crate) async fn spend_assertion(&self, once: Once) -> Result<()> {
        if self.writes.seen_once(&self.db, once).await? {
            Ok(())
        } else {
            Err(replayed_assertion())
        }
    }

    async fn note_client_failure(&self, c: &Credentials, e: &OAuthError) {
        let named = c
            .basic
            .as_ref()
            .map(|b| b.0.clone())
            .or_else(|| c.client_id.clone())
            .or_else(|| {
                c.assertion.as_deref().and_then(|t| {
                    Compact::parse(t)
                        .ok()
                        .and_then(|j| j.claim_str("iss").map(str::to_owned))
                })
            });
        let known = match named {
            Some(id) => self.client(&id).await.ok().flatten().map(|c| c.id.clone()),
            None => None,
        };
        self.oauth.failures.note(
            &self.db,
            &self.clock,
            "client_authentication",
            known.as_deref(),
            e,
        );
    }

    /// The client and, for `private_key_jwt`, its assertion's unspent `jti`.
    /// A refusal after the assertion checked out spends the `jti` too.
    async fn authenticate(
        &self,
        c: &Credentials,
        ip: IpAddr,
    ) -> Result<(Arc<Client>, Option<Once>)> {
        let methods = [
            c.basic.is_some(),
            c.client_secret.is_some(),
            c.assertion.is_some(),
        ];
        if methods.iter().filter(|m| **m).count() > 1 {
            return Err(ServiceError::OAuth(OAuthError::request(
                "more than one client authentication method",
            )));
        }
        let (client, once) = if let Some((id, secret)) = &c.basic {
            if c.client_id.as_ref().is_some_and(|cid| cid != id) {
                return Err(ServiceError::OAuth(OAuthError::request(
                    "client_id differs from the authenticated client",
                )));
            }
            let client = self
                .client(id)
                .await?
                .ok_or_else(|| client_err("unknown client or wrong secret"))?;
            let ok = client.profile == Profile::Oidc
                && client
                    .secret_hash
                    .as_deref()
                    .is_some_and(|h| same_hash(h, &token_hash(secret)));
            if !ok {
                return Err(client_err("unknown client or wrong secret"));
            }
            (client, None)
        } else if let Some(token) = &c.assertion {
            if c.assertion_type.as_deref() != Some(ASSERTION_TYPE) {
                return Err(client_err("client_assertion_type must be jwt-bearer"));
            }
            // Parsed once: its `iss` names the client, whose keys check it.
            let jws = Compact::parse(token)
                .map_err(|_| client_err("client assertion: not a signed JWT with iss"))?;
            let iss = jws
                .claim_str("iss")
                .map(str::to_owned)
                .ok_or_else(|| client_err("client assertion: not a signed JWT with iss"))?;
            if c.client_id.as_ref().is_some_and(|cid| *cid != iss) {
                return Err(client_err("client_id differs from the assertion's iss"));
            }
            let client = self
                .client(&iss)
                .await?
                .ok_or_else(|| client_err("unknown client"))?;
            let now = self.unix_now();
            let keys = self.client_keys(&client, &jws).await?;
            let checked = assertion::check_parsed(
                &jws,
                &client.id,
                &keys,
                client.allowed_algs(),
                self.issuer(),
                now,
            )?;
            let until = OffsetDateTime::from_unix_timestamp(checked.exp.max(now) + 60)
                .map_err(crate::error::internal)?;
            let once = Once {
                scope: format!("client_assertion:{}", client.id),
                id: checked.jti,
                expires_at: until,
                now: self.clock.now(),
            };
            (client, Some(once))
        } else if c.client_secret.is_some() {
            return Err(client_err(
                "client_secret_post is not supported; use client_secret_basic or private_key_jwt",
            ));
        } else {
            return Err(client_err("client authentication is required"));
        };
        let allowed = if client.disabled {
            Err(client_err("client is disabled"))
        } else if !client.ip_allowed(ip) {
            Err(ServiceError::OAuth(OAuthError::new(
                ErrorCode::AccessDenied,
                "the client's IP allow-list does not include this address",
            )))
        } else {
            self.check_rate(&client)
        };
        match (allowed, once) {
            (Ok(()), once) => Ok((client, once)),
            (Err(e), Some(once)) => {
                self.spend_assertion(once).await?;
                Err(e)
            }
            (Err(e), None) => Err(e),
        }
    }
}

/// Compares two secret hashes in constant time.
fn same_hash(a: &str, b: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()).into()
}

/// How long fetched client keys are trusted, and how often an unknown
/// `kid` may make us fetch again.
const JWKS_TTL: std::time::Duration = std::time::Duration::from_secs(300);
const JWKS_REFETCH: std::time::Duration = std::time::Duration::from_secs(2);

impl Services {
    /// The client's keys for this assertion: inline, or from its
    /// `jwks_uri` (cached; fetched again if the assertion names a key the
    /// cached set lacks, at most every 2 s, so a client can rotate).
    pub(crate) async fn client_keys(
        &self,
        client: &Client,
        jws: &Compact<'_>,
    ) -> Result<Arc<propusk_oidc::KeySet>> {
        let Some(uri) = &client.jwks_uri else {
            return Ok(client.keys.clone());
        };
        let cached = self
            .oauth
            .jwks
            .lock()
            .ok()
            .and_then(|c| c.get(uri).cloned());
        let has_key = |set: &propusk_oidc::KeySet| set.find(jws).is_some();
        if let Some((at, set)) = &cached {
            let fresh = at.elapsed() < JWKS_TTL;
            if fresh && (has_key(set) || at.elapsed() < JWKS_REFETCH) {
                return Ok(set.clone());
            }
        }
        let fetched = async {
            let res = self.oauth.http.get(uri).send().await.ok()?;
            if !res.status().is_success() {
                return None;
            }
            let doc: serde_json::Value = res.json().await.ok()?;
            Some(propusk_oidc::KeySet::from_jwks(&doc))
        }
        .await;
        match fetched {
            Some(set) => {
                let set = Arc::new(set);
                if let Ok(mut c) = self.oauth.jwks.lock() {
                    c.insert(uri.clone(), (std::time::Instant::now(), set.clone()));
                }
                Ok(set)
            }
            // The client's key server is down: the cached keys still serve.
            None => cached
                .map(|(_, s)| s)
                .ok_or_else(|| client_err("the client's jwks_uri did not answer with a JWKS")),
        }
    }
}
