//! The audit log in the database. Appends happen inside the caller's transaction,
//! so an event exists exactly when the change it records was committed.
//!
//! All appends serialize on the single `audit_head` row: the first statement of an
//! append is an `UPDATE … RETURNING` on it, which holds the row lock (PostgreSQL) or
//! the write lock (SQLite) until the caller commits. That is what keeps one chain
//! with many concurrent writers on many nodes; its cost is that audited writes
//! commit one at a time, which docs/ARCHITECTURE.md discusses.

use propusk_core::audit::{Break, Event, Hash, NewEvent, Verifier};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::{Db, Tx};
use crate::dialect::At;
use crate::{Result, StoreError};

const CLAIM_HEAD: &str =
    "UPDATE audit_head SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq, last_hash";
const INSERT: &str = "INSERT INTO audit_events (seq, id, at, actor, action, subject, details, prev_hash, hash) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const HEAD: &str = "SELECT last_seq, last_hash FROM audit_head WHERE id = 1";
const PAGE: &str = "SELECT seq, id, at, actor, action, subject, details, prev_hash, hash FROM audit_events \
                    WHERE seq > $1 ORDER BY seq LIMIT $2";
const RECENT_FOR_SUBJECT: &str = "SELECT seq, id, at, actor, action, subject, details, prev_hash, hash \
                                  FROM audit_events WHERE subject = $1 ORDER BY seq DESC LIMIT $2";

/// Appends one event to the chain within `tx`: two statements, the claim of
/// the head and the insert, whose trigger (migration 0010) moves the head's
/// hash along.
pub async fn append(tx: &mut Tx, at: OffsetDateTime, event: &NewEvent) -> Result<Event> {
    let (seq, prev_hex): (i64, String) =
        on_tx!(tx, conn => sqlx::query_as(CLAIM_HEAD).fetch_one(conn).await?);
    let prev =
        Hash::from_hex(&prev_hex).ok_or_else(|| StoreError::Corrupt("audit head hash".into()))?;
    let sealed = Event::seal((seq - 1, prev), Uuid::now_v7(), at, event);
    let hash_hex = sealed.hash.to_hex();
    on_tx!(tx, conn => {
        sqlx::query(INSERT)
            .bind(sealed.seq)
            .bind(sealed.id)
            .bind(At(sealed.at))
            .bind(&sealed.actor)
            .bind(&sealed.action)
            .bind(&sealed.subject)
            .bind(&sealed.details)
            .bind(sealed.prev_hash.to_hex())
            .bind(&hash_hex)
            .execute(conn)
            .await?;
    });
    Ok(sealed)
}

const CLAIM_HEAD_N: &str =
    "UPDATE audit_head SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq, last_hash";
const SET_HEAD_HASH: &str = "UPDATE audit_head SET last_hash = $1 WHERE id = 1";

/// Rows per multi-row insert: 9 parameters each, well under SQLite's limit.
const INSERT_CHUNK: usize = 200;

/// Appends many events within `tx` in a few statements, whatever their
/// number: the head is claimed once for all of them, the rows go in
/// multi-row inserts, and the head's hash is set last (so the order in
/// which a database fires the per-row trigger does not matter).
pub async fn append_many(tx: &mut Tx, events: &[(OffsetDateTime, NewEvent)]) -> Result<Vec<Event>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let n = i64::try_from(events.len()).map_err(|_| StoreError::Corrupt("batch size".into()))?;
    let (last, prev_hex): (i64, String) =
        on_tx!(tx, conn => sqlx::query_as(CLAIM_HEAD_N).bind(n).fetch_one(conn).await?);
    let mut prev = (
        last - n,
        Hash::from_hex(&prev_hex).ok_or_else(|| StoreError::Corrupt("audit head hash".into()))?,
    );
    let mut sealed = Vec::with_capacity(events.len());
    for (at, event) in events {
        let e = Event::seal(prev, Uuid::now_v7(), *at, event);
        prev = (e.seq, e.hash);
        sealed.push(e);
    }
    for chunk in sealed.chunks(INSERT_CHUNK) {
        let mut sql = String::from(
            "INSERT INTO audit_events (seq, id, at, actor, action, subject, details, prev_hash, hash) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 9;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9
            ));
        }
        on_tx!(tx, conn => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for e in chunk {
                q = q
                    .bind(e.seq)
                    .bind(e.id)
                    .bind(At(e.at))
                    .bind(&e.actor)
                    .bind(&e.action)
                    .bind(&e.subject)
                    .bind(&e.details)
                    .bind(e.prev_hash.to_hex())
                    .bind(e.hash.to_hex());
            }
            q.execute(conn).await?;
        });
    }
    on_tx!(tx, conn => {
        sqlx::query(SET_HEAD_HASH).bind(prev.1.to_hex()).execute(conn).await?;
    });
    Ok(sealed)
}

/// Appends one event in a transaction of its own: for events that record
/// something outside the database (a start-up, a CLI action).
pub async fn record(db: &Db, at: OffsetDateTime, event: &NewEvent) -> Result<Event> {
    let mut tx = db.begin().await?;
    let sealed = append(&mut tx, at, event).await?;
    tx.commit().await?;
    Ok(sealed)
}

/// The last link as the head records it.
pub async fn head(db: &Db) -> Result<(i64, Hash)> {
    let (seq, hex): (i64, String) = on_db!(db, pool => sqlx::query_as(HEAD).fetch_one(pool).await?);
    let hash = Hash::from_hex(&hex).ok_or_else(|| StoreError::Corrupt("audit head hash".into()))?;
    Ok((seq, hash))
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact { events: u64 },
    Broken(Break),
}

/// Walks the whole chain in pages, holding one page in memory at a time.
///
/// The head is read first: events committed during the walk lie beyond it and
/// are left for the next run, so a live server does not make the check fail.
pub async fn verify(db: &Db) -> Result<Verdict> {
    const PAGE_SIZE: i64 = 2_000;
    let head = head(db).await?;
    let mut verifier = Verifier::new();
    let mut after = 0i64;
    'pages: loop {
        let events = page(db, after, PAGE_SIZE).await?;
        let full = events.len() as i64 == PAGE_SIZE;
        for e in events {
            if e.seq > head.0 {
                break 'pages;
            }
            after = e.seq;
            if let Err(b) = verifier.check(&e) {
                return Ok(Verdict::Broken(b));
            }
        }
        if !full {
            break;
        }
    }
    Ok(match verifier.finish(head) {
        Ok(events) => Verdict::Intact { events },
        Err(b) => Verdict::Broken(b),
    })
}

async fn page(db: &Db, after: i64, limit: i64) -> Result<Vec<Event>> {
    let rows = on_db!(db, pool => {
        let rows = sqlx::query(PAGE).bind(after).bind(limit).fetch_all(pool).await?;
        rows.iter().map(decode).collect::<Result<Vec<_>>>()?
    });
    Ok(rows)
}

/// The newest events about one subject, newest first (for a citizen's history).
pub async fn recent_for_subject(db: &Db, subject: &str, limit: i64) -> Result<Vec<Event>> {
    let rows = on_db!(db, pool => {
        let rows = sqlx::query(RECENT_FOR_SUBJECT).bind(subject).bind(limit).fetch_all(pool).await?;
        rows.iter().map(decode).collect::<Result<Vec<_>>>()?
    });
    Ok(rows)
}

fn decode<R>(row: &R) -> Result<Event>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Uuid: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> OffsetDateTime: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let hash = |col: &str| -> Result<Hash> {
        let hex: String = row.try_get(col)?;
        // A hash that is not even hex still has to surface as a broken chain,
        // not an error that hides where the damage is: map it to a value that
        // can never match.
        Ok(Hash::from_hex(&hex).unwrap_or(Hash([0xff; 32])))
    };
    Ok(Event {
        seq: row.try_get("seq")?,
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        subject: row.try_get("subject")?,
        details: row.try_get("details")?,
        prev_hash: hash("prev_hash")?,
        hash: hash("hash")?,
    })
}
