//! `/org/clients/{client_id}/monitoring`: a client's consents by status and
//! purpose, its reads per day and category and its refused reads, with CSV
//! exports of both.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use propusk_core::consent::{Category, catalogue};
use serde::Deserialize;

use super::org::{OrgNav, nav};
use super::{PageCtx, render, service_error};
use crate::api::monitoring::csv_response;
use crate::error::WebError;
use crate::org_access::{ManageClients, OrgMember};
use crate::state::AppState;

pub struct StatusLine {
    pub status: String,
    pub status_code: &'static str,
    pub purpose: String,
    pub count: i64,
}

pub struct DayLine {
    pub day: String,
    pub ok: i64,
    /// Per column of [`MonitoringPage::categories`].
    pub cells: Vec<i64>,
    pub refused: String,
    pub refused_total: i64,
}

pub struct Period {
    pub days: i64,
    pub current: bool,
}

#[derive(askama::Template)]
#[template(path = "org_monitoring.html")]
struct MonitoringPage {
    ctx: PageCtx,
    nav: OrgNav,
    client_id: String,
    days: i64,
    periods: Vec<Period>,
    total: i64,
    active: i64,
    statuses: Vec<StatusLine>,
    categories: Vec<&'static str>,
    lines: Vec<DayLine>,
    reads_total: i64,
    refused_total: i64,
}

#[derive(Debug, Default, Deserialize)]
pub struct DaysQuery {
    days: Option<i64>,
}

fn days_of(q: &DaysQuery) -> i64 {
    q.days
        .unwrap_or(30)
        .clamp(1, propusk_service::consents::monitoring::MAX_DAYS)
}

pub async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<ManageClients>,
    Path(client_id): Path<String>,
    Query(q): Query<DaysQuery>,
) -> Result<Response, WebError> {
    let days = days_of(&q);
    let m = state
        .services
        .org_consent_monitoring(&acting, &client_id, days)
        .await
        .map_err(service_error)?;
    let lang = ctx.t.lang;
    let purpose = |code: &str| {
        catalogue::purpose(code).map_or_else(|| code.to_owned(), |p| p.title(lang).to_owned())
    };
    let used: Vec<Category> = Category::ALL
        .into_iter()
        .filter(|c| m.days.iter().any(|d| d.by_category.contains_key(c)))
        .collect();
    let lines = m
        .days
        .iter()
        .rev()
        .map(|d| DayLine {
            day: d.day.clone(),
            ok: d.ok,
            cells: used
                .iter()
                .map(|c| d.by_category.get(c).copied().unwrap_or(0))
                .collect(),
            refused: d
                .refused
                .iter()
                .map(|(code, n)| format!("{code}: {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            refused_total: d.refused.values().sum(),
        })
        .collect::<Vec<_>>();
    let page = MonitoringPage {
        nav: nav(&ctx, &acting),
        client_id,
        days,
        periods: [7, 30, 90]
            .into_iter()
            .map(|n| Period {
                days: n,
                current: n == days,
            })
            .collect(),
        total: m.total(),
        active: m.in_status(propusk_core::consent::Status::Active),
        statuses: m
            .by_status
            .iter()
            .map(|(s, p, n)| StatusLine {
                status: s.title(lang).to_owned(),
                status_code: s.code(),
                purpose: purpose(p),
                count: *n,
            })
            .collect(),
        categories: used.iter().map(|c| c.title(lang)).collect(),
        reads_total: lines.iter().map(|l| l.ok).sum(),
        refused_total: lines.iter().map(|l| l.refused_total).sum(),
        lines,
        ctx,
    };
    render(&page)
}

pub async fn reads_csv(
    State(state): State<AppState>,
    OrgMember { acting, .. }: OrgMember<ManageClients>,
    Path(client_id): Path<String>,
    Query(q): Query<DaysQuery>,
) -> Result<Response, WebError> {
    let m = state
        .services
        .org_consent_monitoring(&acting, &client_id, days_of(&q))
        .await
        .map_err(service_error)?;
    let csv = m.reads_csv().map_err(service_error)?;
    Ok(csv_response(&format!("{client_id}-reads.csv"), csv))
}

pub async fn consents_csv(
    State(state): State<AppState>,
    OrgMember { acting, .. }: OrgMember<ManageClients>,
    Path(client_id): Path<String>,
) -> Result<Response, WebError> {
    let csv = state
        .services
        .org_consents_csv(&acting, &client_id)
        .await
        .map_err(service_error)?;
    Ok(csv_response(&format!("{client_id}-consents.csv"), csv))
}
