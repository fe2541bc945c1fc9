//! The consent and data APIs for partners: ask a citizen for a consent,
//! follow and cancel it, read the data it covers; and the public check of
//! a consent receipt.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use propusk_core::consent::Status;
use propusk_core::consent::terms::Draft;
use propusk_service::consents::read::Ask;
use propusk_service::consents::receipt::Verdict;
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiJson;
use super::partner::{DataReader, Partner, api_error};
use crate::error::WebError;
use crate::i18n::UserLang;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Frequency {
    /// Reads allowed per period, 1 to 1000.
    pub max_reads: u32,
    /// `hour`, `day` or `month` (30 days), a rolling window.
    pub per: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// The citizen's pairwise `sub`, as your ID tokens carry it.
    pub sub: String,
    /// A purpose code of the catalogue (`loan_application`, …).
    #[schema(example = "loan_application")]
    pub purpose: String,
    /// Data categories (`passport`, `snils`, `inn`, `income`, `address`,
    /// `pension`, `real_estate`, `debts`, `organization`).
    pub categories: Vec<String>,
    /// Those of `categories` the citizen may untick.
    #[serde(default)]
    pub optional_categories: Vec<String>,
    /// RFC 3339; at most a year ahead.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, example = "2027-06-01T00:00:00Z")]
    pub valid_until: Option<OffsetDateTime>,
    /// `one_time` or `periodic`.
    pub mode: String,
    /// Required for `periodic`.
    #[serde(default)]
    pub frequency: Option<Frequency>,
    /// Where the citizen may be sent back after deciding (https).
    #[serde(default)]
    pub return_url: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/consents", tag = "consents", request_body = ConsentRequest,
    security(("dpop" = [])),
    responses(
        (status = 201, description = "Requested; the citizen is notified", body = serde_json::Value),
        (status = 401, description = "No valid access token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Address not allowed, or not a client token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields wrong: each named by a JSON pointer", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(client): Partner,
    ApiJson(req): ApiJson<ConsentRequest>,
) -> Result<Response, WebError> {
    let draft = Draft {
        purpose: req.purpose,
        categories: req.categories,
        optional: req.optional_categories,
        valid_until: req.valid_until,
        mode: req.mode,
        max_reads: req.frequency.as_ref().map(|f| f.max_reads),
        per: req.frequency.map(|f| f.per),
        return_url: req.return_url,
    };
    let consent = state
        .services
        .request_consent(&client, &req.sub, &draft)
        .await
        .map_err(|e| api_error(e, lang))?;
    let mut res = (StatusCode::CREATED, Json(consent.to_json())).into_response();
    if let Ok(v) = format!("/api/v1/consents/{}", consent.id).parse() {
        res.headers_mut().insert(LOCATION, v);
    }
    Ok(res)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only consents in this status.
    pub status: Option<String>,
    /// At most this many, newest first (1–500, default 100).
    pub limit: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/consents", tag = "consents", params(ListQuery), security(("dpop" = [])),
    responses((status = 200, description = "Your consents, newest first", body = serde_json::Value))
)]
pub async fn list(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(client): Partner,
    Query(q): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, WebError> {
    let only = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            api_error(
                propusk_service::ServiceError::field(
                    "status",
                    "invalid",
                    "Неизвестный статус",
                    "Unknown status",
                ),
                lang,
            )
        })?),
    };
    let list = state
        .services
        .consents_of_client(&client.id, only, q.limit.unwrap_or(100))
        .await
        .map_err(|e| api_error(e, lang))?;
    Ok(Json(serde_json::json!({
        "consents": list.iter().map(|c| c.to_json()).collect::<Vec<_>>()
    })))
}

fn consent_id(raw: &str) -> Result<Uuid, WebError> {
    Uuid::parse_str(raw).map_err(|_| WebError::NotFound)
}

#[utoipa::path(
    get, path = "/api/v1/consents/{id}", tag = "consents", security(("dpop" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The consent", body = serde_json::Value),
        (status = 404, description = "No such consent of yours", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_one(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(client): Partner,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, WebError> {
    let c = state
        .services
        .consent_of_client(&client.id, consent_id(&id)?)
        .await
        .map_err(|e| api_error(e, lang))?;
    Ok(Json(c.to_json()))
}

#[utoipa::path(
    get, path = "/api/v1/consents/{id}/receipt.pdf", tag = "consents", security(("dpop" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The newest receipt as a PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, description = "No such consent of yours, or not approved", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn receipt_pdf(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(client): Partner,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let c = state
        .services
        .consent_of_client(&client.id, consent_id(&id)?)
        .await
        .map_err(|e| api_error(e, lang))?;
    let pdf = state
        .services
        .receipt_pdf(&c)
        .await
        .map_err(|e| api_error(e, lang))?;
    Ok(crate::pages::consents::pdf_response(c.id, pdf))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    #[serde(default)]
    pub reason: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/consents/{id}/cancel", tag = "consents", security(("dpop" = [])),
    params(("id" = String, Path)), request_body = CancelRequest,
    responses(
        (status = 200, description = "Cancelled", body = serde_json::Value),
        (status = 409, description = "Already ended", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(client): Partner,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CancelRequest>,
) -> Result<Json<serde_json::Value>, WebError> {
    let c = state
        .services
        .cancel_consent(&client, consent_id(&id)?, req.reason.as_deref())
        .await
        .map_err(|e| api_error(e, lang))?;
    Ok(Json(c.to_json()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PersonQuery {
    /// The consent the read is made under; with a person's token from a
    /// sign-in that approved a consent, that one (and any other is refused).
    pub consent_id: Option<String>,
    /// Comma-separated categories; all the consent covers when absent.
    pub categories: Option<String>,
    /// When given, it must be the consent's purpose.
    pub purpose: Option<String>,
}

async fn read(
    state: &AppState,
    lang: propusk_core::Lang,
    caller: &DataReader,
    q: PersonQuery,
    categories: Option<Vec<String>>,
    endpoint: String,
) -> Result<Json<serde_json::Value>, WebError> {
    let no_consent = || api_error(propusk_service::consents::read::no_consent(), lang);
    let asked = match q.consent_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(Uuid::parse_str(raw).map_err(|_| no_consent())?),
    };
    let consent_id = match (caller.token_consent, asked) {
        (Some(t), None) => t,
        (Some(t), Some(a)) if a == t => t,
        (None, Some(a)) => a,
        _ => return Err(no_consent()),
    };
    let client = &caller.client;
    let ask = Ask {
        consent_id,
        categories,
        purpose: q.purpose,
        endpoint,
    };
    let data = state
        .services
        .read_person(client, &ask)
        .await
        .map_err(|e| api_error(e, lang))?;
    Ok(Json(data))
}

#[utoipa::path(
    get, path = "/api/v1/person", tag = "data", params(PersonQuery), security(("dpop" = [])),
    responses(
        (status = 200, description = "The covered categories, each with its source and as-of date", body = serde_json::Value),
        (status = 403, description = "`no_consent`, `consent_expired`, `consent_revoked`, `consent_paused`, `category_not_covered`, `purpose_mismatch`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_frequent`: more reads than the consent allows", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`source_unavailable`: a registry did not answer", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn person(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    caller: DataReader,
    Query(q): Query<PersonQuery>,
) -> Result<Json<serde_json::Value>, WebError> {
    let categories = q.categories.as_ref().map(|c| {
        c.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    });
    read(
        &state,
        lang,
        &caller,
        q,
        categories,
        "/api/v1/person".into(),
    )
    .await
}

#[utoipa::path(
    get, path = "/api/v1/person/{category}", tag = "data", security(("dpop" = [])),
    params(("category" = String, Path), PersonQuery),
    responses((status = 200, description = "One category", body = serde_json::Value))
)]
pub async fn person_category(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    caller: DataReader,
    Path(category): Path<String>,
    Query(q): Query<PersonQuery>,
) -> Result<Json<serde_json::Value>, WebError> {
    let endpoint = format!(
        "/api/v1/person/{}",
        category.chars().take(40).collect::<String>()
    );
    read(&state, lang, &caller, q, Some(vec![category]), endpoint).await
}

#[utoipa::path(
    get, path = "/api/v1/organization/{ogrn}", tag = "data", security(("dpop" = [])),
    params(("ogrn" = String, Path)),
    responses(
        (status = 200, description = "The public ЕГРЮЛ extract", body = serde_json::Value),
        (status = 404, description = "No such organization", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn organization(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(_client): Partner,
    Path(ogrn): Path<String>,
) -> Result<Json<serde_json::Value>, WebError> {
    let v = state
        .services
        .organization_extract(&ogrn)
        .await
        .map_err(|e| api_error(e, lang))?;
    Ok(Json(v))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The receipt: a compact JWS of type `consent-receipt+jwt`.
    pub receipt: String,
}

#[utoipa::path(
    post, path = "/api/v1/consent-receipts/verify", tag = "consents", request_body = VerifyRequest,
    responses((status = 200, description = "`valid`, and for a valid receipt its claims and the consent's status now", body = serde_json::Value))
)]
pub async fn verify(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    ApiJson(req): ApiJson<VerifyRequest>,
) -> Result<Json<serde_json::Value>, WebError> {
    let verdict = state
        .services
        .verify_receipt(&req.receipt)
        .await
        .map_err(|e| api_error(e, lang))?;
    Ok(Json(verdict_json(&verdict)))
}

/// The JSON both the API and `propusk consent verify` print.
pub fn verdict_json(v: &Verdict) -> serde_json::Value {
    match v {
        Verdict::Valid { claims, status } => serde_json::json!({
            "valid": true, "claims": claims, "status": status.map(|s| s.code()),
        }),
        Verdict::Malformed(why) => serde_json::json!({ "valid": false, "error": why }),
        Verdict::BadSignature => {
            serde_json::json!({ "valid": false, "error": "the signature does not verify against Propusk's published keys" })
        }
    }
}
