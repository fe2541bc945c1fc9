//! Consents, their history and their read log (migration 0020), the
//! pairwise subjects a partner's `sub` is found by, and the registry data
//! cache. State changes are conditional UPDATEs on the status they expect,
//! so two nodes (or a citizen and the expiry job) never both win.

use propusk_core::consent::Status;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::{Db, Tx};
use crate::dialect::At;
use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    pub id: Uuid,
    pub client_id: String,
    pub org_id: Uuid,
    pub account_id: Uuid,
    pub subject: String,
    pub channel: String,
    pub purpose: String,
    /// JSON of `core::consent::Terms`.
    pub terms: String,
    /// JSON array of category codes, once approved.
    pub granted: Option<String>,
    pub status: Status,
    pub status_by: Option<String>,
    pub status_reason: Option<String>,
    pub created_at: OffsetDateTime,
    pub request_expires_at: OffsetDateTime,
    pub valid_until: OffsetDateTime,
    pub approved_at: Option<OffsetDateTime>,
    pub status_changed_at: OffsetDateTime,
    pub read_count: i64,
    pub last_read_at: Option<OffsetDateTime>,
    pub record_hash: Option<String>,
    pub receipt: Option<String>,
}

pub(crate) const COLUMNS: &str = "id, client_id, org_id, account_id, subject, channel, purpose, terms, granted, \
     status, status_by, status_reason, created_at, request_expires_at, valid_until, approved_at, \
     status_changed_at, read_count, last_read_at, record_hash, receipt";

#[derive(sqlx::FromRow)]
struct Raw {
    id: Uuid,
    client_id: String,
    org_id: Uuid,
    account_id: Uuid,
    subject: String,
    channel: String,
    purpose: String,
    terms: String,
    granted: Option<String>,
    status: String,
    status_by: Option<String>,
    status_reason: Option<String>,
    created_at: OffsetDateTime,
    request_expires_at: OffsetDateTime,
    valid_until: OffsetDateTime,
    approved_at: Option<OffsetDateTime>,
    status_changed_at: OffsetDateTime,
    read_count: i64,
    last_read_at: Option<OffsetDateTime>,
    record_hash: Option<String>,
    receipt: Option<String>,
}

fn status(s: &str) -> Result<Status> {
    Status::parse(s).ok_or_else(|| StoreError::Corrupt(format!("consents.status: {s}")))
}

impl TryFrom<Raw> for ConsentRow {
    type Error = StoreError;

    fn try_from(r: Raw) -> Result<ConsentRow> {
        Ok(ConsentRow {
            status: status(&r.status)?,
            id: r.id,
            client_id: r.client_id,
            org_id: r.org_id,
            account_id: r.account_id,
            subject: r.subject,
            channel: r.channel,
            purpose: r.purpose,
            terms: r.terms,
            granted: r.granted,
            status_by: r.status_by,
            status_reason: r.status_reason,
            created_at: r.created_at,
            request_expires_at: r.request_expires_at,
            valid_until: r.valid_until,
            approved_at: r.approved_at,
            status_changed_at: r.status_changed_at,
            read_count: r.read_count,
            last_read_at: r.last_read_at,
            record_hash: r.record_hash,
            receipt: r.receipt,
        })
    }
}

fn rows(raw: Vec<Raw>) -> Result<Vec<ConsentRow>> {
    raw.into_iter().map(ConsentRow::try_from).collect()
}

pub async fn insert(tx: &mut Tx, c: &ConsentRow) -> Result<()> {
    crate::bulk::consents(tx, std::slice::from_ref(c)).await
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<ConsentRow>> {
    let sql = format!("SELECT {COLUMNS} FROM consents WHERE id = $1");
    let r: Option<Raw> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?);
    r.map(ConsentRow::try_from).transpose()
}

/// The same, inside the caller's transaction (no lock taken).
pub async fn get_in(tx: &mut Tx, id: Uuid) -> Result<Option<ConsentRow>> {
    let sql = format!("SELECT {COLUMNS} FROM consents WHERE id = $1");
    let r: Option<Raw> = on_tx!(tx, conn => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await?);
    r.map(ConsentRow::try_from).transpose()
}

/// The consent, read in the caller's write transaction after taking its
/// row (PostgreSQL) or the write lock (SQLite): what is decided on it
/// cannot change before commit.
pub async fn lock(tx: &mut Tx, id: Uuid) -> Result<Option<ConsentRow>> {
    let sql = format!("UPDATE consents SET id = id WHERE id = $1 RETURNING {COLUMNS}");
    let r: Option<Raw> = on_tx!(tx, conn => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(conn).await?);
    r.map(ConsentRow::try_from).transpose()
}

/// A citizen's consents, newest first, optionally in one status.
pub async fn of_account(
    db: &Db,
    account_id: Uuid,
    only: Option<Status>,
    limit: i64,
) -> Result<Vec<ConsentRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM consents WHERE account_id = $1 AND ($2 IS NULL OR status = $2) \
         ORDER BY created_at DESC, id DESC LIMIT $3"
    );
    let r: Vec<Raw> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(account_id).bind(only.map(Status::code)).bind(limit).fetch_all(pool).await?);
    rows(r)
}

/// A client's consents, newest first, optionally in one status.
pub async fn of_client(
    db: &Db,
    client_id: &str,
    only: Option<Status>,
    limit: i64,
) -> Result<Vec<ConsentRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM consents WHERE client_id = $1 AND ($2 IS NULL OR status = $2) \
         ORDER BY created_at DESC, id DESC LIMIT $3"
    );
    let r: Vec<Raw> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(client_id).bind(only.map(Status::code)).bind(limit).fetch_all(pool).await?);
    rows(r)
}

/// A change of status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change<'a> {
    pub id: Uuid,
    pub from: Status,
    pub to: Status,
    pub by: &'a str,
    pub reason: Option<&'a str>,
    pub at: OffsetDateTime,
}

/// Moves the consent from `from` to `to`: `false` if it was not in `from`
/// any more (someone else moved it first).
pub async fn set_status(tx: &mut Tx, c: &Change<'_>) -> Result<bool> {
    let n = on_tx!(tx, conn => sqlx::query(
        "UPDATE consents SET status = $3, status_by = $4, status_reason = $5, status_changed_at = $6 \
         WHERE id = $1 AND status = $2")
        .bind(c.id).bind(c.from.code()).bind(c.to.code()).bind(c.by).bind(c.reason).bind(At(c.at))
        .execute(conn).await?.rows_affected());
    Ok(n == 1)
}

/// Approval: the requested consent becomes active with what was kept, its
/// record's hash and the receipt. `false` if it was no longer requested.
pub async fn approve(
    tx: &mut Tx,
    id: Uuid,
    granted: &str,
    at: OffsetDateTime,
    record_hash: &str,
    receipt: &str,
) -> Result<bool> {
    let n = on_tx!(tx, conn => sqlx::query(
        "UPDATE consents SET status = 'active', status_by = 'citizen', status_reason = NULL, \
         status_changed_at = $3, approved_at = $3, granted = $2, record_hash = $4, receipt = $5 \
         WHERE id = $1 AND status = 'requested'")
        .bind(id).bind(granted).bind(At(at)).bind(record_hash).bind(receipt)
        .execute(conn).await?.rows_affected());
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: Uuid,
    pub consent_id: Uuid,
    pub at: OffsetDateTime,
    pub event: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub by_whom: String,
    pub reason: Option<String>,
    pub receipt: Option<String>,
}

pub async fn insert_event(tx: &mut Tx, e: &EventRow) -> Result<()> {
    crate::bulk::consent_events(tx, std::slice::from_ref(e)).await
}

type EventTuple = (
    Uuid,
    Uuid,
    OffsetDateTime,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// A consent's history, oldest first.
pub async fn events(db: &Db, consent_id: Uuid) -> Result<Vec<EventRow>> {
    events_where(db, "consent_id = $1 ORDER BY at, id", consent_id).await
}

/// The event a receipt id (`jti`) names, for the public status page.
pub async fn event_by_receipt(db: &Db, receipt_id: Uuid) -> Result<Option<EventRow>> {
    Ok(events_where(db, "id = $1", receipt_id).await?.pop())
}

/// Events matching `cond`, a fixed condition on one bound id.
async fn events_where(db: &Db, cond: &'static str, id: Uuid) -> Result<Vec<EventRow>> {
    let sql = format!(
        "SELECT id, consent_id, at, event, from_status, to_status, by_whom, reason, receipt \
         FROM consent_events WHERE {cond}"
    );
    let t: Vec<EventTuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_all(pool).await?);
    t.into_iter()
        .map(|t| {
            Ok(EventRow {
                id: t.0,
                consent_id: t.1,
                at: t.2,
                event: t.3,
                from_status: t.4.as_deref().map(status).transpose()?,
                to_status: status(&t.5)?,
                by_whom: t.6,
                reason: t.7,
                receipt: t.8,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRow {
    pub id: Uuid,
    pub consent_id: Uuid,
    pub account_id: Uuid,
    pub client_id: String,
    pub at: OffsetDateTime,
    pub endpoint: String,
    /// JSON arrays of category codes.
    pub categories_asked: String,
    pub categories_returned: String,
    /// `ok` or a denial code.
    pub result: String,
    pub answer_sha256: Option<String>,
}

/// Logs a read; a successful one also counts on the consent.
pub async fn insert_read(tx: &mut Tx, r: &ReadRow) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO consent_reads (id, consent_id, account_id, client_id, at, endpoint, \
             categories_asked, categories_returned, result, answer_sha256) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(r.id).bind(r.consent_id).bind(r.account_id).bind(&r.client_id).bind(At(r.at))
            .bind(&r.endpoint).bind(&r.categories_asked).bind(&r.categories_returned)
            .bind(&r.result).bind(&r.answer_sha256)
            .execute(&mut *conn).await?;
        if r.result == "ok" {
            sqlx::query("UPDATE consents SET read_count = read_count + 1, last_read_at = $2 WHERE id = $1")
                .bind(r.consent_id).bind(At(r.at)).execute(&mut *conn).await?;
        }
    });
    Ok(())
}

/// Successful reads since `since`: how many, and the oldest.
pub async fn usage_since(
    tx: &mut Tx,
    consent_id: Uuid,
    since: OffsetDateTime,
) -> Result<(i64, Option<OffsetDateTime>)> {
    let r: (i64, Option<OffsetDateTime>) = on_tx!(tx, conn => sqlx::query_as(
        "SELECT COUNT(*), MIN(at) FROM consent_reads WHERE consent_id = $1 AND result = 'ok' AND at > $2")
        .bind(consent_id).bind(At(since)).fetch_one(conn).await?);
    Ok(r)
}

type ReadTuple = (
    Uuid,
    Uuid,
    Uuid,
    String,
    OffsetDateTime,
    String,
    String,
    String,
    String,
    Option<String>,
);

fn read_row(t: ReadTuple) -> ReadRow {
    ReadRow {
        id: t.0,
        consent_id: t.1,
        account_id: t.2,
        client_id: t.3,
        at: t.4,
        endpoint: t.5,
        categories_asked: t.6,
        categories_returned: t.7,
        result: t.8,
        answer_sha256: t.9,
    }
}

const READ_COLUMNS: &str = "id, consent_id, account_id, client_id, at, endpoint, categories_asked, \
     categories_returned, result, answer_sha256";

/// The reads under one consent, newest first.
pub async fn reads_of(db: &Db, consent_id: Uuid, limit: i64) -> Result<Vec<ReadRow>> {
    let sql = format!(
        "SELECT {READ_COLUMNS} FROM consent_reads WHERE consent_id = $1 ORDER BY at DESC, id DESC LIMIT $2"
    );
    let t: Vec<ReadTuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(consent_id).bind(limit).fetch_all(pool).await?);
    Ok(t.into_iter().map(read_row).collect())
}

/// Live consents whose time is up (`active`/`paused` past `valid_until`,
/// `requested` past `request_expires_at`), oldest first.
pub async fn due(db: &Db, now: OffsetDateTime, limit: i64) -> Result<Vec<ConsentRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM consents WHERE \
         (status IN ('active', 'paused') AND valid_until <= $1) \
         OR (status = 'requested' AND request_expires_at <= $1) \
         ORDER BY valid_until, id LIMIT $2"
    );
    let r: Vec<Raw> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(At(now)).bind(limit).fetch_all(pool).await?);
    rows(r)
}

/// Remembers a pairwise subject as handed out (a repeat changes nothing).
pub async fn remember_subject(
    tx: &mut Tx,
    sector: &str,
    subject: &str,
    account_id: Uuid,
    at: OffsetDateTime,
) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO pairwise_subjects (sector, subject, account_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sector, subject) DO NOTHING")
            .bind(sector).bind(subject).bind(account_id).bind(At(at))
            .execute(conn).await?;
    });
    Ok(())
}

pub async fn account_of_subject(db: &Db, sector: &str, subject: &str) -> Result<Option<Uuid>> {
    let r: Option<Uuid> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT account_id FROM pairwise_subjects WHERE sector = $1 AND subject = $2")
        .bind(sector).bind(subject).fetch_optional(pool).await?);
    Ok(r)
}

/// A cached registry answer (sealed) and when it was fetched.
pub async fn cached(
    db: &Db,
    account_id: Uuid,
    category: &str,
) -> Result<Option<(Vec<u8>, OffsetDateTime)>> {
    let r: Option<(Vec<u8>, OffsetDateTime)> = on_db!(db, pool => sqlx::query_as(
        "SELECT sealed, fetched_at FROM person_data_cache WHERE account_id = $1 AND category = $2")
        .bind(account_id).bind(category).fetch_optional(pool).await?);
    Ok(r)
}

pub async fn put_cache(
    db: &Db,
    account_id: Uuid,
    category: &str,
    sealed: &[u8],
    at: OffsetDateTime,
) -> Result<()> {
    on_db!(db, pool => {
        sqlx::query(
            "INSERT INTO person_data_cache (account_id, category, sealed, fetched_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id, category) DO UPDATE SET sealed = excluded.sealed, fetched_at = excluded.fetched_at")
            .bind(account_id).bind(category).bind(sealed).bind(At(at))
            .execute(pool).await?;
    });
    Ok(())
}

/// Every cached registry answer about a citizen (sealed), by category.
pub async fn cache_of(db: &Db, account_id: Uuid) -> Result<Vec<(String, Vec<u8>, OffsetDateTime)>> {
    let r: Vec<(String, Vec<u8>, OffsetDateTime)> = on_db!(db, pool => sqlx::query_as(
        "SELECT category, sealed, fetched_at FROM person_data_cache WHERE account_id = $1 ORDER BY category")
        .bind(account_id).fetch_all(pool).await?);
    Ok(r)
}

/// Drops cached registry answers about a citizen: one category, or all.
pub async fn drop_cache(tx: &mut Tx, account_id: Uuid, category: Option<&str>) -> Result<u64> {
    let n = on_tx!(tx, conn => sqlx::query(
        "DELETE FROM person_data_cache WHERE account_id = $1 AND ($2 IS NULL OR category = $2)")
        .bind(account_id).bind(category).execute(conn).await?.rows_affected());
    Ok(n)
}

/// A citizen's reads across all consents, newest first (for their export).
pub async fn reads_of_account(db: &Db, account_id: Uuid, limit: i64) -> Result<Vec<ReadRow>> {
    let sql = format!(
        "SELECT {READ_COLUMNS} FROM consent_reads WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2"
    );
    let t: Vec<ReadTuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).bind(limit).fetch_all(pool).await?);
    Ok(t.into_iter().map(read_row).collect())
}
