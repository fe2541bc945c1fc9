//! Scheduled jobs that exactly one node runs at a time (consent expiry,
//! the partners' daily digest): a node runs one only while it holds the
//! job's lease in the database (`store::jobs`), so a second node skips it,
//! and a node that dies mid-run loses the lease once [`LEASE`] has passed.

use propusk_store::jobs;
use time::Duration;

use crate::{Result, Services};

/// How long a lease lasts without being finished. Every job here does
/// bounded batches that take well under this.
pub const LEASE: Duration = Duration::minutes(2);

pub const CONSENT_EXPIRY: &str = "consent_expiry";
pub const PARTNER_DIGEST: &str = "partner_digest";
pub const CORRECTIONS: &str = "data_corrections";

impl Services {
    /// Runs `work` if this node wins `job`'s lease; `None` if another
    /// node holds it.
    pub(crate) async fn as_sole_node<T>(
        &self,
        job: &str,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<Option<T>> {
        let now = self.clock.now();
        if !jobs::acquire(&self.db, job, &self.node, now, now + LEASE).await? {
            return Ok(None);
        }
        let out = work.await;
        if !jobs::finish(&self.db, job, &self.node, self.clock.now()).await? {
            tracing::warn!(job, "a job ran past its lease");
        }
        out.map(Some)
    }

    /// Whether a daily job has not yet finished today (Moscow day).
    pub(crate) async fn due_today(&self, job: &str) -> Result<bool> {
        let today = crate::format::moscow_date(self.clock.now());
        Ok(match jobs::state(&self.db, job).await? {
            Some((_, _, Some(done))) => crate::format::moscow_date(done) < today,
            _ => true,
        })
    }

    /// Runs a daily job once a day on one node: checked again under the
    /// lease, since another node may have just finished it.
    pub(crate) async fn once_a_day<T>(
        &self,
        job: &str,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<Option<T>> {
        if !self.due_today(job).await? {
            return Ok(None);
        }
        let now = self.clock.now();
        if !jobs::acquire(&self.db, job, &self.node, now, now + LEASE).await? {
            return Ok(None);
        }
        if !self.due_today(job).await? {
            jobs::release(&self.db, job, &self.node, now).await?;
            return Ok(None);
        }
        let out = work.await;
        jobs::finish(&self.db, job, &self.node, self.clock.now()).await?;
        out.map(Some)
    }
}
