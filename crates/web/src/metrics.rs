//! Prometheus metrics: requests by route and status, a latency histogram, and
//! the database pool, served from our own router at `/metrics` (no second
//! listener to secure).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const LATENCY: &str = "http_request_duration_seconds";
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide recorder, installed on first use. Several servers in one
/// process (tests) share it; `None` if another recorder was installed first.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(LATENCY.into()), &BUCKETS)
                .ok()?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// Where the router leaves the route it matched. The metrics layer wraps the
/// router from outside (see `server::build_router`), where `MatchedPath` is
/// not known yet; `note_route`, run inside the router, fills this in.
#[derive(Clone, Default)]
struct RouteSlot(Arc<OnceLock<MatchedPath>>);

/// Inside the router (a request mapper on every route): hands the matched
/// route to `track`.
pub fn note_route(req: Request) -> Request {
    if let (Some(slot), Some(path)) = (
        req.extensions().get::<RouteSlot>(),
        req.extensions().get::<MatchedPath>(),
    ) {
        let _ = slot.0.set(path.clone());
    }
    req
}

/// Middleware: counts and times every request. Unrouted paths share one label
/// so that scanners cannot blow up the number of series.
pub async fn track(mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let slot = RouteSlot::default();
    req.extensions_mut().insert(slot.clone());
    let method = req.method().as_str().to_owned();
    let res = next.run(req).await;
    let route = slot
        .0
        .get()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let status = res.status().as_u16().to_string();
    let elapsed = start.elapsed().as_secs_f64();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(LATENCY, "method" => method, "route" => route).record(elapsed);
    res
}
