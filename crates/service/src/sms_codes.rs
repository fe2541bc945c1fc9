//! One-time SMS codes for any purpose: contact confirmation, the sign-in
//! factor. Sending respects the per-contact quotas of
//! [`CodePolicy`](propusk_core::otp::CodePolicy); checking allows three tries.

use propusk_core::Lang;
use propusk_core::otp::{self, Attempt};
use propusk_store::outbox::Channel;
use propusk_store::{Tx, codes};
use rand_core::OsRng;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::notify::{self, Content};
use crate::{Result, ServiceError, Services};

/// What a code is for; each has its own SMS text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    ConfirmContact,
    SignIn,
    Recovery,
    ConsentApproval,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::ConfirmContact => "confirm_contact",
            Purpose::SignIn => "sign_in",
            Purpose::Recovery => "recovery",
            Purpose::ConsentApproval => "consent_approval",
        }
    }

    fn text(self, lang: Lang, code: &str) -> String {
        match (self, lang) {
            (Purpose::ConfirmContact, Lang::Ru) => {
                format!("Пропуск: код подтверждения {code}. Никому его не сообщайте.")
            }
            (Purpose::ConfirmContact, Lang::En) => {
                format!("Propusk: your confirmation code is {code}. Never share it.")
            }
            (Purpose::SignIn, Lang::Ru) => {
                format!("Пропуск: код для входа {code}. Никому его не сообщайте, даже сотрудникам.")
            }
            (Purpose::Recovery, Lang::Ru) => format!(
                "Пропуск: код для восстановления доступа {code}. Если вы его не запрашивали, ничего не делайте."
            ),
            (Purpose::Recovery, Lang::En) => format!(
                "Propusk: your account recovery code is {code}. If you did not ask for it, do nothing."
            ),
            (Purpose::ConsentApproval, Lang::Ru) => format!(
                "Пропуск: код {code} — подтверждение согласия на передачу ваших данных организации. Никому его не сообщайте."
            ),
            (Purpose::ConsentApproval, Lang::En) => format!(
                "Propusk: code {code} approves sharing your data with an organization. Never share it."
            ),
            (Purpose::SignIn, Lang::En) => {
                format!(
                    "Propusk: your sign-in code is {code}. Never share it, not even with staff."
                )
            }
        }
    }
}

impl Services {
    fn code_mac(&self, code_id: Uuid, code: &str) -> String {
        self.vault
            .blind_index_hex("otp", &format!("{code_id}:{code}"))
    }

    /// Issues a code for (`purpose`, `subject`) and queues the SMS to `phone`,
    /// whose blind index `contact_index` the quotas count by.
    pub(crate) async fn send_sms_code(
        &self,
        tx: &mut Tx,
        purpose: Purpose,
        subject: &str,
        contact_index: &str,
        phone: &str,
        lang: Lang,
    ) -> Result<()> {
        let now = self.clock.now();
        let sent = codes::sent_since(&self.db, contact_index, now - self.codes.window).await?;
        if let Err(refused) = self.codes.may_send(now, &sent) {
            let retry_at = match refused {
                otp::SendRefused::TooSoon { retry_at }
                | otp::SendRefused::QuotaReached { retry_at } => retry_at,
            };
            return Err(ServiceError::RateLimited { retry_at });
        }
        let code = self.codes.generate(&mut OsRng);
        let code_id = Uuid::now_v7();
        let row = codes::CodeRow {
            id: code_id,
            purpose: purpose.as_str().into(),
            subject: subject.to_owned(),
            contact_index: contact_index.to_owned(),
            code_mac: self.code_mac(code_id, &code),
            issued_at: now,
            expires_at: now + self.codes.ttl,
            failed: 0,
            used_at: None,
        };
        codes::issue(tx, &row).await?;
        let content = Content::text(lang, String::new(), purpose.text(lang, &code));
        notify::enqueue(tx, &self.vault, Channel::Sms, phone, &content, now).await?;
        Ok(())
    }

    /// The account's confirmed phone (sealed), if it has one.
    async fn confirmed_phone(
        &self,
        account_id: Uuid,
    ) -> Result<Option<propusk_store::accounts::ContactRow>> {
        use propusk_core::account::ContactChannel;
        Ok(propusk_store::accounts::contacts_of(&self.db, account_id)
            .await?
            .into_iter()
            .find(|c| {
                c.channel == ContactChannel::Phone
                    && c.confirmed_at.is_some()
                    && c.removed_at.is_none()
            }))
    }

    /// Whether codes can be sent to the account at all.
    pub(crate) async fn has_confirmed_phone(&self, account_id: Uuid) -> Result<bool> {
        Ok(self.confirmed_phone(account_id).await?.is_some())
    }

    /// Issues a code and sends it to the account's confirmed phone in its
    /// own transaction; `NotFound` when the account has none.
    pub(crate) async fn send_sms_code_to_account(
        &self,
        account_id: Uuid,
        purpose: Purpose,
        subject: &str,
        lang: Lang,
    ) -> Result<()> {
        let phone = self
            .confirmed_phone(account_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let value = self
            .vault
            .open_str(&phone.value, &format!("contact:{}", phone.id))
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        self.send_sms_code(&mut tx, purpose, subject, &phone.value_index, &value, lang)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Services::check_sms_code`] for a caller that goes on in `tx` after a
    /// right code: a wrong or used-up one commits `tx` (so the try counts)
    /// and returns the error; any other error drops `tx`.
    pub(crate) async fn check_sms_code_or_commit(
        &self,
        mut tx: Tx,
        purpose: Purpose,
        subject: &str,
        typed: &str,
    ) -> Result<Tx> {
        match self.check_sms_code(&mut tx, purpose, subject, typed).await {
            Ok(()) => Ok(tx),
            Err(e @ (ServiceError::WrongCode { .. } | ServiceError::CodeExhausted)) => {
                tx.commit().await?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Checks a typed code against the newest one for (`purpose`, `subject`)
    /// inside `tx`. A right code is marked used; a wrong one counts a try
    /// (the caller must commit `tx` either way for the count to stick).
    pub(crate) async fn check_sms_code(
        &self,
        tx: &mut Tx,
        purpose: Purpose,
        subject: &str,
        typed: &str,
    ) -> Result<()> {
        let typed = otp::normalize_input(typed);
        let now = self.clock.now();
        let Some(code) = codes::claim_latest(tx, purpose.as_str(), subject).await? else {
            return Err(ServiceError::CodeExpired);
        };
        // Compared without an early exit: timing says nothing about how much matched.
        let matches: bool = self
            .code_mac(code.id, &typed)
            .as_bytes()
            .ct_eq(code.code_mac.as_bytes())
            .into();
        let failed = u32::try_from(code.failed).unwrap_or(u32::MAX);
        match self.codes.judge(now, code.issued_at, failed, matches) {
            Attempt::Accepted => {
                codes::mark_used(tx, code.id, now).await?;
                Ok(())
            }
            Attempt::Wrong { tries_left } => {
                codes::record_failure(tx, code.id).await?;
                Err(ServiceError::WrongCode { tries_left })
            }
            Attempt::Exhausted => {
                codes::record_failure(tx, code.id).await?;
                Err(ServiceError::CodeExhausted)
            }
            Attempt::Expired => Err(ServiceError::CodeExpired),
        }
    }
}
