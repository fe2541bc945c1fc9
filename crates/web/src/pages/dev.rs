//! `/dev/outbox`: in demo mode only, every message "sent", newest first, so a
//! person trying Propusk can read the SMS codes and links. 404 otherwise.

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::{PageCtx, render};
use crate::error::WebError;
use crate::state::AppState;

#[derive(Serialize)]
pub struct OutboxEntry {
    channel: &'static str,
    to: String,
    subject: String,
    body: String,
    /// The link an email asks to follow, if any.
    link: Option<String>,
    created_at: String,
}

async fn entries(state: &AppState) -> Result<Vec<OutboxEntry>, WebError> {
    if !state.settings.demo {
        return Err(WebError::NotFound);
    }
    let messages = propusk_service::notify::recent(&state.db, &state.vault, 200)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(messages
        .into_iter()
        .map(|m| OutboxEntry {
            channel: m.channel.as_str(),
            to: m.to,
            subject: m.content.subject,
            link: m.content.link.map(|l| l.url),
            body: m.content.body,
            created_at: propusk_core::time::canonical(m.created_at),
        })
        .collect())
}

pub async fn outbox_json(
    State(state): State<AppState>,
) -> Result<Json<Vec<OutboxEntry>>, WebError> {
    Ok(Json(entries(&state).await?))
}

#[derive(Template)]
#[template(path = "dev_outbox.html")]
struct OutboxPage {
    ctx: PageCtx,
    entries: Vec<OutboxEntry>,
}

pub async fn outbox_page(
    State(state): State<AppState>,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    let entries = entries(&state).await?;
    render(&OutboxPage { ctx, entries })
}
