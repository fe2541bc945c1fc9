//! Sign-in attempts (the citizen's history and the per-address counts) and
//! the per-login failure counters behind lockout. Counters live here, not in
//! a node's memory, so every node of a cluster enforces the same limits.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::db::{Db, Tx};
use crate::dialect::At;

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
        .bind(At(e.at))
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
        .bind(At(since))
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
        .bind(At(since))
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?
    });
    rows.into_iter().map(event).collect()
}

/// What an account's history says about a device, for the new-device notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceSeen {
    /// A successful sign-in from this device before.
    pub known: bool,
    /// Any successful sign-in before (the first ever is no news to tell).
    pub any_before: bool,
}

/// Both facts in one statement: a sign-in is mostly argon2id, and each
/// round trip to the database shows in what is left.
pub async fn device_seen(db: &Db, account_id: Uuid, device_hash: &str) -> Result<DeviceSeen> {
    let (known, any): (i32, i32) = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM sign_in_events WHERE account_id = $1 \
             AND device_hash = $2 AND result = 'success') THEN 1 ELSE 0 END, \
             CASE WHEN EXISTS (SELECT 1 FROM sign_in_events WHERE account_id = $1 \
             AND result = 'success') THEN 1 ELSE 0 END",
        )
        .bind(account_id)
        .bind(device_hash)
        .fetch_one(pool)
        .await?
    });
    Ok(DeviceSeen {
        known: known != 0,
        any_before: any != 0,
    })
}

/// Removes history older than `before`; returns how many rows went.
pub async fn purge(db: &Db, before: OffsetDateTime) -> Result<u64> {
    let n = on_db!(db, pool => {
        sqlx::query("DELETE FROM sign_in_events WHERE at < $1")
            .bind(At(before))
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

/// An attempt as [`count_attempt`] found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Refused without counting: the key is locked until then.
    Locked { until: OffsetDateTime },
    /// Counted: `failures` consecutive failures now, `before` the state it
    /// was counted on (what [`refund`] restores).
    Counted { failures: u32, before: Lock },
}

/// Counts one more attempt on `key` unless it is locked at `at`, in one
/// statement: two nodes counting at once both count, and a lock one of them
/// set is seen by the other.
pub async fn count_attempt(tx: &mut Tx, key: &str, at: OffsetDateTime) -> Result<Attempt> {
    let (n, until): (i32, Option<OffsetDateTime>) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO login_locks (lock_key, failures, locked_until, updated_at) VALUES ($1, 1, NULL, $2) \
             ON CONFLICT (lock_key) DO UPDATE SET failures = CASE \
             WHEN login_locks.locked_until IS NOT NULL AND login_locks.locked_until > $2 \
             THEN login_locks.failures ELSE login_locks.failures + 1 END, updated_at = $2 \
             RETURNING failures, locked_until",
        )
        .bind(key)
        .bind(At(at))
        .fetch_one(conn)
        .await?
    });
    let failures = u32::try_from(n).unwrap_or(u32::MAX);
    Ok(match until.filter(|u| *u > at) {
        Some(until) => Attempt::Locked { until },
        None => Attempt::Counted {
            failures,
            before: Lock {
                failures: failures.saturating_sub(1),
                locked_until: until,
            },
        },
    })
}

pub async fn set_locked_until(tx: &mut Tx, key: &str, until: OffsetDateTime) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE login_locks SET locked_until = $2 WHERE lock_key = $1")
            .bind(key)
            .bind(At(until))
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
        .bind(before.locked_until.map(At))
        .execute(conn)
        .await?;
    });
    Ok(())
}
