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

#[cfg(test)]
mod tests {
    /// WCAG 2 relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap();
        let channel = |shift: u32| {
            let c = f64::from((v >> shift) & 0xff) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(16) + 0.7152 * channel(8) + 0.0722 * channel(0)
    }

    fn var(css: &str, name: &str) -> String {
        let at = css
            .find(&format!("--{name}:"))
            .unwrap_or_else(|| panic!("--{name} not defined"));
        css[at..]
            .split(':')
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .trim()
            .to_owned()
    }

    #[test]
    fn text_contrast_is_at_least_4_5_to_1() {
        let css = include_str!("../assets/app.css");
        let pairs = [
            ("text", "bg"),
            ("muted", "bg"),
            ("accent", "bg"),
            ("accent-dark", "bg"),
            ("text", "bg-soft"),
            ("muted", "bg-soft"),
            ("accent", "bg-soft"),
            ("accent-dark", "bg-soft"),
            ("error", "bg"),
            ("error", "bg-soft"),
        ];
        for (fg, bg) in pairs {
            let (a, b) = (luminance(&var(css, fg)), luminance(&var(css, bg)));
            let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
            assert!(ratio >= 4.5, "--{fg} on --{bg}: {ratio:.2}:1");
        }
        // White text on the accent buttons.
        for bg in ["accent", "accent-dark"] {
            let l = luminance(&var(css, bg));
            assert!((1.05) / (l + 0.05) >= 4.5, "white on --{bg}");
        }
    }
}
