//! `/cabinet/profile`: the person's own data, with every field checked on the
//! server and errors shown next to it.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use propusk_core::account::{Gender, IdentityState, Profile};
use propusk_service::ServiceError;
use propusk_service::profile::ProfileInput;
use propusk_store::identity::{CheckState, LogRow};
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{PageCtx, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::session::Citizen;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    birth_place: String,
    #[serde(default)]
    gender: String,
    #[serde(default)]
    passport_number: String,
    #[serde(default)]
    passport_issue_date: String,
    #[serde(default)]
    passport_issuer: String,
    #[serde(default)]
    passport_division_code: String,
    #[serde(default)]
    snils: String,
    #[serde(default)]
    inn: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    postal_code: String,
}

impl ProfileForm {
    fn from_profile(p: &Profile) -> ProfileForm {
        let passport = p.passport.as_ref();
        ProfileForm {
            birth_date: p.birth_date.clone().unwrap_or_default(),
            birth_place: p.birth_place.clone().unwrap_or_default(),
            gender: match p.gender {
                Some(Gender::Male) => "male".into(),
                Some(Gender::Female) => "female".into(),
                None => String::new(),
            },
            passport_number: passport.map(|x| x.number.clone()).unwrap_or_default(),
            passport_issue_date: passport.map(|x| x.issue_date.clone()).unwrap_or_default(),
            passport_issuer: passport.map(|x| x.issuer.clone()).unwrap_or_default(),
            passport_division_code: passport
                .map(|x| x.division_code.clone())
                .unwrap_or_default(),
            snils: p.snils.clone().unwrap_or_default(),
            inn: p.inn.clone().unwrap_or_default(),
            address: p.address.clone().unwrap_or_default(),
            postal_code: p.postal_code.clone().unwrap_or_default(),
        }
    }

    fn input(&self) -> ProfileInput {
        ProfileInput {
            birth_date: self.birth_date.clone(),
            birth_place: self.birth_place.clone(),
            gender: self.gender.clone(),
            passport_number: self.passport_number.clone(),
            passport_issue_date: self.passport_issue_date.clone(),
            passport_issuer: self.passport_issuer.clone(),
            passport_division_code: self.passport_division_code.clone(),
            snils: self.snils.clone(),
            inn: self.inn.clone(),
            address: self.address.clone(),
            postal_code: self.postal_code.clone(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "cabinet_profile.html")]
struct ProfilePage {
    ctx: PageCtx,
    name: String,
    form: ProfileForm,
    errors: HashMap<&'static str, String>,
    identity: Option<String>,
    check: IdentityView,
    notice: Option<String>,
}

/// The identity check as the person sees it: what is happening now and
/// every step so far.
#[derive(Debug, Default)]
struct IdentityView {
    /// "Next try at …" while a registry is down.
    next_try: Option<String>,
    reason: Option<String>,
    log: Vec<LogLine>,
}

#[derive(Debug)]
struct LogLine {
    time: String,
    source: String,
    text: String,
}

fn translate_list(ctx: &PageCtx, prefix: &str, list: &str) -> String {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| ctx.t.get(&format!("{prefix}{s}")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn log_text(ctx: &PageCtx, row: &LogRow) -> String {
    let base = ctx.t.get(&format!("identity-msg-{}", row.message));
    let detail = match (row.message.as_str(), row.detail.as_deref()) {
        ("passport_invalid", Some(d)) => Some(translate_list(ctx, "identity-why-", d)),
        ("passport_mismatch" | "snils_mismatch", Some(d)) => {
            Some(translate_list(ctx, "identity-field-", d))
        }
        ("rejected", Some(d)) => Some(translate_list(ctx, "identity-msg-", d)),
        ("retry", Some(d)) => OffsetDateTime::parse(d, &Rfc3339)
            .ok()
            .map(propusk_service::format::moscow_time),
        _ => None,
    };
    match detail {
        Some(d) if !d.is_empty() => format!("{base}: {d}"),
        _ => base,
    }
}

async fn identity_view(
    state: &AppState,
    ctx: &PageCtx,
    account: uuid::Uuid,
) -> Result<IdentityView, WebError> {
    let (check, log) = state
        .services
        .identity_status(account)
        .await
        .map_err(service_error)?;
    let mut view = IdentityView::default();
    if let Some(c) = &check {
        if c.state == CheckState::Pending
            && c.last_error.is_some()
            && let Some(at) = c.next_try_at
        {
            view.next_try = Some(ctx.t.get_arg(
                "identity-next-try",
                "time",
                propusk_service::format::moscow_time(at),
            ));
        }
        if c.state == CheckState::Rejected {
            view.reason = log
                .iter()
                .find(|l| l.message == "rejected")
                .and_then(|l| l.detail.as_deref())
                .map(|d| {
                    ctx.t.get_arg(
                        "identity-reason",
                        "reason",
                        translate_list(ctx, "identity-msg-", d),
                    )
                });
        }
    }
    view.log = log
        .iter()
        .map(|l| LogLine {
            time: propusk_service::format::moscow_time(l.at),
            source: ctx.t.get(&format!(
                "identity-registry-{}",
                l.registry.as_deref().unwrap_or("none")
            )),
            text: log_text(ctx, l),
        })
        .collect();
    Ok(view)
}

impl ProfilePage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

fn identity_text(ctx: &PageCtx, p: &Profile) -> Option<String> {
    p.identity_check.as_ref().map(|c| match c.state {
        IdentityState::Pending => ctx.t.get("profile-identity-pending"),
        IdentityState::Verified => ctx.t.get("profile-identity-verified"),
        IdentityState::Rejected => ctx.t.get("profile-identity-rejected"),
    })
}

pub async fn form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
) -> Result<Response, WebError> {
    let p = state
        .services
        .profile(current.account_id)
        .await
        .map_err(service_error)?;
    let check = identity_view(&state, &ctx, current.account_id).await?;
    render(&ProfilePage {
        check,
        name: p.name.full(),
        form: ProfileForm::from_profile(&p),
        errors: HashMap::new(),
        identity: identity_text(&ctx, &p),
        notice: None,
        ctx,
    })
}

pub async fn save(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<ProfileForm>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    let result = state.services.update_profile(&current, &form.input()).await;
    let p = state
        .services
        .profile(current.account_id)
        .await
        .map_err(service_error)?;
    let check = identity_view(&state, &ctx, current.account_id).await?;
    match result {
        Ok(restarted) => {
            let notice = Some(ctx.t.get(if restarted {
                "profile-saved-check"
            } else {
                "profile-saved"
            }));
            render(&ProfilePage {
                name: p.name.full(),
                form: ProfileForm::from_profile(&p),
                errors: HashMap::new(),
                identity: identity_text(&ctx, &p),
                check,
                notice,
                ctx,
            })
        }
        Err(ServiceError::Invalid(problems)) => {
            let mut errors = HashMap::new();
            for pr in problems {
                errors
                    .entry(pr.field)
                    .or_insert_with(|| pr.message(lang).to_owned());
            }
            let page = ProfilePage {
                name: p.name.full(),
                form,
                errors,
                identity: identity_text(&ctx, &p),
                check,
                notice: None,
                ctx,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(service_error(e)),
    }
}
