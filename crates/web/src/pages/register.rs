//! `/register`: the form, the SMS code step, resending, and the done page.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_core::Lang;
use propusk_service::ServiceError;
use propusk_service::registration::Registration;
use serde::Deserialize;
use uuid::Uuid;

use super::{PageCtx, render};
use crate::csrf::{CsrfForm, CsrfToken};
use crate::error::WebError;
use crate::state::AppState;

/// What the person typed, sent back with errors (never the password).
#[derive(Debug, Default, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    middle_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    pd_consent: Option<String>,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    ctx: PageCtx,
    csrf: String,
    form: RegisterForm,
    errors: HashMap<&'static str, String>,
}

impl RegisterPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn consent_checked(&self) -> bool {
        self.form.pd_consent.is_some()
    }
}

pub async fn form(ctx: PageCtx, CsrfToken(csrf): CsrfToken) -> Result<Response, WebError> {
    render(&RegisterPage {
        ctx,
        csrf,
        form: RegisterForm::default(),
        errors: HashMap::new(),
    })
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    CsrfToken(csrf): CsrfToken,
    CsrfForm(mut form): CsrfForm<RegisterForm>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    let registration = Registration {
        last_name: form.last_name.clone(),
        first_name: form.first_name.clone(),
        middle_name: form.middle_name.clone(),
        phone: form.phone.clone(),
        email: form.email.clone(),
        password: std::mem::take(&mut form.password),
        pd_consent: form.pd_consent.is_some(),
        lang,
    };
    match state.services.register_person(registration).await {
        Ok(r) if r.phone => {
            Ok(Redirect::to(&format!("/register/confirm?r={}", r.registration)).into_response())
        }
        Ok(_) => Ok(Redirect::to("/register/email-sent").into_response()),
        Err(ServiceError::Invalid(problems)) => {
            let mut errors = HashMap::new();
            for p in problems {
                errors
                    .entry(p.field)
                    .or_insert_with(|| p.message(lang).to_owned());
            }
            let page = render(&RegisterPage {
                ctx,
                csrf,
                form,
                errors,
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(ServiceError::RateLimited { retry_at }) => {
            let mut errors = HashMap::new();
            errors.insert("phone", wait_message(&ctx, retry_at, &state));
            let page = render(&RegisterPage {
                ctx,
                csrf,
                form,
                errors,
            })?;
            Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response())
        }
        Err(e) => Err(super::service_error(e)),
    }
}

fn wait_message(ctx: &PageCtx, retry_at: time::OffsetDateTime, state: &AppState) -> String {
    let seconds = (retry_at - state.services.clock.now())
        .whole_seconds()
        .max(1);
    ctx.t.get_arg("register-code-wait", "seconds", seconds)
}

#[derive(Debug, Deserialize)]
pub struct ConfirmQuery {
    r: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    registration: String,
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "register_confirm.html")]
struct ConfirmPage {
    ctx: PageCtx,
    csrf: String,
    registration: String,
    error: Option<String>,
    notice: Option<String>,
}

fn parse_registration(s: &str) -> Result<Uuid, WebError> {
    s.trim().parse().map_err(|_| WebError::NotFound)
}

pub async fn confirm_form(
    ctx: PageCtx,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<ConfirmQuery>,
) -> Result<Response, WebError> {
    let registration = parse_registration(q.r.as_deref().unwrap_or(""))?.to_string();
    let notice = Some(ctx.t.get("register-code-sent"));
    render(&ConfirmPage {
        ctx,
        csrf,
        registration,
        error: None,
        notice,
    })
}

pub async fn confirm(
    State(state): State<AppState>,
    ctx: PageCtx,
    CsrfToken(csrf): CsrfToken,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> Result<Response, WebError> {
    let id = parse_registration(&form.registration)?;
    let error = match state.services.confirm_phone(id, &form.code).await {
        Ok(()) => return Ok(Redirect::to("/register/done").into_response()),
        Err(e) => match super::code_refusal(&e, &ctx.t) {
            Some(message) => message,
            None => return Err(super::service_error(e)),
        },
    };
    let page = ConfirmPage {
        ctx,
        csrf,
        registration: id.to_string(),
        error: Some(error),
        notice: None,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

pub async fn resend(
    State(state): State<AppState>,
    ctx: PageCtx,
    CsrfToken(csrf): CsrfToken,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> Result<Response, WebError> {
    let id = parse_registration(&form.registration)?;
    let lang: Lang = ctx.t.lang;
    let (status, error, notice) = match state.services.resend_phone_code(id, lang).await {
        Ok(()) => (StatusCode::OK, None, Some(ctx.t.get("register-code-sent"))),
        Err(ServiceError::RateLimited { retry_at }) => (
            StatusCode::TOO_MANY_REQUESTS,
            Some(wait_message(&ctx, retry_at, &state)),
            None,
        ),
        Err(ServiceError::Conflict) => return Ok(Redirect::to("/register/done").into_response()),
        Err(e) => return Err(super::service_error(e)),
    };
    let page = ConfirmPage {
        ctx,
        csrf,
        registration: id.to_string(),
        error,
        notice,
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(Template)]
#[template(path = "register_done.html")]
struct DonePage {
    ctx: PageCtx,
}

pub async fn done(ctx: PageCtx) -> Result<Response, WebError> {
    render(&DonePage { ctx })
}

#[derive(Debug, Default, Deserialize)]
pub struct LinkParams {
    #[serde(default)]
    c: String,
    #[serde(default)]
    t: String,
}

#[derive(Template)]
#[template(path = "register_email.html")]
struct EmailPage {
    ctx: PageCtx,
    sent: bool,
    c: String,
    t: String,
    error: Option<String>,
}

/// The link from the email opens a page with a button: mail scanners that
/// fetch links must not confirm an address nobody looked at.
pub async fn email_link(ctx: PageCtx, Query(q): Query<LinkParams>) -> Result<Response, WebError> {
    // Only the characters a real link holds go back into the form.
    let c =
        q.c.chars()
            .filter(|ch| ch.is_ascii_hexdigit() || *ch == '-')
            .take(36)
            .collect();
    let t =
        q.t.chars()
            .filter(char::is_ascii_hexdigit)
            .take(64)
            .collect();
    render(&EmailPage {
        ctx,
        sent: false,
        c,
        t,
        error: None,
    })
}

pub async fn email_confirm(
    State(state): State<AppState>,
    ctx: PageCtx,
    CsrfForm(form): CsrfForm<LinkParams>,
) -> Result<Response, WebError> {
    match state
        .services
        .confirm_email(&form.c, &form.t, ctx.t.lang)
        .await
    {
        Ok(()) | Err(ServiceError::Conflict) => Ok(Redirect::to("/register/done").into_response()),
        Err(ServiceError::LinkInvalid) => {
            let error = Some(ctx.t.get("email-link-invalid"));
            let page = render(&EmailPage {
                ctx,
                sent: false,
                c: String::new(),
                t: String::new(),
                error,
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(super::service_error(e)),
    }
}

pub async fn email_sent(ctx: PageCtx) -> Result<Response, WebError> {
    render(&EmailPage {
        ctx,
        sent: true,
        c: String::new(),
        t: String::new(),
        error: None,
    })
}
