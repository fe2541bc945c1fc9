//! Real delivery from a running server: the SMS code reaches an SMS gateway
//! on loopback and the confirmation email, with a working link, reaches an
//! SMTP server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::time::Duration;

use propusk_e2e::pages::{PASSWORD, csrf_of, get_csrf};
use propusk_e2e::{TestApp, both_backends};
use propusk_testkit::sinks::{HttpSink, SmtpSink};

/// Waits up to ten seconds for `f` to give something.
async fn eventually<T>(mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..100 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing arrived in 10 s");
}

both_backends! {
    async fn codes_and_links_arrive_by_sms_gateway_and_smtp(db: TestDb) {
        let smtp = SmtpSink::start().await;
        let gateway = HttpSink::start().await;
        let (smtp_url, sms_url) = (smtp.url(), gateway.url("/send"));
        let app = TestApp::spawn_with(db, |s| {
            s.smtp_url = Some(smtp_url);
            s.sms_gateway_url = Some(sms_url);
            s.mail_from = "Пропуск <noreply@propusk.test>".into();
        })
        .await;
        let csrf = get_csrf(&app, "/register").await;
        let form = [
            ("csrf", csrf.as_str()),
            ("last_name", "Орлова"),
            ("first_name", "Вера"),
            ("middle_name", ""),
            ("phone", "+7 916 730-00-01"),
            ("email", "vera.orlova@example.ru"),
            ("password", PASSWORD),
            ("pd_consent", "yes"),
        ];
        let r = app.http.post(app.url("/register")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let registration = r.headers()["location"].to_str().unwrap().split("r=").nth(1).unwrap().to_owned();

        // The SMS code, from the gateway.
        let sms = eventually(|| gateway.requests().into_iter().next()).await;
        let body: serde_json::Value = serde_json::from_str(&sms.body).unwrap();
        assert_eq!(body["to"], "+79167300001");
        let code: String = body["text"].as_str().unwrap().chars().filter(char::is_ascii_digit).collect();
        let r = app.http.post(app.url("/register/confirm"))
            .form(&[("csrf", csrf.as_str()), ("registration", registration.as_str()), ("code", code.as_str())])
            .send().await.unwrap();
        assert_eq!(r.headers()["location"], "/register/done");

        // The email, from the SMTP server: follow its link, press the button.
        let mail = eventually(|| smtp.mails().into_iter().next()).await;
        assert_eq!(mail.to, vec!["<vera.orlova@example.ru>".to_owned()]);
        assert!(mail.from.contains("noreply@propusk.test"));
        let text = &mail.texts()[0];
        assert!(text.contains("Подтвердите") || text.contains("подтвердить"), "{text}");
        let link = text
            .split_whitespace()
            .find(|w| w.starts_with(&app.base))
            .unwrap_or_else(|| panic!("a link to {} in {text}", app.base))
            .to_owned();
        assert!(link.starts_with(&format!("{}/register/email?c=", app.base)), "{link}");
        let page = app.http.get(&link).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        let (c, t) = (propusk_e2e::pages::field_value(&html, "c"), propusk_e2e::pages::field_value(&html, "t"));
        let csrf = csrf_of(&html);
        let confirm = |c: String, t: String| {
            let csrf = csrf.clone();
            let http = app.http.clone();
            let url = app.url("/register/email");
            async move { http.post(url).form(&[("csrf", csrf), ("c", c), ("t", t)]).send().await.unwrap() }
        };
        let wrong_t: String = t.chars().rev().collect();
        assert_eq!(confirm(c.clone(), wrong_t).await.status(), 422, "an altered token is refused");
        let r = confirm(c.clone(), t.clone()).await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/register/done");
        let again = confirm(c, t).await;
        assert_eq!(again.status(), 422, "a link works once");
        assert!(again.text().await.unwrap().contains("Ссылка недействительна"));
        app.shutdown().await;
    }
}

/// Registering with an email only: a page says to check the mail.
#[tokio::test]
async fn email_only_registration_waits_for_the_link() {
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    let csrf = get_csrf(&app, "/register").await;
    let r = app
        .http
        .post(app.url("/register"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("last_name", "Орлова"),
            ("first_name", "Вера"),
            ("phone", ""),
            ("email", "vera@example.ru"),
            ("password", PASSWORD),
            ("pd_consent", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/register/email-sent");
    let html = app.get("/register/email-sent").await.text().await.unwrap();
    assert!(html.contains("Мы отправили письмо"));
    app.shutdown().await;
}
