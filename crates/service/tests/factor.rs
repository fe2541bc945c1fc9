//! The second factor on both databases: enrolment, the factor step with TOTP,
//! backup codes and SMS, replay, lockout, and turning it off.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{PASSWORD, TestClock, client, last_code, registered, services};
use propusk_core::Lang;
use propusk_core::factor::TotpKey;
use propusk_service::sessions::Current;
use propusk_service::{ServiceError, Services};
use propusk_store::audit;
use propusk_store::sessions::Stage;
use propusk_store::signin::Outcome;
use propusk_testkit::both_backends;
use time::Duration;

/// Signs in, turns TOTP on; returns the key and the backup codes.
async fn with_totp(s: &Services, clock: &TestClock, phone: &str) -> (TotpKey, Vec<String>) {
    registered(s, phone).await;
    let signed = s
        .sign_in(phone, PASSWORD, &client("192.0.2.30"))
        .await
        .unwrap();
    assert_eq!(signed.stage, Stage::Full);
    let current = s.session(&signed.session.token).await.unwrap().unwrap();
    let enrolment = s.start_totp(&current).await.unwrap();
    assert!(enrolment.qr_svg.starts_with("<svg"));
    assert!(
        enrolment.otpauth_url.contains(&phone[1..]),
        "{}",
        enrolment.otpauth_url
    );
    let key = TotpKey::from_base32(&enrolment.key_text).unwrap();
    // A wrong first code keeps the enrolment open.
    assert!(matches!(
        s.confirm_totp(&current, "000000x", Lang::Ru).await,
        Err(ServiceError::WrongFactorCode)
    ));
    assert!(s.enrolment(&current).await.unwrap().is_some());
    let codes = s
        .confirm_totp(
            &current,
            &key.code_at(clock.now_for_test()).unwrap(),
            Lang::Ru,
        )
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    assert!(s.enrolment(&current).await.unwrap().is_none());
    assert!(matches!(
        s.start_totp(&current).await,
        Err(ServiceError::Conflict)
    ));
    clock.advance(Duration::seconds(30));
    (key, codes)
}

/// A session half-way through signing in, and its cookie value.
async fn pending(s: &Services, phone: &str) -> (Current, String) {
    let signed = s
        .sign_in(phone, PASSWORD, &client("192.0.2.31"))
        .await
        .unwrap();
    assert_eq!(signed.stage, Stage::SecondFactor);
    let c = s.session(&signed.session.token).await.unwrap().unwrap();
    assert_eq!(c.stage, Stage::SecondFactor);
    (c, signed.session.token)
}

both_backends! {
    async fn totp_signs_in_once_per_code(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let (key, _) = with_totp(&s, &clock, "+79165550301").await;
        let (p, token) = pending(&s, "+79165550301").await;
        let code = key.code_at(clock.now_for_test()).unwrap();
        let full = s.complete_sign_in(&p, &code, &client("192.0.2.31")).await.unwrap();
        let current = s.session(&full.token).await.unwrap().unwrap();
        assert_eq!(current.stage, Stage::Full);
        assert_ne!(current.id, p.id, "a new session id after the factor");
        assert!(s.session(&token).await.unwrap().is_none(), "the half-way session is gone");
        // The same code again, in a second sign-in within its step: refused.
        let (p2, _) = pending(&s, "+79165550301").await;
        assert!(matches!(s.complete_sign_in(&p2, &code, &client("192.0.2.31")).await, Err(ServiceError::WrongFactorCode)));
        clock.advance(Duration::seconds(30));
        let next = key.code_at(clock.now_for_test()).unwrap();
        s.complete_sign_in(&p2, &next, &client("192.0.2.31")).await.unwrap();
        assert!(matches!(audit::verify(&s.db).await.unwrap(), audit::Verdict::Intact { .. }));
    }

    async fn backup_codes_and_sms_are_alternatives(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let (_, codes) = with_totp(&s, &clock, "+79165550302").await;
        let (p, _) = pending(&s, "+79165550302").await;
        s.complete_sign_in(&p, &codes[0].to_uppercase(), &client("192.0.2.31")).await.unwrap();
        let (p, _) = pending(&s, "+79165550302").await;
        assert!(matches!(s.complete_sign_in(&p, &codes[0], &client("192.0.2.31")).await, Err(ServiceError::WrongFactorCode)), "a backup code works once");
        assert_eq!(s.factor_status(p.account_id).await.unwrap().backup_codes_left, 9);
        // The registration code went to the same phone under a minute ago.
        assert!(matches!(s.send_sign_in_sms(&p, Lang::Ru).await, Err(ServiceError::RateLimited { .. })));
        clock.advance(Duration::seconds(31));
        s.send_sign_in_sms(&p, Lang::Ru).await.unwrap();
        let sms = last_code(&s, "+79165550302").await;
        s.complete_sign_in(&p, &sms, &client("192.0.2.31")).await.unwrap();
    }

    async fn factor_guessing_locks_the_account(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let (key, _) = with_totp(&s, &clock, "+79165550303").await;
        // Four wrong passwords first: the right one does not lift the count.
        for _ in 0..4 {
            assert!(matches!(s.sign_in("+79165550303", "Wrong-1a", &client("192.0.2.32")).await, Err(ServiceError::BadCredentials)));
        }
        let (p, _) = pending(&s, "+79165550303").await;
        assert!(matches!(s.complete_sign_in(&p, "123456", &client("192.0.2.32")).await, Err(ServiceError::WrongFactorCode)));
        let code = key.code_at(clock.now_for_test()).unwrap();
        assert!(matches!(s.complete_sign_in(&p, &code, &client("192.0.2.32")).await, Err(ServiceError::Locked { .. })));
        let (history, _) = s.sign_in_history(p.account_id, 0, 50).await.unwrap();
        assert!(history.iter().any(|h| h.result == Outcome::FactorFailed));
        clock.advance(Duration::minutes(1));
        let (p, _) = pending(&s, "+79165550303").await;
        let code = key.code_at(clock.now_for_test()).unwrap();
        s.complete_sign_in(&p, &code, &client("192.0.2.32")).await.unwrap();
    }

    async fn half_way_sessions_expire_after_ten_minutes(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        with_totp(&s, &clock, "+79165550304").await;
        let (_, token) = pending(&s, "+79165550304").await;
        clock.advance(Duration::minutes(9));
        assert!(s.session(&token).await.unwrap().is_some());
        clock.advance(Duration::minutes(1));
        assert!(s.session(&token).await.unwrap().is_none());
    }

    async fn turning_off_needs_password_and_code(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let (key, codes) = with_totp(&s, &clock, "+79165550305").await;
        let (p, _) = pending(&s, "+79165550305").await;
        let full = s.complete_sign_in(&p, &codes[1], &client("192.0.2.33")).await.unwrap();
        let c = s.session(&full.token).await.unwrap().unwrap();
        let code = key.code_at(clock.now_for_test()).unwrap();
        assert!(matches!(s.disable_totp(&c, "Wrong-1a", &code, Lang::Ru).await, Err(ServiceError::BadCredentials)));
        assert!(matches!(s.disable_totp(&c, PASSWORD, "000000", Lang::Ru).await, Err(ServiceError::WrongFactorCode)));
        s.disable_totp(&c, PASSWORD, &code, Lang::Ru).await.unwrap();
        assert!(!s.has_second_factor(c.account_id).await.unwrap());
        let again = s.sign_in("+79165550305", PASSWORD, &client("192.0.2.33")).await.unwrap();
        assert_eq!(again.stage, Stage::Full);
        let subjects: Vec<String> = propusk_service::notify::recent(&s.db, &s.vault, 50).await.unwrap()
            .into_iter().map(|m| m.content.subject).collect();
        assert!(subjects.iter().any(|x| x == "Включён второй фактор"));
        assert!(subjects.iter().any(|x| x == "Второй фактор отключён"));
    }
}
