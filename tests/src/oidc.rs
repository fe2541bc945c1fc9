//! A relying party for the provider tests: its keys, client assertions,
//! DPoP proofs, and an HTTP client for the `openidconnect` crate that adds
//! a DPoP proof (with the server's nonce) to every token request, as a
//! DPoP-capable client library would.

use std::sync::Mutex;

use openidconnect::{HttpRequest, HttpResponse};
use propusk_oidc::{Alg, SigningKey};

use crate::TestApp;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub fn jti() -> String {
    propusk_oidc::tokens::random_token().unwrap()
}

/// A client's signing key and its JWKS document.
pub fn client_key(alg: Alg) -> (SigningKey, serde_json::Value) {
    let key = SigningKey::generate(alg).unwrap();
    let jwks = serde_json::json!({ "keys": [key.public_jwk()] });
    (key, jwks)
}

/// A `private_key_jwt` assertion with the claims FAPI 2.0 asks for.
pub fn assertion(key: &SigningKey, client_id: &str, aud: &str) -> String {
    let now = now();
    key.sign(
        "JWT",
        &serde_json::json!({"iss": client_id, "sub": client_id, "aud": aud, "iat": now, "exp": now + 60, "jti": jti()}),
    )
    .unwrap()
}

pub fn proof(
    key: &SigningKey,
    method: &str,
    url: &str,
    nonce: Option<&str>,
    at: Option<&str>,
) -> String {
    propusk_oidc::dpop::make_proof(key, method, url, now(), &jti(), at, nonce).unwrap()
}

/// Registers a client the way `propusk client create` does.
pub async fn create_client(
    app: &TestApp,
    new: propusk_service::oauth::NewClient,
) -> propusk_service::oauth::CreatedClient {
    create_limited_client(app, new, None).await
}

/// The same, with `--rate-per-minute`.
pub async fn create_limited_client(
    app: &TestApp,
    new: propusk_service::oauth::NewClient,
    per_minute: Option<i64>,
) -> propusk_service::oauth::CreatedClient {
    let settings = propusk_web::Settings {
        database_url: Some(app.db.as_ref().unwrap().url.clone()),
        data_dir: app.data_dir.clone(),
        ..propusk_web::Settings::default()
    };
    propusk_web::create_client(&settings, None, new, per_minute)
        .await
        .unwrap()
}

pub fn new_client(
    profile: propusk_oidc::Profile,
    redirect: &str,
    scopes: &[&str],
    jwks: Option<serde_json::Value>,
) -> propusk_service::oauth::NewClient {
    propusk_service::oauth::NewClient {
        org_id: uuid::Uuid::nil(),
        name: "Тестовый банк".into(),
        profile,
        sandbox: true,
        redirect_uris: vec![redirect.into()],
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        secret: jwks.is_none(),
        jwks,
        jwks_uri: None,
        ip_allow: vec![],
        post_logout_redirect_uris: vec![],
        backchannel_logout_uri: None,
    }
}

/// For `openidconnect`: adds a DPoP proof to POSTs and follows the
/// server's `use_dpop_nonce` once.
pub struct DpopHttp {
    pub http: reqwest::Client,
    pub key: SigningKey,
    pub nonce: Mutex<Option<String>>,
}

impl DpopHttp {
    pub fn new(key: SigningKey) -> DpopHttp {
        DpopHttp {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            key,
            nonce: Mutex::new(None),
        }
    }

    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, std::io::Error> {
        for _ in 0..2 {
            let mut r = self
                .http
                .request(req.method().clone(), req.uri().to_string())
                .headers(req.headers().clone())
                .body(req.body().clone());
            if req.method() == openidconnect::http::Method::POST {
                let nonce = self.nonce.lock().unwrap().clone();
                r = r.header(
                    "DPoP",
                    proof(
                        &self.key,
                        "POST",
                        &req.uri().to_string(),
                        nonce.as_deref(),
                        None,
                    ),
                );
            }
            let res = r.send().await.map_err(std::io::Error::other)?;
            let status = res.status();
            let headers = res.headers().clone();
            if let Some(n) = headers.get("dpop-nonce").and_then(|v| v.to_str().ok()) {
                *self.nonce.lock().unwrap() = Some(n.to_owned());
            }
            let body = res.bytes().await.map_err(std::io::Error::other)?.to_vec();
            if status == 400 && String::from_utf8_lossy(&body).contains("use_dpop_nonce") {
                continue;
            }
            let mut out = HttpResponse::new(body);
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            return Ok(out);
        }
        Err(std::io::Error::other(
            "the server kept asking for a DPoP nonce",
        ))
    }
}

impl<'c> openidconnect::AsyncHttpClient<'c> for DpopHttp {
    type Error = std::io::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, std::io::Error>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// A person's browser through sign-in and the consent screen: from the
/// authorization URL to the redirect back to the client (its `Location`).
/// Signs in when sent to the sign-in page; approves on the consent screen.
pub async fn authorize_as(
    app: &TestApp,
    browser: &reqwest::Client,
    authorize_url: &str,
    login: &str,
    password: &str,
    remember: bool,
) -> String {
    authorize_with_factor(app, browser, authorize_url, login, password, remember, None).await
}

/// The same for a person with an authenticator app (`totp_key` in base32).
pub async fn authorize_with_factor(
    app: &TestApp,
    browser: &reqwest::Client,
    authorize_url: &str,
    login: &str,
    password: &str,
    remember: bool,
    totp_key: Option<&str>,
) -> String {
    let mut url = authorize_url.to_owned();
    for _ in 0..8 {
        let res = browser.get(&url).send().await.unwrap();
        if res.status() == 303 {
            let next = crate::bank::location(&res);
            if !next.starts_with('/') {
                return next;
            }
            if next.starts_with("/login") {
                let page = browser
                    .get(app.url(&next))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let csrf = crate::pages::csrf_of(&page);
                let target: String = url_query(&app.url(&next), "next").unwrap();
                let res = browser
                    .post(app.url("/login"))
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("login", login),
                        ("password", password),
                        ("next", target.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 303, "signed in");
                let mut to = crate::bank::location(&res);
                if to.starts_with("/login/factor") {
                    let key = totp_key.expect("a second factor is asked for");
                    to = crate::pages::pass_factor(app, browser, &to, key).await;
                }
                url = app.url(&to);
            } else {
                url = app.url(&next);
            }
            continue;
        }
        assert_eq!(res.status(), 200, "the consent screen");
        let page = res.text().await.unwrap();
        assert!(page.contains("consent-approve"), "{page}");
        let csrf = crate::pages::csrf_of(&page);
        let field = |name: &str| -> String {
            let marker = format!("name=\"{name}\" value=\"");
            let at = page.find(&marker).unwrap() + marker.len();
            page[at..].split('"').next().unwrap().to_owned()
        };
        let mut form = vec![
            ("csrf", csrf),
            ("client_id", field("client_id")),
            ("request_uri", field("request_uri")),
            ("decision", "approve".to_owned()),
        ];
        if remember {
            form.push(("remember", "yes".into()));
        }
        let res = browser
            .post(app.url("/oauth/authorize/decision"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "back to the client");
        return crate::bank::location(&res);
    }
    panic!("too many redirects from {authorize_url}");
}

pub fn url_query(u: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(u).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// POSTs a form with an optional DPoP proof, following one nonce request.
pub async fn post_dpop(
    app: &TestApp,
    path: &str,
    form: &[(&str, String)],
    key: Option<&propusk_oidc::SigningKey>,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let http = crate::client();
    let url = app.url(path);
    let mut nonce: Option<String> = None;
    for _ in 0..2 {
        let mut r = http.post(&url).form(form);
        if let Some(k) = key {
            r = r.header("DPoP", proof(k, "POST", &url, nonce.as_deref(), None));
        }
        let res = r.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body: serde_json::Value = res.json().await.unwrap_or(serde_json::Value::Null);
        if status == 400 && body["error"] == "use_dpop_nonce" && nonce.is_none() {
            nonce = headers
                .get("dpop-nonce")
                .map(|v| v.to_str().unwrap().to_owned());
            assert!(nonce.is_some(), "a nonce comes with use_dpop_nonce");
            continue;
        }
        return (status, headers, body);
    }
    unreachable!()
}
