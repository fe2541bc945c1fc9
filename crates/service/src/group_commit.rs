//! Group commit: small writes from concurrent requests share one
//! transaction. On one core a grant's own transaction (and, on SQLite, its
//! turn at the single writer) cost more than its signature; written in
//! batches, the commit is paid once for many requests. Each request still
//! gets its own answer, and only after the batch holding it has committed,
//! so nothing is acknowledged that could still be lost.
//!
//! A batch is whatever arrived while the previous one was being written,
//! and, when the writer is busy, what arrives while it lets the other tasks
//! run a few times: no timer, so a lone request waits for nothing.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use propusk_store::{Db, StoreError, Tx};
use tokio::sync::{mpsc, oneshot};

use crate::{Result, ServiceError};

/// One kind of batched write.
pub trait Batch: Send + Sync + 'static {
    type Item: Send + Sync + 'static;
    type Out: Send + 'static;

    /// Writes `items` in `tx`, one answer per item, in order. An error
    /// fails the whole batch (nothing of it is committed).
    fn write<'a>(
        tx: &'a mut Tx,
        items: &'a [Self::Item],
    ) -> impl Future<Output = std::result::Result<Vec<Self::Out>, StoreError>> + Send + 'a;
}

/// A batch's failure as each of its members gets it: whether retrying may
/// help (the web layer's 503), and the text.
type Failure = (bool, String);

struct Job<B: Batch> {
    item: B::Item,
    reply: oneshot::Sender<std::result::Result<B::Out, Failure>>,
}

/// Largest batch written at once.
const MAX_BATCH: usize = 512;

/// Under load, how many times the writer lets other tasks run before it
/// writes what it has.
const GATHER_YIELDS: u32 = 8;

/// The writer of one kind of batch; started by its first use, on the
/// runtime that uses it.
pub struct GroupCommit<B: Batch> {
    tx: Arc<OnceLock<mpsc::UnboundedSender<Job<B>>>>,
}

impl<B: Batch> Default for GroupCommit<B> {
    fn default() -> Self {
        GroupCommit { tx: Arc::default() }
    }
}

impl<B: Batch> Clone for GroupCommit<B> {
    fn clone(&self) -> Self {
        GroupCommit {
            tx: self.tx.clone(),
        }
    }
}

impl<B: Batch> GroupCommit<B> {
    /// Writes `item` with whatever else is waiting; the answer comes once
    /// its batch has committed.
    pub async fn submit(&self, db: &Db, item: B::Item) -> Result<B::Out> {
        let (reply, answer) = oneshot::channel();
        let sender = self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(writer::<B>(db.clone(), rx));
            tx
        });
        sender.send(Job { item, reply }).map_err(|_| stopped())?;
        match answer.await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err((true, e))) => Err(ServiceError::Store(StoreError::Unavailable(
                propusk_store::SqlxError::Protocol(e),
            ))),
            Ok(Err((false, e))) => Err(ServiceError::Internal(e)),
            Err(_) => Err(stopped()),
        }
    }
}

fn stopped() -> ServiceError {
    ServiceError::Internal("group commit writer stopped".into())
}

/// Batches in flight at once. SQLite has one writer, so one; PostgreSQL
/// commits several side by side, and while one batch waits for its commit
/// (a WAL flush) the next can already be written, so a node under load is
/// not held to one commit's latency per batch.
fn in_flight(db: &Db) -> usize {
    match db.backend() {
        propusk_store::Backend::Sqlite => 1,
        propusk_store::Backend::Postgres => 4,
    }
}

async fn writer<B: Batch>(db: Db, mut rx: mpsc::UnboundedReceiver<Job<B>>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(in_flight(&db)));
    let mut last_write: Option<std::time::Instant> = None;
    while let Some(first) = rx.recv().await {
        // Waiting for a slot lets the batch grow meanwhile.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let mut batch = vec![first];
        // A commit costs about what a signature does, and it is paid per
        // batch. When the last batch was written moments ago, requests are
        // queueing behind it: let the ones being worked on reach this batch
        // first. An idle server writes at once.
        let busy = last_write.is_some_and(|t| t.elapsed() < std::time::Duration::from_millis(2));
        let mut yields = if busy { GATHER_YIELDS } else { 0 };
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) if yields > 0 => {
                    yields -= 1;
                    tokio::task::yield_now().await;
                }
                Err(_) => break,
            }
        }
        last_write = Some(std::time::Instant::now());
        let db = db.clone();
        tokio::spawn(async move {
            write_batch::<B>(&db, batch).await;
            drop(slot);
        });
    }
}

/// One batch in one transaction; every member gets the outcome.
async fn write_batch<B: Batch>(db: &Db, batch: Vec<Job<B>>) {
    let (items, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|j| (j.item, j.reply)).unzip();
    let result = async {
        let mut tx = db.begin().await?;
        let outs = B::write(&mut tx, &items).await?;
        if outs.len() != items.len() {
            // Dropped without commit: rolled back.
            return Err(StoreError::Corrupt("a batch answered out of step".into()));
        }
        tx.commit().await?;
        Ok::<_, StoreError>(outs)
    }
    .await;
    match result {
        Ok(outs) => {
            for (reply, out) in replies.into_iter().zip(outs) {
                let _ = reply.send(Ok(out));
            }
        }
        Err(e) => {
            let (unavailable, text) = (e.is_unavailable(), e.to_string());
            for reply in replies {
                let _ = reply.send(Err((unavailable, text.clone())));
            }
        }
    }
}
