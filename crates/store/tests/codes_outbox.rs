//! One-time codes and the outbox on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use propusk_store::codes::{self, CodeRow};
use propusk_store::outbox::{self, Channel, MessageRow};
use propusk_store::{Db, DbOptions, StoreError};
use propusk_testkit::{TestDb, both_backends};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

async fn open(tdb: &TestDb) -> Db {
    let db = Db::connect(&tdb.url, &DbOptions::default()).await.unwrap();
    db.migrate().await.unwrap();
    db
}

fn at(secs: i64) -> OffsetDateTime {
    propusk_core::time::truncate_micros(OffsetDateTime::now_utc()) + Duration::seconds(secs)
}

fn code(subject: &str, issued: OffsetDateTime, mac: &str) -> CodeRow {
    CodeRow {
        id: Uuid::now_v7(),
        purpose: "confirm_contact".into(),
        subject: subject.into(),
        contact_index: format!("contact-of-{subject}"),
        code_mac: mac.into(),
        issued_at: issued,
        expires_at: issued + Duration::minutes(5),
        failed: 0,
        used_at: None,
    }
}

async fn issue(db: &Db, c: &CodeRow) {
    let mut tx = db.begin().await.unwrap();
    codes::issue(&mut tx, c).await.unwrap();
    tx.commit().await.unwrap();
}

both_backends! {
    async fn a_new_code_replaces_the_old_one(tdb: TestDb) {
        let db = open(&tdb).await;
        let t0 = at(0);
        issue(&db, &code("s1", t0, "mac-a")).await;
        issue(&db, &code("s1", t0 + Duration::seconds(61), "mac-b")).await;
        let mut tx = db.begin().await.unwrap();
        let latest = codes::claim_latest(&mut tx, "confirm_contact", "s1").await.unwrap().unwrap();
        assert_eq!(latest.code_mac, "mac-b");
        codes::mark_used(&mut tx, latest.id, t0 + Duration::seconds(70)).await.unwrap();
        assert!(matches!(codes::mark_used(&mut tx, latest.id, t0).await, Err(StoreError::NotFound)));
        tx.commit().await.unwrap();
        // Both the retired and the used code are gone from play.
        let mut tx = db.begin().await.unwrap();
        assert_eq!(codes::claim_latest(&mut tx, "confirm_contact", "s1").await.unwrap(), None);
        // Both sends still count toward the contact's quota.
        let sent = codes::sent_since(&db, "contact-of-s1", t0 - Duration::hours(1)).await.unwrap();
        assert_eq!(sent, vec![t0, t0 + Duration::seconds(61)]);
    }

    async fn concurrent_wrong_tries_are_all_counted(tdb: TestDb) {
        let db = open(&tdb).await;
        issue(&db, &code("s2", at(0), "mac")).await;
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = db.begin().await.unwrap();
                let c = codes::claim_latest(&mut tx, "confirm_contact", "s2").await.unwrap().unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                codes::record_failure(&mut tx, c.id).await.unwrap();
                tx.commit().await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut tx = db.begin().await.unwrap();
        let c = codes::claim_latest(&mut tx, "confirm_contact", "s2").await.unwrap().unwrap();
        assert_eq!(c.failed, 10);
    }

    async fn outbox_keeps_sealed_bytes_newest_first(tdb: TestDb) {
        let db = open(&tdb).await;
        let mut tx = db.begin().await.unwrap();
        for (i, channel) in [Channel::Sms, Channel::Email, Channel::Push].into_iter().enumerate() {
            let m = MessageRow {
                id: Uuid::now_v7(),
                channel,
                recipient: vec![i as u8; 3],
                content: vec![0, 255, i as u8],
                created_at: at(i as i64),
                status: "pending".into(),
                attempts: 0,
            };
            outbox::enqueue(&mut tx, &m).await.unwrap();
        }
        tx.commit().await.unwrap();
        let recent = outbox::recent(&db, 2).await.unwrap();
        assert_eq!(recent.len(), 2);
        assert_eq!(recent[0].channel, Channel::Push);
        assert_eq!(recent[0].content, vec![0, 255, 2]);
        assert_eq!(recent[1].channel, Channel::Email);
        assert!(recent.iter().all(|m| m.status == "pending" && m.attempts == 0));
    }
}

async fn remember(
    db: &Db,
    scope: &str,
    id: &str,
    until: OffsetDateTime,
    now: OffsetDateTime,
) -> bool {
    let mut tx = db.begin().await.unwrap();
    let fresh = propusk_store::seen_once::remember(&mut tx, scope, id, until, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    fresh
}

both_backends! {
    /// An identifier is fresh once per scope while it is remembered; an
    /// expired memory gives way, and the purge drops only what expired.
    async fn one_time_identifiers_are_seen_once(tdb: TestDb) {
        let db = open(&tdb).await;
        let now = at(0);
        assert!(remember(&db, "jti:a", "x", at(600), now).await);
        assert!(!remember(&db, "jti:a", "x", at(600), now).await, "a replay");
        assert!(remember(&db, "jti:b", "x", at(600), now).await, "another issuer's");
        assert!(remember(&db, "jti:a", "old", at(10), now).await);
        assert!(remember(&db, "jti:a", "old", at(700), at(20)).await, "expired, so it may be used again");
        assert!(!remember(&db, "jti:a", "old", at(700), at(30)).await);
        assert_eq!(propusk_store::seen_once::purge(&db, at(650)).await.unwrap(), 2);
        assert!(!remember(&db, "jti:a", "old", at(800), at(650)).await, "still remembered until 700");
    }
}

both_backends! {
    /// The batched form answers each item as the single form would: fresh,
    /// a replay of a remembered one, a repeat within the batch, an expired
    /// memory giving way.
    async fn a_batch_of_identifiers_is_answered_item_by_item(tdb: TestDb) {
        let db = open(&tdb).await;
        assert!(remember(&db, "s", "seen", at(600), at(0)).await);
        assert!(remember(&db, "s", "old", at(10), at(0)).await);
        let items: Vec<(String, String, OffsetDateTime)> = [
            ("s", "new"), ("s", "seen"), ("s", "new"), ("t", "new"), ("s", "old"),
        ]
        .iter()
        .map(|(s, i)| (s.to_string(), i.to_string(), at(600)))
        .collect();
        let mut tx = db.begin().await.unwrap();
        let fresh = propusk_store::seen_once::remember_many(&mut tx, &items, at(20)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(fresh, vec![true, false, false, true, true]);
        assert!(!remember(&db, "s", "new", at(600), at(30)).await, "remembered");
    }
}
