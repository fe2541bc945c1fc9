//! The refresh grant (RFC 6749 §6). FAPI 2.0 §5.3.2.1-10: `fapi2` refresh
//! tokens are not rotated; RFC 9700 §4.14.2: the others are rotated on every
//! use, and a used one presented again revokes the whole grant.
//!
//! The grant is read and checked and the tokens signed outside any write;
//! only the use of the token, its successor and the audit event are
//! written, group-committed with other refreshes. The write checks again
//! that the token is still usable and its grant still live, so a concurrent
//! use or revocation wins over the tokens already signed: those are then
//! thrown away, never sent.

use std::collections::{BTreeMap, HashMap, HashSet};

use propusk_core::audit::{Actor, NewEvent};
use propusk_oidc::dpop::Proof;
use propusk_oidc::tokens::{random_token, token_hash};
use propusk_oidc::{ErrorCode, OAuthError, Profile, scopes};
use propusk_store::oauth_grants;
use propusk_store::{StoreError, Tx};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Client;
use super::token::{TokenResponse, Unspent, grant_err};
use crate::error::internal;
use crate::{Result, ServiceError, Services};

/// One refresh to write.
pub struct RefreshWrite {
    token_hash: String,
    /// The grant the token was read as belonging to.
    grant_id: Uuid,
    client_id: String,
    rotate: bool,
    /// The successor's hash, for rotation.
    next_hash: Option<String>,
    pub(crate) now: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    Written,
    /// Used before (rotation): the grant is now revoked if it was this client's.
    Reused,
    /// Unknown, or its grant revoked or expired since it was read.
    Gone,
}

/// Writes a batch's refreshes in its transaction, in a few statements
/// whatever their number: the usable tokens are taken at once and their
/// successors added at once; only the others (reused, dead) go one by one.
/// The audit events, per refresh, are for the batch to append with the rest.
pub(crate) async fn write_all(
    tx: &mut Tx,
    ws: &[&RefreshWrite],
) -> std::result::Result<Vec<(RefreshOutcome, Option<NewEvent>)>, StoreError> {
    let now = ws
        .iter()
        .map(|w| w.now)
        .max()
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let hashes = |rotate: bool| -> Vec<&str> {
        ws.iter()
            .filter(|w| w.rotate == rotate)
            .map(|w| w.token_hash.as_str())
            .collect()
    };
    let mut live: HashMap<String, Uuid> =
        oauth_grants::take_live_refreshes(tx, &hashes(true), true, now)
            .await?
            .into_iter()
            .collect();
    live.extend(oauth_grants::take_live_refreshes(tx, &hashes(false), false, now).await?);
    // A rotated token serves its first use in the batch; a second one is a reuse.
    let mut taken = HashSet::new();
    let mut successors = Vec::new();
    let mut out = Vec::with_capacity(ws.len());
    for w in ws {
        let usable = live.get(&w.token_hash) == Some(&w.grant_id)
            && (!w.rotate || taken.insert(w.token_hash.as_str()));
        if !usable {
            out.push(unusable(tx, w).await?);
            continue;
        }
        if let Some(next) = &w.next_hash {
            successors.push((next.as_str(), w.grant_id, w.now));
        }
        let event = NewEvent::new(Actor::client(&w.client_id), "oauth.refreshed")
            .subject(format!("oauth_grant:{}", w.grant_id))
            .details(serde_json::json!({ "rotated": w.rotate }));
        out.push((RefreshOutcome::Written, Some(event)));
    }
    oauth_grants::insert_refreshes(tx, &successors).await?;
    Ok(out)
}

/// Why a token could not be used; a reuse revokes its grant (if the grant
/// is the presenting client's).
async fn unusable(
    tx: &mut Tx,
    w: &RefreshWrite,
) -> std::result::Result<(RefreshOutcome, Option<NewEvent>), StoreError> {
    match oauth_grants::refresh_grant_in(tx, &w.token_hash).await? {
        Some((g, false)) => {
            let grant = oauth_grants::get_grant_in(tx, g).await?;
            let revoked = grant.is_some_and(|gr| gr.client_id == w.client_id)
                && oauth_grants::revoke_grant(tx, g, "refresh_token_reused", w.now).await?;
            let event = revoked.then(|| {
                NewEvent::new(Actor::client(&w.client_id), "oauth.refresh_reused")
                    .subject(format!("oauth_grant:{g}"))
            });
            Ok((RefreshOutcome::Reused, event))
        }
        // Unused but not live (its grant revoked or expired), or unknown.
        Some((_, true)) | None => Ok((RefreshOutcome::Gone, None)),
    }
}

fn reused() -> ServiceError {
    grant_err("the refresh token was used before; the grant is revoked")
}

impl Services {
    pub(super) async fn refresh_grant(
        &self,
        client: &Client,
        params: &BTreeMap<String, String>,
        dpop: Option<&Proof>,
        unspent: Unspent,
    ) -> Result<TokenResponse> {
        let (response, write) = match self.prepare_refresh(client, params, dpop).await {
            Ok(prepared) => prepared,
            Err(e) => return Err(self.spent_with(unspent, e).await),
        };
        let (fresh, outcome) = self.writes.refresh(&self.db, unspent.list(), write).await?;
        if let Some(e) = unspent.refusal(&fresh) {
            return Err(e);
        }
        match outcome {
            Some(RefreshOutcome::Written) => response.ok_or_else(reused),
            Some(RefreshOutcome::Reused) | None => Err(reused()),
            Some(RefreshOutcome::Gone) => Err(grant_err("the grant is revoked or expired")),
        }
    }

    /// Reads and checks the grant and signs its tokens; what to write. A
    /// token used before comes back without a response: its write is the
    /// reuse's (the grant revoked).
    async fn prepare_refresh(
        &self,
        client: &Client,
        params: &BTreeMap<String, String>,
        dpop: Option<&Proof>,
    ) -> Result<(Option<TokenResponse>, RefreshWrite)> {
        let token = params
            .get("refresh_token")
            .ok_or_else(|| ServiceError::OAuth(OAuthError::request("refresh_token is required")))?;
        let rotate = client.profile == Profile::Oidc;
        let now = self.clock.now();
        let hash = token_hash(token);
        let Some((grant, unused)) = oauth_grants::refresh_with_grant(&self.db, &hash).await? else {
            return Err(grant_err("unknown refresh token"));
        };
        let grant_id = grant.id;
        let write = |next_hash| RefreshWrite {
            token_hash: hash.clone(),
            grant_id,
            client_id: client.id.clone(),
            rotate,
            next_hash,
            now,
        };
        if rotate && !unused {
            return Ok((None, write(None)));
        }
        if grant.client_id != client.id {
            return Err(grant_err("the refresh token was issued to another client"));
        }
        if grant.revoked_at.is_some() || grant.expires_at <= now {
            return Err(grant_err("the grant is revoked or expired"));
        }
        if let Some(bound) = &grant.dpop_jkt
            && dpop.map(|p| &p.jkt) != Some(bound)
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidDpopProof,
                "the DPoP key differs from the grant's",
            )
            .into());
        }
        let scope = match params.get("scope") {
            None => grant.scope.clone(),
            Some(s) => {
                let asked = scopes::split(s);
                let had = scopes::split(&grant.scope);
                if asked.iter().any(|a| !had.contains(a)) {
                    return Err(OAuthError::new(
                        ErrorCode::InvalidScope,
                        "scope exceeds the grant",
                    )
                    .into());
                }
                asked.join(" ")
            }
        };
        let next = if rotate {
            Some(random_token().map_err(internal)?)
        } else {
            None
        };
        let openid = scopes::split(&scope).iter().any(|s| s == "openid");
        let details = self.granted_details(&grant).await?;
        let response = self
            .tokens_for(
                client,
                &grant,
                &scope,
                next.clone(),
                (openid, None),
                details,
            )
            .await?;
        Ok((Some(response), write(next.as_deref().map(token_hash))))
    }
}
