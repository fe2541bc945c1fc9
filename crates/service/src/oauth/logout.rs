//! Logout: RP-Initiated Logout 1.0 (the request's checks) and Back-Channel
//! Logout 1.0 (a logout token to every client with a grant in a session
//! that ended, delivered from a queue with retries).
//!
//! The logout tokens are made before the session-ending transaction (they
//! need the clients and keys, read through the pool) and written in it,
//! only for the grants that transaction actually ended.

use std::collections::HashMap;

use propusk_oidc::tokens::random_token;
use propusk_oidc::{Compact, ErrorCode, OAuthError};
use propusk_store::Tx;
use propusk_store::oauth_logout::{self, Delivery, Ended};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::error::internal;
use crate::{Result, ServiceError, Services};

pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// Tries before a delivery is given up (BCL §2.8: retry transient errors only).
pub const MAX_ATTEMPTS: i32 = 5;

/// Logout tokens ready to queue, by grant.
#[derive(Debug, Default)]
pub struct Plan(HashMap<Uuid, Delivery>);

/// Logout URIs are https, or http on loopback, without a fragment.
pub fn check_logout_uris(post_logout: &[String], backchannel: Option<&str>) -> Result<()> {
    for u in post_logout.iter().map(String::as_str).chain(backchannel) {
        let ok = url::Url::parse(u).is_ok_and(|url| {
            url.fragment().is_none()
                && (url.scheme() == "https"
                    || (url.scheme() == "http"
                        && matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"))))
        });
        if !ok {
            return Err(ServiceError::field(
                "logout_uri",
                "invalid",
                "Адрес выхода должен быть https (http только для 127.0.0.1)",
                "A logout URI must be https (http only on loopback)",
            ));
        }
    }
    Ok(())
}

/// A checked RP-initiated logout request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    pub client_id: Option<String>,
    /// The registered post-logout URI to send the browser to afterwards.
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
}

/// The post-logout redirect with `state` (RPI §3).
pub fn post_logout_url(uri: &str, state: Option<&str>) -> Option<String> {
    let mut url = url::Url::parse(uri).ok()?;
    if let Some(s) = state {
        url.query_pairs_mut().append_pair("state", s);
    }
    Some(url.to_string())
}

fn bad(why: &str) -> ServiceError {
    ServiceError::OAuth(OAuthError::request(why.to_owned()))
}

impl Services {
    /// The logout settings of a client: `(post_logout_redirect_uris, backchannel_logout_uri)`.
    pub async fn logout_settings(&self, client_id: &str) -> Result<(Vec<String>, Option<String>)> {
        let (list, bc) = oauth_logout::settings(&self.db, client_id)
            .await?
            .unwrap_or(("[]".into(), None));
        Ok((serde_json::from_str(&list).map_err(internal)?, bc))
    }

    /// Sets where a client is sent after logout and where it hears of one.
    pub async fn set_logout_settings(
        &self,
        client_id: &str,
        post_logout: &[String],
        backchannel: Option<&str>,
    ) -> Result<()> {
        check_logout_uris(post_logout, backchannel)?;
        let mut tx = self.db.begin().await?;
        oauth_logout::set_settings(
            &mut tx,
            client_id,
            &serde_json::to_string(post_logout).map_err(internal)?,
            backchannel,
        )
        .await?;
        tx.commit().await?;
        self.oauth.clear();
        Ok(())
    }

    /// RPI §2–§3: `id_token_hint` must be ours (expired is fine), its `aud`
    /// the `client_id` if one is given; `post_logout_redirect_uri` must be
    /// registered exactly, and without a hint nobody is redirected.
    pub async fn check_logout_request(
        &self,
        params: &std::collections::BTreeMap<String, String>,
    ) -> Result<LogoutRequest> {
        let mut client_id = params.get("client_id").cloned();
        let mut hinted = false;
        if let Some(hint) = params.get("id_token_hint") {
            let keys = self.provider_keys().await?;
            let jws = Compact::parse(hint).map_err(|_| bad("id_token_hint is not a JWT"))?;
            let key = keys
                .published
                .find(&jws)
                .ok_or_else(|| bad("id_token_hint was not issued here"))?;
            key.verify(&jws)
                .map_err(|_| bad("id_token_hint was not issued here"))?;
            if jws.claim_str("iss") != Some(self.issuer()) {
                return Err(bad("id_token_hint was not issued here"));
            }
            let aud = jws
                .claim_str("aud")
                .map(str::to_owned)
                .ok_or_else(|| bad("id_token_hint has no aud"))?;
            if client_id.as_ref().is_some_and(|c| *c != aud) {
                return Err(bad("client_id differs from the id_token_hint's audience"));
            }
            client_id = Some(aud);
            hinted = true;
        }
        let redirect_uri = match params.get("post_logout_redirect_uri") {
            None => None,
            Some(_) if !hinted => return Err(bad("post_logout_redirect_uri needs id_token_hint")),
            Some(uri) => {
                let cid = client_id.as_deref().unwrap_or_default();
                let (allowed, _) = self.logout_settings(cid).await?;
                if !allowed.iter().any(|a| a == uri) {
                    return Err(bad(
                        "post_logout_redirect_uri is not registered for this client",
                    ));
                }
                Some(uri.clone())
            }
        };
        if let Some(c) = &client_id
            && self.client(c).await?.is_none()
        {
            return Err(ServiceError::OAuth(OAuthError::new(
                ErrorCode::InvalidRequest,
                "unknown client_id",
            )));
        }
        Ok(LogoutRequest {
            client_id,
            redirect_uri,
            state: params.get("state").cloned(),
        })
    }

    /// Logout tokens for these grants' clients that listen (BCL §2.4).
    pub(crate) async fn plan_logout(&self, grants: &[Ended]) -> Result<Plan> {
        let mut plan = Plan::default();
        if grants.is_empty() {
            return Ok(plan);
        }
        let keys = self.provider_keys().await?;
        let now = self.unix_now();
        for (grant, client_id, account, session) in grants {
            let Some(client) = self.client(client_id).await? else {
                continue;
            };
            let (_, Some(uri)) = self.logout_settings(client_id).await? else {
                continue;
            };
            let claims = serde_json::json!({
                "iss": self.issuer(),
                "aud": client.id,
                "iat": now,
                "exp": now + 120,
                "jti": random_token().map_err(internal)?,
                "sub": self.pairwise_sub(&client.sector, *account),
                "sid": self.pairwise_sub(&client.sector, *session),
                "events": { EVENT: {} },
            });
            let token = keys
                .signer(client.id_token_alg)?
                .sign(propusk_oidc::tokens::TYP_LOGOUT, &claims)
                .map_err(internal)?;
            plan.0.insert(
                *grant,
                Delivery {
                    id: Uuid::now_v7(),
                    client_id: client.id.clone(),
                    uri,
                    logout_token: token,
                    attempts: 0,
                },
            );
        }
        Ok(plan)
    }

    /// In the session-ending transaction: queue the planned tokens of the
    /// grants it ended.
    pub(crate) async fn queue_logout(
        &self,
        tx: &mut Tx,
        ended: &[Ended],
        mut plan: Plan,
        now: OffsetDateTime,
    ) -> Result<()> {
        for (grant, ..) in ended {
            if let Some(d) = plan.0.remove(grant) {
                oauth_logout::enqueue(tx, &d, now).await?;
            }
        }
        Ok(())
    }

    /// One round of back-channel deliveries; returns how many were sent.
    /// 200 and 204 are success, 400 a refusal (not retried), anything
    /// else or no answer is retried with back-off (BCL §2.5, §2.8).
    pub async fn deliver_logouts(&self, http: &reqwest::Client) -> Result<usize> {
        let now = self.clock.now();
        let due = oauth_logout::claim_due(&self.db, now, now + Duration::minutes(2), 32).await?;
        let mut sent = 0;
        for d in due {
            let res = http
                .post(&d.uri)
                .form(&[("logout_token", d.logout_token.as_str())])
                .send()
                .await;
            let (status, error) = match res {
                Ok(r) if matches!(r.status().as_u16(), 200 | 204) => ("sent", None),
                Ok(r) if r.status().as_u16() == 400 => {
                    ("dead", Some("the client answered 400".to_owned()))
                }
                Ok(r) => (
                    "pending",
                    Some(format!("the client answered {}", r.status())),
                ),
                Err(e) => (
                    "pending",
                    Some(if e.is_timeout() {
                        "timeout".to_owned()
                    } else {
                        "unreachable".to_owned()
                    }),
                ),
            };
            let status = if status == "pending" && d.attempts >= MAX_ATTEMPTS {
                "dead"
            } else {
                status
            };
            let next = now + Duration::seconds(5 * 2i64.pow(d.attempts.clamp(0, 10) as u32));
            oauth_logout::record(&self.db, d.id, status, next, error.as_deref()).await?;
            if status == "sent" {
                sent += 1;
            } else if let Some(e) = &error {
                tracing::info!(client = %d.client_id, error = %e, status, "back-channel logout not delivered");
            }
        }
        Ok(sent)
    }
}
