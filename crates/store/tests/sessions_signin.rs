//! Sessions, sign-in history and lockout counters on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use propusk_core::account::{AccountKind, AccountStatus};
use propusk_store::accounts::{self, AccountRow};
use propusk_store::factors;
use propusk_store::sessions::{self, SessionRow, Stage};
use propusk_store::signin::{self, EventRow, Outcome};
use propusk_store::{Db, DbOptions, StoreError};
use propusk_testkit::{TestDb, both_backends};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

async fn open(tdb: &TestDb) -> Db {
    let db = Db::connect(&tdb.url, &DbOptions::default()).await.unwrap();
    db.migrate().await.unwrap();
    db
}

fn now() -> OffsetDateTime {
    propusk_core::time::truncate_micros(OffsetDateTime::now_utc())
}

async fn account(db: &Db) -> Uuid {
    let t = now();
    let id = Uuid::now_v7();
    let row = AccountRow {
        id,
        kind: AccountKind::Person,
        status: AccountStatus::Active,
        trust_level: None,
        profile: vec![1],
        password_hash: "x".into(),
        pd_consent_version: "v".into(),
        pd_consent_at: t,
        created_at: t,
        updated_at: t,
    };
    let mut tx = db.begin().await.unwrap();
    accounts::insert(&mut tx, &row).await.unwrap();
    tx.commit().await.unwrap();
    id
}

fn session(account_id: Uuid, token: &str, created: OffsetDateTime) -> SessionRow {
    SessionRow {
        id: Uuid::now_v7(),
        token_hash: token.into(),
        account_id,
        stage: Stage::Full,
        device: vec![7],
        created_at: created,
        last_seen_at: created,
        ended_at: None,
        end_reason: None,
    }
}

both_backends! {
    async fn sessions_are_found_listed_and_ended(tdb: TestDb) {
        let db = open(&tdb).await;
        let a = account(&db).await;
        let t0 = now();
        let s1 = session(a, "hash-1", t0);
        let s2 = session(a, "hash-2", t0 + Duration::seconds(1));
        let s3 = session(a, "hash-3", t0 + Duration::seconds(2));
        let mut tx = db.begin().await.unwrap();
        for s in [&s1, &s2, &s3] {
            sessions::insert(&mut tx, s).await.unwrap();
        }
        tx.commit().await.unwrap();
        assert_eq!(sessions::by_token_hash(&db, "hash-2").await.unwrap().unwrap(), s2);
        assert_eq!(sessions::by_token_hash(&db, "nope").await.unwrap(), None);
        // The asking session first, then by last activity; paged.
        assert_eq!(alive(&db, a, s1.id, t0 - Duration::minutes(1), 0).await, vec![s1.id, s3.id]);
        assert_eq!(alive(&db, a, s1.id, t0 - Duration::minutes(1), 2).await, vec![s2.id]);

        sessions::touch(&db, s1.id, t0 + Duration::minutes(2)).await.unwrap();
        let s1_now = sessions::by_token_hash(&db, "hash-1").await.unwrap().unwrap();
        assert_eq!(s1_now.last_seen_at, t0 + Duration::minutes(2));
        // Idle ones drop out.
        assert_eq!(alive(&db, a, s3.id, t0 + Duration::seconds(30), 0).await, vec![s1.id]);

        let mut tx = db.begin().await.unwrap();
        sessions::end(&mut tx, a, s2.id, "signed_out", t0).await.unwrap();
        // Another account cannot end it, and an ended one cannot end twice.
        assert!(matches!(sessions::end(&mut tx, Uuid::now_v7(), s1.id, "x", t0).await, Err(StoreError::NotFound)));
        assert!(matches!(sessions::end(&mut tx, a, s2.id, "x", t0).await, Err(StoreError::NotFound)));
        assert_eq!(sessions::end_all_but(&mut tx, a, Some(s3.id), "ended_by_owner", t0).await.unwrap(), 1);
        tx.commit().await.unwrap();
        assert_eq!(alive(&db, a, s1.id, t0 - Duration::minutes(1), 0).await, vec![s3.id]);
        let ended = sessions::by_token_hash(&db, "hash-1").await.unwrap().unwrap();
        assert_eq!(ended.end_reason.as_deref(), Some("ended_by_owner"));
    }

    async fn token_hashes_are_unique(tdb: TestDb) {
        let db = open(&tdb).await;
        let a = account(&db).await;
        let mut tx = db.begin().await.unwrap();
        sessions::insert(&mut tx, &session(a, "same", now())).await.unwrap();
        let again = sessions::insert(&mut tx, &session(a, "same", now())).await;
        assert!(matches!(again, Err(StoreError::Conflict { .. })), "{again:?}");
    }

    async fn failures_are_counted_by_every_writer(tdb: TestDb) {
        let db = open(&tdb).await;
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..5 {
                    let mut tx = db.begin().await.unwrap();
                    signin::count_attempt(&mut tx, "login:x", now()).await.unwrap();
                    tx.commit().await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut tx = db.begin().await.unwrap();
        assert_eq!(signin::lock_of(&mut tx, "login:x").await.unwrap().failures, 40);
        let until = now() + Duration::minutes(4);
        signin::set_locked_until(&mut tx, "login:x", until).await.unwrap();
        assert_eq!(signin::lock_of(&mut tx, "login:x").await.unwrap().locked_until, Some(until));
        // A locked key refuses without counting; once the lock is over it counts again.
        assert_eq!(signin::count_attempt(&mut tx, "login:x", now()).await.unwrap(), signin::Attempt::Locked { until });
        assert_eq!(signin::lock_of(&mut tx, "login:x").await.unwrap().failures, 40);
        let later = until + Duration::seconds(1);
        assert_eq!(
            signin::count_attempt(&mut tx, "login:x", later).await.unwrap(),
            signin::Attempt::Counted { failures: 41, before: signin::Lock { failures: 40, locked_until: Some(until) } }
        );
        signin::reset(&mut tx, "login:x").await.unwrap();
        assert_eq!(signin::lock_of(&mut tx, "login:x").await.unwrap(), signin::Lock::default());
        tx.commit().await.unwrap();
    }

    async fn history_pages_and_counts_failures_by_address(tdb: TestDb) {
        let db = open(&tdb).await;
        let a = account(&db).await;
        let t0 = now() - Duration::hours(1);
        let mut tx = db.begin().await.unwrap();
        for i in 0..12 {
            let result = if i % 3 == 0 { Outcome::Success } else { Outcome::WrongPassword };
            signin::record(&mut tx, &EventRow {
                id: Uuid::now_v7(),
                at: t0 + Duration::minutes(i),
                account_id: Some(a),
                ip_index: if i < 6 { "ip-a".into() } else { "ip-b".into() },
                device: vec![1],
                device_hash: (result == Outcome::Success).then(|| format!("dev-{i}")),
                result,
            }).await.unwrap();
        }
        tx.commit().await.unwrap();
        let page1 = signin::history(&db, a, t0 - Duration::days(90), 5, 0).await.unwrap();
        let page3 = signin::history(&db, a, t0 - Duration::days(90), 5, 10).await.unwrap();
        assert_eq!(page1.len(), 5);
        assert_eq!(page1[0].at, t0 + Duration::minutes(11));
        assert_eq!(page3.len(), 2);
        assert_eq!(page3[1].at, t0);
        assert_eq!(signin::failures_from(&db, "ip-a", t0 - Duration::minutes(1)).await.unwrap().len(), 4);
        assert_eq!(signin::failures_from(&db, "ip-a", t0 + Duration::minutes(3)).await.unwrap().len(), 2);
        assert_eq!(signin::device_seen(&db, a, "dev-3").await.unwrap(), signin::DeviceSeen { known: true, any_before: true });
        assert_eq!(signin::device_seen(&db, a, "dev-1").await.unwrap(), signin::DeviceSeen { known: false, any_before: true });
        assert_eq!(signin::device_seen(&db, Uuid::now_v7(), "dev-3").await.unwrap(), signin::DeviceSeen { known: false, any_before: false });
        assert_eq!(signin::purge(&db, t0 + Duration::minutes(6)).await.unwrap(), 6);
        assert_eq!(signin::history(&db, a, t0 - Duration::days(90), 50, 0).await.unwrap().len(), 6);
    }

    async fn instants_in_the_same_second_compare_as_time(tdb: TestDb) {
        // On SQLite instants are text: `.12` and `.123`, or `:00` and `:00.5`,
        // must still compare as the instants they are.
        let db = open(&tdb).await;
        let a = account(&db).await;
        let second = time::macros::datetime!(2026-11-24 12:00:00 UTC);
        let mut tx = db.begin().await.unwrap();
        for ms in [0, 123, 500] {
            signin::record(&mut tx, &EventRow {
                id: Uuid::now_v7(), at: second + Duration::milliseconds(ms), account_id: Some(a),
                ip_index: "ip-t".into(), device: vec![1], device_hash: None, result: Outcome::WrongPassword,
            }).await.unwrap();
        }
        tx.commit().await.unwrap();
        let after = |ms: i64| {
            let db = db.clone();
            async move { signin::failures_from(&db, "ip-t", second + Duration::milliseconds(ms)).await.unwrap().len() }
        };
        assert_eq!(after(-1).await, 3);
        assert_eq!(after(0).await, 2);
        assert_eq!(after(120).await, 2, ".123 is after .12");
        assert_eq!(after(124).await, 1);
        assert_eq!(after(500).await, 0);
    }

    async fn snils_index_is_unique_and_finds_the_account(tdb: TestDb) {
        let db = open(&tdb).await;
        let a = account(&db).await;
        let b = account(&db).await;
        let mut tx = db.begin().await.unwrap();
        accounts::set_ident_indexes(&mut tx, a, Some("snils-1"), Some("inn-1"), now()).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        let dup = accounts::set_ident_indexes(&mut tx, b, Some("snils-1"), None, now()).await;
        assert!(matches!(dup, Err(StoreError::Conflict { .. })), "{dup:?}");
        tx.rollback().await.unwrap();
        assert_eq!(accounts::find_by_snils(&db, "snils-1").await.unwrap(), Some(a));
        assert_eq!(accounts::find_by_snils(&db, "snils-2").await.unwrap(), None);
        let found = accounts::for_sign_in(&db, accounts::LoginIndex::Snils("snils-1"), "").await.unwrap().unwrap();
        assert_eq!((found.account.id, found.has_totp), (a, false));
        let mut tx = db.begin().await.unwrap();
        factors::start_totp(&mut tx, a, b"sealed", now()).await.unwrap();
        tx.commit().await.unwrap();
        let found = accounts::for_sign_in(&db, accounts::LoginIndex::Snils("snils-1"), "").await.unwrap().unwrap();
        assert!(!found.has_totp, "an enrolment not yet confirmed is no factor");
        let mut tx = db.begin().await.unwrap();
        factors::confirm_totp(&mut tx, a, now()).await.unwrap();
        tx.commit().await.unwrap();
        let found = accounts::for_sign_in(&db, accounts::LoginIndex::Snils("snils-1"), "").await.unwrap().unwrap();
        assert!(found.has_totp);
        assert_eq!(found.device, signin::DeviceSeen { known: false, any_before: false });
        // The device history comes with it.
        let mut tx = db.begin().await.unwrap();
        let event = EventRow {
            id: Uuid::now_v7(), at: now(), account_id: Some(a), ip_index: "ip".into(), device: vec![1],
            device_hash: Some("dev-9".into()), result: Outcome::Success,
        };
        signin::record(&mut tx, &event).await.unwrap();
        tx.commit().await.unwrap();
        let seen = |d: &'static str| {
            let db = db.clone();
            async move { accounts::for_sign_in(&db, accounts::LoginIndex::Snils("snils-1"), d).await.unwrap().unwrap().device }
        };
        assert_eq!(seen("dev-9").await, signin::DeviceSeen { known: true, any_before: true });
        assert_eq!(seen("dev-8").await, signin::DeviceSeen { known: false, any_before: true });
        assert_eq!(seen("").await, signin::DeviceSeen { known: false, any_before: true });
        assert_eq!(accounts::for_sign_in(&db, accounts::LoginIndex::Phone("snils-1"), "").await.unwrap(), None);
    }

    async fn totp_steps_and_backup_codes_are_accepted_once(tdb: TestDb) {
        let db = open(&tdb).await;
        let a = account(&db).await;
        let t = now();
        let mut tx = db.begin().await.unwrap();
        assert!(factors::start_totp(&mut tx, a, b"sealed-1", t).await.unwrap());
        assert!(factors::start_totp(&mut tx, a, b"sealed-2", t).await.unwrap(), "enrolment restarts");
        assert!(factors::accept_step(&mut tx, a, 100).await.unwrap());
        assert!(!factors::accept_step(&mut tx, a, 100).await.unwrap(), "same step refused");
        assert!(!factors::accept_step(&mut tx, a, 99).await.unwrap(), "older step refused");
        assert!(factors::confirm_totp(&mut tx, a, t).await.unwrap());
        assert!(!factors::start_totp(&mut tx, a, b"sealed-3", t).await.unwrap(), "a confirmed key stays");
        factors::replace_backup_codes(&mut tx, a, &["i1".into(), "i2".into()], t).await.unwrap();
        assert!(factors::use_backup_code(&mut tx, a, "i1", t).await.unwrap());
        assert!(!factors::use_backup_code(&mut tx, a, "i1", t).await.unwrap());
        assert!(!factors::use_backup_code(&mut tx, Uuid::now_v7(), "i2", t).await.unwrap());
        tx.commit().await.unwrap();
        let row = factors::totp_of(&db, a).await.unwrap().unwrap();
        assert_eq!((row.secret.as_slice(), row.last_step), (&b"sealed-2"[..], Some(100)));
        assert_eq!(factors::backup_codes_left(&db, a).await.unwrap(), 1);
        let mut tx = db.begin().await.unwrap();
        factors::remove_all(&mut tx, a).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(factors::totp_of(&db, a).await.unwrap(), None);
        assert_eq!(factors::backup_codes_left(&db, a).await.unwrap(), 0);
    }

    async fn a_refund_lifts_the_lock_it_caused(tdb: TestDb) {
        let db = open(&tdb).await;
        let mut tx = db.begin().await.unwrap();
        for _ in 0..5 {
            signin::count_attempt(&mut tx, "k", now()).await.unwrap();
        }
        signin::set_locked_until(&mut tx, "k", now() + Duration::minutes(1)).await.unwrap();
        signin::refund(&mut tx, "k", signin::Lock::default()).await.unwrap();
        assert_eq!(signin::lock_of(&mut tx, "k").await.unwrap(), signin::Lock { failures: 4, locked_until: None });
        tx.commit().await.unwrap();
    }
}

/// Ids of live sessions seen after `seen_after`, two per page.
async fn alive(
    db: &Db,
    account: Uuid,
    current: Uuid,
    seen_after: OffsetDateTime,
    offset: i64,
) -> Vec<Uuid> {
    let page = sessions::AlivePage {
        current,
        seen_after,
        created_after: seen_after - Duration::hours(12),
        limit: 2,
        offset,
    };
    sessions::alive_page(db, account, page)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect()
}
