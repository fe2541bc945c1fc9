//! Reading and writing the few cookies Propusk sets. Under https their names
//! carry the `__Host-` prefix, which makes browsers insist on Secure, Path=/
//! and no Domain: a sibling subdomain cannot plant or overwrite them.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;

/// The cookie's name as sent: `__Host-` + base under https.
pub fn name(base: &'static str, https: bool) -> String {
    if https {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// A cookie's value if it is present and made only of hex digits of the
/// expected length (all our values are), so nothing else gets further.
pub fn read_hex(headers: &HeaderMap, name: &str, len: usize) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, v)| *k == name && v.len() == len && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|(_, v)| v.to_owned())
}

/// Adds a `Set-Cookie`: HttpOnly, SameSite=Lax, Path=/, Secure under https.
/// `max_age` `None` makes a browser-session cookie.
pub fn set(res: &mut Response, name: &str, value: &str, max_age: Option<i64>, https: bool) {
    let secure = if https { "; Secure" } else { "" };
    let age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    let cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(SET_COOKIE, v);
    }
}

/// A browser-session cookie with SameSite=Strict: for the operators'
/// portal, which no other site has a reason to link into signed in.
pub fn set_strict(res: &mut Response, name: &str, value: &str, https: bool) {
    let secure = if https { "; Secure" } else { "" };
    let cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict{secure}");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(SET_COOKIE, v);
    }
}

pub fn clear(res: &mut Response, name: &str, https: bool) {
    set(res, name, "", Some(0), https);
}
