//! Security headers on every response. A handler may set its own (a page that
//! must be framed, say); these apply where it did not.

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// No inline script or style anywhere: everything comes from our own origin.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                       form-action 'self'; frame-ancestors 'none'";

/// The same policy, with forms also allowed to go to `origins` (a page
/// whose form leads to a partner bank).
pub fn csp_with_form_targets(origins: &[String]) -> String {
    let mut extra = String::new();
    for o in origins {
        // Only plain origins: nothing that could end the directive.
        if o.chars()
            .all(|c| c.is_ascii_alphanumeric() || ":/.-[]".contains(c))
        {
            extra.push(' ');
            extra.push_str(o);
        }
    }
    CSP.replace("form-action 'self'", &format!("form-action 'self'{extra}"))
}

/// The headers every response carries unless its handler set its own (a
/// page that posts to a partner widens `form-action`).
const HEADERS: [(HeaderName, &str); 6] = [
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
    (
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    ),
];

/// Response mapper (`map_response_with_state`, the state says whether the
/// public URL is https). One pass over the headers instead of a layer per
/// header: every layer is a future polled on every request.
pub async fn headers(State(https): State<bool>, mut res: Response) -> Response {
    let h = res.headers_mut();
    for (name, value) in HEADERS {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    if https && !h.contains_key(header::STRICT_TRANSPORT_SECURITY) {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_targets_are_added_and_nothing_else() {
        let csp = csp_with_form_targets(&[
            "https://bank.example".into(),
            "http://127.0.0.1:8090".into(),
            "https://evil.example; script-src *".into(),
        ]);
        assert!(csp.contains("form-action 'self' https://bank.example http://127.0.0.1:8090;"));
        assert!(!csp.contains("evil"));
        assert_eq!(csp_with_form_targets(&[]), CSP);
    }
}
