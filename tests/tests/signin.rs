//! Sign-in over HTTP: cookies, redirects, the cabinet, sessions, sign-out,
//! and lockout shared by two server instances on one PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use propusk_e2e::pages::{PASSWORD, csrf_of, register, set_cookie, sign_in};
use propusk_e2e::{TestApp, both_backends, client};
use propusk_testkit::{Backend, TestDb};

both_backends! {
    async fn sign_in_reach_the_cabinet_and_sign_out(db: TestDb) {
        let app = TestApp::spawn_with(db, |s| s.demo = true).await;
        register(&app, "+79167100001").await;

        // The cabinet sends strangers to the sign-in page and back.
        let r = app.get("/cabinet/sessions").await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/login?next=/cabinet/sessions");

        let r = sign_in(&app, &app.http, "8 916 710-00-01", PASSWORD).await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/cabinet");
        let cookie = set_cookie(&r, "propusk_session").expect("session cookie");
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attr), "{attr} in {cookie}");
        }
        assert!(!cookie.contains("Max-Age"), "a browser-session cookie");
        assert!(set_cookie(&r, "propusk_device").unwrap().contains("Max-Age=31536000"));
        assert!(set_cookie(&r, "propusk_csrf").is_some(), "the CSRF token is rotated at sign-in");

        let page = app.get("/cabinet").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Петрова Анна Сергеевна"));
        assert!(html.contains("+79167100001"));
        assert!(html.contains("упрощённая"));
        assert!(html.contains("action=\"/logout\""));

        let html = app.get("/cabinet/sessions").await.text().await.unwrap();
        assert!(html.contains("этот сеанс"));
        let html = app.get("/cabinet/history").await.text().await.unwrap();
        assert!(html.contains("успешный вход"));
        // Page numbers people type badly still give a page.
        assert_eq!(app.get("/cabinet/history?page=abc").await.status(), 200);
        assert_eq!(app.get("/cabinet/history?page=99999999999").await.status(), 200);

        // Sign-out is a POST with the token; without it, nothing happens.
        let r = app.http.post(app.url("/logout")).form(&[("csrf", "")]).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(app.get("/cabinet").await.status(), 200);
        let csrf = csrf_of(&html);
        let r = app.http.post(app.url("/logout")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert!(set_cookie(&r, "propusk_session").unwrap().contains("Max-Age=0"));
        assert_eq!(app.get("/cabinet").await.status(), 303);
        app.shutdown().await;
    }

    async fn another_session_is_ended_from_the_sessions_page(db: TestDb) {
        let app = TestApp::spawn_with(db, |s| s.demo = true).await;
        register(&app, "+79167100002").await;
        let phone = propusk_e2e::client();
        assert_eq!(sign_in(&app, &phone, "+79167100002", PASSWORD).await.status(), 303);
        assert_eq!(sign_in(&app, &app.http, "+79167100002", PASSWORD).await.status(), 303);
        let html = app.get("/cabinet/sessions").await.text().await.unwrap();
        let at = html.find("name=\"session\" value=\"").unwrap() + "name=\"session\" value=\"".len();
        let other = &html[at..at + 36];
        let csrf = csrf_of(&html);
        let r = app.http.post(app.url("/cabinet/sessions/end"))
            .form(&[("csrf", csrf.as_str()), ("session", other)]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/cabinet/sessions?done=one");
        let r = phone.get(app.url("/cabinet")).send().await.unwrap();
        assert_eq!(r.status(), 303, "the ended session no longer opens the cabinet");
        // Garbage session ids are a 404, not a crash.
        let r = app.http.post(app.url("/cabinet/sessions/end"))
            .form(&[("csrf", csrf.as_str()), ("session", "not-a-uuid")]).send().await.unwrap();
        assert_eq!(r.status(), 404);
        app.shutdown().await;
    }
}

#[tokio::test]
async fn the_session_id_changes_on_every_sign_in() {
    let app = TestApp::spawn_with(TestDb::new(Backend::Sqlite).await, |s| s.demo = true).await;
    register(&app, "+79167100003").await;
    let first = set_cookie(
        &sign_in(&app, &app.http, "+79167100003", PASSWORD).await,
        "propusk_session",
    )
    .unwrap();
    let second = set_cookie(
        &sign_in(&app, &client(), "+79167100003", PASSWORD).await,
        "propusk_session",
    )
    .unwrap();
    assert_ne!(first, second);
    app.shutdown().await;
}

#[tokio::test]
async fn wrong_and_unknown_logins_look_the_same_and_keep_the_login() {
    let app = TestApp::spawn_with(TestDb::new(Backend::Sqlite).await, |s| s.demo = true).await;
    register(&app, "+79167100004").await;
    let wrong = sign_in(&app, &app.http, "+79167100004", "Not-The-Password-1").await;
    assert_eq!(wrong.status(), 422);
    let wrong = wrong.text().await.unwrap();
    let unknown = sign_in(&app, &client(), "+79167199999", PASSWORD).await;
    assert_eq!(unknown.status(), 422);
    let unknown = unknown.text().await.unwrap();
    assert!(wrong.contains("Неверный логин или пароль"));
    assert!(unknown.contains("Неверный логин или пароль"));
    assert!(
        wrong.contains("value=\"+79167100004\""),
        "the login is kept"
    );
    assert!(!wrong.contains("Not-The-Password-1"), "the password is not");
    // Empty fields are told apart without counting as an attempt.
    let r = sign_in(&app, &client(), "", "").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"login-error\"") && html.contains("id=\"password-error\""));
    // `next` never leads off the site.
    let http = client();
    let page = http
        .get(app.url("/login?next=//evil.example/"))
        .send()
        .await
        .unwrap();
    let csrf = csrf_of(&page.text().await.unwrap());
    let r = http
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", "+79167100004"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/cabinet");
    app.shutdown().await;
}

/// Twenty wrong passwords spread over two nodes on one PostgreSQL: the lock
/// starts after the fifth, whichever node counted it, and holds on both.
#[tokio::test]
async fn lockout_is_shared_by_two_nodes() {
    let db = TestDb::new(Backend::Postgres).await;
    let url = db.url.clone();
    let a = TestApp::spawn_with(db, |s| s.demo = true).await;
    let key = a.data_dir.join("keyring");
    let b = TestApp::spawn_url(url, |s| {
        s.demo = true;
        s.key_file = Some(key);
    })
    .await;
    register(&a, "+79167100005").await;
    let mut statuses = Vec::new();
    for i in 0..20 {
        let node = if i % 2 == 0 { &a } else { &b };
        let r = sign_in(node, &client(), "+79167100005", "Wrong-Password-1").await;
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
        }
        statuses.push(r.status().as_u16());
    }
    assert_eq!(&statuses[..5], &[422; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    // The right password waits out the lock too, on either node.
    for node in [&a, &b] {
        let r = sign_in(node, &client(), "+79167100005", PASSWORD).await;
        assert_eq!(r.status(), 429);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("Слишком много неудачных попыток")
        );
    }
    b.shutdown().await;
    a.shutdown().await;
}

/// With TOTP on, the password alone opens nothing: the half-way session is
/// sent to the factor page, a wrong code is a 422 next to the field.
#[tokio::test]
async fn the_password_alone_opens_nothing_when_totp_is_on() {
    use propusk_core::factor::TotpKey;
    let app = TestApp::spawn_with(TestDb::new(Backend::Sqlite).await, |s| s.demo = true).await;
    register(&app, "+79167100006").await;
    assert_eq!(
        sign_in(&app, &app.http, "+79167100006", PASSWORD)
            .await
            .status(),
        303
    );
    let html = app.get("/cabinet/security").await.text().await.unwrap();
    let csrf = csrf_of(&html);
    let r = app
        .http
        .post(app.url("/cabinet/security/totp"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = app.get("/cabinet/security").await.text().await.unwrap();
    assert!(html.contains("<svg"), "the QR code is inline");
    let at = html.find("id=\"totp-key\">").unwrap() + "id=\"totp-key\">".len();
    let key = TotpKey::from_base32(&html[at..at + 39]).unwrap();
    let code = key.code_at(time::OffsetDateTime::now_utc()).unwrap();
    let r = app
        .http
        .post(app.url("/cabinet/security/totp/confirm"))
        .form(&[("csrf", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("id=\"backup-codes\""));

    let http = client();
    let r = sign_in(&app, &http, "+79167100006", PASSWORD).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login/factor?next=/cabinet");
    let r = http.get(app.url("/cabinet")).send().await.unwrap();
    assert_eq!(r.status(), 303, "half-way is not signed in");
    let page = http
        .get(app.url("/login/factor?next=/cabinet"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csrf = csrf_of(&page.text().await.unwrap());
    let r = http
        .post(app.url("/login/factor"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("code", "000000"),
            ("next", "/cabinet"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"code-error\""));
    // The factor page without a half-way session goes back to the start.
    let r = client().get(app.url("/login/factor")).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/login");
    app.shutdown().await;
}

/// The documented demo accounts: by SNILS at the standard level, and with
/// the documented TOTP key; seeding again on restart adds nothing.
#[tokio::test]
async fn demo_accounts_sign_in_as_documented() {
    use propusk_core::factor::TotpKey;
    use propusk_service::demo::{DEMO_PASSWORD, DEMO_TOTP_KEY};
    let db = TestDb::new(Backend::Sqlite).await;
    let url = db.url.clone();
    let app = TestApp::spawn_url(url.clone(), |s| s.demo = true).await;
    let r = sign_in(&app, &app.http, "145-678-932 12", DEMO_PASSWORD).await;
    assert_eq!(r.headers()["location"], "/cabinet");
    let html = app.get("/cabinet").await.text().await.unwrap();
    assert!(html.contains("Волкова Мария Александровна"));
    assert!(html.contains("стандартная") && html.contains("145-678-932 12"));

    let http = client();
    let r = sign_in(&app, &http, "+7 900 000-00-04", DEMO_PASSWORD).await;
    assert_eq!(r.headers()["location"], "/login/factor?next=/cabinet");
    let page = http.get(app.url("/login/factor")).send().await.unwrap();
    let csrf = csrf_of(&page.text().await.unwrap());
    let code = TotpKey::from_base32(DEMO_TOTP_KEY)
        .unwrap()
        .code_at(time::OffsetDateTime::now_utc())
        .unwrap();
    let r = http
        .post(app.url("/login/factor"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("code", code.as_str()),
            ("next", "/cabinet"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/cabinet");
    // The data dir goes with the app; keep its key ring for the restart.
    let keep = propusk_e2e::TempDir::new();
    let key = keep.0.join("keyring");
    std::fs::copy(app.data_dir.join("keyring"), &key).unwrap();
    app.shutdown().await;

    // A restart on the same data seeds nothing twice.
    let again = TestApp::spawn_url(url, |s| {
        s.demo = true;
        s.key_file = Some(key);
    })
    .await;
    let r = sign_in(&again, &client(), "+79000000001", DEMO_PASSWORD).await;
    assert_eq!(r.headers()["location"], "/cabinet");
    again.shutdown().await;
    drop(db);
}

/// Recovery by SMS over HTTP, and the same answer for a phone with no account.
#[tokio::test]
async fn recovery_pages_by_sms_and_password_change() {
    use propusk_service::demo::DEMO_PASSWORD;
    let app = TestApp::spawn_with(TestDb::new(Backend::Sqlite).await, |s| s.demo = true).await;
    let csrf = propusk_e2e::pages::get_csrf(&app, "/recover").await;
    let start = |login: &'static str| {
        let (http, url, csrf) = (app.http.clone(), app.url("/recover"), csrf.clone());
        async move {
            http.post(url)
                .form(&[("csrf", csrf.as_str()), ("login", login)])
                .send()
                .await
                .unwrap()
        }
    };
    let known = start("+79000000001").await;
    let unknown = start("+79000009999").await;
    assert_eq!(known.status(), 303);
    assert_eq!(unknown.status(), 303);
    let to_known = known.headers()["location"].to_str().unwrap().to_owned();
    assert!(to_known.starts_with("/recover/code?r="));
    assert!(
        unknown.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/recover/code?r=")
    );
    let request = to_known.split("r=").nth(1).unwrap().to_owned();
    let code = propusk_e2e::pages::latest_code(&app, "+79000000001").await;
    let r = app
        .http
        .post(app.url("/recover/code"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("request", request.as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let grant = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(grant.starts_with("/recover/password?c="));
    let page = app.get(&grant).await.text().await.unwrap();
    let (c, t) = (
        propusk_e2e::pages::field_value(&page, "c"),
        propusk_e2e::pages::field_value(&page, "t"),
    );
    let r = app
        .http
        .post(app.url("/recover/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("c", c.as_str()),
            ("t", t.as_str()),
            ("new_password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("id=\"new_password-error\"")
    );
    let r = app
        .http
        .post(app.url("/recover/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("c", c.as_str()),
            ("t", t.as_str()),
            ("new_password", "Quartz-Meadow-58"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/login?recovered=1");
    assert_eq!(
        sign_in(&app, &client(), "+79000000001", DEMO_PASSWORD)
            .await
            .status(),
        422
    );

    // Changing it again from the security page.
    let http = client();
    assert_eq!(
        sign_in(&app, &http, "+79000000001", "Quartz-Meadow-58")
            .await
            .status(),
        303
    );
    let html = http
        .get(app.url("/cabinet/security"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let r = http
        .post(app.url("/cabinet/security/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current_password", "wrong"),
            ("new_password", "Amber-Valley-93"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("id=\"current_password-error\"")
    );
    let r = http
        .post(app.url("/cabinet/security/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current_password", "Quartz-Meadow-58"),
            ("new_password", "Amber-Valley-93"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Пароль изменён"));
    assert_eq!(
        sign_in(&app, &client(), "+79000000001", "Amber-Valley-93")
            .await
            .status(),
        303
    );
    app.shutdown().await;
}
