//! Registration over HTTP: the form, CSRF, validation with values kept, the
//! SMS code from the demo outbox, and confirmation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use propusk_e2e::pages::{get_csrf, latest_code, registration as form};
use propusk_e2e::{TestApp, both_backends};
use propusk_testkit::Backend;

both_backends! {
    async fn register_and_confirm_over_http(db: TestDb) {
        let app = TestApp::spawn_with(db, |s| s.demo = true).await;
        let csrf = get_csrf(&app, "/register").await;
        let r = app.http.post(app.url("/register")).form(&form(&csrf, "+7 916 700-00-01", "Lilac-Harbour-71")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let confirm_url = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(confirm_url.starts_with("/register/confirm?r="));
        let registration = confirm_url.split("r=").nth(1).unwrap().to_owned();
        let page = app.get(&confirm_url).await.text().await.unwrap();
        assert!(page.contains("autocomplete=\"one-time-code\""));
        let code = latest_code(&app, "+79167000001").await;

        let wrong = if code == "000000" { "111111" } else { "000000" };
        let r = app
            .http
            .post(app.url("/register/confirm"))
            .form(&[("csrf", csrf.as_str()), ("registration", registration.as_str()), ("code", wrong)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("Осталось попыток: 2"));

        let r = app
            .http
            .post(app.url("/register/confirm"))
            .form(&[("csrf", csrf.as_str()), ("registration", registration.as_str()), ("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/register/done");
        app.shutdown().await;
    }
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let _ = get_csrf(&app, "/register").await; // the cookie is set
    for token in [
        "",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        let r = app
            .http
            .post(app.url("/register"))
            .form(&form(token, "+79167000002", "Lilac-Harbour-71"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "token {token:?}");
        assert!(r.text().await.unwrap().contains("Доступ запрещён"));
    }
    app.shutdown().await;
}

#[tokio::test]
async fn invalid_forms_come_back_with_values_and_errors_but_no_password() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let csrf = get_csrf(&app, "/register").await;
    let mut f = form(&csrf, "+7 495 000-00-00", "Secret-Word-1-petrova");
    f.retain(|(k, _)| *k != "pd_consent");
    let r = app
        .http
        .post(app.url("/register"))
        .form(&f)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("value=\"Петрова\""),
        "entered values are kept"
    );
    assert!(html.contains("value=\"+7 495 000-00-00\""));
    assert!(
        !html.contains("Secret-Word"),
        "the password is never sent back"
    );
    for id in ["phone-error", "password-error", "pd_consent-error"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(html.contains("aria-invalid=\"true\""));
    app.shutdown().await;
}

#[tokio::test]
async fn the_form_speaks_to_browsers_and_password_managers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let html = app.get("/register?lang=en").await.text().await.unwrap();
    for token in [
        "family-name",
        "given-name",
        "additional-name",
        "tel",
        "email",
        "new-password",
    ] {
        assert!(
            html.contains(&format!("autocomplete=\"{token}\"")),
            "{token}"
        );
    }
    for id in [
        "last_name",
        "first_name",
        "middle_name",
        "phone",
        "email",
        "password",
        "pd_consent",
    ] {
        assert!(
            html.contains(&format!("<label for=\"{id}\"")),
            "label for {id}"
        );
    }
    assert!(html.contains("152-FZ"));
    app.shutdown().await;
}

#[tokio::test]
async fn the_demo_outbox_exists_only_in_demo_mode() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(app.get("/dev/outbox").await.status(), 404);
    assert_eq!(app.get("/dev/outbox.json").await.status(), 404);
    app.shutdown().await;
}

#[tokio::test]
async fn only_pages_set_the_csrf_cookie() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for path in ["/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"] {
        let r = app.get(path).await;
        assert!(
            r.headers().get("set-cookie").is_none(),
            "{path} sets a cookie"
        );
    }
    let r = app.get("/register").await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("propusk_csrf="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    app.shutdown().await;
}
