//! Portal operators: the people who review partner applications. They are
//! not citizens' accounts: they are made by `propusk admin create` on the
//! server, sign in at `/admin` with a password and a TOTP code (always
//! both), and their sessions are rows of their own with a shorter life.
//! Failures count against the same lockout as citizens' sign-ins.

use propusk_core::audit::{Actor, NewEvent};
use propusk_core::factor::TotpKey;
use propusk_core::password::{self as policy, PersonalData};
use propusk_core::signin::{SessionPolicy, device_summary};
use propusk_store::signin::{Attempt, Outcome};
use propusk_store::{StoreError, audit, operators, signin};
use rand_core::OsRng;
use sha2::{Digest, Sha256};
use time::Duration;
use uuid::Uuid;

use crate::error::internal;
use crate::signin::Client;
use crate::{Result, ServiceError, Services};

/// An operator's session: 15 minutes without use, 8 hours at most (the
/// citizens' rules, shorter). `pending` does not apply: the password and
/// the code come in one form.
const SESSIONS: SessionPolicy = SessionPolicy {
    idle: Duration::minutes(15),
    absolute: Duration::hours(8),
    touch_every: Duration::minutes(1),
    pending: Duration::ZERO,
};

/// A signed-in operator. Only [`Services::operator_session`] makes one,
/// so holding one is the proof the deciding methods ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operator {
    pub session_id: Uuid,
    pub id: Uuid,
    pub login: String,
}

/// What `propusk admin create` prints: the TOTP key is shown once.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewOperator {
    pub id: Uuid,
    pub login: String,
    pub totp_secret: String,
    pub otpauth_url: String,
}

impl NewOperator {
    /// What the command line shows once: the key for the authenticator app.
    fn shown(id: Uuid, login: String, key: &TotpKey) -> Result<NewOperator> {
        Ok(NewOperator {
            id,
            otpauth_url: key
                .otpauth_url(&format!("operator:{login}"))
                .map_err(internal)?,
            totp_secret: key.base32_grouped(),
            login,
        })
    }
}

fn login_problem() -> ServiceError {
    ServiceError::field(
        "login",
        "invalid",
        "Логин: от 3 до 64 латинских букв, цифр и знаков . _ -",
        "Login: 3 to 64 Latin letters, digits and . _ -",
    )
}

/// Logins are compared in lower case.
fn normalize_login(login: &str) -> Option<String> {
    let l = login.trim().to_ascii_lowercase();
    let ok = (3..=64).contains(&l.len())
        && l.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    ok.then_some(l)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(format!("operator:{token}").as_bytes()))
}

impl Services {
    pub async fn create_operator(
        &self,
        login: &str,
        password: &str,
        actor: Actor,
    ) -> Result<NewOperator> {
        self.insert_operator(login, password, TotpKey::generate(&mut OsRng), actor)
            .await
    }

    /// An operator with a TOTP key chosen by the caller (the demo's, which
    /// is printed in the README).
    pub(crate) async fn insert_operator(
        &self,
        login: &str,
        password: &str,
        key: TotpKey,
        actor: Actor,
    ) -> Result<NewOperator> {
        let login = normalize_login(login).ok_or_else(login_problem)?;
        check_operator_password(&login, password)?;
        let hash = self.passwords.hash(password).await?;
        let id = Uuid::now_v7();
        let now = self.clock.now();
        let sealed = self.seal_totp(id, &key);
        let mut tx = self.db.begin().await?;
        let row = operators::OperatorRow {
            id,
            login: login.clone(),
            password_hash: hash,
            totp_key: sealed,
            totp_last_step: None,
            created_at: now,
            disabled_at: None,
        };
        match operators::insert(&mut tx, &row).await {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => {
                return Err(ServiceError::field(
                    "login",
                    "taken",
                    "Оператор с таким логином уже есть",
                    "An operator with this login exists",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        let event = NewEvent::new(actor, "operator.created")
            .subject(format!("operator:{id}"))
            .details(serde_json::json!({ "login": login }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        NewOperator::shown(id, login, &key)
    }

    /// An operator's TOTP key as stored: sealed to the operator.
    fn seal_totp(&self, id: Uuid, key: &TotpKey) -> Vec<u8> {
        self.vault.seal(
            &mut OsRng,
            key.as_bytes(),
            format!("operator:{id}").as_bytes(),
        )
    }

    /// Password and TOTP code together; any wrong part is the same error.
    /// As at the citizens' sign-in, the caller's address is limited first,
    /// every attempt counts against the login's lockout before anything is
    /// checked, and known and unknown logins cost and record the same. The
    /// session the browser had (`previous`) ends. Returns the new session
    /// cookie's secret.
    pub async fn operator_sign_in(
        &self,
        login: &str,
        password: &str,
        code: &str,
        client: &Client,
        previous: Option<&str>,
    ) -> Result<String> {
        self.check_address(client).await?;
        let now = self.clock.now();
        let normalized = normalize_login(login);
        let found = match &normalized {
            Some(l) => operators::by_login(&self.db, l).await?,
            None => None,
        };
        let login_index = self
            .vault
            .blind_index_hex("operator", normalized.as_deref().unwrap_or(login.trim()));
        let lock_key = format!("operator:{login_index}");
        // Whose login it is, for the audit: the operator, or the login's index.
        let subject = match &found {
            Some(o) => format!("operator:{}", o.id),
            None => format!("operator_login:{login_index}"),
        };
        let details = serde_json::json!({ "device": device_summary(&client.user_agent) });
        let mut tx = self.db.begin().await?;
        if let Attempt::Locked { until } = self
            .count_attempt(&mut tx, &lock_key, Some(subject.clone()))
            .await?
        {
            signin::record(&mut tx, &self.event(client, None, Outcome::Locked)).await?;
            tx.commit().await?;
            return Err(ServiceError::Locked { until });
        }
        tx.commit().await?;

        let verified = self
            .verify_hash(password, found.as_ref().map(|o| o.password_hash.clone()))
            .await?;
        let step = match found
            .as_ref()
            .filter(|o| verified.ok && o.disabled_at.is_none())
        {
            Some(o) => {
                let key = self
                    .vault
                    .open(&o.totp_key, format!("operator:{}", o.id).as_bytes())
                    .map_err(internal)?;
                let key = TotpKey::from_bytes(&key).map_err(internal)?;
                let last = o.totp_last_step.and_then(|s| u64::try_from(s).ok());
                key.verify(code, now, last)
            }
            None => None,
        };
        let mut tx = self.db.begin().await?;
        let accepted = match (found.as_ref(), step) {
            (Some(o), Some(step)) => {
                operators::use_totp_step(&mut tx, o.id, i64::try_from(step).map_err(internal)?)
                    .await?
            }
            _ => false,
        };
        let Some(operator) = found.filter(|_| accepted) else {
            signin::record(&mut tx, &self.event(client, None, Outcome::WrongPassword)).await?;
            let event = NewEvent::new(Actor::system(), "operator.sign_in_failed")
                .subject(subject)
                .details(details);
            audit::append(&mut tx, now, &event).await?;
            tx.commit().await?;
            return Err(ServiceError::BadCredentials);
        };
        signin::reset(&mut tx, &lock_key).await?;
        if let Some(old) = previous.filter(|t| !t.is_empty() && t.len() <= 100) {
            operators::end_session_by_token(&mut tx, &token_hash(old), now).await?;
        }
        let token = crate::sessions::new_secret();
        let session_id = Uuid::now_v7();
        operators::open_session(&mut tx, session_id, &token_hash(&token), operator.id, now).await?;
        let event = NewEvent::new(Actor::operator(operator.id), "operator.signed_in")
            .subject(subject)
            .details(details);
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// `propusk admin disable`: the operator can no longer sign in, and
    /// every session of theirs ends now.
    pub async fn disable_operator(&self, login: &str, actor: Actor) -> Result<()> {
        let login = normalize_login(login).ok_or_else(login_problem)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let id = operators::disable(&mut tx, &login, now)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let ended = operators::end_sessions_of(&mut tx, id, now).await?;
        let event = NewEvent::new(actor, "operator.disabled")
            .subject(format!("operator:{id}"))
            .details(serde_json::json!({ "sessions_ended": ended }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// New credentials for an operator (who lost the authenticator, or was
    /// disabled and may work again): a new password and TOTP key, enabled,
    /// every session of theirs ended. Returns the key to show once.
    pub async fn reset_operator(
        &self,
        login: &str,
        password: &str,
        actor: Actor,
    ) -> Result<NewOperator> {
        let login = normalize_login(login).ok_or_else(login_problem)?;
        check_operator_password(&login, password)?;
        let row = operators::by_login(&self.db, &login)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let key = TotpKey::generate(&mut OsRng);
        let hash = self.passwords.hash(password).await?;
        let sealed = self.seal_totp(row.id, &key);
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        operators::reset(&mut tx, row.id, &hash, &sealed).await?;
        let ended = operators::end_sessions_of(&mut tx, row.id, now).await?;
        let event = NewEvent::new(actor, "operator.reset")
            .subject(format!("operator:{}", row.id))
            .details(serde_json::json!({
                "was_disabled": row.disabled_at.is_some(),
                "sessions_ended": ended,
            }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        NewOperator::shown(row.id, login, &key)
    }

    /// The operator a session cookie belongs to, while the session lives.
    pub async fn operator_session(&self, token: &str) -> Result<Option<Operator>> {
        if token.is_empty() || token.len() > 100 {
            return Ok(None);
        }
        let Some(s) = operators::session(&self.db, &token_hash(token)).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if !SESSIONS.alive(s.created_at, s.last_seen_at, now) {
            let mut tx = self.db.begin().await?;
            operators::end_session(&mut tx, s.id, now).await?;
            tx.commit().await?;
            return Ok(None);
        }
        if SESSIONS.needs_touch(s.last_seen_at, now) {
            operators::touch(&self.db, s.id, now).await?;
        }
        Ok(Some(Operator {
            session_id: s.id,
            id: s.operator_id,
            login: s.login,
        }))
    }

    pub async fn operator_sign_out(&self, operator: &Operator) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        operators::end_session(&mut tx, operator.session_id, now).await?;
        let event = NewEvent::new(Actor::operator(operator.id), "operator.signed_out")
            .subject(format!("operator:{}", operator.id));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The password rules, with the login as the personal data not to reuse.
fn check_operator_password(login: &str, password: &str) -> Result<()> {
    let names = [login];
    if let Err(problems) = policy::check(
        password,
        &PersonalData {
            names: &names,
            ..PersonalData::default()
        },
    ) {
        let first = problems[0];
        return Err(ServiceError::Invalid(vec![crate::FieldProblem::new(
            "password",
            first.code(),
            |lang| first.message(lang),
        )]));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins() {
        assert_eq!(normalize_login(" Ivanova.A "), Some("ivanova.a".into()));
        for bad in ["", "ab", "иванова", "a b c", &"x".repeat(65)] {
            assert_eq!(normalize_login(bad), None, "{bad:?}");
        }
    }
}
