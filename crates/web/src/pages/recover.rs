//! `/recover`: access recovery by an SMS code or an email link, then a new
//! password. Every answer looks the same whether the contact has an account.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_service::ServiceError;
use propusk_service::password::{RecoveryProof, RecoveryStarted};
use serde::Deserialize;
use uuid::Uuid;

use super::{PageCtx, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::session::ClientInfo;
use crate::state::AppState;

/// Which step the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Start,
    Code,
    EmailSent,
    Password,
    Invalid,
}

#[derive(askama::Template)]
#[template(path = "recover.html")]
struct RecoverPage {
    ctx: PageCtx,
    step: Step,
    login: String,
    request: String,
    c: String,
    t: String,
    second_proof: bool,
    /// Errors by field name.
    errors: Vec<(&'static str, String)>,
    notice: Option<String>,
}

impl RecoverPage {
    fn new(ctx: PageCtx, step: Step) -> RecoverPage {
        RecoverPage {
            ctx,
            step,
            login: String::new(),
            request: String::new(),
            c: String::new(),
            t: String::new(),
            second_proof: false,
            errors: Vec::new(),
            notice: None,
        }
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    fn is_step(&self, step: &str) -> bool {
        matches!(
            (self.step, step),
            (Step::Start, "start")
                | (Step::Code, "code")
                | (Step::EmailSent, "email-sent")
                | (Step::Password, "password")
                | (Step::Invalid, "invalid")
        )
    }
}

fn unprocessable(page: &RecoverPage) -> Result<Response, WebError> {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
}

pub async fn start_form(ctx: PageCtx) -> Result<Response, WebError> {
    render(&RecoverPage::new(ctx, Step::Start))
}

#[derive(Debug, Default, Deserialize)]
pub struct StartForm {
    #[serde(default)]
    login: String,
}

pub async fn start(
    State(state): State<AppState>,
    ctx: PageCtx,
    CsrfForm(form): CsrfForm<StartForm>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    match state.services.start_recovery(&form.login, lang).await {
        Ok(RecoveryStarted::Sms { request }) => {
            Ok(Redirect::to(&format!("/recover/code?r={request}")).into_response())
        }
        Ok(RecoveryStarted::Email) => Ok(Redirect::to("/recover/email-sent").into_response()),
        Err(ServiceError::Invalid(problems)) => {
            let mut page = RecoverPage::new(ctx, Step::Start);
            page.login = form.login.chars().take(200).collect();
            for p in problems {
                page.errors.push(("login", p.message(lang).to_owned()));
            }
            unprocessable(&page)
        }
        Err(ServiceError::RateLimited { retry_at }) => {
            let seconds = (retry_at - state.services.clock.now())
                .whole_seconds()
                .max(1);
            let mut page = RecoverPage::new(ctx, Step::Start);
            page.login = form.login.chars().take(200).collect();
            let msg = page.ctx.t.get_arg("register-code-wait", "seconds", seconds);
            page.errors.push(("login", msg));
            Ok((StatusCode::TOO_MANY_REQUESTS, render(&page)?).into_response())
        }
        Err(e) => Err(service_error(e)),
    }
}

pub async fn email_sent(ctx: PageCtx) -> Result<Response, WebError> {
    render(&RecoverPage::new(ctx, Step::EmailSent))
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeQuery {
    r: Option<String>,
}

pub async fn code_form(ctx: PageCtx, Query(q): Query<CodeQuery>) -> Result<Response, WebError> {
    let request: Uuid =
        q.r.as_deref()
            .unwrap_or("")
            .trim()
            .parse()
            .map_err(|_| WebError::NotFound)?;
    let mut page = RecoverPage::new(ctx, Step::Code);
    page.request = request.to_string();
    page.notice = Some(page.ctx.t.get("recover-code-sent"));
    render(&page)
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    request: String,
    #[serde(default)]
    code: String,
}

pub async fn code(
    State(state): State<AppState>,
    ctx: PageCtx,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, WebError> {
    let request: Uuid = form
        .request
        .trim()
        .parse()
        .map_err(|_| WebError::NotFound)?;
    let t = &ctx.t;
    let error = match state
        .services
        .confirm_recovery_code(request, &form.code)
        .await
    {
        Ok(query) => return Ok(Redirect::to(&format!("/recover/password?{query}")).into_response()),
        Err(e) => match super::code_refusal(&e, t) {
            Some(message) => message,
            None => return Err(service_error(e)),
        },
    };
    let mut page = RecoverPage::new(ctx, Step::Code);
    page.request = request.to_string();
    page.errors.push(("code", error));
    unprocessable(&page)
}

#[derive(Debug, Default, Deserialize)]
pub struct GrantParams {
    #[serde(default)]
    c: String,
    #[serde(default)]
    t: String,
}

fn clean_grant(c: &str, t: &str) -> (String, String) {
    (
        c.chars()
            .filter(|ch| ch.is_ascii_hexdigit() || *ch == '-')
            .take(36)
            .collect(),
        t.chars().filter(char::is_ascii_hexdigit).take(64).collect(),
    )
}

pub async fn password_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<GrantParams>,
) -> Result<Response, WebError> {
    let (c, t) = clean_grant(&q.c, &q.t);
    match state.services.recovery_needs(&c, &t).await {
        Ok(needs) => {
            let mut page = RecoverPage::new(ctx, Step::Password);
            page.c = c;
            page.t = t;
            page.second_proof = needs.second_proof;
            render(&page)
        }
        Err(ServiceError::LinkInvalid) => unprocessable(&RecoverPage::new(ctx, Step::Invalid)),
        Err(e) => Err(service_error(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    c: String,
    #[serde(default)]
    t: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    backup_code: String,
    #[serde(default)]
    passport: String,
    #[serde(default)]
    snils: String,
}

pub async fn password(
    State(state): State<AppState>,
    ctx: PageCtx,
    ClientInfo(client): ClientInfo,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    let (c, t) = clean_grant(&form.c, &form.t);
    let lang = ctx.t.lang;
    let result = state
        .services
        .finish_recovery(
            &c,
            &t,
            &form.new_password,
            &RecoveryProof {
                backup_code: form.backup_code,
                passport: form.passport,
                snils: form.snils,
            },
            &client,
        )
        .await;
    let mut page = RecoverPage::new(ctx, Step::Password);
    match result {
        Ok(()) => return Ok(Redirect::to("/login?recovered=1").into_response()),
        Err(ServiceError::LinkInvalid) => {
            page.step = Step::Invalid;
            return unprocessable(&page);
        }
        Err(ServiceError::Invalid(problems)) => {
            for p in problems {
                page.errors
                    .push(("new_password", p.message(lang).to_owned()));
            }
        }
        Err(ServiceError::WrongFactorCode) => {
            let msg = page.ctx.t.get("recover-proof-wrong");
            page.errors.push(("proof", msg));
        }
        Err(ServiceError::Locked { until }) => {
            let msg = page.ctx.t.get_arg(
                "login-locked",
                "time",
                propusk_service::format::moscow_time(until),
            );
            page.errors.push(("proof", msg));
        }
        Err(e) => return Err(service_error(e)),
    }
    page.second_proof = state
        .services
        .recovery_needs(&c, &t)
        .await
        .map(|n| n.second_proof)
        .unwrap_or(true);
    page.c = c;
    page.t = t;
    unprocessable(&page)
}
