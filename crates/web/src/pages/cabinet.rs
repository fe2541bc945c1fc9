//! `/cabinet`: the signed-in person's own pages (overview, sessions, sign-in
//! history). Every handler takes [`Citizen`], so none runs without a session.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use propusk_core::account::{AccountStatus, ContactChannel, TrustLevel};
use propusk_service::format::moscow_time;
use propusk_service::sessions::{HistoryView, SessionView};
use propusk_store::signin::Outcome;
use serde::Deserialize;
use uuid::Uuid;

use super::{PageCtx, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::session::Citizen;
use crate::state::AppState;

/// A contact as the overview lists it.
pub struct ContactLine {
    pub label: String,
    pub value: String,
    pub confirmed: bool,
}

#[derive(askama::Template)]
#[template(path = "cabinet.html")]
struct OverviewPage {
    ctx: PageCtx,
    name: String,
    snils: Option<String>,
    inn: Option<String>,
    status: String,
    trust: String,
    contacts: Vec<ContactLine>,
}

pub async fn overview(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
) -> Result<Response, WebError> {
    let o = state
        .services
        .overview(current.account_id)
        .await
        .map_err(service_error)?;
    let t = &ctx.t;
    let status = t.get(match o.status {
        AccountStatus::AwaitingConfirmation => "status-awaiting",
        AccountStatus::Active => "status-active",
        AccountStatus::Blocked => "status-blocked",
        AccountStatus::Deleted => "status-deleted",
    });
    let trust = t.get(match o.trust_level {
        None => "trust-none",
        Some(TrustLevel::Simplified) => "trust-simplified",
        Some(TrustLevel::Standard) => "trust-standard",
        Some(TrustLevel::Confirmed) => "trust-confirmed",
    });
    let contacts = o
        .contacts
        .into_iter()
        .map(|c| ContactLine {
            label: t.get(match c.channel {
                ContactChannel::Phone => "register-phone",
                ContactChannel::Email => "register-email",
            }),
            value: c.value,
            confirmed: c.confirmed,
        })
        .collect();
    render(&OverviewPage {
        name: o.name.full(),
        snils: o.snils,
        inn: o.inn,
        status,
        trust,
        contacts,
        ctx,
    })
}

pub struct SessionLine {
    pub id: Uuid,
    pub device: String,
    pub ip: String,
    pub since: String,
    pub last_seen: String,
    pub current: bool,
}

#[derive(askama::Template)]
#[template(path = "cabinet_sessions.html")]
struct SessionsPage {
    ctx: PageCtx,
    sessions: Vec<SessionLine>,
    notice: Option<String>,
    page: u32,
    prev: Option<u32>,
    next: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SessionsQuery {
    done: Option<String>,
    page: Option<String>,
}

/// A page number people type: 1-based; anything unreadable is page 1.
fn page_number(raw: Option<String>) -> u32 {
    raw.and_then(|p| p.trim().parse::<u32>().ok())
        .unwrap_or(1)
        .clamp(1, 10_000)
}

pub async fn sessions(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    Query(q): Query<SessionsQuery>,
) -> Result<Response, WebError> {
    let page = page_number(q.page);
    let (list, more): (Vec<SessionView>, bool) = state
        .services
        .list_sessions(&current, page - 1, PER_PAGE)
        .await
        .map_err(service_error)?;
    let notice = match q.done.as_deref() {
        Some("one") => Some(ctx.t.get("sessions-ended-one")),
        Some("others") => Some(ctx.t.get("sessions-ended-others")),
        _ => None,
    };
    render(&SessionsPage {
        sessions: list
            .into_iter()
            .map(|s| SessionLine {
                id: s.id,
                device: s.device,
                ip: s.ip,
                since: moscow_time(s.created_at),
                last_seen: moscow_time(s.last_seen_at),
                current: s.current,
            })
            .collect(),
        notice,
        page,
        prev: (page > 1).then(|| page - 1),
        next: more.then(|| page + 1),
        ctx,
    })
}

#[derive(Debug, Deserialize)]
pub struct EndForm {
    #[serde(default)]
    session: String,
}

pub async fn end_session(
    State(state): State<AppState>,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<EndForm>,
) -> Result<Response, WebError> {
    let id: Uuid = form
        .session
        .trim()
        .parse()
        .map_err(|_| WebError::NotFound)?;
    if id == current.id {
        // Ending this very session is signing out: the header's button does it.
        return Ok(Redirect::to("/cabinet/sessions").into_response());
    }
    state
        .services
        .end_session(&current, id)
        .await
        .map_err(service_error)?;
    Ok(Redirect::to("/cabinet/sessions?done=one").into_response())
}

pub async fn end_others(
    State(state): State<AppState>,
    Citizen(current): Citizen,
    CsrfForm(_): CsrfForm<super::NoFields>,
) -> Result<Response, WebError> {
    state
        .services
        .end_other_sessions(&current)
        .await
        .map_err(service_error)?;
    Ok(Redirect::to("/cabinet/sessions?done=others").into_response())
}

pub struct HistoryLine {
    pub at: String,
    pub device: String,
    pub ip: String,
    pub result: String,
    pub ok: bool,
}

#[derive(askama::Template)]
#[template(path = "cabinet_history.html")]
struct HistoryPage {
    ctx: PageCtx,
    lines: Vec<HistoryLine>,
    page: u32,
    prev: Option<u32>,
    next: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

const PER_PAGE: u32 = 20;

pub async fn history(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let page = page_number(q.page);
    let (rows, more): (Vec<HistoryView>, bool) = state
        .services
        .sign_in_history(current.account_id, page - 1, PER_PAGE)
        .await
        .map_err(service_error)?;
    let lines = rows
        .into_iter()
        .map(|h| HistoryLine {
            at: moscow_time(h.at),
            device: h.device,
            ip: h.ip,
            result: ctx.t.get(match h.result {
                Outcome::Success => "history-success",
                Outcome::WrongPassword => "history-wrong-password",
                Outcome::Locked => "history-locked",
                Outcome::FactorFailed => "history-factor-failed",
                Outcome::RateLimited => "history-rate-limited",
            }),
            ok: h.result == Outcome::Success,
        })
        .collect();
    render(&HistoryPage {
        lines,
        page,
        prev: (page > 1).then(|| page - 1),
        next: more.then(|| page + 1),
        ctx,
    })
}
