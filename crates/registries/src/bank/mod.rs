//! The demo partner bank: a small OpenID Connect provider whose customers
//! are a part of the registries' population (every other person, and the
//! demo people), so that a bank's word about a person can be matched with
//! the registries. `propusk demo-bank` runs it as its own process; the
//! default `propusk` run mounts it in-process.
//!
//! Code flow with PKCE (S256 only) and a nonce; `client_secret_basic` or
//! `client_secret_post`; codes single-use for 60 s. The token response
//! carries, beside the ID token, an `identity_assertion`: a JWS (typ
//! `identity-assertion+jwt`) in which the bank states who the customer is
//! and when it last verified them.
//!
//! It is also a relying party of Propusk (`rp`): «Войти через Пропуск» on
//! its home page, with the FAPI 2.0 profile.

mod keys;
mod routes;
mod rp;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;

pub use keys::{KeyError, SigningKey, new_signing_key, random_token, s256};
pub use routes::{AssertedPassport, IdentityAssertion};
pub use rp::{RP_SCOPES, RpConfig};

use crate::population::Population;

/// What the demo bank is called on its pages and in Propusk's list.
pub const DEMO_BANK_NAME: &str = "Демо-банк";

/// The demo password of every bank customer.
pub const CUSTOMER_PASSWORD: &str = "Bank-Demo-2026";

/// How the bank is set up.
#[derive(Debug, Clone)]
pub struct BankConfig {
    /// The bank's own base URL (its issuer identifier).
    pub issuer: String,
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    /// Exact redirect URIs of the one client (Propusk).
    pub redirect_uris: Vec<String>,
}

/// A granted code waiting for the token request.
#[derive(Debug, Clone)]
struct Grant {
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
    customer: u64,
    expires: Instant,
}

#[derive(Debug)]
struct Inner {
    config: BankConfig,
    population: Population,
    key: SigningKey,
    codes: Mutex<HashMap<String, Grant>>,
    /// As Propusk's client: its `private_key_jwt` key, where Propusk is,
    /// sign-ins under way, and the last DPoP nonce Propusk gave.
    rp_key: SigningKey,
    rp: std::sync::OnceLock<RpConfig>,
    rp_pending: rp::Pending,
    rp_nonce: Mutex<Option<String>>,
    http: reqwest::Client,
}

#[derive(Debug, Clone)]
pub struct DemoBank(Arc<Inner>);

const CODE_LIFETIME: Duration = Duration::from_secs(60);

impl DemoBank {
    pub fn new(config: BankConfig, population: Population) -> Result<DemoBank, KeyError> {
        Ok(DemoBank(Arc::new(Inner {
            config,
            population,
            key: new_signing_key()?,
            codes: Mutex::new(HashMap::new()),
            rp_key: new_signing_key()?,
            rp: std::sync::OnceLock::new(),
            rp_pending: Mutex::new(HashMap::new()),
            rp_nonce: Mutex::new(None),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|_| KeyError::Generate)?,
        })))
    }

    /// The bank's signing key: what it signs, Propusk checks against its JWKS.
    pub fn key(&self) -> &SigningKey {
        &self.0.key
    }

    pub fn config(&self) -> &BankConfig {
        &self.0.config
    }

    /// Whether person `index` banks here: every other person, and the demo people.
    pub fn is_customer(index: u64) -> bool {
        index < crate::population::FIXTURES.len() as u64 || index.is_multiple_of(2)
    }

    /// The bank's customer number of person `index`.
    pub fn customer_id(index: u64) -> String {
        format!("DB-{:08}", index)
    }

    pub fn router(&self) -> Router {
        routes::router(self.clone())
    }

    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    fn take_code(&self, code: &str) -> Option<Grant> {
        let mut codes = self.0.codes.lock().ok()?;
        let now = Instant::now();
        codes.retain(|_, g| g.expires > now);
        codes.remove(code)
    }

    fn put_code(&self, grant: Grant) -> String {
        let code = random_token(32);
        if let Ok(mut codes) = self.0.codes.lock() {
            codes.insert(code.clone(), grant);
        }
        code
    }
}
