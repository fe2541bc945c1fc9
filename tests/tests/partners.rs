//! Partner onboarding end to end on both databases: an organization's
//! administrator applies (legal data from ЕГРЮЛ, contact, scopes with
//! reasons, IP ranges, redirect URIs, keys) and gets a sandbox client at
//! once; a portal operator made by `admin create` signs in with password
//! and TOTP, and approves (a production client with the application's
//! settings) or rejects with a reason; the administrators hear of each
//! step; and they change a client's redirect URIs, IP list and keys under
//! the rules, audited and notified.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use propusk_e2e::oidc::{ASSERTION_TYPE, assertion, client_key, post_dpop};
use propusk_e2e::pages::{csrf_of, sign_in, sign_in_with_totp};
use propusk_e2e::{TestApp, audit_actions, audit_details, both_backends, client};
use propusk_oidc::Alg;
use serde_json::Value;

const DEMO_PASSWORD: &str = "Propusk-Demo-2026";
const KUZNETSOVA: &str = "+79000000004";
const TOTP_KEY: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const DEMO_PARTNER: &str = "1027700000019";

/// Someone with their own cookie jar.
struct Browser {
    http: reqwest::Client,
}

impl Browser {
    fn new() -> Browser {
        Browser { http: client() }
    }

    async fn get(&self, app: &TestApp, path: &str) -> reqwest::Response {
        self.http.get(app.url(path)).send().await.unwrap()
    }

    async fn html(&self, app: &TestApp, path: &str) -> String {
        self.get(app, path).await.text().await.unwrap()
    }

    /// Posts a form with the CSRF token of the page at `from`.
    async fn post(
        &self,
        app: &TestApp,
        from: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let csrf = csrf_of(&self.html(app, from).await);
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(form);
        self.http
            .post(app.url(path))
            .form(&all)
            .send()
            .await
            .unwrap()
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_owned()
}

fn settings_of(app: &TestApp) -> propusk_web::Settings {
    propusk_web::Settings {
        database_url: Some(app.db.as_ref().unwrap().url.clone()),
        data_dir: app.data_dir.clone(),
        ..propusk_web::Settings::default()
    }
}

/// Кузнецова, acting for the demo partner АО «Демо-банк».
async fn partner_admin(app: &TestApp) -> Browser {
    let b = Browser::new();
    sign_in_with_totp(app, &b.http, KUZNETSOVA, DEMO_PASSWORD, TOTP_KEY).await;
    let orgs = b.html(app, "/cabinet/orgs").await;
    let marker = "name=\"org\" value=\"";
    let at = orgs.find(marker).unwrap() + marker.len();
    let org = orgs[at..].split('"').next().unwrap().to_owned();
    let r = b
        .post(
            app,
            "/cabinet/orgs",
            "/cabinet/orgs/switch",
            &[("org", &org)],
        )
        .await;
    assert_eq!(location(&r), "/org");
    b
}

/// The code of a TOTP key for the current step.
fn code(key_base32: &str) -> String {
    let key = propusk_core::factor::TotpKey::from_base32(&key_base32.replace(' ', "")).unwrap();
    key.code_at(time::OffsetDateTime::now_utc()).unwrap()
}

async fn outbox(app: &TestApp) -> String {
    app.get("/dev/outbox.json").await.text().await.unwrap()
}

/// The `value` of a `<code class="CLASS">` element.
fn code_text(html: &str, class: &str) -> String {
    let marker = format!("<code class=\"{class}\">");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {class} in {html}"))
        + marker.len();
    html[at..].split('<').next().unwrap().to_owned()
}

/// A `client_credentials` request from loopback with the client's key.
async fn client_credentials(
    app: &TestApp,
    client_id: &str,
    key: &propusk_oidc::SigningKey,
) -> (u16, Value) {
    let dpop = propusk_oidc::SigningKey::generate(Alg::EdDsa).unwrap();
    client_credentials_bound(app, client_id, key, &dpop).await
}

/// The same, bound to `dpop`.
async fn client_credentials_bound(
    app: &TestApp,
    client_id: &str,
    key: &propusk_oidc::SigningKey,
    dpop: &propusk_oidc::SigningKey,
) -> (u16, Value) {
    let form = [
        ("grant_type", "client_credentials".to_owned()),
        ("client_id", client_id.to_owned()),
        ("client_assertion_type", ASSERTION_TYPE.to_owned()),
        ("client_assertion", assertion(key, client_id, &app.base)),
    ];
    let (status, _, body) = post_dpop(app, "/oauth/token", &form, Some(dpop)).await;
    (status, body)
}

/// UserInfo with a DPoP-bound access token: the status and the challenge.
async fn userinfo(app: &TestApp, at: &str, dpop: &propusk_oidc::SigningKey) -> (u16, String) {
    let url = app.url("/oauth/userinfo");
    let r = client()
        .get(&url)
        .header("authorization", format!("DPoP {at}"))
        .header(
            "dpop",
            propusk_e2e::oidc::proof(dpop, "GET", &url, None, Some(at)),
        )
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let www = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, www)
}

both_backends! {
    async fn a_partner_applies_an_operator_decides_and_clients_follow(tdb: TestDb) {
        let url = tdb.url.clone();
        let app = TestApp::spawn_with(tdb, |s| s.demo = true).await;
        let admin = partner_admin(&app).await;

        // The page shows the ЕГРЮЛ data and the form.
        let page = admin.html(&app, "/org/partner").await;
        assert!(page.contains(DEMO_PARTNER) && page.contains("Сведения из ЕГРЮЛ"), "{page}");
        assert!(page.contains("id=\"partner-form\""));

        let (key, jwks) = client_key(Alg::Es256);
        let jwks = serde_json::json!({ "keys": [jwks["keys"][0].clone()] }).to_string();
        let good: Vec<(&str, &str)> = vec![
            ("contact_name", "Петров Пётр Петрович"),
            ("contact_phone", "+7 916 555-00-11"),
            ("contact_email", "it@demo-bank.example"),
            ("client_name", "Интернет-банк"),
            ("redirect_uris", "https://bank.example/cb\nhttps://bank.example/cb2"),
            ("ip_allow", "192.0.2.0/24"),
            ("key_mode", "jwks"),
            ("jwks", &jwks),
            ("scope_fullname", "on"),
            ("reason_fullname", "Обращение к клиенту по имени в интернет-банке"),
            ("scope_inn", "on"),
            ("reason_inn", "Идентификация клиента по 115-ФЗ при открытии счёта"),
        ];
        let with = |k: &'static str, v: &'static str| -> Vec<(&str, &str)> {
            good.iter().map(|(a, b)| if *a == k { (*a, v) } else { (*a, *b) }).collect()
        };

        // Refusals: 422, the reason next to the form, the values kept.
        for (form, says) in [
            (with("reason_inn", "надо"), "Объясните, зачем нужна область «inn»"),
            (with("redirect_uris", "http://127.0.0.1:9/cb"), "должны быть https"),
            (with("ip_allow", ""), "нужен список разрешённых адресов IP"),
            (with("ip_allow", "0.0.0.0/0"), "нужен список разрешённых адресов IP"),
            (with("jwks", ""), "Нужны открытые ключи клиента"),
            (with("contact_phone", "12"), "мобильный телефон"),
            (with("jwks", "{\"keys\": [{\"kty\": \"oct\", \"k\": \"c2VjcmV0\"}]}"), "PS256, ES256 или EdDSA"),
            (with("redirect_uris", "https://bank.example/cb\nhttps://other.example/cb"), "на одном хосте"),
        ] {
            let r = admin.post(&app, "/org/partner", "/org/partner/apply", &form).await;
            assert_eq!(r.status(), 422, "{says}");
            let html = r.text().await.unwrap();
            assert!(html.contains(says), "{says}: {html}");
            assert!(html.contains("Петров Пётр Петрович"), "the values are kept");
        }

        // Submitted: a sandbox client at once, the administrators told.
        let r = admin.post(&app, "/org/partner", "/org/partner/apply", &good).await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/org/partner?submitted=1");
        let page = admin.html(&app, "/org/partner?submitted=1").await;
        assert!(page.contains("Заявка подана") && page.contains("на рассмотрении"), "{page}");
        assert!(!page.contains("id=\"partner-form\""), "one application under review at a time");
        let clients = admin.html(&app, "/org/clients").await;
        assert!(clients.contains("Интернет-банк (песочница)") && clients.contains("fapi2 · sandbox"), "{clients}");
        assert!(outbox(&app).await.contains("принята к рассмотрению"));
        let r = admin.post(&app, "/org/partner", "/org/partner/apply", &good).await;
        assert_eq!(r.status(), 409);
        assert!(r.text().await.unwrap().contains("уже на рассмотрении"));

        // The operator, made as `propusk admin create` makes one.
        let settings = settings_of(&app);
        let refused = propusk_web::create_operator(&settings, "ab", "Strong-Passw0rd-2026").await;
        assert!(matches!(refused, Err(propusk_web::StartError::Invalid(_))), "a short login");
        let weak = propusk_web::create_operator(&settings, "ivanova", "123").await;
        assert!(matches!(weak, Err(propusk_web::StartError::Invalid(_))), "a weak password");
        let made = propusk_web::create_operator(&settings, "Ivanova", "Strong-Passw0rd-2026").await.unwrap();
        assert_eq!(made.login, "ivanova");
        assert!(made.otpauth_url.starts_with("otpauth://totp/"));
        let taken = propusk_web::create_operator(&settings, "ivanova", "Strong-Passw0rd-2026").await;
        assert!(matches!(taken, Err(propusk_web::StartError::Invalid(_))), "the login is taken");

        // /admin is for operators only: a citizen's session does not count.
        let r = admin.get(&app, "/admin").await;
        assert_eq!((r.status().as_u16(), location(&r)), (303, "/admin/login".into()));
        let op = Browser::new();
        let form = |password: &'static str, code: String| vec![("login", "ivanova".to_owned()), ("password", password.to_owned()), ("code", code)];
        for (password, code) in [("Strong-Passw0rd-2026", "000000".to_owned()), ("wrong", code(&made.totp_secret))] {
            let f = form(password, code);
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = op.post(&app, "/admin/login", "/admin/login", &f).await;
            assert_eq!(r.status(), 422);
            assert!(r.text().await.unwrap().contains("Неверный логин, пароль или код"));
        }
        let f = form("Strong-Passw0rd-2026", code(&made.totp_secret));
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = op.post(&app, "/admin/login", "/admin/login", &f).await;
        assert_eq!((r.status().as_u16(), location(&r)), (303, "/admin".into()));
        // The same code again, in another browser: refused (used once).
        let other = Browser::new();
        let r = other.post(&app, "/admin/login", "/admin/login", &f).await;
        assert_eq!(r.status(), 422, "a TOTP code is accepted once");

        // The queue and the application with its contact.
        let queue = op.html(&app, "/admin").await;
        assert!(queue.contains("Интернет-банк") && queue.contains(DEMO_PARTNER), "{queue}");
        let marker = "href=\"/admin/applications/";
        let at = queue.find(marker).unwrap() + marker.len();
        let id = queue[at..].split('"').next().unwrap().to_owned();
        let path = format!("/admin/applications/{id}");
        let detail = op.html(&app, &path).await;
        for needle in ["Петров Пётр Петрович", "+79165550011", "it@demo-bank.example", "Идентификация клиента по 115-ФЗ", "192.0.2.0/24", "https://bank.example/cb2", "Кузнецова"] {
            assert!(detail.contains(needle), "{needle}: {detail}");
        }
        let own = admin.html(&app, "/org/partner").await;
        for contact in ["Петров Пётр Петрович", "+79165550011", "it@demo-bank.example"] {
            assert!(!own.contains(contact), "the organization's page shows no contact data back: {contact}");
        }

        // Rejecting needs a reason; approving issues the production client.
        let r = op.post(&app, &path, &format!("{path}/reject"), &[("reason", "нет")]).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("Объясните причину отказа"));
        // Approving: at least one of the scopes asked for; leaving one out
        // needs a note for the organization.
        let approve = format!("{path}/approve");
        for (form, says) in [
            (vec![], "Отметьте области данных"),
            (vec![("scope_fullname", "on"), ("scope_snils", "on")], "Отметьте области данных"),
            (vec![("scope_fullname", "on")], "почему одобрены не все области"),
        ] {
            let r = op.post(&app, &path, &approve, &form).await;
            assert_eq!(r.status(), 422, "{says}");
            let html = r.text().await.unwrap();
            assert!(html.contains(says), "{says}: {html}");
            assert_eq!(html.contains("id=\"grant-inn\" checked"), form.iter().any(|(k, _)| *k == "scope_inn"), "the ticks are kept");
        }
        let note = "ИНН не нужен для обращения по имени";
        let r = op.post(&app, &path, &approve, &[("scope_fullname", "on"), ("note", note)]).await;
        assert_eq!(location(&r), path);
        let detail = op.html(&app, &path).await;
        assert!(detail.contains("одобрена") && detail.contains(note), "{detail}");
        let production = code_text(&detail, "production-client");
        let r = op.post(&app, &path, &format!("{path}/reject"), &[("reason", "Передумали после одобрения")]).await;
        assert_eq!(r.status(), 409, "decided once");
        let sent = outbox(&app).await;
        assert!(sent.contains(&format!("Промышленный клиент: {production}")));
        assert!(sent.contains(&format!("Не одобрены области: inn. Причина: {note}")), "{sent}");
        let approved = audit_details(&url, "partner.application_approved", &format!("partner_application:{id}")).await;
        assert_eq!(approved[0]["withheld"], serde_json::json!(["inn"]));
        let clients = admin.html(&app, "/org/clients").await;
        assert!(clients.contains(&production) && clients.contains("fapi2 · production"), "{clients}");

        // It has the application's settings: loopback is not on its list.
        let (status, body) = client_credentials(&app, &production, &key).await;
        assert_eq!((status, body["error"].as_str()), (403, Some("access_denied")), "{body}");

        // Its administrators change it, under the rules.
        let cpath = format!("/org/clients/{production}");
        let page = admin.html(&app, &cpath).await;
        let granted = page.split("Области доступа</dt><dd>").nth(1).and_then(|r| r.split("</dd>").next()).unwrap();
        assert!(granted.contains("fullname") && !granted.contains("inn"), "only the approved scopes: {granted}");
        assert!(page.contains("192.0.2.0/24") && page.contains("bank.example"), "{page}");
        let change = |redirects: &'static str, ips: &'static str| -> Vec<(&'static str, String)> {
            vec![("redirect_uris", redirects.into()), ("ip_allow", ips.into()), ("key_mode", "jwks".into()), ("jwks", jwks.clone())]
        };
        for (form, says) in [
            (change("https://other.example/cb", "127.0.0.1"), "должны остаться на хосте bank.example"),
            (change("http://bank.example/cb", "127.0.0.1"), "должен быть https"),
            (change("http://127.0.0.1:9/cb", "127.0.0.1"), "промышленного клиента должны быть https"),
            (change("https://bank.example/cb", "::/0"), "не 0.0.0.0/0"),
            (change("https://bank.example/cb", ""), "нужен список разрешённых адресов"),
            (change("https://bank.example/cb", "not-an-ip"), "Неверный адрес или диапазон IP"),
        ] {
            let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = admin.post(&app, &cpath, &cpath, &f).await;
            assert_eq!(r.status(), 422, "{says}");
            let html = r.text().await.unwrap();
            assert!(html.contains(says), "{says}: {html}");
        }
        let form = change("https://bank.example/cb", "192.0.2.0/24\n127.0.0.1");
        let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = admin.post(&app, &cpath, &cpath, &f).await;
        assert_eq!(location(&r), format!("{cpath}?saved=redirect_uris,ip_allow"));
        let (status, body) = client_credentials(&app, &production, &key).await;
        assert_eq!(status, 200, "loopback is allowed now: {body}");
        let r = admin.post(&app, &cpath, &cpath, &f).await;
        assert_eq!(location(&r), format!("{cpath}?saved=none"), "nothing changed");
        assert!(outbox(&app).await.contains("Изменены настройки клиента OAuth"));

        // New keys: the old key stops working.
        let (new_key, new_jwks) = client_key(Alg::Ps256);
        let form = [("redirect_uris", "https://bank.example/cb".to_owned()), ("ip_allow", "127.0.0.1".to_owned()), ("key_mode", "jwks".to_owned()), ("jwks", new_jwks.to_string())];
        let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = admin.post(&app, &cpath, &cpath, &f).await;
        assert_eq!(location(&r), format!("{cpath}?saved=ip_allow,keys"));
        assert_eq!(client_credentials(&app, &production, &key).await.0, 401, "the old key");
        assert_eq!(client_credentials(&app, &production, &key).await.0, 401, "the old key again");
        assert_eq!(client_credentials(&app, &production, &new_key).await.0, 200, "the new key");

        // Disabled: no tokens, and those it holds stop working; enabled again.
        let dpop = propusk_oidc::SigningKey::generate(Alg::EdDsa).unwrap();
        let (_, body) = client_credentials_bound(&app, &production, &new_key, &dpop).await;
        let at = body["access_token"].as_str().unwrap().to_owned();
        assert_eq!(userinfo(&app, &at, &dpop).await.0, 403, "alive, but no openid scope");
        let r = admin.post(&app, &cpath, &format!("{cpath}/disable"), &[]).await;
        assert_eq!(location(&r), format!("{cpath}?saved=state"));
        assert!(admin.html(&app, &cpath).await.contains("отключён"));
        assert_eq!(client_credentials(&app, &production, &new_key).await.0, 401, "a disabled client gets no tokens");
        let (status, www) = userinfo(&app, &at, &dpop).await;
        assert_eq!(status, 401, "its tokens stop working: {www}");
        assert!(outbox(&app).await.contains("Клиент OAuth отключён"));
        let r = admin.post(&app, &cpath, &format!("{cpath}/enable"), &[]).await;
        assert_eq!(location(&r), format!("{cpath}?saved=state"));
        assert_eq!(client_credentials(&app, &production, &new_key).await.0, 200, "enabled again");

        // Refusals reach the audit log counted, not one event each.
        let subject = format!("oauth_client:{production}");
        let count = |failed: &[Value], reason: &str| -> u64 {
            failed.iter().filter(|d| d["reason"].as_str().unwrap().contains(reason)).map(|d| d["count"].as_u64().unwrap()).sum()
        };
        let mut failed = Vec::new();
        for _ in 0..50 {
            failed = audit_details(&url, "oauth.request_failed", &subject).await;
            if count(&failed, "no registered key") >= 2 && count(&failed, "client is disabled") >= 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(count(&failed, "no registered key"), 2, "the old key twice: {failed:?}");
        assert_eq!(count(&failed, "client is disabled"), 1, "{failed:?}");
        assert!(failed.iter().all(|d| d["endpoint"] == "client_authentication"));
        assert!(failed.iter().any(|d| d["error"] == "access_denied"), "the refused address too: {failed:?}");

        // A second application, rejected with a reason the organization sees.
        let r = admin.post(&app, "/org/partner", "/org/partner/apply", &good).await;
        assert_eq!(r.status(), 303);
        let queue = op.html(&app, "/admin").await;
        let at = queue.find(marker).unwrap() + marker.len();
        let second = format!("/admin/applications/{}", queue[at..].split('"').next().unwrap());
        assert_ne!(second, path);
        let reason = "Не указана лицензия ЦБ на банковские операции";
        let r = op.post(&app, &second, &format!("{second}/reject"), &[("reason", reason)]).await;
        assert_eq!(r.status(), 303);
        let page = admin.html(&app, "/org/partner").await;
        assert!(page.contains("отклонена") && page.contains(reason) && page.contains("одобрена"), "{page}");
        assert!(outbox(&app).await.contains(reason));
        let decided = op.html(&app, "/admin?state=rejected").await;
        assert!(decided.contains("Интернет-банк"), "{decided}");

        // The operator's cookie opens nothing in the cabinet.
        let r = op.get(&app, "/cabinet").await;
        assert!(location(&r).starts_with("/login"), "an operator is not a citizen");

        // Signed out, the operator's cookie is worth nothing.
        let r = op.post(&app, "/admin", "/admin/logout", &[]).await;
        assert_eq!(location(&r), "/admin/login");
        assert_eq!(op.get(&app, "/admin").await.status(), 303);

        let actions = audit_actions(&url).await;
        for a in ["oauth.client_disabled", "oauth.client_enabled", "operator.created", "operator.sign_in_failed", "operator.signed_in", "partner.application_submitted", "partner.application_viewed", "partner.application_approved", "partner.application_rejected", "oauth.client_updated", "operator.signed_out"] {
            assert!(actions.iter().any(|x| x == a), "{a} audited");
        }
        // The English page.
        let en = admin.html(&app, "/org/partner?lang=en").await;
        assert!(en.contains("Becoming a partner") && en.contains("rejected"), "{en}");
        app.shutdown().await;
    }

    async fn operator_sign_in_locks_after_repeated_failures(tdb: TestDb) {
        let app = TestApp::spawn_with(tdb, |s| s.demo = true).await;
        let op = Browser::new();
        let mut last = 0;
        for _ in 0..8 {
            let r = op.post(&app, "/admin/login", "/admin/login", &[("login", "operator"), ("password", "wrong"), ("code", "123456")]).await;
            last = r.status().as_u16();
            if last == 429 {
                assert!(r.headers().contains_key("retry-after"));
                break;
            }
            assert_eq!(last, 422);
        }
        assert_eq!(last, 429, "locked after repeated failures");
        // Locked: even the right password and code are held back.
        let right = code(TOTP_KEY);
        let r = op.post(&app, "/admin/login", "/admin/login", &[("login", "operator"), ("password", DEMO_PASSWORD), ("code", &right)]).await;
        assert_eq!(r.status(), 429);
        // The citizens' sign-in has its own lockout: Волкова still gets in,
        // and her session cookie, put where the operator's goes, opens nothing.
        let http = client();
        let r = sign_in(&app, &http, "+79000000002", DEMO_PASSWORD).await;
        assert_eq!(r.status(), 303, "a citizen is not locked by an operator's failures");
        let citizen = propusk_e2e::pages::set_cookie(&r, "propusk_session").unwrap();
        let token = citizen.split(';').next().unwrap().split('=').nth(1).unwrap();
        let r = client()
            .get(app.url("/admin"))
            .header("cookie", format!("propusk_operator={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(location(&r), "/admin/login", "a citizen's session is no operator's");

        // A disabled operator's session ends at once.
        let settings = settings_of(&app);
        let made = propusk_web::create_operator(&settings, "petrova", "Strong-Passw0rd-2026").await.unwrap();
        let petrova = Browser::new();
        let c = code(&made.totp_secret);
        let r = petrova.post(&app, "/admin/login", "/admin/login", &[("login", "petrova"), ("password", "Strong-Passw0rd-2026"), ("code", &c)]).await;
        assert_eq!(location(&r), "/admin");
        assert_eq!(petrova.get(&app, "/admin").await.status(), 200);
        propusk_web::disable_operator(&settings, "petrova").await.unwrap();
        assert_eq!(location(&petrova.get(&app, "/admin").await), "/admin/login");
        assert!(matches!(propusk_web::disable_operator(&settings, "nobody").await, Err(propusk_web::StartError::Invalid(_))));
        let c = code(&made.totp_secret);
        let r = Browser::new().post(&app, "/admin/login", "/admin/login", &[("login", "petrova"), ("password", "Strong-Passw0rd-2026"), ("code", &c)]).await;
        assert_eq!(r.status(), 422, "disabled: no sign-in");

        // `propusk admin reset`: a new password and key, enabled again.
        for (login, password) in [("petrova", "123"), ("nobody", "Another-Passw0rd-2026")] {
            let refused = propusk_web::reset_operator(&settings, login, password).await;
            assert!(matches!(refused, Err(propusk_web::StartError::Invalid(_))), "{login}");
        }
        let reset = propusk_web::reset_operator(&settings, "Petrova", "Another-Passw0rd-2026").await.unwrap();
        assert_ne!(reset.totp_secret, made.totp_secret, "a new key");
        let back = Browser::new();
        let c = code(&made.totp_secret);
        let r = back.post(&app, "/admin/login", "/admin/login", &[("login", "petrova"), ("password", "Another-Passw0rd-2026"), ("code", &c)]).await;
        assert_eq!(r.status(), 422, "the old key's codes are refused");
        let c = code(&reset.totp_secret);
        let r = back.post(&app, "/admin/login", "/admin/login", &[("login", "petrova"), ("password", "Another-Passw0rd-2026"), ("code", &c)]).await;
        assert_eq!(location(&r), "/admin", "enabled, with the new password and key");
        let actions = audit_actions(&app.db.as_ref().unwrap().url).await;
        assert!(actions.iter().any(|a| a == "operator.reset"), "{actions:?}");
        app.shutdown().await;
    }
}

/// Keeps a screenshot beside the browser failures, for a person to look at.
fn save(png: &[u8], name: &str) {
    let dir = propusk_e2e::browser::failure_dir().with_file_name("screenshots");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{name}.png")), png);
}

/// In Chromium: Кузнецова applies for АО «Демо-банк», the demo operator
/// approves, and she finds the production client in the portal.
#[tokio::test]
async fn an_administrator_applies_and_an_operator_approves_in_the_browser() {
    use fantoccini::Locator;
    use propusk_e2e::browser::{
        Browser as Chromium, follow_link, sign_in_with, wait_for_heading, wait_for_text,
    };
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    let base = app.base.clone();
    let (_, jwks) = client_key(Alg::Es256);
    let jwks = jwks.to_string();
    Chromium::run(
        "an_administrator_applies_and_an_operator_approves_in_the_browser",
        |c| async move {
            sign_in_with(&c, &base, KUZNETSOVA, DEMO_PASSWORD).await?;
            wait_for_heading(&c, "Подтверждение входа").await?;
            c.find(Locator::Id("code"))
                .await?
                .send_keys(&code(TOTP_KEY))
                .await?;
            c.find(Locator::Css("form[action='/login/factor'] button"))
                .await?
                .click()
                .await?;
            wait_for_heading(&c, "Кузнецова Елена Сергеевна").await?;
            c.goto(&format!("{base}/cabinet/orgs")).await?;
            c.find(Locator::Css("form[action='/cabinet/orgs/switch'] button"))
                .await?
                .click()
                .await?;
            follow_link(&c, "/org/partner", "Подключение к Пропуску").await?;
            wait_for_text(&c, "#legal", DEMO_PARTNER).await?;

            let fill = |id: &'static str, text: String| {
                let c = c.clone();
                async move { c.find(Locator::Id(id)).await?.send_keys(&text).await }
            };
            fill("contact-name", "Петров Пётр Петрович".into()).await?;
            fill("contact-phone", "+79165550011".into()).await?;
            fill("contact-email", "it@demo-bank.example".into()).await?;
            fill("client-name", "Интернет-банк".into()).await?;
            fill("redirect-uris", "https://bank.example/cb".into()).await?;
            fill("ip-allow", "192.0.2.0/24".into()).await?;
            fill("jwks", jwks.clone()).await?;
            // The reason field appears when its scope is ticked.
            let reason = c.find(Locator::Id("reason-inn")).await?;
            propusk_e2e::browser::ensure(
                !reason.is_displayed().await?,
                "reason hidden until the scope is ticked",
            )?;
            c.find(Locator::Css("label[for='scope-inn']"))
                .await?
                .click()
                .await?;
            fill("reason-inn", "Идентификация клиента по 115-ФЗ".into()).await?;
            c.find(Locator::Id("partner-apply")).await?.click().await?;
            wait_for_text(&c, "#partner-submitted", "Заявка подана").await?;
            wait_for_text(&c, "main", "на рассмотрении").await?;
            let shot = c.screenshot().await?;
            save(&shot, "partner-submitted");

            // The operator, in the same browser (its own cookie).
            c.goto(&format!("{base}/admin/login")).await?;
            c.find(Locator::Id("op-login"))
                .await?
                .send_keys("operator")
                .await?;
            c.find(Locator::Id("op-password"))
                .await?
                .send_keys(DEMO_PASSWORD)
                .await?;
            c.find(Locator::Id("op-code"))
                .await?
                .send_keys(&code(TOTP_KEY))
                .await?;
            c.find(Locator::Id("admin-login-submit"))
                .await?
                .click()
                .await?;
            wait_for_heading(&c, "Заявки партнёров").await?;
            c.find(Locator::Css("#queue a")).await?.click().await?;
            wait_for_text(&c, "#contact", "Петров Пётр Петрович").await?;
            let shot = c.screenshot().await?;
            save(&shot, "admin-application");
            // Every scope asked for is ticked to begin with.
            let ticked = c
                .find(Locator::Css("#approve-scopes input:checked"))
                .await?;
            ticked.is_selected().await?;
            c.execute(
                "document.getElementById('approve-scopes').scrollIntoView()",
                vec![],
            )
            .await?;
            let shot = c.screenshot().await?;
            save(&shot, "admin-decision");
            c.find(Locator::Id("approve")).await?.click().await?;
            wait_for_text(&c, "main", "одобрена").await?;
            let production = c
                .find(Locator::Css("code.production-client"))
                .await?
                .text()
                .await?;

            // Back in the organization's portal: the production client.
            c.goto(&format!("{base}/org/clients")).await?;
            wait_for_text(&c, "#clients", &production).await?;
            c.find(Locator::Css(&format!(
                "a[href='/org/clients/{production}']"
            )))
            .await?
            .click()
            .await?;
            wait_for_text(&c, "#client", "fapi2 · production").await?;
            let ips = c.find(Locator::Id("ip-allow")).await?;
            ips.send_keys("\n198.51.100.7").await?;
            c.find(Locator::Id("client-save")).await?.click().await?;
            wait_for_text(&c, "#client-saved", "Изменения сохранены").await?;
            let shot = c.screenshot().await?;
            save(&shot, "org-client");
            Ok(())
        },
    )
    .await;
    app.shutdown().await;
}
