//! Changing a password (signed in, with the current one) and recovering
//! access (by an SMS code or an email link, then a new password). Both end
//! the sessions that might belong to someone else and tell the owner.

use propusk_core::Lang;
use propusk_core::account::ContactChannel;
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::factor::normalize_backup_code;
use propusk_core::ident::{Email, Passport, Phone, Snils};
use propusk_core::password::{self, PersonalData};
use propusk_store::signin::Attempt;
use propusk_store::{accounts, audit, factors, sessions, signin};
use uuid::Uuid;

use crate::error::internal;
use crate::notify::{self, Content, Link};
use crate::sessions::Current;
use crate::signin::{Client, Login};
use crate::sms_codes::Purpose;
use crate::{FieldProblem, Result, ServiceError, Services};

/// The grant to set a new password: issued after a right SMS code, or sent
/// as the email link itself.
const RECOVERY_GRANT: &str = "recovery_grant";
const SMS_GRANT_TTL: time::Duration = time::Duration::minutes(15);
const EMAIL_LINK_TTL: time::Duration = time::Duration::minutes(30);

/// How a recovery started: where to go next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryStarted {
    /// Enter the SMS code for this request.
    Sms { request: Uuid },
    /// Follow the link in the email.
    Email,
}

/// What proves it is the owner when a second factor is on: a backup code,
/// or the passport number and SNILS on file, both.
#[derive(Debug, Clone, Default)]
pub struct RecoveryProof {
    pub backup_code: String,
    pub passport: String,
    pub snils: String,
}

/// What the new-password step asks for besides the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryNeeds {
    /// The account has a second factor: a backup code or the SNILS on file.
    pub second_proof: bool,
}

impl Services {
    /// The password rules with this account's own data to avoid.
    async fn check_new_password(&self, account_id: Uuid, new: &str) -> Result<()> {
        let profile = self.profile(account_id).await?;
        let mut contacts = Vec::new();
        for c in accounts::contacts_of(&self.db, account_id).await? {
            if c.removed_at.is_none() {
                let v = self
                    .vault
                    .open_str(&c.value, &format!("contact:{}", c.id))
                    .map_err(internal)?;
                contacts.push((c.channel, v.to_string()));
            }
        }
        let phone = contacts
            .iter()
            .find(|(ch, _)| *ch == ContactChannel::Phone)
            .map(|(_, v)| v.as_str());
        let email = contacts
            .iter()
            .find(|(ch, _)| *ch == ContactChannel::Email)
            .map(|(_, v)| v.as_str());
        let n = &profile.name;
        let mut names = vec![n.last.as_str(), n.first.as_str()];
        if let Some(m) = &n.middle {
            names.push(m.as_str());
        }
        password::check(
            new,
            &PersonalData {
                phone,
                email,
                names: &names,
            },
        )
        .map_err(|list| {
            ServiceError::Invalid(
                list.into_iter()
                    .map(|p| FieldProblem::new("new_password", p.code(), |l| p.message(l)))
                    .collect(),
            )
        })
    }

    async fn hash(&self, password: &str) -> Result<String> {
        self.passwords.hash(password).await
    }

    /// Needs the current password; ends every other session.
    pub async fn change_password(
        &self,
        current: &Current,
        old: &str,
        new: &str,
        lang: Lang,
    ) -> Result<u64> {
        self.confirm_password(current.account_id, old).await?;
        self.check_new_password(current.account_id, new).await?;
        let hash = self.hash(new).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        accounts::set_password_hash(&mut tx, current.account_id, &hash, now).await?;
        let ended = sessions::end_all_but(
            &mut tx,
            current.account_id,
            Some(current.id),
            "password_changed",
            now,
        )
        .await?;
        let event = NewEvent::new(Actor::citizen(current.account_id), "password.changed")
            .subject(format!("account:{}", current.account_id))
            .details(serde_json::json!({ "sessions_ended": ended }));
        audit::append(&mut tx, now, &event).await?;
        self.notify_account(&mut tx, current.account_id, &password_notice(lang, false))
            .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Starts recovery for a phone or email. Unknown contacts get the same
    /// answer as known ones (a request id that no code will ever match).
    pub async fn start_recovery(&self, login: &str, lang: Lang) -> Result<RecoveryStarted> {
        let parsed = Login::parse(login);
        match parsed {
            Some(Login::Email(e)) => {
                self.start_email_recovery(&e, lang).await?;
                Ok(RecoveryStarted::Email)
            }
            Some(Login::Phone(p)) => {
                let request = Uuid::now_v7();
                self.start_sms_recovery(&p, request, lang).await?;
                Ok(RecoveryStarted::Sms { request })
            }
            _ => Err(ServiceError::Invalid(vec![FieldProblem::new(
                "login",
                "format",
                |l| match l {
                    Lang::Ru => "Укажите мобильный телефон или электронную почту".into(),
                    Lang::En => "Give your mobile phone number or email address".into(),
                },
            )])),
        }
    }

    async fn start_sms_recovery(&self, phone: &Phone, request: Uuid, lang: Lang) -> Result<()> {
        let index = self.vault.blind_index_hex("phone", phone.as_str());
        if accounts::find_confirmed_contact(&self.db, ContactChannel::Phone, &index)
            .await?
            .is_none()
        {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        self.send_sms_code(
            &mut tx,
            Purpose::Recovery,
            &request.to_string(),
            &index,
            phone.as_str(),
            lang,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn start_email_recovery(&self, email: &Email, lang: Lang) -> Result<()> {
        let index = self.vault.blind_index_hex("email", email.as_str());
        let Some(contact) =
            accounts::find_confirmed_contact(&self.db, ContactChannel::Email, &index).await?
        else {
            return Ok(());
        };
        let mut tx = self.db.begin().await?;
        let query = self
            .issue_link(
                &mut tx,
                RECOVERY_GRANT,
                &contact.account_id.to_string(),
                Some(&index),
                EMAIL_LINK_TTL,
            )
            .await?;
        let mut content = match lang {
            Lang::Ru => Content::text(
                Lang::Ru,
                "Восстановление доступа",
                "Здравствуйте!\n\nКто-то, возможно вы, попросил восстановить доступ к вашей учётной записи \
                 Пропуска. Чтобы задать новый пароль, нажмите кнопку ниже. Ссылка действует 30 минут и \
                 работает один раз.\n\nЕсли вы ничего не запрашивали, ничего не делайте: пароль останется прежним.",
            ),
            Lang::En => Content::text(
                Lang::En,
                "Recover access",
                "Hello!\n\nSomeone, perhaps you, asked to recover access to your Propusk account. To set a \
                 new password, press the button below. The link is valid for 30 minutes and works once.\n\n\
                 If you did not ask, do nothing: your password stays as it is.",
            ),
        };
        content.link = Some(Link {
            label: match lang {
                Lang::Ru => "Задать новый пароль".into(),
                Lang::En => "Set a new password".into(),
            },
            url: format!("{}/recover/password?{query}", self.public_base),
        });
        notify::enqueue(
            &mut tx,
            &self.vault,
            propusk_store::outbox::Channel::Email,
            email.as_str(),
            &content,
            self.clock.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks the recovery SMS code; returns the `c=…&t=…` query of the
    /// new-password step.
    pub async fn confirm_recovery_code(&self, request: Uuid, typed: &str) -> Result<String> {
        let mut tx = self.db.begin().await?;
        let index =
            match propusk_store::codes::claim_latest(&mut tx, "recovery", &request.to_string())
                .await?
            {
                Some(row) => row.contact_index,
                // Unknown phones look like wrong codes.
                None => {
                    return Err(ServiceError::WrongCode {
                        tries_left: self.codes.max_attempts - 1,
                    });
                }
            };
        let mut tx = self
            .check_sms_code_or_commit(tx, Purpose::Recovery, &request.to_string(), typed)
            .await?;
        let contact = accounts::find_confirmed_contact(&self.db, ContactChannel::Phone, &index)
            .await?
            .ok_or(ServiceError::CodeExpired)?;
        let query = self
            .issue_link(
                &mut tx,
                RECOVERY_GRANT,
                &contact.account_id.to_string(),
                None,
                SMS_GRANT_TTL,
            )
            .await?;
        tx.commit().await?;
        Ok(query)
    }

    /// What the new-password page must ask for, if the grant is still good
    /// (`LinkInvalid` otherwise). Does not use the grant up.
    pub async fn recovery_needs(&self, c: &str, t: &str) -> Result<RecoveryNeeds> {
        let mut tx = self.db.begin().await?;
        let subject = self.peek_link(&mut tx, RECOVERY_GRANT, c, t).await?;
        tx.rollback().await?;
        let account_id: Uuid = subject.parse().map_err(internal)?;
        Ok(RecoveryNeeds {
            second_proof: self.has_second_factor(account_id).await?,
        })
    }

    /// Sets the new password under a grant. With a second factor on, `proof`
    /// must hold an unused backup code, or the passport and SNILS on file;
    /// wrong proofs count toward the sign-in lock. Every session ends.
    pub async fn finish_recovery(
        &self,
        c: &str,
        t: &str,
        new: &str,
        proof: &RecoveryProof,
        client: &Client,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let subject = self.peek_link(&mut tx, RECOVERY_GRANT, c, t).await?;
        tx.rollback().await?;
        let account_id: Uuid = subject.parse().map_err(internal)?;
        self.check_new_password(account_id, new).await?;
        let now = self.clock.now();
        let lock_key = format!("account:{account_id}");
        if self.has_second_factor(account_id).await? {
            // Counted before the check, like a sign-in; the right proof
            // clears the count with the new password below.
            let mut tx = self.db.begin().await?;
            if let Attempt::Locked { until } = self
                .count_attempt(&mut tx, &lock_key, Some(format!("account:{account_id}")))
                .await?
            {
                return Err(ServiceError::Locked { until });
            }
            let ok = self.second_proof(&mut tx, account_id, proof).await?;
            tx.commit().await?;
            if !ok {
                return Err(ServiceError::WrongFactorCode);
            }
        }
        let hash = self.hash(new).await?;
        let mut tx = self.db.begin().await?;
        // Used up only now: a typo in the new password keeps the link.
        self.redeem_link(&mut tx, RECOVERY_GRANT, c, t).await?;
        accounts::set_password_hash(&mut tx, account_id, &hash, now).await?;
        let ended = sessions::end_all_but(&mut tx, account_id, None, "recovered", now).await?;
        signin::reset(&mut tx, &lock_key).await?;
        let event = NewEvent::new(Actor::citizen(account_id), "password.recovered")
            .subject(format!("account:{account_id}"))
            .details(serde_json::json!({ "sessions_ended": ended }));
        audit::append(&mut tx, now, &event).await?;
        self.notify_account(&mut tx, account_id, &password_notice(client.lang, true))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A backup code (used up), or the passport number and SNILS on file.
    async fn second_proof(
        &self,
        tx: &mut propusk_store::Tx,
        account_id: Uuid,
        proof: &RecoveryProof,
    ) -> Result<bool> {
        if let Some(code) = normalize_backup_code(&proof.backup_code) {
            let index = self.vault.blind_index_hex("backup_code", &code);
            if factors::use_backup_code(tx, account_id, &index, self.clock.now()).await? {
                return Ok(true);
            }
        }
        if let (Ok(passport), Ok(snils)) =
            (Passport::parse(&proof.passport), Snils::parse(&proof.snils))
        {
            let profile = self.profile(account_id).await?;
            let on_file = profile.passport.as_ref().map(|p| p.number.as_str());
            return Ok(on_file == Some(passport.as_str())
                && profile.snils.as_deref() == Some(snils.as_str()));
        }
        Ok(false)
    }
}

fn password_notice(lang: Lang, recovered: bool) -> Content {
    match (lang, recovered) {
        (Lang::Ru, false) => Content::text(
            Lang::Ru,
            "Пароль изменён",
            "Пропуск: пароль вашей учётной записи изменён, другие сеансы завершены. \
             Если это сделали не вы, восстановите доступ и обратитесь в поддержку.",
        ),
        (Lang::Ru, true) => Content::text(
            Lang::Ru,
            "Доступ восстановлен",
            "Пропуск: для вашей учётной записи задан новый пароль, все сеансы завершены. \
             Если это сделали не вы, срочно обратитесь в поддержку.",
        ),
        (Lang::En, false) => Content::text(
            Lang::En,
            "Password changed",
            "Propusk: your password has been changed and your other sessions ended. \
             If it was not you, recover access and contact support.",
        ),
        (Lang::En, true) => Content::text(
            Lang::En,
            "Access recovered",
            "Propusk: a new password has been set for your account and every session ended. \
             If it was not you, contact support at once.",
        ),
    }
}
