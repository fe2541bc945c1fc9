//! `/login` and `/logout`.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_core::account::AccountStatus;
use propusk_service::ServiceError;
use propusk_service::sessions::NewSession;
use propusk_store::sessions::Stage;
use serde::Deserialize;
use time::OffsetDateTime;

use super::{PageCtx, render};
use crate::cookies;
use crate::csrf::{self, CsrfForm};
use crate::error::WebError;
use crate::session::{self, Citizen, ClientInfo, DEVICE_COOKIE, DEVICE_MAX_AGE, SESSION_COOKIE};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    recovered: Option<String>,
    /// Prefills the login (an OpenID client's `login_hint`).
    login: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: PageCtx,
    login: String,
    next: String,
    login_error: Option<String>,
    password_error: Option<String>,
    /// A message about the whole form (lock, blocked account).
    alert: Option<String>,
    /// Just back from recovery: say the new password is set.
    recovered: bool,
}

pub async fn form(ctx: PageCtx, Query(q): Query<LoginQuery>) -> Result<Response, WebError> {
    let next = session::safe_next(q.next.as_deref());
    if ctx.signed_in {
        return Ok(Redirect::to(&next).into_response());
    }
    render(&LoginPage {
        ctx,
        login: q
            .login
            .map(|l| l.chars().take(255).collect())
            .unwrap_or_default(),
        next,
        login_error: None,
        password_error: None,
        alert: None,
        recovered: q.recovered.is_some(),
    })
}

fn wait_text(ctx: &PageCtx, until: OffsetDateTime) -> String {
    ctx.t.get_arg(
        "login-locked",
        "time",
        propusk_service::format::moscow_time(until),
    )
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    ClientInfo(client): ClientInfo,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, WebError> {
    let next = session::safe_next(Some(&form.next));
    let mut page = LoginPage {
        login: form.login.chars().take(200).collect(),
        next: next.clone(),
        login_error: None,
        password_error: None,
        alert: None,
        recovered: false,
        ctx,
    };
    if form.login.trim().is_empty() {
        page.login_error = Some(page.ctx.t.get("login-login-required"));
    }
    if form.password.is_empty() {
        page.password_error = Some(page.ctx.t.get("login-password-required"));
    }
    if page.login_error.is_some() || page.password_error.is_some() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let https = state.settings.is_https();
    let now = state.services.clock.now();
    let (status, retry) = match state
        .services
        .sign_in(&form.login, &form.password, &client)
        .await
    {
        Ok(signed) => {
            let target = match signed.stage {
                Stage::Full => next,
                Stage::SecondFactor => {
                    format!("/login/factor?next={}", session::encode_query(&next))
                }
            };
            let mut res = Redirect::to(&target).into_response();
            set_session_cookies(&mut res, &signed.session, https);
            csrf::rotate(&mut res, https);
            return Ok(res);
        }
        Err(ServiceError::BadCredentials) => {
            page.password_error = Some(page.ctx.t.get("login-wrong"));
            (StatusCode::UNPROCESSABLE_ENTITY, None)
        }
        Err(ServiceError::Locked { until })
        | Err(ServiceError::RateLimited { retry_at: until }) => {
            page.alert = Some(wait_text(&page.ctx, until));
            (StatusCode::TOO_MANY_REQUESTS, Some(until))
        }
        Err(ServiceError::AccountUnavailable(AccountStatus::Blocked)) => {
            page.alert = Some(page.ctx.t.get("login-blocked"));
            (StatusCode::FORBIDDEN, None)
        }
        Err(ServiceError::AccountUnavailable(_)) => {
            page.password_error = Some(page.ctx.t.get("login-wrong"));
            (StatusCode::UNPROCESSABLE_ENTITY, None)
        }
        Err(e) => return Err(super::service_error(e)),
    };
    let mut res = (status, render(&page)?).into_response();
    if let Some(until) = retry {
        super::retry_after(&mut res, until, now);
    }
    Ok(res)
}

/// The cookies of a session just opened (and of a browser seen for the first time).
pub fn set_session_cookies(res: &mut Response, session: &NewSession, https: bool) {
    let name = cookies::name(SESSION_COOKIE, https);
    cookies::set(res, &name, &session.token, None, https);
    if let Some(device) = &session.device_token {
        let name = cookies::name(DEVICE_COOKIE, https);
        cookies::set(res, &name, device, Some(DEVICE_MAX_AGE), https);
    }
}

pub async fn logout(
    State(state): State<AppState>,
    Citizen(current): Citizen,
    CsrfForm(_): CsrfForm<super::NoFields>,
) -> Result<Response, WebError> {
    state
        .services
        .sign_out(&current)
        .await
        .map_err(super::service_error)?;
    let https = state.settings.is_https();
    let mut res = Redirect::to("/").into_response();
    cookies::clear(&mut res, &cookies::name(SESSION_COOKIE, https), https);
    Ok(res)
}
