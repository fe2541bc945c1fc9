//! `/cabinet/data` («Мои данные»): the citizen's rights under 152-FZ over
//! what Propusk holds — a copy of all of it (JSON or PDF, after the
//! password), correction requests carried to the registry that owns the
//! data, and deleting the copies of registry answers Propusk keeps.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use propusk_core::Lang;
use propusk_core::consent::Category;
use propusk_core::rights::CorrectionStatus;
use propusk_service::ServiceError;
use propusk_service::format::moscow_time;
use serde::Deserialize;
use uuid::Uuid;

use super::{PageCtx, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::session::Citizen;
use crate::state::AppState;

pub struct CorrectionLine {
    pub id: String,
    pub what: String,
    pub registry: String,
    pub proposed: String,
    pub status: String,
    pub status_code: &'static str,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub created: String,
    pub decided: Option<String>,
    pub can_withdraw: bool,
}

pub struct CopyLine {
    pub title: String,
    pub fetched: String,
}

pub struct Target {
    pub value: String,
    pub title: String,
}

pub struct TargetGroup {
    pub title: String,
    pub targets: Vec<Target>,
}

#[derive(askama::Template)]
#[template(path = "cabinet_data.html")]
pub struct DataPage {
    ctx: PageCtx,
    notice: Option<String>,
    export_error: Option<String>,
    corrections: Vec<CorrectionLine>,
    copies: Vec<CopyLine>,
    groups: Vec<TargetGroup>,
    /// The correction form as sent, when it comes back with errors.
    target: String,
    proposed: String,
    comment: String,
    errors: Vec<(&'static str, String)>,
    correction_error: Option<String>,
}

impl DataPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

fn groups(lang: Lang) -> Vec<TargetGroup> {
    Category::ALL
        .into_iter()
        .map(|c| TargetGroup {
            title: format!("{} — {}", c.title(lang), c.source().title(lang)),
            targets: c
                .fields()
                .iter()
                .map(|f| Target {
                    value: format!("{}.{}", c.code(), f.name),
                    title: f.title(lang).to_owned(),
                })
                .collect(),
        })
        .collect()
}

async fn page(state: &AppState, ctx: PageCtx, account: Uuid) -> Result<DataPage, WebError> {
    let lang = ctx.t.lang;
    let corrections = state
        .services
        .corrections_of(account)
        .await
        .map_err(service_error)?
        .into_iter()
        .map(|c| CorrectionLine {
            id: c.id.to_string(),
            what: format!("{}: {}", c.category.title(lang), c.field_title(lang)),
            registry: c.registry.title(lang).to_owned(),
            proposed: c.proposed.clone(),
            status: c.status.title(lang).to_owned(),
            status_code: c.status.code(),
            reference: c.reference.clone(),
            reason: c.reason.clone(),
            created: moscow_time(c.created_at),
            decided: c.decided_at.map(moscow_time),
            can_withdraw: c.status == CorrectionStatus::Submitted,
        })
        .collect();
    let copies = state
        .services
        .registry_copies(account)
        .await
        .map_err(service_error)?
        .into_iter()
        .map(|c| CopyLine {
            title: c.category.title(lang).to_owned(),
            fetched: moscow_time(c.fetched_at),
        })
        .collect();
    Ok(DataPage {
        ctx,
        notice: None,
        export_error: None,
        corrections,
        copies,
        groups: groups(lang),
        target: String::new(),
        proposed: String::new(),
        comment: String::new(),
        errors: Vec::new(),
        correction_error: None,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    Query(q): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let mut p = page(&state, ctx, current.account_id).await?;
    p.notice = match q.done.as_deref() {
        Some("sent") => Some(p.ctx.t.get("rights-correction-sent")),
        Some("withdrawn") => Some(p.ctx.t.get("rights-correction-withdrawn")),
        Some("deleted") => Some(p.ctx.t.get("rights-copies-deleted")),
        _ => None,
    };
    render(&p)
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    format: String,
}

pub async fn export(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<ExportForm>,
) -> Result<Response, WebError> {
    let pdf = match form.format.as_str() {
        "pdf" => true,
        "json" | "" => false,
        _ => {
            return Err(WebError::BadRequest {
                detail: ctx.t.get("rights-export-format"),
            });
        }
    };
    let export = match state
        .services
        .export_own_data(&current, &form.password)
        .await
    {
        Ok(e) => e,
        Err(ServiceError::BadCredentials) => {
            let mut p = page(&state, ctx, current.account_id).await?;
            p.export_error = Some(p.ctx.t.get("security-wrong-password"));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response());
        }
        Err(e) => return Err(service_error(e)),
    };
    let day = propusk_service::format::moscow_date(export.generated_at);
    let (body, kind, ext) = if pdf {
        (
            export.to_pdf().map_err(service_error)?,
            "application/pdf",
            "pdf",
        )
    } else {
        (
            export.to_json_bytes().map_err(service_error)?,
            "application/json",
            "json",
        )
    };
    Ok((
        [
            (CONTENT_TYPE, kind.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"propusk-data-{day}.{ext}\""),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct CorrectionForm {
    #[serde(default)]
    target: String,
    #[serde(default)]
    proposed: String,
    #[serde(default)]
    comment: String,
}

pub async fn request_correction(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<CorrectionForm>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    let result = state
        .services
        .request_correction(
            current.account_id,
            &form.target,
            &form.proposed,
            &form.comment,
        )
        .await;
    let mut p = page(&state, ctx, current.account_id).await?;
    match result {
        Ok(_) => return Ok(Redirect::to("/cabinet/data?done=sent").into_response()),
        Err(ServiceError::Invalid(problems)) => {
            for pr in problems {
                p.errors.push((pr.field, pr.message(lang).to_owned()));
            }
        }
        Err(ServiceError::NotVerified) => {
            p.correction_error = Some(p.ctx.t.get("rights-correction-not-verified"));
        }
        Err(e) => return Err(service_error(e)),
    }
    p.target = form.target;
    p.proposed = form.proposed;
    p.comment = form.comment;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
}

pub async fn withdraw_correction(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<super::NoFields>,
) -> Result<Response, WebError> {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    match state
        .services
        .withdraw_correction(current.account_id, id)
        .await
    {
        Ok(()) => Ok(Redirect::to("/cabinet/data?done=withdrawn").into_response()),
        Err(ServiceError::Conflict) => {
            let mut p = page(&state, ctx, current.account_id).await?;
            p.notice = Some(p.ctx.t.get("rights-correction-too-late"));
            Ok((StatusCode::CONFLICT, render(&p)?).into_response())
        }
        Err(e) => Err(service_error(e)),
    }
}

pub async fn delete_copies(
    State(state): State<AppState>,
    Citizen(current): Citizen,
    CsrfForm(_): CsrfForm<super::NoFields>,
) -> Result<Response, WebError> {
    state
        .services
        .delete_registry_copies(current.account_id)
        .await
        .map_err(service_error)?;
    Ok(Redirect::to("/cabinet/data?done=deleted").into_response())
}
