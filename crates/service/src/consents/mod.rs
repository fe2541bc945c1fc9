//! Consents for organizations (docs/consents.md): a partner asks
//! (`request`), the citizen decides with an SMS code and may pause, resume
//! or revoke (`decide`), the partner reads under it (`read`), and the
//! expiry job closes what ran out (`expiry`). The rules are
//! `core::consent`; here they meet storage, the vault, keys and the outbox.

use std::collections::BTreeSet;

use propusk_core::consent::record::{Channel, Recipient, Record};
use propusk_core::consent::{Category, Status, Terms};
use propusk_store::consents::{self, ConsentRow, EventRow, ReadRow};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::internal;
use crate::{Result, ServiceError, Services};

mod data;
pub(crate) use data::unavailable;
pub mod decide;
pub mod expiry;
pub mod monitoring;
pub mod read;
pub mod receipt;
pub mod request;

/// A consent as its parties see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub id: Uuid,
    pub client_id: String,
    pub client_name: String,
    pub org_name: String,
    pub org_ogrn: String,
    pub org_inn: String,
    pub account_id: Uuid,
    pub subject: String,
    pub channel: Channel,
    pub terms: Terms,
    /// What the citizen kept at approval (empty before).
    pub granted: BTreeSet<Category>,
    pub status: Status,
    pub status_by: Option<String>,
    pub status_reason: Option<String>,
    pub created_at: OffsetDateTime,
    pub request_expires_at: OffsetDateTime,
    pub approved_at: Option<OffsetDateTime>,
    pub status_changed_at: OffsetDateTime,
    pub read_count: i64,
    pub last_read_at: Option<OffsetDateTime>,
    pub record_hash: Option<String>,
    pub receipt: Option<String>,
}

impl Consent {
    /// The record that was (or will be) signed at approval.
    pub(crate) fn record(&self, approved_at: OffsetDateTime) -> Record {
        Record {
            id: self.id,
            subject: self.subject.clone(),
            recipient: Recipient {
                name: self.org_name.clone(),
                ogrn: self.org_ogrn.clone(),
                inn: self.org_inn.clone(),
                client_id: self.client_id.clone(),
            },
            purpose: self.terms.purpose.clone(),
            categories: self.granted.iter().copied().collect(),
            mode: self.terms.mode,
            valid_from: approved_at,
            valid_until: self.terms.valid_until,
            channel: self.channel,
            approved_at,
        }
    }

    /// The partner's view (the API's JSON): no personal data.
    pub fn to_json(&self) -> serde_json::Value {
        use time::format_description::well_known::Rfc3339;
        let t = |t: OffsetDateTime| t.format(&Rfc3339).ok();
        serde_json::json!({
            "id": self.id,
            "client_id": self.client_id,
            "sub": self.subject,
            "status": self.status.code(),
            "status_reason": self.status_reason,
            "purpose": self.terms.purpose,
            "categories": self.terms.categories.iter().map(|c| c.code()).collect::<Vec<_>>(),
            "optional_categories": self.terms.optional.iter().map(|c| c.code()).collect::<Vec<_>>(),
            "granted_categories": self.granted.iter().map(|c| c.code()).collect::<Vec<_>>(),
            "valid_until": t(self.terms.valid_until),
            "mode": self.terms.mode,
            "return_url": self.terms.return_url,
            "channel": self.channel.code(),
            "created_at": t(self.created_at),
            "request_expires_at": t(self.request_expires_at),
            "approved_at": self.approved_at.and_then(t),
            "status_changed_at": t(self.status_changed_at),
            "read_count": self.read_count,
            "last_read_at": self.last_read_at.and_then(t),
            "receipt": self.receipt,
        })
    }
}

/// One change in a consent's history.
pub type ConsentEvent = EventRow;
/// One read in its access log.
pub type ConsentRead = ReadRow;

/// What a row says was asked for and what was granted (empty before
/// approval), without the joins [`Services::consent_of_row`] makes.
pub(crate) fn terms_of(row: &ConsentRow) -> Result<(Terms, BTreeSet<Category>)> {
    let terms: Terms = serde_json::from_str(&row.terms).map_err(internal)?;
    let granted = match &row.granted {
        Some(g) => serde_json::from_str(g).map_err(internal)?,
        None => BTreeSet::new(),
    };
    Ok((terms, granted))
}

impl Services {
    /// Joins a row with its client's and organization's names.
    pub(crate) async fn consent_of_row(&self, row: ConsentRow) -> Result<Consent> {
        let (terms, granted) = terms_of(&row)?;
        let client = self.client(&row.client_id).await?;
        let org = propusk_store::orgs::get(&self.db, row.org_id)
            .await?
            .ok_or_else(|| internal("consent of an unknown organization"))?;
        Ok(Consent {
            id: row.id,
            client_name: client.map(|c| c.name.clone()).unwrap_or_default(),
            client_id: row.client_id,
            org_name: org.name,
            org_ogrn: org.ogrn,
            org_inn: org.inn,
            account_id: row.account_id,
            subject: row.subject,
            channel: Channel::parse(&row.channel).unwrap_or(Channel::Api),
            terms,
            granted,
            status: row.status,
            status_by: row.status_by,
            status_reason: row.status_reason,
            created_at: row.created_at,
            request_expires_at: row.request_expires_at,
            approved_at: row.approved_at,
            status_changed_at: row.status_changed_at,
            read_count: row.read_count,
            last_read_at: row.last_read_at,
            record_hash: row.record_hash,
            receipt: row.receipt,
        })
    }

    /// A citizen's consents, newest first, optionally in one status.
    pub async fn consents_of_citizen(
        &self,
        account_id: Uuid,
        only: Option<Status>,
    ) -> Result<Vec<Consent>> {
        let mut out = Vec::new();
        for row in consents::of_account(&self.db, account_id, only, 500).await? {
            out.push(self.consent_of_row(row).await?);
        }
        Ok(out)
    }

    /// One of the citizen's own consents with its history and reads;
    /// anyone else's is `NotFound`.
    pub async fn consent_of_citizen(
        &self,
        account_id: Uuid,
        id: Uuid,
    ) -> Result<(Consent, Vec<ConsentEvent>, Vec<ConsentRead>)> {
        let row = consents::get(&self.db, id)
            .await?
            .filter(|r| r.account_id == account_id)
            .ok_or(ServiceError::NotFound)?;
        let consent = self.consent_of_row(row).await?;
        let events = consents::events(&self.db, id).await?;
        let reads = consents::reads_of(&self.db, id, 200).await?;
        Ok((consent, events, reads))
    }

    /// One of a client's consents; another client's is `NotFound`.
    pub async fn consent_of_client(&self, client_id: &str, id: Uuid) -> Result<Consent> {
        let row = consents::get(&self.db, id)
            .await?
            .filter(|r| r.client_id == client_id)
            .ok_or(ServiceError::NotFound)?;
        self.consent_of_row(row).await
    }

    /// A client's consents, newest first.
    pub async fn consents_of_client(
        &self,
        client_id: &str,
        only: Option<Status>,
        limit: i64,
    ) -> Result<Vec<Consent>> {
        let mut out = Vec::new();
        for row in consents::of_client(&self.db, client_id, only, limit.clamp(1, 500)).await? {
            out.push(self.consent_of_row(row).await?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use propusk_core::consent::Category;

    #[test]
    fn every_category_has_its_scope() {
        for c in Category::ALL {
            assert!(
                propusk_oidc::scopes::find(c.scope()).is_some(),
                "{} needs scope {}",
                c.code(),
                c.scope()
            );
        }
    }
}
