use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Postgres, Sqlite};

use crate::{Result, StoreError};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// How to open the pool. The defaults suit one node on a small machine.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    /// How long a caller waits for a free connection before the request fails
    /// with "unavailable" instead of hanging.
    pub acquire_timeout: Duration,
    /// How long SQLite waits on a lock held by another writer.
    pub busy_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(10),
        }
    }
}

/// A connection pool to one of the two supported databases. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool, WriteGate),
    Postgres(PgPool),
}

/// SQLite takes one writer at a time. Writers queue here, in the process,
/// instead of each holding a pooled connection while SQLite's busy handler
/// makes it wait: with more waiting writers than connections, the writer
/// that holds the lock could not get a second connection for a read and
/// every one of them stalled until the timeouts. (One process per SQLite
/// file; several nodes need PostgreSQL.)
#[derive(Debug, Clone, Default)]
pub struct WriteGate(std::sync::Arc<tokio::sync::Mutex<()>>);

/// An open write transaction. Dropping it without `commit` rolls it back
/// (and, on SQLite, lets the next writer in).
pub enum Tx {
    Sqlite(
        sqlx::Transaction<'static, Sqlite>,
        tokio::sync::OwnedMutexGuard<()>,
    ),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

impl Db {
    /// Opens `postgres://…` or `sqlite://…` (or `sqlite:path`). Does not migrate.
    pub async fn connect(url: &str, options: &DbOptions) -> Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect =
                PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await?;
            Ok(Db::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::BadUrl(e.to_string()))?
                .create_if_missing(true);
            Self::open_sqlite(connect, options).await
        } else {
            Err(StoreError::BadUrl(format!(
                "{url}: expected postgres://… or sqlite:…"
            )))
        }
    }

    /// The embedded default: `DIR/propusk.db`, created with its directory if missing.
    pub async fn open_data_dir(dir: &Path, options: &DbOptions) -> Result<Db> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::BadUrl(format!("data dir {}: {e}", dir.display())))?;
        let connect = SqliteConnectOptions::new()
            .filename(dir.join("propusk.db"))
            .create_if_missing(true);
        Self::open_sqlite(connect, options).await
    }

    async fn open_sqlite(connect: SqliteConnectOptions, options: &DbOptions) -> Result<Db> {
        // WAL lets readers run beside the one writer; NORMAL sync is durable across
        // process crashes in WAL mode (only a power cut can lose the last commits).
        let connect = connect
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(options.busy_timeout);
        // No ping before handing out a connection: a SQLite connection is a
        // file handle that does not go stale, and each ping is a round trip
        // to the connection's worker thread (about a tenth of a sign-in's
        // non-hashing CPU went to them).
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .test_before_acquire(false)
            .connect_with(connect)
            .await?;
        Ok(Db::Sqlite(pool, WriteGate::default()))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the embedded migrations that are not yet applied; returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        let before = self.applied_migrations().await.unwrap_or(0);
        match self {
            Db::Sqlite(pool, _) => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        let after = self.applied_migrations().await?;
        Ok(after.saturating_sub(before))
    }

    async fn applied_migrations(&self) -> Result<usize> {
        const SQL: &str = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
        let n: i64 = on_db!(self, pool => sqlx::query_scalar(SQL).fetch_one(pool).await?);
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// One round trip; `/readyz` uses it.
    pub async fn ping(&self) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Starts a write transaction (on SQLite it takes the write lock at once).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(pool, gate) => {
                let wait = pool.options().get_acquire_timeout();
                let turn = tokio::time::timeout(wait, gate.0.clone().lock_owned())
                    .await
                    .map_err(|_| StoreError::Unavailable(sqlx::Error::PoolTimedOut))?;
                Tx::Sqlite(
                    pool.begin_with(crate::dialect::SQLITE_BEGIN_WRITE).await?,
                    turn,
                )
            }
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub fn pool_stats(&self) -> PoolStats {
        on_db!(self, pool => PoolStats {
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        })
    }

    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await);
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, _) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, _) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}
