//! Single-use links sent by email (contact confirmation; later recovery).
//! The link carries the code row's id and a 256-bit random token; only a
//! keyed hash of the token is stored, and the row is used up on redemption.

use propusk_store::{Tx, codes};
use subtle::ConstantTimeEq;
use time::Duration;
use uuid::Uuid;

use crate::sessions::new_secret;
use crate::{Result, ServiceError, Services};

pub(crate) const CONFIRM_EMAIL: &str = "confirm_email";
/// A confirmation link lives a day: people read mail later than SMS.
pub(crate) const CONFIRM_EMAIL_TTL: Duration = Duration::hours(24);

impl Services {
    /// Issues a link token for (`purpose`, `subject`); returns the URL query
    /// `c=…&t=…` to append to a page path. Counts toward the contact's quota.
    pub(crate) async fn issue_link(
        &self,
        tx: &mut Tx,
        purpose: &str,
        subject: &str,
        contact_index: &str,
        ttl: Duration,
    ) -> Result<String> {
        let now = self.clock.now();
        let sent = codes::sent_since(&self.db, contact_index, now - self.codes.window).await?;
        if let Err(refused) = self.codes.may_send(now, &sent) {
            let retry_at = match refused {
                propusk_core::otp::SendRefused::TooSoon { retry_at }
                | propusk_core::otp::SendRefused::QuotaReached { retry_at } => retry_at,
            };
            return Err(ServiceError::RateLimited { retry_at });
        }
        let id = Uuid::now_v7();
        let token = new_secret();
        codes::issue(
            tx,
            &codes::CodeRow {
                id,
                purpose: purpose.to_owned(),
                subject: subject.to_owned(),
                contact_index: contact_index.to_owned(),
                code_mac: self.vault.blind_index_hex("link", &format!("{id}:{token}")),
                issued_at: now,
                expires_at: now + ttl,
                failed: 0,
                used_at: None,
            },
        )
        .await?;
        Ok(format!("c={id}&t={token}"))
    }

    /// Uses up a link; returns its subject. Unknown, used, expired and
    /// wrong tokens are all `LinkInvalid`, alike.
    pub(crate) async fn redeem_link(
        &self,
        tx: &mut Tx,
        purpose: &str,
        id: &str,
        token: &str,
    ) -> Result<String> {
        let Ok(id) = id.trim().parse::<Uuid>() else {
            return Err(ServiceError::LinkInvalid);
        };
        let Some(row) = codes::claim_by_id(tx, id, purpose).await? else {
            return Err(ServiceError::LinkInvalid);
        };
        let mac = self
            .vault
            .blind_index_hex("link", &format!("{id}:{}", token.trim()));
        let matches: bool = mac.as_bytes().ct_eq(row.code_mac.as_bytes()).into();
        let now = self.clock.now();
        if !matches || row.used_at.is_some() || now >= row.expires_at {
            return Err(ServiceError::LinkInvalid);
        }
        codes::mark_used(tx, id, now).await?;
        Ok(row.subject)
    }
}
