//! The authorization request (OIDC Core §3.1.2.1, RFC 6749 §4.1.1, RFC
//! 7636, RFC 9126): checked in the order the specifications ask, so that
//! nothing is ever sent to a redirect URI that was not first proved to be
//! the client's (RFC 6749 §4.1.2.1).

use std::collections::BTreeMap;

use crate::error::{ErrorCode, OAuthError};
use crate::pkce;
use crate::scopes;

/// `fapi2`: the FAPI 2.0 Security Profile; `oidc`: plain OpenID Connect Core
/// (sandbox only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Fapi2,
    Oidc,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Fapi2 => "fapi2",
            Profile::Oidc => "oidc",
        }
    }

    pub fn parse(s: &str) -> Option<Profile> {
        match s {
            "fapi2" => Some(Profile::Fapi2),
            "oidc" => Some(Profile::Oidc),
            _ => None,
        }
    }
}

/// Longest values kept: a `state` may be long (FAPI 2.0 §5.3.2.2 note 4)
/// but not unbounded; FAPI asks to accept nonces of 64 characters.
pub const MAX_STATE: usize = 4096;
pub const MAX_NONCE: usize = 255;
pub const MAX_HINT: usize = 255;
/// RFC 9396: the one `authorization_details` type we take; the service
/// checks its content against the consent catalogue.
pub const DETAILS_TYPES: &[&str] = &["propusk_consent"];
/// Longest `authorization_details` kept (a consent's details are a few
/// hundred bytes).
pub const MAX_DETAILS: usize = 8192;

/// What the client registered that the request is checked against.
pub struct ClientView<'a> {
    pub client_id: &'a str,
    pub profile: Profile,
    pub redirect_uris: &'a [String],
    pub scopes: &'a [String],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

/// A checked authorization request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub acr_values: Vec<String>,
    pub ui_locales: Option<String>,
    /// RFC 9449 §10: the DPoP key the code will be bound to.
    pub dpop_jkt: Option<String>,
    /// RFC 9396: the request's `authorization_details`, each of a type of
    /// [`DETAILS_TYPES`] (shape checked here, content by the service).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_details: Vec<serde_json::Value>,
}

impl AuthRequest {
    pub fn prompt(&self) -> Prompt {
        let has = |v: &str| self.prompt.iter().any(|p| p == v);
        Prompt {
            none: has("none"),
            login: has("login"),
            consent: has("consent"),
            select_account: has("select_account"),
        }
    }

    pub fn is_openid(&self) -> bool {
        self.scopes.iter().any(|s| s == "openid")
    }
}

/// Where an error may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// Client or redirect URI not proved: show a page, never redirect.
    Page(OAuthError),
    /// Send back to the (checked) redirect URI with `error`, `state`, `iss`.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: OAuthError,
    },
}

/// Form or query parameters, refusing repeats (RFC 6749 §3.1) and treating
/// an empty value as absent.
pub fn params(
    pairs: impl IntoIterator<Item = (String, String)>,
) -> Result<BTreeMap<String, String>, OAuthError> {
    let mut out = BTreeMap::new();
    for (k, v) in pairs {
        if v.is_empty() {
            continue;
        }
        if out.insert(k.clone(), v).is_some() {
            return Err(OAuthError::request(format!("parameter {k} is repeated")));
        }
    }
    Ok(out)
}

/// RFC 9700 §4.1.3: exact string match, except the port of a native app's
/// loopback redirect (`http://127.0.0.1:<any>/path`, RFC 8252 §7.3).
pub fn redirect_matches(registered: &str, given: &str) -> bool {
    if registered == given {
        return true;
    }
    let loopback = |u: &str| -> Option<(String, String)> {
        let url = url::Url::parse(u).ok()?;
        if url.scheme() != "http" {
            return None;
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) if ip.is_loopback() => {}
            Some(url::Host::Ipv6(ip)) if ip.is_loopback() => {}
            _ => return None,
        }
        let mut no_port = url.clone();
        no_port.set_port(None).ok()?;
        Some((no_port.to_string(), url.host_str()?.to_owned()))
    };
    match (loopback(registered), loopback(given)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Checks an authorization request (pushed or direct) for `client`.
/// `pushed`: it came through PAR (where `request_uri` is refused).
pub fn check(
    params: &BTreeMap<String, String>,
    client: &ClientView<'_>,
    pushed: bool,
) -> Result<AuthRequest, RequestError> {
    let get = |k: &str| params.get(k).map(String::as_str);
    let page = |e: OAuthError| RequestError::Page(e);
    if get("client_id") != Some(client.client_id) {
        return Err(page(OAuthError::request("client_id does not match")));
    }
    let redirect_uri =
        get("redirect_uri").ok_or_else(|| page(OAuthError::request("redirect_uri is required")))?;
    if !client
        .redirect_uris
        .iter()
        .any(|r| redirect_matches(r, redirect_uri))
    {
        return Err(page(OAuthError::request(
            "redirect_uri is not registered for this client",
        )));
    }
    if let Some(mode) = get("response_mode")
        && mode != "query"
    {
        // Core §3.1.2.6: no redirect for an unsupported response mode.
        return Err(page(OAuthError::request("unsupported response_mode")));
    }
    if pushed && get("request_uri").is_some() {
        return Err(page(OAuthError::request("request_uri cannot be pushed")));
    }
    let state = get("state").map(str::to_owned);
    let redirect = |error: OAuthError| RequestError::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        error,
    };
    if let Some(s) = &state
        && s.len() > MAX_STATE
    {
        return Err(page(OAuthError::request("state is too long")));
    }
    if get("request").is_some() {
        return Err(redirect(OAuthError::new(
            ErrorCode::InvalidRequest,
            "request objects are not supported; use PAR",
        )));
    }
    match get("response_type") {
        Some("code") => {}
        Some(_) => {
            return Err(redirect(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            )));
        }
        None => return Err(redirect(OAuthError::request("response_type is required"))),
    }
    let authorization_details = match get("authorization_details") {
        None => Vec::new(),
        Some(raw) => details(raw).map_err(redirect)?,
    };
    let scopes = scopes::split(get("scope").unwrap_or(""));
    if scopes.is_empty() && authorization_details.is_empty() {
        // RFC 9396 §3.1: either alone is a request.
        return Err(redirect(OAuthError::new(
            ErrorCode::InvalidScope,
            "scope or authorization_details is required",
        )));
    }
    for s in &scopes {
        match scopes::find(s) {
            None => {
                return Err(redirect(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!("unknown scope {s}"),
                )));
            }
            Some(found) if found.data_only() => {
                return Err(redirect(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!("scope {s} is granted through a consent request, not at sign-in"),
                )));
            }
            Some(_) => {}
        }
        if s != "openid" && !client.scopes.iter().any(|c| c == s) {
            return Err(redirect(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("scope {s} is not allowed for this client"),
            )));
        }
    }
    let code_challenge =
        pkce::challenge(get("code_challenge"), get("code_challenge_method")).map_err(redirect)?;
    let prompt: Vec<String> = get("prompt").map(scopes::split).unwrap_or_default();
    if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
        return Err(redirect(OAuthError::request(
            "prompt=none cannot be combined",
        )));
    }
    let max_age = match get("max_age") {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            redirect(OAuthError::request(
                "max_age must be a non-negative integer",
            ))
        })?),
    };
    let nonce = get("nonce").map(str::to_owned);
    if nonce.as_ref().is_some_and(|n| n.len() > MAX_NONCE) {
        return Err(redirect(OAuthError::request("nonce is too long")));
    }
    let login_hint = get("login_hint").map(|h| h.chars().take(MAX_HINT).collect());
    let dpop_jkt = get("dpop_jkt").map(str::to_owned);
    if dpop_jkt.as_ref().is_some_and(|j| j.len() != 43) {
        return Err(redirect(OAuthError::request(
            "dpop_jkt is not a SHA-256 thumbprint",
        )));
    }
    Ok(AuthRequest {
        client_id: client.client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state,
        nonce,
        code_challenge,
        prompt,
        max_age,
        login_hint,
        acr_values: get("acr_values").map(scopes::split).unwrap_or_default(),
        ui_locales: get("ui_locales").map(|l| l.chars().take(64).collect()),
        dpop_jkt,
        authorization_details,
    })
}

/// RFC 9396 §2, §5: a JSON array of objects, each with a string `type` we
/// support; anything else is `invalid_authorization_details`.
pub fn details(raw: &str) -> Result<Vec<serde_json::Value>, OAuthError> {
    let bad = |why: String| OAuthError::new(ErrorCode::InvalidAuthorizationDetails, why);
    if raw.len() > MAX_DETAILS {
        return Err(bad("authorization_details is too long".into()));
    }
    let value: serde_json::Value = serde_json::from_str(raw)
        .map_err(|e| bad(format!("authorization_details is not JSON: {e}")))?;
    let serde_json::Value::Array(list) = value else {
        return Err(bad("authorization_details must be a JSON array".into()));
    };
    if list.is_empty() {
        return Err(bad("authorization_details is empty".into()));
    }
    for (i, item) in list.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            return Err(bad(format!("authorization_details[{i}] is not an object")));
        };
        match obj.get("type") {
            Some(serde_json::Value::String(t)) if DETAILS_TYPES.contains(&t.as_str()) => {}
            Some(serde_json::Value::String(t)) => {
                return Err(bad(format!(
                    "authorization_details[{i}]: unknown type {t}; supported: {}",
                    DETAILS_TYPES.join(", ")
                )));
            }
            _ => {
                return Err(bad(format!(
                    "authorization_details[{i}]: type is required and must be a string"
                )));
            }
        }
    }
    Ok(list)
}

/// The redirect back to the client: `code` or `error`, with `state` and
/// `iss` (RFC 9207) on both.
pub fn response_url(
    redirect_uri: &str,
    issuer: &str,
    state: Option<&str>,
    outcome: Result<&str, &OAuthError>,
) -> String {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return redirect_uri.to_owned(),
    };
    {
        let mut q = url.query_pairs_mut();
        match outcome {
            Ok(code) => {
                q.append_pair("code", code);
            }
            Err(e) => {
                q.append_pair("error", e.code.as_str());
                q.append_pair("error_description", &e.description);
            }
        }
        if let Some(s) = state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", issuer);
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn client() -> (Vec<String>, Vec<String>) {
        (
            vec![
                "https://bank.example/cb".into(),
                "http://127.0.0.1/native".into(),
            ],
            vec!["fullname".into(), "snils".into()],
        )
    }

    fn base() -> BTreeMap<String, String> {
        [
            ("client_id", "c1"),
            ("redirect_uri", "https://bank.example/cb"),
            ("response_type", "code"),
            ("scope", "openid fullname"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("state", "s1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn run(p: &BTreeMap<String, String>) -> Result<AuthRequest, RequestError> {
        let (r, s) = client();
        check(
            p,
            &ClientView {
                client_id: "c1",
                profile: Profile::Fapi2,
                redirect_uris: &r,
                scopes: &s,
            },
            true,
        )
    }

    #[test]
    fn a_good_request_passes() {
        let r = run(&base()).unwrap();
        assert_eq!(r.scopes, vec!["openid", "fullname"]);
        assert!(r.is_openid());
    }

    #[test]
    fn redirect_uris_match_exactly_except_a_loopback_port() {
        for bad in [
            "https://bank.example/cb/",
            "https://BANK.example/cb",
            "https://bank.example/cb?x=1",
            "https://bank.example/c",
            "https://bank.example/cb#f",
        ] {
            let mut p = base();
            p.insert("redirect_uri".into(), bad.into());
            assert!(matches!(run(&p), Err(RequestError::Page(_))), "{bad}");
        }
        assert!(redirect_matches(
            "http://127.0.0.1/native",
            "http://127.0.0.1:53123/native"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1/native",
            "http://127.0.0.1:53123/other"
        ));
        assert!(!redirect_matches(
            "http://localhost/native",
            "http://localhost:1/native"
        ));
    }

    #[test]
    fn errors_after_the_redirect_check_go_back_with_state() {
        let cases = [
            (
                "response_type",
                "code id_token",
                ErrorCode::UnsupportedResponseType,
            ),
            ("scope", "openid inn", ErrorCode::InvalidScope),
            ("scope", "openid nonsense", ErrorCode::InvalidScope),
            ("code_challenge_method", "plain", ErrorCode::InvalidRequest),
            ("prompt", "none login", ErrorCode::InvalidRequest),
            ("max_age", "-1", ErrorCode::InvalidRequest),
        ];
        for (k, v, code) in cases {
            let mut p = base();
            p.insert(k.into(), v.into());
            match run(&p) {
                Err(RequestError::Redirect { state, error, .. }) => {
                    assert_eq!(error.code, code, "{k}={v}");
                    assert_eq!(state.as_deref(), Some("s1"));
                }
                other => panic!("{k}={v}: {other:?}"),
            }
        }
        let mut p = base();
        p.remove("code_challenge");
        assert!(matches!(run(&p), Err(RequestError::Redirect { .. })));
        let mut p = base();
        p.insert("response_mode".into(), "fragment".into());
        assert!(matches!(run(&p), Err(RequestError::Page(_))));
        let mut p = base();
        p.insert("request_uri".into(), "urn:x".into());
        assert!(matches!(run(&p), Err(RequestError::Page(_))));
    }

    #[test]
    fn authorization_details_are_an_array_of_objects_of_a_known_type() {
        let mut p = base();
        p.insert(
            "authorization_details".into(),
            r#"[{"type":"propusk_consent","purpose":"loan_application"}]"#.into(),
        );
        let r = run(&p).unwrap();
        assert_eq!(r.authorization_details.len(), 1);
        for bad in [
            "not json",
            r#"{"type":"propusk_consent"}"#,
            "[]",
            "[1]",
            r#"[{"purpose":"x"}]"#,
            r#"[{"type":7}]"#,
            r#"[{"type":"payment_initiation"}]"#,
        ] {
            let mut p = base();
            p.insert("authorization_details".into(), bad.into());
            match run(&p) {
                Err(RequestError::Redirect { error, .. }) => {
                    assert_eq!(error.code, ErrorCode::InvalidAuthorizationDetails, "{bad}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        let mut p = base();
        p.remove("scope");
        p.insert(
            "authorization_details".into(),
            r#"[{"type":"propusk_consent"}]"#.into(),
        );
        assert!(
            run(&p).unwrap().scopes.is_empty(),
            "details alone are a request"
        );
        let mut p = base();
        p.remove("scope");
        assert!(matches!(run(&p), Err(RequestError::Redirect { .. })));
    }

    #[test]
    fn repeated_parameters_are_refused_and_empty_ones_ignored() {
        let pairs = vec![
            ("a".to_owned(), "1".to_owned()),
            ("a".to_owned(), "2".to_owned()),
        ];
        assert!(params(pairs).is_err());
        let pairs = vec![
            ("a".to_owned(), "".to_owned()),
            ("b".to_owned(), "2".to_owned()),
        ];
        assert_eq!(params(pairs).unwrap().len(), 1);
    }

    #[test]
    fn the_response_carries_state_and_iss() {
        let u = response_url(
            "https://bank.example/cb?x=1",
            "https://propusk.example",
            Some("a b"),
            Ok("C"),
        );
        assert_eq!(
            u,
            "https://bank.example/cb?x=1&code=C&state=a+b&iss=https%3A%2F%2Fpropusk.example"
        );
    }
}
