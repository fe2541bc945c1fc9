//! Who is signed in. A middleware on the page routes resolves the session
//! cookie once per request; the [`Citizen`] extractor then admits handlers
//! only for a fully signed-in person and sends everyone else to `/login`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_service::sessions::Current;
use propusk_service::signin::Client;
use propusk_store::sessions::Stage;

use crate::cookies;
use crate::error::WebError;
use crate::i18n::UserLang;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "propusk_session";
pub const DEVICE_COOKIE: &str = "propusk_device";
/// The device cookie lives a year: "new device" means new to this account.
pub const DEVICE_MAX_AGE: i64 = 365 * 24 * 3600;

/// The request's session as the middleware found it.
#[derive(Debug, Clone, Copy)]
pub enum SessionState {
    None,
    Signed(Current),
    /// The database did not answer: pages that need a session say 503.
    Unavailable,
}

pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let https = state.settings.is_https();
    let name = cookies::name(SESSION_COOKIE, https);
    let found = match cookies::read_hex(req.headers(), &name, 64) {
        None => SessionState::None,
        Some(token) => match state.services.session(&token).await {
            Ok(Some(current)) => SessionState::Signed(current),
            Ok(None) => SessionState::None,
            Err(e) => {
                tracing::warn!(error = %e, "session look-up failed");
                SessionState::Unavailable
            }
        },
    };
    req.extensions_mut().insert(found);
    next.run(req).await
}

/// Is someone fully signed in on this request? For the page header.
pub fn signed_in(parts: &Parts) -> bool {
    matches!(
        parts.extensions.get::<SessionState>(),
        Some(SessionState::Signed(c)) if c.stage == Stage::Full
    )
}

/// A fully signed-in person. Anyone else is redirected to `/login?next=…`.
#[derive(Debug, Clone, Copy)]
pub struct Citizen(pub Current);

impl<S: Send + Sync> FromRequestParts<S> for Citizen {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        match parts.extensions.get::<SessionState>() {
            Some(SessionState::Signed(c)) if c.stage == Stage::Full => Ok(Citizen(*c)),
            Some(SessionState::Unavailable) => {
                Err(WebError::Unavailable("session store".into()).into_response())
            }
            _ => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/cabinet");
                let target = format!("/login?next={}", encode_query(next));
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

/// Percent-encodes what would break a query value; the rest stays readable.
pub fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Someone half-way through signing in: right password, factor to come.
#[derive(Debug, Clone, Copy)]
pub struct Pending(pub Current);

impl<S: Send + Sync> FromRequestParts<S> for Pending {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        match parts.extensions.get::<SessionState>() {
            Some(SessionState::Signed(c)) if c.stage == Stage::SecondFactor => Ok(Pending(*c)),
            Some(SessionState::Signed(_)) => Err(Redirect::to("/cabinet").into_response()),
            Some(SessionState::Unavailable) => {
                Err(WebError::Unavailable("session store".into()).into_response())
            }
            _ => Err(Redirect::to("/login").into_response()),
        }
    }
}

/// A `next` target we are willing to send a person to: a path on this site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.contains(['\r', '\n']) =>
        {
            n.to_owned()
        }
        _ => "/cabinet".to_owned(),
    }
}

/// The browser behind a request, for sign-in records and notices.
pub struct ClientInfo(pub Client);

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let UserLang(lang) = UserLang::from_request_parts(parts, state).await?;
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(512)
            .collect();
        let device_token = cookies::read_hex(
            &parts.headers,
            &cookies::name(DEVICE_COOKIE, state.settings.is_https()),
            64,
        );
        Ok(ClientInfo(Client {
            ip,
            user_agent,
            device_token,
            lang,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/cabinet/sessions")), "/cabinet/sessions");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "cabinet",
            "/x\r\nSet-Cookie: a=b",
        ] {
            assert_eq!(safe_next(Some(bad)), "/cabinet", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/cabinet");
    }

    #[test]
    fn next_is_encoded_into_one_query_value() {
        assert_eq!(
            encode_query("/cabinet/history?page=2&x=1"),
            "/cabinet/history%3Fpage%3D2%26x%3D1"
        );
    }
}
