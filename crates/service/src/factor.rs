//! The second factor: enrolling a TOTP app, backup codes, turning the factor
//! off, and the factor step of signing in (TOTP, a backup code, or an SMS code
//! as the alternative).

use propusk_core::Lang;
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::factor::{TotpKey, generate_backup_codes, normalize_backup_code};
use propusk_store::sessions::Stage;
use propusk_store::signin::{self, Attempt, Outcome};
use propusk_store::{Tx, accounts, audit, factors};
use rand_core::OsRng;
use uuid::Uuid;

use crate::error::internal;
use crate::notify::Content;
use crate::sessions::{Current, NewSession};
use crate::signin::Client;
use crate::sms_codes::Purpose;
use crate::{Result, ServiceError, Services};

/// What the security page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactorStatus {
    pub totp: bool,
    pub backup_codes_left: i64,
}

/// A key being added to an app: shown until the first code confirms it.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub key_text: String,
    pub otpauth_url: String,
    pub qr_svg: String,
}

/// Which factor let someone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Used {
    Totp,
    BackupCode,
    Sms,
}

impl Used {
    fn as_str(self) -> &'static str {
        match self {
            Used::Totp => "totp",
            Used::BackupCode => "backup_code",
            Used::Sms => "sms",
        }
    }
}

impl Services {
    pub async fn has_second_factor(&self, account_id: Uuid) -> Result<bool> {
        Ok(factors::totp_of(&self.db, account_id)
            .await?
            .is_some_and(|t| t.confirmed_at.is_some()))
    }

    pub async fn factor_status(&self, account_id: Uuid) -> Result<FactorStatus> {
        Ok(FactorStatus {
            totp: self.has_second_factor(account_id).await?,
            backup_codes_left: factors::backup_codes_left(&self.db, account_id).await?,
        })
    }

    fn open_key(&self, row: &factors::TotpRow) -> Result<TotpKey> {
        let bytes = self
            .vault
            .open(&row.secret, format!("totp:{}", row.account_id).as_bytes())
            .map_err(internal)?;
        TotpKey::from_bytes(&bytes).map_err(internal)
    }

    /// The name an authenticator app shows next to the code.
    async fn app_label(&self, account_id: Uuid) -> Result<String> {
        for c in accounts::contacts_of(&self.db, account_id).await? {
            if c.confirmed_at.is_some() && c.removed_at.is_none() {
                let v = self
                    .vault
                    .open_str(&c.value, &format!("contact:{}", c.id))
                    .map_err(internal)?;
                return Ok(v.to_string());
            }
        }
        Ok(account_id.to_string())
    }

    async fn enrolment_for(&self, key: &TotpKey, account_id: Uuid) -> Result<Enrolment> {
        let label = self.app_label(account_id).await?;
        Ok(Enrolment {
            key_text: key.base32_grouped(),
            otpauth_url: key.otpauth_url(&label).map_err(internal)?,
            qr_svg: key.qr_svg(&label).map_err(internal)?,
        })
    }

    /// Starts adding a TOTP app: a new key, not active until confirmed.
    pub async fn start_totp(&self, current: &Current) -> Result<Enrolment> {
        let key = TotpKey::generate(&mut OsRng);
        let sealed = self.vault.seal(
            &mut OsRng,
            key.as_bytes(),
            format!("totp:{}", current.account_id).as_bytes(),
        );
        let mut tx = self.db.begin().await?;
        if !factors::start_totp(&mut tx, current.account_id, &sealed, self.clock.now()).await? {
            return Err(ServiceError::Conflict);
        }
        tx.commit().await?;
        self.enrolment_for(&key, current.account_id).await
    }

    /// The enrolment in progress, to show again (e.g. after a wrong code).
    pub async fn enrolment(&self, current: &Current) -> Result<Option<Enrolment>> {
        match factors::totp_of(&self.db, current.account_id).await? {
            Some(row) if row.confirmed_at.is_none() => {
                let key = self.open_key(&row)?;
                Ok(Some(self.enrolment_for(&key, current.account_id).await?))
            }
            _ => Ok(None),
        }
    }

    async fn new_backup_codes(&self, tx: &mut Tx, account_id: Uuid) -> Result<Vec<String>> {
        let codes = generate_backup_codes(&mut OsRng);
        let indexes: Vec<String> = codes
            .iter()
            .filter_map(|c| normalize_backup_code(c))
            .map(|c| self.vault.blind_index_hex("backup_code", &c))
            .collect();
        factors::replace_backup_codes(tx, account_id, &indexes, self.clock.now()).await?;
        Ok(codes)
    }

    /// Confirms the enrolment with the app's first code; returns the backup
    /// codes, which are shown this once.
    pub async fn confirm_totp(
        &self,
        current: &Current,
        typed: &str,
        lang: Lang,
    ) -> Result<Vec<String>> {
        let now = self.clock.now();
        let Some(row) = factors::totp_of(&self.db, current.account_id).await? else {
            return Err(ServiceError::NotFound);
        };
        if row.confirmed_at.is_some() {
            return Err(ServiceError::Conflict);
        }
        let key = self.open_key(&row)?;
        let Some(step) = key.verify(typed, now, None) else {
            return Err(ServiceError::WrongFactorCode);
        };
        let mut tx = self.db.begin().await?;
        let step = i64::try_from(step).map_err(internal)?;
        if !factors::accept_step(&mut tx, current.account_id, step).await?
            || !factors::confirm_totp(&mut tx, current.account_id, now).await?
        {
            return Err(ServiceError::WrongFactorCode);
        }
        let codes = self.new_backup_codes(&mut tx, current.account_id).await?;
        let event = NewEvent::new(Actor::citizen(current.account_id), "factor.totp_enabled")
            .subject(format!("account:{}", current.account_id))
            .details(serde_json::json!({ "session": current.id }));
        audit::append(&mut tx, now, &event).await?;
        self.notify_account(&mut tx, current.account_id, &factor_notice(lang, true))
            .await?;
        tx.commit().await?;
        Ok(codes)
    }

    pub async fn regenerate_backup_codes(&self, current: &Current) -> Result<Vec<String>> {
        if !self.has_second_factor(current.account_id).await? {
            return Err(ServiceError::NotFound);
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let codes = self.new_backup_codes(&mut tx, current.account_id).await?;
        let event = NewEvent::new(
            Actor::citizen(current.account_id),
            "factor.backup_codes_regenerated",
        )
        .subject(format!("account:{}", current.account_id));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Checks a TOTP or backup code (and, when `sms_subject` is given, an SMS
    /// code) inside `tx`; the code is spent if it matched.
    async fn check_factor(
        &self,
        tx: &mut Tx,
        account_id: Uuid,
        typed: &str,
        sms_subject: Option<&str>,
    ) -> Result<Option<Used>> {
        let now = self.clock.now();
        if let Some(row) = factors::totp_of(&self.db, account_id).await?
            && row.confirmed_at.is_some()
        {
            let key = self.open_key(&row)?;
            let last = row.last_step.and_then(|s| u64::try_from(s).ok());
            if let Some(step) = key.verify(typed, now, last) {
                let step = i64::try_from(step).map_err(internal)?;
                if factors::accept_step(tx, account_id, step).await? {
                    return Ok(Some(Used::Totp));
                }
            }
        }
        if let Some(code) = normalize_backup_code(typed) {
            let index = self.vault.blind_index_hex("backup_code", &code);
            if factors::use_backup_code(tx, account_id, &index, now).await? {
                return Ok(Some(Used::BackupCode));
            }
        }
        if let Some(subject) = sms_subject {
            match self
                .check_sms_code(tx, Purpose::SignIn, subject, typed)
                .await
            {
                Ok(()) => return Ok(Some(Used::Sms)),
                Err(
                    ServiceError::WrongCode { .. }
                    | ServiceError::CodeExhausted
                    | ServiceError::CodeExpired,
                ) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// A current TOTP or backup code (spent if right), for confirming a
    /// sensitive action of a signed-in person.
    pub(crate) async fn check_factor_code(
        &self,
        tx: &mut Tx,
        account_id: Uuid,
        typed: &str,
    ) -> Result<Option<Used>> {
        self.check_factor(tx, account_id, typed, None).await
    }

    /// Turns the factor off: needs the password and a current code.
    pub async fn disable_totp(
        &self,
        current: &Current,
        password: &str,
        typed: &str,
        lang: Lang,
    ) -> Result<()> {
        self.confirm_password(current.account_id, password).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if self
            .check_factor(&mut tx, current.account_id, typed, None)
            .await?
            .is_none()
        {
            return Err(ServiceError::WrongFactorCode);
        }
        factors::remove_all(&mut tx, current.account_id).await?;
        let event = NewEvent::new(Actor::citizen(current.account_id), "factor.totp_disabled")
            .subject(format!("account:{}", current.account_id))
            .details(serde_json::json!({ "session": current.id }));
        audit::append(&mut tx, now, &event).await?;
        self.notify_account(&mut tx, current.account_id, &factor_notice(lang, false))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends the sign-in code by SMS to the account's phone, for someone
    /// half-way through signing in who has no app at hand.
    pub async fn send_sign_in_sms(&self, pending: &Current, lang: Lang) -> Result<()> {
        if pending.stage != Stage::SecondFactor {
            return Err(ServiceError::NotFound);
        }
        self.send_sms_code_to_account(
            pending.account_id,
            Purpose::SignIn,
            &pending.id.to_string(),
            lang,
        )
        .await?;
        Ok(())
    }

    /// The factor step of signing in. Failures count toward the same lock
    /// as wrong passwords, before the code is checked.
    pub async fn complete_sign_in(
        &self,
        pending: &Current,
        typed: &str,
        client: &Client,
    ) -> Result<NewSession> {
        if pending.stage != Stage::SecondFactor {
            return Err(ServiceError::NotFound);
        }
        let account_id = pending.account_id;
        let lock_key = format!("account:{account_id}");
        let mut tx = self.db.begin().await?;
        if let Attempt::Locked { until } = self
            .count_attempt(&mut tx, &lock_key, Some(format!("account:{account_id}")))
            .await?
        {
            signin::record(
                &mut tx,
                &self.event(client, Some(account_id), Outcome::Locked),
            )
            .await?;
            tx.commit().await?;
            return Err(ServiceError::Locked { until });
        }
        tx.commit().await?;

        let mut tx = self.db.begin().await?;
        let used = self
            .check_factor(&mut tx, account_id, typed, Some(&pending.id.to_string()))
            .await?;
        let Some(used) = used else {
            signin::record(
                &mut tx,
                &self.event(client, Some(account_id), Outcome::FactorFailed),
            )
            .await?;
            tx.commit().await?;
            return Err(ServiceError::WrongFactorCode);
        };
        tx.commit().await?;
        self.finish_sign_in(
            account_id,
            Some(pending.id),
            client,
            None,
            serde_json::json!({ "factor": used.as_str() }),
        )
        .await
    }
}

fn factor_notice(lang: Lang, on: bool) -> Content {
    match (lang, on) {
        (Lang::Ru, true) => Content::text(
            Lang::Ru,
            "Включён второй фактор",
            "Пропуск: для входа в вашу учётную запись теперь нужен код из приложения. \
                   Если это сделали не вы, срочно смените пароль.",
        ),
        (Lang::Ru, false) => Content::text(
            Lang::Ru,
            "Второй фактор отключён",
            "Пропуск: вход в вашу учётную запись больше не требует кода из приложения. \
                   Если это сделали не вы, срочно смените пароль.",
        ),
        (Lang::En, true) => Content::text(
            Lang::En,
            "Second factor turned on",
            "Propusk: signing in to your account now needs a code from your app. \
                   If it was not you, change your password at once.",
        ),
        (Lang::En, false) => Content::text(
            Lang::En,
            "Second factor turned off",
            "Propusk: signing in to your account no longer needs a code from your app. \
                   If it was not you, change your password at once.",
        ),
    }
}
