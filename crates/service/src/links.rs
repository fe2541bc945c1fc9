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
    /// `c=…&t=…` to append to a page path. A link that goes out by email
    /// names its contact (`contact_index`) and counts toward its quota; a
    /// token handed straight to the browser passes `None`.
    pub(crate) async fn issue_link(
        &self,
        tx: &mut Tx,
        purpose: &str,
        subject: &str,
        contact_index: Option<&str>,
        ttl: Duration,
    ) -> Result<String> {
        let now = self.clock.now();
        if let Some(index) = contact_index {
            let sent = codes::sent_since(&self.db, index, now - self.codes.window).await?;
            if let Err(refused) = self.codes.may_send(now, &sent) {
                let retry_at = match refused {
                    propusk_core::otp::SendRefused::TooSoon { retry_at }
                    | propusk_core::otp::SendRefused::QuotaReached { retry_at } => retry_at,
                };
                return Err(ServiceError::RateLimited { retry_at });
            }
        }
        let id = Uuid::now_v7();
        let token = new_secret();
        codes::issue(
            tx,
            &codes::CodeRow {
                id,
                purpose: purpose.to_owned(),
                subject: subject.to_owned(),
                contact_index: contact_index.unwrap_or("-").to_owned(),
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

    /// The subject of a link that is still good, without using it up.
    pub(crate) async fn peek_link(
        &self,
        tx: &mut Tx,
        purpose: &str,
        id: &str,
        token: &str,
    ) -> Result<String> {
        let row = self.valid_link(tx, purpose, id, token).await?;
        Ok(row.subject)
    }

    async fn valid_link(
        &self,
        tx: &mut Tx,
        purpose: &str,
        id: &str,
        token: &str,
    ) -> Result<codes::CodeRow> {
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
        if !matches || row.used_at.is_some() || self.clock.now() >= row.expires_at {
            return Err(ServiceError::LinkInvalid);
        }
        Ok(row)
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
        let row = self.valid_link(tx, purpose, id, token).await?;
        let now = self.clock.now();
        codes::mark_used(tx, row.id, now).await?;
        Ok(row.subject)
    }
}
