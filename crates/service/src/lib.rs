//! The use cases of Propusk: each function takes typed input, applies the
//! rules of `propusk-core`, and writes through `propusk-store` in one
//! transaction with its audit event and outbox messages. Web handlers call one
//! of these; so do tests and command-line tools.
//!
//! Everything a use case needs from outside (database, key ring, password
//! hasher, clock) comes in through [`Services`], so tests can fix the clock.

use std::sync::Arc;

use hashing::Passwords;
use propusk_core::otp::CodePolicy;
use propusk_core::password::Hasher;
use propusk_core::signin::{AddressLimit, LockoutPolicy, SessionPolicy};
use propusk_core::time::Clock;
use propusk_core::vault::KeyRing;
use propusk_store::Db;

pub mod admin;
pub mod business;
pub mod cabinet;
pub mod confirm;
pub mod consents;
pub mod contacts;
pub mod deletion;
pub mod delivery;
pub mod demo;
mod error;
pub mod factor;
pub mod format;
pub mod group_commit;
pub mod hashing;
pub mod housekeeping;
pub mod identity;
pub mod jobs;
mod links;
pub mod notify;
pub mod oauth;
pub mod org;
pub mod password;
pub mod profile;
pub mod registration;
pub mod rights;
pub mod seed;
pub mod sessions;
pub mod signin;
pub mod signing;
mod sms_codes;
pub mod webhooks;
pub mod writes;

pub use error::{FieldProblem, ServiceError};

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub vault: Arc<KeyRing>,
    pub passwords: Arc<Passwords>,
    pub clock: Arc<dyn Clock>,
    pub codes: CodePolicy,
    /// Where links in messages point, without a trailing slash.
    pub public_base: Arc<str>,
    pub lockout: LockoutPolicy,
    pub address_limit: AddressLimit,
    pub sessions: SessionPolicy,
    /// The state registries, when this node can reach them.
    pub registries: Option<Arc<propusk_registries::connect::Registries>>,
    /// The partner banks that confirm identities, when any are configured.
    pub banks: Option<Arc<confirm::PartnerBanks>>,
    /// The OpenID provider's per-node caches of keys and clients.
    pub oauth: Arc<oauth::OAuthCache>,
    /// Small writes of concurrent requests, group-committed: replay
    /// memory, refresh grants, token audit events.
    pub writes: writes::SmallWrites,
    /// This node's name in job leases (`jobs`): unique per process start.
    pub node: Arc<str>,
}

impl Services {
    /// Checks a signed-in person's password again before a sensitive action
    /// (argon2id off the async threads). `BadCredentials` if it is wrong.
    pub(crate) async fn confirm_password(
        &self,
        account_id: uuid::Uuid,
        password: &str,
    ) -> Result<()> {
        let row = propusk_store::accounts::get(&self.db, account_id).await?;
        let verified = self.verify_hash(password, Some(row.password_hash)).await?;
        if verified.ok {
            Ok(())
        } else {
            Err(ServiceError::BadCredentials)
        }
    }

    /// argon2id verification on the blocking pool; `None` checks against the
    /// dummy hash so unknown accounts cost the same.
    pub(crate) async fn verify_hash(
        &self,
        password: &str,
        stored: Option<String>,
    ) -> Result<propusk_core::password::Verified> {
        self.passwords.verify(password, stored).await
    }

    /// Services with the default policies; callers adjust the public fields.
    pub fn new(
        db: Db,
        vault: Arc<KeyRing>,
        hasher: Arc<Hasher>,
        clock: Arc<dyn Clock>,
        public_base: Arc<str>,
    ) -> Services {
        Services {
            db,
            vault,
            passwords: Arc::new(Passwords::per_core(hasher)),
            clock,
            codes: CodePolicy::default(),
            public_base,
            lockout: LockoutPolicy::default(),
            address_limit: AddressLimit::default(),
            sessions: SessionPolicy::default(),
            registries: None,
            banks: None,
            oauth: Arc::default(),
            writes: writes::SmallWrites::default(),
            node: format!("{}-{}", std::process::id(), uuid::Uuid::now_v7().simple()).into(),
        }
    }
}
