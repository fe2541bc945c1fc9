//! Propusk test support: a fresh, real database for every test, on both
//! backends.
//!
//! ```no_run
//! use propusk_testkit::{Backend, TestDb};
//!
//! # async fn example() {
//! let db = TestDb::new(Backend::Postgres).await; // or TestDb::sqlite()
//! let url: &str = &db.url; // the testkit hands out URLs, not pools
//! # }
//! ```
//!
//! * **SQLite**: a temp dir holding `test.db`; URL `sqlite:///…/test.db?mode=rwc`;
//!   the dir is removed when the [`TestDb`] is dropped.
//! * **PostgreSQL**: a new database named `t_<uuid>` per [`TestDb`], on the
//!   server named by `PROPUSK_TEST_DATABASE_URL` if set (that database is
//!   dropped again, `WITH (FORCE)`, when the `TestDb` is dropped), otherwise in
//!   a throwaway cluster this process starts once on first use and that a
//!   watchdog removes when the process exits. `pg-throwaway` (a binary of this
//!   package) starts one such cluster and prints the variable, so many test
//!   processes (nextest) can share one server.
//!
//! Server binaries are found through `PROPUSK_PG_BIN`, `pg_config --bindir`,
//! the newest `/usr/lib/postgresql/*/bin`, or `PATH`. As root, the server runs
//! as the `postgres` system user, since `initdb` refuses root.
//!
//! Use [`both_backends!`] to write a store test once and run it on both.
//!
//! This crate deliberately depends on no other propusk crate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cluster;
pub mod sinks;

use std::fmt;
use std::path::Path;
use std::time::Duration;

use tempfile::TempDir;

pub use cluster::PgCluster;
/// Re-exported for tests without a tokio dependency of their own:
/// `#[propusk_testkit::tokio::test(crate = "propusk_testkit::tokio")]`.
pub use tokio;

/// Environment variable naming an existing PostgreSQL server (any database on
/// it, as a user allowed to `CREATE DATABASE`) to use instead of starting one.
pub const DATABASE_URL_ENV: &str = "PROPUSK_TEST_DATABASE_URL";

/// A testkit failure: what was tried and why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    fn new(msg: impl Into<String>) -> Self {
        Error(msg.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Which database a [`TestDb`] lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Both backends, SQLite first.
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// A fresh, empty database for one test. Keep it alive as long as the test
/// uses the database: dropping it removes the SQLite dir, or drops the
/// PostgreSQL database when it lives on an external server.
pub struct TestDb {
    /// sqlx-style connection URL.
    pub url: String,
    pub backend: Backend,
    guard: Guard,
}

enum Guard {
    Sqlite(TempDir),
    Postgres {
        /// `Some` when the database should be dropped again (external server).
        drop_via: Option<String>,
        name: String,
    },
}

impl fmt::Debug for TestDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDb")
            .field("url", &self.url)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl TestDb {
    /// A fresh database on `backend`. Panics with the reason if it cannot be
    /// made (this is a test helper).
    pub async fn new(backend: Backend) -> TestDb {
        match Self::try_new(backend).await {
            Ok(db) => db,
            Err(e) => panic!("propusk-testkit: cannot create a {backend} test database: {e}"),
        }
    }

    /// Like [`new`](Self::new), returning the error instead of panicking.
    pub async fn try_new(backend: Backend) -> Result<TestDb, Error> {
        match backend {
            Backend::Sqlite => Self::try_sqlite(),
            Backend::Postgres => Self::try_postgres().await,
        }
    }

    /// A temp dir with `test.db` in it; URL `sqlite://{path}?mode=rwc`.
    pub async fn sqlite() -> TestDb {
        Self::new(Backend::Sqlite).await
    }

    /// A fresh database on the shared PostgreSQL server (see the crate docs).
    pub async fn postgres() -> TestDb {
        Self::new(Backend::Postgres).await
    }

    fn try_sqlite() -> Result<TestDb, Error> {
        let dir = tempfile::Builder::new()
            .prefix("propusk-sqlite-")
            .tempdir()
            .map_err(|e| Error::new(format!("cannot create a temp dir: {e}")))?;
        let path = dir.path().join("test.db");
        let path = path
            .to_str()
            .ok_or_else(|| Error::new(format!("temp path is not UTF-8: {}", path.display())))?;
        Ok(TestDb {
            url: format!("sqlite://{path}?mode=rwc"),
            backend: Backend::Sqlite,
            guard: Guard::Sqlite(dir),
        })
    }

    async fn try_postgres() -> Result<TestDb, Error> {
        let (admin_url, external) = server().await?;
        let name = cluster::create_database(&admin_url).await?;
        let url = with_database(&admin_url, &name)?;
        Ok(TestDb {
            url,
            backend: Backend::Postgres,
            guard: Guard::Postgres {
                drop_via: external.then_some(admin_url),
                name,
            },
        })
    }

    /// The PostgreSQL database name (`t_…`), or `None` for SQLite.
    pub fn database_name(&self) -> Option<&str> {
        match &self.guard {
            Guard::Postgres { name, .. } => Some(name),
            Guard::Sqlite(_) => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Guard::Postgres {
            drop_via: Some(admin_url),
            name,
        } = &self.guard
        else {
            // The SQLite TempDir removes itself; a database in our own
            // throwaway cluster goes with the cluster.
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop is sync and may run inside a runtime: use a thread of its own
        // with a small runtime, and wait a bounded time so the database is
        // gone before the next test (but never hang or panic here).
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("propusk-testkit-dropdb".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                let result = rt.block_on(cluster::drop_database(&admin_url, &name));
                if let Err(e) = result {
                    eprintln!("propusk-testkit: warning: {e}");
                }
                let _ = done_tx.send(());
            });
        if spawned.is_ok() {
            let _ = done_rx.recv_timeout(Duration::from_secs(15));
        }
    }
}

/// The temp dir holding a SQLite test database (`None` for PostgreSQL).
pub fn data_dir_for(db: &TestDb) -> Option<&Path> {
    match &db.guard {
        Guard::Sqlite(dir) => Some(dir.path()),
        Guard::Postgres { .. } => None,
    }
}

/// The admin URL of the server for PostgreSQL test databases, and whether it
/// is external (its databases must be dropped again).
async fn server() -> Result<(String, bool), Error> {
    if let Some(url) = std::env::var(DATABASE_URL_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        return Ok((url.trim().to_owned(), true));
    }
    static SHARED: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let url = SHARED
        .get_or_try_init(|| async {
            let cluster = PgCluster::try_start().await?;
            Ok::<_, Error>(cluster.leak())
        })
        .await?;
    Ok((url.clone(), false))
}

/// `url` with its database (path) replaced by `db`, keeping user, host, port
/// and query parameters.
pub fn with_database(url: &str, db: &str) -> Result<String, Error> {
    let scheme_end = url
        .find("://")
        .ok_or_else(|| Error::new(format!("not a database URL: {url}")))?
        + 3;
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let after_path = rest[authority_end..]
        .find(['?', '#'])
        .map_or(rest.len(), |i| authority_end + i);
    Ok(format!(
        "{}{}/{db}{}",
        &url[..scheme_end],
        &rest[..authority_end],
        &rest[after_path..]
    ))
}

#[doc(hidden)]
pub fn __run_test<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("propusk-testkit: cannot build a tokio runtime")
        .block_on(future)
}

/// Write a test once, run it on both backends.
///
/// ```no_run
/// propusk_testkit::both_backends! {
///     /// Doc comments and attributes (`#[ignore]`, …) go on both tests.
///     async fn audit_chain_detects_edit(db: TestDb) {
///         assert!(!db.url.is_empty()); // open the store on db.url, …
///     }
///
///     async fn may_return_result(db: TestDb) -> Result<(), String> {
///         Ok(())
///     }
/// }
/// # fn main() {}
/// ```
///
/// Each fn becomes `mod audit_chain_detects_edit { fn sqlite(); fn postgres(); }`,
/// two `#[test]`s, so the names read `…::audit_chain_detects_edit::sqlite` and
/// `…::audit_chain_detects_edit::postgres`. Each runs its body on a fresh
/// multi-thread tokio runtime with 2 workers (like
/// `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]`); the using
/// crate needs neither tokio nor any import for `TestDb`. The body sees the
/// surrounding module's items (`use super::*`).
#[macro_export]
macro_rules! both_backends {
    () => {};
    (
        $(#[$meta:meta])*
        async fn $name:ident ( $($params:tt)* ) $(-> $ret:ty)? $body:block
        $($rest:tt)*
    ) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::TestDb;

            async fn body($($params)*) $(-> $ret)? $body

            $(#[$meta])*
            #[test]
            pub(super) fn sqlite() $(-> $ret)? {
                $crate::__run_test(async {
                    body($crate::TestDb::new($crate::Backend::Sqlite).await).await
                })
            }

            $(#[$meta])*
            #[test]
            pub(super) fn postgres() $(-> $ret)? {
                $crate::__run_test(async {
                    body($crate::TestDb::new($crate::Backend::Postgres).await).await
                })
            }
        }
        $crate::both_backends! { $($rest)* }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_display() {
        assert_eq!(Backend::Sqlite.to_string(), "sqlite");
        assert_eq!(Backend::Postgres.to_string(), "postgres");
    }

    #[test]
    fn replaces_database_in_url() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/t_1",
            ),
            (
                "postgres://u:p@h:1/db?sslmode=disable",
                "postgres://u:p@h:1/t_1?sslmode=disable",
            ),
            ("postgres://u@h:1", "postgres://u@h:1/t_1"),
            ("postgres://u@h:1/", "postgres://u@h:1/t_1"),
            (
                "postgres://u@h?application_name=x",
                "postgres://u@h/t_1?application_name=x",
            ),
        ];
        for (url, want) in cases {
            assert_eq!(with_database(url, "t_1").unwrap(), want, "{url}");
        }
        assert!(with_database("nonsense", "t_1").is_err());
    }

    #[tokio::test]
    async fn sqlite_dir_is_removed_on_drop() {
        let db = TestDb::sqlite().await;
        let dir = data_dir_for(&db).unwrap().to_path_buf();
        assert!(dir.is_dir());
        assert!(
            db.url.starts_with("sqlite:///") && db.url.ends_with("/test.db?mode=rwc"),
            "{}",
            db.url
        );
        assert_eq!(db.database_name(), None);
        drop(db);
        assert!(!dir.exists());
    }
}
