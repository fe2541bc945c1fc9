//! Static files compiled into the binary. Each is served under a name carrying a
//! hash of its content, so it can be cached for a year and a new build still
//! reaches every browser at once. Nothing is fetched from elsewhere at run time.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::WebError;

pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
    /// `/assets/NAME-HASH.EXT`
    pub url: String,
    etag: String,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    let files: [(&'static str, &'static str, &'static [u8]); 3] = [
        (
            "app.css",
            "text/css; charset=utf-8",
            include_bytes!("../assets/app.css"),
        ),
        (
            "logo.svg",
            "image/svg+xml",
            include_bytes!("../assets/logo.svg"),
        ),
        (
            "favicon.svg",
            "image/svg+xml",
            include_bytes!("../assets/favicon.svg"),
        ),
    ];
    files
        .into_iter()
        .map(|(name, content_type, body)| {
            let digest = hex::encode(&Sha256::digest(body)[..6]);
            let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
            Asset {
                name,
                content_type,
                body,
                url: format!("/assets/{stem}-{digest}.{ext}"),
                etag: format!("\"{digest}\""),
            }
        })
        .collect()
});

/// The hashed URL of an asset, for templates.
pub fn url(name: &str) -> &'static str {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map_or("/assets/missing", |a| a.url.as_str())
}

pub async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Result<Response, WebError> {
    let path = format!("/assets/{file}");
    let asset = ASSETS
        .iter()
        .find(|a| a.url == path)
        .ok_or(WebError::NotFound)?;
    if headers
        .get(axum::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(asset.etag.as_str())
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let mut res = asset.body.into_response();
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(v) = HeaderValue::from_str(&asset.etag) {
        h.insert(ETAG, v);
    }
    Ok(res)
}
