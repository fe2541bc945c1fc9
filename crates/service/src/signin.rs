//! Signing in with a phone, email or SNILS and a password.
//!
//! Order matters for safety: the per-address limit and the login's lock are
//! checked, and the attempt is counted as a failure, *before* the password is
//! verified. Many parallel guesses therefore all count, on every node; a right
//! password then clears the count. Unknown logins have counters of their own
//! and are verified against a dummy hash, so they look exactly like known ones.

use propusk_core::Lang;
use propusk_core::account::{AccountStatus, ContactChannel};
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::ident::{Email, Phone, Snils};
use propusk_core::signin::device_summary;
use propusk_store::accounts::{LoginIndex, SignInAccount};
use propusk_store::sessions::Stage;
use propusk_store::signin::{self, Attempt, DeviceSeen, EventRow, Outcome};
use propusk_store::{Tx, accounts, audit};
use rand_core::OsRng;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::notify::{self, Content};
use crate::sessions::{NewSession, device_hash};
use crate::{Result, ServiceError, Services};

/// Who is asking: read from the request by the web layer.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: String,
    pub user_agent: String,
    /// The browser's long-lived device cookie, if it sent one.
    pub device_token: Option<String>,
    pub lang: Lang,
}

impl Client {
    pub(crate) fn device_json(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "ip": self.ip,
            "device": device_summary(&self.user_agent),
        }))
        .unwrap_or_default()
    }
}

/// What a person typed as their login, recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    Phone(Phone),
    Email(Email),
    Snils(Snils),
}

impl Login {
    /// Email if it has `@`; SNILS if written as SNILS or if it is not a
    /// mobile number; otherwise a phone. `None` when it is none of these.
    pub fn parse(input: &str) -> Option<Login> {
        let s = input.trim();
        if s.contains('@') {
            return Email::parse(s).ok().map(Login::Email);
        }
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        let looks_like_mobile =
            s.starts_with('+') || (digits.len() == 11 && matches!(&digits[..2], "79" | "89"));
        if !looks_like_mobile && let Ok(snils) = Snils::parse(s) {
            return Some(Login::Snils(snils));
        }
        Phone::parse(s)
            .ok()
            .map(Login::Phone)
            .or_else(|| Snils::parse(s).ok().map(Login::Snils))
    }

    fn index_domain(&self) -> (&'static str, &str) {
        match self {
            Login::Phone(p) => ("phone", p.as_str()),
            Login::Email(e) => ("email", e.as_str()),
            Login::Snils(s) => ("snils", s.as_str()),
        }
    }
}

/// A successful password step.
#[derive(Debug)]
pub struct SignedIn {
    pub session: NewSession,
    pub account_id: Uuid,
    /// `SecondFactor` when the account has one on: the session is not yet usable.
    pub stage: Stage,
}

impl Services {
    async fn find_account(&self, login: &Login, device: &str) -> Result<Option<SignInAccount>> {
        let (domain, value) = login.index_domain();
        let index = self.vault.blind_index_hex(domain, value);
        let by = match login {
            Login::Phone(_) => LoginIndex::Phone(&index),
            Login::Email(_) => LoginIndex::Email(&index),
            Login::Snils(_) => LoginIndex::Snils(&index),
        };
        Ok(accounts::for_sign_in(&self.db, by, device).await?)
    }

    /// Counts an attempt on `lock_key` before it is checked (see the module
    /// doc). The failure that reaches the policy's limit sets the next lock,
    /// audited under `subject` (`account:<id>`, `operator:<id>`) when the
    /// caller knows whose login it is. A locked key is not counted.
    pub(crate) async fn count_attempt(
        &self,
        tx: &mut Tx,
        lock_key: &str,
        subject: Option<String>,
    ) -> Result<Attempt> {
        let now = self.clock.now();
        let attempt = signin::count_attempt(tx, lock_key, now).await?;
        if let Attempt::Counted { failures, .. } = attempt
            && let Some(d) = self.lockout.lock_for(failures)
        {
            signin::set_locked_until(tx, lock_key, now + d).await?;
            if let Some(subject) = subject {
                let event = NewEvent::new(Actor::system(), "sign_in.locked")
                    .subject(subject)
                    .details(
                        serde_json::json!({ "failures": failures, "minutes": d.whole_minutes() }),
                    );
                audit::append(tx, now, &event).await?;
            }
        }
        Ok(attempt)
    }

    pub(crate) fn event(
        &self,
        client: &Client,
        account: Option<Uuid>,
        result: Outcome,
    ) -> EventRow {
        let id = Uuid::now_v7();
        EventRow {
            id,
            at: self.clock.now(),
            account_id: account,
            ip_index: self.vault.blind_index_hex("ip", &client.ip),
            device: self.vault.seal(
                &mut OsRng,
                &client.device_json(),
                format!("sign_in:{id}").as_bytes(),
            ),
            device_hash: None,
            result,
        }
    }

    /// The per-address limit over all logins (citizens' and operators'):
    /// `RateLimited`, recorded, when this address failed too often lately.
    pub(crate) async fn check_address(&self, client: &Client) -> Result<()> {
        let now = self.clock.now();
        let ip_index = self.vault.blind_index_hex("ip", &client.ip);
        let recent =
            signin::failures_from(&self.db, &ip_index, now - self.address_limit.window).await?;
        if let Some(retry_at) = self.address_limit.check(now, &recent) {
            self.record_only(&self.event(client, None, Outcome::RateLimited))
                .await?;
            return Err(ServiceError::RateLimited { retry_at });
        }
        Ok(())
    }

    async fn record_only(&self, event: &EventRow) -> Result<()> {
        let mut tx = self.db.begin().await?;
        signin::record(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn sign_in(&self, login: &str, password: &str, client: &Client) -> Result<SignedIn> {
        self.check_address(client).await?;
        let now = self.clock.now();

        let parsed = Login::parse(login);
        let device = client.device_token.as_deref().map(device_hash);
        let found = match &parsed {
            Some(l) => {
                self.find_account(l, device.as_deref().unwrap_or(""))
                    .await?
            }
            None => None,
        };
        let account = found.as_ref().map(|f| f.account.id);
        let lock_key = match (&account, &parsed) {
            (Some(id), _) => format!("account:{id}"),
            (None, Some(l)) => {
                let (domain, value) = l.index_domain();
                format!("login:{}", self.vault.blind_index_hex(domain, value))
            }
            (None, None) => format!(
                "login:{}",
                self.vault
                    .blind_index_hex("raw", &login.trim().to_lowercase())
            ),
        };

        // Count the attempt before checking the password (see the module doc).
        let mut tx = self.db.begin().await?;
        let before = match self
            .count_attempt(
                &mut tx,
                &lock_key,
                account.map(|id| format!("account:{id}")),
            )
            .await?
        {
            Attempt::Locked { until } => {
                signin::record(&mut tx, &self.event(client, account, Outcome::Locked)).await?;
                tx.commit().await?;
                return Err(ServiceError::Locked { until });
            }
            Attempt::Counted { before, .. } => before,
        };
        tx.commit().await?;

        let verified = self
            .verify_hash(
                password,
                found.as_ref().map(|f| f.account.password_hash.clone()),
            )
            .await?;

        let Some(SignInAccount {
            account: row,
            has_totp,
            device: seen,
        }) = found.filter(|_| verified.ok)
        else {
            self.record_only(&self.event(client, account, Outcome::WrongPassword))
                .await?;
            return Err(ServiceError::BadCredentials);
        };
        if row.status != AccountStatus::Active {
            return Err(ServiceError::AccountUnavailable(row.status));
        }

        let rehashed = if verified.needs_rehash {
            Some(self.passwords.hash(password).await?)
        } else {
            None
        };
        if let Some(fresh) = &rehashed {
            let mut tx = self.db.begin().await?;
            accounts::set_password_hash(&mut tx, row.id, fresh, now).await?;
            tx.commit().await?;
        }

        if has_totp {
            // The lock stays with the factor step; see `signin::refund`.
            let mut tx = self.db.begin().await?;
            signin::refund(&mut tx, &lock_key, before).await?;
            let session = self
                .open_session(&mut tx, row.id, Stage::SecondFactor, client)
                .await?;
            tx.commit().await?;
            return Ok(SignedIn {
                session,
                account_id: row.id,
                stage: Stage::SecondFactor,
            });
        }
        let session = self
            .finish_sign_in(
                row.id,
                None,
                client,
                Some(seen),
                serde_json::json!({ "factor": null, "rehashed": rehashed.is_some() }),
            )
            .await?;
        Ok(SignedIn {
            session,
            account_id: row.id,
            stage: Stage::Full,
        })
    }

    /// The last step of every successful sign-in: clears the failure count,
    /// ends the half-way session if there was one, opens the full session
    /// under a new id, records history and audit, and tells the owner about a
    /// new device. `seen`: what the history says of the client's device, if
    /// the caller has read it already.
    pub(crate) async fn finish_sign_in(
        &self,
        account_id: Uuid,
        pending: Option<Uuid>,
        client: &Client,
        seen: Option<DeviceSeen>,
        details: serde_json::Value,
    ) -> Result<NewSession> {
        let now = self.clock.now();
        let device_token = client
            .device_token
            .clone()
            .unwrap_or_else(crate::sessions::new_secret);
        let hash = device_hash(&device_token);
        let DeviceSeen { known, any_before } = match seen {
            Some(seen) => seen,
            None => signin::device_seen(&self.db, account_id, &hash).await?,
        };

        let mut tx = self.db.begin().await?;
        signin::reset(&mut tx, &format!("account:{account_id}")).await?;
        if let Some(p) = pending {
            match propusk_store::sessions::end(&mut tx, account_id, p, "second_factor_passed", now)
                .await
            {
                Ok(()) | Err(propusk_store::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let mut session = self
            .open_session(&mut tx, account_id, Stage::Full, client)
            .await?;
        if client.device_token.is_none() {
            session.device_token = Some(device_token);
        }
        let mut event = self.event(client, Some(account_id), Outcome::Success);
        event.device_hash = Some(hash);
        signin::record(&mut tx, &event).await?;
        let mut details = details;
        if let Some(map) = details.as_object_mut() {
            map.insert("session".into(), serde_json::json!(session.id));
            map.insert("new_device".into(), serde_json::json!(!known));
        }
        let audit_event = NewEvent::new(Actor::citizen(account_id), "sign_in.succeeded")
            .subject(format!("account:{account_id}"))
            .details(details);
        audit::append(&mut tx, now, &audit_event).await?;
        if !known && any_before {
            self.notify_account(&mut tx, account_id, &new_device_notice(client, now))
                .await?;
        }
        tx.commit().await?;
        Ok(session)
    }

    /// Sends a security notice to every confirmed contact of an account.
    pub(crate) async fn notify_account(
        &self,
        tx: &mut propusk_store::Tx,
        account_id: Uuid,
        content: &Content,
    ) -> Result<()> {
        self.notify_contacts(tx, account_id, content, None).await
    }

    /// The same to the confirmed contacts of one channel only (`None`:
    /// all).
    pub(crate) async fn notify_contacts(
        &self,
        tx: &mut propusk_store::Tx,
        account_id: Uuid,
        content: &Content,
        only: Option<ContactChannel>,
    ) -> Result<()> {
        let now = self.clock.now();
        for c in accounts::contacts_of_in(tx, account_id).await? {
            if c.confirmed_at.is_none()
                || c.removed_at.is_some()
                || only.is_some_and(|ch| ch != c.channel)
            {
                continue;
            }
            let value = self
                .vault
                .open_str(&c.value, &format!("contact:{}", c.id))
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            let channel = match c.channel {
                ContactChannel::Phone => propusk_store::outbox::Channel::Sms,
                ContactChannel::Email => propusk_store::outbox::Channel::Email,
            };
            notify::enqueue(tx, &self.vault, channel, &value, content, now).await?;
        }
        Ok(())
    }
}

fn new_device_notice(client: &Client, at: OffsetDateTime) -> Content {
    let device = device_summary(&client.user_agent);
    let when = crate::format::moscow_time(at);
    match client.lang {
        Lang::Ru => Content::text(
            Lang::Ru,
            "Вход с нового устройства",
            format!(
                "Пропуск: вход в вашу учётную запись {when} (МСК), {device}, IP {}. \
                 Если это были не вы, смените пароль и завершите чужие сеансы в личном кабинете.",
                client.ip
            ),
        ),
        Lang::En => Content::text(
            Lang::En,
            "Sign-in from a new device",
            format!(
                "Propusk: your account was signed in to at {when} (Moscow time), {device}, IP {}. \
                 If it was not you, change your password and end other sessions in your cabinet.",
                client.ip
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_recognised() {
        assert!(matches!(
            Login::parse("anna@example.ru"),
            Some(Login::Email(_))
        ));
        assert!(matches!(
            Login::parse("+7 916 700-00-01"),
            Some(Login::Phone(_))
        ));
        assert!(matches!(Login::parse("89167000001"), Some(Login::Phone(_))));
        assert!(matches!(
            Login::parse("112-233-445 95"),
            Some(Login::Snils(_))
        ));
        assert!(matches!(Login::parse("11223344595"), Some(Login::Snils(_))));
        assert_eq!(Login::parse("hello"), None);
        assert_eq!(Login::parse(""), None);
    }
}
