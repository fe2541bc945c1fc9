//! REST API v1: JSON in and out, errors as RFC 9457 problem documents, and an
//! OpenAPI 3.1 document generated from these handlers' own annotations.

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{Problem, WebError};
use crate::i18n::{Tr, UserLang};
use crate::state::AppState;

pub mod consents;
pub mod monitoring;
pub mod partner;
pub mod validate;
pub mod webhooks;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Propusk API",
        description = "Propusk REST API v1. Errors are RFC 9457 `application/problem+json` documents \
                       whose `title` is in the caller's language (`Accept-Language` or the `lang` \
                       cookie) and whose `errors[]` point at the offending fields.",
        license(name = "Apache-2.0"),
    ),
    components(schemas(Problem)),
    tags(
        (name = "identifiers", description = "Checks of Russian identifiers"),
        (name = "consents", description = "Consent requests and receipts (client_credentials token, DPoP for fapi2 clients)"),
        (name = "data", description = "Verified data under a consent"),
        (name = "webhooks", description = "Signed notifications of consent events"),
    ),
    modifiers(&DpopScheme)
)]
struct ApiDoc;

/// The partner APIs' security scheme: an access token from the token
/// endpoint, sent as `DPoP` (with a proof) or, for `oidc` sandbox clients,
/// `Bearer`.
struct DpopScheme;

impl utoipa::Modify for DpopScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "dpop",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "DPoP-bound access token (RFC 9449), or Bearer for oidc sandbox clients",
                    ))
                    .build(),
            ),
        );
    }
}

/// The `/api/v1` routes and the OpenAPI document describing them.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    OpenApiRouter::with_openapi(doc)
        .routes(routes!(validate::validate))
        .routes(routes!(consents::create, consents::list))
        .routes(routes!(consents::get_one))
        .routes(routes!(consents::cancel))
        .routes(routes!(consents::receipt_pdf))
        .routes(routes!(consents::person))
        .routes(routes!(consents::person_category))
        .routes(routes!(consents::organization))
        .routes(routes!(consents::verify))
        .routes(routes!(monitoring::summary))
        .routes(routes!(monitoring::reads_csv))
        .routes(routes!(monitoring::consents_csv))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::disable))
        .routes(routes!(webhooks::rotate))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::redeliver))
        .split_for_parts()
}

/// A JSON body whose every failure (wrong type, bad syntax, wrong shape, too
/// large) becomes a problem document in the caller's language.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = req
            .extensions()
            .get::<UserLang>()
            .map(|l| l.0)
            .unwrap_or_default();
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(reject(rejection, Tr::new(lang))),
        }
    }
}

fn reject(rejection: JsonRejection, t: Tr) -> WebError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => WebError::UnsupportedMediaType,
        r if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => WebError::TooLarge,
        JsonRejection::JsonDataError(e) => {
            // serde's message names the field and what it expected; it never
            // echoes the submitted value back.
            WebError::BadRequest {
                detail: t.get_arg("problem-bad-json", "reason", e.body_text()),
            }
        }
        r => WebError::BadRequest {
            detail: t.get_arg("problem-bad-json", "reason", r.body_text()),
        },
    }
}
