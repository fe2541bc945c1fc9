//! `/org/clients/{client_id}`: one client's settings, changed by the
//! organization's administrators (redirect URIs, IP allow-list, keys).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_service::ServiceError;
use propusk_service::format::moscow_time;
use propusk_service::oauth::portal::ClientChange;

use super::org::{OrgNav, nav};
use super::org_partner::lines_of;
use super::{PageCtx, first_problem, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::org_access::{ManageClients, OrgMember};
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "org_client.html")]
struct ClientPage {
    ctx: PageCtx,
    nav: OrgNav,
    client_id: String,
    name: String,
    profile: String,
    environment: String,
    scopes: String,
    sector: String,
    created: String,
    secret: bool,
    disabled: bool,
    redirect_uris: String,
    ip_allow: String,
    key_mode_uri: bool,
    jwks: String,
    jwks_uri: String,
    error: Option<String>,
    saved: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    acting: &propusk_service::org::Acting,
    client_id: &str,
    form: Option<&HashMap<String, String>>,
    error: Option<String>,
    saved: Option<String>,
) -> Result<Response, WebError> {
    let c = state
        .services
        .org_client(acting, client_id)
        .await
        .map_err(service_error)?;
    let get = |k: &str| form.and_then(|f| f.get(k)).cloned();
    let failed = error.is_some();
    let mut res = render(&ClientPage {
        nav: nav(&ctx, acting),
        client_id: c.summary.client_id,
        name: c.summary.name,
        profile: c.summary.profile,
        environment: c.summary.environment,
        scopes: c.summary.scopes.join(" "),
        sector: c.sector,
        created: moscow_time(c.summary.created_at),
        secret: c.secret,
        disabled: c.disabled,
        redirect_uris: get("redirect_uris").unwrap_or_else(|| c.summary.redirect_uris.join("\n")),
        ip_allow: get("ip_allow").unwrap_or_else(|| c.ip_allow.join("\n")),
        key_mode_uri: match get("key_mode") {
            Some(m) => m == "uri",
            None => c.jwks_uri.is_some(),
        },
        jwks: get("jwks").unwrap_or_else(|| c.jwks.unwrap_or_default()),
        jwks_uri: get("jwks_uri").unwrap_or_else(|| c.jwks_uri.unwrap_or_default()),
        ctx,
        error,
        saved,
    })?;
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

pub async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<ManageClients>,
    Path(client_id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, WebError> {
    page(&state, ctx, &acting, &client_id, None, None, q.saved).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<ManageClients>,
    Path(client_id): Path<String>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let uri_mode = form.get("key_mode").map(String::as_str) == Some("uri");
    let change = ClientChange {
        redirect_uris: lines_of(form.get("redirect_uris")),
        ip_allow: lines_of(form.get("ip_allow")),
        jwks: (!uri_mode).then(|| form.get("jwks").cloned().unwrap_or_default()),
        jwks_uri: uri_mode.then(|| form.get("jwks_uri").cloned().unwrap_or_default()),
    };
    match state
        .services
        .update_org_client(&acting, &client_id, &change)
        .await
    {
        Ok(changed) => {
            let what = if changed.is_empty() {
                "none".to_owned()
            } else {
                changed.join(",")
            };
            let target = format!(
                "/org/clients/{}?saved={what}",
                crate::session::encode_query(&client_id)
            );
            Ok(Redirect::to(&target).into_response())
        }
        Err(ServiceError::Invalid(p)) => {
            let error = first_problem(&p, ctx.t.lang);
            page(&state, ctx, &acting, &client_id, Some(&form), error, None).await
        }
        Err(ServiceError::Conflict) => {
            let error = Some(ctx.t.get("org-client-changed-meanwhile"));
            let mut res = page(&state, ctx, &acting, &client_id, None, error, None).await?;
            *res.status_mut() = StatusCode::CONFLICT;
            Ok(res)
        }
        Err(e) => Err(service_error(e)),
    }
}

/// `POST /org/clients/{client_id}/disable` and `/enable`.
async fn set_enabled(
    state: &AppState,
    acting: &propusk_service::org::Acting,
    client_id: &str,
    enabled: bool,
) -> Result<Response, WebError> {
    state
        .services
        .set_org_client_enabled(acting, client_id, enabled)
        .await
        .map_err(service_error)?;
    let target = format!(
        "/org/clients/{}?saved=state",
        crate::session::encode_query(client_id)
    );
    Ok(Redirect::to(&target).into_response())
}

pub async fn disable(
    State(state): State<AppState>,
    OrgMember { acting, .. }: OrgMember<ManageClients>,
    Path(client_id): Path<String>,
    CsrfForm(_): CsrfForm<super::NoFields>,
) -> Result<Response, WebError> {
    set_enabled(&state, &acting, &client_id, false).await
}

pub async fn enable(
    State(state): State<AppState>,
    OrgMember { acting, .. }: OrgMember<ManageClients>,
    Path(client_id): Path<String>,
    CsrfForm(_): CsrfForm<super::NoFields>,
) -> Result<Response, WebError> {
    set_enabled(&state, &acting, &client_id, true).await
}
