//! The profile page: server-side checks with messages next to fields,
//! SNILS unique among accounts, the identity check put in `Pending`, and
//! sign-in by the SNILS just entered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use propusk_e2e::pages::{PASSWORD, csrf_of, register, sign_in};
use propusk_e2e::{TestApp, both_backends, client};

fn form<'a>(csrf: &'a str, snils: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("birth_date", "1990-05-17"),
        ("birth_place", "г. Тверь"),
        ("gender", "female"),
        ("passport_number", "4510 123456"),
        ("passport_issue_date", "2010-05-20"),
        ("passport_issuer", "ОВД района Хамовники г. Москвы"),
        ("passport_division_code", "772-001"),
        ("snils", snils),
        ("inn", ""),
        ("address", "г. Москва, ул. Льва Толстого, д. 16"),
        ("postal_code", "119021"),
    ]
}

both_backends! {
    async fn the_profile_is_checked_kept_and_unique(db: TestDb) {
        let app = TestApp::spawn_with(db, |s| s.demo = true).await;
        register(&app, "+79167400001").await;
        assert_eq!(sign_in(&app, &app.http, "+79167400001", PASSWORD).await.status(), 303);
        let html = app.get("/cabinet/profile").await.text().await.unwrap();
        for token in ["bday", "sex", "street-address", "postal-code"] {
            assert!(html.contains(&format!("autocomplete=\"{token}\"")), "{token}");
        }
        let csrf = csrf_of(&html);

        // Волкова (a demo account) already has this SNILS.
        let r = app.http.post(app.url("/cabinet/profile")).form(&form(&csrf, "145-678-932 12")).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("уже указан в другой учётной записи"), "the duplicate is explained");
        assert!(html.contains("поддержку"), "with the way to support");
        assert!(html.contains("value=\"г. Тверь\""), "values are kept");

        // A wrong check digit is named next to the field.
        let r = app.http.post(app.url("/cabinet/profile")).form(&form(&csrf, "112-233-445 96")).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("id=\"snils-error\""));

        let r = app.http.post(app.url("/cabinet/profile")).form(&form(&csrf, "112-233-445 95")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("ожидают проверки"), "identity check pending");
        assert!(html.contains("value=\"4510 123456\"") && html.contains("value=\"772-001\""));

        // The SNILS now signs in, and the cabinet shows it.
        assert_eq!(sign_in(&app, &client(), "112-233-445 95", PASSWORD).await.status(), 303);
        let html = app.get("/cabinet").await.text().await.unwrap();
        assert!(html.contains("112-233-445 95"));
        app.shutdown().await;
    }
}

/// Deletion from the security page: the password is asked, the date shown,
/// and it can be cancelled.
#[tokio::test]
async fn deletion_is_asked_for_shown_and_cancelled() {
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    register(&app, "+79167400002").await;
    assert_eq!(
        sign_in(&app, &app.http, "+79167400002", PASSWORD)
            .await
            .status(),
        303
    );
    let html = app.get("/cabinet/security").await.text().await.unwrap();
    let csrf = csrf_of(&html);
    let r = app
        .http
        .post(app.url("/cabinet/security/delete"))
        .form(&[("csrf", csrf.as_str()), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"delete-error\""));
    let r = app
        .http
        .post(app.url("/cabinet/security/delete"))
        .form(&[("csrf", csrf.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("id=\"deletion-due\""));
    let r = app
        .http
        .post(app.url("/cabinet/security/delete/cancel"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("Удаление отменено") && !html.contains("id=\"deletion-due\""));
    app.shutdown().await;
}

/// Replacing the phone from the contacts page.
#[tokio::test]
async fn the_phone_is_replaced_after_its_code() {
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    register(&app, "+79167400003").await;
    assert_eq!(
        sign_in(&app, &app.http, "+79167400003", PASSWORD)
            .await
            .status(),
        303
    );
    let html = app.get("/cabinet/contacts").await.text().await.unwrap();
    assert!(html.contains("autocomplete=\"tel\"") && html.contains("autocomplete=\"email\""));
    let csrf = csrf_of(&html);
    let r = app
        .http
        .post(app.url("/cabinet/contacts/phone"))
        .form(&[("csrf", csrf.as_str()), ("value", "garbage")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"phone-error\""));
    let r = app
        .http
        .post(app.url("/cabinet/contacts/phone"))
        .form(&[("csrf", csrf.as_str()), ("value", "8 916 740-00-04")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let next = r.headers()["location"].to_str().unwrap().to_owned();
    let contact = next.split("c=").nth(1).unwrap().to_owned();
    let code = propusk_e2e::pages::latest_code(&app, "+79167400004").await;
    let r = app
        .http
        .post(app.url("/cabinet/contacts/phone/confirm"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("contact", contact.as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Телефон заменён") && html.contains("+79167400004"));
    assert!(!html.contains("+79167400003"), "the old phone is gone");
    app.shutdown().await;
}

both_backends! {
    /// With the registries unreachable, the page says so and when the next
    /// try is, and the account stays simplified.
    async fn a_registry_outage_is_shown_with_the_next_try(db: TestDb) {
        let dead = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", l.local_addr().unwrap())
        };
        // Demo mode for the outbox; the URL given wins over the in-process emulator.
        let app = TestApp::spawn_with(db, |s| {
            s.demo = true;
            s.registries_url = Some(dead);
        })
        .await;
        register(&app, "+79167400011").await;
        assert_eq!(sign_in(&app, &app.http, "+79167400011", PASSWORD).await.status(), 303);
        let csrf = csrf_of(&app.get("/cabinet/profile").await.text().await.unwrap());
        let r = app.http.post(app.url("/cabinet/profile")).form(&form(&csrf, "112-233-445 95")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let mut html = String::new();
        for _ in 0..100 {
            html = app.get("/cabinet/profile").await.text().await.unwrap();
            if html.contains("id=\"identity-next-try\"") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(html.contains("Реестр временно недоступен. Следующая попытка"), "{html}");
        assert!(html.contains("Реестр недоступен") && html.contains("МВД"), "the log names the registry");
        assert!(html.contains("ожидают проверки"), "still pending");
        let en = app.http.get(app.url("/cabinet/profile?lang=en")).send().await.unwrap().text().await.unwrap();
        assert!(en.contains("A registry is unavailable right now. Next try"), "{en}");
        app.shutdown().await;
    }
}
