//! The one-time identifier memory (`seen_once`) with group commit: client
//! assertion and DPoP `jti`s from concurrent requests are written in one
//! transaction and one statement per batch. The table stays the memory
//! shared by all nodes; batching only takes the per-request transaction off
//! the token endpoint's path (on one core that transaction, not the
//! signature, was most of a grant's cost).
//!
//! A batch is whatever arrived while the previous one was being written,
//! and, when the writer is busy, what arrives while it lets the other tasks
//! run a few times: no timer, so a lone request waits for nothing.

use std::sync::Arc;

use propusk_store::{Db, seen_once};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use crate::{Result, ServiceError};

/// The answer: fresh or not, or why the batch failed (unavailable?, text).
type Reply = oneshot::Sender<std::result::Result<bool, (bool, String)>>;

struct Item {
    scope: String,
    id: String,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
    reply: Reply,
}

/// Largest batch written at once.
const MAX_BATCH: usize = 512;

#[derive(Clone, Default)]
pub struct Replay {
    tx: Arc<std::sync::OnceLock<mpsc::UnboundedSender<Item>>>,
}

impl Replay {
    fn sender(&self, db: &Db) -> &mpsc::UnboundedSender<Item> {
        self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(writer(db.clone(), rx));
            tx
        })
    }

    /// `true` the first time `id` is seen in `scope` (until `expires_at`).
    pub async fn remember(
        &self,
        db: &Db,
        scope: String,
        id: String,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let (reply, answer) = oneshot::channel();
        self.sender(db)
            .send(Item {
                scope,
                id,
                expires_at,
                now,
                reply,
            })
            .map_err(|_| ServiceError::Internal("replay writer stopped".into()))?;
        match answer.await {
            Ok(Ok(fresh)) => Ok(fresh),
            // The batch's error is shared by its members: kept as its kind and text.
            Ok(Err((true, e))) => Err(ServiceError::Store(propusk_store::StoreError::Unavailable(
                sqlx_unavailable(e),
            ))),
            Ok(Err((false, e))) => Err(ServiceError::Internal(e)),
            Err(_) => Err(ServiceError::Internal("replay writer stopped".into())),
        }
    }
}

/// Under load, how many times the writer lets other tasks run before it
/// writes what it has.
const GATHER_YIELDS: u32 = 8;

async fn writer(db: Db, mut rx: mpsc::UnboundedReceiver<Item>) {
    let mut last_write: Option<std::time::Instant> = None;
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        // A commit costs about what a signature does, and it is paid per
        // batch. When the last batch was written moments ago, requests are
        // queueing behind it: let the ones being worked on reach this batch
        // first. An idle server writes at once.
        let busy = last_write.is_some_and(|t| t.elapsed() < std::time::Duration::from_millis(2));
        let mut yields = if busy { GATHER_YIELDS } else { 0 };
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) if yields > 0 => {
                    yields -= 1;
                    tokio::task::yield_now().await;
                }
                Err(_) => break,
            }
        }
        let now = batch
            .iter()
            .map(|i| i.now)
            .max()
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let items: Vec<(String, String, OffsetDateTime)> = batch
            .iter()
            .map(|i| (i.scope.clone(), i.id.clone(), i.expires_at))
            .collect();
        let result = async {
            let mut tx = db.begin().await?;
            let fresh = seen_once::remember_many(&mut tx, &items, now).await?;
            tx.commit().await?;
            Ok::<_, propusk_store::StoreError>(fresh)
        }
        .await;
        last_write = Some(std::time::Instant::now());
        match result {
            Ok(fresh) => {
                for (item, f) in batch.into_iter().zip(fresh) {
                    let _ = item.reply.send(Ok(f));
                }
            }
            Err(e) => {
                let (unavailable, text) = (e.is_unavailable(), e.to_string());
                for item in batch {
                    let _ = item.reply.send(Err((unavailable, text.clone())));
                }
            }
        }
    }
}

fn sqlx_unavailable(text: String) -> propusk_store::SqlxError {
    propusk_store::SqlxError::Protocol(text)
}
