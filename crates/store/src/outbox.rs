//! The outbox: messages written in the same transaction as the change that
//! causes them, delivered later by a dispatcher. Contents are sealed by the
//! caller (they hold contacts and codes).

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::db::{Db, Tx};

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

pub async fn enqueue(tx: &mut Tx, m: &MessageRow) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query(INSERT)
            .bind(m.id)
            .bind(m.channel.as_str())
            .bind(&m.recipient)
            .bind(&m.content)
            .bind(m.created_at)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// The newest messages first (the demo outbox page).
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<MessageRow>> {
    let rows: Vec<Tuple> =
        on_db!(db, pool => sqlx::query_as(RECENT).bind(limit).fetch_all(pool).await?);
    rows.into_iter()
        .map(|t| {
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
        })
        .collect()
}
