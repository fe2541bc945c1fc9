//! The citizen's rights over the data Propusk holds and carries (152-FZ
//! art. 14, 20, 21; docs/rights.md): a copy of all of it (`export`),
//! corrections carried to the registry that owns the data
//! (`corrections`), and deleting the copies Propusk keeps of registry
//! answers. Erasing the whole account is `deletion`.

use propusk_core::audit::{Actor, NewEvent};
use propusk_core::consent::Category;
use propusk_store::{audit, consents};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Result, Services};

pub mod corrections;
pub mod export;

/// A registry answer Propusk keeps for a while to serve reads (sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryCopy {
    pub category: Category,
    pub fetched_at: OffsetDateTime,
}

impl Services {
    /// What Propusk keeps of registry answers about the citizen.
    pub async fn registry_copies(&self, account_id: Uuid) -> Result<Vec<RegistryCopy>> {
        Ok(consents::cache_of(&self.db, account_id)
            .await?
            .into_iter()
            .filter_map(|(c, _, at)| {
                Category::parse(&c).map(|category| RegistryCopy {
                    category,
                    fetched_at: at,
                })
            })
            .collect())
    }

    /// Deletes every kept registry answer about the citizen: the next read
    /// under a consent asks the registry again. Returns how many.
    pub async fn delete_registry_copies(&self, account_id: Uuid) -> Result<u64> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let n = consents::drop_cache(&mut tx, account_id, None).await?;
        let event = NewEvent::new(Actor::citizen(account_id), "data.copies_deleted")
            .subject(format!("account:{account_id}"))
            .details(serde_json::json!({ "deleted": n }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(n)
    }
}
