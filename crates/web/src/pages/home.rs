use askama::Template;
use axum::response::Response;

use super::{PageCtx, render};
use crate::error::WebError;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    ctx: PageCtx,
}

pub async fn page(ctx: PageCtx) -> Result<Response, WebError> {
    render(&Home { ctx })
}
