//! The second factor in pages: the factor step of `/login`, and the
//! security section of the cabinet (turning TOTP on and off, backup codes).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_service::ServiceError;
use propusk_service::factor::Enrolment;
use serde::Deserialize;

use super::{PageCtx, render, service_error};
use crate::csrf::{self, CsrfForm};
use crate::error::WebError;
use crate::session::{self, Citizen, ClientInfo, Pending};
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "login_factor.html")]
struct FactorPage {
    ctx: PageCtx,
    next: String,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn form(
    ctx: PageCtx,
    Pending(_): Pending,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Result<Response, WebError> {
    render(&FactorPage {
        ctx,
        next: session::safe_next(q.next.as_deref()),
        error: None,
        notice: None,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct FactorForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Pending(pending): Pending,
    ClientInfo(client): ClientInfo,
    CsrfForm(form): CsrfForm<FactorForm>,
) -> Result<Response, WebError> {
    let next = session::safe_next(Some(&form.next));
    let now = state.services.clock.now();
    let (status, error, retry) = if form.code.trim().is_empty() {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ctx.t.get("factor-code-required"),
            None,
        )
    } else {
        match state
            .services
            .complete_sign_in(&pending, &form.code, &client)
            .await
        {
            Ok(session) => {
                let https = state.settings.is_https();
                let mut res = Redirect::to(&next).into_response();
                super::login::set_session_cookies(&mut res, &session, https);
                csrf::rotate(&mut res, https);
                return Ok(res);
            }
            Err(ServiceError::WrongFactorCode) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ctx.t.get("factor-code-wrong"),
                None,
            ),
            Err(ServiceError::Locked { until }) => (
                StatusCode::TOO_MANY_REQUESTS,
                ctx.t.get_arg(
                    "login-locked",
                    "time",
                    propusk_service::format::moscow_time(until),
                ),
                Some(until),
            ),
            Err(e) => return Err(service_error(e)),
        }
    };
    let mut res = (
        status,
        render(&FactorPage {
            ctx,
            next,
            error: Some(error),
            notice: None,
        })?,
    )
        .into_response();
    if let Some(until) = retry {
        super::retry_after(&mut res, until, now);
    }
    Ok(res)
}

pub async fn send_sms(
    State(state): State<AppState>,
    ctx: PageCtx,
    Pending(pending): Pending,
    CsrfForm(form): CsrfForm<FactorForm>,
) -> Result<Response, WebError> {
    let next = session::safe_next(Some(&form.next));
    let (status, error, notice) = match state.services.send_sign_in_sms(&pending, ctx.t.lang).await
    {
        Ok(()) => (StatusCode::OK, None, Some(ctx.t.get("factor-sms-sent"))),
        Err(ServiceError::RateLimited { retry_at }) => {
            let seconds = (retry_at - state.services.clock.now())
                .whole_seconds()
                .max(1);
            (
                StatusCode::TOO_MANY_REQUESTS,
                Some(ctx.t.get_arg("register-code-wait", "seconds", seconds)),
                None,
            )
        }
        Err(ServiceError::NotFound) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(ctx.t.get("factor-no-phone")),
            None,
        ),
        Err(e) => return Err(service_error(e)),
    };
    Ok((
        status,
        render(&FactorPage {
            ctx,
            next,
            error,
            notice,
        })?,
    )
        .into_response())
}

#[derive(askama::Template)]
#[template(path = "cabinet_security.html")]
struct SecurityPage {
    ctx: PageCtx,
    totp: bool,
    backup_left: i64,
    enrolment: Option<Enrolment>,
    /// Shown once, right after they were made.
    backup_codes: Vec<String>,
    error: Option<String>,
    notice: Option<String>,
    /// Errors of the password change form, by field.
    password_errors: Vec<(&'static str, String)>,
    /// When a requested deletion takes effect (Moscow time).
    deletion_due: Option<String>,
    delete_error: Option<String>,
}

impl SecurityPage {
    fn password_error(&self, field: &str) -> Option<&str> {
        self.password_errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    fn new(ctx: PageCtx, totp: bool, backup_left: i64) -> SecurityPage {
        SecurityPage {
            ctx,
            totp,
            backup_left,
            enrolment: None,
            backup_codes: Vec::new(),
            error: None,
            notice: None,
            password_errors: Vec::new(),
            deletion_due: None,
            delete_error: None,
        }
    }
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    account: uuid::Uuid,
) -> Result<SecurityPage, WebError> {
    let status = state
        .services
        .factor_status(account)
        .await
        .map_err(service_error)?;
    let mut p = SecurityPage::new(ctx, status.totp, status.backup_codes_left);
    p.deletion_due = state
        .services
        .deletion_due(account)
        .await
        .map_err(service_error)?
        .map(propusk_service::format::moscow_time);
    Ok(p)
}

pub async fn security(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
) -> Result<Response, WebError> {
    let mut p = page(&state, ctx, current.account_id).await?;
    p.enrolment = state
        .services
        .enrolment(&current)
        .await
        .map_err(service_error)?;
    render(&p)
}

pub async fn start_totp(
    State(state): State<AppState>,
    Citizen(current): Citizen,
    CsrfForm(_): CsrfForm<super::NoFields>,
) -> Result<Response, WebError> {
    match state.services.start_totp(&current).await {
        Ok(_) | Err(ServiceError::Conflict) => {
            Ok(Redirect::to("/cabinet/security").into_response())
        }
        Err(e) => Err(service_error(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
}

pub async fn confirm_totp(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    match state
        .services
        .confirm_totp(&current, &form.code, lang)
        .await
    {
        Ok(codes) => {
            let mut p = page(&state, ctx, current.account_id).await?;
            p.backup_codes = codes;
            p.notice = Some(p.ctx.t.get("security-totp-on"));
            render(&p)
        }
        Err(ServiceError::WrongFactorCode) => {
            let mut p = page(&state, ctx, current.account_id).await?;
            p.enrolment = state
                .services
                .enrolment(&current)
                .await
                .map_err(service_error)?;
            p.error = Some(p.ctx.t.get("factor-code-wrong"));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
        }
        Err(ServiceError::NotFound | ServiceError::Conflict) => {
            Ok(Redirect::to("/cabinet/security").into_response())
        }
        Err(e) => Err(service_error(e)),
    }
}

pub async fn new_backup_codes(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(_): CsrfForm<super::NoFields>,
) -> Result<Response, WebError> {
    match state.services.regenerate_backup_codes(&current).await {
        Ok(codes) => {
            let mut p = page(&state, ctx, current.account_id).await?;
            p.backup_codes = codes;
            render(&p)
        }
        Err(ServiceError::NotFound) => Ok(Redirect::to("/cabinet/security").into_response()),
        Err(e) => Err(service_error(e)),
    }
}

pub async fn disable_totp(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    let error = match state
        .services
        .disable_totp(&current, &form.password, &form.code, lang)
        .await
    {
        Ok(()) => {
            let mut p = page(&state, ctx, current.account_id).await?;
            p.notice = Some(p.ctx.t.get("security-totp-off"));
            return render(&p);
        }
        Err(ServiceError::BadCredentials) => "security-wrong-password",
        Err(ServiceError::WrongFactorCode) => "factor-code-wrong",
        Err(e) => return Err(service_error(e)),
    };
    let mut p = page(&state, ctx, current.account_id).await?;
    p.error = Some(p.ctx.t.get(error));
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    let result = state
        .services
        .change_password(&current, &form.current_password, &form.new_password, lang)
        .await;
    let mut p = page(&state, ctx, current.account_id).await?;
    match result {
        Ok(_) => {
            p.notice = Some(p.ctx.t.get("password-changed"));
            return render(&p);
        }
        Err(ServiceError::BadCredentials) => {
            let msg = p.ctx.t.get("security-wrong-password");
            p.password_errors.push(("current_password", msg));
        }
        Err(ServiceError::Invalid(problems)) => {
            for pr in problems {
                p.password_errors
                    .push(("new_password", pr.message(lang).to_owned()));
            }
        }
        Err(e) => return Err(service_error(e)),
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

pub async fn request_deletion(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    let result = state
        .services
        .request_deletion(&current, &form.password, &form.code, lang)
        .await;
    let mut p = page(&state, ctx, current.account_id).await?;
    let key = match result {
        Ok(_) => return render(&p),
        Err(ServiceError::BadCredentials) => "security-wrong-password",
        Err(ServiceError::WrongFactorCode) => "factor-code-wrong",
        Err(e) => return Err(service_error(e)),
    };
    p.delete_error = Some(p.ctx.t.get(key));
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
}

pub async fn cancel_deletion(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(_): CsrfForm<super::NoFields>,
) -> Result<Response, WebError> {
    state
        .services
        .cancel_deletion(&current, ctx.t.lang)
        .await
        .map_err(service_error)?;
    let mut p = page(&state, ctx, current.account_id).await?;
    p.notice = Some(p.ctx.t.get("delete-cancelled"));
    render(&p)
}
