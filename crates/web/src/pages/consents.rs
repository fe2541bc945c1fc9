//! `/cabinet/consents` («Мои согласия»): every consent a partner asked for,
//! by status; one consent with what it covers, the decision (SMS code),
//! pause, resume and revocation, its history and its access log.

use std::collections::{BTreeSet, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use propusk_core::Lang;
use propusk_core::consent::{Action, Category, Status, catalogue};
use propusk_service::ServiceError;
use propusk_service::consents::{Consent, ConsentEvent, ConsentRead};
use propusk_service::format::moscow_time;
use serde::Deserialize;
use uuid::Uuid;

use super::{PageCtx, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::session::Citizen;
use crate::state::AppState;

pub struct Row {
    pub id: String,
    pub org: String,
    pub purpose: String,
    pub categories: String,
    pub status: String,
    pub status_code: &'static str,
    pub created: String,
    pub valid_until: String,
}

pub struct Filter {
    pub code: &'static str,
    pub title: String,
    pub current: bool,
}

#[derive(askama::Template)]
#[template(path = "cabinet_consents.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<Row>,
    filters: Vec<Filter>,
}

fn purpose_title(code: &str, lang: Lang) -> String {
    catalogue::purpose(code).map_or_else(|| code.to_owned(), |p| p.title(lang).to_owned())
}

fn row(c: &Consent, lang: Lang) -> Row {
    let cats = if c.granted.is_empty() {
        &c.terms.categories
    } else {
        &c.granted
    };
    Row {
        id: c.id.to_string(),
        org: c.org_name.clone(),
        purpose: purpose_title(&c.terms.purpose, lang),
        categories: cats
            .iter()
            .map(|k| k.title(lang))
            .collect::<Vec<_>>()
            .join(", "),
        status: c.status.title(lang).to_owned(),
        status_code: c.status.code(),
        created: moscow_time(c.created_at),
        valid_until: moscow_time(c.terms.valid_until),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    let only = q.status.as_deref().and_then(Status::parse);
    let rows = state
        .services
        .consents_of_citizen(current.account_id, only)
        .await
        .map_err(service_error)?
        .iter()
        .map(|c| row(c, lang))
        .collect();
    let mut filters = vec![Filter {
        code: "",
        title: ctx.t.get("consents-filter-all"),
        current: only.is_none(),
    }];
    filters.extend(Status::ALL.into_iter().map(|s| Filter {
        code: s.code(),
        title: s.title(lang).to_owned(),
        current: only == Some(s),
    }));
    render(&ListPage { ctx, rows, filters })
}

pub struct Item {
    pub code: &'static str,
    pub title: &'static str,
    pub source: &'static str,
    pub fields: Vec<&'static str>,
    pub optional: bool,
    pub granted: bool,
}

pub struct HistoryLine {
    pub at: String,
    pub status: String,
    pub by: String,
    pub reason: Option<String>,
    pub receipt_id: Option<String>,
}

pub struct ReadLine {
    pub at: String,
    pub categories: String,
    pub endpoint: String,
    pub result: String,
    pub ok: bool,
}

/// What a consent asks for, as the cabinet and the sign-in's consent
/// screen both show it (`consent_facts.html`, `consent_pick.html`).
pub struct TermsView {
    pub purpose: String,
    pub legal_basis: String,
    pub actions: String,
    pub retention_days: u32,
    pub mode: String,
    pub valid_until: String,
    pub items: Vec<Item>,
}

impl TermsView {
    pub fn new(
        t: &crate::i18n::Tr,
        terms: &propusk_core::consent::Terms,
        granted: &BTreeSet<Category>,
    ) -> TermsView {
        let lang = t.lang;
        let purpose = catalogue::purpose(&terms.purpose);
        TermsView {
            purpose: purpose_title(&terms.purpose, lang),
            legal_basis: purpose.map(|p| p.legal_basis.clone()).unwrap_or_default(),
            actions: purpose
                .map(|p| {
                    p.actions
                        .iter()
                        .map(|a| t.get(&format!("consents-action-{a}")))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
            retention_days: purpose.map_or(0, |p| p.retention_days),
            mode: terms.mode.describe(lang),
            valid_until: moscow_time(terms.valid_until),
            items: terms
                .categories
                .iter()
                .map(|k| Item {
                    code: k.code(),
                    title: k.title(lang),
                    source: k.source().title(lang),
                    fields: k.fields().iter().map(|f| f.title(lang)).collect(),
                    optional: terms.optional.contains(k),
                    granted: granted.contains(k),
                })
                .collect(),
        }
    }
}

/// The optional categories a decision form left ticked (`keep_<code>`).
pub fn kept(form: &HashMap<String, String>) -> BTreeSet<Category> {
    Category::ALL
        .into_iter()
        .filter(|c| form.contains_key(&format!("keep_{}", c.code())))
        .collect()
}

#[derive(askama::Template)]
#[template(path = "cabinet_consent.html")]
struct DetailPage {
    ctx: PageCtx,
    id: String,
    org: String,
    ogrn: String,
    inn: String,
    client: String,
    terms: TermsView,
    request_expires: String,
    status: String,
    status_code: &'static str,
    can_decide: bool,
    can_pause: bool,
    can_resume: bool,
    can_revoke: bool,
    has_receipt: bool,
    history: Vec<HistoryLine>,
    reads: Vec<ReadLine>,
    notice: Option<String>,
    code_error: Option<String>,
}

fn by_title(by: &str, t: &crate::i18n::Tr) -> String {
    t.get(&format!("consents-by-{by}"))
}

fn categories_text(json: &str, lang: Lang) -> String {
    let set: BTreeSet<Category> = serde_json::from_str(json).unwrap_or_default();
    set.iter()
        .map(|c| c.title(lang))
        .collect::<Vec<_>>()
        .join(", ")
}

fn detail(
    ctx: PageCtx,
    now: time::OffsetDateTime,
    c: Consent,
    events: Vec<ConsentEvent>,
    reads: Vec<ConsentRead>,
) -> DetailPage {
    let lang = ctx.t.lang;
    let open = c.status == Status::Requested && c.request_expires_at > now;
    let terms = TermsView::new(&ctx.t, &c.terms, &c.granted);
    let history = events
        .into_iter()
        .map(|e| HistoryLine {
            at: moscow_time(e.at),
            status: e.to_status.title(lang).to_owned(),
            by: by_title(&e.by_whom, &ctx.t),
            reason: e.reason,
            receipt_id: e.receipt.as_ref().map(|_| e.id.to_string()),
        })
        .collect();
    let reads = reads
        .into_iter()
        .map(|r| ReadLine {
            at: moscow_time(r.at),
            categories: categories_text(&r.categories_asked, lang),
            endpoint: r.endpoint,
            ok: r.result == "ok",
            result: if r.result == "ok" {
                ctx.t.get("consents-read-ok")
            } else {
                ctx.t.get_arg("consents-read-denied", "code", &r.result)
            },
        })
        .collect();
    DetailPage {
        id: c.id.to_string(),
        org: c.org_name.clone(),
        ogrn: c.org_ogrn.clone(),
        inn: c.org_inn.clone(),
        client: c.client_name.clone(),
        terms,
        request_expires: moscow_time(c.request_expires_at),
        status: c.status.title(lang).to_owned(),
        status_code: c.status.code(),
        can_decide: open,
        can_pause: c.status == Status::Active,
        can_resume: c.status == Status::Paused && c.terms.valid_until > now,
        can_revoke: matches!(c.status, Status::Active | Status::Paused),
        has_receipt: c.receipt.is_some(),
        history,
        reads,
        notice: None,
        code_error: None,
        ctx,
    }
}

fn parse_id(raw: &str) -> Result<Uuid, WebError> {
    Uuid::parse_str(raw).map_err(|_| WebError::NotFound)
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    account: Uuid,
    id: Uuid,
) -> Result<DetailPage, WebError> {
    let (c, events, reads) = state
        .services
        .consent_of_citizen(account, id)
        .await
        .map_err(service_error)?;
    Ok(detail(ctx, state.services.clock.now(), c, events, reads))
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    sent: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let mut p = page(&state, ctx, current.account_id, parse_id(&id)?).await?;
    if q.sent.is_some() && p.can_decide {
        p.notice = Some(p.ctx.t.get("consents-code-sent"));
    }
    render(&p)
}

pub async fn send_code(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let lang = ctx.t.lang;
    let result = state
        .services
        .send_consent_code(current.account_id, id, lang)
        .await;
    let (status, msg) = match result {
        Ok(()) => {
            return Ok(Redirect::to(&format!("/cabinet/consents/{id}?sent=1")).into_response());
        }
        Err(ServiceError::Conflict) => (StatusCode::CONFLICT, ctx.t.get("consents-not-open")),
        Err(e) => match send_refusal(&e, &ctx.t, state.services.clock.now()) {
            Some(refused) => refused,
            None => return Err(service_error(e)),
        },
    };
    let mut p = page(&state, ctx, current.account_id, id).await?;
    p.code_error = Some(msg);
    Ok((status, render(&p)?).into_response())
}

/// Why an approval code was not sent, as the page says it: too soon after
/// the last one, or no phone to send it to.
pub fn send_refusal(
    e: &ServiceError,
    t: &crate::i18n::Tr,
    now: time::OffsetDateTime,
) -> Option<(StatusCode, String)> {
    match e {
        ServiceError::RateLimited { retry_at } => {
            let seconds = (*retry_at - now).whole_seconds().max(1);
            Some((
                StatusCode::TOO_MANY_REQUESTS,
                t.get_arg("register-code-wait", "seconds", seconds),
            ))
        }
        ServiceError::Invalid(problems) => Some((
            StatusCode::UNPROCESSABLE_ENTITY,
            super::first_problem(problems, t.lang).unwrap_or_default(),
        )),
        _ => None,
    }
}

pub async fn approve(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let keep = kept(&form);
    let code = form.get("code").map(String::as_str).unwrap_or("");
    let result = state
        .services
        .approve_consent(current.account_id, id, &keep, code)
        .await;
    let (status, msg) = match result {
        Ok(_) => return Ok(Redirect::to(&format!("/cabinet/consents/{id}")).into_response()),
        Err(ServiceError::Conflict) => (StatusCode::CONFLICT, ctx.t.get("consents-not-open")),
        Err(e) => match super::code_refusal(&e, &ctx.t) {
            Some(message) => (StatusCode::UNPROCESSABLE_ENTITY, message),
            None => return Err(service_error(e)),
        },
    };
    let mut p = page(&state, ctx, current.account_id, id).await?;
    p.code_error = Some(msg);
    Ok((status, render(&p)?).into_response())
}

async fn act(
    state: AppState,
    ctx: PageCtx,
    account: Uuid,
    id: &str,
    action: Action,
) -> Result<Response, WebError> {
    let id = parse_id(id)?;
    match state
        .services
        .citizen_consent_action(account, id, action)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/cabinet/consents/{id}")).into_response()),
        Err(ServiceError::Conflict) => {
            let mut p = page(&state, ctx, account, id).await?;
            p.notice = Some(p.ctx.t.get("consents-not-open"));
            Ok((StatusCode::CONFLICT, render(&p)?).into_response())
        }
        Err(e) => Err(service_error(e)),
    }
}

macro_rules! action_handler {
    ($name:ident, $action:expr) => {
        pub async fn $name(
            State(state): State<AppState>,
            ctx: PageCtx,
            Citizen(current): Citizen,
            Path(id): Path<String>,
            CsrfForm(_): CsrfForm<HashMap<String, String>>,
        ) -> Result<Response, WebError> {
            act(state, ctx, current.account_id, &id, $action).await
        }
    };
}

action_handler!(decline, Action::Decline);
action_handler!(pause, Action::Pause);
action_handler!(resume, Action::Resume);
action_handler!(revoke, Action::Revoke);

/// The approval receipt as a file (`.jwt`), for the citizen to keep.
pub async fn receipt(
    State(state): State<AppState>,
    Citizen(current): Citizen,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (c, _, _) = state
        .services
        .consent_of_citizen(current.account_id, parse_id(&id)?)
        .await
        .map_err(service_error)?;
    let jws = c.receipt.ok_or(WebError::NotFound)?;
    Ok((
        [
            (CONTENT_TYPE, "application/jwt".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"consent-{}.jwt\"", c.id),
            ),
        ],
        jws,
    )
        .into_response())
}

#[derive(askama::Template)]
#[template(path = "consent_receipt.html")]
struct ReceiptPage {
    ctx: PageCtx,
    receipt_id: String,
    event: String,
    issued: String,
    org: String,
    ogrn: String,
    purpose: String,
    valid_until: String,
    status: String,
    status_code: &'static str,
}

/// `/consents/receipts/{id}`: the public page a receipt's QR code points
/// to. It says whether the consent still stands, and nothing personal.
pub async fn public_receipt(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (event, c) = state
        .services
        .receipt_status(parse_id(&id)?)
        .await
        .map_err(service_error)?
        .ok_or(WebError::NotFound)?;
    let lang = ctx.t.lang;
    render(&ReceiptPage {
        receipt_id: event.id.to_string(),
        event: event.to_status.title(lang).to_owned(),
        issued: moscow_time(event.at),
        org: c.org_name,
        ogrn: c.org_ogrn,
        purpose: purpose_title(&c.terms.purpose, lang),
        valid_until: moscow_time(c.terms.valid_until),
        status: c.status.title(lang).to_owned(),
        status_code: c.status.code(),
        ctx,
    })
}

/// The newest receipt as a PDF, for the citizen.
pub async fn receipt_pdf(
    State(state): State<AppState>,
    Citizen(current): Citizen,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (c, _, _) = state
        .services
        .consent_of_citizen(current.account_id, parse_id(&id)?)
        .await
        .map_err(service_error)?;
    let pdf = state
        .services
        .receipt_pdf(&c)
        .await
        .map_err(service_error)?;
    Ok(pdf_response(c.id, pdf))
}

pub fn pdf_response(id: Uuid, pdf: Vec<u8>) -> Response {
    (
        [
            (CONTENT_TYPE, "application/pdf".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"consent-{id}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response()
}
