//! Writing messages to the outbox (sealed) and reading them back (for the
//! demo outbox page and the dispatcher).

use propusk_core::vault::KeyRing;
use propusk_store::Tx;
use propusk_store::outbox::{self, Channel, MessageRow};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Result, ServiceError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    pub subject: String,
    pub body: String,
    /// The one thing an email asks the reader to do, shown as a button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
    #[serde(default)]
    pub lang: propusk_core::Lang,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

impl Content {
    /// A message with a subject and a body, nothing else.
    pub fn text(
        lang: propusk_core::Lang,
        subject: impl Into<String>,
        body: impl Into<String>,
    ) -> Content {
        Content {
            subject: subject.into(),
            body: body.into(),
            link: None,
            lang,
        }
    }
}

/// A message as it will be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: Uuid,
    pub channel: Channel,
    pub to: String,
    pub content: Content,
    pub created_at: OffsetDateTime,
}

pub async fn enqueue(
    tx: &mut Tx,
    vault: &KeyRing,
    channel: Channel,
    to: &str,
    content: &Content,
    at: OffsetDateTime,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let json = serde_json::to_vec(content).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let row = MessageRow {
        id,
        channel,
        recipient: vault.seal(
            &mut OsRng,
            to.as_bytes(),
            format!("outbox.recipient:{id}").as_bytes(),
        ),
        content: vault.seal(&mut OsRng, &json, format!("outbox.content:{id}").as_bytes()),
        created_at: at,
        status: "pending".into(),
        attempts: 0,
    };
    outbox::enqueue(tx, &row).await?;
    Ok(id)
}

pub fn open(vault: &KeyRing, row: &MessageRow) -> Result<Message> {
    let bad = |e: propusk_core::vault::VaultError| {
        ServiceError::Internal(format!("outbox {}: {e}", row.id))
    };
    let to = vault
        .open_str(&row.recipient, &format!("outbox.recipient:{}", row.id))
        .map_err(bad)?;
    let json = vault
        .open(
            &row.content,
            format!("outbox.content:{}", row.id).as_bytes(),
        )
        .map_err(bad)?;
    let content: Content =
        serde_json::from_slice(&json).map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(Message {
        id: row.id,
        channel: row.channel,
        to: to.to_string(),
        content,
        created_at: row.created_at,
    })
}

/// The newest messages, opened.
pub async fn recent(db: &propusk_store::Db, vault: &KeyRing, limit: i64) -> Result<Vec<Message>> {
    outbox::recent(db, limit)
        .await?
        .iter()
        .map(|r| open(vault, r))
        .collect()
}
