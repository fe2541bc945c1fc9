//! DPoP at this provider: server nonces and the shared replay store.
//!
//! A nonce is an HMAC (the vault's blind index) of the current minute, so
//! every node issues and accepts the same ones without sharing state; the
//! previous minute's stays valid so a nonce handed out at :59 still works.

use propusk_oidc::OAuthError;
use propusk_oidc::dpop::{self, Expect, Proof};
use time::OffsetDateTime;

use crate::writes::Once;
use crate::{Result, ServiceError, Services};

const WINDOW: i64 = 60;

impl Services {
    fn nonce_for(&self, window: i64) -> String {
        let mac = self.vault.blind_index("dpop-nonce", &window.to_string());
        hex::encode(&mac[..16])
    }

    /// The nonce to hand out now (`DPoP-Nonce`).
    pub fn dpop_nonce(&self) -> String {
        self.nonce_for(self.unix_now().div_euclid(WINDOW))
    }

    fn nonce_valid(&self, n: &str) -> bool {
        let w = self.unix_now().div_euclid(WINDOW);
        n == self.nonce_for(w) || n == self.nonce_for(w - 1)
    }

    /// Checks a DPoP proof for `method` on `url` (the endpoint's public
    /// URL) and remembers its `jti`. `require_nonce` at the authorization
    /// server's endpoints.
    pub async fn check_dpop(
        &self,
        proof: &str,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        require_nonce: bool,
    ) -> Result<Proof> {
        let (proof, once) =
            self.check_dpop_once(proof, method, url, access_token, require_nonce)?;
        if !self.writes.seen_once(&self.db, once).await? {
            return Err(replayed_proof());
        }
        Ok(proof)
    }

    /// The same with the proof's `jti` back unspent, for the token
    /// endpoint's grant to spend in its own write.
    pub fn check_dpop_once(
        &self,
        proof: &str,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        require_nonce: bool,
    ) -> Result<(Proof, Once)> {
        let proof = {
            let nonce_ok = |n: &str| self.nonce_valid(n);
            let expect = Expect {
                method,
                url,
                now: self.unix_now(),
                access_token,
                nonce_ok: if require_nonce { Some(&nonce_ok) } else { None },
            };
            dpop::check(proof, &expect)?
        };
        let until = OffsetDateTime::from_unix_timestamp(proof.remember_until())
            .map_err(crate::error::internal)?;
        let once = Once {
            scope: format!("dpop:{}", proof.jkt),
            id: proof.jti.clone(),
            expires_at: until,
            now: self.clock.now(),
        };
        Ok((proof, once))
    }
}

pub(crate) fn replayed_proof() -> ServiceError {
    ServiceError::OAuth(OAuthError::new(
        propusk_oidc::ErrorCode::InvalidDpopProof,
        "DPoP proof: jti was used before",
    ))
}
