//! The demo bank as an OpenID Connect provider, driven by the `openidconnect`
//! client (discovery, the authorization URL with PKCE and nonce, ID token
//! verification against the bank's JWKS) and by hand where a browser would
//! act; the identity assertion checked with `jsonwebtoken`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata};
use openidconnect::{
    ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, RedirectUrl, Scope,
};
use propusk_registries::Population;
use propusk_registries::bank::{BankConfig, CUSTOMER_PASSWORD, DemoBank};

const REDIRECT: &str = "http://propusk.test/cabinet/confirm/callback";
const SECRET: &str = "s3cret:with+symbols";

async fn start() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let bank = DemoBank::new(
        BankConfig {
            issuer: base.clone(),
            name: "Демо Банк".into(),
            client_id: "propusk".into(),
            client_secret: SECRET.into(),
            redirect_uris: vec![REDIRECT.into()],
        },
        Population::new(1, 1_000),
    )
    .unwrap();
    tokio::spawn(bank.serve(listener, std::future::pending()));
    base
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    url_query(location.split_once('?').map_or("", |(_, q)| q))
}

fn url_query(q: &str) -> std::collections::HashMap<String, String> {
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            (
                k.to_owned(),
                percent_encoding::percent_decode_str(&v.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .collect()
}

/// What the browser does on the bank's page: the form with the login.
async fn log_in(
    http: &reqwest::Client,
    authorize_url: &str,
    phone: &str,
    password: &str,
) -> reqwest::Response {
    let page = http.get(authorize_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("autocomplete=\"current-password\""));
    let mut form = url_query(authorize_url.split_once('?').unwrap().1);
    form.insert("bank_login".into(), phone.into());
    form.insert("bank_password".into(), password.into());
    let base = authorize_url.split_once('?').unwrap().0;
    http.post(base).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn a_customer_signs_in_and_the_bank_vouches_for_them() {
    let base = start().await;
    let http = http();
    let meta = CoreProviderMetadata::discover_async(IssuerUrl::new(base.clone()).unwrap(), &http)
        .await
        .unwrap();
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new("propusk".into()),
        Some(ClientSecret::new(SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("identity".into()))
        .set_pkce_challenge(challenge)
        .url();

    // Морозов banks here.
    let wrong = log_in(&http, url.as_str(), "+79000000003", "nope").await;
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Неверный телефон или пароль")
    );
    let ok = log_in(&http, url.as_str(), "+7 900 000-00-03", CUSTOMER_PASSWORD).await;
    assert_eq!(ok.status(), 303);
    let back = query_of(ok.headers()["location"].to_str().unwrap());
    assert_eq!(back["state"], *csrf.secret());
    assert_eq!(back["iss"], base, "RFC 9207 iss in the response");

    let token_url = format!("{base}/token");
    let exchange = |code: String, verifier: String| {
        let http = http.clone();
        let token_url = token_url.clone();
        async move {
            http.post(&token_url)
                .basic_auth(
                    "propusk",
                    Some(
                        percent_encoding::utf8_percent_encode(
                            SECRET,
                            percent_encoding::NON_ALPHANUMERIC,
                        )
                        .to_string(),
                    ),
                )
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", verifier.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let res = exchange(back["code"].clone(), verifier.secret().clone()).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();

    let id_token: CoreIdToken = body["id_token"].as_str().unwrap().parse().unwrap();
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();
    assert_eq!(claims.subject().as_str(), "DB-00000002");

    let jwks: jsonwebtoken::jwk::JwkSet = http
        .get(format!("{base}/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let assertion = body["identity_assertion"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(assertion).unwrap();
    assert_eq!(header.typ.as_deref(), Some("identity-assertion+jwt"));
    let key =
        jsonwebtoken::DecodingKey::from_jwk(jwks.find(header.kid.as_deref().unwrap()).unwrap())
            .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.set_audience(&["propusk"]);
    v.set_issuer(&[base.as_str()]);
    let a = jsonwebtoken::decode::<serde_json::Value>(assertion, &key, &v)
        .unwrap()
        .claims;
    assert_eq!(a["snils"], "160-503-741 28");
    assert_eq!(a["passport"]["number"], "765432");
    assert_eq!(a["inn"], "770123456703");
    assert_eq!(a["nonce"], nonce.secret().as_str());
    assert!(a["jti"].as_str().unwrap().len() >= 20);

    // The code is single-use; a wrong verifier or secret is refused.
    let again = exchange(back["code"].clone(), verifier.secret().clone()).await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        again.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn bad_requests_are_refused_as_oauth_says() {
    let base = start().await;
    let http = http();
    let challenge =
        propusk_registries::bank::s256("a-verifier-of-enough-length-0123456789abcdefgh");
    let authorize = |redirect: &str, method: &str| {
        format!(
            "{base}/authorize?response_type=code&client_id=propusk&scope=openid&state=st&nonce=n&redirect_uri={}&code_challenge={challenge}&code_challenge_method={method}",
            percent_encoding::utf8_percent_encode(redirect, percent_encoding::NON_ALPHANUMERIC)
        )
    };
    // An unregistered redirect URI gets a page, never a redirect.
    let r = http
        .get(authorize("http://evil.test/cb", "S256"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Without S256 PKCE: back to the client with the error.
    let r = http.get(authorize(REDIRECT, "plain")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let q = query_of(r.headers()["location"].to_str().unwrap());
    assert_eq!(
        (q["error"].as_str(), q["state"].as_str()),
        ("invalid_request", "st")
    );

    // A person who is not a customer (odd generated index) cannot sign in.
    let pop = Population::new(1, 1_000);
    let outsider = pop.person(7).unwrap();
    let r = log_in(
        &http,
        &authorize(REDIRECT, "S256"),
        outsider.phone.as_str(),
        CUSTOMER_PASSWORD,
    )
    .await;
    assert_eq!(r.status(), 401);
    let customer = pop.person(8).unwrap();
    let r = log_in(
        &http,
        &authorize(REDIRECT, "S256"),
        customer.phone.as_str(),
        CUSTOMER_PASSWORD,
    )
    .await;
    assert_eq!(r.status(), 303);
    let code = query_of(r.headers()["location"].to_str().unwrap())["code"].clone();

    let token = |secret: &str, verifier: &str| {
        http.post(format!("{base}/token"))
            .basic_auth("propusk", Some(secret.to_owned()))
            .form(&[
                ("grant_type", "authorization_code".to_owned()),
                ("code", code.clone()),
                ("redirect_uri", REDIRECT.to_owned()),
                ("code_verifier", verifier.to_owned()),
            ])
    };
    let r = token("wrong", "a-verifier-of-enough-length-0123456789abcdefgh")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let r = token(
        &percent_encoding::utf8_percent_encode(SECRET, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
        "another-verifier",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let disco: serde_json::Value = http
        .get(format!("{base}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        disco["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
}
