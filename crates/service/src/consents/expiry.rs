//! Closing consents whose time is up: `active`/`paused` past their
//! validity become `expired` (with a receipt), unanswered requests
//! `request_expired`. Each change is conditional on the status read, so
//! nodes running this at once, or a citizen acting meanwhile, never
//! double a change.

use propusk_core::consent::{Action, By, Status, state};
use propusk_store::consents::{self, Change};

use crate::{Result, ServiceError, Services};

impl Services {
    /// One pass over up to `limit` due consents; returns how many changed.
    pub async fn expire_consents(&self, limit: i64) -> Result<usize> {
        let now = self.clock.now();
        let mut changed = 0;
        for row in consents::due(&self.db, now, limit).await? {
            let (action, event) = if row.status == Status::Requested {
                (Action::ExpireRequest, "consent.request_expired")
            } else {
                (Action::Expire, "consent.expired")
            };
            let Ok(to) = state::transition(row.status, action, By::System) else {
                continue;
            };
            let change = Change {
                id: row.id,
                from: row.status,
                to,
                by: By::System.code(),
                reason: None,
                at: now,
            };
            match self.apply_change(row, &change, event).await {
                Ok(_) => changed += 1,
                Err(ServiceError::Conflict) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(changed)
    }
}
