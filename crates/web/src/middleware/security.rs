//! Security headers on every response. A handler may set its own (a page that
//! must be framed, say); these apply where it did not.

use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

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

pub fn layers(https: bool) -> Vec<SetResponseHeaderLayer<HeaderValue>> {
    let mut out = vec![
        set(header::CONTENT_SECURITY_POLICY, CSP),
        set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        set(header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        set(header::X_FRAME_OPTIONS, "DENY"),
        set(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        set(
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ];
    if https {
        out.push(set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        ));
    }
    out
}

fn set(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
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
