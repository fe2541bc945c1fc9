//! Probes for orchestrators and the metrics scrape.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Alive: the process answers. Never touches the database.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready: the database answers within a second. An orchestrator stops sending
/// traffic while this is 503, and the node recovers by itself when it answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(1), state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                "database unavailable",
            )
                .into_response()
        }
        Err(_) => {
            tracing::warn!("not ready: database ping timed out");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                "database unavailable",
            )
                .into_response()
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let Some(handle) = crate::metrics::handle() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable",
        )
            .into_response();
    };
    let pool = state.db.pool_stats();
    let backend = state.db.backend().name();
    metrics::gauge!("db_pool_connections", "state" => "idle", "backend" => backend)
        .set(f64::from(pool.idle));
    metrics::gauge!("db_pool_connections", "state" => "in_use", "backend" => backend)
        .set(f64::from(pool.size.saturating_sub(pool.idle)));
    metrics::gauge!("db_pool_max_connections", "backend" => backend).set(f64::from(pool.max));
    handle.run_upkeep();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        handle.render(),
    )
        .into_response()
}
