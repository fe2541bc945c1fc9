//! Consents end to end, on both databases: a partner asks through the API
//! for a citizen it signed in, the citizen approves in the cabinet with the
//! SMS code from the outbox, the partner reads, the citizen revokes and the
//! next read is refused; the receipt verifies and a tampered one does not;
//! another partner sees none of it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse,
};
use propusk_e2e::oidc::{authorize_as, create_client, new_client, url_query};
use propusk_e2e::pages::{csrf_of, latest_code};
use propusk_e2e::{TestApp, audit_actions, both_backends, client};
use propusk_oidc::Profile;
use serde_json::{Value, json};

const VOLKOVA: &str = "+79000000002";
const DEMO_PASSWORD: &str = "Propusk-Demo-2026";
const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// A partner's sandbox client that signed Волкова in: its credentials, the
/// `sub` it got, and her browser (still signed in to Propusk).
struct Partner {
    client_id: String,
    secret: String,
    sub: String,
}

async fn partner(app: &TestApp, scopes: &[&str], browser: &reqwest::Client) -> Partner {
    let created = create_client(app, new_client(Profile::Oidc, REDIRECT, scopes, None)).await;
    let secret = created.client_secret.clone().unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let meta =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http)
            .await
            .unwrap();
    let oidc = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(created.client_id.clone()),
        Some(ClientSecret::new(secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = oidc
        .authorize_url(
            openidconnect::AuthenticationFlow::<openidconnect::core::CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("fullname".into()))
        .set_pkce_challenge(challenge)
        .url();
    let back = authorize_as(app, browser, url.as_str(), VOLKOVA, DEMO_PASSWORD, false).await;
    let code = url_query(&back, "code").unwrap();
    let tokens = oidc
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&oidc.id_token_verifier(), &nonce)
        .unwrap();
    Partner {
        client_id: created.client_id,
        secret,
        sub: claims.subject().as_str().to_owned(),
    }
}

impl Partner {
    async fn token(&self, app: &TestApp) -> String {
        let res = client()
            .post(app.url("/oauth/token"))
            .basic_auth(&self.client_id, Some(&self.secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }
}

async fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut r = client().request(method, app.url(path));
    if let Some(t) = token {
        r = r.header("Authorization", format!("Bearer {t}"));
    }
    if let Some(b) = body {
        r = r.json(b);
    }
    let res = r.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.json().await.unwrap_or(Value::Null))
}

fn in_days(days: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::days(days))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

async fn page(browser: &reqwest::Client, app: &TestApp, path: &str) -> String {
    browser
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn post_form(
    browser: &reqwest::Client,
    app: &TestApp,
    path: &str,
    csrf: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(extra);
    browser
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

both_backends! {
    async fn a_consent_from_request_to_revocation(tdb: TestDb) {
        let app = TestApp::spawn_with(tdb, |s| s.demo = true).await;
        let browser = client();
        let bank = partner(&app, &["fullname", "id_doc", "snils", "inn", "income", "addresses"], &browser).await;
        let token = bank.token(&app).await;
        let post = reqwest::Method::POST;
        let get = reqwest::Method::GET;

        // Without a token: 401 with a challenge, as a problem document.
        let (status, headers, body) = api(&app, get.clone(), "/api/v1/consents", None, None).await;
        assert_eq!(status, 401);
        assert!(headers.get("www-authenticate").unwrap().to_str().unwrap().contains("DPoP"));
        assert_eq!(body["type"], "/problems/invalid_token");

        // Refusals name each field: an unknown sub, a category outside the
        // approved scopes, a validity beyond a year.
        let bad = json!({
            "sub": "nobody", "purpose": "loan_application", "categories": ["passport", "pension"],
            "valid_until": in_days(400), "mode": "one_time",
        });
        let (status, _, body) = api(&app, post.clone(), "/api/v1/consents", Some(&token), Some(&bad)).await;
        assert_eq!(status, 422, "{body}");
        let codes: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
        assert_eq!(codes, vec!["unknown_subject", "scope_not_allowed", "too_long"], "{body}");

        // A webhook receiver on loopback, registered through the API.
        let (hooks, hooks_url) = receiver().await;
        let (status, _, hook) = api(&app, post.clone(), "/api/v1/webhooks", Some(&token), Some(&json!({"url": hooks_url}))).await;
        assert_eq!(status, 201, "{hook}");
        let hook_secret = hook["secret"].as_str().unwrap().to_owned();
        let (status, _, _) = api(&app, post.clone(), "/api/v1/webhooks", Some(&token), Some(&json!({"url": "http://bank.example/h"}))).await;
        assert_eq!(status, 422, "plain http only on loopback");

        let request = json!({
            "sub": bank.sub, "purpose": "loan_application",
            "categories": ["passport", "income", "address"], "optional_categories": ["address"],
            "valid_until": in_days(30), "mode": "periodic", "frequency": {"max_reads": 2, "per": "day"},
            "return_url": "https://bank.example/back",
        });
        let (status, headers, consent) = api(&app, post.clone(), "/api/v1/consents", Some(&token), Some(&request)).await;
        assert_eq!(status, 201, "{consent}");
        let id = consent["id"].as_str().unwrap().to_owned();
        assert_eq!(headers.get("location").unwrap().to_str().unwrap(), format!("/api/v1/consents/{id}"));
        assert_eq!(consent["status"], "requested");

        // Before approval, a read is refused.
        let read_path = format!("/api/v1/person?consent_id={id}");
        let (status, _, body) = api(&app, get.clone(), &read_path, Some(&token), None).await;
        assert_eq!((status, body["type"].as_str()), (403, Some("/problems/no_consent")));

        // The citizen sees the request and approves it with the SMS code,
        // dropping the optional address.
        let list = page(&browser, &app, "/cabinet/consents").await;
        assert!(list.contains(&id) && list.contains("Ожидает решения"), "{list}");
        let detail = page(&browser, &app, &format!("/cabinet/consents/{id}")).await;
        assert!(detail.contains("Рассмотрение заявки на кредит") && detail.contains("keep_address"), "{detail}");
        assert!(detail.contains("Серия") && detail.contains("ФНС России"), "each category's fields and source");
        let csrf = csrf_of(&detail);
        let res = post_form(&browser, &app, &format!("/cabinet/consents/{id}/code"), &csrf, &[]).await;
        assert_eq!(res.status(), 303);
        let code = latest_code(&app, VOLKOVA).await;
        assert_eq!(code.len(), 6);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let res = post_form(&browser, &app, &format!("/cabinet/consents/{id}/approve"), &csrf, &[("code", wrong)]).await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("Осталось попыток: 2"));
        let res = post_form(&browser, &app, &format!("/cabinet/consents/{id}/approve"), &csrf, &[("code", code.as_str())]).await;
        assert_eq!(res.status(), 303);

        let (_, _, consent) = api(&app, get.clone(), &format!("/api/v1/consents/{id}"), Some(&token), None).await;
        assert_eq!(consent["status"], "active");
        assert_eq!(consent["granted_categories"], json!(["passport", "income"]));
        let receipt = consent["receipt"].as_str().unwrap().to_owned();

        // The receipt verifies; a tampered one does not.
        let (status, _, verdict) = api(&app, post.clone(), "/api/v1/consent-receipts/verify", None, Some(&json!({"receipt": receipt}))).await;
        assert_eq!(status, 200);
        assert_eq!(verdict["valid"], true, "{verdict}");
        assert_eq!(verdict["status"], "active");
        assert_eq!(verdict["claims"]["consent_id"], id.as_str());
        assert!(!verdict["claims"].to_string().contains(&bank.sub), "no subject in the receipt");
        let mut parts: Vec<String> = receipt.split('.').map(str::to_owned).collect();
        let mut claims: Value = serde_json::from_slice(&b64(&parts[1])).unwrap();
        claims["valid_until"] = "2099-01-01T00:00:00Z".into();
        parts[1] = b64e(claims.to_string().as_bytes());
        let (_, _, verdict) = api(&app, post.clone(), "/api/v1/consent-receipts/verify", None, Some(&json!({"receipt": parts.join(".")}))).await;
        assert_eq!(verdict["valid"], false, "{verdict}");

        // The receipt as a PDF, for the citizen and for the partner: Cyrillic
        // text that pdftotext extracts, no personal data, and the status URL.
        let res = browser.get(app.url(&format!("/cabinet/consents/{id}/receipt.pdf"))).send().await.unwrap();
        assert_eq!(res.headers().get("content-type").unwrap(), "application/pdf");
        let pdf = res.bytes().await.unwrap().to_vec();
        let text = pdf_text(&pdf, "consent_receipt");
        assert!(text.contains("Квитанция о согласии") && text.contains("АО «Демо-банк»"), "{text}");
        assert!(text.contains("Доходы (справки 2-НДФЛ)") && !text.contains("Адрес регистрации по месту"), "{text}");
        assert!(text.contains("/consents/receipts/") && !text.contains("Волкова") && !text.contains("654321"), "{text}");
        let res = client().get(app.url(&format!("/api/v1/consents/{id}/receipt.pdf"))).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.bytes().await.unwrap().starts_with(b"%PDF-"));

        // Reads: what is covered, with source and as-of date.
        let (status, _, data) = api(&app, get.clone(), &read_path, Some(&token), None).await;
        assert_eq!(status, 200, "{data}");
        let passport = &data["categories"]["passport"];
        assert_eq!(passport["data"]["number"], "654321", "{data}");
        assert_eq!(passport["source"], "mvd");
        assert!(passport["as_of"].is_string());
        assert_eq!(data["categories"]["income"]["source"], "fns");
        assert!(data["categories"]["income"]["data"]["statements"].is_array(), "{data}");
        assert!(data["categories"].get("address").is_none());

        let (status, _, body) = api(&app, get.clone(), &format!("/api/v1/person/address?consent_id={id}"), Some(&token), None).await;
        assert_eq!((status, body["type"].as_str()), (403, Some("/problems/category_not_covered")));
        let (status, _, body) = api(&app, get.clone(), &format!("{read_path}&purpose=insurance"), Some(&token), None).await;
        assert_eq!((status, body["type"].as_str()), (403, Some("/problems/purpose_mismatch")));
        let (status, _, _) = api(&app, get.clone(), &format!("/api/v1/person/passport?consent_id={id}"), Some(&token), None).await;
        assert_eq!(status, 200, "the second read of the day");
        let (status, headers, body) = api(&app, get.clone(), &read_path, Some(&token), None).await;
        assert_eq!((status, body["type"].as_str()), (429, Some("/problems/too_frequent")));
        assert!(headers.get("retry-after").is_some());

        // Another partner sees none of it.
        let other_browser = client();
        let other = partner(&app, &["fullname", "id_doc"], &other_browser).await;
        let other_token = other.token(&app).await;
        let (status, _, _) = api(&app, get.clone(), &format!("/api/v1/consents/{id}"), Some(&other_token), None).await;
        assert_eq!(status, 404);
        let (status, _, body) = api(&app, get.clone(), &read_path, Some(&other_token), None).await;
        assert_eq!((status, body["type"].as_str()), (403, Some("/problems/no_consent")));
        let (_, _, list) = api(&app, get.clone(), "/api/v1/consents", Some(&other_token), None).await;
        assert_eq!(list["consents"], json!([]));
        let (status, _, _) = api(&app, post.clone(), &format!("/api/v1/consents/{id}/cancel"), Some(&other_token), Some(&json!({}))).await;
        assert_eq!(status, 404);

        // The citizen's access log shows each read, refused ones too.
        let detail = page(&browser, &app, &format!("/cabinet/consents/{id}")).await;
        assert!(detail.contains("/api/v1/person/passport") && detail.contains("отказ (too_frequent)"), "{detail}");
        assert!(detail.contains("отказ (category_not_covered)"));

        // Pause stops reads; resume allows them; revocation ends them.
        let csrf = csrf_of(&detail);
        let res = post_form(&browser, &app, &format!("/cabinet/consents/{id}/pause"), &csrf, &[]).await;
        assert_eq!(res.status(), 303);
        let (status, _, body) = api(&app, get.clone(), &read_path, Some(&token), None).await;
        assert_eq!((status, body["type"].as_str()), (403, Some("/problems/consent_paused")));
        let res = post_form(&browser, &app, &format!("/cabinet/consents/{id}/resume"), &csrf, &[]).await;
        assert_eq!(res.status(), 303);
        let res = post_form(&browser, &app, &format!("/cabinet/consents/{id}/revoke"), &csrf, &[]).await;
        assert_eq!(res.status(), 303);
        let (status, _, body) = api(&app, get.clone(), &read_path, Some(&token), None).await;
        assert_eq!((status, body["type"].as_str()), (403, Some("/problems/consent_revoked")), "{body}");
        let res = post_form(&browser, &app, &format!("/cabinet/consents/{id}/revoke"), &csrf, &[]).await;
        assert_eq!(res.status(), 409, "a revoked consent stays revoked");

        // The partner heard of it: consent.revoked, signed with its secret.
        let revoked = wait_for_event(&hooks, "consent.revoked").await;
        propusk_core::webhook::verify(&revoked.0, revoked.1.as_bytes(), &[&hook_secret], time::OffsetDateTime::now_utc()).unwrap();
        let event: Value = serde_json::from_str(&revoked.1).unwrap();
        assert_eq!(event["data"]["consent_id"], id.as_str());
        assert_eq!(event["data"]["status"], "revoked");
        let kinds: Vec<String> = hooks.lock().unwrap().iter().map(|(_, b)| serde_json::from_str::<Value>(b).unwrap()["type"].as_str().unwrap().to_owned()).collect();
        for k in ["consent.approved", "consent.paused", "consent.resumed", "consent.revoked"] {
            assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
        }
        let (_, _, list) = api(&app, get.clone(), "/api/v1/webhooks", Some(&token), None).await;
        let hook_id = list["webhooks"][0]["id"].as_str().unwrap().to_owned();
        let (_, _, deliveries) = api(&app, get.clone(), &format!("/api/v1/webhooks/{hook_id}/deliveries"), Some(&token), None).await;
        assert!(deliveries["deliveries"].as_array().unwrap().iter().all(|d| d["status"] == "delivered" && d["last_status"] == 200), "{deliveries}");
        let (status, _, _) = api(&app, get.clone(), &format!("/api/v1/webhooks/{hook_id}/deliveries"), Some(&other_token), None).await;
        assert_eq!(status, 404, "another partner's webhooks are not there");

        // The partner portal lists the deliveries with the receiver's answers
        // and sends one again (Кузнецова administers АО «Демо-банк»).
        let admin = client();
        propusk_e2e::pages::sign_in_with_totp(&app, &admin, "+79000000004", DEMO_PASSWORD, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").await;
        let orgs = page(&admin, &app, "/cabinet/orgs").await;
        let marker = "name=\"org\" value=\"";
        let at = orgs.find(marker).unwrap() + marker.len();
        let org = orgs[at..].split('"').next().unwrap().to_owned();
        let res = post_form(&admin, &app, "/cabinet/orgs/switch", &csrf_of(&orgs), &[("org", org.as_str())]).await;
        assert_eq!(res.status(), 303);
        let portal = page(&admin, &app, &format!("/org/clients/{}/webhooks", bank.client_id)).await;
        assert!(portal.contains("consent.revoked") && portal.contains("доставлено") && portal.contains(">200<"), "{portal}");
        let first = deliveries["deliveries"][0]["id"].as_str().unwrap();
        let before = hooks.lock().unwrap().len();
        let res = post_form(&admin, &app, &format!("/org/clients/{}/webhooks/redeliver", bank.client_id), &csrf_of(&portal), &[("delivery", first)]).await;
        assert_eq!(res.status(), 303);
        for _ in 0..100 {
            if hooks.lock().unwrap().len() > before {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(hooks.lock().unwrap().len(), before + 1, "sent again");
        let other_portal = admin.get(app.url("/org/clients/pk_nonexistent/webhooks")).send().await.unwrap();
        assert_eq!(other_portal.status(), 404);

        // Monitoring: the same counts in the portal, the API and the CSVs.
        let watch = page(&admin, &app, &format!("/org/clients/{}/monitoring", bank.client_id)).await;
        assert!(watch.contains("monitoring-days") && watch.contains("consent_revoked"), "{watch}");
        let csv = admin.get(app.url(&format!("/org/clients/{}/monitoring/consents.csv", bank.client_id))).send().await.unwrap();
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        let csv = csv.text().await.unwrap();
        assert!(csv.starts_with("id,sub,status,") && csv.contains(&format!("{id},{},revoked,", bank.sub)), "{csv}");
        assert_eq!(admin.get(app.url("/org/clients/pk_nonexistent/monitoring")).send().await.unwrap().status(), 404);
        let (status, _, summary) = api(&app, get.clone(), "/api/v1/monitoring", Some(&token), None).await;
        assert_eq!(status, 200, "{summary}");
        assert_eq!(summary["consents"][0]["status"], "revoked", "{summary}");
        let day = &summary["reads"][0];
        assert!(day["ok"].as_i64().unwrap() >= 1 && day["refused"]["consent_revoked"].as_i64().unwrap() >= 1, "{summary}");
        let (status, _, _) = api(&app, get.clone(), "/api/v1/monitoring", Some(&other_token), None).await;
        assert_eq!(status, 200);
        let reads_csv = client().get(app.url("/api/v1/monitoring/reads.csv")).bearer_auth(&token).send().await.unwrap().text().await.unwrap();
        assert!(reads_csv.contains(",consent_revoked,,"), "{reads_csv}");

        // The revocation receipt still verifies and says what became of it.
        let (_, _, verdict) = api(&app, post.clone(), "/api/v1/consent-receipts/verify", None, Some(&json!({"receipt": receipt}))).await;
        assert_eq!((verdict["valid"].as_bool(), verdict["status"].as_str()), (Some(true), Some("revoked")));
        let detail = page(&browser, &app, &format!("/cabinet/consents/{id}")).await;
        let at = detail.find("/consents/receipts/").unwrap();
        let receipt_page = &detail[at..].split('"').next().unwrap().to_owned();
        let public = client().get(app.url(receipt_page)).send().await.unwrap();
        assert_eq!(public.status(), 200);
        let public = public.text().await.unwrap();
        assert!(public.contains("Отозвано") && !public.contains("Волкова") && !public.contains("654321"), "{public}");
        let res = browser.get(app.url(&format!("/cabinet/consents/{id}/receipt.jwt"))).send().await.unwrap();
        assert_eq!(res.headers().get("content-type").unwrap(), "application/jwt");
        assert_eq!(res.text().await.unwrap(), receipt);

        let actions = audit_actions(&app.db.as_ref().unwrap().url).await;
        for a in ["consent.requested", "consent.approved", "consent.paused", "consent.resumed", "consent.revoked"] {
            assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
        }
        app.shutdown().await;
    }

    async fn a_citizen_declines_and_a_partner_withdraws(tdb: TestDb) {
        let app = TestApp::spawn_with(tdb, |s| s.demo = true).await;
        let browser = client();
        let bank = partner(&app, &["fullname", "id_doc"], &browser).await;
        let token = bank.token(&app).await;
        let ask = json!({"sub": bank.sub, "purpose": "account_opening", "categories": ["passport"],
            "valid_until": in_days(10), "mode": "one_time"});
        let (_, _, a) = api(&app, reqwest::Method::POST, "/api/v1/consents", Some(&token), Some(&ask)).await;
        let (_, _, b) = api(&app, reqwest::Method::POST, "/api/v1/consents", Some(&token), Some(&ask)).await;
        let (a, b) = (a["id"].as_str().unwrap().to_owned(), b["id"].as_str().unwrap().to_owned());
        let detail = page(&browser, &app, &format!("/cabinet/consents/{a}")).await;
        let csrf = csrf_of(&detail);
        let res = post_form(&browser, &app, &format!("/cabinet/consents/{a}/decline"), &csrf, &[]).await;
        assert_eq!(res.status(), 303);
        let (_, _, c) = api(&app, reqwest::Method::GET, &format!("/api/v1/consents/{a}"), Some(&token), None).await;
        assert_eq!(c["status"], "declined");
        assert!(c["receipt"].is_null());
        let (status, _, c) = api(&app, reqwest::Method::POST, &format!("/api/v1/consents/{b}/cancel"), Some(&token), Some(&json!({"reason": "the application was withdrawn"}))).await;
        assert_eq!((status, c["status"].as_str()), (200, Some("cancelled")), "{c}");
        let (status, _, _) = api(&app, reqwest::Method::POST, &format!("/api/v1/consents/{b}/cancel"), Some(&token), Some(&json!({}))).await;
        assert_eq!(status, 409);
        // The citizen can no longer answer it.
        let res = post_form(&browser, &app, &format!("/cabinet/consents/{b}/code"), &csrf, &[]).await;
        assert_eq!(res.status(), 409);
        let list = page(&browser, &app, "/cabinet/consents?status=declined").await;
        assert!(list.contains(&a) && !list.contains(&b));
        app.shutdown().await;
    }
}

fn b64(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn b64e(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Keeps a screenshot beside the browser failures, for a person to look at.
fn save(png: &[u8], name: &str) {
    let dir = propusk_e2e::browser::failure_dir().with_file_name("screenshots");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{name}.png")), png);
}

/// In Chromium: Волкова finds the bank's request in «Мои согласия», gets
/// the SMS code, unticks the optional address and approves; the bank reads;
/// she sees the read in the access log and revokes; the bank's next read is
/// refused.
#[tokio::test]
async fn in_chromium_a_citizen_approves_with_the_sms_code_and_revokes() {
    use fantoccini::Locator;
    use propusk_e2e::browser::{Browser, ensure, sign_in_with, wait_for_heading, wait_for_text};
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    let bank = partner(
        &app,
        &["fullname", "id_doc", "income", "addresses"],
        &client(),
    )
    .await;
    let token = bank.token(&app).await;
    let ask = json!({
        "sub": bank.sub, "purpose": "mortgage", "categories": ["passport", "income", "address"],
        "optional_categories": ["address"], "valid_until": in_days(90), "mode": "periodic",
        "frequency": {"max_reads": 3, "per": "month"},
    });
    let (status, _, consent) = api(
        &app,
        reqwest::Method::POST,
        "/api/v1/consents",
        Some(&token),
        Some(&ask),
    )
    .await;
    assert_eq!(status, 201);
    let id = consent["id"].as_str().unwrap().to_owned();
    let base = app.base.clone();
    let app_ref = &app;
    let (token_ref, id_ref) = (&token, &id);
    Browser::run(
        "in_chromium_a_citizen_approves_with_the_sms_code_and_revokes",
        |c| async move {
            sign_in_with(&c, &base, VOLKOVA, DEMO_PASSWORD).await?;
            wait_for_heading(&c, "Волкова Мария Александровна").await?;
            propusk_e2e::browser::follow_link(&c, "/cabinet/consents", "Мои согласия").await?;
            save(&c.screenshot().await?, "consents_list");
            c.find(Locator::Css(&format!(
                "a[href='/cabinet/consents/{id_ref}']"
            )))
            .await?
            .click()
            .await?;
            wait_for_heading(&c, "Согласие: АО «Демо-банк»").await?;
            c.find(Locator::Id("send-code")).await?.click().await?;
            wait_for_text(&c, ".form-notice", "Код отправлен").await?;
            let code = latest_code(app_ref, VOLKOVA).await;
            c.find(Locator::Id("keep-address")).await?.click().await?;
            c.find(Locator::Id("code")).await?.send_keys(&code).await?;
            save(&c.screenshot().await?, "consent_decision");
            c.find(Locator::Id("approve")).await?.click().await?;
            wait_for_text(&c, "#consent-status", "Действует").await?;
            let items = c.find(Locator::Id("consent-items")).await?.text().await?;
            ensure(
                items.contains("Адрес регистрации — не передаётся"),
                format!("address dropped: {items}"),
            )?;

            let (status, _, data) = api(
                app_ref,
                reqwest::Method::GET,
                &format!("/api/v1/person?consent_id={id_ref}"),
                Some(token_ref),
                None,
            )
            .await;
            ensure(
                status == 200 && data["categories"]["passport"].is_object(),
                format!("the bank reads: {status} {data}"),
            )?;
            c.refresh().await?;
            wait_for_text(&c, "#consent-reads", "/api/v1/person").await?;
            save(&c.screenshot().await?, "consent_active");
            c.find(Locator::Id("revoke")).await?.click().await?;
            wait_for_text(&c, "#consent-status", "Отозвано").await?;
            let (status, _, body) = api(
                app_ref,
                reqwest::Method::GET,
                &format!("/api/v1/person?consent_id={id_ref}"),
                Some(token_ref),
                None,
            )
            .await;
            ensure(
                status == 403 && body["type"] == "/problems/consent_revoked",
                format!("refused after revocation: {status} {body}"),
            )?;
            Ok(())
        },
    )
    .await;
    app.shutdown().await;
}

/// The text `pdftotext` extracts from `pdf`; the first page is also kept as
/// a PNG beside the browser screenshots, for a person to look at.
fn pdf_text(pdf: &[u8], name: &str) -> String {
    let dir = propusk_e2e::browser::failure_dir().with_file_name("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    let _ = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1"])
        .arg(&path)
        .arg(dir.join(name))
        .status();
    String::from_utf8(out.stdout).unwrap()
}

/// One probe of the isolation table: method, path, body, the statuses
/// allowed, and the problem type expected.
type Probe = (
    reqwest::Method,
    String,
    Option<Value>,
    &'static [u16],
    Option<&'static str>,
);

type Hooks = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A webhook receiver on loopback: keeps (signature, body) and answers 200.
async fn receiver() -> (Hooks, String) {
    let got: Hooks = Default::default();
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let keep = keep.clone();
            async move {
                let sig = headers
                    .get("propusk-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                keep.lock().unwrap().push((sig, body));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (got, url)
}

/// Waits (up to 10 s) for an event of `kind`; the dispatcher polls each second.
async fn wait_for_event(hooks: &Hooks, kind: &str) -> (String, String) {
    for _ in 0..100 {
        let found = hooks
            .lock()
            .unwrap()
            .iter()
            .find(|(_, b)| b.contains(&format!("\"type\":\"{kind}\"")))
            .cloned();
        if let Some(f) = found {
            return f;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no {kind} webhook arrived");
}

both_backends! {
    /// Partner B, with a valid token, against every partner endpoint that
    /// names partner A's consent, webhook or delivery: never an answer
    /// about them. And without any consent, no citizen's data.
    async fn one_partner_never_reaches_another_partners_consents_webhooks_or_data(tdb: TestDb) {
        let app = TestApp::spawn_with(tdb, |s| s.demo = true).await;
        let browser = client();
        let a = partner(&app, &["fullname", "id_doc"], &browser).await;
        let b = partner(&app, &["fullname", "id_doc"], &client()).await;
        let (ta, tb) = (a.token(&app).await, b.token(&app).await);
        let post = reqwest::Method::POST;
        let get = reqwest::Method::GET;
        let (hooks, url) = receiver().await;
        let (_, _, hook) = api(&app, post.clone(), "/api/v1/webhooks", Some(&ta), Some(&json!({"url": url}))).await;
        let hook = hook["id"].as_str().unwrap().to_owned();
        let ask = json!({"sub": a.sub, "purpose": "account_opening", "categories": ["passport"], "valid_until": in_days(10), "mode": "one_time"});
        let (_, _, c) = api(&app, post.clone(), "/api/v1/consents", Some(&ta), Some(&ask)).await;
        let id = c["id"].as_str().unwrap().to_owned();
        // Approve, so there is a receipt, a delivery and data to reach for.
        let detail = page(&browser, &app, &format!("/cabinet/consents/{id}")).await;
        let csrf = csrf_of(&detail);
        post_form(&browser, &app, &format!("/cabinet/consents/{id}/code"), &csrf, &[]).await;
        let code = latest_code(&app, VOLKOVA).await;
        let res = post_form(&browser, &app, &format!("/cabinet/consents/{id}/approve"), &csrf, &[("code", code.as_str())]).await;
        assert_eq!(res.status(), 303);
        wait_for_event(&hooks, "consent.approved").await;
        let (_, _, ds) = api(&app, get.clone(), &format!("/api/v1/webhooks/{hook}/deliveries"), Some(&ta), None).await;
        let delivery = ds["deliveries"][0]["id"].as_str().unwrap().to_owned();

        let table: Vec<Probe> = vec![
            (get.clone(), format!("/api/v1/consents/{id}"), None, &[404], None),
            (post.clone(), format!("/api/v1/consents/{id}/cancel"), Some(json!({})), &[404], None),
            (get.clone(), format!("/api/v1/consents/{id}/receipt.pdf"), None, &[404], None),
            (get.clone(), format!("/api/v1/person?consent_id={id}"), None, &[403], Some("/problems/no_consent")),
            (get.clone(), format!("/api/v1/person/passport?consent_id={id}"), None, &[403], Some("/problems/no_consent")),
            (get.clone(), format!("/api/v1/webhooks/{hook}/deliveries"), None, &[404], None),
            (post.clone(), format!("/api/v1/webhooks/{hook}/rotate"), None, &[404], None),
            (reqwest::Method::DELETE, format!("/api/v1/webhooks/{hook}"), None, &[404], None),
            (post.clone(), format!("/api/v1/webhook-deliveries/{delivery}/redeliver"), None, &[404], None),
        ];
        for (method, path, body, statuses, kind) in &table {
            let (status, _, got) = api(&app, method.clone(), path, Some(&tb), body.as_ref()).await;
            assert!(statuses.contains(&status), "{method} {path}: {status} {got}");
            if let Some(k) = kind {
                assert_eq!(got["type"].as_str(), Some(*k), "{method} {path}");
            }
            assert!(!got.to_string().contains("654321"), "no data leaks from {path}");
        }
        let (_, _, list) = api(&app, get.clone(), "/api/v1/consents", Some(&tb), None).await;
        assert_eq!(list["consents"], json!([]));
        let (_, _, list) = api(&app, get.clone(), "/api/v1/webhooks", Some(&tb), None).await;
        assert_eq!(list["webhooks"], json!([]));
        // B's own consent for its own sub exists only after the citizen approves.
        let own = json!({"sub": b.sub, "purpose": "account_opening", "categories": ["passport"], "valid_until": in_days(10), "mode": "one_time"});
        let (status, _, mine) = api(&app, post.clone(), "/api/v1/consents", Some(&tb), Some(&own)).await;
        assert_eq!(status, 201);
        let (status, _, body) = api(&app, get.clone(), &format!("/api/v1/person?consent_id={}", mine["id"].as_str().unwrap()), Some(&tb), None).await;
        assert_eq!((status, body["type"].as_str()), (403, Some("/problems/no_consent")));
        // A still reads its own, once (one-time), then it is consumed.
        let (status, _, _) = api(&app, get.clone(), &format!("/api/v1/person?consent_id={id}"), Some(&ta), None).await;
        assert_eq!(status, 200);
        let (status, _, body) = api(&app, get.clone(), &format!("/api/v1/person?consent_id={id}"), Some(&ta), None).await;
        assert_eq!((status, body["type"].as_str()), (403, Some("/problems/consent_consumed")));
        app.shutdown().await;
    }
}

/// PAR for a sandbox client (client_secret_basic), with extra parameters.
async fn push(app: &TestApp, p: &Partner, extra: &[(&str, String)]) -> (u16, Value) {
    let mut form: Vec<(&str, String)> = vec![
        ("client_id", p.client_id.clone()),
        ("response_type", "code".into()),
        ("redirect_uri", REDIRECT.into()),
        ("scope", "openid fullname".into()),
        ("state", "rar-1".into()),
        // RFC 7636 Appendix B's pair.
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        ),
        ("code_challenge_method", "S256".into()),
    ];
    form.extend(extra.iter().cloned());
    let res = client()
        .post(app.url("/oauth/par"))
        .basic_auth(&p.client_id, Some(&p.secret))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

both_backends! {
    async fn a_consent_asked_for_at_sign_in_with_authorization_details(tdb: TestDb) {
        let app = TestApp::spawn_with(tdb, |s| s.demo = true).await;
        let browser = client();
        let bank = partner(&app, &["fullname", "id_doc", "income"], &browser).await;
        let meta: Value = app.get("/.well-known/openid-configuration").await.json().await.unwrap();
        assert_eq!(meta["authorization_details_types_supported"], json!(["propusk_consent"]));

        let details = |v: Value| ("authorization_details", v.to_string());
        let good = json!([{
            "type": "propusk_consent", "purpose": "loan_application",
            "categories": ["passport", "income"], "optional_categories": ["income"],
            "valid_until": in_days(30), "mode": "periodic", "frequency": {"max_reads": 5, "per": "day"},
        }]);
        // RFC 9396 §5: each wrong request is refused at PAR, saying why.
        for (bad, why) in [
            (json!([{"type": "payment_initiation"}]), "unknown type"),
            (json!([{"type": "propusk_consent", "purpose": "loan_application", "categories": ["passport"], "mode": "one_time", "sub": "x"}]), "unknown field"),
            (json!([{"type": "propusk_consent", "purpose": "loan_application", "categories": ["pension"], "mode": "one_time"}]), "scope_not_allowed"),
            (json!([{"type": "propusk_consent", "purpose": "gambling", "categories": ["passport"], "mode": "one_time"}]), "unknown_purpose"),
            (json!({"type": "propusk_consent"}), "JSON array"),
        ] {
            let (status, body) = push(&app, &bank, &[details(bad)]).await;
            assert_eq!(status, 400, "{why}: {body}");
            assert_eq!(body["error"], "invalid_authorization_details", "{why}");
            assert!(body["error_description"].as_str().unwrap().contains(why), "{why}: {body}");
        }

        let (status, body) = push(&app, &bank, &[details(good)]).await;
        assert_eq!(status, 201, "{body}");
        let url = app.url(&format!(
            "/oauth/authorize?client_id={}&request_uri={}",
            bank.client_id,
            body["request_uri"].as_str().unwrap()
        ));
        // Signed in already (from the first sign-in): the consent screen,
        // with the consent's terms; a data consent is never remembered.
        let res = browser.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let screen = res.text().await.unwrap();
        for needle in ["consent-rar", "keep-income", "send-code", "заявки на кредит"] {
            assert!(screen.contains(needle), "{needle}: {screen}");
        }
        assert!(!screen.contains("name=\"remember\""), "a data consent is not remembered");
        let csrf = csrf_of(&screen);
        let request_uri = body["request_uri"].as_str().unwrap().to_owned();
        let decision = |extra: Vec<(&'static str, String)>| {
            let mut form = vec![
                ("csrf", csrf.clone()),
                ("client_id", bank.client_id.clone()),
                ("request_uri", request_uri.clone()),
            ];
            form.extend(extra);
            form
        };

        // Approving needs the SMS code.
        let res = browser.post(app.url("/oauth/authorize/decision")).form(&decision(vec![("decision", "approve".into())])).send().await.unwrap();
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("code-error"));
        let res = browser.post(app.url("/oauth/authorize/code")).form(&decision(vec![])).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let sent = propusk_e2e::bank::location(&res);
        assert!(sent.ends_with("&sent=1"), "{sent}");
        let code = latest_code(&app, VOLKOVA).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let res = browser.post(app.url("/oauth/authorize/decision")).form(&decision(vec![("decision", "approve".into()), ("code", wrong.into())])).send().await.unwrap();
        assert_eq!(res.status(), 422, "a wrong code");
        // The right one, with the optional income unticked.
        let res = browser.post(app.url("/oauth/authorize/decision")).form(&decision(vec![("decision", "approve".into()), ("code", code.clone())])).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let back = propusk_e2e::bank::location(&res);
        assert!(back.starts_with(REDIRECT), "{back}");
        let auth_code = url_query(&back, "code").unwrap();

        // RFC 9396 §7: the token response carries what was granted.
        let res = client()
            .post(app.url("/oauth/token"))
            .basic_auth(&bank.client_id, Some(&bank.secret))
            .form(&[("grant_type", "authorization_code"), ("code", &auth_code), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)])
            .send()
            .await
            .unwrap();
        let status = res.status();
        let tokens: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{tokens}");
        let granted = &tokens["authorization_details"][0];
        assert_eq!(granted["type"], "propusk_consent", "{tokens}");
        assert_eq!(granted["categories"], json!(["passport"]), "income was unticked");
        assert_eq!(granted["frequency"], json!({"max_reads": 5, "per": "day"}));
        let id = granted["consent_id"].as_str().unwrap().to_owned();
        let person_at = tokens["access_token"].as_str().unwrap().to_owned();

        // The person's token reads under its consent, without naming it;
        // naming another is refused.
        let get = reqwest::Method::GET;
        let (status, _, data) = api(&app, get.clone(), "/api/v1/person", Some(&person_at), None).await;
        assert_eq!(status, 200, "{data}");
        assert_eq!(data["categories"]["passport"]["data"]["number"], "654321");
        assert!(data["categories"].get("income").is_none());
        let other = format!("/api/v1/person?consent_id={}", uuid::Uuid::now_v7());
        let (status, _, body) = api(&app, get.clone(), &other, Some(&person_at), None).await;
        assert_eq!((status, body["type"].as_str()), (403, Some("/problems/no_consent")));
        let (status, _, body) = api(&app, get.clone(), "/api/v1/person/income", Some(&person_at), None).await;
        assert_eq!((status, body["type"].as_str()), (403, Some("/problems/category_not_covered")));
        // The person's token is not the partner's own: the consent list is not for it.
        let (status, _, _) = api(&app, get.clone(), "/api/v1/consents", Some(&person_at), None).await;
        assert_eq!(status, 403);

        // The partner sees it like any other, approved with a receipt;
        // introspection names the details (RFC 9396 §9.2).
        let token = bank.token(&app).await;
        let (status, _, consent) = api(&app, get.clone(), &format!("/api/v1/consents/{id}"), Some(&token), None).await;
        assert_eq!(status, 200);
        assert_eq!(consent["status"], "active");
        assert_eq!(consent["channel"], "oidc_rar");
        assert_eq!(consent["sub"], bank.sub.as_str());
        assert!(consent["receipt"].as_str().is_some());
        let res = client()
            .post(app.url("/oauth/introspect"))
            .basic_auth(&bank.client_id, Some(&bank.secret))
            .form(&[("token", person_at.as_str())])
            .send()
            .await
            .unwrap();
        let intro: Value = res.json().await.unwrap();
        assert_eq!(intro["authorization_details"][0]["consent_id"], id.as_str(), "{intro}");

        // The citizen's history shows who asked and who approved.
        let detail = page(&browser, &app, &format!("/cabinet/consents/{id}")).await;
        assert!(detail.contains("id=\"revoke\""), "{detail}");
        let csrf = csrf_of(&detail);
        let res = post_form(&browser, &app, &format!("/cabinet/consents/{id}/revoke"), &csrf, &[]).await;
        assert_eq!(res.status(), 303);
        let (status, _, body) = api(&app, get.clone(), "/api/v1/person", Some(&person_at), None).await;
        assert_eq!((status, body["type"].as_str()), (403, Some("/problems/consent_revoked")));

        // A refreshed token still names the consent (and so is still refused).
        let res = client()
            .post(app.url("/oauth/token"))
            .basic_auth(&bank.client_id, Some(&bank.secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().unwrap())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let refreshed: Value = res.json().await.unwrap();
        assert_eq!(refreshed["authorization_details"][0]["consent_id"], id.as_str());

        // Declining sends the person back with access_denied and records nothing.
        let (_, body) = push(&app, &bank, &[details(json!([{
            "type": "propusk_consent", "purpose": "loan_application", "categories": ["passport"], "mode": "one_time",
            "valid_until": in_days(2),
        }]))]).await;
        let url = app.url(&format!("/oauth/authorize?client_id={}&request_uri={}", bank.client_id, body["request_uri"].as_str().unwrap()));
        let screen = browser.get(&url).send().await.unwrap().text().await.unwrap();
        let form = vec![
            ("csrf", csrf_of(&screen)),
            ("client_id", bank.client_id.clone()),
            ("request_uri", body["request_uri"].as_str().unwrap().to_owned()),
            ("decision", "deny".to_owned()),
        ];
        let res = browser.post(app.url("/oauth/authorize/decision")).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(url_query(&propusk_e2e::bank::location(&res), "error").as_deref(), Some("access_denied"));
        let (_, _, list) = api(&app, get, "/api/v1/consents", Some(&token), None).await;
        assert_eq!(list["consents"].as_array().unwrap().len(), 1, "{list}");
        assert!(audit_actions(&app.db.as_ref().unwrap().url).await.iter().any(|a| a == "oauth.denied"));
        app.shutdown().await;
    }
}
