//! The audit chain on both databases: appends, tampering of every kind, and
//! many concurrent writers keeping one chain.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use propusk_core::audit::{Actor, Break, NewEvent};
use propusk_store::audit::{self, Verdict};
use propusk_store::{Db, DbOptions};
use propusk_testkit::{TestDb, both_backends};
use serde_json::json;
use time::OffsetDateTime;

async fn open(tdb: &TestDb) -> Db {
    let db = Db::connect(&tdb.url, &DbOptions::default())
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    db
}

fn event(i: usize) -> NewEvent {
    NewEvent::new(Actor::system(), "test.event")
        .subject(format!("subject-{}", i % 7))
        .details(json!({"i": i, "name": "Иванов", "nested": {"b": 2, "a": 1}}))
}

async fn append_n(db: &Db, n: usize) {
    for i in 0..n {
        audit::record(db, OffsetDateTime::now_utc(), &event(i))
            .await
            .expect("append");
    }
}

/// Runs SQL that the application itself never runs: an attacker with direct
/// database access, who first has to switch the append-only triggers off.
async fn tamper(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(pool, _) => {
            let mut c = pool.acquire().await.unwrap();
            sqlx::query("DROP TRIGGER IF EXISTS audit_events_no_update")
                .execute(&mut *c)
                .await
                .unwrap();
            sqlx::query("DROP TRIGGER IF EXISTS audit_events_no_delete")
                .execute(&mut *c)
                .await
                .unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut *c)
                .await
                .unwrap();
        }
        Db::Postgres(pool) => {
            let mut c = pool.acquire().await.unwrap();
            sqlx::query("ALTER TABLE audit_events DISABLE TRIGGER USER")
                .execute(&mut *c)
                .await
                .unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut *c)
                .await
                .unwrap();
        }
    }
}

fn broken_at(v: Verdict) -> i64 {
    match v {
        Verdict::Broken(b) => b.seq(),
        Verdict::Intact { events } => {
            panic!("chain of {events} events reported intact after tampering")
        }
    }
}

both_backends! {
    async fn migrations_are_idempotent(tdb: TestDb) {
        let db = Db::connect(&tdb.url, &DbOptions::default()).await.unwrap();
        assert!(db.migrate().await.unwrap() >= 1);
        assert_eq!(db.migrate().await.unwrap(), 0);
        db.ping().await.unwrap();
    }

    async fn empty_chain_is_intact(tdb: TestDb) {
        let db = open(&tdb).await;
        assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Intact { events: 0 });
    }

    async fn appended_events_verify_and_read_back(tdb: TestDb) {
        let db = open(&tdb).await;
        append_n(&db, 25).await;
        assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Intact { events: 25 });
        let recent = audit::recent_for_subject(&db, "subject-3", 10).await.unwrap();
        assert_eq!(recent.len(), 4);
        assert!(recent.windows(2).all(|w| w[0].seq > w[1].seq));
        assert_eq!(recent[0].details, r#"{"i":24,"name":"Иванов","nested":{"a":1,"b":2}}"#);
    }

    async fn batched_appends_keep_one_chain_with_single_ones(tdb: TestDb) {
        let db = open(&tdb).await;
        append_n(&db, 3).await;
        // More than one multi-row insert's worth, then singles after it.
        let batch: Vec<_> = (0..450).map(|i| (OffsetDateTime::now_utc(), event(i))).collect();
        let mut tx = db.begin().await.unwrap();
        let sealed = audit::append_many(&mut tx, &batch).await.unwrap();
        assert!(audit::append_many(&mut tx, &[]).await.unwrap().is_empty());
        tx.commit().await.unwrap();
        assert_eq!(sealed.first().map(|e| e.seq), Some(4));
        assert_eq!(sealed.last().map(|e| e.seq), Some(453));
        append_n(&db, 2).await;
        assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Intact { events: 455 });
        let (seq, hash) = audit::head(&db).await.unwrap();
        assert_eq!(seq, 455);
        let last = audit::recent_for_subject(&db, "subject-1", 1).await.unwrap();
        assert_eq!(last[0].seq, 455);
        assert_eq!(last[0].hash, hash);
    }

    async fn rolled_back_change_leaves_no_event(tdb: TestDb) {
        let db = open(&tdb).await;
        append_n(&db, 2).await;
        let mut tx = db.begin().await.unwrap();
        audit::append(&mut tx, OffsetDateTime::now_utc(), &event(99)).await.unwrap();
        tx.rollback().await.unwrap();
        // Dropping an uncommitted transaction rolls back too.
        {
            let mut tx = db.begin().await.unwrap();
            audit::append(&mut tx, OffsetDateTime::now_utc(), &event(100)).await.unwrap();
        }
        append_n(&db, 1).await;
        assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Intact { events: 3 });
    }

    async fn the_database_refuses_updates_and_deletes(tdb: TestDb) {
        let db = open(&tdb).await;
        append_n(&db, 2).await;
        let update = "UPDATE audit_events SET actor = 'x' WHERE seq = 1";
        let delete = "DELETE FROM audit_events WHERE seq = 2";
        for sql in [update, delete] {
            let res = match &db {
                Db::Sqlite(p, _) => sqlx::query(sql).execute(p).await.map(|_| ()),
                Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            };
            let err = res.expect_err(sql).to_string();
            assert!(err.contains("append-only"), "{err}");
        }
        assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Intact { events: 2 });
    }

    async fn edited_rows_are_detected(tdb: TestDb) {
        let db = open(&tdb).await;
        append_n(&db, 6).await;
        tamper(&db, "UPDATE audit_events SET details = '{\"i\":999}' WHERE seq = 4").await;
        assert_eq!(broken_at(audit::verify(&db).await.unwrap()), 4);
    }

    async fn every_column_edit_is_detected(tdb: TestDb) {
        let edits = [
            "UPDATE audit_events SET actor = 'citizen:forged' WHERE seq = 2",
            "UPDATE audit_events SET action = 'other' WHERE seq = 2",
            "UPDATE audit_events SET subject = NULL WHERE seq = 2",
            "UPDATE audit_events SET prev_hash = hash WHERE seq = 2",
            "UPDATE audit_events SET hash = prev_hash WHERE seq = 2",
        ];
        for sql in edits {
            let tdb = TestDb::new(tdb.backend).await;
            let db = open(&tdb).await;
            append_n(&db, 3).await;
            tamper(&db, sql).await;
            let at = broken_at(audit::verify(&db).await.unwrap());
            assert!(at == 2 || at == 3, "{sql}: broken at {at}");
            db.close().await;
        }
    }

    async fn deleted_rows_are_detected(tdb: TestDb) {
        let db = open(&tdb).await;
        append_n(&db, 6).await;
        tamper(&db, "DELETE FROM audit_events WHERE seq = 3").await;
        match audit::verify(&db).await.unwrap() {
            Verdict::Broken(Break::Gap { expected_prev: 2, found: 4 }) => {}
            other => panic!("{other:?}"),
        }
    }

    async fn a_truncated_tail_is_detected(tdb: TestDb) {
        let db = open(&tdb).await;
        append_n(&db, 6).await;
        tamper(&db, "DELETE FROM audit_events WHERE seq >= 5").await;
        match audit::verify(&db).await.unwrap() {
            Verdict::Broken(Break::Head { last_seq: 4, head_seq: 6 }) => {}
            other => panic!("{other:?}"),
        }
    }

    async fn reordered_rows_are_detected(tdb: TestDb) {
        let db = open(&tdb).await;
        append_n(&db, 6).await;
        tamper(&db, "UPDATE audit_events SET seq = -seq WHERE seq IN (3, 4)").await;
        tamper(&db, "UPDATE audit_events SET seq = CASE WHEN seq = -3 THEN 4 ELSE 3 END WHERE seq IN (-3, -4)").await;
        assert_eq!(broken_at(audit::verify(&db).await.unwrap()), 3);
    }

    async fn concurrent_writers_keep_one_chain(tdb: TestDb) {
        const WRITERS: usize = 8;
        const EACH: usize = 500;
        let db = open(&tdb).await;
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..EACH {
                    let mut tx = db.begin().await.unwrap();
                    audit::append(&mut tx, OffsetDateTime::now_utc(), &event(w * EACH + i)).await.unwrap();
                    tx.commit().await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let expected = (WRITERS * EACH) as u64;
        assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Intact { events: expected });
        assert_eq!(audit::head(&db).await.unwrap().0, expected as i64);
    }
}

mod vault_keys {
    use super::*;
    use propusk_store::vault_keys::{KeyCheck, reconcile};

    fn ring(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    both_backends! {
        async fn first_start_records_then_matches_rotation_adds(tdb: TestDb) {
            let db = open(&tdb).await;
            let now = OffsetDateTime::now_utc();
            let first = ring(&[("key.1", "aa"), ("index", "ii")]);
            assert_eq!(
                reconcile(&db, &first, now).await.unwrap(),
                KeyCheck::Matches { added: vec!["key.1".into(), "index".into()] }
            );
            assert_eq!(reconcile(&db, &first, now).await.unwrap(), KeyCheck::Matches { added: vec![] });
            let rotated = ring(&[("key.1", "aa"), ("key.2", "bb"), ("index", "ii")]);
            assert_eq!(reconcile(&db, &rotated, now).await.unwrap(), KeyCheck::Matches { added: vec!["key.2".into()] });
            // Each registration is audited.
            assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Intact { events: 3 });
        }

        async fn a_different_or_incomplete_ring_is_refused(tdb: TestDb) {
            let db = open(&tdb).await;
            let now = OffsetDateTime::now_utc();
            reconcile(&db, &ring(&[("key.1", "aa"), ("index", "ii")]), now).await.unwrap();
            assert_eq!(
                reconcile(&db, &ring(&[("key.1", "xx"), ("index", "ii")]), now).await.unwrap(),
                KeyCheck::Differs { name: "key.1".into() }
            );
            assert_eq!(
                reconcile(&db, &ring(&[("key.2", "bb"), ("index", "ii")]), now).await.unwrap(),
                KeyCheck::Missing { name: "key.1".into() }
            );
            // Nothing was recorded by the refused attempts.
            assert_eq!(audit::head(&db).await.unwrap().0, 2);
        }
    }
}
