//! `/admin`: portal operators sign in (password and TOTP code), see the
//! queue of partner applications, and approve or reject each one.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_service::ServiceError;
use propusk_service::format::moscow_time;
use propusk_service::oauth::partner::ApplicationView;
use propusk_store::partner_apps::AppState;
use serde::Deserialize;
use uuid::Uuid;

use super::partner_view::{AppLines, lines};
use super::{PageCtx, first_problem, render, service_error};
use crate::admin_access::{OPERATOR_COOKIE, Staff};
use crate::cookies;
use crate::csrf::{self, CsrfForm};
use crate::error::WebError;
use crate::session::ClientInfo;
use crate::state::AppState as Web;

#[derive(askama::Template)]
#[template(path = "admin_login.html")]
struct LoginPage {
    ctx: PageCtx,
    login: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

pub async fn login_form(ctx: PageCtx) -> Result<Response, WebError> {
    render(&LoginPage {
        ctx,
        login: String::new(),
        error: None,
    })
}

pub async fn login(
    State(state): State<Web>,
    ctx: PageCtx,
    ClientInfo(client): ClientInfo,
    headers: axum::http::HeaderMap,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, WebError> {
    let https = state.settings.is_https();
    let now = state.services.clock.now();
    let name = cookies::name(OPERATOR_COOKIE, https);
    let previous = cookies::read_hex(&headers, &name, 64);
    let (status, error, retry) = match state
        .services
        .operator_sign_in(
            &form.login,
            &form.password,
            &form.code,
            &client,
            previous.as_deref(),
        )
        .await
    {
        Ok(token) => {
            let mut res = Redirect::to("/admin").into_response();
            cookies::set_strict(&mut res, &name, &token, https);
            csrf::rotate(&mut res, https);
            return Ok(res);
        }
        Err(ServiceError::BadCredentials) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            ctx.t.get("admin-login-wrong"),
            None,
        ),
        Err(ServiceError::Locked { until } | ServiceError::RateLimited { retry_at: until }) => (
            StatusCode::TOO_MANY_REQUESTS,
            ctx.t.get_arg("login-locked", "time", moscow_time(until)),
            Some(until),
        ),
        Err(e) => return Err(service_error(e)),
    };
    let mut res = (
        status,
        render(&LoginPage {
            ctx,
            login: form.login.chars().take(64).collect(),
            error: Some(error),
        })?,
    )
        .into_response();
    if let Some(until) = retry {
        super::retry_after(&mut res, until, now);
    }
    Ok(res)
}

pub async fn logout(
    State(state): State<Web>,
    Staff(op): Staff,
    CsrfForm(_): CsrfForm<super::NoFields>,
) -> Result<Response, WebError> {
    state
        .services
        .operator_sign_out(&op)
        .await
        .map_err(service_error)?;
    let https = state.settings.is_https();
    let mut res = Redirect::to("/admin/login").into_response();
    cookies::clear(&mut res, &cookies::name(OPERATOR_COOKIE, https), https);
    Ok(res)
}

struct QueueLine {
    id: Uuid,
    org: String,
    ogrn: String,
    client_name: String,
    scopes: String,
    submitted: String,
    decided: String,
}

struct Tab {
    state: &'static str,
    label: String,
    current: bool,
}

#[derive(askama::Template)]
#[template(path = "admin_queue.html")]
struct QueuePage {
    ctx: PageCtx,
    operator: String,
    tabs: Vec<Tab>,
    lines: Vec<QueueLine>,
}

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    state: Option<String>,
}

pub async fn queue(
    State(state): State<Web>,
    ctx: PageCtx,
    Staff(op): Staff,
    Query(q): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let shown = q
        .state
        .as_deref()
        .and_then(AppState::parse)
        .unwrap_or(AppState::Submitted);
    let list = state
        .services
        .applications(&op, shown)
        .await
        .map_err(service_error)?;
    let tabs = [AppState::Submitted, AppState::Approved, AppState::Rejected]
        .into_iter()
        .map(|s| Tab {
            state: s.as_str(),
            label: ctx.t.get(&format!("partner-state-{}", s.as_str())),
            current: s == shown,
        })
        .collect();
    let lines = list
        .into_iter()
        .map(|a| QueueLine {
            id: a.id,
            org: a.body.legal.short_name,
            ogrn: a.body.legal.ogrn,
            client_name: a.body.client_name,
            scopes: a
                .body
                .scopes
                .iter()
                .map(|s| s.scope.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            submitted: moscow_time(a.submitted_at),
            decided: a.decided_at.map(moscow_time).unwrap_or_default(),
        })
        .collect();
    render(&QueuePage {
        ctx,
        operator: op.login,
        tabs,
        lines,
    })
}

#[derive(askama::Template)]
#[template(path = "admin_application.html")]
struct ApplicationPage {
    ctx: PageCtx,
    operator: String,
    app: AppLines,
    contact_name: String,
    contact_phone: String,
    contact_email: String,
    head_name: String,
    open: bool,
    /// The approval's scope boxes: name, what it holds, ticked.
    boxes: Vec<(String, String, bool)>,
    note: String,
    reason: String,
    error: Option<String>,
}

/// What the operator typed into a decision that was refused, shown again.
#[derive(Default)]
struct Draft {
    /// Ticked scopes; `None`: all of them (the first showing).
    granted: Option<Vec<String>>,
    note: String,
    reason: String,
}

async fn application_page(
    state: &Web,
    ctx: PageCtx,
    op: &propusk_service::admin::Operator,
    id: Uuid,
    draft: Draft,
    error: Option<(StatusCode, String)>,
) -> Result<Response, WebError> {
    let app: ApplicationView = state
        .services
        .application(op, id)
        .await
        .map_err(service_error)?;
    let contact = app
        .contact
        .clone()
        .unwrap_or_else(|| propusk_service::oauth::partner::Contact {
            name: String::new(),
            phone: String::new(),
            email: String::new(),
            head_name: String::new(),
        });
    let status = error.as_ref().map(|e| e.0);
    let error = error.map(|e| e.1);
    let shown = lines(&ctx, &app);
    let boxes = shown
        .scopes
        .iter()
        .map(|s| {
            let ticked = draft.granted.as_ref().is_none_or(|g| g.contains(&s.name));
            (s.name.clone(), s.text.clone(), ticked)
        })
        .collect();
    let mut res = render(&ApplicationPage {
        open: app.state == AppState::Submitted,
        app: shown,
        ctx,
        operator: op.login.clone(),
        contact_name: contact.name,
        contact_phone: contact.phone,
        contact_email: contact.email,
        head_name: contact.head_name,
        boxes,
        note: draft.note,
        reason: draft.reason,
        error,
    })?;
    if let Some(status) = status {
        *res.status_mut() = status;
    }
    Ok(res)
}

/// Why a decision was refused: decided already (409), or the form (422).
fn refusal(ctx: &PageCtx, e: ServiceError) -> Result<(StatusCode, String), WebError> {
    match e {
        ServiceError::Conflict => Ok((StatusCode::CONFLICT, ctx.t.get("admin-decided-already"))),
        ServiceError::Invalid(p) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            first_problem(&p, ctx.t.lang).unwrap_or_default(),
        )),
        e => Err(service_error(e)),
    }
}

pub async fn application(
    State(state): State<Web>,
    ctx: PageCtx,
    Staff(op): Staff,
    Path(id): Path<Uuid>,
) -> Result<Response, WebError> {
    application_page(&state, ctx, &op, id, Draft::default(), None).await
}

/// The approval form: a `scope_NAME` box per scope asked for, and a note
/// when some are left unticked.
pub async fn approve(
    State(state): State<Web>,
    ctx: PageCtx,
    Staff(op): Staff,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    let granted: Vec<String> = form
        .keys()
        .filter_map(|k| k.strip_prefix("scope_"))
        .map(str::to_owned)
        .collect();
    let note = form.get("note").cloned().unwrap_or_default();
    match state
        .services
        .approve_application(&op, id, &granted, &note)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/applications/{id}")).into_response()),
        Err(e) => {
            let why = refusal(&ctx, e)?;
            let draft = Draft {
                granted: Some(granted),
                note,
                reason: String::new(),
            };
            application_page(&state, ctx, &op, id, draft, Some(why)).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

pub async fn reject(
    State(state): State<Web>,
    ctx: PageCtx,
    Staff(op): Staff,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<RejectForm>,
) -> Result<Response, WebError> {
    match state
        .services
        .reject_application(&op, id, &form.reason)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/admin/applications/{id}")).into_response()),
        Err(e) => {
            let why = refusal(&ctx, e)?;
            let draft = Draft {
                reason: form.reason,
                ..Draft::default()
            };
            application_page(&state, ctx, &op, id, draft, Some(why)).await
        }
    }
}
