//! Sign-in attempts (the citizen's history and the per-address counts) and
//! the per-login failure counters behind lockout. Counters live here, not in
//! a node's memory, so every node of a cluster enforces the same limits.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::db::{Db, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    WrongPassword,
    Locked,
    FactorFailed,
    RateLimited,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::WrongPassword => "wrong_password",
            Outcome::Locked => "locked",
            Outcome::FactorFailed => "factor_failed",
            Outcome::RateLimited => "rate_limited",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Some(match s {
            "success" => Outcome::Success,
            "wrong_password" => Outcome::WrongPassword,
            "locked" => Outcome::Locked,
            "factor_failed" => Outcome::FactorFailed,
            "rate_limited" => Outcome::RateLimited,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: Uuid,
    pub at: OffsetDateTime,
    pub account_id: Option<Uuid>,
    /// Blind index of the client address.
    pub ip_index: String,
    /// Sealed with context `sign_in:<id>`: address and device summary.
    pub device: Vec<u8>,
    /// SHA-256 of the browser's device cookie, when it sent one.
    pub device_hash: Option<String>,
    pub result: Outcome,
}

type EventTuple = (
    Uuid,
    OffsetDateTime,
    Option<Uuid>,
    String,
    Vec<u8>,
    Option<String>,
    String,
);

fn event(t: EventTuple) -> Result<EventRow> {
    Ok(EventRow {
        id: t.0,
        at: t.1,
        account_id: t.2,
        ip_index: t.3,
        device: t.4,
        device_hash: t.5,
        result: Outcome::parse(&t.6)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("sign_in_events.result: {}", t.6)))?,
    })
}

pub async fn record(tx: &mut Tx, e: &EventRow) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO sign_in_events (id, at, account_id, ip_index, device, device_hash, result) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(e.id)
        .bind(e.at)
        .bind(e.account_id)
        .bind(&e.ip_index)
        .bind(&e.device)
        .bind(&e.device_hash)
        .bind(e.result.as_str())
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// Times of failed attempts from one address since `since`.
pub async fn failures_from(
    db: &Db,
    ip_index: &str,
    since: OffsetDateTime,
) -> Result<Vec<OffsetDateTime>> {
    let rows: Vec<(OffsetDateTime,)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT at FROM sign_in_events WHERE ip_index = $1 AND at > $2 \
             AND result IN ('wrong_password', 'factor_failed')",
        )
        .bind(ip_index)
        .bind(since)
        .fetch_all(pool)
        .await?
    });
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// One page of an account's history since `since`, newest first.
pub async fn history(
    db: &Db,
    account_id: Uuid,
    since: OffsetDateTime,
    limit: i64,
    offset: i64,
) -> Result<Vec<EventRow>> {
    let rows: Vec<EventTuple> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT id, at, account_id, ip_index, device, device_hash, result FROM sign_in_events \
             WHERE account_id = $1 AND at > $2 ORDER BY at DESC, id DESC LIMIT $3 OFFSET $4",
        )
        .bind(account_id)
        .bind(since)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?
    });
    rows.into_iter().map(event).collect()
}

/// Has this account signed in successfully from this device before?
pub async fn known_device(db: &Db, account_id: Uuid, device_hash: &str) -> Result<bool> {
    let row: Option<(Uuid,)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT id FROM sign_in_events WHERE account_id = $1 AND device_hash = $2 \
             AND result = 'success' LIMIT 1",
        )
        .bind(account_id)
        .bind(device_hash)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.is_some())
}

/// Removes history older than `before`; returns how many rows went.
pub async fn purge(db: &Db, before: OffsetDateTime) -> Result<u64> {
    let n = on_db!(db, pool => {
        sqlx::query("DELETE FROM sign_in_events WHERE at < $1")
            .bind(before)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(n)
}

/// A login's counter: consecutive failures and the lock they caused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lock {
    pub failures: u32,
    pub locked_until: Option<OffsetDateTime>,
}

pub async fn lock_of(tx: &mut Tx, key: &str) -> Result<Lock> {
    let row: Option<(i32, Option<OffsetDateTime>)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT failures, locked_until FROM login_locks WHERE lock_key = $1")
            .bind(key)
            .fetch_optional(conn)
            .await?
    });
    Ok(row
        .map(|(f, until)| Lock {
            failures: u32::try_from(f).unwrap_or(u32::MAX),
            locked_until: until,
        })
        .unwrap_or_default())
}

/// Counts one more failure atomically (two nodes counting at once both
/// count) and returns the new number of consecutive failures.
pub async fn count_failure(tx: &mut Tx, key: &str, at: OffsetDateTime) -> Result<u32> {
    let (n,): (i32,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO login_locks (lock_key, failures, locked_until, updated_at) VALUES ($1, 1, NULL, $2) \
             ON CONFLICT (lock_key) DO UPDATE SET failures = login_locks.failures + 1, updated_at = $2 \
             RETURNING failures",
        )
        .bind(key)
        .bind(at)
        .fetch_one(conn)
        .await?
    });
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

pub async fn set_locked_until(tx: &mut Tx, key: &str, until: OffsetDateTime) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE login_locks SET locked_until = $2 WHERE lock_key = $1")
            .bind(key)
            .bind(until)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// A right password ends the run of failures.
pub async fn reset(tx: &mut Tx, key: &str) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM login_locks WHERE lock_key = $1")
            .bind(key)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Has this account ever signed in successfully?
pub async fn ever_succeeded(db: &Db, account_id: Uuid) -> Result<bool> {
    let row: Option<(Uuid,)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT id FROM sign_in_events WHERE account_id = $1 AND result = 'success' LIMIT 1",
        )
        .bind(account_id)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.is_some())
}

/// Takes back the failure counted before a password that turned out right
/// when the second factor is still to come, restoring the lock as it was
/// before that count (`before`, read in the same attempt). The factor step
/// counts and clears on its own, so a right password alone never wipes out
/// failures of the factor.
pub async fn refund(tx: &mut Tx, key: &str, before: Lock) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query(
            "UPDATE login_locks SET failures = failures - 1, locked_until = $2 \
             WHERE lock_key = $1 AND failures > 0",
        )
        .bind(key)
        .bind(before.locked_until)
        .execute(conn)
        .await?;
    });
    Ok(())
}
