//! CSRF protection for forms: a random token in a cookie and the same token in
//! a hidden field of every state-changing form (double submit). A cross-site
//! page can make the browser send the cookie but cannot read it to fill the
//! field. Once sessions exist, the token moves into the session row.

use axum::extract::State;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderValue;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use rand_core::RngCore;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::error::WebError;

/// `__Host-` cookies must be Secure, which plain-http demo runs cannot set.
fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-propusk_csrf"
    } else {
        "propusk_csrf"
    }
}

/// This request's token, for the hidden field of its forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn read_cookie(parts: &axum::http::HeaderMap, name: &str) -> Option<String> {
    parts
        .get_all(COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, v)| *k == name && v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|(_, v)| v.to_owned())
}

/// Middleware: makes sure every request has a token, setting the cookie when new.
pub async fn ensure_token(State(https): State<bool>, mut req: Request, next: Next) -> Response {
    let name = cookie_name(https);
    let (token, fresh) = match read_cookie(req.headers(), name) {
        Some(t) => (t, false),
        None => {
            let mut bytes = [0u8; 32];
            rand_core::OsRng.fill_bytes(&mut bytes);
            (hex::encode(bytes), true)
        }
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if fresh {
        let secure = if https { "; Secure" } else { "" };
        let cookie = format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax{secure}");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(SET_COOKIE, v);
        }
    }
    res
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
