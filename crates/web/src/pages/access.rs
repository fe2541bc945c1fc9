//! `/cabinet/access` («Доступ организаций»): the organizations a person
//! let sign them in with remembered approval, and revoking that at once.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_oidc::scopes;
use serde::Deserialize;

use super::{PageCtx, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::session::Citizen;
use crate::state::AppState;

struct Line {
    client_id: String,
    name: String,
    since: String,
    items: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "cabinet_access.html")]
struct AccessPage {
    ctx: PageCtx,
    lines: Vec<Line>,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    Citizen(current): Citizen,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    let lines = state
        .services
        .remembered_access(current.account_id)
        .await
        .map_err(service_error)?
        .into_iter()
        .map(|(c, name)| Line {
            client_id: c.client_id,
            name,
            since: propusk_service::format::moscow_time(c.granted_at),
            items: scopes::split(&c.scopes)
                .iter()
                .filter_map(|s| scopes::find(s))
                .map(|s| {
                    match lang {
                        propusk_core::Lang::Ru => s.ru,
                        propusk_core::Lang::En => s.en,
                    }
                    .to_owned()
                })
                .collect(),
        })
        .collect();
    render(&AccessPage { ctx, lines })
}

#[derive(Debug, Default, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    client_id: String,
}

pub async fn revoke(
    State(state): State<AppState>,
    Citizen(current): Citizen,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Result<Response, WebError> {
    state
        .services
        .revoke_access(current.account_id, &form.client_id)
        .await
        .map_err(service_error)?;
    Ok(Redirect::to("/cabinet/access").into_response())
}
