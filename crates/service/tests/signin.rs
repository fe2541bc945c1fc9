//! Sign-in, lockout, per-address limits, sessions and history on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{PASSWORD, client, registered, services};
use propusk_service::ServiceError;
use propusk_store::audit;
use propusk_store::signin::Outcome;
use propusk_testkit::both_backends;
use time::Duration;

both_backends! {
    async fn sign_in_by_phone_opens_a_session(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let id = registered(&s, "+79165550201").await;
        let c = client("192.0.2.1");
        let signed = s.sign_in("8 916 555-02-01", PASSWORD, &c).await.unwrap();
        assert_eq!(signed.account_id, id);
        assert!(signed.session.device_token.is_some(), "a new browser gets a device cookie");
        let current = s.session(&signed.session.token).await.unwrap().expect("live session");
        assert_eq!(current.account_id, id);
        assert_eq!(s.session("not-a-token").await.unwrap(), None);

        // Idle timeout: 29 minutes keep it (and touch it), 30 more end it.
        clock.advance(Duration::minutes(29));
        assert!(s.session(&signed.session.token).await.unwrap().is_some());
        clock.advance(Duration::minutes(29));
        assert!(s.session(&signed.session.token).await.unwrap().is_some());
        clock.advance(Duration::minutes(30));
        assert_eq!(s.session(&signed.session.token).await.unwrap(), None);
        assert!(matches!(audit::verify(&s.db).await.unwrap(), audit::Verdict::Intact { .. }));
    }

    async fn sessions_end_at_the_absolute_limit(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        registered(&s, "+79165550202").await;
        let signed = s.sign_in("+79165550202", PASSWORD, &client("192.0.2.2")).await.unwrap();
        for _ in 0..24 {
            clock.advance(Duration::minutes(29));
            if s.session(&signed.session.token).await.unwrap().is_none() {
                break;
            }
        }
        // 24 × 29 min = 11 h 36 min alive; the 25th step passes 12 hours.
        clock.advance(Duration::minutes(29));
        assert_eq!(s.session(&signed.session.token).await.unwrap(), None);
    }

    async fn wrong_and_unknown_logins_get_the_same_answer(tdb: TestDb) {
        let (s, _) = services(&tdb).await;
        registered(&s, "+79165550203").await;
        let c = client("192.0.2.3");
        assert!(matches!(s.sign_in("+79165550203", "Wrong-Password-1", &c).await, Err(ServiceError::BadCredentials)));
        assert!(matches!(s.sign_in("+79165559999", PASSWORD, &c).await, Err(ServiceError::BadCredentials)));
        assert!(matches!(s.sign_in("nobody@example.ru", PASSWORD, &c).await, Err(ServiceError::BadCredentials)));
        assert!(matches!(s.sign_in("gibberish", PASSWORD, &c).await, Err(ServiceError::BadCredentials)));
    }

    async fn five_failures_lock_with_doubling_waits(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let id = registered(&s, "+79165550204").await;
        let c = client("192.0.2.4");
        for _ in 0..4 {
            assert!(matches!(s.sign_in("+79165550204", "Wrong-1a", &c).await, Err(ServiceError::BadCredentials)));
        }
        // The fifth failure still answers "wrong", and starts a one-minute lock.
        assert!(matches!(s.sign_in("+79165550204", "Wrong-1a", &c).await, Err(ServiceError::BadCredentials)));
        let now = clock.now_for_test();
        match s.sign_in("+79165550204", PASSWORD, &c).await {
            Err(ServiceError::Locked { until }) => assert_eq!(until, now + Duration::minutes(1)),
            other => panic!("{other:?}"),
        }
        clock.advance(Duration::seconds(61));
        // One more failure: two minutes.
        assert!(matches!(s.sign_in("+79165550204", "Wrong-1a", &c).await, Err(ServiceError::BadCredentials)));
        match s.sign_in("+79165550204", PASSWORD, &c).await {
            Err(ServiceError::Locked { until }) => assert_eq!(until, clock.now_for_test() + Duration::minutes(2)),
            other => panic!("{other:?}"),
        }
        clock.advance(Duration::minutes(2));
        s.sign_in("+79165550204", PASSWORD, &c).await.unwrap();
        // Success clears the count.
        assert!(matches!(s.sign_in("+79165550204", "Wrong-1a", &c).await, Err(ServiceError::BadCredentials)));
        s.sign_in("+79165550204", PASSWORD, &c).await.unwrap();

        let (history, more) = s.sign_in_history(id, 0, 50).await.unwrap();
        assert!(!more);
        let results: Vec<Outcome> = history.iter().map(|h| h.result).collect();
        assert_eq!(results.iter().filter(|r| **r == Outcome::Locked).count(), 2);
        assert_eq!(results.iter().filter(|r| **r == Outcome::Success).count(), 2);
        assert_eq!(results.iter().filter(|r| **r == Outcome::WrongPassword).count(), 7);
        assert_eq!(history[0].ip, "192.0.2.4");
        assert_eq!(history[0].device, "Chrome, Linux");
    }

    async fn unknown_logins_lock_like_known_ones(tdb: TestDb) {
        let (s, _) = services(&tdb).await;
        let c = client("192.0.2.5");
        for _ in 0..5 {
            assert!(matches!(s.sign_in("+79165558888", "Wrong-1a", &c).await, Err(ServiceError::BadCredentials)));
        }
        assert!(matches!(s.sign_in("+79165558888", "Wrong-1a", &c).await, Err(ServiceError::Locked { .. })));
    }

    async fn one_address_is_limited_across_logins(tdb: TestDb) {
        let (mut s, clock) = services(&tdb).await;
        s.address_limit.max_failures = 6;
        let c = client("198.51.100.7");
        for i in 0..6 {
            let login = format!("+7916555{:04}", 3000 + i);
            assert!(matches!(s.sign_in(&login, "Wrong-1a", &c).await, Err(ServiceError::BadCredentials)));
        }
        assert!(matches!(s.sign_in("+79165554000", "Wrong-1a", &c).await, Err(ServiceError::RateLimited { .. })));
        // Another address is not affected; the first is free after the window.
        assert!(matches!(s.sign_in("+79165554000", "Wrong-1a", &client("198.51.100.8")).await, Err(ServiceError::BadCredentials)));
        clock.advance(Duration::minutes(16));
        assert!(matches!(s.sign_in("+79165554001", "Wrong-1a", &c).await, Err(ServiceError::BadCredentials)));
    }

    async fn sessions_are_listed_and_ended_by_their_owner(tdb: TestDb) {
        let (s, _) = services(&tdb).await;
        let id = registered(&s, "+79165550206").await;
        let a = s.sign_in("+79165550206", PASSWORD, &client("192.0.2.10")).await.unwrap();
        let b = s.sign_in("+79165550206", PASSWORD, &client("192.0.2.11")).await.unwrap();
        let c = s.sign_in("+79165550206", PASSWORD, &client("192.0.2.12")).await.unwrap();
        let other = registered(&s, "+79165550207").await;
        let stranger = s.sign_in("+79165550207", PASSWORD, &client("192.0.2.13")).await.unwrap();
        let cur_a = s.session(&a.session.token).await.unwrap().unwrap();
        let (list, more) = s.list_sessions(&cur_a, 0, 20).await.unwrap();
        assert_eq!(list.len(), 3);
        assert!(!more);
        assert!(list[0].current, "this session comes first");
        let (first, more) = s.list_sessions(&cur_a, 0, 2).await.unwrap();
        assert!(more && first.len() == 2);
        let (second, more) = s.list_sessions(&cur_a, 1, 2).await.unwrap();
        assert!(!more && second.len() == 1);
        assert!(list.iter().any(|v| v.current && v.id == a.session.id));
        assert!(list.iter().any(|v| v.ip == "192.0.2.11"));
        // Someone else's session cannot be ended from here.
        assert!(matches!(s.end_session(&cur_a, stranger.session.id).await, Err(ServiceError::NotFound)));
        s.end_session(&cur_a, b.session.id).await.unwrap();
        assert_eq!(s.session(&b.session.token).await.unwrap(), None);
        assert_eq!(s.end_other_sessions(&cur_a).await.unwrap(), 1);
        assert_eq!(s.session(&c.session.token).await.unwrap(), None);
        assert!(s.session(&a.session.token).await.unwrap().is_some());
        s.sign_out(&cur_a).await.unwrap();
        assert_eq!(s.session(&a.session.token).await.unwrap(), None);
        assert!(s.session(&stranger.session.token).await.unwrap().is_some());
        let _ = (id, other);
    }

    async fn a_new_device_gets_a_notice_a_known_one_does_not(tdb: TestDb) {
        let (s, _) = services(&tdb).await;
        registered(&s, "+79165550208").await;
        let count = |s: &propusk_service::Services| {
            let s = s.clone();
            async move {
                propusk_service::notify::recent(&s.db, &s.vault, 100).await.unwrap()
                    .iter().filter(|m| m.content.subject == "Вход с нового устройства").count()
            }
        };
        let mut c = client("192.0.2.20");
        // The very first sign-in after registration is expected: no notice.
        let first = s.sign_in("+79165550208", PASSWORD, &c).await.unwrap();
        assert_eq!(count(&s).await, 0);
        c.device_token = first.session.device_token.clone();
        let again = s.sign_in("+79165550208", PASSWORD, &c).await.unwrap();
        assert!(again.session.device_token.is_none(), "a known browser keeps its cookie");
        assert_eq!(count(&s).await, 0);
        // Another browser: a notice to the phone.
        s.sign_in("+79165550208", PASSWORD, &client("203.0.113.9")).await.unwrap();
        assert_eq!(count(&s).await, 1);
    }
}
