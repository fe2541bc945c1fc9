use thiserror::Error;

/// The one error type of the storage layer. Callers mostly need to tell three
/// things apart: "not there", "conflicts with what is there", and "the database
/// is not answering" (which the web layer turns into 503, never into a 404).
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflicts with existing data ({constraint})")]
    Conflict { constraint: String },
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("bad database url: {0}")]
    BadUrl(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// True when retrying later may help: the database is down, busy or the pool
    /// is exhausted. The web layer answers these with 503.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e),
            sqlx::Error::Database(db) => {
                if db.is_unique_violation() || db.is_foreign_key_violation() {
                    StoreError::Conflict {
                        constraint: db.constraint().unwrap_or("unique").to_owned(),
                    }
                } else if is_transient(db.code().as_deref()) {
                    StoreError::Unavailable(e)
                } else {
                    StoreError::Database(e)
                }
            }
            _ => StoreError::Database(e),
        }
    }
}

/// SQLite busy/locked, PostgreSQL admin shutdown, connection and serialization failures.
fn is_transient(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("5" | "6" | "517" | "261" | "57P01" | "57P02" | "57P03" | "40001" | "40P01" | "53300")
    ) || code.is_some_and(|c| c.starts_with("08"))
}
