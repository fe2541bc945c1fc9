//! CSRF protection for forms: a random token in a cookie and the same token in
//! a hidden field of every state-changing form (double submit). A cross-site
//! page can make the browser send the cookie but cannot read it to fill the
//! field. The token is rotated at sign-in, so one seen or planted before
//! (login CSRF) is useless in the signed-in session.

use axum::extract::State;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use rand_core::RngCore;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::cookies;
use crate::error::WebError;

/// This request's token, for the hidden field of its forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Middleware: makes sure every request has a token, setting the cookie when new.
pub async fn ensure_token(State(https): State<bool>, mut req: Request, next: Next) -> Response {
    let name = cookies::name("propusk_csrf", https);
    let (token, fresh) = match cookies::read_hex(req.headers(), &name, 64) {
        Some(t) => (t, false),
        None => (new_token(), true),
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    // A handler that rotated the token (sign-in) has set the cookie itself.
    if fresh && res.extensions().get::<Rotated>().is_none() {
        cookies::set(&mut res, &name, &token, None, https);
    }
    res
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Marks a response whose handler set a new CSRF cookie.
#[derive(Clone, Copy)]
struct Rotated;

/// Gives the browser a new token: after sign-in, so that a token planted or
/// seen before it is worth nothing afterwards.
pub fn rotate(res: &mut Response, https: bool) {
    let name = cookies::name("propusk_csrf", https);
    cookies::set(res, &name, &new_token(), None, https);
    res.extensions_mut().insert(Rotated);
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, WebError> {
        parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .ok_or_else(|| WebError::Internal("no CSRF token".into()))
    }
}

/// A urlencoded form whose `csrf` field matched the cookie. Anything else is
/// refused with 403 before the handler runs.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct Token {
    #[serde(default)]
    csrf: String,
}

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, WebError> {
        let expected = req.extensions().get::<CsrfToken>().cloned();
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    WebError::TooLarge
                } else {
                    WebError::BadRequest {
                        detail: e.body_text(),
                    }
                }
            })?;
        let sent: Token = serde_urlencoded::from_bytes(&bytes).unwrap_or(Token {
            csrf: String::new(),
        });
        let ok = expected.is_some_and(|t| {
            !sent.csrf.is_empty() && bool::from(t.0.as_bytes().ct_eq(sent.csrf.as_bytes()))
        });
        if !ok {
            return Err(WebError::Forbidden);
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(CsrfForm)
            .map_err(|e| WebError::BadRequest {
                detail: e.to_string(),
            })
    }
}
