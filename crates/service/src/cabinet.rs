//! What the cabinet's first page shows about an account.

use propusk_core::account::{AccountStatus, ContactChannel, PersonName, Profile, TrustLevel};
use propusk_store::accounts;
use uuid::Uuid;

use crate::{Result, ServiceError, Services};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactView {
    pub channel: ContactChannel,
    pub value: String,
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    pub name: PersonName,
    pub snils: Option<String>,
    pub inn: Option<String>,
    pub status: AccountStatus,
    pub trust_level: Option<TrustLevel>,
    pub contacts: Vec<ContactView>,
}

impl Services {
    pub async fn overview(&self, account_id: Uuid) -> Result<Overview> {
        let row = accounts::get(&self.db, account_id).await?;
        let profile = self
            .vault
            .open(
                &row.profile,
                format!("account.profile:{account_id}").as_bytes(),
            )
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let profile: Profile = serde_json::from_slice(&profile)
            .map_err(|e| ServiceError::Internal(format!("profile: {e}")))?;
        let mut contacts = Vec::new();
        for c in accounts::contacts_of(&self.db, account_id).await? {
            if c.removed_at.is_some() {
                continue;
            }
            let value = self
                .vault
                .open_str(&c.value, &format!("contact:{}", c.id))
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            contacts.push(ContactView {
                channel: c.channel,
                value: value.to_string(),
                confirmed: c.confirmed_at.is_some(),
            });
        }
        Ok(Overview {
            name: profile.name,
            snils: profile.snils,
            inn: profile.inn,
            status: row.status,
            trust_level: row.trust_level,
            contacts,
        })
    }
}
