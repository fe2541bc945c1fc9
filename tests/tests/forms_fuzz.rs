//! No input makes a form handler fail: arbitrary text (any Unicode, control
//! characters, very long values, missing fields) in every field of every
//! state-changing form gets an answer a person can act on, never a 5xx.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use propusk_e2e::TestApp;
use propusk_e2e::pages::{PASSWORD, csrf_of, register, sign_in};

/// Each form and its fields.
const FORMS: &[(&str, &[&str])] = &[
    (
        "/register",
        &[
            "last_name",
            "first_name",
            "middle_name",
            "phone",
            "email",
            "password",
            "pd_consent",
        ],
    ),
    ("/register/confirm", &["registration", "code"]),
    ("/register/resend", &["registration"]),
    ("/register/email", &["c", "t"]),
    ("/login", &["login", "password", "next"]),
    ("/recover", &["login"]),
    ("/recover/code", &["request", "code"]),
    (
        "/recover/password",
        &["c", "t", "new_password", "backup_code", "passport", "snils"],
    ),
    (
        "/cabinet/profile",
        &[
            "birth_date",
            "birth_place",
            "gender",
            "passport_number",
            "passport_issue_date",
            "passport_issuer",
            "passport_division_code",
            "snils",
            "inn",
            "address",
            "postal_code",
        ],
    ),
    ("/cabinet/contacts/phone", &["value"]),
    ("/cabinet/contacts/phone/confirm", &["contact", "code"]),
    ("/cabinet/sessions/end", &["session"]),
    (
        "/cabinet/security/password",
        &["current_password", "new_password"],
    ),
    ("/cabinet/security/totp/confirm", &["code"]),
    ("/cabinet/security/totp/disable", &["password", "code"]),
];

fn value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        4 => any::<String>().prop_map(Some),
        1 => "[0-9 +()-]{0,30}".prop_map(Some),
        1 => (0usize..5000).prop_map(|n| Some("я".repeat(n))),
    ]
}

#[test]
fn no_form_input_makes_a_server_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (app, csrf) = rt.block_on(async {
        let app =
            TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
        register(&app, "+79167500001").await;
        assert_eq!(
            sign_in(&app, &app.http, "+79167500001", PASSWORD)
                .await
                .status(),
            303
        );
        let csrf = csrf_of(&app.get("/cabinet/security").await.text().await.unwrap());
        (app, csrf)
    });
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..FORMS.len(), proptest::collection::vec(value(), 11));
    runner
        .run(&strategy, |(form, values)| {
            let (path, fields) = FORMS[form];
            let mut body: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
            for (name, v) in fields.iter().zip(values) {
                if let Some(v) = v {
                    body.push(((*name).to_owned(), v));
                }
            }
            let status = rt.block_on(async {
                app.http
                    .post(app.url(path))
                    .form(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
            });
            prop_assert!(
                status.is_success() || status.is_redirection() || status.is_client_error(),
                "{path} answered {status} to {body:?}"
            );
            Ok(())
        })
        .unwrap();
    rt.block_on(app.shutdown());
}
