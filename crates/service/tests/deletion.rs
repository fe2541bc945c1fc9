//! Account deletion with a grace period, and the housekeeping that erases
//! due accounts and old data, on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{PASSWORD, client, registered, services};
use propusk_core::Lang;
use propusk_core::account::AccountStatus;
use propusk_service::ServiceError;
use propusk_service::deletion::GRACE;
use propusk_store::{accounts, audit};
use propusk_testkit::both_backends;
use time::Duration;

both_backends! {
    async fn deletion_waits_thirty_days_then_erases(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let id = registered(&s, "+79165550501").await;
        let a = s.sign_in("+79165550501", PASSWORD, &client("192.0.2.50")).await.unwrap();
        let b = s.sign_in("+79165550501", PASSWORD, &client("192.0.2.51")).await.unwrap();
        let cur = s.session(&a.session.token).await.unwrap().unwrap();
        assert!(matches!(s.request_deletion(&cur, "Wrong-1a", "", Lang::Ru).await, Err(ServiceError::BadCredentials)));
        let due = s.request_deletion(&cur, PASSWORD, "", Lang::Ru).await.unwrap();
        assert_eq!(due, clock.now_for_test() + GRACE);
        assert!(s.session(&b.session.token).await.unwrap().is_none(), "other sessions end");
        // Changing one's mind.
        s.cancel_deletion(&cur, Lang::Ru).await.unwrap();
        assert_eq!(s.deletion_due(id).await.unwrap(), None);
        clock.advance(GRACE + Duration::days(1));
        assert_eq!(s.housekeeping().await.unwrap().accounts_erased, 0);

        let a = s.sign_in("+79165550501", PASSWORD, &client("192.0.2.50")).await.unwrap();
        let cur = s.session(&a.session.token).await.unwrap().unwrap();
        s.request_deletion(&cur, PASSWORD, "", Lang::Ru).await.unwrap();
        clock.advance(GRACE - Duration::minutes(1));
        assert_eq!(s.housekeeping().await.unwrap().accounts_erased, 0, "not before it is due");
        clock.advance(Duration::minutes(2));
        let report = s.housekeeping().await.unwrap();
        assert_eq!(report.accounts_erased, 1);
        assert_eq!(s.housekeeping().await.unwrap().accounts_erased, 0, "once");

        let row = accounts::get(&s.db, id).await.unwrap();
        assert_eq!(row.status, AccountStatus::Deleted);
        assert!(row.profile.is_empty() && row.password_hash.is_empty(), "personal data erased");
        assert!(accounts::contacts_of(&s.db, id).await.unwrap().is_empty());
        assert!(s.sign_in_history(id, 0, 10).await.unwrap().0.is_empty());
        assert!(matches!(s.sign_in("+79165550501", PASSWORD, &client("192.0.2.50")).await, Err(ServiceError::BadCredentials)));
        // The phone is free for a new account, and the audit chain is whole.
        clock.advance(Duration::minutes(2));
        registered(&s, "+79165550501").await;
        assert!(matches!(audit::verify(&s.db).await.unwrap(), audit::Verdict::Intact { .. }));
        let events = audit::recent_for_subject(&s.db, &format!("account:{id}"), 50).await.unwrap();
        assert!(events.iter().any(|e| e.action == "account.erased"));
    }
}
