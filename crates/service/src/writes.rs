//! The node's small writes, group-committed together: one-time identifiers
//! (`seen_once`: client assertion and DPoP `jti`s), refresh grants, and
//! audit events with nothing else to write (each `client_credentials`
//! token). One writer for all three kinds: on one core every transaction
//! is a few round trips to the database's connection (on SQLite, a thread
//! woken for each statement), so the fewer transactions the better, and
//! a token request that writes twice (its assertion's `jti`, then its
//! audit event) shares both transactions with other requests.
//!
//! In a batch the identifiers go in one statement, the refreshes in a few
//! (`oauth::refresh::write_all`), and every audit event of the batch (the
//! refreshes' too) in one `audit::append_many` at the end.

use propusk_core::audit::NewEvent;
use propusk_store::{Db, StoreError, Tx, audit, seen_once};
use time::OffsetDateTime;

use crate::group_commit::{Batch, GroupCommit};
use crate::oauth::refresh::{RefreshOutcome, RefreshWrite};
use crate::{Result, ServiceError};

pub enum Write {
    /// Fresh the first time `id` is seen in `scope` (until `expires_at`).
    Seen {
        scope: String,
        id: String,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    },
    Refresh(RefreshWrite),
    Audit(OffsetDateTime, NewEvent),
}

pub enum Written {
    Seen(bool),
    Refresh(RefreshOutcome),
    Audit,
}

pub struct Writes;

impl Batch for Writes {
    type Item = Write;
    type Out = Written;

    async fn write(tx: &mut Tx, items: &[Write]) -> std::result::Result<Vec<Written>, StoreError> {
        let mut out: Vec<Option<Written>> = (0..items.len()).map(|_| None).collect();
        let mut seen = Vec::new();
        let mut seen_at = Vec::new();
        let mut now = OffsetDateTime::UNIX_EPOCH;
        let mut events = Vec::new();
        let mut refreshes = Vec::new();
        let mut refresh_at = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Write::Seen {
                    scope,
                    id,
                    expires_at,
                    now: at,
                } => {
                    seen.push((scope.clone(), id.clone(), *expires_at));
                    seen_at.push(i);
                    now = now.max(*at);
                }
                Write::Refresh(w) => {
                    refreshes.push(w);
                    refresh_at.push(i);
                }
                Write::Audit(at, event) => {
                    events.push((*at, event.clone()));
                    out[i] = Some(Written::Audit);
                }
            }
        }
        if !refreshes.is_empty() {
            let written = crate::oauth::refresh::write_all(tx, &refreshes).await?;
            for ((i, w), (outcome, event)) in refresh_at.into_iter().zip(&refreshes).zip(written) {
                events.extend(event.map(|e| (w.now, e)));
                out[i] = Some(Written::Refresh(outcome));
            }
        }
        if !seen.is_empty() {
            let fresh = seen_once::remember_many(tx, &seen, now).await?;
            for (i, f) in seen_at.into_iter().zip(fresh) {
                out[i] = Some(Written::Seen(f));
            }
        }
        audit::append_many(tx, &events).await?;
        out.into_iter()
            .map(|o| o.ok_or_else(|| StoreError::Corrupt("a write without an answer".into())))
            .collect()
    }
}

/// This node's writer.
#[derive(Clone, Default)]
pub struct SmallWrites(GroupCommit<Writes>);

fn out_of_step() -> ServiceError {
    ServiceError::Internal("a batched write answered with another kind".into())
}

impl SmallWrites {
    /// `true` the first time `id` is seen in `scope` (until `expires_at`):
    /// the replay memory every node shares.
    pub async fn seen_once(
        &self,
        db: &Db,
        scope: String,
        id: String,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let write = Write::Seen {
            scope,
            id,
            expires_at,
            now,
        };
        match self.0.submit(db, write).await? {
            Written::Seen(fresh) => Ok(fresh),
            _ => Err(out_of_step()),
        }
    }

    pub(crate) async fn refresh(&self, db: &Db, w: RefreshWrite) -> Result<RefreshOutcome> {
        match self.0.submit(db, Write::Refresh(w)).await? {
            Written::Refresh(outcome) => Ok(outcome),
            _ => Err(out_of_step()),
        }
    }

    /// Appends `event`; returns once it is committed.
    pub async fn audit(&self, db: &Db, at: OffsetDateTime, event: NewEvent) -> Result<()> {
        match self.0.submit(db, Write::Audit(at, event)).await? {
            Written::Audit => Ok(()),
            _ => Err(out_of_step()),
        }
    }
}
