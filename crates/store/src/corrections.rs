//! Correction requests to the state registries (migration 0024). Each
//! change of status is an UPDATE conditional on the status it expects, so
//! the job on one node and a citizen withdrawing on another never both win.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::db::{Db, Tx};
use crate::dialect::At;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub category: String,
    pub field: String,
    /// The source registry's code (`mvd`, `sfr`, …).
    pub registry: String,
    /// The proposed value and comment, sealed (`data_correction:<id>`).
    pub sealed: Vec<u8>,
    pub status: String,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
    pub decided_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
}

const COLUMNS: &str = "id, account_id, category, field, registry, sealed, status, reference, \
     reason, attempts, next_attempt_at, created_at, sent_at, decided_at, updated_at";

type Tuple = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    Vec<u8>,
    String,
    Option<String>,
    Option<String>,
    i64,
    Option<OffsetDateTime>,
    OffsetDateTime,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
    OffsetDateTime,
);

fn row(t: Tuple) -> CorrectionRow {
    CorrectionRow {
        id: t.0,
        account_id: t.1,
        category: t.2,
        field: t.3,
        registry: t.4,
        sealed: t.5,
        status: t.6,
        reference: t.7,
        reason: t.8,
        attempts: t.9,
        next_attempt_at: t.10,
        created_at: t.11,
        sent_at: t.12,
        decided_at: t.13,
        updated_at: t.14,
    }
}

pub async fn insert(tx: &mut Tx, c: &CorrectionRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO data_corrections ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    on_tx!(tx, conn => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(c.id).bind(c.account_id).bind(&c.category).bind(&c.field).bind(&c.registry)
            .bind(&c.sealed).bind(&c.status).bind(&c.reference).bind(&c.reason).bind(c.attempts)
            .bind(c.next_attempt_at.map(At)).bind(At(c.created_at)).bind(c.sent_at.map(At))
            .bind(c.decided_at.map(At)).bind(At(c.updated_at))
            .execute(conn).await?;
    });
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<CorrectionRow>> {
    let sql = format!("SELECT {COLUMNS} FROM data_corrections WHERE id = $1");
    let t: Option<Tuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?);
    Ok(t.map(row))
}

/// A citizen's requests, newest first.
pub async fn of_account(db: &Db, account_id: Uuid, limit: i64) -> Result<Vec<CorrectionRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM data_corrections WHERE account_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT $2"
    );
    let t: Vec<Tuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).bind(limit).fetch_all(pool).await?);
    Ok(t.into_iter().map(row).collect())
}

/// How many requests a citizen has open (a bound on what one may file).
pub async fn open_count(db: &Db, account_id: Uuid) -> Result<i64> {
    let n: i64 = on_db!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM data_corrections WHERE account_id = $1 AND status IN ('submitted', 'sent')")
        .bind(account_id).fetch_one(pool).await?);
    Ok(n)
}

/// Open requests whose next look at the registry is due, oldest first.
pub async fn due(db: &Db, now: OffsetDateTime, limit: i64) -> Result<Vec<CorrectionRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM data_corrections WHERE next_attempt_at <= $1 \
         ORDER BY next_attempt_at, id LIMIT $2"
    );
    let t: Vec<Tuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(At(now)).bind(limit).fetch_all(pool).await?);
    Ok(t.into_iter().map(row).collect())
}

/// A move from `from` to `to`: the registry's reference and reason when it
/// gave them, and when to look again (`None` closes the request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move<'a> {
    pub id: Uuid,
    pub from: &'a str,
    pub to: &'a str,
    pub reference: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub at: OffsetDateTime,
}

/// Applies a move if the request is still in `from`; whether it was.
/// Entering `sent` stamps `sent_at`, a closing status `decided_at`.
pub async fn advance(tx: &mut Tx, m: &Move<'_>) -> Result<bool> {
    let sent = m.to == "sent";
    let closed = m.next_attempt_at.is_none();
    let n = on_tx!(tx, conn => sqlx::query(
        "UPDATE data_corrections SET status = $3, reference = COALESCE($4, reference), \
         reason = COALESCE($5, reason), next_attempt_at = $6, updated_at = $7, \
         sent_at = CASE WHEN $8 THEN COALESCE(sent_at, $7) ELSE sent_at END, \
         decided_at = CASE WHEN $9 THEN $7 ELSE decided_at END, \
         attempts = attempts + 1 \
         WHERE id = $1 AND status = $2")
        .bind(m.id).bind(m.from).bind(m.to).bind(m.reference).bind(m.reason)
        .bind(m.next_attempt_at.map(At)).bind(At(m.at)).bind(sent).bind(closed)
        .execute(conn).await?.rows_affected());
    Ok(n == 1)
}

/// Puts off the next look at an open request (the registry did not answer).
pub async fn retry_later(
    db: &Db,
    id: Uuid,
    status: &str,
    next: OffsetDateTime,
    at: OffsetDateTime,
) -> Result<bool> {
    let n = on_db!(db, pool => sqlx::query(
        "UPDATE data_corrections SET attempts = attempts + 1, next_attempt_at = $3, updated_at = $4 \
         WHERE id = $1 AND status = $2")
        .bind(id).bind(status).bind(At(next)).bind(At(at))
        .execute(pool).await?.rows_affected());
    Ok(n == 1)
}
