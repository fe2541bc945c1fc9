//! The OpenID Connect provider's use cases: clients, client
//! authentication, pushed and direct authorization requests, the consent
//! decision, the token endpoint, and the resource side (userinfo,
//! introspection, revocation). Protocol rules live in `propusk-oidc`; this
//! adds storage, keys, the clock and audit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use propusk_oidc::{Alg, KeySet, OAuthError, SigningKey};

pub mod authorize;
mod claims;
pub mod client_auth;
pub mod clients;
mod dpop;
pub mod failures;
pub mod logout;
pub mod partner;
pub mod portal;
pub mod rate;
pub(crate) mod refresh;
pub mod resource;
pub mod token;

pub use clients::{Client, CreatedClient, NewClient};

use crate::{Result, ServiceError, Services};

/// How long a node trusts what it read of keys and clients. Key rotation
/// and client changes made on another node are seen within this time.
pub const CACHE_TTL: Duration = Duration::from_secs(30);

/// The provider's keys as this node holds them: parsed, ready to sign.
pub struct ProviderKeys {
    active: HashMap<&'static str, Arc<SigningKey>>,
    pub published: KeySet,
}

impl ProviderKeys {
    pub fn signer(&self, alg: Alg) -> Result<&SigningKey> {
        self.active
            .get(alg.as_str())
            .map(|k| k.as_ref())
            .ok_or_else(|| crate::error::internal(format!("no active {} key", alg.as_str())))
    }
}

/// Per-node caches of keys and clients (the database stays the truth).
pub struct OAuthCache {
    keys: RwLock<Option<(Instant, Arc<ProviderKeys>)>>,
    clients: Mutex<HashMap<String, (Instant, Arc<Client>)>>,
    /// Keys fetched from clients' `jwks_uri`, by URI.
    jwks: Mutex<HashMap<String, (Instant, Arc<KeySet>)>>,
    /// For fetching them: short timeouts, no redirects.
    http: reqwest::Client,
    rates: rate::RateLimits,
    /// Direct (not pushed) authorization requests per address and minute:
    /// each is stored, and nothing else bounds who may ask.
    direct: Mutex<HashMap<std::net::IpAddr, (i64, u32)>>,
    /// Refused requests, counted for the audit log.
    failures: failures::Failures,
}

impl Default for OAuthCache {
    fn default() -> Self {
        OAuthCache {
            keys: RwLock::default(),
            clients: Mutex::default(),
            jwks: Mutex::default(),
            rates: rate::RateLimits::default(),
            direct: Mutex::default(),
            failures: failures::Failures::default(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
        }
    }
}

impl OAuthCache {
    /// Forgets everything, e.g. after a key rotation on this node.
    pub fn clear(&self) {
        if let Ok(mut k) = self.keys.write() {
            *k = None;
        }
        if let Ok(mut c) = self.clients.lock() {
            c.clear();
        }
    }

    /// Drops one client, after a change made on this node (other nodes
    /// see it within [`CACHE_TTL`]).
    pub fn forget_client(&self, client_id: &str) {
        if let Ok(mut c) = self.clients.lock() {
            c.remove(client_id);
        }
    }
}

impl From<OAuthError> for ServiceError {
    fn from(e: OAuthError) -> Self {
        ServiceError::OAuth(e)
    }
}

impl Services {
    /// The issuer identifier: the public base URL.
    pub fn issuer(&self) -> &str {
        &self.public_base
    }

    pub(crate) fn unix_now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// The keys, from the cache or freshly from the database.
    pub async fn provider_keys(&self) -> Result<Arc<ProviderKeys>> {
        if let Ok(guard) = self.oauth.keys.read()
            && let Some((at, keys)) = guard.as_ref()
            && at.elapsed() < CACHE_TTL
        {
            return Ok(keys.clone());
        }
        // One read serves both: the signers and the published set.
        let rows = propusk_store::signing_keys::published(&self.db, self.clock.now()).await?;
        let mut active = HashMap::new();
        for alg in Alg::ALL {
            if let Some(Ok(k)) =
                crate::signing::active_key(&rows, alg).map(|row| self.open_signing_key(row, alg))
            {
                active.insert(alg.as_str(), Arc::new(k));
            }
        }
        let published = KeySet::from_jwks(&crate::signing::jwks_of(&rows)?);
        let keys = Arc::new(ProviderKeys { active, published });
        if let Ok(mut guard) = self.oauth.keys.write() {
            *guard = Some((Instant::now(), keys.clone()));
        }
        Ok(keys)
    }
}
