//! The harness itself, against real SQLite and a real PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use propusk_testkit::{Backend, PgCluster, TestDb, data_dir_for};
use sqlx::Connection as _;

async fn select_one(db: &TestDb) -> i32 {
    match db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            let one: i32 = sqlx::query_scalar("SELECT 1")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
            one
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            let one: i32 = sqlx::query_scalar("SELECT 1")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
            one
        }
    }
}

#[tokio::test]
async fn sqlite_url_opens() {
    let db = TestDb::sqlite().await;
    assert_eq!(db.backend, Backend::Sqlite);
    assert_eq!(select_one(&db).await, 1);
    assert!(data_dir_for(&db).unwrap().join("test.db").is_file());
}

#[tokio::test]
async fn postgres_testdb_works() {
    let db = TestDb::postgres().await;
    assert_eq!(db.backend, Backend::Postgres);
    assert!(data_dir_for(&db).is_none());
    assert_eq!(select_one(&db).await, 1);

    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let current: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(Some(current.as_str()), db.database_name());
    assert!(current.starts_with("t_"));
    conn.close().await.unwrap();
}

#[tokio::test]
async fn two_testdbs_are_separate() {
    let (a, b) = tokio::join!(TestDb::postgres(), TestDb::postgres());
    assert_ne!(a.url, b.url);
    assert_ne!(a.database_name(), b.database_name());

    // A table made in one is not in the other.
    let mut ca = sqlx::PgConnection::connect(&a.url).await.unwrap();
    sqlx::raw_sql("CREATE TABLE only_in_a (x int)")
        .execute(&mut ca)
        .await
        .unwrap();
    let mut cb = sqlx::PgConnection::connect(&b.url).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'")
        .fetch_one(&mut cb)
        .await
        .unwrap();
    assert_eq!(n, 0);
    ca.close().await.unwrap();
    cb.close().await.unwrap();

    let (s, t) = (TestDb::sqlite().await, TestDb::sqlite().await);
    assert_ne!(s.url, t.url);
}

#[tokio::test]
async fn pg_cluster_stop_and_start_again() {
    let cluster = PgCluster::start().await;
    let url = cluster.create_database().await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    assert!(cluster.is_running());
    assert!(cluster.postmaster_pid().is_some());

    cluster.stop().await;
    assert!(!cluster.is_running());
    assert!(
        sqlx::PgConnection::connect(&url).await.is_err(),
        "connected to a stopped server"
    );

    cluster.start_again().await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let x: i32 = sqlx::query_scalar("SELECT x FROM kept")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(x, 42);
    conn.close().await.unwrap();

    let dir = cluster.base_dir().to_path_buf();
    drop(cluster);
    assert!(!dir.exists(), "cluster dir {} left behind", dir.display());
}

propusk_testkit::both_backends! {
    /// The macro gives a working database of the named backend to each test.
    async fn macro_runs_on_both(db: TestDb) {
        assert_eq!(select_one(&db).await, 1);
        // multi-thread runtime with 2 workers
        let handle = tokio::runtime::Handle::current();
        assert_eq!(handle.metrics().num_workers(), 2);
    }

    async fn macro_supports_result(db: TestDb) -> Result<(), String> {
        if db.url.is_empty() { Err("no url".into()) } else { Ok(()) }
    }
}

#[test]
fn macro_names_tests_by_backend() {
    // Compile-time check that the generated tests exist under these paths.
    let _: fn() = macro_runs_on_both::sqlite;
    let _: fn() = macro_runs_on_both::postgres;
    let _: fn() -> Result<(), String> = macro_supports_result::postgres;
}
