//! The partner APIs' caller: a client with a valid access token from
//! `client_credentials` (DPoP-bound for `fapi2` clients, whose tokens are
//! only ever bound), calling from an address on its allow-list. Handlers
//! take [`Partner`] and never look at tokens themselves.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use propusk_core::Lang;
use propusk_service::ServiceError;
use propusk_service::oauth::Client;

use crate::error::{FieldError, WebError};
use crate::i18n::{Tr, UserLang};
use crate::state::AppState;

pub struct Partner(pub Arc<Client>);

/// The data API's caller: a partner with its own token (the consent named
/// in the query), or with a person's token from a sign-in that approved a
/// consent (RFC 9396), which names the consent itself.
pub struct DataReader {
    pub client: Arc<Client>,
    /// The consent the person's token was issued under.
    pub token_consent: Option<uuid::Uuid>,
}

const CHALLENGE: &str =
    "DPoP realm=\"propusk\", algs=\"PS256 ES256 EdDSA\", Bearer realm=\"propusk\"";

fn unauthorized(detail: String) -> WebError {
    WebError::Refused {
        status: StatusCode::UNAUTHORIZED,
        kind: "invalid_token",
        detail,
        challenge: Some(CHALLENGE.into()),
        retry_after: None,
    }
}

fn client_token_required(t: &Tr) -> WebError {
    WebError::Refused {
        status: StatusCode::FORBIDDEN,
        kind: "client_token_required",
        detail: t.get("problem-client-token-required"),
        challenge: None,
        retry_after: None,
    }
}

impl FromRequestParts<AppState> for Partner {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let (claims, client) = caller(parts, state).await?;
        if claims.gid.is_some() {
            return Err(client_token_required(&tr(parts)));
        }
        Ok(Partner(client))
    }
}

impl FromRequestParts<AppState> for DataReader {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let (claims, client) = caller(parts, state).await?;
        let token_consent = match claims.gid {
            None => None,
            Some(_) => Some(
                propusk_core::consent::rar::consent_id(&claims.authorization_details)
                    .ok_or_else(|| client_token_required(&tr(parts)))?,
            ),
        };
        Ok(DataReader {
            client,
            token_consent,
        })
    }
}

fn tr(parts: &Parts) -> Tr {
    Tr::new(parts.extensions.get::<UserLang>().map_or(Lang::Ru, |l| l.0))
}

/// A valid access token, presented as it must be, of an enabled client
/// calling from an allowed address.
async fn caller(
    parts: &mut Parts,
    state: &AppState,
) -> Result<(propusk_oidc::tokens::AccessClaims, Arc<Client>), WebError> {
    let lang = parts.extensions.get::<UserLang>().map_or(Lang::Ru, |l| l.0);
    let t = Tr::new(lang);
    let Some((scheme, token)) = crate::oauth::access_token(&parts.headers) else {
        return Err(unauthorized(t.get("problem-token-missing")));
    };
    let proof = crate::oauth::dpop_header(&parts.headers)
        .map_err(|e| unauthorized(e.description.clone()))?;
    let url = format!("{}{}", state.services.issuer(), parts.uri.path());
    let claims = state
        .services
        .check_access_token(
            &token,
            scheme,
            proof.as_deref(),
            parts.method.as_str(),
            &url,
        )
        .await
        .map_err(|e| match e {
            ServiceError::OAuth(e) => unauthorized(e.description),
            other => api_error(other, lang),
        })?;
    let client = state
        .services
        .client(&claims.client_id)
        .await
        .map_err(|e| api_error(e, lang))?
        .filter(|c| !c.disabled)
        .ok_or_else(|| unauthorized(t.get("problem-token-missing")))?;
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    if !client.ip_allowed(ip) {
        return Err(WebError::Refused {
            status: StatusCode::FORBIDDEN,
            kind: "ip_not_allowed",
            detail: t.get("problem-ip-not-allowed"),
            challenge: None,
            retry_after: None,
        });
    }
    Ok((claims, client))
}

/// A service error as the API answers it, in the caller's language.
pub fn api_error(e: ServiceError, lang: Lang) -> WebError {
    let t = Tr::new(lang);
    let refused = |status: StatusCode, kind: &'static str, key: &str| WebError::Refused {
        status,
        kind,
        detail: t.get(key),
        challenge: None,
        retry_after: None,
    };
    match e {
        ServiceError::Invalid(list) => WebError::Validation {
            errors: list
                .into_iter()
                .map(|p| FieldError {
                    pointer: if p.field.starts_with('/') {
                        p.field.to_owned()
                    } else {
                        format!("/{}", p.field)
                    },
                    code: p.code.to_owned(),
                    detail: p.message(lang).to_owned(),
                })
                .collect(),
        },
        ServiceError::Consent(d) => {
            let retry_after = match &d {
                propusk_core::consent::read::Denial::TooFrequent { retry_at } => Some(
                    (*retry_at - time::OffsetDateTime::now_utc())
                        .whole_seconds()
                        .max(1),
                ),
                _ => None,
            };
            WebError::Refused {
                status: StatusCode::from_u16(d.status()).unwrap_or(StatusCode::FORBIDDEN),
                kind: d.code(),
                detail: t.get(&format!("problem-{}", d.code().replace('_', "-"))),
                challenge: None,
                retry_after,
            }
        }
        ServiceError::NotFound => WebError::NotFound,
        ServiceError::Forbidden => WebError::Forbidden,
        ServiceError::Conflict => {
            refused(StatusCode::CONFLICT, "conflict", "problem-consent-conflict")
        }
        ServiceError::SourceUnavailable => refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "source_unavailable",
            "problem-source-unavailable",
        ),
        ServiceError::NotVerified => {
            refused(StatusCode::CONFLICT, "not_verified", "problem-not-verified")
        }
        ServiceError::Store(s) => s.into(),
        other => WebError::Internal(other.to_string()),
    }
}
