//! `/oauth/logout`: RP-Initiated Logout 1.0. The person is always asked
//! (RPI §2: SHOULD, and MUST without a hint of ours); on "yes" the session
//! ends, with back-channel logout to every client with a grant in it, and
//! the browser goes to the client's registered post-logout URI (only with a
//! valid `id_token_hint`), or to a page saying it is done.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_service::oauth::logout::post_logout_url;
use serde::Deserialize;

use super::protocol_params::{ProtocolParams, refusal};
use super::{PageCtx, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::session::SessionState;
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "oauth_logout.html")]
struct LogoutPage {
    ctx: PageCtx,
    client_name: Option<String>,
    /// The checked post-logout URI and `state`, carried to the confirmation.
    redirect_uri: String,
    state: String,
    client_id: String,
    signed_in: bool,
}

fn refused(ctx: &PageCtx, e: propusk_service::ServiceError) -> WebError {
    match e {
        propusk_service::ServiceError::OAuth(e) => refusal(
            ctx.t.lang,
            ["Запрос на выход отклонён", "The logout request was refused"],
            &e,
        ),
        other => service_error(other),
    }
}

pub async fn ask(
    State(state): State<AppState>,
    ctx: PageCtx,
    parts: axum::http::Extensions,
    ProtocolParams(p): ProtocolParams,
) -> Result<Response, WebError> {
    let req = state
        .services
        .check_logout_request(&p)
        .await
        .map_err(|e| refused(&ctx, e))?;
    let signed_in = matches!(parts.get::<SessionState>(), Some(SessionState::Signed(_)));
    let client_name = match &req.client_id {
        Some(c) => state
            .services
            .client(c)
            .await
            .map_err(service_error)?
            .map(|c| c.name.clone()),
        None => None,
    };
    let mut res = render(&LogoutPage {
        ctx,
        client_name,
        redirect_uri: req.redirect_uri.clone().unwrap_or_default(),
        state: req.state.clone().unwrap_or_default(),
        client_id: req.client_id.clone().unwrap_or_default(),
        signed_in,
    })?;
    if let Some(r) = &req.redirect_uri
        && let Ok(u) = url::Url::parse(r)
    {
        let csp =
            crate::middleware::security::csp_with_form_targets(&[u.origin().ascii_serialization()]);
        if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
            res.headers_mut()
                .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    parts: axum::http::Extensions,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> Result<Response, WebError> {
    if let Some(SessionState::Signed(c)) = parts.get::<SessionState>() {
        state.services.sign_out(c).await.map_err(service_error)?;
    }
    // The target was checked when the page was shown; check it again, as
    // the form came back from the browser.
    if !form.redirect_uri.is_empty() {
        let (allowed, _) = state
            .services
            .logout_settings(&form.client_id)
            .await
            .map_err(service_error)?;
        let state_param = (!form.state.is_empty()).then_some(form.state.as_str());
        return match post_logout_url(&form.redirect_uri, state_param) {
            Some(url) if allowed.contains(&form.redirect_uri) => {
                Ok(Redirect::to(&url).into_response())
            }
            _ => Err(WebError::BadRequest {
                detail: "post_logout_redirect_uri".into(),
            }),
        };
    }
    Ok(Redirect::to("/").into_response())
}
