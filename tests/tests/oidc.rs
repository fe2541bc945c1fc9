//! The OpenID provider end to end, on both databases, through a real
//! client library (`openidconnect`) where one fits: the FAPI 2.0 flow (PAR,
//! PKCE, private_key_jwt, DPoP with nonces), the plain-OIDC sandbox flow
//! (client_secret_basic, RS256, rotated refresh tokens with reuse
//! detection), client_credentials, introspection, revocation, key rotation,
//! and a refusal for each MUST.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, Scope, TokenResponse,
};
use propusk_e2e::oidc::{
    ASSERTION_TYPE, DpopHttp, assertion, authorize_as, client_key, create_client, new_client,
    post_dpop, proof, url_query,
};
use propusk_e2e::{TestApp, audit_actions, audit_details, both_backends, client};
use propusk_oidc::{Alg, Profile};
use serde_json::Value;

const VOLKOVA: &str = "+79000000002";
const DEMO_PASSWORD: &str = "Propusk-Demo-2026";
const REDIRECT: &str = "http://127.0.0.1:9/callback";

async fn demo_app(tdb: propusk_testkit::TestDb) -> TestApp {
    TestApp::spawn_with(tdb, |s| s.demo = true).await
}

struct Fapi {
    client_id: String,
    key: propusk_oidc::SigningKey,
    dpop: propusk_oidc::SigningKey,
}

impl Fapi {
    async fn new(app: &TestApp, scopes: &[&str]) -> Fapi {
        let (key, jwks) = client_key(Alg::Es256);
        let created = create_client(
            app,
            new_client(Profile::Fapi2, REDIRECT, scopes, Some(jwks)),
        )
        .await;
        assert!(created.client_secret.is_none());
        Fapi {
            client_id: created.client_id,
            key,
            dpop: propusk_oidc::SigningKey::generate(Alg::EdDsa).unwrap(),
        }
    }

    fn auth(&self, app: &TestApp) -> Vec<(&'static str, String)> {
        vec![
            ("client_assertion_type", ASSERTION_TYPE.into()),
            (
                "client_assertion",
                assertion(&self.key, &self.client_id, &app.base),
            ),
        ]
    }

    async fn par(
        &self,
        app: &TestApp,
        extra: &[(&'static str, String)],
        challenge: &str,
    ) -> (u16, Value) {
        let mut form = self.auth(app);
        form.extend([
            ("client_id", self.client_id.clone()),
            ("response_type", "code".into()),
            ("redirect_uri", REDIRECT.into()),
            ("scope", "openid fullname snils".into()),
            ("state", "st-1".into()),
            ("nonce", "n-1".into()),
            ("code_challenge", challenge.into()),
            ("code_challenge_method", "S256".into()),
        ]);
        for (k, v) in extra {
            form.retain(|(x, _)| x != k);
            form.push((k, v.clone()));
        }
        let (status, _, body) = post_dpop(app, "/oauth/par", &form, Some(&self.dpop)).await;
        (status, body)
    }

    /// PAR, sign-in, consent: the code.
    async fn code(&self, app: &TestApp, browser: &reqwest::Client, challenge: &str) -> String {
        let (status, body) = self.par(app, &[], challenge).await;
        assert_eq!(status, 201, "{body}");
        assert!(body["expires_in"].as_i64().unwrap() < 600);
        let request_uri = body["request_uri"].as_str().unwrap();
        let url = format!(
            "{}/oauth/authorize?client_id={}&request_uri={}",
            app.base, self.client_id, request_uri
        );
        let back = authorize_as(app, browser, &url, VOLKOVA, DEMO_PASSWORD, false).await;
        assert!(back.starts_with(REDIRECT), "{back}");
        assert_eq!(url_query(&back, "state").as_deref(), Some("st-1"));
        assert_eq!(
            url_query(&back, "iss").as_deref(),
            Some(app.base.as_str()),
            "RFC 9207 iss"
        );
        url_query(&back, "code").unwrap()
    }

    async fn token(&self, app: &TestApp, extra: &[(&'static str, String)]) -> (u16, Value) {
        let mut form = self.auth(app);
        form.extend_from_slice(extra);
        let (status, headers, body) = post_dpop(app, "/oauth/token", &form, Some(&self.dpop)).await;
        if status == 200 {
            assert_eq!(headers.get("cache-control").unwrap(), "no-store");
        }
        (status, body)
    }
}

async fn userinfo(app: &TestApp, dpop: &propusk_oidc::SigningKey, at: &str) -> (u16, Value) {
    let url = app.url("/oauth/userinfo");
    let res = client()
        .get(&url)
        .header("Authorization", format!("DPoP {at}"))
        .header("DPoP", proof(dpop, "GET", &url, None, Some(at)))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn discover(app: &TestApp) -> CoreProviderMetadata {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http)
        .await
        .unwrap()
}

both_backends! {
    async fn fapi2_code_flow_with_par_pkce_private_key_jwt_and_dpop(tdb: TestDb) {
        let app = demo_app(tdb).await;
        let rp = Fapi::new(&app, &["fullname", "snils"]).await;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let browser = client();
        let code = rp.code(&app, &browser, challenge.as_str()).await;

        // The exchange through openidconnect, which checks the ID token
        // (ES256, against Discovery's JWKS), its nonce and at_hash.
        let meta = discover(&app).await;
        let oidc = CoreClient::from_provider_metadata(meta, ClientId::new(rp.client_id.clone()), None)
            .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
        let http = DpopHttp::new(rp.dpop.clone());
        let tokens = oidc
            .exchange_code(AuthorizationCode::new(code.clone()))
            .unwrap()
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.secret().clone()))
            .add_extra_param("client_assertion_type", ASSERTION_TYPE)
            .add_extra_param("client_assertion", assertion(&rp.key, &rp.client_id, &app.base))
            .request_async(&http)
            .await
            .unwrap();
        let id_token = tokens.id_token().expect("an ID token");
        let claims = id_token
            .claims(&oidc.id_token_verifier(), &Nonce::new("n-1".into()))
            .unwrap();
        let sub = claims.subject().as_str().to_owned();
        assert_eq!(claims.auth_context_ref().unwrap().as_str(), "urn:propusk:loa:standard");
        assert!(claims.auth_time().is_some());
        assert!(format!("{:?}", tokens.token_type()).to_lowercase().contains("dpop"));
        let at = tokens.access_token().secret().clone();
        assert!(tokens.refresh_token().is_some());

        // A replayed code is refused.
        let (status, body) = rp.token(&app, &[("grant_type", "authorization_code".into()), ("code", code.clone()), ("redirect_uri", REDIRECT.into()), ("code_verifier", verifier.secret().clone())]).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
        // ... and what the code produced is revoked with it.
        let (status, _) = userinfo(&app, &rp.dpop, &at).await;
        assert_eq!(status, 401, "tokens of a replayed code stop working");

        // A second round for the rest.
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let code = rp.code(&app, &browser, challenge.as_str()).await;
        let (status, body) = rp.token(&app, &[("grant_type", "authorization_code".into()), ("code", code), ("redirect_uri", REDIRECT.into()), ("code_verifier", verifier.secret().clone())]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "DPoP");
        let at = body["access_token"].as_str().unwrap().to_owned();
        let rt = body["refresh_token"].as_str().unwrap().to_owned();

        // UserInfo with the DPoP-bound token: the same pairwise sub, verified data.
        let (status, info) = userinfo(&app, &rp.dpop, &at).await;
        assert_eq!(status, 200, "{info}");
        assert_eq!(info["sub"], sub);
        assert_eq!(info["family_name"], "Волкова");
        assert_eq!(info["snils"], "145-678-932 12");
        assert!(info.get("inn").is_none(), "only what the scopes name");
        // As a Bearer token, or with another key's proof, it is refused.
        let url = app.url("/oauth/userinfo");
        let res = client().get(&url).header("Authorization", format!("Bearer {at}")).send().await.unwrap();
        assert_eq!(res.status(), 401);
        let other = propusk_oidc::SigningKey::generate(Alg::Es256).unwrap();
        assert_eq!(userinfo(&app, &other, &at).await.0, 401);
        let wrong_ath = client().get(&url).header("Authorization", format!("DPoP {at}"))
            .header("DPoP", proof(&rp.dpop, "GET", &url, None, Some("another token"))).send().await.unwrap();
        assert_eq!(wrong_ath.status(), 401);
        assert!(wrong_ath.headers().get("www-authenticate").unwrap().to_str().unwrap().starts_with("DPoP"));

        // Refresh: bound to the client and its DPoP key, not rotated.
        let (status, body) = rp.token(&app, &[("grant_type", "refresh_token".into()), ("refresh_token", rt.clone())]).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("refresh_token").is_none(), "FAPI 2.0: not rotated");
        let (status, _) = rp.token(&app, &[("grant_type", "refresh_token".into()), ("refresh_token", rt.clone())]).await;
        assert_eq!(status, 200, "the same refresh token keeps working");
        let thief = Fapi { client_id: rp.client_id.clone(), key: rp.key.clone(), dpop: other.clone() };
        let (status, body) = thief.token(&app, &[("grant_type", "refresh_token".into()), ("refresh_token", rt.clone())]).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_dpop_proof")), "another DPoP key");

        // Introspection describes the caller's token with its cnf.
        let mut form = rp.auth(&app);
        form.push(("token", at.clone()));
        let (status, _, intro) = post_dpop(&app, "/oauth/introspect", &form, None).await;
        assert_eq!(status, 200);
        assert_eq!(intro["active"], true);
        assert_eq!(intro["cnf"]["jkt"], rp.dpop.kid());
        // Revoking the refresh token revokes the grant and its access tokens.
        let mut form = rp.auth(&app);
        form.push(("token", rt.clone()));
        let (status, _, _) = post_dpop(&app, "/oauth/revoke", &form, None).await;
        assert_eq!(status, 200);
        let mut form = rp.auth(&app);
        form.push(("token", at.clone()));
        let (_, _, intro) = post_dpop(&app, "/oauth/introspect", &form, None).await;
        assert_eq!(intro, serde_json::json!({"active": false}));
        assert_eq!(userinfo(&app, &rp.dpop, &at).await.0, 401);
        let (status, _) = rp.token(&app, &[("grant_type", "refresh_token".into()), ("refresh_token", rt)]).await;
        assert_eq!(status, 400);
        // Unknown tokens: still 200 (RFC 7009 §2.2).
        let mut form = rp.auth(&app);
        form.push(("token", "nonsense".into()));
        assert_eq!(post_dpop(&app, "/oauth/revoke", &form, None).await.0, 200);
        app.shutdown().await;
    }

    async fn oidc_sandbox_client_with_an_ordinary_library(tdb: TestDb) {
        let app = demo_app(tdb).await;
        let created = create_client(&app, new_client(Profile::Oidc, REDIRECT, &["fullname", "birthdate"], None)).await;
        let secret = created.client_secret.clone().unwrap();
        let meta = discover(&app).await;
        let oidc = CoreClient::from_provider_metadata(meta, ClientId::new(created.client_id.clone()), Some(ClientSecret::new(secret)))
            .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = oidc
            .authorize_url(
                openidconnect::AuthenticationFlow::<openidconnect::core::CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("fullname".into()))
            .set_pkce_challenge(challenge)
            .url();
        let browser = client();
        let back = authorize_as(&app, &browser, url.as_str(), VOLKOVA, DEMO_PASSWORD, true).await;
        assert_eq!(url_query(&back, "state").as_deref(), Some(state.secret().as_str()));
        let code = url_query(&back, "code").unwrap();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let tokens = oidc
            .exchange_code(AuthorizationCode::new(code))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await
            .unwrap();
        let claims = tokens.id_token().unwrap().claims(&oidc.id_token_verifier(), &nonce).unwrap();
        assert!(!claims.subject().as_str().is_empty());
        let header: Value = serde_json::from_slice(
            &base64_url(tokens.id_token().unwrap().to_string().split('.').next().unwrap()),
        ).unwrap();
        assert_eq!(header["alg"], "RS256", "oidc clients get RS256 ID tokens");
        assert_eq!(format!("{:?}", tokens.token_type()), "Bearer");

        // Rotation: every refresh gives a new refresh token...
        let rt1 = tokens.refresh_token().unwrap().clone();
        let next = oidc.exchange_refresh_token(&rt1).unwrap().request_async(&http).await.unwrap();
        let rt2 = next.refresh_token().unwrap().clone();
        assert_ne!(rt1.secret(), rt2.secret());
        // ... and presenting a used one revokes the whole grant.
        assert!(oidc.exchange_refresh_token(&rt1).unwrap().request_async(&http).await.is_err());
        assert!(
            oidc.exchange_refresh_token(&RefreshToken::new(rt2.secret().clone())).unwrap().request_async(&http).await.is_err(),
            "the newest refresh token dies with the grant"
        );
        let url = &app.db.as_ref().unwrap().url;
        let actions = audit_actions(url).await;
        let count = |a: &str| actions.iter().filter(|x| *x == a).count();
        assert_eq!((count("oauth.refreshed"), count("oauth.refresh_reused")), (1, 1), "{actions:?}");

        // Remembered approval: a second sign-in skips the consent screen.
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, _, _) = oidc
            .authorize_url(openidconnect::AuthenticationFlow::<openidconnect::core::CoreResponseType>::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("fullname".into()))
            .set_pkce_challenge(challenge)
            .url();
        let res = browser.get(url.as_str()).send().await.unwrap();
        let stored = propusk_e2e::bank::location(&res);
        let res = browser.get(app.url(&stored)).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let back = propusk_e2e::bank::location(&res);
        assert!(back.starts_with(REDIRECT), "no consent screen the second time");

        // Two uses of one refresh token at once (they may share a batch):
        // one wins, the other is a reuse and revokes the grant, the winner's
        // new token with it.
        let code = url_query(&back, "code").unwrap();
        let tokens = oidc.exchange_code(AuthorizationCode::new(code)).unwrap().set_pkce_verifier(verifier).request_async(&http).await.unwrap();
        let rt = tokens.refresh_token().unwrap().clone();
        let (a, b) = tokio::join!(
            oidc.exchange_refresh_token(&rt).unwrap().request_async(&http),
            oidc.exchange_refresh_token(&rt).unwrap().request_async(&http),
        );
        let won: Vec<_> = [a, b].into_iter().filter_map(Result::ok).collect();
        assert_eq!(won.len(), 1, "exactly one use of a rotated token succeeds");
        let next = won[0].refresh_token().unwrap();
        assert!(oidc.exchange_refresh_token(next).unwrap().request_async(&http).await.is_err(), "the grant is revoked");
        // «Доступ организаций» lists it; revoking forgets it.
        let page = browser.get(app.url("/cabinet/access")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Тестовый банк"), "{page}");
        let csrf = propusk_e2e::pages::csrf_of(&page);
        let res = browser.post(app.url("/cabinet/access/revoke")).form(&[("csrf", csrf.as_str()), ("client_id", created.client_id.as_str())]).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let page = browser.get(app.url("/cabinet/access")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("access-none"));

        // A wrong secret: 401 with a Basic challenge.
        let res = client().post(app.url("/oauth/token")).basic_auth(&created.client_id, Some("wrong"))
            .form(&[("grant_type", "client_credentials")]).send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert!(res.headers().get("www-authenticate").unwrap().to_str().unwrap().starts_with("Basic"));
        app.shutdown().await;
    }

    async fn client_credentials_and_the_refusals_each_must_has(tdb: TestDb) {
        let app = demo_app(tdb).await;
        let rp = Fapi::new(&app, &["fullname", "snils"]).await;
        let (status, body) = rp.token(&app, &[("grant_type", "client_credentials".into())]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "DPoP");
        assert!(body.get("refresh_token").is_none());
        // Each token is audited (batched with others, committed before it is sent).
        let subject = format!("oauth_client:{}", rp.client_id);
        let issued = audit_details(&app.db.as_ref().unwrap().url, "oauth.token_issued", &subject).await;
        assert_eq!(issued, vec![serde_json::json!({"dpop": true, "grant_type": "client_credentials", "scope": ""})]);
        // Without DPoP a fapi2 client gets nothing.
        let mut form = rp.auth(&app);
        form.push(("grant_type", "client_credentials".into()));
        let (status, _, body) = post_dpop(&app, "/oauth/token", &form, None).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_dpop_proof")));
        // ROPC is not a grant here.
        let (status, body) = rp.token(&app, &[("grant_type", "password".into())]).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));

        // Client assertions: wrong aud, replayed jti, alg none, HS256.
        let url = app.url("/oauth/token");
        let mut form0 = rp.auth(&app);
        form0.push(("grant_type", "client_credentials".into()));
        let nonce = post_dpop(&app, "/oauth/token", &form0, Some(&rp.dpop)).await.1.get("dpop-nonce").unwrap().to_str().unwrap().to_owned();
        let send = |assertion: String| {
            let url = url.clone();
            let dpop = rp.dpop.clone();
            let nonce = nonce.clone();
            async move {
                let form = vec![("grant_type", "client_credentials".to_owned()), ("client_assertion_type", ASSERTION_TYPE.to_owned()), ("client_assertion", assertion)];
                let r = client().post(&url).form(&form).header("DPoP", proof(&dpop, "POST", &url, Some(&nonce), None)).send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.unwrap())
            }
        };
        for aud in [format!("{}/oauth/token", app.base), "https://elsewhere.example".to_owned()] {
            let (status, body) = send(assertion(&rp.key, &rp.client_id, &aud)).await;
            assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "aud {aud}");
        }
        let once = assertion(&rp.key, &rp.client_id, &app.base);
        let _ = post_dpop(&app, "/oauth/token", &[("grant_type", "client_credentials".into()), ("client_assertion_type", ASSERTION_TYPE.into()), ("client_assertion", once.clone())], Some(&rp.dpop)).await;
        let (status, body) = send(once).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "replayed jti");
        // A refused grant spends its assertion too.
        let spent = assertion(&rp.key, &rp.client_id, &app.base);
        let refused = [("grant_type", "client_credentials".into()), ("scope", "openid".into()), ("client_assertion_type", ASSERTION_TYPE.into()), ("client_assertion", spent.clone())];
        let (status, _, body) = post_dpop(&app, "/oauth/token", &refused, Some(&rp.dpop)).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));
        let (status, body) = send(spent).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "spent by the refusal");
        let b64 = |v: &Value| base64_url_encode(v.to_string().as_bytes());
        let claims = serde_json::json!({"iss": rp.client_id, "sub": rp.client_id, "aud": app.base, "exp": propusk_e2e::oidc::now() + 60, "jti": "x1"});
        for header in [serde_json::json!({"alg": "none"}), serde_json::json!({"alg": "HS256", "kid": rp.key.kid()})] {
            let (status, _) = send(format!("{}.{}.{}", b64(&header), b64(&claims), "AAAA")).await;
            assert_eq!(status, 401, "{header}");
        }

        // DPoP proofs: wrong htm, wrong htu, stale iat, private key in jwk.
        let form = |rp: &Fapi| { let mut f = rp.auth(&app); f.push(("grant_type", "client_credentials".into())); f };
        let bad_proofs = [
            propusk_oidc::dpop::make_proof(&rp.dpop, "GET", &url, propusk_e2e::oidc::now(), &propusk_e2e::oidc::jti(), None, Some(&nonce)).unwrap(),
            propusk_oidc::dpop::make_proof(&rp.dpop, "POST", &app.url("/oauth/par"), propusk_e2e::oidc::now(), &propusk_e2e::oidc::jti(), None, Some(&nonce)).unwrap(),
            propusk_oidc::dpop::make_proof(&rp.dpop, "POST", &url, propusk_e2e::oidc::now() - 3600, &propusk_e2e::oidc::jti(), None, Some(&nonce)).unwrap(),
            {
                let ec = propusk_oidc::SigningKey::generate(Alg::Es256).unwrap();
                let good = propusk_oidc::dpop::make_proof(&ec, "POST", &url, propusk_e2e::oidc::now(), &propusk_e2e::oidc::jti(), None, Some(&nonce)).unwrap();
                let parts: Vec<&str> = good.split('.').collect();
                let mut header: Value = serde_json::from_slice(&base64_url(parts[0])).unwrap();
                header["jwk"]["d"] = "AAAA".into();
                format!("{}.{}.{}", b64(&header), parts[1], parts[2])
            },
        ];
        for (i, p) in bad_proofs.into_iter().enumerate() {
            let r = client().post(&url).form(&form(&rp)).header("DPoP", p).send().await.unwrap();
            assert_eq!(r.status(), 400, "proof {i}");
            assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_dpop_proof", "proof {i}");
        }
        // A proof used twice (each time with a fresh assertion): the second
        // gets nothing, and only the first token is audited.
        let subject = format!("oauth_client:{}", rp.client_id);
        let db_url = app.db.as_ref().unwrap().url.clone();
        let issued = audit_details(&db_url, "oauth.token_issued", &subject).await.len();
        let twice = proof(&rp.dpop, "POST", &url, Some(&nonce), None);
        let r = client().post(&url).form(&form(&rp)).header("DPoP", &twice).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let r = client().post(&url).form(&form(&rp)).header("DPoP", &twice).send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_dpop_proof", "a replayed proof");
        assert_eq!(audit_details(&db_url, "oauth.token_issued", &subject).await.len(), issued + 1);
        // A proof beside a failed client authentication is spent too.
        let spent = proof(&rp.dpop, "POST", &url, Some(&nonce), None);
        let bad_auth = vec![("grant_type", "client_credentials".to_owned()), ("client_assertion_type", ASSERTION_TYPE.to_owned()), ("client_assertion", assertion(&rp.key, &rp.client_id, "https://elsewhere.example"))];
        let r = client().post(&url).form(&bad_auth).header("DPoP", &spent).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let r = client().post(&url).form(&form(&rp)).header("DPoP", &spent).send().await.unwrap();
        assert_eq!(r.status(), 400, "the proof was spent by the refused request");

        // PAR: an unregistered redirect URI, plain PKCE, a scope not allowed.
        let (challenge, _) = PkceCodeChallenge::new_random_sha256();
        let (status, body) = rp.par(&app, &[("redirect_uri", "http://127.0.0.1:9/other".into())], challenge.as_str()).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
        let (status, body) = rp.par(&app, &[("code_challenge_method", "plain".into())], challenge.as_str()).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
        let (status, body) = rp.par(&app, &[("scope", "openid inn".into())], challenge.as_str()).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));
        // A fapi2 client's request without PAR goes back with an error.
        let direct = format!(
            "/oauth/authorize?client_id={}&response_type=code&redirect_uri={}&scope=openid&code_challenge={}&code_challenge_method=S256&state=s9",
            rp.client_id, REDIRECT, challenge.as_str()
        );
        let res = client().get(app.url(&direct)).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let back = propusk_e2e::bank::location(&res);
        assert!(back.starts_with(REDIRECT));
        assert_eq!(url_query(&back, "error").as_deref(), Some("invalid_request"));
        assert_eq!(url_query(&back, "state").as_deref(), Some("s9"));
        assert_eq!(url_query(&back, "iss").as_deref(), Some(app.base.as_str()));
        // An unregistered redirect URI is never redirected to.
        let evil = direct.replace(REDIRECT, "https://evil.example/cb");
        let res = client().get(app.url(&evil)).send().await.unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.headers().get("location").is_none());

        // Wrong or missing PKCE verifier.
        let browser = client();
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let code = rp.code(&app, &browser, challenge.as_str()).await;
        let exchange = |v: Option<String>| {
            let mut f = vec![("grant_type", "authorization_code".to_owned()), ("code", code.clone()), ("redirect_uri", REDIRECT.to_owned())];
            if let Some(v) = v { f.push(("code_verifier", v)); }
            f
        };
        let (_, wrong) = PkceCodeChallenge::new_random_sha256();
        assert_eq!(rp.token(&app, &exchange(Some(wrong.secret().clone()))).await.1["error"], "invalid_grant");
        assert_eq!(rp.token(&app, &exchange(None)).await.1["error"], "invalid_grant");
        let (status, _) = rp.token(&app, &exchange(Some(verifier.secret().clone()))).await;
        assert_eq!(status, 200, "the right verifier still works");

        // An IP allow-list that excludes loopback.
        let (key, jwks) = client_key(Alg::Es256);
        let mut new = new_client(Profile::Fapi2, REDIRECT, &[], Some(jwks));
        new.ip_allow = vec!["10.0.0.0/8".into()];
        let fenced = create_client(&app, new).await;
        let fenced = Fapi { client_id: fenced.client_id, key, dpop: rp.dpop.clone() };
        let (status, body) = fenced.token(&app, &[("grant_type", "client_credentials".into())]).await;
        assert_eq!((status, body["error"].as_str()), (403, Some("access_denied")));
        app.shutdown().await;
    }

    async fn discovery_names_what_exists_and_rotation_keeps_old_tokens_valid(tdb: TestDb) {
        let app = demo_app(tdb).await;
        let doc: Value = app.get("/.well-known/openid-configuration").await.json().await.unwrap();
        assert_eq!(doc["issuer"], app.base.as_str());
        assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
        assert!(doc["id_token_signing_alg_values_supported"].as_array().unwrap().iter().any(|a| a == "RS256"));
        for k in ["token_endpoint", "pushed_authorization_request_endpoint", "userinfo_endpoint", "introspection_endpoint", "revocation_endpoint", "jwks_uri"] {
            let url = doc[k].as_str().unwrap();
            let path = url.strip_prefix(&app.base).unwrap();
            let status = app.get(path).await.status().as_u16();
            assert_ne!(status, 404, "{k} exists");
        }
        let rp = Fapi::new(&app, &[]).await;
        let (_, body) = rp.token(&app, &[("grant_type", "client_credentials".into())]).await;
        let at = body["access_token"].as_str().unwrap().to_owned();
        let settings = propusk_web::Settings {
            database_url: Some(app.db.as_ref().unwrap().url.clone()),
            data_dir: app.data_dir.clone(),
            ..propusk_web::Settings::default()
        };
        let made = propusk_web::rotate_keys(&settings).await.unwrap();
        let jwks: Value = app.get("/jwks").await.json().await.unwrap();
        let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
        let header: Value = serde_json::from_slice(&base64_url(at.split('.').next().unwrap())).unwrap();
        assert!(kids.contains(&header["kid"].as_str().unwrap()), "the old key is still published");
        for (_, kid) in &made {
            assert!(kids.contains(&kid.as_str()), "the new key is published");
        }
        let mut form = rp.auth(&app);
        form.push(("token", at));
        let (_, _, intro) = post_dpop(&app, "/oauth/introspect", &form, None).await;
        assert_eq!(intro["active"], true, "a token of the old key still verifies");
        app.shutdown().await;
    }
}

fn base64_url(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn base64_url_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// The demo bank's «Войти через Пропуск» in Chromium: Propusk's sign-in
/// with a TOTP code, the consent screen, and back at the bank with the
/// claims it received (FAPI 2.0: PAR, private_key_jwt, DPoP).
#[tokio::test]
async fn the_demo_bank_signs_a_customer_in_through_propusk() {
    use fantoccini::Locator;
    use propusk_e2e::browser::{Browser, wait_for_text};
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    let bank = app.demo_bank.clone().unwrap();
    Browser::run(
        "the_demo_bank_signs_a_customer_in_through_propusk",
        |c| async move {
            to_consent_from_the_bank(&c, &bank).await?;
            wait_for_text(&c, "#consent-org", "АО «Демо-банк»").await?;
            wait_for_text(&c, "#consent-items", "СНИЛС").await?;
            c.find(Locator::Id("consent-approve"))
                .await?
                .click()
                .await?;
            wait_for_text(&c, "#rp-welcome", "Вы вошли через Пропуск").await?;
            wait_for_text(&c, "#rp-claims", "Кузнецова").await?;
            wait_for_text(&c, "#rp-claims", "177-654-328 10").await?;
            wait_for_text(&c, "#rp-claims", "phone_number").await?;
            Ok(())
        },
    )
    .await;
    app.shutdown().await;
}

both_backends! {
    async fn rp_initiated_logout_ends_the_session_and_tells_the_client(tdb: TestDb) {
        let app = demo_app(tdb).await;
        // The client's back-channel endpoint: the project's loopback sink.
        let sink = propusk_testkit::sinks::HttpSink::start().await;
        let bc = sink.url("/backchannel");
        let mut new = new_client(Profile::Oidc, REDIRECT, &["fullname"], None);
        new.post_logout_redirect_uris = vec!["http://127.0.0.1:9/bye".into()];
        new.backchannel_logout_uri = Some(bc);
        let created = create_client(&app, new).await;
        let secret = created.client_secret.clone().unwrap();
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let url = format!(
            "{}/oauth/authorize?client_id={}&response_type=code&redirect_uri={REDIRECT}&scope=openid%20fullname&code_challenge={}&code_challenge_method=S256",
            app.base, created.client_id, challenge.as_str()
        );
        let browser = client();
        let back = authorize_as(&app, &browser, &url, VOLKOVA, DEMO_PASSWORD, false).await;
        let code = url_query(&back, "code").unwrap();
        let tokens: Value = client()
            .post(app.url("/oauth/token"))
            .basic_auth(&created.client_id, Some(&secret))
            .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT), ("code_verifier", verifier.secret())])
            .send().await.unwrap().json().await.unwrap();
        let id_token = tokens["id_token"].as_str().unwrap().to_owned();
        let rt = tokens["refresh_token"].as_str().unwrap().to_owned();
        let id_claims: Value = serde_json::from_slice(&base64_url(id_token.split('.').nth(1).unwrap())).unwrap();

        // Refusals: no redirect without a hint, nor to an unregistered URI.
        let res = browser.get(app.url("/oauth/logout?post_logout_redirect_uri=http://127.0.0.1:9/bye")).send().await.unwrap();
        assert_eq!(res.status(), 400);
        let res = browser
            .get(app.url(&format!("/oauth/logout?id_token_hint={id_token}&post_logout_redirect_uri=http://127.0.0.1:9/other")))
            .send().await.unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.headers().get("location").is_none());

        // The person is asked, says yes, and goes back with the state.
        let res = browser
            .get(app.url(&format!("/oauth/logout?id_token_hint={id_token}&post_logout_redirect_uri=http://127.0.0.1:9/bye&state=s1")))
            .send().await.unwrap();
        assert_eq!(res.status(), 200);
        let page = res.text().await.unwrap();
        assert!(page.contains("logout-yes") && page.contains("Тестовый банк"), "{page}");
        let csrf = propusk_e2e::pages::csrf_of(&page);
        let res = browser
            .post(app.url("/oauth/logout/confirm"))
            .form(&[("csrf", csrf.as_str()), ("client_id", created.client_id.as_str()), ("redirect_uri", "http://127.0.0.1:9/bye"), ("state", "s1")])
            .send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(propusk_e2e::bank::location(&res), "http://127.0.0.1:9/bye?state=s1");
        let res = browser.get(app.url("/cabinet")).send().await.unwrap();
        assert_eq!(res.status(), 303, "signed out of Propusk");

        // The grant ended with the session.
        let res = client().post(app.url("/oauth/token")).basic_auth(&created.client_id, Some(&secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", rt.as_str())]).send().await.unwrap();
        assert_eq!(res.status(), 400);

        // The back-channel logout token arrives (the dispatcher runs every second).
        let mut token = None;
        for _ in 0..100 {
            if let Some(r) = sink.requests().first() {
                assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/backchannel"));
                // The form body read as a query: the same encoding.
                token = url_query(&format!("http://x/?{}", r.body), "logout_token");
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let token = token.expect("a logout token was delivered");
        let parts: Vec<&str> = token.split('.').collect();
        let header: Value = serde_json::from_slice(&base64_url(parts[0])).unwrap();
        let claims: Value = serde_json::from_slice(&base64_url(parts[1])).unwrap();
        assert_eq!(header["typ"], "logout+jwt");
        assert_eq!(claims["aud"], created.client_id.as_str());
        assert_eq!(claims["iss"], app.base.as_str());
        assert_eq!(claims["sub"], id_claims["sub"]);
        assert_eq!(claims["sid"], id_claims["sid"], "the ID token's sid");
        assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
        assert!(claims.get("nonce").is_none());
        let jwks: Value = app.get("/jwks").await.json().await.unwrap();
        let keys = propusk_oidc::KeySet::from_jwks(&jwks);
        let jws = propusk_oidc::Compact::parse(&token).unwrap();
        keys.find(&jws).unwrap().verify(&jws).unwrap();
        app.shutdown().await;
    }
}

/// A client's JWKS served on loopback; `set` replaces the keys.
async fn jwks_server(jwks: Value) -> (String, std::sync::Arc<std::sync::Mutex<Value>>) {
    use axum::routing::get;
    let doc = std::sync::Arc::new(std::sync::Mutex::new(jwks));
    let served = doc.clone();
    let app = axum::Router::new().route(
        "/jwks.json",
        get(move || {
            let served = served.clone();
            async move { axum::Json(served.lock().unwrap().clone()) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/jwks.json"), doc)
}

both_backends! {
    async fn a_client_publishing_its_keys_at_a_jwks_uri_can_rotate_them(tdb: TestDb) {
        let app = demo_app(tdb).await;
        let (key, jwks) = client_key(Alg::Es256);
        let (uri, served) = jwks_server(jwks).await;
        let mut new = new_client(Profile::Fapi2, REDIRECT, &[], None);
        new.secret = false;
        new.jwks_uri = Some(uri);
        let created = create_client(&app, new).await;
        let rp = Fapi { client_id: created.client_id.clone(), key, dpop: propusk_oidc::SigningKey::generate(Alg::EdDsa).unwrap() };
        let (status, body) = rp.token(&app, &[("grant_type", "client_credentials".into())]).await;
        assert_eq!(status, 200, "{body}");
        // The client rotates: a new key only. After the refetch pause, the
        // unknown kid makes Propusk fetch the set again.
        let (key2, jwks2) = client_key(Alg::Es256);
        *served.lock().unwrap() = jwks2;
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        let rotated = Fapi { client_id: created.client_id.clone(), key: key2, dpop: rp.dpop.clone() };
        let (status, body) = rotated.token(&app, &[("grant_type", "client_credentials".into())]).await;
        assert_eq!(status, 200, "{body}");
        let (status, _) = rp.token(&app, &[("grant_type", "client_credentials".into())]).await;
        assert_eq!(status, 401, "the retired key no longer authenticates");
        app.shutdown().await;
    }
}

both_backends! {
    async fn a_client_over_its_rate_limit_gets_429_with_retry_after(tdb: TestDb) {
        let app = demo_app(tdb).await;
        let (key, jwks) = client_key(Alg::Es256);
        let created = propusk_e2e::oidc::create_limited_client(&app, new_client(Profile::Oidc, REDIRECT, &["fullname"], Some(jwks)), Some(3)).await;
        let send = || {
            let form = vec![
                ("grant_type", "client_credentials".to_owned()),
                ("client_assertion_type", ASSERTION_TYPE.to_owned()),
                ("client_assertion", assertion(&key, &created.client_id, &app.base)),
            ];
            client().post(app.url("/oauth/token")).form(&form).send()
        };
        let minute = propusk_e2e::oidc::now().div_euclid(60);
        let mut statuses = Vec::new();
        for _ in 0..4 {
            let r = send().await.unwrap();
            statuses.push(r.status().as_u16());
            if r.status() == 429 {
                let secs: i64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
                assert!((1..=60).contains(&secs));
                assert_eq!(r.json::<Value>().await.unwrap()["error"], "slow_down");
            }
        }
        if propusk_e2e::oidc::now().div_euclid(60) == minute {
            assert_eq!(statuses, vec![200, 200, 200, 429], "three a minute");
        }
        // The count reaches the shared table within a second or two.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let url = &app.db.as_ref().unwrap().url;
        const SQL: &str = "SELECT CAST(SUM(count) AS BIGINT) FROM oauth_rate WHERE client_id = $1";
        let total: Option<i64> = if url.starts_with("sqlite") {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::query_scalar(SQL).bind(&created.client_id).fetch_one(&pool).await.unwrap()
        } else {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query_scalar(SQL).bind(&created.client_id).fetch_one(&pool).await.unwrap()
        };
        assert!(total.unwrap_or(0) >= 3, "counted in the database: {total:?}");
        app.shutdown().await;
    }
}

both_backends! {
    async fn amr_says_mfa_when_the_sign_in_needed_a_second_factor(tdb: TestDb) {
        let app = demo_app(tdb).await;
        let created = create_client(&app, new_client(Profile::Oidc, REDIRECT, &["fullname"], None)).await;
        let secret = created.client_secret.clone().unwrap();
        let mut amrs = Vec::new();
        for (login, totp) in [(VOLKOVA, None), ("+79000000004", Some(propusk_service::demo::DEMO_TOTP_KEY))] {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            let url = format!(
                "{}/oauth/authorize?client_id={}&response_type=code&redirect_uri={REDIRECT}&scope=openid&code_challenge={}&code_challenge_method=S256",
                app.base, created.client_id, challenge.as_str()
            );
            let back = propusk_e2e::oidc::authorize_with_factor(&app, &client(), &url, login, DEMO_PASSWORD, false, totp).await;
            let code = url_query(&back, "code").unwrap();
            let tokens: Value = client()
                .post(app.url("/oauth/token"))
                .basic_auth(&created.client_id, Some(&secret))
                .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT), ("code_verifier", verifier.secret())])
                .send().await.unwrap().json().await.unwrap();
            let id = tokens["id_token"].as_str().unwrap();
            let claims: Value = serde_json::from_slice(&base64_url(id.split('.').nth(1).unwrap())).unwrap();
            amrs.push(claims["amr"].clone());
        }
        assert_eq!(amrs, vec![serde_json::json!(["pwd"]), serde_json::json!(["pwd", "mfa"])]);
        app.shutdown().await;
    }
}

/// In Chromium: a remembered approval appears under «Доступ организаций»
/// and is revoked there; the organization's administrator registers a
/// sandbox client at «Клиенты OAuth» and sees its secret once.
#[tokio::test]
async fn a_person_revokes_an_organizations_access_and_an_administrator_registers_a_client() {
    use fantoccini::Locator;
    use propusk_e2e::browser::{Browser, follow_link, wait_for_text};
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    let bank = app.demo_bank.clone().unwrap();
    let base = app.base.clone();
    Browser::run(
        "a_person_revokes_an_organizations_access_and_an_administrator_registers_a_client",
        |c| async move {
            to_consent_from_the_bank(&c, &bank).await?;
            c.find(Locator::Css("label[for='remember']"))
                .await?
                .click()
                .await?;
            c.find(Locator::Id("consent-approve"))
                .await?
                .click()
                .await?;
            wait_for_text(&c, "#rp-welcome", "Вы вошли через Пропуск").await?;

            // Back in the cabinet: the remembered approval, and revoking it.
            c.goto(&format!("{base}/cabinet")).await?;
            follow_link(&c, "/cabinet/access", "Доступ организаций").await?;
            wait_for_text(&c, "#access", "Демо-банк: вход через Пропуск").await?;
            c.find(Locator::Css("form[action='/cabinet/access/revoke'] button"))
                .await?
                .click()
                .await?;
            wait_for_text(&c, "#access-none", "Запомненных разрешений нет").await?;

            // Acting for АО «Демо-банк»: a sandbox client.
            follow_link(&c, "/cabinet/orgs", "Организации").await?;
            c.find(Locator::Css("form[action='/cabinet/orgs/switch'] button"))
                .await?
                .click()
                .await?;
            follow_link(&c, "/org/clients", "Клиенты OAuth").await?;
            c.find(Locator::Id("client-name"))
                .await?
                .send_keys("Мобильный банк")
                .await?;
            c.find(Locator::Id("client-redirect"))
                .await?
                .send_keys("https://bank.example/cb")
                .await?;
            c.find(Locator::Css("label[for='profile-oidc']"))
                .await?
                .click()
                .await?;
            c.find(Locator::Css("label[for='scope-fullname']"))
                .await?
                .click()
                .await?;
            c.find(Locator::Id("client-create")).await?.click().await?;
            wait_for_text(&c, "#client-created", "Клиент зарегистрирован").await?;
            let secret = c
                .find(Locator::Id("new-client-secret"))
                .await?
                .text()
                .await?;
            propusk_e2e::browser::ensure(
                secret.len() == 43,
                format!("a secret shown once: {secret:?}"),
            )?;
            wait_for_text(&c, "#clients", "Мобильный банк").await?;
            Ok(())
        },
    )
    .await;
    app.shutdown().await;
}

both_backends! {
    async fn login_hint_prefills_the_sign_in_form(tdb: TestDb) {
        let app = demo_app(tdb).await;
        let created = create_client(&app, new_client(Profile::Oidc, REDIRECT, &[], None)).await;
        let (challenge, _) = PkceCodeChallenge::new_random_sha256();
        let browser = client();
        let url = format!(
            "{}/oauth/authorize?client_id={}&response_type=code&redirect_uri={REDIRECT}&scope=openid&code_challenge={}&code_challenge_method=S256&login_hint=%2B79000000002",
            app.base, created.client_id, challenge.as_str()
        );
        let stored = propusk_e2e::bank::location(&browser.get(&url).send().await.unwrap());
        let login = propusk_e2e::bank::location(&browser.get(app.url(&stored)).send().await.unwrap());
        assert!(login.starts_with("/login?next="), "{login}");
        let page = browser.get(app.url(&login)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("value=\"+79000000002\""), "the login is filled in");
        app.shutdown().await;
    }
}

both_backends! {
    async fn direct_authorization_requests_are_limited_per_address(tdb: TestDb) {
        let app = demo_app(tdb).await;
        let created = create_client(&app, new_client(Profile::Oidc, REDIRECT, &[], None)).await;
        let (challenge, _) = PkceCodeChallenge::new_random_sha256();
        let url = format!(
            "{}/oauth/authorize?client_id={}&response_type=code&redirect_uri={REDIRECT}&scope=openid&code_challenge={}&code_challenge_method=S256",
            app.base, created.client_id, challenge.as_str()
        );
        let minute = propusk_e2e::oidc::now().div_euclid(60);
        let mut statuses = Vec::new();
        for _ in 0..31 {
            statuses.push(client().get(&url).send().await.unwrap());
        }
        if propusk_e2e::oidc::now().div_euclid(60) == minute {
            assert!(statuses[..30].iter().all(|r| r.status() == 303), "30 stored");
            let last = &statuses[30];
            assert_eq!(last.status(), 429);
            assert!(last.headers().get("retry-after").is_some());
        }
        app.shutdown().await;
    }
}

/// In Chromium: from the demo bank's «Войти через Пропуск» through
/// Propusk's sign-in with Кузнецова's password and TOTP code, to the
/// consent screen.
async fn to_consent_from_the_bank(
    c: &fantoccini::Client,
    bank: &str,
) -> Result<(), propusk_e2e::browser::BoxError> {
    use fantoccini::Locator;
    use propusk_e2e::browser::wait_for_heading;
    c.goto(bank).await?;
    c.find(Locator::Id("login-propusk")).await?.click().await?;
    wait_for_heading(c, "Вход").await?;
    c.find(Locator::Id("login"))
        .await?
        .send_keys("+7 900 000-00-04")
        .await?;
    c.find(Locator::Id("password"))
        .await?
        .send_keys(DEMO_PASSWORD)
        .await?;
    c.find(Locator::Css("form[action='/login'] button"))
        .await?
        .click()
        .await?;
    wait_for_heading(c, "Подтверждение входа").await?;
    let key = propusk_core::factor::TotpKey::from_base32(propusk_service::demo::DEMO_TOTP_KEY)?;
    c.find(Locator::Id("code"))
        .await?
        .send_keys(&key.code_at(time::OffsetDateTime::now_utc())?)
        .await?;
    c.find(Locator::Css("form[action='/login/factor'] button"))
        .await?
        .click()
        .await?;
    wait_for_heading(c, "Вход в организацию через Пропуск").await
}
