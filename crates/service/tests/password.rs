//! Changing the password and recovering access, on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{PASSWORD, client, last_code, registered, services};
use propusk_core::Lang;
use propusk_core::factor::TotpKey;
use propusk_service::ServiceError;
use propusk_service::password::{RecoveryProof, RecoveryStarted};
use propusk_service::profile::ProfileInput;
use propusk_testkit::both_backends;
use time::Duration;

const NEW: &str = "Quartz-Meadow-58";

both_backends! {
    async fn changing_the_password_ends_the_other_sessions(tdb: TestDb) {
        let (s, _) = services(&tdb).await;
        registered(&s, "+79165550401").await;
        let a = s.sign_in("+79165550401", PASSWORD, &client("192.0.2.40")).await.unwrap();
        let b = s.sign_in("+79165550401", PASSWORD, &client("192.0.2.41")).await.unwrap();
        let cur = s.session(&a.session.token).await.unwrap().unwrap();
        assert!(matches!(s.change_password(&cur, "Wrong-1a", NEW, Lang::Ru).await, Err(ServiceError::BadCredentials)));
        // The new one is checked against the rules and the person's own data.
        match s.change_password(&cur, PASSWORD, "Иванова-2026x", Lang::Ru).await {
            Err(ServiceError::Invalid(p)) => assert!(p.iter().all(|p| p.field == "new_password")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(s.change_password(&cur, PASSWORD, "short", Lang::Ru).await, Err(ServiceError::Invalid(_))));
        assert_eq!(s.change_password(&cur, PASSWORD, NEW, Lang::Ru).await.unwrap(), 1);
        assert!(s.session(&a.session.token).await.unwrap().is_some());
        assert!(s.session(&b.session.token).await.unwrap().is_none());
        assert!(matches!(s.sign_in("+79165550401", PASSWORD, &client("192.0.2.42")).await, Err(ServiceError::BadCredentials)));
        s.sign_in("+79165550401", NEW, &client("192.0.2.42")).await.unwrap();
    }

    async fn recovery_by_sms_sets_a_new_password_and_ends_every_session(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        registered(&s, "+79165550402").await;
        let a = s.sign_in("+79165550402", PASSWORD, &client("192.0.2.43")).await.unwrap();
        clock.advance(Duration::seconds(61));
        let RecoveryStarted::Sms { request } = s.start_recovery("8 916 555-04-02", Lang::Ru).await.unwrap() else {
            panic!("an SMS recovery");
        };
        let code = last_code(&s, "+79165550402").await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert!(matches!(s.confirm_recovery_code(request, wrong).await, Err(ServiceError::WrongCode { tries_left: 2 })));
        let query = s.confirm_recovery_code(request, &code).await.unwrap();
        let (c, t) = split(&query);
        assert!(!s.recovery_needs(&c, &t).await.unwrap().second_proof);
        // A weak password keeps the grant for another try.
        assert!(matches!(s.finish_recovery(&c, &t, "weak", &RecoveryProof::default(), &client("192.0.2.44")).await, Err(ServiceError::Invalid(_))));
        s.finish_recovery(&c, &t, NEW, &RecoveryProof::default(), &client("192.0.2.44")).await.unwrap();
        assert!(matches!(s.finish_recovery(&c, &t, NEW, &RecoveryProof::default(), &client("192.0.2.44")).await, Err(ServiceError::LinkInvalid)), "a grant works once");
        assert!(s.session(&a.session.token).await.unwrap().is_none(), "every session ended");
        s.sign_in("+79165550402", NEW, &client("192.0.2.44")).await.unwrap();
        // Unknown phones look the same from outside.
        let RecoveryStarted::Sms { request } = s.start_recovery("+79165559998", Lang::Ru).await.unwrap() else { panic!() };
        assert!(matches!(s.confirm_recovery_code(request, "123456").await, Err(ServiceError::WrongCode { .. })));
    }

    async fn with_a_second_factor_recovery_also_needs_a_backup_code_or_documents(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        registered(&s, "+79165550403").await;
        let a = s.sign_in("+79165550403", PASSWORD, &client("192.0.2.45")).await.unwrap();
        let cur = s.session(&a.session.token).await.unwrap().unwrap();
        let on_file = ProfileInput {
            birth_date: "1990-05-17".into(),
            gender: "female".into(),
            passport_number: "4510 123456".into(),
            passport_issue_date: "2010-05-20".into(),
            passport_issuer: "ОВД района Хамовники г. Москвы".into(),
            passport_division_code: "772-001".into(),
            snils: "112-233-445 95".into(),
            ..Default::default()
        };
        s.update_profile(&cur, &on_file).await.unwrap();
        let e = s.start_totp(&cur).await.unwrap();
        let key = TotpKey::from_base32(&e.key_text).unwrap();
        let backup = s.confirm_totp(&cur, &key.code_at(clock.now_for_test()).unwrap(), Lang::Ru).await.unwrap();
        clock.advance(Duration::seconds(61));
        let RecoveryStarted::Sms { request } = s.start_recovery("+79165550403", Lang::Ru).await.unwrap() else { panic!() };
        let code = last_code(&s, "+79165550403").await;
        let (c, t) = split(&s.confirm_recovery_code(request, &code).await.unwrap());
        assert!(s.recovery_needs(&c, &t).await.unwrap().second_proof);
        assert!(matches!(s.finish_recovery(&c, &t, NEW, &RecoveryProof::default(), &client("192.0.2.46")).await, Err(ServiceError::WrongFactorCode)));
        let snils_only = RecoveryProof { snils: "112-233-445 95".into(), ..Default::default() };
        assert!(matches!(s.finish_recovery(&c, &t, NEW, &snils_only, &client("192.0.2.46")).await, Err(ServiceError::WrongFactorCode)), "the SNILS alone is not enough");
        let other_passport = RecoveryProof { passport: "4510 654321".into(), snils: "112-233-445 95".into(), ..Default::default() };
        assert!(matches!(s.finish_recovery(&c, &t, NEW, &other_passport, &client("192.0.2.46")).await, Err(ServiceError::WrongFactorCode)), "not the passport on file");
        let documents = RecoveryProof { passport: "4510123456".into(), snils: "11223344595".into(), ..Default::default() };
        s.finish_recovery(&c, &t, NEW, &documents, &client("192.0.2.46")).await.unwrap();
        s.sign_in("+79165550403", NEW, &client("192.0.2.46")).await.unwrap();
        // A second time, with a backup code; it works once.
        clock.advance(Duration::seconds(61));
        let RecoveryStarted::Sms { request } = s.start_recovery("+79165550403", Lang::Ru).await.unwrap() else { panic!() };
        let code = last_code(&s, "+79165550403").await;
        let (c, t) = split(&s.confirm_recovery_code(request, &code).await.unwrap());
        let backup = RecoveryProof { backup_code: backup[0].clone(), ..Default::default() };
        s.finish_recovery(&c, &t, PASSWORD, &backup, &client("192.0.2.46")).await.unwrap();
        clock.advance(Duration::seconds(61));
        let RecoveryStarted::Sms { request } = s.start_recovery("+79165550403", Lang::Ru).await.unwrap() else { panic!() };
        let code = last_code(&s, "+79165550403").await;
        let (c, t) = split(&s.confirm_recovery_code(request, &code).await.unwrap());
        assert!(matches!(s.finish_recovery(&c, &t, NEW, &backup, &client("192.0.2.46")).await, Err(ServiceError::WrongFactorCode)), "a backup code is used once");
        let subjects: Vec<String> = propusk_service::notify::recent(&s.db, &s.vault, 50).await.unwrap()
            .into_iter().map(|m| m.content.subject).collect();
        assert!(subjects.iter().any(|x| x == "Доступ восстановлен"));
    }
}

fn split(query: &str) -> (String, String) {
    let mut c = String::new();
    let mut t = String::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("c", v)) => c = v.to_owned(),
            Some(("t", v)) => t = v.to_owned(),
            _ => {}
        }
    }
    (c, t)
}
