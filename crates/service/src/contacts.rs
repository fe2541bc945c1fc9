//! Changing one's phone or email from the cabinet. The new contact must be
//! confirmed (an SMS code, an email link) before it replaces the old one;
//! then the old contact is told. A contact that already belongs to another
//! account reveals nothing here: the form answers the same, and that
//! account's owner gets the notice instead.

use propusk_core::Lang;
use propusk_core::account::ContactChannel;
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::ident::{Email, Phone};
use propusk_store::accounts::{self, ContactRow};
use propusk_store::outbox::Channel;
use propusk_store::{StoreError, Tx, audit};
use rand_core::OsRng;
use uuid::Uuid;

use crate::error::internal;
use crate::notify::{self, Content};
use crate::sessions::Current;
use crate::sms_codes::Purpose;
use crate::{FieldProblem, Result, ServiceError, Services};

impl Services {
    /// Starts replacing the account's contact of `channel` with `value`.
    /// Returns the new contact's id (the SMS code step needs it); a taken
    /// value returns a decoy id no code will match.
    pub async fn add_contact(
        &self,
        current: &Current,
        channel: ContactChannel,
        value: &str,
        lang: Lang,
    ) -> Result<Uuid> {
        let (normalized, field) = match channel {
            ContactChannel::Phone => (
                Phone::parse(value)
                    .map(|p| p.as_str().to_owned())
                    .map_err(|e| invalid("phone", e.code(), |l| e.message(l).to_owned()))?,
                "phone",
            ),
            ContactChannel::Email => (
                Email::parse(value)
                    .map(|e| e.as_str().to_owned())
                    .map_err(|e| invalid("email", e.code(), |l| e.message(l).to_owned()))?,
                "email",
            ),
        };
        let index = self.vault.blind_index_hex(field, &normalized);
        let now = self.clock.now();
        let owner = accounts::find_confirmed_contact(&self.db, channel, &index).await?;
        if let Some(o) = &owner {
            if o.account_id == current.account_id {
                return Err(invalid(field, "same", |l| match l {
                    Lang::Ru => "Это ваш текущий контакт".into(),
                    Lang::En => "This is your current contact".into(),
                }));
            }
            let mut tx = self.db.begin().await?;
            let notice = match lang {
                Lang::Ru => Content::text(
                    Lang::Ru,
                    "Попытка привязать ваш контакт",
                    "Пропуск: кто-то пытался привязать ваш номер или почту к другой учётной записи. \
                     Ваша учётная запись не изменилась.",
                ),
                Lang::En => Content::text(
                    Lang::En,
                    "Someone tried to use your contact",
                    "Propusk: someone tried to add your phone or email to another account. \
                     Your account has not changed.",
                ),
            };
            let ch = match channel {
                ContactChannel::Phone => Channel::Sms,
                ContactChannel::Email => Channel::Email,
            };
            notify::enqueue(&mut tx, &self.vault, ch, &normalized, &notice, now).await?;
            tx.commit().await?;
            return Ok(Uuid::now_v7());
        }
        let id = Uuid::now_v7();
        let row = ContactRow {
            id,
            account_id: current.account_id,
            channel,
            value_index: index,
            value: self.vault.seal(
                &mut OsRng,
                normalized.as_bytes(),
                format!("contact:{id}").as_bytes(),
            ),
            created_at: now,
            confirmed_at: None,
            removed_at: None,
        };
        let mut tx = self.db.begin().await?;
        // An earlier unfinished change of the same channel is dropped.
        for c in accounts::contacts_of(&self.db, current.account_id).await? {
            if c.channel == channel && c.confirmed_at.is_none() && c.removed_at.is_none() {
                accounts::remove_contact(&mut tx, c.id, now).await?;
            }
        }
        accounts::insert_contact(&mut tx, &row).await?;
        match channel {
            ContactChannel::Phone => {
                self.send_sms_code(
                    &mut tx,
                    Purpose::ConfirmContact,
                    &id.to_string(),
                    &row.value_index,
                    &normalized,
                    lang,
                )
                .await?
            }
            ContactChannel::Email => {
                self.send_email_link(&mut tx, &row, &normalized, lang)
                    .await?
            }
        }
        let event = NewEvent::new(Actor::citizen(current.account_id), "contact.added")
            .subject(format!("account:{}", current.account_id))
            .details(serde_json::json!({ "channel": channel.as_str(), "contact": id }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Confirms a new phone with its SMS code; it replaces the old one.
    pub async fn confirm_new_phone(
        &self,
        current: &Current,
        contact_id: Uuid,
        typed: &str,
        lang: Lang,
    ) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let Some(contact) = accounts::contact(&mut tx, contact_id).await? else {
            return Err(ServiceError::WrongCode {
                tries_left: self.codes.max_attempts - 1,
            });
        };
        if contact.account_id != current.account_id {
            return Err(ServiceError::NotFound);
        }
        let mut tx = self
            .check_sms_code_or_commit(tx, Purpose::ConfirmContact, &contact_id.to_string(), typed)
            .await?;
        match accounts::confirm_contact(&mut tx, contact_id, now).await {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => return Err(ServiceError::Conflict),
            Err(StoreError::NotFound) => return Err(ServiceError::CodeExpired),
            Err(e) => return Err(e.into()),
        }
        self.retire_old_contacts(&mut tx, &contact, lang).await?;
        tx.commit().await?;
        Ok(())
    }

    /// After `confirmed` is confirmed: the account's other confirmed
    /// contacts of the same channel are removed and told.
    pub(crate) async fn retire_old_contacts(
        &self,
        tx: &mut Tx,
        confirmed: &ContactRow,
        lang: Lang,
    ) -> Result<()> {
        let now = self.clock.now();
        for old in accounts::contacts_of(&self.db, confirmed.account_id).await? {
            if old.id == confirmed.id
                || old.channel != confirmed.channel
                || old.confirmed_at.is_none()
                || old.removed_at.is_some()
            {
                continue;
            }
            accounts::remove_contact(tx, old.id, now).await?;
            let value = self
                .vault
                .open_str(&old.value, &format!("contact:{}", old.id))
                .map_err(internal)?;
            let (ch, content) = match (old.channel, lang) {
                (ContactChannel::Phone, Lang::Ru) => (
                    Channel::Sms,
                    Content::text(
                        Lang::Ru,
                        "",
                        "Пропуск: этот номер больше не привязан к вашей учётной записи — указан новый. \
                         Если это сделали не вы, обратитесь в поддержку.",
                    ),
                ),
                (ContactChannel::Phone, Lang::En) => (
                    Channel::Sms,
                    Content::text(
                        Lang::En,
                        "",
                        "Propusk: this number is no longer on your account; a new one was set. \
                         If it was not you, contact support.",
                    ),
                ),
                (ContactChannel::Email, Lang::Ru) => (
                    Channel::Email,
                    Content::text(
                        Lang::Ru,
                        "Адрес почты заменён",
                        "Пропуск: этот адрес больше не привязан к вашей учётной записи — указан новый. \
                         Если это сделали не вы, обратитесь в поддержку.",
                    ),
                ),
                (ContactChannel::Email, Lang::En) => (
                    Channel::Email,
                    Content::text(
                        Lang::En,
                        "Email address replaced",
                        "Propusk: this address is no longer on your account; a new one was set. \
                         If it was not you, contact support.",
                    ),
                ),
            };
            notify::enqueue(tx, &self.vault, ch, &value, &content, now).await?;
            let event = NewEvent::new(Actor::citizen(confirmed.account_id), "contact.replaced")
                .subject(format!("account:{}", confirmed.account_id))
                .details(serde_json::json!({
                    "channel": old.channel.as_str(),
                    "old": old.id,
                    "new": confirmed.id,
                }));
            audit::append(tx, now, &event).await?;
        }
        Ok(())
    }
}

fn invalid(
    field: &'static str,
    code: &'static str,
    message: impl Fn(Lang) -> String,
) -> ServiceError {
    ServiceError::Invalid(vec![FieldProblem::new(field, code, message)])
}
