//! The identity check queue and its log (migration 0009): one row per
//! account whose passport and SNILS wait for, or have had, the registries'
//! word; the job claims due rows under a lease, like the outbox.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::db::{Db, Tx};
use crate::dialect::At;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckState {
    Pending,
    Verified,
    Rejected,
}

impl CheckState {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckState::Pending => "pending",
            CheckState::Verified => "verified",
            CheckState::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Result<CheckState> {
        match s {
            "pending" => Ok(CheckState::Pending),
            "verified" => Ok(CheckState::Verified),
            "rejected" => Ok(CheckState::Rejected),
            other => Err(crate::StoreError::Corrupt(format!(
                "identity_checks.state: {other}"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    pub account_id: Uuid,
    pub state: CheckState,
    pub generation: i64,
    pub attempts: i32,
    pub next_try_at: Option<OffsetDateTime>,
    /// Why the last try did not finish (no personal data).
    pub last_error: Option<String>,
    pub requested_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

type CheckTuple = (
    Uuid,
    String,
    i64,
    i32,
    Option<OffsetDateTime>,
    Option<String>,
    OffsetDateTime,
    OffsetDateTime,
);

fn check(t: CheckTuple) -> Result<CheckRow> {
    Ok(CheckRow {
        account_id: t.0,
        state: CheckState::parse(&t.1)?,
        generation: t.2,
        attempts: t.3,
        next_try_at: t.4,
        last_error: t.5,
        requested_at: t.6,
        updated_at: t.7,
    })
}

/// (Re)starts the check for an account, due at once; returns its generation.
pub async fn request(tx: &mut Tx, account_id: Uuid, now: OffsetDateTime) -> Result<i64> {
    const SQL: &str = "INSERT INTO identity_checks (account_id, state, generation, attempts, next_try_at, requested_at, updated_at) \
                       VALUES ($1, 'pending', 1, 0, $2, $2, $2) \
                       ON CONFLICT (account_id) DO UPDATE SET state = 'pending', \
                           generation = identity_checks.generation + 1, attempts = 0, next_try_at = $2, \
                           last_error = NULL, requested_at = $2, updated_at = $2 \
                       RETURNING generation";
    let generation: i64 = on_tx!(tx, conn => sqlx::query_scalar(SQL).bind(account_id).bind(At(now)).fetch_one(conn).await?);
    Ok(generation)
}

/// Drops the check (the person removed their passport or SNILS).
pub async fn cancel(tx: &mut Tx, account_id: Uuid) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM identity_checks WHERE account_id = $1")
            .bind(account_id)
            .execute(conn)
            .await?;
    });
    Ok(())
}

pub async fn get(db: &Db, account_id: Uuid) -> Result<Option<CheckRow>> {
    const SQL: &str = "SELECT account_id, state, generation, attempts, next_try_at, last_error, requested_at, updated_at \
                       FROM identity_checks WHERE account_id = $1";
    let row: Option<CheckTuple> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(account_id).fetch_optional(pool).await?);
    row.map(check).transpose()
}

/// A pending check taken by one worker until `lease_until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub account_id: Uuid,
    pub generation: i64,
    /// Tries so far, this one included.
    pub attempts: i32,
}

/// Takes up to `limit` due checks: each is leased (its `next_try_at` moves
/// to `lease_until`) and its try counted in one statement, so no two
/// workers on any nodes run the same check while the lease lasts; a worker
/// that dies leaves the lease to run out and the check to be tried again.
pub async fn claim_due(
    db: &Db,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Claim>> {
    let sql = crate::dialect::claim_due_identity(db.backend());
    let rows: Vec<(Uuid, i64, i32)> = on_db!(db, pool => {
        sqlx::query_as(sql).bind(At(now)).bind(At(lease_until)).bind(limit).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|(account_id, generation, attempts)| Claim {
            account_id,
            generation,
            attempts,
        })
        .collect())
}

/// Ends a pending check with a verdict, unless the person restarted it
/// meanwhile (another generation): then `false`, and nothing is written.
pub async fn finish(
    tx: &mut Tx,
    claim: &Claim,
    state: CheckState,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "UPDATE identity_checks SET state = $3, next_try_at = NULL, last_error = NULL, updated_at = $4 \
                       WHERE account_id = $1 AND generation = $2 AND state = 'pending'";
    let n = on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(claim.account_id)
            .bind(claim.generation)
            .bind(state.as_str())
            .bind(At(now))
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(n == 1)
}

/// Leaves a check pending, to be tried again at `next_try_at`.
pub async fn retry_later(
    tx: &mut Tx,
    claim: &Claim,
    next_try_at: OffsetDateTime,
    error: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "UPDATE identity_checks SET next_try_at = $3, last_error = $4, updated_at = $5 \
                       WHERE account_id = $1 AND generation = $2 AND state = 'pending'";
    let error: String = error.chars().take(300).collect();
    let n = on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(claim.account_id)
            .bind(claim.generation)
            .bind(At(next_try_at))
            .bind(&error)
            .bind(At(now))
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub at: OffsetDateTime,
    pub registry: Option<String>,
    /// `queued`, `passed`, `failed`, `unavailable`, `verified`, `rejected`.
    pub outcome: String,
    /// A message code the pages translate.
    pub message: String,
    pub detail: Option<String>,
}

pub async fn log(tx: &mut Tx, row: &LogRow) -> Result<()> {
    const SQL: &str = "INSERT INTO identity_check_log (id, account_id, at, registry, outcome, message, detail) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(row.id)
            .bind(row.account_id)
            .bind(At(row.at))
            .bind(&row.registry)
            .bind(&row.outcome)
            .bind(&row.message)
            .bind(&row.detail)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// The newest entries first.
pub async fn log_of(db: &Db, account_id: Uuid, limit: i64) -> Result<Vec<LogRow>> {
    const SQL: &str = "SELECT id, account_id, at, registry, outcome, message, detail FROM identity_check_log \
                       WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2";
    type T = (
        Uuid,
        Uuid,
        OffsetDateTime,
        Option<String>,
        String,
        String,
        Option<String>,
    );
    let rows: Vec<T> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(account_id).bind(limit).fetch_all(pool).await?);
    Ok(rows
        .into_iter()
        .map(|t| LogRow {
            id: t.0,
            account_id: t.1,
            at: t.2,
            registry: t.3,
            outcome: t.4,
            message: t.5,
            detail: t.6,
        })
        .collect())
}

/// How many checks are in each state.
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>> {
    let rows: Vec<(String, i64)> = on_db!(db, pool => {
        sqlx::query_as("SELECT state, COUNT(*) FROM identity_checks GROUP BY state ORDER BY state")
            .fetch_all(pool)
            .await?
    });
    Ok(rows)
}
