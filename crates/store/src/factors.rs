//! Second factors: one TOTP key per account and its backup codes. Accepting
//! a code is a conditional UPDATE, so two nodes can never both accept the
//! same TOTP step or the same backup code.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::db::{Db, Tx};
use crate::dialect::At;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpRow {
    pub account_id: Uuid,
    /// Sealed with context `totp:<account_id>`.
    pub secret: Vec<u8>,
    pub confirmed_at: Option<OffsetDateTime>,
    pub last_step: Option<i64>,
    pub created_at: OffsetDateTime,
}

type TotpTuple = (
    Uuid,
    Vec<u8>,
    Option<OffsetDateTime>,
    Option<i64>,
    OffsetDateTime,
);

pub async fn totp_of(db: &Db, account_id: Uuid) -> Result<Option<TotpRow>> {
    let row: Option<TotpTuple> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT account_id, secret, confirmed_at, last_step, created_at FROM totp_factors \
             WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(|r| TotpRow {
        account_id: r.0,
        secret: r.1,
        confirmed_at: r.2,
        last_step: r.3,
        created_at: r.4,
    }))
}

/// Starts (or restarts) an enrolment; a confirmed key is never replaced here.
/// Returns false when the account already has a confirmed key.
pub async fn start_totp(
    tx: &mut Tx,
    account_id: Uuid,
    secret: &[u8],
    at: OffsetDateTime,
) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO totp_factors (account_id, secret, confirmed_at, last_step, created_at) \
             VALUES ($1, $2, NULL, NULL, $3) \
             ON CONFLICT (account_id) DO UPDATE SET secret = $2, created_at = $3, last_step = NULL \
             WHERE totp_factors.confirmed_at IS NULL",
        )
        .bind(account_id)
        .bind(secret)
        .bind(At(at))
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

/// Accepts a TOTP step if it is later than the last one; false if not (a
/// replay, or another node accepted it first).
pub async fn accept_step(tx: &mut Tx, account_id: Uuid, step: i64) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        sqlx::query(
            "UPDATE totp_factors SET last_step = $2 \
             WHERE account_id = $1 AND (last_step IS NULL OR last_step < $2)",
        )
        .bind(account_id)
        .bind(step)
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

pub async fn confirm_totp(tx: &mut Tx, account_id: Uuid, at: OffsetDateTime) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        sqlx::query(
            "UPDATE totp_factors SET confirmed_at = $2 WHERE account_id = $1 AND confirmed_at IS NULL",
        )
        .bind(account_id)
        .bind(At(at))
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

/// Removes the key and every backup code of an account.
pub async fn remove_all(tx: &mut Tx, account_id: Uuid) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM backup_codes WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM totp_factors WHERE account_id = $1")
            .bind(account_id)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Replaces an account's backup codes with new ones (their keyed hashes).
pub async fn replace_backup_codes(
    tx: &mut Tx,
    account_id: Uuid,
    indexes: &[String],
    at: OffsetDateTime,
) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM backup_codes WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *conn)
            .await?;
        for index in indexes {
            sqlx::query(
                "INSERT INTO backup_codes (id, account_id, code_index, created_at, used_at) \
                 VALUES ($1, $2, $3, $4, NULL)",
            )
            .bind(Uuid::now_v7())
            .bind(account_id)
            .bind(index)
            .bind(At(at))
            .execute(&mut *conn)
            .await?;
        }
    });
    Ok(())
}

/// Uses a backup code: true once, false for an unknown or used one.
pub async fn use_backup_code(
    tx: &mut Tx,
    account_id: Uuid,
    index: &str,
    at: OffsetDateTime,
) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        sqlx::query(
            "UPDATE backup_codes SET used_at = $3 \
             WHERE account_id = $1 AND code_index = $2 AND used_at IS NULL",
        )
        .bind(account_id)
        .bind(index)
        .bind(At(at))
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(n >= 1)
}

pub async fn backup_codes_left(db: &Db, account_id: Uuid) -> Result<i64> {
    let (n,): (i64,) = on_db!(db, pool => {
        sqlx::query_as("SELECT COUNT(*) FROM backup_codes WHERE account_id = $1 AND used_at IS NULL")
            .bind(account_id)
            .fetch_one(pool)
            .await?
    });
    Ok(n)
}
