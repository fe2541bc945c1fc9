//! The partner banks Propusk is a client of, and the OpenID Connect side of
//! talking to them (the `openidconnect` crate): discovery, the
//! authorization URL with PKCE S256 and a nonce, the code exchange, and the
//! ID token check. The discovery document and the bank's keys are kept for
//! ten minutes, and fetched again at once when a token names a key we do
//! not have (the bank rotated its keys).

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken, EmptyAdditionalClaims,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, ExtraTokenFields, IdTokenFields, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    StandardErrorResponse, StandardTokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::http::{BankHttp, BankHttpError};

/// A bank as the operator configures it.
#[derive(Clone, PartialEq, Eq)]
pub struct PartnerBank {
    /// Stable short name, stored with each link (`demo`, `alfa`).
    pub id: String,
    /// What people see.
    pub name: String,
    /// The bank's issuer identifier; discovery is fetched from under it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for PartnerBank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerBank")
            .field("id", &self.id)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The token response's extra member: the bank's signed statement.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AssertionField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_assertion: Option<String>,
}

impl ExtraTokenFields for AssertionField {}

type BankIdTokenFields = IdTokenFields<
    EmptyAdditionalClaims,
    AssertionField,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type BankTokenResponse = StandardTokenResponse<BankIdTokenFields, CoreTokenType>;
type BankClient = Client<
    EmptyAdditionalClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    BankTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

const METADATA_TTL: Duration = Duration::from_secs(600);

/// Why talking to a bank did not give tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankFailure {
    /// No answer, or 5xx, after the retries: try later.
    Unavailable(String),
    /// 401 from the token endpoint: our request's credentials or code were
    /// not accepted; a fresh sign-in at the bank may help.
    Unauthorized(String),
    /// 400 or another refusal: the bank's error code and description.
    Refused(String),
    /// The bank's answer broke the protocol (no ID token, a bad one).
    Invalid(&'static str, String),
}

/// Tokens from a successful exchange.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The ID token's `sub`.
    pub subject: String,
    pub assertion: Option<String>,
}

struct Cached {
    metadata: CoreProviderMetadata,
    /// The same keys as `metadata.jwks()`, for `jsonwebtoken`.
    keys: jsonwebtoken::jwk::JwkSet,
    fetched: Instant,
}

struct Entry {
    bank: PartnerBank,
    cache: Mutex<Option<Arc<Cached>>>,
    /// The authorization endpoint's origin once discovery has given it.
    authorize_origin: std::sync::RwLock<Option<String>>,
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let u = openidconnect::url::Url::parse(url).ok()?;
    Some(u.origin().ascii_serialization()).filter(|o| o != "null")
}

/// Every configured bank, with what was learnt about each.
#[derive(Clone)]
pub struct PartnerBanks {
    entries: Arc<Vec<Entry>>,
    http: BankHttp,
}

impl std::fmt::Debug for PartnerBanks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| &e.bank))
            .finish()
    }
}

/// What the start of a sign-in at a bank gives: where to send the person,
/// and what to keep until they come back.
#[derive(Debug)]
pub struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

impl PartnerBanks {
    pub fn new(banks: Vec<PartnerBank>, http: BankHttp) -> PartnerBanks {
        PartnerBanks {
            entries: Arc::new(
                banks
                    .into_iter()
                    .map(|bank| Entry {
                        bank,
                        cache: Mutex::new(None),
                        authorize_origin: std::sync::RwLock::new(None),
                    })
                    .collect(),
            ),
            http,
        }
    }

    pub fn list(&self) -> impl Iterator<Item = &PartnerBank> {
        self.entries.iter().map(|e| &e.bank)
    }

    /// Where a form of ours may send people: every bank's issuer origin
    /// and, once known, its authorization endpoint's (for the page's
    /// `form-action`, which also governs the redirect after the form).
    pub fn origins(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in self.entries.iter() {
            let known = e.authorize_origin.read().ok().and_then(|o| o.clone());
            for o in [origin_of(&e.bank.issuer), known].into_iter().flatten() {
                if !out.contains(&o) {
                    out.push(o);
                }
            }
        }
        out
    }

    pub fn get(&self, id: &str) -> Option<&PartnerBank> {
        self.entry(id).map(|e| &e.bank)
    }

    fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.bank.id == id)
    }

    /// The bank's metadata, from the cache unless it is old or `refresh`.
    async fn metadata(&self, entry: &Entry, refresh: bool) -> Result<Arc<Cached>, BankFailure> {
        let mut cache = entry.cache.lock().await;
        if let Some(c) = cache.as_ref()
            && !refresh
            && c.fetched.elapsed() < METADATA_TTL
        {
            return Ok(c.clone());
        }
        let issuer = IssuerUrl::new(entry.bank.issuer.clone())
            .map_err(|e| BankFailure::Invalid("issuer", e.to_string()))?;
        let call = self.http.call();
        let metadata = CoreProviderMetadata::discover_async(issuer, &call)
            .await
            .map_err(|e| match e {
                openidconnect::DiscoveryError::Request(BankHttpError::Request(m)) => {
                    BankFailure::Invalid("discovery", m)
                }
                openidconnect::DiscoveryError::Request(e) => {
                    BankFailure::Unavailable(e.to_string())
                }
                other => BankFailure::Invalid("discovery", other.to_string()),
            })?;
        let keys = serde_json::to_value(metadata.jwks())
            .and_then(serde_json::from_value)
            .map_err(|e| BankFailure::Invalid("jwks", e.to_string()))?;
        if let Ok(mut o) = entry.authorize_origin.write() {
            *o = origin_of(metadata.authorization_endpoint().as_str());
        }
        let fresh = Arc::new(Cached {
            metadata,
            keys,
            fetched: Instant::now(),
        });
        *cache = Some(fresh.clone());
        Ok(fresh)
    }

    fn client(
        bank: &PartnerBank,
        cached: &Cached,
        redirect: &str,
    ) -> Result<BankClient, BankFailure> {
        let redirect = RedirectUrl::new(redirect.to_owned())
            .map_err(|e| BankFailure::Invalid("redirect_uri", e.to_string()))?;
        Ok(Client::from_provider_metadata(
            cached.metadata.clone(),
            ClientId::new(bank.client_id.clone()),
            Some(ClientSecret::new(bank.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// Where to send the person to sign in at `bank`, with fresh state,
    /// nonce and PKCE verifier.
    pub async fn start(&self, bank: &str, redirect: &str) -> Result<Started, BankFailure> {
        let entry = self
            .entry(bank)
            .ok_or(BankFailure::Invalid("bank", "not configured".into()))?;
        let cached = self.metadata(entry, false).await?;
        let client = Self::client(&entry.bank, &cached, redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("identity".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// The bank's issuer identifier as its discovery document gives it.
    pub fn issuer(&self, bank: &str) -> Option<&str> {
        self.get(bank).map(|b| b.issuer.trim_end_matches('/'))
    }

    /// Exchanges the code and checks the ID token (signature with the
    /// bank's keys, issuer, audience, expiry, nonce). Returns the tokens and
    /// the bank's keys, for the assertion check.
    pub async fn exchange(
        &self,
        bank: &str,
        redirect: &str,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<(Tokens, jsonwebtoken::jwk::JwkSet), BankFailure> {
        let entry = self
            .entry(bank)
            .ok_or(BankFailure::Invalid("bank", "not configured".into()))?;
        let mut cached = self.metadata(entry, false).await?;
        let client = Self::client(&entry.bank, &cached, redirect)?;
        let call = self.http.call();
        let request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| BankFailure::Invalid("token_endpoint", e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()));
        let response = match request.request_async(&call).await {
            Ok(r) => r,
            Err(RequestTokenError::Request(BankHttpError::Request(m))) => {
                return Err(BankFailure::Invalid("token_request", m));
            }
            Err(RequestTokenError::Request(e)) => {
                return Err(BankFailure::Unavailable(e.to_string()));
            }
            Err(e) => {
                let what = match &e {
                    RequestTokenError::ServerResponse(r) => match r.error_description() {
                        Some(d) => format!("{}: {d}", r.error().as_ref()),
                        None => r.error().as_ref().to_owned(),
                    },
                    RequestTokenError::Parse(_, _) => "unreadable answer".to_owned(),
                    other => other.to_string(),
                };
                let what: String = what.chars().take(200).collect();
                return Err(if call.last_status() == 401 {
                    BankFailure::Unauthorized(what)
                } else {
                    BankFailure::Refused(what)
                });
            }
        };
        let id_token = response
            .extra_fields()
            .id_token()
            .ok_or(BankFailure::Invalid("id_token_missing", String::new()))?;
        let assertion = response
            .extra_fields()
            .extra_fields()
            .identity_assertion
            .clone();
        // A key we have not seen: the bank rotated; learn its keys again.
        if let Some(kid) = assertion
            .as_deref()
            .and_then(|a| jsonwebtoken::decode_header(a).ok())
            .and_then(|h| h.kid)
            && !cached
                .keys
                .keys
                .iter()
                .any(|k| k.common.key_id.as_deref() == Some(&kid))
        {
            cached = self.metadata(entry, true).await?;
        }
        let client = Self::client(&entry.bank, &cached, redirect)?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_owned()))
            .map_err(|e| BankFailure::Invalid("id_token_invalid", e.to_string()))?;
        Ok((
            Tokens {
                subject: claims.subject().as_str().to_owned(),
                assertion,
            },
            cached.keys.clone(),
        ))
    }
}
