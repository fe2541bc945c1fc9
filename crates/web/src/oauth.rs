//! The OpenID provider's machine endpoints: Discovery, PAR, token,
//! userinfo, introspection and revocation. Their errors are RFC 6749 §5.2
//! JSON (not problem documents: OAuth clients expect that shape), every
//! answer carries `Cache-Control: no-store`, and the authorization server's
//! answers carry a fresh `DPoP-Nonce`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use propusk_oidc::discovery::{
    self, INTROSPECT_PATH, PAR_PATH, REVOKE_PATH, TOKEN_PATH, USERINFO_PATH,
};
use propusk_oidc::request::params;
use propusk_oidc::{ErrorCode, OAuthError};
use propusk_service::ServiceError;
use propusk_service::oauth::client_auth::Credentials;
use propusk_service::oauth::resource::Scheme;
use propusk_service::writes::Once;

use crate::state::AppState;

/// A token-style request: form parameters (no repeats), Basic credentials,
/// the one `DPoP` header, and the caller's address.
pub struct OAuthRequest {
    pub params: BTreeMap<String, String>,
    pub basic: Option<(String, String)>,
    pub dpop: Option<String>,
    pub ip: std::net::IpAddr,
}

/// An error answer, already shaped for the client.
pub struct OAuthFailure {
    error: OAuthError,
    /// `Authorization` was used: 401 with a `WWW-Authenticate` challenge.
    basic_used: bool,
    nonce: Option<String>,
}

impl From<OAuthError> for OAuthFailure {
    fn from(error: OAuthError) -> Self {
        OAuthFailure {
            error,
            basic_used: false,
            nonce: None,
        }
    }
}

/// Storage trouble becomes `temporarily_unavailable` (503) and our own
/// faults `server_error` (500); the details go to the log only.
pub fn oauth_error(e: ServiceError) -> OAuthError {
    match e {
        ServiceError::OAuth(e) => e,
        ServiceError::Store(s) if s.is_unavailable() => {
            tracing::warn!(error = %s, "oauth: database unavailable");
            OAuthError::new(ErrorCode::TemporarilyUnavailable, "try again shortly")
        }
        other => {
            tracing::error!(error = %other, "oauth: internal error");
            OAuthError::new(ErrorCode::ServerError, "internal error")
        }
    }
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
}

fn json(status: StatusCode, body: &impl serde::Serialize, nonce: Option<&str>) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    no_store(res.headers_mut());
    if let Some(n) = nonce
        && let Ok(v) = HeaderValue::from_str(n)
    {
        res.headers_mut().insert("dpop-nonce", v);
    }
    res
}

impl IntoResponse for OAuthFailure {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.error.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let mut res = json(status, &self.error.body(), self.nonce.as_deref());
        if self.error.code == ErrorCode::SlowDown {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let secs = propusk_service::oauth::rate::retry_after(now).to_string();
            if let Ok(v) = HeaderValue::from_str(&secs) {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        if self.basic_used && self.error.code == ErrorCode::InvalidClient {
            res.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"propusk\""),
            );
        }
        res
    }
}

fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(v) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || OAuthError::client("malformed Basic credentials");
    let v = v.to_str().map_err(|_| bad())?;
    let Some((scheme, rest)) = v.split_once(' ') else {
        return Err(bad());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::client(
            "only Basic authentication is accepted in the Authorization header",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    // RFC 6749 §2.3.1: both are form-urlencoded before Basic encoding.
    let dec = |s: &str| -> Result<String, OAuthError> {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .ok_or_else(bad)
    };
    Ok(Some((dec(id)?, dec(secret)?)))
}

/// The one `DPoP` header, if any (RFC 9449 §4.3: more than one is an error).
pub(crate) fn dpop_header(headers: &HeaderMap) -> Result<Option<String>, OAuthError> {
    let mut all = headers.get_all("dpop").iter();
    let first = all.next();
    if all.next().is_some() {
        return Err(OAuthError::new(
            ErrorCode::InvalidDpopProof,
            "more than one DPoP header",
        ));
    }
    first
        .map(|v| {
            v.to_str().map(str::to_owned).map_err(|_| {
                OAuthError::new(ErrorCode::InvalidDpopProof, "DPoP header is not ASCII")
            })
        })
        .transpose()
}

impl<S: Send + Sync> FromRequest<S> for OAuthRequest {
    type Rejection = OAuthFailure;

    async fn from_request(req: Request, state: &S) -> Result<Self, OAuthFailure> {
        if req.method() != Method::POST {
            return Err(OAuthError::request("use POST").into());
        }
        let form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| {
                c.split(';').next().is_some_and(|m| {
                    m.trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                })
            });
        if !form {
            return Err(
                OAuthError::request("the body must be application/x-www-form-urlencoded").into(),
            );
        }
        let ip = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        let basic = basic_credentials(req.headers()).map_err(|e| OAuthFailure {
            error: e,
            basic_used: true,
            nonce: None,
        })?;
        let dpop = dpop_header(req.headers())?;
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|_| OAuthError::request("the body could not be read"))?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
            .map_err(|_| OAuthError::request("malformed form body"))?;
        let params = params(pairs)?;
        Ok(OAuthRequest {
            params,
            basic,
            dpop,
            ip,
        })
    }
}

fn endpoint(state: &AppState, path: &str) -> String {
    format!("{}{path}", state.services.issuer())
}

/// Authenticates the client of a token-style request.
async fn client_of(
    state: &AppState,
    r: &OAuthRequest,
) -> Result<std::sync::Arc<propusk_service::oauth::Client>, OAuthFailure> {
    let creds = Credentials::from_params(&r.params, r.basic.clone());
    state
        .services
        .authenticate_client(&creds, r.ip)
        .await
        .map_err(|e| OAuthFailure {
            error: oauth_error(e),
            basic_used: r.basic.is_some(),
            nonce: None,
        })
}

/// Checks the request's DPoP proof for an authorization-server endpoint
/// (nonce required).
async fn proof_of(
    state: &AppState,
    r: &OAuthRequest,
    path: &str,
) -> Result<Option<propusk_oidc::dpop::Proof>, OAuthFailure> {
    let Some(p) = &r.dpop else {
        return Ok(None);
    };
    state
        .services
        .check_dpop(p, "POST", &endpoint(state, path), None, true)
        .await
        .map(Some)
        .map_err(|e| proof_refused(state, e))
}

/// The same with the proof's `jti` back unspent, for the token endpoint's
/// grant to spend.
fn proof_once_of(
    state: &AppState,
    r: &OAuthRequest,
    path: &str,
) -> Result<(Option<propusk_oidc::dpop::Proof>, Option<Once>), OAuthFailure> {
    let Some(p) = &r.dpop else {
        return Ok((None, None));
    };
    state
        .services
        .check_dpop_once(p, "POST", &endpoint(state, path), None, true)
        .map(|(proof, once)| (Some(proof), Some(once)))
        .map_err(|e| proof_refused(state, e))
}

/// A refused proof: the answer carries a nonce to retry with.
fn proof_refused(state: &AppState, e: ServiceError) -> OAuthFailure {
    OAuthFailure {
        error: oauth_error(e),
        basic_used: false,
        nonce: Some(state.services.dpop_nonce()),
    }
}

pub async fn discovery(State(state): State<AppState>) -> Response {
    let mut res = axum::Json(discovery::document(state.services.issuer())).into_response();
    res.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res
}

pub async fn par(State(state): State<AppState>, r: OAuthRequest) -> Result<Response, OAuthFailure> {
    let nonce = state.services.dpop_nonce();
    // The proof first: a request turned away for a DPoP nonce must not
    // have spent its client assertion's jti (clients retry with the same).
    let proof = proof_of(&state, &r, PAR_PATH).await?;
    let client = client_of(&state, &r).await?;
    let (request_uri, expires_in) = state
        .services
        .push_authorization(&client, &r.params, proof.as_ref())
        .await
        .map_err(|e| OAuthFailure {
            error: oauth_error(e),
            basic_used: false,
            nonce: Some(nonce.clone()),
        })?;
    Ok(json(
        StatusCode::CREATED,
        &serde_json::json!({ "request_uri": request_uri, "expires_in": expires_in }),
        Some(&nonce),
    ))
}

pub async fn token(
    State(state): State<AppState>,
    r: OAuthRequest,
) -> Result<Response, OAuthFailure> {
    let nonce = state.services.dpop_nonce();
    // The proof first: a request turned away for a DPoP nonce must not
    // have spent its client assertion's jti (clients retry with the same).
    // The proof's and the assertion's jtis are spent by the grant's own write.
    let (proof, dpop) = proof_once_of(&state, &r, TOKEN_PATH)?;
    let creds = Credentials::from_params(&r.params, r.basic.clone());
    let (client, unspent) = state
        .services
        .authenticate_client_once(&creds, r.ip, dpop)
        .await
        .map_err(|e| OAuthFailure {
            error: oauth_error(e),
            basic_used: r.basic.is_some(),
            nonce: None,
        })?;
    let out = state
        .services
        .token(&client, &r.params, proof.as_ref(), unspent)
        .await
        .map_err(|e| OAuthFailure {
            error: oauth_error(e),
            basic_used: r.basic.is_some(),
            nonce: Some(nonce.clone()),
        })?;
    Ok(json(StatusCode::OK, &out, Some(&nonce)))
}

pub async fn introspect(
    State(state): State<AppState>,
    r: OAuthRequest,
) -> Result<Response, OAuthFailure> {
    let client = client_of(&state, &r).await?;
    let out = state
        .services
        .introspect(&client, &r.params)
        .await
        .map_err(|e| OAuthFailure::from(oauth_error(e)))?;
    Ok(json(StatusCode::OK, &out, None))
}

pub async fn revoke(
    State(state): State<AppState>,
    r: OAuthRequest,
) -> Result<Response, OAuthFailure> {
    let client = client_of(&state, &r).await?;
    state
        .services
        .revoke_token(&client, &r.params)
        .await
        .map_err(|e| OAuthFailure::from(oauth_error(e)))?;
    let mut res = StatusCode::OK.into_response();
    no_store(res.headers_mut());
    Ok(res)
}

/// RFC 6750 §3 / RFC 9449 §7.1 challenge for a resource error.
fn resource_failure(e: OAuthError, dpop: bool) -> Response {
    let status = match e.code {
        ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNAUTHORIZED,
    };
    let scheme = if dpop { "DPoP" } else { "Bearer" };
    let desc: String = e
        .description
        .chars()
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    let mut challenge = format!(
        "{scheme} realm=\"propusk\", error=\"{}\", error_description=\"{desc}\"",
        e.code.as_str()
    );
    if dpop {
        challenge.push_str(", algs=\"PS256 ES256 EdDSA\"");
    }
    let mut res = json(status, &e.body(), None);
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        res.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    res
}

/// The access token of a resource request and how it came (RFC 6750
/// §2.1, RFC 9449 §7.1): from the `Authorization` header only.
pub(crate) fn access_token(headers: &HeaderMap) -> Option<(Scheme, String)> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .and_then(|(s, t)| {
            let scheme = if s.eq_ignore_ascii_case("dpop") {
                Scheme::Dpop
            } else if s.eq_ignore_ascii_case("bearer") {
                Scheme::Bearer
            } else {
                return None;
            };
            Some((scheme, t.trim().to_owned()))
        })
}

/// UserInfo, GET or POST, with the token in the header only (FAPI 2.0 §5.3.4).
pub async fn userinfo(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let Some((scheme, token)) = access_token(&headers) else {
        let mut res = StatusCode::UNAUTHORIZED.into_response();
        res.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "DPoP realm=\"propusk\", algs=\"PS256 ES256 EdDSA\", Bearer realm=\"propusk\"",
            ),
        );
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        no_store(res.headers_mut());
        return res;
    };
    let dpop = scheme == Scheme::Dpop;
    let proof = match dpop_header(&headers) {
        Ok(p) => p,
        Err(e) => return resource_failure(e, true),
    };
    let url = endpoint(&state, USERINFO_PATH);
    let claims = match state
        .services
        .check_access_token(&token, scheme, proof.as_deref(), method.as_str(), &url)
        .await
    {
        Ok(c) => c,
        Err(e) => return resource_failure(oauth_error(e), dpop),
    };
    match state.services.userinfo(&claims).await {
        Ok(body) => json(StatusCode::OK, &body, None),
        Err(e) => resource_failure(oauth_error(e), dpop),
    }
}

/// The routes (outside the page layers: no cookies, no CSRF).
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route(PAR_PATH, post(par))
        .route(TOKEN_PATH, post(token))
        .route(INTROSPECT_PATH, post(introspect))
        .route(REVOKE_PATH, post(revoke))
        .route(USERINFO_PATH, get(userinfo).post(userinfo))
}
