//! Periodic work inside `serve`: erasing accounts whose deletion is due and
//! dropping data past its retention (sign-in history after 90 days, codes
//! a day after expiry, delivered messages after 30 days, bank sign-ins
//! never finished and remembered one-time identifiers once they expire;
//! the provider's requests, codes and grants once expired), and closing
//! consents whose time is up, and following correction requests at the
//! registries. Every purge is an idempotent conditional
//! statement, so several nodes may run them at once; consent expiry, the
//! partners' daily digest and corrections run on one node at a time (`jobs`).

use std::time::Duration as StdDuration;

use propusk_store::{
    bank_links, codes, oauth_grants, oauth_logout, oauth_rate, outbox, seen_once, signin,
    signing_keys,
};
use time::Duration;
use tokio::sync::watch;

use crate::sessions::HISTORY_DAYS;
use crate::{Result, Services};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub accounts_erased: usize,
    pub sign_ins_purged: u64,
    pub codes_purged: u64,
    pub messages_purged: u64,
    pub bank_flows_purged: u64,
    pub seen_once_purged: u64,
    pub signing_keys_purged: u64,
    /// Expired pushed requests, codes, grants and revocation entries.
    pub oauth_purged: u64,
    /// Consents past their validity and requests never answered, closed
    /// (by the one node that holds the job's lease).
    pub consents_expired: usize,
    /// Organizations sent today's digest of consents about to end.
    pub partner_digests: usize,
    /// Correction requests the registries took or decided.
    pub corrections_updated: usize,
}

impl Services {
    pub async fn housekeeping(&self) -> Result<Report> {
        let now = self.clock.now();
        Ok(Report {
            accounts_erased: self.erase_due_accounts().await?,
            sign_ins_purged: signin::purge(&self.db, now - Duration::days(HISTORY_DAYS)).await?,
            codes_purged: codes::purge(&self.db, now - Duration::days(1)).await?,
            messages_purged: outbox::purge_done(&self.db, now - Duration::days(30)).await?,
            bank_flows_purged: bank_links::purge_flows(&self.db, now).await?,
            seen_once_purged: seen_once::purge(&self.db, now).await?,
            signing_keys_purged: signing_keys::purge(&self.db, now).await?,
            oauth_purged: oauth_grants::purge(&self.db, now).await?
                + oauth_logout::purge(&self.db, now - Duration::days(30)).await?
                + oauth_rate::purge(&self.db, now.unix_timestamp().div_euclid(60) - 60).await?,
            consents_expired: self
                .as_sole_node(crate::jobs::CONSENT_EXPIRY, async {
                    Ok(self.expire_consents(1000).await?
                        + self.announce_expiring_consents(1000).await?)
                })
                .await?
                .unwrap_or(0),
            partner_digests: self
                .once_a_day(crate::jobs::PARTNER_DIGEST, self.send_partner_digests())
                .await?
                .unwrap_or(0),
            corrections_updated: self
                .as_sole_node(crate::jobs::CORRECTIONS, self.follow_corrections(200))
                .await?
                .unwrap_or(0),
        })
    }

    /// Runs [`Services::housekeeping`] every `every` until `stop` turns true.
    pub async fn run_housekeeping(self, every: StdDuration, mut stop: watch::Receiver<bool>) {
        loop {
            match self.housekeeping().await {
                Ok(r) if r != Report::default() => tracing::info!(?r, "housekeeping"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
            }
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}
