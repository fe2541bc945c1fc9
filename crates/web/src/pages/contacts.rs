//! `/cabinet/contacts`: replacing the phone or email. The new one is
//! confirmed first (SMS code, email link); the old one is then told.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_core::account::ContactChannel;
use propusk_service::ServiceError;
use serde::Deserialize;
use uuid::Uuid;

use super::{PageCtx, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::session::Citizen;
use crate::state::AppState;

pub struct Line {
    pub label: String,
    pub value: String,
    pub confirmed: bool,
}

#[derive(askama::Template)]
#[template(path = "cabinet_contacts.html")]
struct ContactsPage {
    ctx: PageCtx,
    contacts: Vec<Line>,
    phone: String,
    email: String,
    /// The SMS code step for this new phone contact.
    confirming: Option<String>,
    errors: Vec<(&'static str, String)>,
    notice: Option<String>,
}

impl ContactsPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn page(state: &AppState, ctx: PageCtx, account: Uuid) -> Result<ContactsPage, WebError> {
    let o = state
        .services
        .overview(account)
        .await
        .map_err(service_error)?;
    let contacts = o
        .contacts
        .into_iter()
        .map(|c| Line {
            label: ctx.t.get(match c.channel {
                ContactChannel::Phone => "register-phone",
                ContactChannel::Email => "register-email",
            }),
            value: c.value,
            confirmed: c.confirmed,
        })
        .collect();
    Ok(ContactsPage {
        ctx,
        contacts,
        phone: String::new(),
        email: String::new(),
        confirming: None,
        errors: Vec::new(),
        notice: None,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct ContactsQuery {
    c: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    Query(q): Query<ContactsQuery>,
) -> Result<Response, WebError> {
    let mut p = page(&state, ctx, current.account_id).await?;
    if let Some(c) = q.c.as_deref().and_then(|c| c.trim().parse::<Uuid>().ok()) {
        p.confirming = Some(c.to_string());
        p.notice = Some(p.ctx.t.get("register-code-sent"));
    }
    render(&p)
}

#[derive(Debug, Default, Deserialize)]
pub struct NewContact {
    #[serde(default)]
    value: String,
}

async fn add(
    state: AppState,
    ctx: PageCtx,
    current: propusk_service::sessions::Current,
    channel: ContactChannel,
    value: String,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    let field = match channel {
        ContactChannel::Phone => "phone",
        ContactChannel::Email => "email",
    };
    let result = state
        .services
        .add_contact(&current, channel, &value, lang)
        .await;
    let mut p = page(&state, ctx, current.account_id).await?;
    let status = match result {
        Ok(id) if channel == ContactChannel::Phone => {
            return Ok(Redirect::to(&format!("/cabinet/contacts?c={id}")).into_response());
        }
        Ok(_) => {
            p.notice = Some(p.ctx.t.get("contacts-link-sent"));
            StatusCode::OK
        }
        Err(ServiceError::Invalid(problems)) => {
            for pr in problems {
                p.errors.push((field, pr.message(lang).to_owned()));
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(ServiceError::RateLimited { retry_at }) => {
            let seconds = (retry_at - state.services.clock.now())
                .whole_seconds()
                .max(1);
            let msg = p.ctx.t.get_arg("register-code-wait", "seconds", seconds);
            p.errors.push((field, msg));
            StatusCode::TOO_MANY_REQUESTS
        }
        Err(e) => return Err(service_error(e)),
    };
    match channel {
        ContactChannel::Phone => p.phone = value.chars().take(100).collect(),
        ContactChannel::Email => p.email = value.chars().take(300).collect(),
    }
    Ok((status, render(&p)?).into_response())
}

pub async fn add_phone(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<NewContact>,
) -> Result<Response, WebError> {
    add(state, ctx, current, ContactChannel::Phone, form.value).await
}

pub async fn add_email(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<NewContact>,
) -> Result<Response, WebError> {
    add(state, ctx, current, ContactChannel::Email, form.value).await
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    contact: String,
    #[serde(default)]
    code: String,
}

pub async fn confirm_phone(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, WebError> {
    let contact: Uuid = form
        .contact
        .trim()
        .parse()
        .map_err(|_| WebError::NotFound)?;
    let lang = ctx.t.lang;
    let result = state
        .services
        .confirm_new_phone(&current, contact, &form.code, lang)
        .await;
    let mut p = page(&state, ctx, current.account_id).await?;
    let error = match result {
        Ok(()) => {
            p.notice = Some(p.ctx.t.get("contacts-phone-changed"));
            return render(&p);
        }
        Err(ServiceError::Conflict) => p.ctx.t.get("contacts-taken"),
        Err(e) => match super::code_refusal(&e, &p.ctx.t) {
            Some(message) => message,
            None => return Err(service_error(e)),
        },
    };
    p.confirming = Some(contact.to_string());
    p.errors.push(("code", error));
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
}
