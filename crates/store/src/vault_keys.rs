//! Which personal-data keys this database was written with (by fingerprint).

use propusk_core::audit::{Actor, NewEvent};
use time::OffsetDateTime;

use crate::Result;
use crate::db::Db;
use crate::dialect::At;

/// The outcome of comparing a node's key ring with the database's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    /// Everything matches; `added` names keys seen for the first time (a new
    /// database, or a rotation), now recorded.
    Matches { added: Vec<String> },
    /// The ring has a key of this name, but not the one the database knows.
    Differs { name: String },
    /// The database knows a key the ring lacks: values sealed under it would
    /// be unreadable.
    Missing { name: String },
}

const ALL: &str = "SELECT name, fingerprint FROM vault_keys ORDER BY name";
const INSERT: &str = "INSERT INTO vault_keys (name, fingerprint, added_at) VALUES ($1, $2, $3)";

/// Compares `ring` (name, fingerprint pairs) with the recorded keys and records
/// new ones, with an audit event each, in one transaction.
pub async fn reconcile(db: &Db, ring: &[(String, String)], at: OffsetDateTime) -> Result<KeyCheck> {
    let mut tx = db.begin().await?;
    let known: Vec<(String, String)> =
        on_tx!(&mut tx, conn => sqlx::query_as(ALL).fetch_all(conn).await?);
    for (name, fp) in &known {
        match ring.iter().find(|(n, _)| n == name) {
            None => return Ok(KeyCheck::Missing { name: name.clone() }),
            Some((_, mine)) if mine != fp => return Ok(KeyCheck::Differs { name: name.clone() }),
            Some(_) => {}
        }
    }
    let mut added = Vec::new();
    for (name, fp) in ring {
        if known.iter().any(|(n, _)| n == name) {
            continue;
        }
        on_tx!(&mut tx, conn => {
            sqlx::query(INSERT).bind(name).bind(fp).bind(At(at)).execute(conn).await?;
        });
        let event = NewEvent::new(Actor::system(), "vault.key_registered")
            .subject(format!("vault:{name}"))
            .details(serde_json::json!({ "fingerprint": fp }));
        crate::audit::append(&mut tx, at, &event).await?;
        added.push(name.clone());
    }
    tx.commit().await?;
    Ok(KeyCheck::Matches { added })
}
