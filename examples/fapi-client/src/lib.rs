//! A FAPI 2.0 client of Propusk in a page of code: the `private_key_jwt`
//! assertion, DPoP proofs with the server's nonce, PAR with PKCE, the code
//! exchange, UserInfo, and `client_credentials`. `main.rs` puts it on the
//! command line. It uses `propusk-oidc` for the JWS parts; any JOSE library
//! that makes ES256 or EdDSA signatures does the same.

use std::sync::Mutex;

use propusk_oidc::{Alg, SigningKey};
use serde_json::{Value, json};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn random() -> Result<String, Error> {
    Ok(propusk_oidc::tokens::random_token()?)
}

/// A client: its id, its `private_key_jwt` key, a DPoP key, and the last
/// DPoP nonce the server gave.
pub struct Client {
    pub issuer: String,
    pub client_id: String,
    pub key: SigningKey,
    pub dpop: SigningKey,
    nonce: Mutex<Option<String>>,
    http: reqwest::Client,
}

/// What a PAR started: where to send the browser, and what the exchange needs.
pub struct Started {
    pub authorize_url: String,
    pub state: String,
    pub nonce: String,
    verifier: String,
}

impl Client {
    pub fn new(issuer: &str, client_id: &str, key: SigningKey) -> Result<Client, Error> {
        Ok(Client {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            key,
            dpop: SigningKey::generate(Alg::EdDsa)?,
            nonce: Mutex::new(None),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        })
    }

    /// RFC 7523 with FAPI 2.0's rules: `aud` is the issuer, as a string.
    fn assertion(&self) -> Result<String, Error> {
        let now = now();
        Ok(self.key.sign(
            "JWT",
            &json!({"iss": self.client_id, "sub": self.client_id, "aud": self.issuer, "iat": now, "exp": now + 60, "jti": random()?}),
        )?)
    }

    /// POST with client authentication and DPoP, answering `use_dpop_nonce` once.
    async fn post(&self, path: &str, form: &[(&str, String)]) -> Result<(u16, Value), Error> {
        let url = format!("{}{path}", self.issuer);
        for _ in 0..2 {
            let nonce = self.nonce.lock().map_err(|_| "poisoned")?.clone();
            let proof = propusk_oidc::dpop::make_proof(
                &self.dpop,
                "POST",
                &url,
                now(),
                &random()?,
                None,
                nonce.as_deref(),
            )?;
            let mut body = form.to_vec();
            body.push((
                "client_assertion_type",
                propusk_oidc::assertion::ASSERTION_TYPE.into(),
            ));
            body.push(("client_assertion", self.assertion()?));
            let res = self
                .http
                .post(&url)
                .header("DPoP", proof)
                .form(&body)
                .send()
                .await?;
            let status = res.status().as_u16();
            let fresh = res
                .headers()
                .get("dpop-nonce")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if let Some(n) = &fresh {
                *self.nonce.lock().map_err(|_| "poisoned")? = Some(n.clone());
            }
            let json: Value = res.json().await.unwrap_or(Value::Null);
            if status == 400 && json["error"] == "use_dpop_nonce" {
                continue;
            }
            return Ok((status, json));
        }
        Err("the server kept asking for a DPoP nonce".into())
    }

    /// `client_credentials`: a DPoP-bound access token for the client itself.
    pub async fn client_credentials(&self, scope: &str) -> Result<Value, Error> {
        match self
            .post(
                "/oauth/token",
                &[
                    ("grant_type", "client_credentials".into()),
                    ("scope", scope.into()),
                ],
            )
            .await?
        {
            (200, tokens) => Ok(tokens),
            (status, body) => Err(format!("token endpoint answered {status}: {body}").into()),
        }
    }

    /// PAR: pushes the request and returns the URL to send the browser to.
    pub async fn start(&self, redirect_uri: &str, scope: &str) -> Result<Started, Error> {
        let (verifier, state, nonce) = (random()?, random()?, random()?);
        let challenge = propusk_oidc::jws::sha256_b64(verifier.as_bytes());
        let form = [
            ("client_id", self.client_id.clone()),
            ("response_type", "code".into()),
            ("redirect_uri", redirect_uri.into()),
            ("scope", scope.into()),
            ("state", state.clone()),
            ("nonce", nonce.clone()),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256".into()),
        ];
        let (status, body) = self.post("/oauth/par", &form).await?;
        let request_uri = body["request_uri"]
            .as_str()
            .filter(|_| status == 201)
            .ok_or_else(|| format!("PAR answered {status}: {body}"))?;
        let mut url = url::Url::parse(&format!("{}/oauth/authorize", self.issuer))?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("request_uri", request_uri);
        Ok(Started {
            authorize_url: url.to_string(),
            state,
            nonce,
            verifier,
        })
    }

    /// The browser came back to `callback` (the whole URL): checks `iss` and
    /// `state`, exchanges the code. Check the ID token with your OIDC
    /// library against `/jwks`; this example checks `nonce` only.
    pub async fn finish(
        &self,
        started: &Started,
        redirect_uri: &str,
        callback: &str,
    ) -> Result<Value, Error> {
        let url = url::Url::parse(callback)?;
        let q = |k: &str| {
            url.query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        if q("iss").as_deref() != Some(self.issuer.as_str()) {
            return Err("the answer is not from this issuer (RFC 9207)".into());
        }
        if q("state").as_deref() != Some(started.state.as_str()) {
            return Err("state does not match".into());
        }
        if let Some(e) = q("error") {
            return Err(format!(
                "authorization refused: {e} {}",
                q("error_description").unwrap_or_default()
            )
            .into());
        }
        let code = q("code").ok_or("no code")?;
        let form = [
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("redirect_uri", redirect_uri.into()),
            ("code_verifier", started.verifier.clone()),
        ];
        let tokens = match self.post("/oauth/token", &form).await? {
            (200, t) => t,
            (status, body) => {
                return Err(format!("token endpoint answered {status}: {body}").into());
            }
        };
        let id = tokens["id_token"].as_str().ok_or("no ID token")?;
        let claims = propusk_oidc::Compact::parse(id)?;
        if claims.claim_str("nonce") != Some(started.nonce.as_str()) {
            return Err("the ID token's nonce does not match".into());
        }
        Ok(tokens)
    }

    /// UserInfo with the DPoP-bound access token.
    pub async fn userinfo(&self, access_token: &str) -> Result<Value, Error> {
        let url = format!("{}/oauth/userinfo", self.issuer);
        let proof = propusk_oidc::dpop::make_proof(
            &self.dpop,
            "GET",
            &url,
            now(),
            &random()?,
            Some(access_token),
            None,
        )?;
        let res = self
            .http
            .get(&url)
            .header("Authorization", format!("DPoP {access_token}"))
            .header("DPoP", proof)
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!("userinfo answered {status}: {body}").into())
        }
    }
}

/// A new ES256 key: PKCS#8 bytes for this client, and the JWKS to register.
pub fn keygen() -> Result<(Vec<u8>, Value), Error> {
    let key = SigningKey::generate(Alg::Es256)?;
    Ok((key.pkcs8().to_vec(), json!({ "keys": [key.public_jwk()] })))
}

/// The key from its PKCS#8 file.
pub fn load_key(pkcs8: &[u8]) -> Result<SigningKey, Error> {
    Ok(SigningKey::from_pkcs8(Alg::Es256, pkcs8)?)
}
