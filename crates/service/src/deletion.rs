//! Deleting an account: asked for with the password (and a current code when
//! a second factor is on), it takes effect after 30 days in which the person
//! may change their mind; then the personal data is erased and only the
//! pseudonymous id stays, which the audit log refers to.

use propusk_core::Lang;
use propusk_core::audit::{Actor, NewEvent};
use propusk_store::{accounts, audit, sessions};
use time::{Duration, OffsetDateTime};

use crate::notify::Content;
use crate::sessions::Current;
use crate::{Result, ServiceError, Services};

pub const GRACE: Duration = Duration::days(30);

impl Services {
    pub async fn deletion_due(&self, account_id: uuid::Uuid) -> Result<Option<OffsetDateTime>> {
        Ok(accounts::deletion_due(&self.db, account_id).await?)
    }

    /// Schedules the deletion; ends every other session. Returns when it
    /// takes effect.
    pub async fn request_deletion(
        &self,
        current: &Current,
        password: &str,
        code: &str,
        lang: Lang,
    ) -> Result<OffsetDateTime> {
        self.confirm_password(current.account_id, password).await?;
        let now = self.clock.now();
        let due = now + GRACE;
        let mut tx = self.db.begin().await?;
        if self.has_second_factor(current.account_id).await?
            && self
                .check_factor_code(&mut tx, current.account_id, code)
                .await?
                .is_none()
        {
            return Err(ServiceError::WrongFactorCode);
        }
        accounts::set_deletion_due(&mut tx, current.account_id, Some(due), now).await?;
        sessions::end_all_but(
            &mut tx,
            current.account_id,
            Some(current.id),
            "deletion_requested",
            now,
        )
        .await?;
        let event = NewEvent::new(
            Actor::citizen(current.account_id),
            "account.deletion_requested",
        )
        .subject(format!("account:{}", current.account_id))
        .details(serde_json::json!({ "due": propusk_core::time::canonical(due) }));
        audit::append(&mut tx, now, &event).await?;
        self.notify_account(
            &mut tx,
            current.account_id,
            &deletion_notice(lang, Some(due)),
        )
        .await?;
        tx.commit().await?;
        Ok(due)
    }

    pub async fn cancel_deletion(&self, current: &Current, lang: Lang) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        accounts::set_deletion_due(&mut tx, current.account_id, None, now).await?;
        let event = NewEvent::new(
            Actor::citizen(current.account_id),
            "account.deletion_cancelled",
        )
        .subject(format!("account:{}", current.account_id));
        audit::append(&mut tx, now, &event).await?;
        self.notify_account(&mut tx, current.account_id, &deletion_notice(lang, None))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Erases every account whose deletion is due; safe to run on several
    /// nodes at once (each erasure is conditional). Returns how many.
    pub async fn erase_due_accounts(&self) -> Result<usize> {
        let now = self.clock.now();
        let mut erased = 0;
        for id in accounts::deletions_due(&self.db, now, 100).await? {
            self.end_consents_of_deleted(id).await?;
            let mut tx = self.db.begin().await?;
            if accounts::erase(&mut tx, id, now).await? {
                let event = NewEvent::new(Actor::system(), "account.erased")
                    .subject(format!("account:{id}"));
                audit::append(&mut tx, now, &event).await?;
                erased += 1;
            }
            tx.commit().await?;
        }
        Ok(erased)
    }
}

impl Services {
    /// Before an account is erased, its live consents end as if the citizen
    /// revoked them (reason `account_deleted`) and its open requests are
    /// declined, each with its receipt and webhook: a partner learns at
    /// once that it may no longer read, and the consent records stay (they
    /// name only the pseudonymous id). Safe to repeat: each change is
    /// conditional.
    async fn end_consents_of_deleted(&self, account_id: uuid::Uuid) -> Result<()> {
        use propusk_core::consent::{Action, By, Status, state};
        for row in propusk_store::consents::of_account(&self.db, account_id, None, 10_000).await? {
            let action = match row.status {
                Status::Active | Status::Paused => Action::Revoke,
                Status::Requested => Action::Decline,
                _ => continue,
            };
            let Ok(to) = state::transition(row.status, action, By::Citizen) else {
                continue;
            };
            let change = propusk_store::consents::Change {
                id: row.id,
                from: row.status,
                to,
                by: By::Citizen.code(),
                reason: Some("account_deleted"),
                at: self.clock.now(),
            };
            match self.apply_change(row, &change, action.event()).await {
                Ok(_) | Err(ServiceError::Conflict) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

fn deletion_notice(lang: Lang, due: Option<OffsetDateTime>) -> Content {
    match (lang, due) {
        (Lang::Ru, Some(d)) => Content::text(
            Lang::Ru,
            "Учётная запись будет удалена",
            format!(
                "Пропуск: вы запросили удаление учётной записи. Она будет удалена {} (МСК), \
                 личные данные будут стёрты. До этого момента удаление можно отменить в личном кабинете.",
                crate::format::moscow_time(d)
            ),
        ),
        (Lang::En, Some(d)) => Content::text(
            Lang::En,
            "Your account will be deleted",
            format!(
                "Propusk: you asked to delete your account. It will be deleted on {} (Moscow time) and \
                 your personal data erased. Until then you can cancel in your cabinet.",
                crate::format::moscow_time(d)
            ),
        ),
        (Lang::Ru, None) => Content::text(
            Lang::Ru,
            "Удаление отменено",
            "Пропуск: удаление вашей учётной записи отменено.",
        ),
        (Lang::En, None) => Content::text(
            Lang::En,
            "Deletion cancelled",
            "Propusk: the deletion of your account has been cancelled.",
        ),
    }
}
