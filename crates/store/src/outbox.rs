//! The outbox: messages written in the same transaction as the change that
//! causes them, delivered later by a dispatcher. Contents are sealed by the
//! caller (they hold contacts and codes).

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::db::{Db, Tx};
use crate::dialect::At;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
    Push,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Push => "push",
        }
    }

    fn parse(s: &str) -> Option<Channel> {
        match s {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            "push" => Some(Channel::Push),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    pub id: Uuid,
    pub channel: Channel,
    /// Sealed with context `outbox.recipient:<id>`.
    pub recipient: Vec<u8>,
    /// Sealed with context `outbox.content:<id>`.
    pub content: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub status: String,
    pub attempts: i32,
}

const INSERT: &str = "INSERT INTO outbox (id, channel, recipient, content, created_at, next_attempt_at) \
                      VALUES ($1, $2, $3, $4, $5, $5)";
const RECENT: &str = "SELECT id, channel, recipient, content, created_at, status, attempts FROM outbox \
                      ORDER BY created_at DESC, id DESC LIMIT $1";

type Tuple = (Uuid, String, Vec<u8>, Vec<u8>, OffsetDateTime, String, i32);

fn message(t: Tuple) -> Result<MessageRow> {
    let channel = Channel::parse(&t.1)
        .ok_or_else(|| crate::StoreError::Corrupt(format!("outbox.channel: {}", t.1)))?;
    Ok(MessageRow {
        id: t.0,
        channel,
        recipient: t.2,
        content: t.3,
        created_at: t.4,
        status: t.5,
        attempts: t.6,
    })
}

pub async fn enqueue(tx: &mut Tx, m: &MessageRow) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query(INSERT)
            .bind(m.id)
            .bind(m.channel.as_str())
            .bind(&m.recipient)
            .bind(&m.content)
            .bind(At(m.created_at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// The newest messages first (the demo outbox page).
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<MessageRow>> {
    let rows: Vec<Tuple> =
        on_db!(db, pool => sqlx::query_as(RECENT).bind(limit).fetch_all(pool).await?);
    rows.into_iter().map(message).collect()
}

/// A message taken for delivery by one dispatcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub row: MessageRow,
    /// Tries so far, this one included.
    pub attempts: i32,
}

/// Takes up to `limit` due messages for this dispatcher: each gets a lease
/// (`next_attempt_at` moves to `lease_until`) and its try counted, in one
/// statement, so no two dispatchers on any nodes take the same message while
/// the lease runs. A dispatcher that dies mid-send leaves the lease to expire
/// and the message to be tried again.
pub async fn claim_due(
    db: &Db,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Claimed>> {
    let sql = crate::dialect::claim_due_outbox(db.backend());
    let rows: Vec<Tuple> = on_db!(db, pool => {
        sqlx::query_as(sql)
            .bind(At(now))
            .bind(At(lease_until))
            .bind(limit)
            .fetch_all(pool)
            .await?
    });
    rows.into_iter()
        .map(|t| {
            let row = message(t)?;
            Ok(Claimed {
                attempts: row.attempts,
                row,
            })
        })
        .collect()
}

pub async fn mark_sent(db: &Db, id: Uuid, at: OffsetDateTime) -> Result<()> {
    on_db!(db, pool => {
        sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $2, last_error = NULL WHERE id = $1")
            .bind(id)
            .bind(At(at))
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Records a failed try: again at `retry_at`, or dead when `None`. The error
/// text must not hold personal data.
pub async fn mark_failed(
    db: &Db,
    id: Uuid,
    error: &str,
    retry_at: Option<OffsetDateTime>,
) -> Result<()> {
    let error: String = error.chars().take(500).collect();
    on_db!(db, pool => {
        match retry_at {
            Some(at) => {
                sqlx::query("UPDATE outbox SET last_error = $2, next_attempt_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(&error)
                    .bind(At(at))
                    .execute(pool)
                    .await?;
            }
            None => {
                sqlx::query("UPDATE outbox SET status = 'dead', last_error = $2 WHERE id = $1")
                    .bind(id)
                    .bind(&error)
                    .execute(pool)
                    .await?;
            }
        }
    });
    Ok(())
}

/// How many messages are in each state: for metrics and tests.
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>> {
    let rows: Vec<(String, i64)> = on_db!(db, pool => {
        sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")
            .fetch_all(pool)
            .await?
    });
    Ok(rows)
}

/// Removes delivered and dead messages created before `before` (their
/// sealed contents are personal data kept no longer than needed).
pub async fn purge_done(db: &Db, before: OffsetDateTime) -> Result<u64> {
    let n = on_db!(db, pool => {
        sqlx::query("DELETE FROM outbox WHERE status IN ('sent', 'dead') AND created_at < $1")
            .bind(At(before))
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(n)
}
