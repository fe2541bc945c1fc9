//! The parameters of a front-channel protocol request that may come as a
//! GET query or a POST form (OIDC Core §3.1.2.1, RP-Initiated Logout §2):
//! one map, with repeated parameters refused (RFC 6749 §3.1).

use std::collections::BTreeMap;

use axum::extract::{FromRequest, Query, RawForm, Request};
use axum::http::Method;

use crate::error::WebError;

pub struct ProtocolParams(pub BTreeMap<String, String>);

/// A refused protocol request as the page says it: `lead` in the page's
/// language, then the error for the client's developers.
pub fn refusal(
    lang: propusk_core::Lang,
    lead: [&str; 2],
    e: &propusk_oidc::OAuthError,
) -> WebError {
    let lead = match lang {
        propusk_core::Lang::Ru => lead[0],
        propusk_core::Lang::En => lead[1],
    };
    WebError::BadRequest {
        detail: format!("{lead}: {} ({})", e.description, e.code.as_str()),
    }
}

impl<S: Send + Sync> FromRequest<S> for ProtocolParams {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, WebError> {
        let bad = |detail: String| WebError::BadRequest { detail };
        let pairs: Vec<(String, String)> = if req.method() == Method::POST {
            let RawForm(body) = RawForm::from_request(req, state)
                .await
                .map_err(|e| bad(e.body_text()))?;
            serde_urlencoded::from_bytes(&body).map_err(|e| bad(e.to_string()))?
        } else {
            let Query(q) = Query::<Vec<(String, String)>>::try_from_uri(req.uri())
                .map_err(|e| bad(e.body_text()))?;
            q
        };
        propusk_oidc::request::params(pairs)
            .map(ProtocolParams)
            .map_err(|e| bad(format!("{} ({})", e.description, e.code.as_str())))
    }
}
