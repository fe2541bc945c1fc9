//! `/cabinet/orgs`: the person's organizations and which one the session
//! acts for, invitations waiting for them, and registering a company they
//! head per ЕГРЮЛ.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_service::ServiceError;
use propusk_service::org::Context;
use serde::Deserialize;
use uuid::Uuid;

use super::{PageCtx, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::session::Citizen;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    ogrn: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SwitchForm {
    /// Empty: the personal cabinet.
    #[serde(default)]
    org: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    invitation: String,
    #[serde(default)]
    answer: String,
}

struct OrgLine {
    id: String,
    name: String,
    ogrn: String,
    role: String,
    current: bool,
}

struct InvitationLine {
    id: String,
    org: String,
    ogrn: String,
    role: String,
    until: String,
}

#[derive(askama::Template)]
#[template(path = "cabinet_orgs.html")]
struct OrgsPage {
    ctx: PageCtx,
    orgs: Vec<OrgLine>,
    acting: bool,
    invitations: Vec<InvitationLine>,
    ogrn: String,
    error: Option<String>,
    invitation_error: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    current: &propusk_service::sessions::Current,
    ogrn: String,
    error: Option<String>,
    invitation_error: Option<String>,
) -> Result<OrgsPage, WebError> {
    let s = &state.services;
    let lang = ctx.t.lang;
    let acting = match s.context(current).await.map_err(service_error)? {
        Context::Org(a) => Some(a.org_id),
        _ => None,
    };
    let orgs = s
        .organizations_of(current.account_id)
        .await
        .map_err(service_error)?
        .into_iter()
        .map(|o| OrgLine {
            current: acting == Some(o.id),
            id: o.id.to_string(),
            name: o.name,
            ogrn: o.ogrn,
            role: if o.head {
                format!("{} · {}", o.role.name(lang), ctx.t.get("orgs-head"))
            } else {
                o.role.name(lang).to_owned()
            },
        })
        .collect();
    let invitations = s
        .my_invitations(current.account_id)
        .await
        .map_err(service_error)?
        .into_iter()
        .map(|i| InvitationLine {
            id: i.id.to_string(),
            org: i.org_name,
            ogrn: i.ogrn,
            role: i.role.name(lang).to_owned(),
            until: propusk_service::format::moscow_time(i.expires_at),
        })
        .collect();
    Ok(OrgsPage {
        ctx,
        orgs,
        acting: acting.is_some(),
        invitations,
        ogrn,
        error,
        invitation_error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
) -> Result<Response, WebError> {
    render(&page(&state, ctx, &current, String::new(), None, None).await?)
}

pub async fn register(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    match state
        .services
        .register_organization(&current, &form.ogrn)
        .await
    {
        Ok(_) => Ok(Redirect::to("/org").into_response()),
        Err(ServiceError::Invalid(problems)) => {
            let error = super::first_problem(&problems, lang);
            let typed: String = form.ogrn.chars().take(40).collect();
            let body = render(&page(&state, ctx, &current, typed, error, None).await?)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(e) => Err(service_error(e)),
    }
}

pub async fn switch(
    State(state): State<AppState>,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<SwitchForm>,
) -> Result<Response, WebError> {
    let org = match form.org.trim() {
        "" => None,
        id => Some(Uuid::parse_str(id).map_err(|_| WebError::Forbidden)?),
    };
    state
        .services
        .switch_context(&current, org)
        .await
        .map_err(service_error)?;
    Ok(Redirect::to(if org.is_some() { "/org" } else { "/cabinet" }).into_response())
}

pub async fn answer(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    let id = Uuid::parse_str(form.invitation.trim()).map_err(|_| WebError::NotFound)?;
    let accept = match form.answer.as_str() {
        "accept" => true,
        "decline" => false,
        _ => {
            return Err(WebError::BadRequest {
                detail: ctx.t.get("orgs-answer-bad"),
            });
        }
    };
    match state.services.answer_invitation(&current, id, accept).await {
        Ok(()) => Ok(Redirect::to("/cabinet/orgs").into_response()),
        Err(ServiceError::Invalid(problems)) => {
            let error = super::first_problem(&problems, lang);
            let body = render(&page(&state, ctx, &current, String::new(), None, error).await?)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(e) => Err(service_error(e)),
    }
}
