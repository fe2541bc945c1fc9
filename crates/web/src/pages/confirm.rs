//! `/cabinet/confirm`: confirming the account through a partner bank. The
//! person picks a bank and is sent there; the bank sends them back to
//! `/cabinet/confirm/callback`, and the page shows where the link stands
//! (active, pending, rejected) with every try in a log.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_core::account::TrustLevel;
use propusk_service::ServiceError;
use propusk_service::confirm::{Callback, Finished, Status};
use propusk_store::bank_links::{LinkState, LogRow};
use serde::Deserialize;

use super::{PageCtx, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::session::Citizen;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct StartForm {
    #[serde(default)]
    bank: String,
}

/// What a bank may put on the callback URL; everything else is ignored.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    iss: Option<String>,
}

struct LinkView {
    bank: String,
    state: &'static str,
    state_text: String,
    since: String,
    reason: Option<String>,
    verified_at: Option<String>,
}

struct BankChoice {
    id: String,
    name: String,
    checked: bool,
}

struct LogLine {
    time: String,
    bank: String,
    text: String,
}

#[derive(askama::Template)]
#[template(path = "cabinet_confirm.html")]
struct ConfirmPage {
    ctx: PageCtx,
    standard: bool,
    confirmed: bool,
    link: Option<LinkView>,
    banks: Vec<BankChoice>,
    submit: String,
    error: Option<String>,
    log: Vec<LogLine>,
    /// The log starts unfolded while something is wrong.
    log_open: bool,
}

fn reason_text(ctx: &PageCtx, code: &str, detail: Option<&str>) -> String {
    let base = ctx.t.get(&format!("confirm-msg-{code}"));
    let detail = match (code, detail) {
        ("data_mismatch" | "passport_mismatch", Some(d)) => Some(
            d.split(',')
                .filter(|s| !s.is_empty())
                .map(|f| ctx.t.get(&format!("confirm-field-{f}")))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("passport_invalid", Some(d)) => Some(ctx.t.get(&format!("identity-why-{d}"))),
        ("bank_refused" | "bank_unauthorized", Some(d)) => Some(d.to_owned()),
        _ => None,
    };
    match detail {
        Some(d) if !d.is_empty() => format!("{base}: {d}"),
        _ => base,
    }
}

fn log_line(ctx: &PageCtx, status: &Status, row: &LogRow) -> LogLine {
    let bank = status
        .banks
        .iter()
        .find(|(id, _)| *id == row.bank)
        .map_or_else(|| row.bank.clone(), |(_, name)| name.clone());
    LogLine {
        time: propusk_service::format::moscow_time(row.at),
        bank,
        text: reason_text(ctx, &row.message, row.detail.as_deref()),
    }
}

fn build(ctx: PageCtx, status: Status, chosen: Option<&str>, error: Option<String>) -> ConfirmPage {
    let link = status.link.as_ref().map(|l| LinkView {
        bank: l.bank_name.clone(),
        state: l.state.as_str(),
        state_text: ctx.t.get(&format!("confirm-state-{}", l.state.as_str())),
        since: propusk_service::format::moscow_time(l.confirmed_at.unwrap_or(l.updated_at)),
        reason: l
            .reason
            .as_deref()
            .map(|r| reason_text(&ctx, r, l.detail.as_deref())),
        verified_at: l.verified_at.map(|v| {
            v.date()
                .format(&time::macros::format_description!("[day].[month].[year]"))
                .unwrap_or_default()
        }),
    });
    let linked = status.link.as_ref().map(|l| l.bank.as_str());
    let pick = chosen.or(linked);
    let banks = status
        .banks
        .iter()
        .enumerate()
        .map(|(i, (id, name))| BankChoice {
            id: id.clone(),
            name: name.clone(),
            checked: pick.map_or(i == 0, |p| p == id),
        })
        .collect();
    let submit = match status.link.as_ref().map(|l| l.state) {
        None => "confirm-submit",
        Some(LinkState::Active) if status.banks.len() > 1 => "confirm-submit-change",
        Some(LinkState::Active) => "confirm-submit-again",
        Some(_) => "confirm-submit-repeat",
    };
    let log = status
        .log
        .iter()
        .map(|r| log_line(&ctx, &status, r))
        .collect();
    ConfirmPage {
        log_open: status
            .link
            .as_ref()
            .is_some_and(|l| l.state != LinkState::Active),
        submit: ctx.t.get(submit),
        standard: status.level.is_some_and(|l| l >= TrustLevel::Standard),
        confirmed: status.level == Some(TrustLevel::Confirmed),
        link,
        banks,
        error,
        log,
        ctx,
    }
}

/// The page with the CSP that lets its form lead to the banks.
fn respond(state: &AppState, page: &ConfirmPage, status: StatusCode) -> Result<Response, WebError> {
    let mut res = (status, render(page)?).into_response();
    let origins = state
        .services
        .banks
        .as_ref()
        .map(|b| b.origins())
        .unwrap_or_default();
    let csp = crate::middleware::security::csp_with_form_targets(&origins);
    if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
        res.headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(res)
}

pub async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
) -> Result<Response, WebError> {
    let status = state
        .services
        .confirmation_status(current.account_id)
        .await
        .map_err(service_error)?;
    respond(&state, &build(ctx, status, None, None), StatusCode::OK)
}

pub async fn start(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<StartForm>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    match state
        .services
        .start_confirmation(&current, &form.bank)
        .await
    {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(ServiceError::Invalid(problems)) => {
            let error = super::first_problem(&problems, lang);
            let status = state
                .services
                .confirmation_status(current.account_id)
                .await
                .map_err(service_error)?;
            let page = build(ctx, status, Some(&form.bank), error);
            respond(&state, &page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(service_error(e)),
    }
}

pub async fn callback(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, WebError> {
    let cb = Callback {
        state: q.state,
        code: q.code,
        error: q.error,
        error_description: q.error_description,
        iss: q.iss,
    };
    match state.services.finish_confirmation(&current, &cb).await {
        Ok(Finished::Restart(url)) => Ok(Redirect::to(&url).into_response()),
        Ok(_) => Ok(Redirect::to("/cabinet/confirm").into_response()),
        Err(ServiceError::LinkInvalid) => Err(WebError::BadRequest {
            detail: ctx.t.get("confirm-flow-invalid"),
        }),
        Err(e) => Err(service_error(e)),
    }
}
