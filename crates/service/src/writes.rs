//! The node's small writes, group-committed together: one-time identifiers
//! (`seen_once`: client assertion and DPoP `jti`s), refresh grants, and
//! audit events with nothing else to write (each `client_credentials`
//! token). One writer for all three kinds: on one core every transaction
//! is a few round trips to the database's connection (on SQLite, a thread
//! woken for each statement), so the fewer transactions the better.
//!
//! A refresh or an audit event may carry the client assertion's `jti`
//! ([`Once`]): the token endpoint checks the assertion, signs the tokens,
//! and then spends the `jti` and records the grant in one write, taking
//! effect only if the `jti` was fresh. So a token costs one wait for a
//! batch, not two.
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
    /// A refresh, if its `Once` is fresh.
    Refresh(Option<Once>, RefreshWrite),
    /// An audit event, if its `Once` is fresh.
    Audit(Option<Once>, OffsetDateTime, NewEvent),
}

pub enum Written {
    Seen(bool),
    /// `None`: the `Once` was not fresh, nothing written.
    Refresh(Option<RefreshOutcome>),
    /// `false`: the `Once` was not fresh, nothing written.
    Audit(bool),
}

pub struct Writes;

impl Write {
    fn once(&self) -> Option<&Once> {
        match self {
            Write::Seen(o) => Some(o),
            Write::Refresh(o, _) | Write::Audit(o, _, _) => o.as_ref(),
        }
    }
}

impl Batch for Writes {
    type Item = Write;
    type Out = Written;

    async fn write(tx: &mut Tx, items: &[Write]) -> std::result::Result<Vec<Written>, StoreError> {
        // The identifiers first: what depends on one happens only if it is fresh.
        let mut fresh = vec![true; items.len()];
        let mut seen = Vec::new();
        let mut seen_at = Vec::new();
        let mut now = OffsetDateTime::UNIX_EPOCH;
        for (i, once) in items
            .iter()
            .enumerate()
            .filter_map(|(i, w)| Some((i, w.once()?)))
        {
            seen.push((once.scope.clone(), once.id.clone(), once.expires_at));
            seen_at.push(i);
            now = now.max(once.now);
        }
        if !seen.is_empty() {
            let first = seen_once::remember_many(tx, &seen, now).await?;
            for (i, f) in seen_at.into_iter().zip(first) {
                fresh[i] = f;
            }
        }
        let mut out: Vec<Option<Written>> = (0..items.len()).map(|_| None).collect();
        let mut events = Vec::new();
        let mut refreshes = Vec::new();
        let mut refresh_at = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Write::Seen(_) => out[i] = Some(Written::Seen(fresh[i])),
                Write::Refresh(_, w) if fresh[i] => {
                    refreshes.push(w);
                    refresh_at.push(i);
                }
                Write::Refresh(..) => out[i] = Some(Written::Refresh(None)),
                Write::Audit(_, at, event) => {
                    if fresh[i] {
                        events.push((*at, event.clone()));
                    }
                    out[i] = Some(Written::Audit(fresh[i]));
                }
            }
        }
        if !refreshes.is_empty() {
            let written = crate::oauth::refresh::write_all(tx, &refreshes).await?;
            for ((i, w), (outcome, event)) in refresh_at.into_iter().zip(&refreshes).zip(written) {
                events.extend(event.map(|e| (w.now, e)));
                out[i] = Some(Written::Refresh(Some(outcome)));
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

    /// The refresh, if `once` (when given) is fresh; `None` if it was not.
    pub(crate) async fn refresh(
        &self,
        db: &Db,
        once: Option<Once>,
        w: RefreshWrite,
    ) -> Result<Option<RefreshOutcome>> {
        match self.0.submit(db, Write::Refresh(once, w)).await? {
            Written::Refresh(outcome) => Ok(outcome),
            _ => Err(out_of_step()),
        }
    }

    /// Appends `event` if `once` (when given) is fresh; returns once it is
    /// committed, `false` if `once` was not fresh.
    pub async fn audit(
        &self,
        db: &Db,
        once: Option<Once>,
        at: OffsetDateTime,
        event: NewEvent,
    ) -> Result<bool> {
        match self.0.submit(db, Write::Audit(once, at, event)).await? {
            Written::Audit(fresh) => Ok(fresh),
            _ => Err(out_of_step()),
        }
    }
}
