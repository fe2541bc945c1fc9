//! Partners' webhook endpoints: register (the secret is shown once),
//! list, rotate the secret, disable, see deliveries and redeliver.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use propusk_service::webhooks::Endpoint;
use propusk_store::webhooks::DeliveryRow;
use serde::Deserialize;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiJson;
use super::partner::{Partner, api_error};
use crate::error::WebError;
use crate::i18n::UserLang;
use crate::state::AppState;

fn t(v: time::OffsetDateTime) -> Option<String> {
    v.format(&Rfc3339).ok()
}

fn endpoint_json(e: &Endpoint) -> Value {
    json!({
        "id": e.id, "url": e.url, "events": e.events, "created_at": t(e.created_at),
        "disabled": e.disabled, "previous_secret_valid_until": e.rotating_until.and_then(t),
    })
}

fn delivery_json(d: &DeliveryRow) -> Value {
    json!({
        "id": d.id, "event_id": d.event_id, "event_type": d.event_type, "status": d.status,
        "attempts": d.attempts, "created_at": t(d.created_at),
        "next_attempt_at": (d.status == "pending").then(|| t(d.next_attempt_at)).flatten(),
        "last_attempt_at": d.last_attempt_at.and_then(t), "last_status": d.last_status,
        "last_error": d.last_error, "delivered_at": d.delivered_at.and_then(t),
        "payload": serde_json::from_str::<Value>(&d.payload).unwrap_or(Value::Null),
    })
}

fn id_of(raw: &str) -> Result<Uuid, WebError> {
    Uuid::parse_str(raw).map_err(|_| WebError::NotFound)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// https (in the sandbox also http on a loopback address).
    pub url: String,
    /// Event types; every event when empty.
    #[serde(default)]
    pub events: Vec<String>,
}

#[utoipa::path(
    post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhook, security(("dpop" = [])),
    responses(
        (status = 201, description = "Registered; `secret` is shown only now", body = serde_json::Value),
        (status = 422, description = "A URL or event not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(client): Partner,
    ApiJson(req): ApiJson<NewWebhook>,
) -> Result<Response, WebError> {
    let (e, secret) = state
        .services
        .create_webhook(&client, &req.url, &req.events)
        .await
        .map_err(|e| api_error(e, lang))?;
    let mut body = endpoint_json(&e);
    body["secret"] = secret.into();
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/webhooks", tag = "webhooks", security(("dpop" = [])),
    responses((status = 200, description = "Your endpoints", body = serde_json::Value))
)]
pub async fn list(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(client): Partner,
) -> Result<Json<Value>, WebError> {
    let list = state
        .services
        .webhooks_of(&client)
        .await
        .map_err(|e| api_error(e, lang))?;
    Ok(Json(
        json!({ "webhooks": list.iter().map(endpoint_json).collect::<Vec<_>>() }),
    ))
}

#[utoipa::path(
    delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("dpop" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Disabled: nothing more is delivered to it"))
)]
pub async fn disable(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(client): Partner,
    Path(id): Path<String>,
) -> Result<StatusCode, WebError> {
    state
        .services
        .disable_webhook(&client, id_of(&id)?)
        .await
        .map_err(|e| api_error(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/api/v1/webhooks/{id}/rotate", tag = "webhooks", security(("dpop" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The new secret; the old one keeps signing for 24 hours", body = serde_json::Value))
)]
pub async fn rotate(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(client): Partner,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    let secret = state
        .services
        .rotate_webhook_secret(&client, id_of(&id)?)
        .await
        .map_err(|e| api_error(e, lang))?;
    Ok(Json(json!({ "secret": secret })))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeliveriesQuery {
    /// At most this many, newest first (1–500, default 100).
    pub limit: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("dpop" = [])),
    params(("id" = String, Path), DeliveriesQuery),
    responses((status = 200, description = "Deliveries with their last answer", body = serde_json::Value))
)]
pub async fn deliveries(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(client): Partner,
    Path(id): Path<String>,
    Query(q): Query<DeliveriesQuery>,
) -> Result<Json<Value>, WebError> {
    let list = state
        .services
        .webhook_deliveries(&client, id_of(&id)?, q.limit.unwrap_or(100))
        .await
        .map_err(|e| api_error(e, lang))?;
    Ok(Json(
        json!({ "deliveries": list.iter().map(delivery_json).collect::<Vec<_>>() }),
    ))
}

#[utoipa::path(
    post, path = "/api/v1/webhook-deliveries/{id}/redeliver", tag = "webhooks", security(("dpop" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 202, description = "Queued again, with the same event id"),
        (status = 409, description = "Still pending", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn redeliver(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Partner(client): Partner,
    Path(id): Path<String>,
) -> Result<StatusCode, WebError> {
    state
        .services
        .redeliver_webhook(&client, id_of(&id)?)
        .await
        .map_err(|e| api_error(e, lang))?;
    Ok(StatusCode::ACCEPTED)
}
