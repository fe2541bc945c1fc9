//! Monitoring for partners: the caller's consents by status and purpose,
//! its reads per day and category and its refused reads, as JSON and CSV.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::partner::{Partner, api_error};
use crate::error::WebError;
use crate::i18n::UserLang;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct DaysQuery {
    /// How many days back the reads go (1–90, default 30).
    pub days: Option<i64>,
}

/// A CSV download named `name`.
pub fn csv_response(name: &str, body: String) -> Response {
    use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
    let mut res = axum::response::IntoResponse::into_response(body);
    let h = res.headers_mut();
    h.insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = format!("attachment; filename=\"{name}\"").parse() {
        h.insert(CONTENT_DISPOSITION, v);
    }
    h.insert(
        CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

#[utoipa::path(
    get, path = "/api/v1/monitoring", tag = "consents", params(DaysQuery), security(("dpop" = [])),
    responses((status = 200, description = "Consents by status and purpose; reads per Moscow day, by category, and refusals by problem type", body = serde_json::Value))
)]
pub async fn summary(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(client): Partner,
    Query(q): Query<DaysQuery>,
) -> Result<Json<serde_json::Value>, WebError> {
    let m = state
        .services
        .consent_monitoring(&client.id, q.days.unwrap_or(30))
        .await
        .map_err(|e| api_error(e, lang))?;
    Ok(Json(m.to_json()))
}

#[utoipa::path(
    get, path = "/api/v1/monitoring/reads.csv", tag = "consents", params(DaysQuery), security(("dpop" = [])),
    responses((status = 200, description = "`day,result,category,count`", content_type = "text/csv", body = String))
)]
pub async fn reads_csv(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(client): Partner,
    Query(q): Query<DaysQuery>,
) -> Result<Response, WebError> {
    let m = state
        .services
        .consent_monitoring(&client.id, q.days.unwrap_or(30))
        .await
        .map_err(|e| api_error(e, lang))?;
    let csv = m.reads_csv().map_err(|e| api_error(e, lang))?;
    Ok(csv_response("reads.csv", csv))
}

#[utoipa::path(
    get, path = "/api/v1/monitoring/consents.csv", tag = "consents", security(("dpop" = [])),
    responses((status = 200, description = "Your consents, newest first, without personal data", content_type = "text/csv", body = String))
)]
pub async fn consents_csv(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(client): Partner,
) -> Result<Response, WebError> {
    let csv = state
        .services
        .consents_csv(&client.id)
        .await
        .map_err(|e| api_error(e, lang))?;
    Ok(csv_response("consents.csv", csv))
}
