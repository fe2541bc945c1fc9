//! `/org/partner`: the organization applies to become a partner, and
//! follows its applications. For administrators (the right to manage
//! clients).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_oidc::scopes;
use propusk_service::ServiceError;
use propusk_service::format::moscow_time;
use propusk_service::oauth::partner::Application;
use propusk_store::partner_apps::AppState;

use super::org::{OrgNav, nav};
use super::partner_view::{AppLines, lines};
use super::{PageCtx, first_problem, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::org_access::{ManageClients, OrgMember};
use crate::state::AppState as Web;

struct ScopeField {
    name: &'static str,
    text: &'static str,
    checked: bool,
    reason: String,
}

struct Legal {
    full_name: String,
    ogrn: String,
    inn: String,
    kpp: String,
    address: String,
    head: String,
    status: String,
    fetched: String,
}

#[derive(askama::Template)]
#[template(path = "org_partner.html")]
struct PartnerPage {
    ctx: PageCtx,
    nav: OrgNav,
    legal: Legal,
    apps: Vec<AppLines>,
    /// No application is under review: the form is shown.
    may_apply: bool,
    form: HashMap<String, String>,
    scopes: Vec<ScopeField>,
    error: Option<String>,
    submitted: bool,
}

impl PartnerPage {
    fn value(&self, k: &str) -> &str {
        self.form.get(k).map(String::as_str).unwrap_or("")
    }
}

/// Lines of a textarea, trimmed, empty ones dropped.
pub fn lines_of(text: Option<&String>) -> Vec<String> {
    text.map(|t| {
        t.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

async fn page(
    state: &Web,
    ctx: PageCtx,
    acting: &propusk_service::org::Acting,
    form: HashMap<String, String>,
    error: Option<String>,
    submitted: bool,
) -> Result<Response, WebError> {
    let org = state
        .services
        .organization(acting)
        .await
        .map_err(service_error)?;
    let apps: Vec<AppLines> = state
        .services
        .org_applications(acting)
        .await
        .map_err(service_error)?
        .iter()
        .map(|a| lines(&ctx, a))
        .collect();
    let may_apply = !apps.iter().any(|a| a.state == AppState::Submitted.as_str());
    let x = &org.extract;
    let legal = Legal {
        full_name: x.full_name.clone(),
        ogrn: x.ogrn.clone(),
        inn: x.inn.clone(),
        kpp: x.kpp.clone(),
        address: x.address.clone(),
        head: format!(
            "{}, {} {} {}",
            x.head.position, x.head.last_name, x.head.first_name, x.head.middle_name
        ),
        status: x.status.clone(),
        fetched: moscow_time(org.fetched_at),
    };
    let scope_fields = scopes::SCOPES
        .iter()
        .filter(|s| s.name != "openid")
        .map(|s| ScopeField {
            name: s.name,
            text: match ctx.t.lang {
                propusk_core::Lang::Ru => s.ru,
                propusk_core::Lang::En => s.en,
            },
            checked: form.contains_key(&format!("scope_{}", s.name)),
            reason: form
                .get(&format!("reason_{}", s.name))
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    let failed = error.is_some();
    let mut res = render(&PartnerPage {
        nav: nav(&ctx, acting),
        ctx,
        legal,
        apps,
        may_apply,
        form,
        scopes: scope_fields,
        error,
        submitted,
    })?;
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ShownQuery {
    submitted: Option<String>,
}

pub async fn show(
    State(state): State<Web>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<ManageClients>,
    axum::extract::Query(q): axum::extract::Query<ShownQuery>,
) -> Result<Response, WebError> {
    page(
        &state,
        ctx,
        &acting,
        HashMap::new(),
        None,
        q.submitted.is_some(),
    )
    .await
}

pub async fn apply(
    State(state): State<Web>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<ManageClients>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let key_mode_uri = get("key_mode") == "uri";
    let input = Application {
        contact_name: get("contact_name"),
        contact_phone: get("contact_phone"),
        contact_email: get("contact_email"),
        client_name: get("client_name"),
        redirect_uris: lines_of(form.get("redirect_uris")),
        scopes: scopes::SCOPES
            .iter()
            .filter(|s| form.contains_key(&format!("scope_{}", s.name)))
            .map(|s| (s.name.to_owned(), get(&format!("reason_{}", s.name))))
            .collect(),
        ip_allow: lines_of(form.get("ip_allow")),
        jwks: (!key_mode_uri).then(|| get("jwks")),
        jwks_uri: key_mode_uri.then(|| get("jwks_uri")),
    };
    match state.services.submit_application(&acting, &input).await {
        Ok(_) => Ok(Redirect::to("/org/partner?submitted=1").into_response()),
        Err(ServiceError::Invalid(p)) => {
            let error = first_problem(&p, ctx.t.lang);
            page(&state, ctx, &acting, form, error, false).await
        }
        Err(ServiceError::Conflict) => {
            let error = Some(ctx.t.get("partner-under-review"));
            let mut res = page(&state, ctx, &acting, form, error, false).await?;
            *res.status_mut() = StatusCode::CONFLICT;
            Ok(res)
        }
        Err(e) => Err(service_error(e)),
    }
}
