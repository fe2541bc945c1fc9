//! `/jwks`: the provider's public signing keys (active and recently
//! retired). Verifiers cache it for five minutes; a key is published a day
//! before it could be missed, so the cache never hides a `kid` in use.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::WebError;
use crate::pages::service_error;
use crate::state::AppState;

pub async fn jwks(State(state): State<AppState>) -> Result<Response, WebError> {
    let doc = state.services.jwks().await.map_err(service_error)?;
    Ok((
        [
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::CONTENT_TYPE, "application/jwk-set+json"),
        ],
        Json(doc),
    )
        .into_response())
}
