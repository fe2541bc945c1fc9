//! One-time codes. Rules (lifetime, tries, quotas) are `core::otp`'s; this
//! module keeps the rows and makes each check-and-count atomic.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::{Db, Tx};
use crate::dialect::At;
use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRow {
    pub id: Uuid,
    /// What the code is for: `confirm_contact`, `sign_in`, `recovery`…
    pub purpose: String,
    /// What it unlocks (a contact id, an account id…).
    pub subject: String,
    /// Blind index of the contact it was sent to.
    pub contact_index: String,
    /// Keyed hash of the code.
    pub code_mac: String,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub failed: i32,
    pub used_at: Option<OffsetDateTime>,
}

type CodeTuple = (
    Uuid,
    String,
    String,
    String,
    String,
    OffsetDateTime,
    OffsetDateTime,
    i32,
    Option<OffsetDateTime>,
);

const INSERT: &str = "INSERT INTO one_time_codes (id, purpose, subject, contact_index, code_mac, issued_at, \
                      expires_at, failed, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const SENT_SINCE: &str = "SELECT issued_at FROM one_time_codes WHERE contact_index = $1 AND issued_at > $2 \
                          ORDER BY issued_at";
/// Takes the newest unused code for (purpose, subject) and locks it for the rest
/// of the transaction (the no-op UPDATE takes the row lock on PostgreSQL and the
/// write lock on SQLite), so two concurrent attempts cannot both see 2 failures.
const CLAIM_LATEST: &str = "UPDATE one_time_codes SET failed = failed WHERE id = (\
                            SELECT id FROM one_time_codes WHERE purpose = $1 AND subject = $2 AND used_at IS NULL \
                            ORDER BY issued_at DESC, id DESC LIMIT 1) \
                            RETURNING id, purpose, subject, contact_index, code_mac, issued_at, expires_at, failed, used_at";
const FAIL: &str = "UPDATE one_time_codes SET failed = failed + 1 WHERE id = $1";
const USE: &str = "UPDATE one_time_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL";
/// A new code replaces any older unused one for the same purpose and subject.
const RETIRE: &str = "UPDATE one_time_codes SET used_at = $3 WHERE purpose = $1 AND subject = $2 AND used_at IS NULL";

fn row(t: CodeTuple) -> CodeRow {
    CodeRow {
        id: t.0,
        purpose: t.1,
        subject: t.2,
        contact_index: t.3,
        code_mac: t.4,
        issued_at: t.5,
        expires_at: t.6,
        failed: t.7,
        used_at: t.8,
    }
}

/// Stores a new code, retiring older unused ones for the same purpose and subject.
pub async fn issue(tx: &mut Tx, c: &CodeRow) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query(RETIRE).bind(&c.purpose).bind(&c.subject).bind(At(c.issued_at)).execute(&mut *conn).await?;
        sqlx::query(INSERT)
            .bind(c.id)
            .bind(&c.purpose)
            .bind(&c.subject)
            .bind(&c.contact_index)
            .bind(&c.code_mac)
            .bind(At(c.issued_at))
            .bind(At(c.expires_at))
            .bind(c.failed)
            .bind(c.used_at.map(At))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// When codes went to this contact after `since`, oldest first (for quotas).
pub async fn sent_since(
    db: &Db,
    contact_index: &str,
    since: OffsetDateTime,
) -> Result<Vec<OffsetDateTime>> {
    let rows: Vec<(OffsetDateTime,)> = on_db!(db, pool => sqlx::query_as(SENT_SINCE).bind(contact_index).bind(At(since)).fetch_all(pool).await?);
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The newest unused code, locked until the transaction ends.
pub async fn claim_latest(tx: &mut Tx, purpose: &str, subject: &str) -> Result<Option<CodeRow>> {
    let t: Option<CodeTuple> = on_tx!(tx, conn => {
        sqlx::query_as(CLAIM_LATEST).bind(purpose).bind(subject).fetch_optional(conn).await?
    });
    Ok(t.map(row))
}

pub async fn record_failure(tx: &mut Tx, id: Uuid) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query(FAIL).bind(id).execute(conn).await?;
    });
    Ok(())
}

/// Marks a code used; `NotFound` if it already was (a code works once).
pub async fn mark_used(tx: &mut Tx, id: Uuid, at: OffsetDateTime) -> Result<()> {
    let n = on_tx!(tx, conn => sqlx::query(USE).bind(id).bind(At(at)).execute(conn).await?.rows_affected());
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

const CLAIM_BY_ID: &str = "UPDATE one_time_codes SET failed = failed WHERE id = $1 AND purpose = $2 \
                           RETURNING id, purpose, subject, contact_index, code_mac, issued_at, expires_at, \
                           failed, used_at";

/// A code (or link token) by its id and purpose, locked until the
/// transaction ends, used or not (the caller judges).
pub async fn claim_by_id(tx: &mut Tx, id: Uuid, purpose: &str) -> Result<Option<CodeRow>> {
    let t: Option<CodeTuple> = on_tx!(tx, conn => {
        sqlx::query_as(CLAIM_BY_ID).bind(id).bind(purpose).fetch_optional(conn).await?
    });
    Ok(t.map(row))
}

/// Removes codes and link tokens that expired before `before`.
pub async fn purge(db: &Db, before: OffsetDateTime) -> Result<u64> {
    let n = on_db!(db, pool => {
        sqlx::query("DELETE FROM one_time_codes WHERE expires_at < $1")
            .bind(At(before))
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(n)
}
