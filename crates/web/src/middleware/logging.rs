//! One structured log line per request, inside a span that carries the request
//! id, so every line logged while handling it can be found by that id. The path
//! is logged without its query string: queries can carry codes and personal data.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::request_id::HEADER;

pub async fn log(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    let start = Instant::now();
    let res = next.run(req).instrument(span.clone()).await;
    let status = res.status().as_u16();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let _enter = span.enter();
    // Probes run every few seconds forever: keep them out of the normal log.
    if matches!(path.as_str(), "/healthz" | "/readyz" | "/metrics") {
        tracing::debug!(status, ms, "handled");
    } else if status >= 500 {
        tracing::error!(status, ms, "handled");
    } else {
        tracing::info!(status, ms, "handled");
    }
    res
}
