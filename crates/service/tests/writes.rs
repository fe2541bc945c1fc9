//! The node's group-committed writer on both databases: many concurrent
//! requests, each answered once its batch committed; a repeat among them
//! caught; a failed batch reported to its members without stopping the
//! writer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::services;
use propusk_core::audit::{Actor, NewEvent};
use propusk_service::writes::Once;
use propusk_store::audit::{self, Verdict};
use propusk_testkit::both_backends;
use time::{Duration, OffsetDateTime};

fn once(scope: &str, id: &str, now: OffsetDateTime) -> Once {
    Once {
        scope: scope.into(),
        id: id.into(),
        expires_at: now + Duration::minutes(5),
        now,
    }
}

both_backends! {
    async fn concurrent_writes_are_each_answered_after_commit(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let now = clock.now_for_test();
        let before = match audit::verify(&s.db).await.unwrap() {
            Verdict::Intact { events } => events,
            broken => panic!("{broken:?}"),
        };
        let mut tasks = Vec::new();
        for i in 0..300 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                // Every id twice at once, and every third request an audit event.
                let id = format!("jti-{}", i / 2);
                let fresh = s.writes.seen_once(&s.db, once("test", &id, now)).await.unwrap();
                if i % 3 == 0 {
                    // An event that depends on nothing; and one on a jti of its own.
                    let event = NewEvent::new(Actor::system(), "test.batched").subject(format!("n:{i}"));
                    assert!(s.writes.audit(&s.db, vec![], now, event.clone()).await.unwrap().is_empty());
                    let fresh = s.writes.audit(&s.db, vec![once("proof", &id, now), once("grant", &id, now)], now, event).await.unwrap();
                    assert_eq!(fresh, vec![true, true]);
                }
                fresh
            }));
        }
        let mut fresh = 0;
        for t in tasks {
            fresh += usize::from(t.await.unwrap());
        }
        assert_eq!(fresh, 150, "each of the 150 ids is fresh exactly once");
        // Answered means committed: visible at once, in one intact chain.
        assert_eq!(audit::verify(&s.db).await.unwrap(), Verdict::Intact { events: before + 200 });
        assert!(!s.writes.seen_once(&s.db, once("test", "jti-7", now)).await.unwrap());
        assert!(s.writes.seen_once(&s.db, once("other", "jti-7", now)).await.unwrap(), "scopes apart");
        // An event on a jti seen before is not written; the other, fresh
        // one is spent all the same.
        let event = NewEvent::new(Actor::system(), "test.replayed");
        let fresh = s.writes.audit(&s.db, vec![once("proof", "new", now), once("grant", "jti-0", now)], now, event).await.unwrap();
        assert_eq!(fresh, vec![true, false]);
        assert!(!s.writes.seen_once(&s.db, once("proof", "new", now)).await.unwrap());
        assert_eq!(audit::verify(&s.db).await.unwrap(), Verdict::Intact { events: before + 200 });
    }

    async fn a_failed_batch_fails_its_members_and_the_writer_goes_on(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let now = clock.now_for_test();
        let exec = |sql: &'static str| {
            let db = s.db.clone();
            async move {
                match &db {
                    propusk_store::Db::Sqlite(p, _) => sqlx::query(sql).execute(p).await.map(|_| ()).unwrap(),
                    propusk_store::Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()).unwrap(),
                }
            }
        };
        exec("ALTER TABLE seen_once RENAME TO seen_once_away").await;
        let failed = s.writes.seen_once(&s.db, once("test", "x", now)).await;
        assert!(failed.is_err(), "an error, not an answer");
        exec("ALTER TABLE seen_once_away RENAME TO seen_once").await;
        assert!(s.writes.seen_once(&s.db, once("test", "x", now)).await.unwrap(), "nothing of the failed batch was kept");
        let event = NewEvent::new(Actor::system(), "test.after");
        assert!(s.writes.audit(&s.db, vec![], now, event).await.unwrap().is_empty());
        assert!(matches!(audit::verify(&s.db).await.unwrap(), Verdict::Intact { .. }));
    }
}
