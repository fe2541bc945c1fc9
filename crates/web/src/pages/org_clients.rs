//! `/org/clients`: the organization's OAuth clients, for administrators;
//! registering a sandbox client shows its `client_id` (and the secret of an
//! `oidc` one) once.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use propusk_oidc::{Profile, scopes};
use propusk_service::ServiceError;
use propusk_service::oauth::CreatedClient;
use propusk_service::oauth::portal::PortalClient;

use super::org::{OrgNav, nav};
use super::{PageCtx, first_problem, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::org_access::{ManageClients, OrgMember};
use crate::state::AppState;

struct Line {
    client_id: String,
    name: String,
    profile: String,
    environment: String,
    redirect_uris: String,
    scopes: String,
    created: String,
}

struct ScopeBox {
    name: &'static str,
    text: &'static str,
    checked: bool,
}

#[derive(askama::Template)]
#[template(path = "org_clients.html")]
struct ClientsPage {
    ctx: PageCtx,
    nav: OrgNav,
    lines: Vec<Line>,
    scopes: Vec<ScopeBox>,
    name: String,
    redirect_uri: String,
    oidc: bool,
    jwks: String,
    error: Option<String>,
    created: Option<CreatedClient>,
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    acting: &propusk_service::org::Acting,
    form: &HashMap<String, String>,
    error: Option<String>,
    created: Option<CreatedClient>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    let lines = state
        .services
        .org_clients(acting)
        .await
        .map_err(service_error)?
        .into_iter()
        .map(|c| Line {
            client_id: c.client_id,
            name: c.name,
            profile: c.profile,
            environment: c.environment,
            redirect_uris: c.redirect_uris.join(" "),
            scopes: c.scopes.join(" "),
            created: propusk_service::format::moscow_time(c.created_at),
        })
        .collect();
    let scope_boxes = scopes::SCOPES
        .iter()
        .filter(|s| s.name != "openid")
        .map(|s| ScopeBox {
            name: s.name,
            text: match lang {
                propusk_core::Lang::Ru => s.ru,
                propusk_core::Lang::En => s.en,
            },
            checked: form.contains_key(&format!("scope_{}", s.name)),
        })
        .collect();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let failed = error.is_some();
    let mut res = render(&ClientsPage {
        nav: nav(&ctx, acting),
        ctx,
        lines,
        scopes: scope_boxes,
        name: get("name"),
        redirect_uri: get("redirect_uri"),
        oidc: get("profile") == "oidc",
        jwks: get("jwks"),
        error,
        created,
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
) -> Result<Response, WebError> {
    page(&state, ctx, &acting, &HashMap::new(), None, None).await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<ManageClients>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    let input = PortalClient {
        name: form.get("name").cloned().unwrap_or_default(),
        profile: if form.get("profile").map(String::as_str) == Some("oidc") {
            Profile::Oidc
        } else {
            Profile::Fapi2
        },
        redirect_uri: form.get("redirect_uri").cloned().unwrap_or_default(),
        scopes: scopes::SCOPES
            .iter()
            .filter(|s| form.contains_key(&format!("scope_{}", s.name)))
            .map(|s| s.name.to_owned())
            .collect(),
        jwks: form.get("jwks").cloned(),
    };
    match state.services.create_org_client(&acting, &input).await {
        Ok(created) => page(&state, ctx, &acting, &HashMap::new(), None, Some(created)).await,
        Err(ServiceError::Invalid(p)) => {
            let error = first_problem(&p, lang);
            page(&state, ctx, &acting, &form, error, None).await
        }
        Err(e) => Err(service_error(e)),
    }
    .map(IntoResponse::into_response)
}
