//! The state-registry emulator: an HTTP server that answers as ФНС, МВД,
//! СФР, Росреестр and ГИС ГМП would, from a [`Population`].
//!
//! `propusk emulator` runs it as its own process; the default `propusk` run
//! mounts it in-process. `--latency-ms` delays every answer and
//! `--fault-rate` makes that share of answers fail with 500, 503 or 504, so
//! that the connectors' retries and circuit breaker are exercised for real.
//! Faults are drawn from the seed and a request counter: a run with the same
//! seed and the same order of requests fails the same requests.

mod convert;
mod corrections;
mod routes;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::codes::mix;
use crate::population::Population;

pub use routes::ApiDoc;

/// How the emulator misbehaves.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    pub latency: Duration,
    /// 0.0 to 1.0: the share of requests that fail.
    pub rate: f64,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub population: Population,
    pub faults: Faults,
    requests: AtomicU64,
    /// Payments reported per UIN: payment id → amount. Kept in memory: the
    /// emulator's only state, lost on restart like a test stand's.
    pub payments: Mutex<HashMap<String, HashMap<String, i64>>>,
    /// Correction requests filed, by the sender's id; in memory too.
    pub corrections: Mutex<HashMap<String, corrections::Filed>>,
}

/// Shared by every handler. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Emulator(pub(crate) Arc<Inner>);

impl Emulator {
    pub fn new(population: Population, faults: Faults) -> Emulator {
        Emulator(Arc::new(Inner {
            population,
            faults,
            requests: AtomicU64::new(0),
            payments: Mutex::new(HashMap::new()),
            corrections: Mutex::new(HashMap::new()),
        }))
    }

    pub fn population(&self) -> &Population {
        &self.0.population
    }

    /// The emulator's routes under `/fns`, `/mvd`, `/sfr`, `/rosreestr` and
    /// `/gisgmp`, with `/healthz` and `/openapi.json`. The fault layer
    /// spares the last two.
    pub fn router(&self) -> Router {
        let api = routes::api()
            .layer(middleware::from_fn_with_state(self.clone(), misbehave))
            .with_state(self.clone());
        Router::new()
            .route("/healthz", axum::routing::get(|| async { "ok" }))
            .route("/openapi.json", axum::routing::get(routes::openapi))
            .merge(api)
    }

    /// Serves on `listener` until `shutdown` resolves.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// Whether the `n`-th request fails, and how.
    fn fault(&self, n: u64) -> Option<StatusCode> {
        let rate = self.0.faults.rate;
        if rate <= 0.0 {
            return None;
        }
        let draw = mix(self.0.population.seed() ^ mix(n.wrapping_add(0x5eed)));
        let unit = (draw >> 11) as f64 / (1u64 << 53) as f64;
        if unit >= rate {
            return None;
        }
        Some(match draw % 10 {
            0..=5 => StatusCode::SERVICE_UNAVAILABLE,
            6 | 7 => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::GATEWAY_TIMEOUT,
        })
    }
}

async fn misbehave(State(emu): State<Emulator>, req: Request, next: Next) -> Response {
    let n = emu.0.requests.fetch_add(1, Ordering::Relaxed);
    let latency = emu.0.faults.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(status) = emu.fault(n) {
        return routes::problem(status, "fault", "Injected fault (emulator --fault-rate)")
            .into_response();
    }
    next.run(req).await
}
