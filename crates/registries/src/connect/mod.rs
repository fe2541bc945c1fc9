//! Connectors: Propusk's clients of the state registries.
//!
//! Every call has a per-attempt timeout; timeouts, connection failures and
//! 5xx answers are retried with exponential back-off and jitter (a 4xx is
//! never retried: asking again will not change it); a circuit breaker per
//! registry stops calls to one that keeps failing. Each attempt is counted
//! in metrics by registry and outcome. Logs name the registry, the operation
//! and the outcome, never a URL or a body, so no identifier reaches them.

mod breaker;
mod calls;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde::de::DeserializeOwned;

pub use breaker::{Breaker, BreakerConfig, Permit};

use crate::codes::mix;

/// The registries Propusk talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Registry {
    Fns,
    Mvd,
    Sfr,
    Rosreestr,
    Gisgmp,
}

impl Registry {
    pub const ALL: [Registry; 5] = [
        Registry::Fns,
        Registry::Mvd,
        Registry::Sfr,
        Registry::Rosreestr,
        Registry::Gisgmp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Registry::Fns => "fns",
            Registry::Mvd => "mvd",
            Registry::Sfr => "sfr",
            Registry::Rosreestr => "rosreestr",
            Registry::Gisgmp => "gisgmp",
        }
    }

    /// The name people know it by.
    pub fn title(self) -> &'static str {
        match self {
            Registry::Fns => "ФНС",
            Registry::Mvd => "МВД",
            Registry::Sfr => "СФР",
            Registry::Rosreestr => "Росреестр",
            Registry::Gisgmp => "ГИС ГМП",
        }
    }

    /// The registry that holds a catalogue source's data.
    pub fn of(source: propusk_core::consent::Source) -> Registry {
        use propusk_core::consent::Source;
        match source {
            Source::Fns => Registry::Fns,
            Source::Mvd => Registry::Mvd,
            Source::Sfr => Registry::Sfr,
            Source::Rosreestr => Registry::Rosreestr,
            Source::GisGmp => Registry::Gisgmp,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum RegistryError {
    /// Down, slow or failing after every retry, or its circuit is open: try later.
    #[error("{} unavailable: {reason}", registry.title())]
    Unavailable {
        registry: Registry,
        reason: String,
        /// When the circuit will let calls through again, if it is open.
        retry_after: Option<Duration>,
    },
    /// The registry refused the request as malformed (4xx): asking again
    /// will not help.
    #[error("{} refused the request ({status}): {detail}", registry.title())]
    Refused {
        registry: Registry,
        status: u16,
        detail: String,
    },
    /// The answer did not parse.
    #[error("{} answered in an unexpected form: {detail}", registry.title())]
    Protocol { detail: String, registry: Registry },
}

impl RegistryError {
    pub fn registry(&self) -> Registry {
        match self {
            RegistryError::Unavailable { registry, .. }
            | RegistryError::Refused { registry, .. }
            | RegistryError::Protocol { registry, .. } => *registry,
        }
    }

    /// Whether the same call may succeed later.
    pub fn is_transient(&self) -> bool {
        matches!(self, RegistryError::Unavailable { .. })
    }
}

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub timeout: Duration,
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            timeout: Duration::from_secs(5),
            attempts: 4,
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The pause before attempt `n + 1` after `n` failures: "equal jitter",
    /// half of the doubled delay fixed and half random, so that callers that
    /// failed together do not come back together.
    pub fn backoff(&self, failures: u32, random: u64) -> Duration {
        let exp = self
            .backoff_base
            .saturating_mul(1u32 << failures.saturating_sub(1).min(16))
            .min(self.backoff_cap);
        let half = exp / 2;
        let jitter_ns = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(if jitter_ns == 0 {
            0
        } else {
            random % jitter_ns
        })
    }
}

/// Where each registry lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub fns: String,
    pub mvd: String,
    pub sfr: String,
    pub rosreestr: String,
    pub gisgmp: String,
}

impl Endpoints {
    /// All five behind one base URL (the emulator serves them so).
    pub fn one_base(base: &str) -> Endpoints {
        let b = base.trim_end_matches('/');
        Endpoints {
            fns: format!("{b}/fns"),
            mvd: format!("{b}/mvd"),
            sfr: format!("{b}/sfr"),
            rosreestr: format!("{b}/rosreestr"),
            gisgmp: format!("{b}/gisgmp"),
        }
    }

    fn of(&self, r: Registry) -> &str {
        match r {
            Registry::Fns => &self.fns,
            Registry::Mvd => &self.mvd,
            Registry::Sfr => &self.sfr,
            Registry::Rosreestr => &self.rosreestr,
            Registry::Gisgmp => &self.gisgmp,
        }
    }
}

/// The connectors, one client shared by all five registries. Cheap to share
/// behind an `Arc`.
#[derive(Debug)]
pub struct Registries {
    http: reqwest::Client,
    endpoints: Endpoints,
    policy: RetryPolicy,
    breakers: [Breaker; 5],
    jitter: AtomicU64,
}

/// One outcome of one attempt, for metrics and the retry decision.
enum Attempt<T> {
    Done(Option<T>),
    Retry(String),
    Fail(RegistryError),
}

impl Registries {
    pub fn new(
        endpoints: Endpoints,
        policy: RetryPolicy,
        breaker: BreakerConfig,
    ) -> Result<Registries> {
        let http = reqwest::Client::builder()
            .connect_timeout(policy.timeout.min(Duration::from_secs(3)))
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| RegistryError::Protocol {
                detail: e.without_url().to_string(),
                registry: Registry::Fns,
            })?;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Ok(Registries {
            http,
            endpoints,
            policy,
            breakers: Registry::ALL.map(|_| Breaker::new(breaker)),
            jitter: AtomicU64::new(seed),
        })
    }

    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    pub fn breaker(&self, r: Registry) -> &Breaker {
        &self.breakers[r.index()]
    }

    fn url(&self, r: Registry, path: &str) -> String {
        format!("{}{path}", self.endpoints.of(r))
    }

    /// GET `path`; 404 is `Ok(None)`.
    async fn get<T: DeserializeOwned>(
        &self,
        r: Registry,
        op: &'static str,
        path: &str,
    ) -> Result<Option<T>> {
        let url = self.url(r, path);
        self.call(r, op, || self.http.get(&url)).await
    }

    /// PUT a JSON body to `path` (an idempotent filing); 404 is `Ok(None)`.
    async fn put<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        r: Registry,
        op: &'static str,
        path: &str,
        body: &B,
    ) -> Result<Option<T>> {
        let url = self.url(r, path);
        self.call(r, op, || self.http.put(&url).json(body)).await
    }

    /// POST a JSON body to `path`; 404 is `Ok(None)`.
    async fn post<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        r: Registry,
        op: &'static str,
        path: &str,
        body: &B,
    ) -> Result<Option<T>> {
        let url = self.url(r, path);
        self.call(r, op, || self.http.post(&url).json(body)).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        r: Registry,
        op: &'static str,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Option<T>> {
        let breaker = self.breaker(r);
        let mut last = String::new();
        for attempt in 1..=self.policy.attempts {
            if let Permit::Wait(after) = breaker.permit(Instant::now()) {
                metrics::counter!("propusk_registry_requests_total", "registry" => r.name(), "outcome" => "circuit_open").increment(1);
                return Err(RegistryError::Unavailable {
                    registry: r,
                    reason: if last.is_empty() {
                        "circuit open".into()
                    } else {
                        last
                    },
                    retry_after: Some(after),
                });
            }
            let started = Instant::now();
            let outcome = self.attempt(r, &request).await;
            metrics::histogram!("propusk_registry_request_seconds", "registry" => r.name())
                .record(started.elapsed().as_secs_f64());
            match outcome {
                Attempt::Done(v) => {
                    breaker.success();
                    return Ok(v);
                }
                Attempt::Fail(e) => {
                    // The registry answered: it is up, even if it did not like us.
                    breaker.success();
                    tracing::warn!(registry = r.name(), operation = op, error = %e, "registry refused a request");
                    return Err(e);
                }
                Attempt::Retry(reason) => {
                    let opened = breaker.failure(Instant::now());
                    metrics::gauge!("propusk_registry_circuit_open", "registry" => r.name())
                        .set(if breaker.is_open() { 1.0 } else { 0.0 });
                    tracing::info!(
                        registry = r.name(),
                        operation = op,
                        attempt,
                        reason = %reason,
                        circuit_opened = opened,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "registry attempt failed"
                    );
                    last = reason;
                    if attempt < self.policy.attempts {
                        metrics::counter!("propusk_registry_retries_total", "registry" => r.name())
                            .increment(1);
                        let random = mix(self.jitter.fetch_add(0x9e37_79b9, Ordering::Relaxed));
                        tokio::time::sleep(self.policy.backoff(attempt, random)).await;
                    }
                }
            }
        }
        Err(RegistryError::Unavailable {
            registry: r,
            reason: last,
            retry_after: None,
        })
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        r: Registry,
        request: &impl Fn() -> reqwest::RequestBuilder,
    ) -> Attempt<T> {
        let count = |outcome: &'static str| {
            metrics::counter!("propusk_registry_requests_total", "registry" => r.name(), "outcome" => outcome).increment(1);
        };
        let response = match request()
            .timeout(self.policy.timeout)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
        {
            Ok(res) => res,
            Err(e) if e.is_timeout() => {
                count("timeout");
                return Attempt::Retry("timeout".into());
            }
            Err(e) => {
                count("connect_error");
                return Attempt::Retry(format!("connection: {}", e.without_url()));
            }
        };
        let status = response.status();
        if status.is_server_error() {
            count("server_error");
            return Attempt::Retry(format!("HTTP {}", status.as_u16()));
        }
        if status == StatusCode::NOT_FOUND {
            count("not_found");
            return Attempt::Done(None);
        }
        if !status.is_success() {
            count("client_error");
            let detail = response
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_owned))
                .unwrap_or_default();
            return Attempt::Fail(RegistryError::Refused {
                registry: r,
                status: status.as_u16(),
                detail,
            });
        }
        match response.json::<T>().await {
            Ok(v) => {
                count("ok");
                Attempt::Done(Some(v))
            }
            Err(e) if e.is_timeout() => {
                count("timeout");
                Attempt::Retry("timeout".into())
            }
            Err(e) => {
                count("bad_answer");
                Attempt::Fail(RegistryError::Protocol {
                    detail: e.without_url().to_string(),
                    registry: r,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter_in_the_upper_half() {
        let p = RetryPolicy::default();
        for (failures, max_ms) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (5, 1_600),
            (6, 2_000),
            (30, 2_000),
        ] {
            for r in [0, 1, 12_345, u64::MAX] {
                let d = p.backoff(failures, r);
                assert!(
                    d >= Duration::from_millis(max_ms / 2) && d <= Duration::from_millis(max_ms),
                    "{failures}: {d:?}"
                );
            }
        }
    }
}
