//! `/org/clients/{client_id}/webhooks`: a client's webhook endpoints and
//! their deliveries with the receiver's answers, and redelivery.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_service::ServiceError;
use propusk_service::format::moscow_time;

use super::org::{OrgNav, nav};
use super::{PageCtx, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::org_access::{ManageClients, OrgMember};
use crate::state::AppState;

pub struct DeliveryLine {
    pub id: String,
    pub event: String,
    pub event_id: String,
    pub status: String,
    pub status_code: String,
    pub attempts: i32,
    pub created: String,
    pub answer: String,
    pub can_redeliver: bool,
}

pub struct EndpointBlock {
    pub id: String,
    pub url: String,
    pub events: String,
    pub disabled: bool,
    pub deliveries: Vec<DeliveryLine>,
}

#[derive(askama::Template)]
#[template(path = "org_webhooks.html")]
struct WebhooksPage {
    ctx: PageCtx,
    nav: OrgNav,
    client_id: String,
    endpoints: Vec<EndpointBlock>,
    notice: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    acting: &propusk_service::org::Acting,
    client_id: &str,
    notice: Option<String>,
) -> Result<WebhooksPage, WebError> {
    let list = state
        .services
        .org_client_webhooks(acting, client_id)
        .await
        .map_err(service_error)?;
    let endpoints = list
        .into_iter()
        .map(|(e, ds)| EndpointBlock {
            id: e.id.to_string(),
            url: e.url,
            events: e.events.join(", "),
            disabled: e.disabled,
            deliveries: ds
                .into_iter()
                .map(|d| DeliveryLine {
                    id: d.id.to_string(),
                    event: d.event_type,
                    event_id: d.event_id.to_string(),
                    status: ctx.t.get(&format!("webhooks-status-{}", d.status)),
                    status_code: d.status.clone(),
                    attempts: d.attempts,
                    created: moscow_time(d.created_at),
                    answer: match (d.last_status, d.last_error) {
                        (Some(code), None) => code.to_string(),
                        (Some(code), Some(e)) => format!("{code}: {e}"),
                        (None, Some(e)) => e,
                        (None, None) => "—".into(),
                    },
                    can_redeliver: d.status != "pending",
                })
                .collect(),
        })
        .collect();
    Ok(WebhooksPage {
        nav: nav(&ctx, acting),
        ctx,
        client_id: client_id.to_owned(),
        endpoints,
        notice,
    })
}

pub async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<ManageClients>,
    Path(client_id): Path<String>,
) -> Result<Response, WebError> {
    render(&page(&state, ctx, &acting, &client_id, None).await?)
}

pub async fn redeliver(
    State(state): State<AppState>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<ManageClients>,
    Path(client_id): Path<String>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let delivery = form
        .get("delivery")
        .and_then(|d| uuid::Uuid::parse_str(d.trim()).ok())
        .ok_or(WebError::NotFound)?;
    match state
        .services
        .org_redeliver_webhook(&acting, &client_id, delivery)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/org/clients/{}/webhooks",
            crate::session::encode_query(&client_id)
        ))
        .into_response()),
        Err(ServiceError::Conflict) => {
            let notice = Some(ctx.t.get("webhooks-still-pending"));
            let p = page(&state, ctx, &acting, &client_id, notice).await?;
            Ok((StatusCode::CONFLICT, render(&p)?).into_response())
        }
        Err(e) => Err(service_error(e)),
    }
}
