//! The one error type of the web layer and the one place it becomes a response.
//!
//! A handler returns `WebError`; its `IntoResponse` only marks the response. The
//! `render_errors` middleware, which knows the request's path, language and id,
//! then writes the body: an RFC 9457 problem document for the API, an HTML page
//! in the user's language for browsers. Bare error statuses from lower layers
//! (body limit, timeout, method not allowed) are dressed the same way, so no
//! client ever sees a framework's plain-text error.

use std::sync::Arc;

use askama::Template;
use axum::extract::Request;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use propusk_core::Lang;
use serde::Serialize;

use crate::i18n::{Tr, UserLang};
use crate::pages::PageCtx;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    /// The request cannot be understood; `detail` is in the user's language.
    #[error("bad request: {detail}")]
    BadRequest { detail: String },
    /// The request is understood but some fields are wrong.
    #[error("validation failed")]
    Validation { errors: Vec<FieldError> },
    #[error("forbidden")]
    Forbidden,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    TooLarge,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Details go to the log only, never to the client.
    #[error("internal error: {0}")]
    Internal(String),
    /// A refusal with its own stable problem type (`/problems/<kind>`),
    /// such as `consent_revoked`; `detail` is in the caller's language.
    #[error("{kind}: {detail}")]
    Refused {
        status: StatusCode,
        kind: &'static str,
        detail: String,
        /// `WWW-Authenticate`, for 401s.
        challenge: Option<String>,
        /// `Retry-After` in seconds, for 429s.
        retry_after: Option<i64>,
    },
}

/// One wrong field. `pointer` is a JSON Pointer into the request (RFC 6901).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub pointer: String,
    /// A stable machine-readable code, e.g. `checksum`.
    pub code: String,
    /// What is wrong, in the user's language.
    pub detail: String,
}

impl WebError {
    fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            WebError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Forbidden => StatusCode::FORBIDDEN,
            WebError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            WebError::Refused { status, .. } => *status,
        }
    }
}

impl From<propusk_store::StoreError> for WebError {
    fn from(e: propusk_store::StoreError) -> Self {
        match e {
            propusk_store::StoreError::NotFound => WebError::NotFound,
            e if e.is_unavailable() => WebError::Unavailable(e.to_string()),
            e => WebError::Internal(e.to_string()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(format!("template: {e}"))
    }
}

#[derive(Clone)]
struct Marked(Arc<WebError>);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match &self {
            WebError::Internal(msg) => tracing::error!(error = %msg, "internal error"),
            WebError::Unavailable(msg) => tracing::warn!(error = %msg, "unavailable"),
            _ => {}
        }
        let mut res = self.status().into_response();
        if let WebError::Refused {
            challenge,
            retry_after,
            ..
        } = &self
        {
            if let Some(v) = challenge
                .as_deref()
                .and_then(|c| HeaderValue::from_str(c).ok())
            {
                res.headers_mut()
                    .insert(axum::http::header::WWW_AUTHENTICATE, v);
            }
            if let Some(v) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        res.extensions_mut().insert(Marked(Arc::new(self)));
        res
    }
}

/// The texts for a status: stable problem type, title and explanation keys.
fn texts(status: StatusCode) -> (&'static str, &'static str, &'static str) {
    match status.as_u16() {
        400 => (
            "bad-request",
            "error-bad-request-title",
            "error-bad-request-body",
        ),
        403 => ("forbidden", "error-forbidden-title", "error-forbidden-body"),
        404 => ("not-found", "error-not-found-title", "error-not-found-body"),
        405 => (
            "method-not-allowed",
            "error-method-title",
            "error-method-body",
        ),
        408 => ("timeout", "error-timeout-title", "error-timeout-body"),
        413 => ("too-large", "error-too-large-title", "error-too-large-body"),
        415 => (
            "bad-request",
            "error-bad-request-title",
            "error-bad-request-body",
        ),
        429 => (
            "too-many-requests",
            "error-too-many-title",
            "error-too-many-body",
        ),
        422 => (
            "validation",
            "error-validation-title",
            "error-bad-request-body",
        ),
        503 => (
            "unavailable",
            "error-unavailable-title",
            "error-unavailable-body",
        ),
        s if s < 500 => (
            "bad-request",
            "error-bad-request-title",
            "error-bad-request-body",
        ),
        _ => ("internal", "error-internal-title", "error-internal-body"),
    }
}

/// RFC 9457 problem details, with `errors[]` for field-level problems.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable across versions and deployments: `/problems/validation`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub instance: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: PageCtx,
    status: u16,
    title: String,
    body: String,
    request_id: Option<String>,
}

fn wants_json(path: &str, accept: Option<&str>) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/.well-known/")
        || accept.is_some_and(|a| a.contains("json") && !a.contains("text/html"))
}

/// Middleware: writes the body of every error response (see the module docs).
pub async fn render_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let accept = req
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let lang = req.extensions().get::<UserLang>().map_or(Lang::Ru, |l| l.0);

    let res = next.run(req).await;
    let status = res.status();
    let marked = res.extensions().get::<Marked>().cloned();
    if marked.is_none() && !needs_dressing(&res) {
        return res;
    }
    let error = marked.as_ref().map(|m| m.0.as_ref());
    let (mut kind, title_key, body_key) = texts(status);
    if let Some(WebError::Refused { kind: own, .. }) = error {
        kind = own;
    }
    let t = Tr::new(lang);
    let title = t.get(title_key);
    let mut detail = match error {
        Some(WebError::BadRequest { detail }) | Some(WebError::Refused { detail, .. }) => {
            Some(detail.clone())
        }
        _ => None,
    };
    let errors = match error {
        Some(WebError::Validation { errors }) => errors.clone(),
        _ => Vec::new(),
    };
    let mut out = if wants_json(&path, accept.as_deref()) {
        if detail.is_none() && errors.is_empty() {
            detail = Some(t.get(body_key));
        }
        let problem = Problem {
            kind: format!("/problems/{kind}"),
            title,
            status: status.as_u16(),
            detail,
            instance: path,
            request_id,
            errors,
        };
        let mut r = axum::Json(problem).into_response();
        r.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        r
    } else {
        let body = detail.unwrap_or_else(|| t.get(body_key));
        let page = ErrorPage {
            ctx: PageCtx::new(lang, &path),
            status: status.as_u16(),
            title,
            body,
            request_id,
        };
        match page.render() {
            Ok(html) => Html(html).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page template failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    };
    *out.status_mut() = status;
    // Keep what outer layers and the handler set (cookies, Allow, Retry-After…).
    for (name, value) in res.headers() {
        if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

/// An error status whose body a lower layer wrote as plain text or left empty.
fn needs_dressing(res: &Response) -> bool {
    if !(res.status().is_client_error() || res.status().is_server_error()) {
        return false;
    }
    let ct = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    ct.is_empty() || ct.starts_with("text/plain")
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::middleware::from_fn;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn fetch(path: &str, accept_language: &str) -> (StatusCode, String, String) {
        let app = Router::new()
            .route(
                "/boom",
                get(|| async { WebError::Internal("secret detail: db password".into()) }),
            )
            .route(
                "/api/boom",
                get(|| async { WebError::Internal("secret detail".into()) }),
            )
            .route(
                "/down",
                get(|| async { WebError::Unavailable("pool timed out".into()) }),
            )
            .layer(from_fn(render_errors))
            .layer(from_fn(crate::i18n::choose_language));
        let req = Request::get(path)
            .header("accept-language", accept_language)
            .header("x-request-id", "req-42")
            .body(Body::empty())
            .unwrap();
        let res = app.oneshot(req).await.unwrap();
        let status = res.status();
        let ct = res
            .headers()
            .get(CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, ct, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn internal_errors_show_a_page_in_both_languages_without_details() {
        let (status, ct, body) = fetch("/boom", "ru").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(ct.starts_with("text/html"));
        assert!(body.contains("Что-то пошло не так") && body.contains("req-42"));
        assert!(!body.contains("secret"));
        let (_, _, body) = fetch("/boom", "en").await;
        assert!(body.contains("Something went wrong") && body.contains("Request code: req-42"));
    }

    #[tokio::test]
    async fn api_errors_are_problem_documents_without_details() {
        let (status, ct, body) = fetch("/api/boom", "en").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(ct, "application/problem+json");
        let p: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(p["type"], "/problems/internal");
        assert_eq!(p["title"], "Something went wrong");
        assert_eq!(p["request_id"], "req-42");
        assert!(!body.contains("secret"));
    }

    #[tokio::test]
    async fn unavailable_is_503() {
        let (status, _, body) = fetch("/down", "ru").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("Сервис временно недоступен") && !body.contains("pool"));
    }
}
