//! Registration and phone confirmation, end to end below the web layer, on
//! both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use propusk_core::Lang;
use propusk_core::account::{AccountStatus, TrustLevel};
use propusk_core::time::Clock;
use propusk_service::registration::Registration;
use propusk_service::{ServiceError, notify};
use propusk_store::{Db, accounts, audit};
use propusk_testkit::both_backends;
use time::Duration;

mod common;
use common::{form, last_code, services};

both_backends! {
    async fn register_confirm_and_activate(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let reg = s.register_person(form("8 (916) 555-01-02")).await.unwrap();
        let account = accounts::get(&s.db, reg.registration).await.unwrap();
        assert_eq!((account.status, account.trust_level), (AccountStatus::AwaitingConfirmation, None));
        let code = last_code(&s, "+79165550102").await;
        assert_eq!(code.len(), 6);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        match s.confirm_phone(reg.registration, wrong).await {
            Err(ServiceError::WrongCode { tries_left: 2 }) => {}
            other => panic!("{other:?}"),
        }
        clock.advance(Duration::minutes(2));
        s.confirm_phone(reg.registration, &format!(" {} {} ", &code[..3], &code[3..])).await.unwrap();
        let account = accounts::get(&s.db, reg.registration).await.unwrap();
        assert_eq!((account.status, account.trust_level), (AccountStatus::Active, Some(TrustLevel::Simplified)));
        // A code works once.
        assert!(matches!(s.confirm_phone(reg.registration, &code).await, Err(ServiceError::CodeExpired)));
        assert!(matches!(audit::verify(&s.db).await.unwrap(), audit::Verdict::Intact { events: 2 }));
    }

    async fn three_wrong_tries_and_expiry(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let reg = s.register_person(form("+79165550103")).await.unwrap();
        let code = last_code(&s, "+79165550103").await;
        let wrong = if code == "123456" { "654321" } else { "123456" };
        assert!(matches!(s.confirm_phone(reg.registration, wrong).await, Err(ServiceError::WrongCode { tries_left: 2 })));
        assert!(matches!(s.confirm_phone(reg.registration, wrong).await, Err(ServiceError::WrongCode { tries_left: 1 })));
        assert!(matches!(s.confirm_phone(reg.registration, wrong).await, Err(ServiceError::CodeExhausted)));
        assert!(matches!(s.confirm_phone(reg.registration, &code).await, Err(ServiceError::CodeExhausted)));
        // A new code after the resend pause; it expires after five minutes.
        assert!(matches!(s.resend_phone_code(reg.registration, Lang::Ru).await, Err(ServiceError::RateLimited { .. })));
        clock.advance(Duration::seconds(61));
        s.resend_phone_code(reg.registration, Lang::En).await.unwrap();
        let fresh = last_code(&s, "+79165550103").await;
        clock.advance(Duration::minutes(5));
        assert!(matches!(s.confirm_phone(reg.registration, &fresh).await, Err(ServiceError::CodeExpired)));
    }

    async fn at_most_five_codes_an_hour(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let reg = s.register_person(form("+79165550104")).await.unwrap();
        for _ in 0..4 {
            clock.advance(Duration::seconds(61));
            s.resend_phone_code(reg.registration, Lang::Ru).await.unwrap();
        }
        clock.advance(Duration::seconds(61));
        match s.resend_phone_code(reg.registration, Lang::Ru).await {
            Err(ServiceError::RateLimited { retry_at }) => assert!(retry_at > clock.now() + Duration::minutes(50)),
            other => panic!("{other:?}"),
        }
    }

    async fn a_taken_phone_reveals_nothing_and_warns_its_owner(tdb: TestDb) {
        let (s, _) = services(&tdb).await;
        let first = s.register_person(form("+79165550105")).await.unwrap();
        let code = last_code(&s, "+79165550105").await;
        s.confirm_phone(first.registration, &code).await.unwrap();

        let second = s.register_person(form("+79165550105")).await.unwrap();
        assert_ne!(second.registration, first.registration);
        assert!(accounts::get(&s.db, second.registration).await.is_err(), "no account for a taken phone");
        let newest = &notify::recent(&s.db, &s.vault, 1).await.unwrap()[0];
        assert_eq!(newest.to, "+79165550105");
        assert!(newest.content.body.contains("уже есть"), "{}", newest.content.body);
        // The confirmation step looks the same and no code opens it.
        assert!(matches!(s.confirm_phone(second.registration, &code).await, Err(ServiceError::WrongCode { .. })));
        s.resend_phone_code(second.registration, Lang::Ru).await.unwrap();
    }

    async fn every_form_problem_is_reported_at_once(tdb: TestDb) {
        let (s, _) = services(&tdb).await;
        let bad = Registration {
            last_name: "Ив@нов".into(),
            first_name: String::new(),
            middle_name: String::new(),
            phone: "+7 495 123-45-67".into(),
            email: "not-an-email".into(),
            password: "ivanov".into(),
            pd_consent: false,
            lang: Lang::En,
        };
        let Err(ServiceError::Invalid(problems)) = s.register_person(bad).await else { panic!("must fail") };
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        for f in ["last_name", "first_name", "phone", "email", "password", "pd_consent"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        assert!(problems.iter().all(|p| !p.message(Lang::Ru).is_empty() && !p.message(Lang::En).is_empty()));
        let Err(ServiceError::Invalid(problems)) = s.register_person(Registration { phone: String::new(), ..form("") }).await else {
            panic!("a contact is required")
        };
        assert_eq!(problems[0].code, "contact_required");
    }

    async fn personal_data_is_not_stored_in_the_clear(tdb: TestDb) {
        let (s, _) = services(&tdb).await;
        s.register_person(form("+79165550106")).await.unwrap();
        let dump: Vec<String> = match &s.db {
            Db::Sqlite(p, _) => {
                let rows: Vec<(Vec<u8>, Vec<u8>)> = sqlx::query_as("SELECT a.profile, c.value FROM accounts a JOIN contacts c ON c.account_id = a.id").fetch_all(p).await.unwrap();
                rows.into_iter().map(|(a, b)| format!("{}{}", String::from_utf8_lossy(&a), String::from_utf8_lossy(&b))).collect()
            }
            Db::Postgres(p) => {
                let rows: Vec<(Vec<u8>, Vec<u8>)> = sqlx::query_as("SELECT a.profile, c.value FROM accounts a JOIN contacts c ON c.account_id = a.id").fetch_all(p).await.unwrap();
                rows.into_iter().map(|(a, b)| format!("{}{}", String::from_utf8_lossy(&a), String::from_utf8_lossy(&b))).collect()
            }
        };
        assert_eq!(dump.len(), 1);
        assert!(!dump[0].contains("Иванова") && !dump[0].contains("9165550106"));
    }
}
