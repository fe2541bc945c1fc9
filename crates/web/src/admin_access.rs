//! Portal operators' pages (`/admin`) admit a caller through [`Staff`]:
//! a live operator session from its own cookie. A citizen's session is
//! worth nothing here, and an operator's nothing in the cabinet.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_service::admin::Operator;

use crate::cookies;
use crate::pages::service_error;
use crate::state::AppState;

pub const OPERATOR_COOKIE: &str = "propusk_operator";

/// A signed-in portal operator; anyone else goes to `/admin/login`.
#[derive(Debug, Clone)]
pub struct Staff(pub Operator);

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let name = cookies::name(OPERATOR_COOKIE, state.settings.is_https());
        let found = match cookies::read_hex(&parts.headers, &name, 64) {
            Some(token) => state
                .services
                .operator_session(&token)
                .await
                .map_err(|e| service_error(e).into_response())?,
            None => None,
        };
        match found {
            Some(op) => Ok(Staff(op)),
            None => Err(Redirect::to("/admin/login").into_response()),
        }
    }
}
