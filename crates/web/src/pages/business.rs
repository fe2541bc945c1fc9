//! `/cabinet/business`: the person's sole proprietorships (ИП), and adding one
//! by OGRNIP, checked in ЕГРИП.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use propusk_core::account::TrustLevel;
use propusk_service::ServiceError;
use serde::Deserialize;

use super::{PageCtx, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::session::Citizen;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    ogrnip: String,
}

struct Line {
    ogrnip: String,
    name: String,
    since: String,
    okved: String,
}

#[derive(askama::Template)]
#[template(path = "cabinet_business.html")]
struct BusinessPage {
    ctx: PageCtx,
    confirmed: bool,
    entrepreneurs: Vec<Line>,
    ogrnip: String,
    error: Option<String>,
    notice: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    account: uuid::Uuid,
    ogrnip: String,
    error: Option<String>,
    notice: Option<String>,
) -> Result<BusinessPage, WebError> {
    let services = &state.services;
    let row = propusk_store::accounts::get(&services.db, account).await?;
    let entrepreneurs = services
        .entrepreneurs(account)
        .await
        .map_err(service_error)?
        .into_iter()
        .map(|e| Line {
            ogrnip: e.extract.ogrnip,
            name: format!(
                "ИП {} {} {}",
                e.extract.last_name, e.extract.first_name, e.extract.middle_name
            ),
            since: e.extract.ogrnip_date,
            okved: format!("{} {}", e.extract.okved_code, e.extract.okved_name),
        })
        .collect();
    Ok(BusinessPage {
        ctx,
        confirmed: row.trust_level == Some(TrustLevel::Confirmed),
        entrepreneurs,
        ogrnip,
        error,
        notice,
    })
}

pub async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
) -> Result<Response, WebError> {
    render(&page(&state, ctx, current.account_id, String::new(), None, None).await?)
}

pub async fn add(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<AddForm>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    match state
        .services
        .add_entrepreneur(&current, &form.ogrnip)
        .await
    {
        Ok(_) => {
            let notice = Some(ctx.t.get("business-added"));
            render(&page(&state, ctx, current.account_id, String::new(), None, notice).await?)
        }
        Err(ServiceError::Invalid(problems)) => {
            let error = super::first_problem(&problems, lang);
            let typed: String = form.ogrnip.chars().take(40).collect();
            let body = render(&page(&state, ctx, current.account_id, typed, error, None).await?)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(e) => Err(service_error(e)),
    }
}
