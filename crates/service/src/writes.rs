//! The node's small writes, group-committed together: one-time identifiers
//! (`seen_once`: client assertion and DPoP `jti`s), refresh grants, and
//! audit events with nothing else to write (each `client_credentials`
//! token). One writer for all three kinds: on one core every transaction
//! is a few round trips to the database's connection (on SQLite, a thread
//! woken for each statement), so the fewer transactions the better.
//!
//! A refresh or an audit event may carry one-time identifiers ([`Once`]):
//! the token endpoint checks the DPoP proof and the client assertion,
//! signs the tokens, and then spends both `jti`s and records the grant in
//! one write, taking effect only if both were fresh. So a token costs one
//! wait for a batch, not three.
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

/// An identifier that may be used once: `id` in `scope` until `expires_at`.
#[derive(Debug, Clone)]
pub struct Once {
    pub scope: String,
    pub id: String,
    pub expires_at: OffsetDateTime,
    pub now: OffsetDateTime,
}

pub enum Write {
    Seen(Once),
    /// A refresh, if all its `Once`s are fresh.
    Refresh(Vec<Once>, RefreshWrite),
    /// An audit event, if all its `Once`s are fresh.
    Audit(Vec<Once>, OffsetDateTime, NewEvent),
}

/// Each answer carries, per `Once` in order, whether it was fresh.
pub enum Written {
    Seen(bool),
    /// `None`: some `Once` was not fresh, nothing written.
    Refresh(Vec<bool>, Option<RefreshOutcome>),
    /// Written if every `Once` was fresh.
    Audit(Vec<bool>),
}

pub struct Writes;

impl Write {
    fn onces(&self) -> &[Once] {
        match self {
            Write::Seen(o) => std::slice::from_ref(o),
            Write::Refresh(o, _) | Write::Audit(o, _, _) => o,
        }
    }
}

impl Batch for Writes {
    type Item = Write;
    type Out = Written;

    async fn write(tx: &mut Tx, items: &[Write]) -> std::result::Result<Vec<Written>, StoreError> {
        // The identifiers first: what depends on them happens only if all are fresh.
        let mut seen = Vec::new();
        let mut now = OffsetDateTime::UNIX_EPOCH;
        for once in items.iter().flat_map(Write::onces) {
            seen.push((once.scope.clone(), once.id.clone(), once.expires_at));
            now = now.max(once.now);
        }
        let mut flags = if seen.is_empty() {
            Vec::new()
        } else {
            seen_once::remember_many(tx, &seen, now).await?
        }
        .into_iter();
        let fresh: Vec<Vec<bool>> = items
            .iter()
            .map(|w| flags.by_ref().take(w.onces().len()).collect())
            .collect();
        let mut out: Vec<Option<Written>> = (0..items.len()).map(|_| None).collect();
        let mut events = Vec::new();
        let mut refreshes = Vec::new();
        let mut refresh_at = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let all = fresh[i].iter().all(|f| *f);
            match item {
                Write::Seen(_) => out[i] = Some(Written::Seen(all)),
                Write::Refresh(_, w) if all => {
                    refreshes.push(w);
                    refresh_at.push(i);
                }
                Write::Refresh(..) => out[i] = Some(Written::Refresh(fresh[i].clone(), None)),
                Write::Audit(_, at, event) => {
                    if all {
                        events.push((*at, event.clone()));
                    }
                    out[i] = Some(Written::Audit(fresh[i].clone()));
                }
            }
        }
        if !refreshes.is_empty() {
            let written = crate::oauth::refresh::write_all(tx, &refreshes).await?;
            for ((i, w), (outcome, event)) in refresh_at.into_iter().zip(&refreshes).zip(written) {
                events.extend(event.map(|e| (w.now, e)));
                out[i] = Some(Written::Refresh(fresh[i].clone(), Some(outcome)));
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
    /// `true` the first time the identifier is seen in its scope: the
    /// replay memory every node shares.
    pub async fn seen_once(&self, db: &Db, once: Once) -> Result<bool> {
        match self.0.submit(db, Write::Seen(once)).await? {
            Written::Seen(fresh) => Ok(fresh),
            _ => Err(out_of_step()),
        }
    }

    /// The refresh, if every one of `onces` is fresh; their freshness.
    pub(crate) async fn refresh(
        &self,
        db: &Db,
        onces: Vec<Once>,
        w: RefreshWrite,
    ) -> Result<(Vec<bool>, Option<RefreshOutcome>)> {
        match self.0.submit(db, Write::Refresh(onces, w)).await? {
            Written::Refresh(fresh, outcome) => Ok((fresh, outcome)),
            _ => Err(out_of_step()),
        }
    }

    /// Appends `event` if every one of `onces` is fresh; returns once it is
    /// committed, with their freshness.
    pub async fn audit(
        &self,
        db: &Db,
        onces: Vec<Once>,
        at: OffsetDateTime,
        event: NewEvent,
    ) -> Result<Vec<bool>> {
        match self.0.submit(db, Write::Audit(onces, at, event)).await? {
            Written::Audit(fresh) => Ok(fresh),
            _ => Err(out_of_step()),
        }
    }
}
