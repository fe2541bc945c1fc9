//! `/oauth/authorize`: the person's side of the authorization code flow.
//! Sign-in and second factor are the cabinet's own pages (lockout and all);
//! the consent screen names the organization and each item in plain words.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_service::ServiceError;
use propusk_service::oauth::authorize::{
    Begin, ConsentApproval, ConsentView, Pending, Refusal, Step,
};
use propusk_store::sessions::Stage;

use super::consents::{TermsView, kept, send_refusal};
use super::protocol_params::{ProtocolParams, refusal};
use super::{PageCtx, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::session::{Citizen, SessionState, encode_query};
use crate::state::AppState;

struct Item {
    text: String,
    available: bool,
}

#[derive(askama::Template)]
#[template(path = "oauth_consent.html")]
struct ConsentPage {
    ctx: PageCtx,
    client_id: String,
    request_uri: String,
    client_name: String,
    org_name: String,
    org_ogrn: String,
    sandbox: bool,
    items: Vec<Item>,
    /// The data consent asked for (RFC 9396), decided with an SMS code.
    consent: Option<TermsView>,
    notice: Option<String>,
    code_error: Option<String>,
}

fn refused(ctx: &PageCtx, e: &propusk_oidc::OAuthError) -> WebError {
    refusal(
        ctx.t.lang,
        [
            "Запрос организации на вход через Пропуск отклонён",
            "The organization's sign-in request was refused",
        ],
        e,
    )
}

fn continue_url(p: &Pending) -> String {
    format!(
        "/oauth/authorize?client_id={}&request_uri={}",
        encode_query(&p.client.id),
        encode_query(&p.request_uri)
    )
}

async fn pending(
    state: &AppState,
    ctx: &PageCtx,
    params: &BTreeMap<String, String>,
    ip: std::net::IpAddr,
) -> Result<Result<Pending, Response>, WebError> {
    let begun = match state.services.begin_authorization(params, ip).await {
        Ok(b) => b,
        Err(ServiceError::RateLimited { retry_at }) => {
            let mut res = axum::http::StatusCode::TOO_MANY_REQUESTS.into_response();
            super::retry_after(&mut res, retry_at, state.services.clock.now());
            return Ok(Err(res));
        }
        Err(e) => return Err(service_error(e)),
    };
    match begun {
        Begin::Pending(p) => Ok(Ok(*p)),
        Begin::Stored {
            client_id,
            request_uri,
        } => Ok(Err(Redirect::to(&format!(
            "/oauth/authorize?client_id={}&request_uri={}",
            encode_query(&client_id),
            encode_query(&request_uri)
        ))
        .into_response())),
        Begin::Refused(Refusal::Page(e)) => Err(refused(ctx, &e)),
        Begin::Refused(Refusal::Redirect(url)) => Ok(Err(Redirect::to(&url).into_response())),
    }
}

/// The caller's address (for the per-address limit on direct requests).
fn peer(parts: &axum::http::Extensions) -> std::net::IpAddr {
    parts
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// GET with the query, or POST with a form (OIDC Core §3.1.2.1).
pub async fn start(
    State(state): State<AppState>,
    ctx: PageCtx,
    parts: axum::http::Extensions,
    ProtocolParams(params): ProtocolParams,
) -> Result<Response, WebError> {
    let ip = peer(&parts);
    let p = match pending(&state, &ctx, &params, ip).await? {
        Ok(p) => p,
        Err(res) => return Ok(res),
    };
    let session = match parts.get::<SessionState>() {
        Some(SessionState::Signed(c)) if c.stage == Stage::Full => Some(*c),
        Some(SessionState::Unavailable) => {
            return Err(WebError::Unavailable("session store".into()));
        }
        _ => None,
    };
    // OIDC Core §3.1.2.1: `login_hint` prefills the sign-in form.
    let hint = p
        .request
        .login_hint
        .as_deref()
        .map(|h| format!("&login={}", encode_query(h)))
        .unwrap_or_default();
    let login = format!("/login?next={}{hint}", encode_query(&continue_url(&p)));
    match state
        .services
        .authorization_step(&p, session.as_ref())
        .await
        .map_err(service_error)?
    {
        Step::SignIn => Ok(Redirect::to(&login).into_response()),
        Step::Reauthenticate => {
            if let Some(c) = &session {
                state.services.sign_out(c).await.map_err(service_error)?;
            }
            Ok(Redirect::to(&login).into_response())
        }
        Step::Redirect(url) => Ok(Redirect::to(&url).into_response()),
        Step::Consent(view) => {
            let notice = params
                .contains_key("sent")
                .then(|| ctx.t.get("consent-rar-code-sent"));
            consent_page(ctx, &p, view, notice, None)
        }
    }
}

fn consent_page(
    ctx: PageCtx,
    p: &Pending,
    view: ConsentView,
    notice: Option<String>,
    code_error: Option<String>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    let consent = view
        .consent
        .as_ref()
        .map(|t| TermsView::new(&ctx.t, t, &BTreeSet::new()));
    let items = view
        .items
        .into_iter()
        .map(|i| Item {
            text: match lang {
                propusk_core::Lang::Ru => i.ru,
                propusk_core::Lang::En => i.en,
            }
            .to_owned(),
            available: i.available,
        })
        .collect();
    let mut res = render(&ConsentPage {
        ctx,
        client_id: p.client.id.clone(),
        request_uri: p.request_uri.clone(),
        client_name: view.client_name,
        org_name: view.org_name,
        org_ogrn: view.org_ogrn,
        sandbox: view.sandbox,
        items,
        consent,
        notice,
        code_error,
    })?;
    // The decision answers with a redirect to the client: the form's CSP
    // must allow that origin (form-action covers redirects).
    let csp = crate::middleware::security::csp_with_form_targets(&p.client.redirect_origins());
    if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
        res.headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(res)
}

/// The consent screen again, with a refusal under the code field (a
/// wrong code, one not sent): the pending request is still open.
async fn consent_again(
    state: &AppState,
    ctx: PageCtx,
    p: &Pending,
    current: &propusk_service::sessions::Current,
    status: StatusCode,
    code_error: String,
) -> Result<Response, WebError> {
    match state
        .services
        .authorization_step(p, Some(current))
        .await
        .map_err(service_error)?
    {
        Step::Consent(view) => {
            let page = consent_page(ctx, p, view, None, Some(code_error))?;
            Ok((status, page).into_response())
        }
        Step::Redirect(url) => Ok(Redirect::to(&url).into_response()),
        Step::SignIn | Step::Reauthenticate => Ok(Redirect::to(&continue_url(p)).into_response()),
    }
}

/// The pending request a decision form names.
async fn pending_of_form(
    state: &AppState,
    ctx: &PageCtx,
    form: &HashMap<String, String>,
    ip: std::net::IpAddr,
) -> Result<Result<Pending, Response>, WebError> {
    let mut params = BTreeMap::new();
    for k in ["client_id", "request_uri"] {
        params.insert(k.to_owned(), form.get(k).cloned().unwrap_or_default());
    }
    pending(state, ctx, &params, ip).await
}

/// «Получить код в СМС» on a consent screen that asks for a data consent.
pub async fn send_code(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    parts: axum::http::Extensions,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let p = match pending_of_form(&state, &ctx, &form, peer(&parts)).await? {
        Ok(p) => p,
        Err(res) => return Ok(res),
    };
    match state
        .services
        .send_authorization_code(&p, &current, ctx.t.lang)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("{}&sent=1", continue_url(&p))).into_response()),
        Err(e) => match send_refusal(&e, &ctx.t, state.services.clock.now()) {
            Some((status, msg)) => consent_again(&state, ctx, &p, &current, status, msg).await,
            None => Err(service_error(e)),
        },
    }
}

pub async fn decide(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
    parts: axum::http::Extensions,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let p = match pending_of_form(&state, &ctx, &form, peer(&parts)).await? {
        Ok(p) => p,
        Err(res) => return Ok(res),
    };
    let approve = match form.get("decision").map(String::as_str) {
        Some("approve") => true,
        Some("deny") => false,
        _ => {
            return Err(WebError::BadRequest {
                detail: "decision".into(),
            });
        }
    };
    let approval = ConsentApproval {
        keep: kept(&form),
        code: form.get("code").cloned().unwrap_or_default(),
    };
    match state
        .services
        .decide_authorization(
            &p,
            &current,
            approve,
            form.contains_key("remember"),
            Some(&approval),
        )
        .await
    {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(ServiceError::LinkInvalid) => Err(refused(
            &ctx,
            &propusk_oidc::OAuthError::new(
                propusk_oidc::ErrorCode::InvalidRequestUri,
                "the request was already answered or has expired",
            ),
        )),
        Err(ServiceError::Invalid(problems)) => {
            let msg = super::first_problem(&problems, ctx.t.lang).unwrap_or_default();
            consent_again(
                &state,
                ctx,
                &p,
                &current,
                StatusCode::UNPROCESSABLE_ENTITY,
                msg,
            )
            .await
        }
        Err(e) => match super::code_refusal(&e, &ctx.t) {
            Some(msg) => {
                consent_again(
                    &state,
                    ctx,
                    &p,
                    &current,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    msg,
                )
                .await
            }
            None => Err(service_error(e)),
        },
    }
}
