//! The demo bank's endpoints.

use std::collections::BTreeMap;
use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{CODE_LIFETIME, CUSTOMER_PASSWORD, DemoBank, Grant};
use crate::population::Person;

pub(super) fn router(bank: DemoBank) -> Router {
    Router::new()
        .route("/", get(super::rp::home))
        .route("/rp/start", get(super::rp::start))
        .route("/rp/callback", get(super::rp::callback))
        .route("/healthz", get(|| async { "ok" }))
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize_form).post(authorize_submit))
        .route("/token", post(token))
        .with_state(bank)
}

async fn discovery(State(bank): State<DemoBank>) -> Json<serde_json::Value> {
    let i = &bank.config().issuer;
    Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "jwks_uri": format!("{i}/jwks"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "identity"],
        "claims_supported": ["sub", "family_name", "given_name", "middle_name", "birthdate"],
        "authorization_response_iss_parameter_supported": true,
    }))
}

async fn jwks(State(bank): State<DemoBank>) -> Json<serde_json::Value> {
    Json(json!({ "keys": [bank.0.key.public_jwk().clone()] }))
}

/// What `/authorize` is asked, kept through the login form.
#[derive(Debug, Clone, Default, Deserialize)]
struct AuthorizeParams {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
}

impl AuthorizeParams {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("response_type", self.response_type.clone()),
            ("client_id", self.client_id.clone()),
            ("redirect_uri", self.redirect_uri.clone()),
            ("scope", self.scope.clone()),
            ("code_challenge", self.code_challenge.clone()),
            ("code_challenge_method", self.code_challenge_method.clone()),
        ];
        if let Some(s) = &self.state {
            v.push(("state", s.clone()));
        }
        if let Some(n) = &self.nonce {
            v.push(("nonce", n.clone()));
        }
        v
    }
}

#[derive(askama::Template)]
#[template(path = "bank_login.html")]
struct LoginPage {
    bank: String,
    params: Vec<(&'static str, String)>,
    login: String,
    error: Option<String>,
}

fn page(page: &LoginPage, status: StatusCode) -> Response {
    match askama::Template::render(page) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Never redirect to a URI the client did not register: say so on a page.
fn bad_client_page() -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(
            "<!doctype html><html lang=\"ru\"><meta charset=\"utf-8\"><title>Ошибка</title>\
              <h1>Неверный запрос</h1><p>Неизвестное приложение или адрес возврата.</p></html>",
        ),
    )
        .into_response()
}

fn redirect_error(
    bank: &DemoBank,
    p: &AuthorizeParams,
    error: &str,
    description: &str,
) -> Box<Response> {
    let mut url = format!(
        "{}?error={error}&error_description={}&iss={}",
        p.redirect_uri,
        urlencode(description),
        urlencode(&bank.config().issuer)
    );
    if let Some(s) = &p.state {
        url.push_str(&format!("&state={}", urlencode(s)));
    }
    Box::new(Redirect::to(&url).into_response())
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Checks the request; `Err` is the response to give instead.
fn check(bank: &DemoBank, p: &AuthorizeParams) -> Result<(), Box<Response>> {
    let c = bank.config();
    if p.client_id != c.client_id || !c.redirect_uris.contains(&p.redirect_uri) {
        return Err(Box::new(bad_client_page()));
    }
    if p.response_type != "code" {
        return Err(redirect_error(
            bank,
            p,
            "unsupported_response_type",
            "only code",
        ));
    }
    if !p.scope.split(' ').any(|s| s == "openid") {
        return Err(redirect_error(
            bank,
            p,
            "invalid_scope",
            "openid is required",
        ));
    }
    if p.code_challenge_method != "S256" || p.code_challenge.len() != 43 {
        return Err(redirect_error(
            bank,
            p,
            "invalid_request",
            "PKCE S256 is required",
        ));
    }
    Ok(())
}

async fn authorize_form(
    State(bank): State<DemoBank>,
    Query(p): Query<AuthorizeParams>,
) -> Response {
    if let Err(r) = check(&bank, &p) {
        return *r;
    }
    page(
        &LoginPage {
            bank: bank.config().name.clone(),
            params: p.pairs(),
            login: String::new(),
            error: None,
        },
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    #[serde(default)]
    bank_login: String,
    #[serde(default)]
    bank_password: String,
}

async fn authorize_submit(State(bank): State<DemoBank>, Form(f): Form<LoginForm>) -> Response {
    let p = f.params;
    if let Err(r) = check(&bank, &p) {
        return *r;
    }
    let customer = propusk_core::ident::Phone::parse(&f.bank_login)
        .ok()
        .and_then(|phone| bank.0.population.by_phone(&phone))
        .filter(|person| DemoBank::is_customer(person.index));
    let right = f.bank_password.as_bytes() == CUSTOMER_PASSWORD.as_bytes();
    let Some(person) = customer.filter(|_| right) else {
        return page(
            &LoginPage {
                bank: bank.config().name.clone(),
                params: p.pairs(),
                login: f.bank_login.chars().take(40).collect(),
                error: Some("Неверный телефон или пароль.".into()),
            },
            StatusCode::UNAUTHORIZED,
        );
    };
    let code = bank.put_code(Grant {
        redirect_uri: p.redirect_uri.clone(),
        code_challenge: p.code_challenge.clone(),
        nonce: p.nonce.clone(),
        customer: person.index,
        expires: Instant::now() + CODE_LIFETIME,
    });
    let mut url = format!(
        "{}?code={code}&iss={}",
        p.redirect_uri,
        urlencode(&bank.config().issuer)
    );
    if let Some(s) = &p.state {
        url.push_str(&format!("&state={}", urlencode(s)));
    }
    Redirect::to(&url).into_response()
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    code_verifier: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut res = (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED
        && let Ok(v) = "Basic realm=\"demo-bank\"".parse()
    {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}

/// The client's id and secret from Basic auth or the form.
fn client_credentials(headers: &HeaderMap, form: &TokenForm) -> Option<(String, String)> {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        // RFC 6749 §2.3.1: both are form-urlencoded inside Basic.
        return Some((form_urlencoded_decode(id), form_urlencoded_decode(secret)));
    }
    Some((form.client_id.clone()?, form.client_secret.clone()?))
}

fn form_urlencoded_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The bank's statement about its customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityAssertion {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub family_name: String,
    pub given_name: String,
    pub middle_name: String,
    /// `YYYY-MM-DD`.
    pub birthdate: String,
    pub passport: AssertedPassport,
    pub snils: String,
    pub inn: String,
    pub customer_id: String,
    /// When the bank last checked the customer's documents (Unix seconds).
    pub verified_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertedPassport {
    pub series: String,
    pub number: String,
    /// `YYYY-MM-DD`.
    pub issue_date: String,
}

async fn token(
    State(bank): State<DemoBank>,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Response {
    let c = bank.config();
    let Some((id, secret)) = client_credentials(&headers, &f) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication is required",
        );
    };
    let secret_ok = aws_lc_rs::constant_time::verify_slices_are_equal(
        secret.as_bytes(),
        c.client_secret.as_bytes(),
    )
    .is_ok();
    if id != c.client_id || !secret_ok {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        );
    }
    if f.grant_type != "authorization_code" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code",
        );
    }
    let Some(grant) = bank.take_code(&f.code) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "unknown, used or expired code",
        );
    };
    if grant.redirect_uri != f.redirect_uri {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "redirect_uri does not match",
        );
    }
    if super::s256(&f.code_verifier) != grant.code_challenge {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "PKCE verification failed",
        );
    }
    let Some(person) = bank.0.population.person(grant.customer) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "no such customer");
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let sub = DemoBank::customer_id(person.index);
    let id_token = bank.0.key.sign(
        "JWT",
        &json!({
            "iss": c.issuer, "sub": sub, "aud": c.client_id, "iat": now, "exp": now + 300,
            "auth_time": now, "nonce": grant.nonce,
            "family_name": person.last_name, "given_name": person.first_name,
            "middle_name": person.middle_name, "birthdate": person.birth_date.to_string(),
        }),
    );
    let assertion = bank.0.key.sign(
        "identity-assertion+jwt",
        &assertion(&bank, &person, &sub, &grant, now),
    );
    let (Ok(id_token), Ok(assertion)) = (id_token, assertion) else {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "signing failed",
        );
    };
    let mut claims = BTreeMap::new();
    claims.insert("access_token", json!(super::random_token(32)));
    claims.insert("token_type", json!("Bearer"));
    claims.insert("expires_in", json!(300));
    claims.insert("id_token", json!(id_token));
    claims.insert("identity_assertion", json!(assertion));
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        Json(claims),
    )
        .into_response()
}

fn assertion(bank: &DemoBank, p: &Person, sub: &str, grant: &Grant, now: i64) -> IdentityAssertion {
    // The bank last saw the documents when the customer opened the account
    // or replaced the passport, whichever was later.
    let verified = p.passport.issue_date.max(
        time::Date::from_calendar_date(2019, time::Month::March, 1)
            .unwrap_or(p.passport.issue_date),
    );
    let verified_at = verified.midnight().assume_utc().unix_timestamp();
    IdentityAssertion {
        iss: bank.config().issuer.clone(),
        aud: bank.config().client_id.clone(),
        sub: sub.to_owned(),
        iat: now,
        exp: now + 600,
        jti: super::random_token(16),
        nonce: grant.nonce.clone(),
        family_name: p.last_name.clone(),
        given_name: p.first_name.clone(),
        middle_name: p.middle_name.clone(),
        birthdate: p.birth_date.to_string(),
        passport: AssertedPassport {
            series: p.passport.series.clone(),
            number: p.passport.number.clone(),
            issue_date: p.passport.issue_date.to_string(),
        },
        snils: p.snils.to_string(),
        inn: p.inn.to_string(),
        customer_id: sub.to_owned(),
        verified_at,
    }
}
