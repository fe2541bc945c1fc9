//! The demo bank as a relying party of Propusk: «Войти через Пропуск» on
//! its home page signs a customer in with the FAPI 2.0 profile (PAR, PKCE,
//! `private_key_jwt`, DPoP with the server's nonce) and shows the claims
//! that came back. A worked example for partners, and the browser test's
//! other end.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use propusk_oidc::{Alg, Compact, KeySet, SigningKey};
use serde::Deserialize;
use serde_json::Value;

use super::{DemoBank, random_token, s256};

/// Where the bank reaches Propusk and who it is there.
#[derive(Debug, Clone)]
pub struct RpConfig {
    /// Propusk's issuer identifier (its public base URL).
    pub issuer: String,
    pub client_id: String,
}

/// The scopes the bank asks for.
pub const RP_SCOPES: [&str; 4] = ["fullname", "birthdate", "snils", "contacts"];

/// A sign-in under way: what the callback needs.
#[derive(Debug)]
pub(super) struct PendingLogin {
    verifier: String,
    nonce: String,
    dpop: SigningKey,
    started: Instant,
}

const PENDING_FOR: Duration = Duration::from_secs(600);
const STATE_COOKIE: &str = "demo_bank_rp_state";

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[derive(askama::Template)]
#[template(path = "bank_home.html")]
struct HomePage {
    bank: String,
    connected: bool,
}

#[derive(askama::Template)]
#[template(path = "bank_rp.html")]
struct ResultPage {
    bank: String,
    claims: Vec<(String, String)>,
    error: Option<String>,
}

fn html(t: &impl askama::Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(h) => (status, Html(h)).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn failed(bank: &DemoBank, why: impl Into<String>) -> Response {
    html(
        &ResultPage {
            bank: bank.config().name.clone(),
            claims: Vec::new(),
            error: Some(why.into()),
        },
        StatusCode::BAD_GATEWAY,
    )
}

pub(super) async fn home(State(bank): State<DemoBank>) -> Response {
    html(
        &HomePage {
            bank: bank.config().name.clone(),
            connected: bank.0.rp.get().is_some(),
        },
        StatusCode::OK,
    )
}

impl DemoBank {
    /// The key the bank authenticates to Propusk with (`private_key_jwt`).
    pub fn rp_key(&self) -> &SigningKey {
        &self.0.rp_key
    }

    /// The bank's redirect URI at Propusk.
    pub fn rp_redirect_uri(&self) -> String {
        format!("{}/rp/callback", self.config().issuer)
    }

    /// Turns on «Войти через Пропуск» once the bank's client is registered.
    pub fn connect_propusk(&self, config: RpConfig) {
        let _ = self.0.rp.set(config);
    }

    fn assertion(&self, rp: &RpConfig) -> Result<String, propusk_oidc::KeyError> {
        let now = now();
        self.0.rp_key.sign(
            "JWT",
            &serde_json::json!({
                "iss": rp.client_id, "sub": rp.client_id, "aud": rp.issuer,
                "iat": now, "exp": now + 60, "jti": random_token(24),
            }),
        )
    }

    /// POSTs a form with client authentication and a DPoP proof, answering
    /// the server's nonce request once.
    async fn post(
        &self,
        rp: &RpConfig,
        path: &str,
        form: &[(&str, String)],
        dpop: &SigningKey,
    ) -> Result<(StatusCode, Value), String> {
        let url = format!("{}{path}", rp.issuer);
        let mut nonce = self.0.rp_nonce.lock().ok().and_then(|n| n.clone());
        for _ in 0..2 {
            let mut body: Vec<(&str, String)> = form.to_vec();
            body.push((
                "client_assertion_type",
                propusk_oidc::assertion::ASSERTION_TYPE.into(),
            ));
            body.push((
                "client_assertion",
                self.assertion(rp).map_err(|e| e.to_string())?,
            ));
            let proof = propusk_oidc::dpop::make_proof(
                dpop,
                "POST",
                &url,
                now(),
                &random_token(24),
                None,
                nonce.as_deref(),
            )
            .map_err(|e| e.to_string())?;
            let res = self
                .0
                .http
                .post(&url)
                .header("DPoP", proof)
                .form(&body)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = res.status();
            let fresh = res
                .headers()
                .get("dpop-nonce")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if let Some(n) = &fresh
                && let Ok(mut slot) = self.0.rp_nonce.lock()
            {
                *slot = Some(n.clone());
            }
            let json: Value = res.json().await.map_err(|e| e.to_string())?;
            if status == StatusCode::BAD_REQUEST
                && json["error"] == "use_dpop_nonce"
                && fresh.is_some()
            {
                nonce = fresh;
                continue;
            }
            return Ok((status, json));
        }
        Err("Пропуск не принял одноразовый номер DPoP".into())
    }
}

pub(super) async fn start(State(bank): State<DemoBank>) -> Response {
    let Some(rp) = bank.0.rp.get().cloned() else {
        return failed(&bank, "Вход через Пропуск не настроен");
    };
    let verifier = random_token(32);
    let state = random_token(24);
    let nonce = random_token(16);
    let Ok(dpop) = SigningKey::generate(Alg::EdDsa) else {
        return failed(&bank, "не удалось создать ключ DPoP");
    };
    let form = [
        ("client_id", rp.client_id.clone()),
        ("response_type", "code".to_owned()),
        ("redirect_uri", bank.rp_redirect_uri()),
        ("scope", format!("openid {}", RP_SCOPES.join(" "))),
        ("state", state.clone()),
        ("nonce", nonce.clone()),
        ("code_challenge", s256(&verifier)),
        ("code_challenge_method", "S256".to_owned()),
    ];
    let request_uri = match bank.post(&rp, "/oauth/par", &form, &dpop).await {
        Ok((StatusCode::CREATED, json)) => match json["request_uri"].as_str() {
            Some(u) => u.to_owned(),
            None => return failed(&bank, "Пропуск не вернул request_uri"),
        },
        Ok((status, json)) => {
            return failed(
                &bank,
                format!("PAR: {status} {}", json["error_description"]),
            );
        }
        Err(e) => return failed(&bank, format!("PAR: {e}")),
    };
    if let Ok(mut pending) = bank.0.rp_pending.lock() {
        pending.retain(|_, p| p.started.elapsed() < PENDING_FOR);
        pending.insert(
            state.clone(),
            PendingLogin {
                verifier,
                nonce,
                dpop,
                started: Instant::now(),
            },
        );
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &rp.client_id)
        .append_pair("request_uri", &request_uri)
        .finish();
    let mut res = Redirect::to(&format!("{}/oauth/authorize?{query}", rp.issuer)).into_response();
    if let Ok(v) =
        format!("{STATE_COOKIE}={state}; Path=/rp; HttpOnly; SameSite=Lax; Max-Age=600").parse()
    {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Callback {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub(super) async fn callback(
    State(bank): State<DemoBank>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    let Some(rp) = bank.0.rp.get().cloned() else {
        return failed(&bank, "Вход через Пропуск не настроен");
    };
    // RFC 9207: the answer must come from the issuer we asked.
    if q.iss.as_deref() != Some(rp.issuer.as_str()) {
        return failed(&bank, "ответ не от того сервера авторизации (iss)");
    }
    let (Some(state), Some(sent)) = (q.state.as_deref(), cookie(&headers, STATE_COOKIE)) else {
        return failed(&bank, "нет параметра state");
    };
    if state != sent {
        return failed(&bank, "state не совпадает с этим браузером");
    }
    let Some(pending) = bank
        .0
        .rp_pending
        .lock()
        .ok()
        .and_then(|mut p| p.remove(state))
    else {
        return failed(&bank, "вход устарел; начните заново");
    };
    if let Some(e) = q.error {
        return failed(
            &bank,
            format!(
                "Пропуск ответил: {e} {}",
                q.error_description.unwrap_or_default()
            ),
        );
    }
    let Some(code) = q.code else {
        return failed(&bank, "нет кода авторизации");
    };
    let form = [
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("redirect_uri", bank.rp_redirect_uri()),
        ("code_verifier", pending.verifier.clone()),
    ];
    let tokens = match bank.post(&rp, "/oauth/token", &form, &pending.dpop).await {
        Ok((StatusCode::OK, json)) => json,
        Ok((status, json)) => {
            return failed(
                &bank,
                format!("токен: {status} {}", json["error_description"]),
            );
        }
        Err(e) => return failed(&bank, format!("токен: {e}")),
    };
    let (Some(at), Some(id_token)) = (tokens["access_token"].as_str(), tokens["id_token"].as_str())
    else {
        return failed(&bank, "в ответе нет токенов");
    };
    if let Err(e) = bank.check_id_token(&rp, id_token, &pending.nonce).await {
        return failed(&bank, format!("ID-токен: {e}"));
    }
    let url = format!("{}/oauth/userinfo", rp.issuer);
    let proof = match propusk_oidc::dpop::make_proof(
        &pending.dpop,
        "GET",
        &url,
        now(),
        &random_token(24),
        Some(at),
        None,
    ) {
        Ok(p) => p,
        Err(e) => return failed(&bank, e.to_string()),
    };
    let info: Value = match bank
        .0
        .http
        .get(&url)
        .header("Authorization", format!("DPoP {at}"))
        .header("DPoP", proof)
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => r.json().await.unwrap_or(Value::Null),
        Ok(r) => return failed(&bank, format!("userinfo: {}", r.status())),
        Err(e) => return failed(&bank, format!("userinfo: {e}")),
    };
    let claims = info
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    html(
        &ResultPage {
            bank: bank.config().name.clone(),
            claims,
            error: None,
        },
        StatusCode::OK,
    )
}

impl DemoBank {
    /// Signature by a key of Propusk's JWKS, `iss`, `aud`, `exp`, `nonce`.
    async fn check_id_token(&self, rp: &RpConfig, token: &str, nonce: &str) -> Result<(), String> {
        let jwks: Value = self
            .0
            .http
            .get(format!("{}/jwks", rp.issuer))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let keys = KeySet::from_jwks(&jwks);
        let jws = Compact::parse(token).map_err(|e| e.to_string())?;
        let key = keys.find(&jws).ok_or("неизвестный ключ")?;
        if !key.alg().is_fapi() {
            return Err("алгоритм не из FAPI 2.0".into());
        }
        key.verify(&jws).map_err(|e| e.to_string())?;
        if jws.claim_str("iss") != Some(rp.issuer.as_str())
            || jws.claim_str("aud") != Some(rp.client_id.as_str())
        {
            return Err("iss или aud".into());
        }
        if jws.claim_i64("exp").is_none_or(|e| e <= now()) {
            return Err("истёк".into());
        }
        if jws.claim_str("nonce") != Some(nonce) {
            return Err("nonce".into());
        }
        Ok(())
    }
}

pub(super) type Pending = Mutex<std::collections::HashMap<String, PendingLogin>>;
