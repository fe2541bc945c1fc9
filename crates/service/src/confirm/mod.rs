//! Confirmation of identity through a partner bank: Propusk is the bank's
//! OpenID Connect client. The person (at the standard level: passport and
//! SNILS already checked by the registries) picks a bank and signs in there;
//! the bank answers with an ID token and a signed identity assertion. Both
//! are checked, the assertion's `jti` is remembered so it works once, its
//! data must agree with the profile and МВД must still hold the passport
//! valid. Then the account is `confirmed` and the bank linked to it.
//!
//! A bank that cannot be reached leaves the link `pending` ("try later");
//! one that refuses our token request (400) or whose tokens do not verify
//! leaves it `rejected` with the reason; a 401 restarts the sign-in once.
//! Each try goes into a log the person sees. An active link stays active
//! while an attempt to change the bank fails.

pub mod assertion;
pub mod banks;
pub mod http;

use propusk_core::Lang;
use propusk_core::account::{AccountStatus, TrustLevel};
use propusk_core::audit::{Actor, NewEvent};
use propusk_registries::connect::RegistryError;
use propusk_registries::wire::PassportStatus;
use propusk_store::bank_links::{self, FlowRow, LinkRow, LinkState, LogRow};
use propusk_store::{accounts, audit, seen_once};
use rand_core::OsRng;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use self::assertion::{AssertionError, Expected};
use self::banks::BankFailure;
use crate::error::internal;
use crate::notify::Content;
use crate::sessions::Current;
use crate::{Result, ServiceError, Services};

pub use self::banks::{PartnerBank, PartnerBanks};

/// Where banks send people back (registered with every bank).
pub const CALLBACK_PATH: &str = "/cabinet/confirm/callback";
/// How long a person may take at the bank.
const FLOW_LIFETIME: Duration = Duration::minutes(10);
/// Automatic restarts after a 401 from the bank's token endpoint.
const MAX_RESTARTS: i32 = 1;
/// How long a seen `jti` is remembered beyond the assertion's expiry.
const REPLAY_MARGIN: Duration = Duration::minutes(5);

/// The account's link as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub bank: String,
    pub bank_name: String,
    pub state: LinkState,
    pub reason: Option<String>,
    pub detail: Option<String>,
    pub verified_at: Option<OffsetDateTime>,
    pub confirmed_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Status {
    pub level: Option<TrustLevel>,
    pub link: Option<Link>,
    /// Newest first.
    pub log: Vec<LogRow>,
    /// `(id, name)` of every configured bank.
    pub banks: Vec<(String, String)>,
}

/// What the bank sent the person back with.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub iss: Option<String>,
}

/// How a callback ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    Confirmed,
    Rejected(&'static str),
    Pending(&'static str),
    /// The person declined at the bank.
    Cancelled,
    /// Sign in at the bank again: here.
    Restart(String),
}

/// A verdict on one try.
enum Verdict {
    Confirmed {
        customer_id: String,
        verified_at: Option<OffsetDateTime>,
    },
    Rejected(&'static str, Option<String>),
    Pending(&'static str, Option<String>),
}

fn state_hash(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

fn problem(code: &'static str, ru: &str, en: &str) -> ServiceError {
    ServiceError::field("bank", code, ru, en)
}

fn log_row(
    account_id: Uuid,
    at: OffsetDateTime,
    bank: &str,
    outcome: &str,
    message: &str,
    detail: Option<String>,
) -> LogRow {
    LogRow {
        id: Uuid::now_v7(),
        account_id,
        at,
        bank: bank.to_owned(),
        outcome: outcome.to_owned(),
        message: message.to_owned(),
        detail,
    }
}

impl Services {
    fn banks(&self) -> Option<&PartnerBanks> {
        self.banks.as_deref()
    }

    fn callback_url(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.public_base)
    }

    fn bank_name(&self, id: &str) -> String {
        self.banks()
            .and_then(|b| b.get(id))
            .map_or_else(|| id.to_owned(), |b| b.name.clone())
    }

    pub async fn confirmation_status(&self, account_id: Uuid) -> Result<Status> {
        let row = accounts::get(&self.db, account_id).await?;
        let link = bank_links::link_of(&self.db, account_id)
            .await?
            .map(|l| Link {
                bank_name: self.bank_name(&l.bank),
                bank: l.bank,
                state: l.state,
                reason: l.reason,
                detail: l.detail,
                verified_at: l.verified_at,
                confirmed_at: l.confirmed_at,
                updated_at: l.updated_at,
            });
        Ok(Status {
            level: row.trust_level,
            link,
            log: bank_links::log_of(&self.db, account_id, 30).await?,
            banks: self
                .banks()
                .map(|b| b.list().map(|b| (b.id.clone(), b.name.clone())).collect())
                .unwrap_or_default(),
        })
    }

    /// Starts a sign-in at `bank` for the person; returns the bank's URL to
    /// send them to.
    pub async fn start_confirmation(&self, current: &Current, bank: &str) -> Result<String> {
        let id = current.account_id;
        let row = accounts::get(&self.db, id).await?;
        if row.trust_level.is_none_or(|t| t < TrustLevel::Standard) {
            return Err(problem(
                "level",
                "Сначала укажите паспорт и СНИЛС в разделе «Мои данные» и дождитесь их проверки: банк подтверждает проверенные данные.",
                "First enter your passport and SNILS under “My data” and wait for the check: the bank confirms checked data.",
            ));
        }
        let Some(banks) = self.banks().filter(|b| b.get(bank).is_some()) else {
            return Err(problem(
                "unknown",
                "Выберите банк из списка.",
                "Choose a bank from the list.",
            ));
        };
        self.begin_flow(banks, id, bank, 0).await
    }

    async fn begin_flow(
        &self,
        banks: &PartnerBanks,
        id: Uuid,
        bank: &str,
        restarts: i32,
    ) -> Result<String> {
        let now = self.clock.now();
        let started = match banks.start(bank, &self.callback_url()).await {
            Ok(s) => s,
            Err(failure) => {
                let verdict = self.failure_verdict(failure);
                self.record(id, bank, &verdict, now).await?;
                return Err(problem(
                    "unavailable",
                    "Банк сейчас недоступен. Попробуйте позже.",
                    "The bank is unavailable right now. Please try later.",
                ));
            }
        };
        let sealed = self.vault.seal(
            &mut OsRng,
            started.pkce_verifier.as_bytes(),
            b"bank_flow.pkce",
        );
        let mut tx = self.db.begin().await?;
        bank_links::insert_flow(
            &mut tx,
            &FlowRow {
                state_hash: state_hash(&started.state),
                account_id: id,
                bank: bank.to_owned(),
                nonce: started.nonce,
                pkce_verifier: sealed,
                restarts,
                created_at: now,
                expires_at: now + FLOW_LIFETIME,
            },
        )
        .await?;
        let outcome = if restarts > 0 { "restarted" } else { "started" };
        bank_links::log(&mut tx, &log_row(id, now, bank, outcome, outcome, None)).await?;
        tx.commit().await?;
        Ok(started.url)
    }

    /// Finishes the sign-in the bank sent the person back from.
    pub async fn finish_confirmation(&self, current: &Current, cb: &Callback) -> Result<Finished> {
        let id = current.account_id;
        let Some(state) = cb
            .state
            .as_deref()
            .filter(|s| !s.is_empty() && s.len() <= 200)
        else {
            return Err(ServiceError::LinkInvalid);
        };
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let flow = bank_links::take_flow(&mut tx, &state_hash(state)).await?;
        // Someone else's flow is not consumed by this request: rolled back.
        let Some(flow) = flow.filter(|f| f.account_id == id && f.expires_at > now) else {
            return Err(ServiceError::LinkInvalid);
        };
        tx.commit().await?;
        let Some(banks) = self.banks().filter(|b| b.get(&flow.bank).is_some()) else {
            return Err(ServiceError::LinkInvalid);
        };
        let bank = flow.bank.clone();
        // RFC 9207: the answer must come from the bank the flow went to.
        if let Some(iss) = &cb.iss
            && Some(iss.trim_end_matches('/')) != banks.issuer(&bank)
        {
            let v = Verdict::Rejected("issuer_mismatch", None);
            return self.bank_verdict(id, &bank, v, now).await;
        }
        if let Some(error) = &cb.error {
            if error == "access_denied" {
                let mut tx = self.db.begin().await?;
                bank_links::log(
                    &mut tx,
                    &log_row(id, now, &bank, "cancelled", "cancelled", None),
                )
                .await?;
                tx.commit().await?;
                return Ok(Finished::Cancelled);
            }
            let detail = match &cb.error_description {
                Some(d) => format!("{error}: {d}"),
                None => error.clone(),
            };
            let v = Verdict::Rejected("bank_refused", Some(detail.chars().take(200).collect()));
            return self.bank_verdict(id, &bank, v, now).await;
        }
        let Some(code) = cb.code.as_deref().filter(|c| !c.is_empty()) else {
            let v = Verdict::Rejected("bank_refused", Some("no code".into()));
            return self.bank_verdict(id, &bank, v, now).await;
        };
        let verifier = self
            .vault
            .open(&flow.pkce_verifier, b"bank_flow.pkce")
            .map_err(internal)?;
        let verifier = String::from_utf8(verifier.to_vec()).map_err(internal)?;
        let exchanged = banks
            .exchange(&bank, &self.callback_url(), code, &verifier, &flow.nonce)
            .await;
        let (tokens, keys) = match exchanged {
            Ok(t) => t,
            Err(BankFailure::Unauthorized(detail)) if flow.restarts < MAX_RESTARTS => {
                tracing::info!(bank = %bank, "bank refused the token request with 401; restarting");
                let mut tx = self.db.begin().await?;
                let row = log_row(id, now, &bank, "error", "bank_unauthorized", Some(detail));
                bank_links::log(&mut tx, &row).await?;
                tx.commit().await?;
                let url = self.begin_flow(banks, id, &bank, flow.restarts + 1).await?;
                return Ok(Finished::Restart(url));
            }
            Err(failure) => {
                let v = self.failure_verdict(failure);
                return self.bank_verdict(id, &bank, v, now).await;
            }
        };
        let Some(config) = banks.get(&bank) else {
            return Err(ServiceError::LinkInvalid);
        };
        let issuer = banks.issuer(&bank).unwrap_or_default();
        let expected = Expected {
            issuer,
            client_id: &config.client_id,
            nonce: &flow.nonce,
            subject: &tokens.subject,
            now: now.unix_timestamp(),
        };
        let verified = match tokens.assertion.as_deref() {
            None => Err(AssertionError::Missing),
            Some(jws) => assertion::verify(jws, &keys, &expected),
        };
        let asserted = match verified {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(bank = %bank, error = %e, "identity assertion refused");
                return self
                    .bank_verdict(id, &bank, Verdict::Rejected(e.code(), None), now)
                    .await;
            }
        };
        // Works once: remembered by every node until well past its expiry.
        let until = OffsetDateTime::from_unix_timestamp(asserted.exp)
            .unwrap_or(now)
            .max(now)
            + REPLAY_MARGIN;
        let mut tx = self.db.begin().await?;
        let fresh =
            seen_once::remember(&mut tx, &format!("jti:{issuer}"), &asserted.jti, until, now)
                .await?;
        tx.commit().await?;
        if !fresh {
            tracing::warn!(bank = %bank, "identity assertion replayed");
            let v = Verdict::Rejected("assertion_replayed", None);
            return self.bank_verdict(id, &bank, v, now).await;
        }
        let verdict = self.match_person(id, &asserted).await?;
        self.bank_verdict(id, &bank, verdict, now).await
    }

    /// The assertion against the profile, then the passport at МВД.
    async fn match_person(&self, id: Uuid, a: &assertion::IdentityAssertion) -> Result<Verdict> {
        let profile = self.profile(id).await?;
        let differ = assertion::mismatches(a, &profile);
        if !differ.is_empty() {
            return Ok(Verdict::Rejected("data_mismatch", Some(differ.join(","))));
        }
        let request = match (&profile.passport, crate::identity::query(&profile)) {
            (Some(passport), Some(person)) => crate::identity::passport_request(passport, &person),
            _ => return Ok(Verdict::Rejected("data_mismatch", Some("passport".into()))),
        };
        let Some(registries) = &self.registries else {
            return Ok(Verdict::Pending("registry_unavailable", Some("mvd".into())));
        };
        let answer = registries.check_passport(&request).await;
        Ok(match answer {
            Ok(r) if r.status == PassportStatus::Valid && r.mismatched.is_empty() => {
                Verdict::Confirmed {
                    customer_id: a.customer_id.clone(),
                    verified_at: OffsetDateTime::from_unix_timestamp(a.verified_at).ok(),
                }
            }
            Ok(r) if r.status == PassportStatus::NotFound => {
                Verdict::Rejected("passport_not_found", None)
            }
            Ok(r) if r.status == PassportStatus::Invalid => {
                Verdict::Rejected("passport_invalid", r.reason)
            }
            Ok(r) => Verdict::Rejected("passport_mismatch", Some(r.mismatched.join(","))),
            Err(RegistryError::Unavailable { .. }) => {
                Verdict::Pending("registry_unavailable", Some("mvd".into()))
            }
            Err(e) => {
                tracing::warn!(error = %e, "МВД refused the passport check");
                Verdict::Rejected("check_refused", Some("mvd".into()))
            }
        })
    }

    fn failure_verdict(&self, failure: BankFailure) -> Verdict {
        match failure {
            BankFailure::Unavailable(why) => {
                tracing::warn!(reason = %why, "partner bank unavailable");
                Verdict::Pending("bank_unavailable", None)
            }
            BankFailure::Unauthorized(detail) => {
                Verdict::Pending("bank_unauthorized", Some(detail))
            }
            BankFailure::Refused(detail) => Verdict::Rejected("bank_refused", Some(detail)),
            BankFailure::Invalid(what, why) => {
                tracing::warn!(what, reason = %why, "partner bank answer refused");
                Verdict::Rejected("bank_invalid", Some(what.to_owned()))
            }
        }
    }

    async fn bank_verdict(
        &self,
        id: Uuid,
        bank: &str,
        verdict: Verdict,
        now: OffsetDateTime,
    ) -> Result<Finished> {
        let finished = match &verdict {
            Verdict::Confirmed { .. } => Finished::Confirmed,
            Verdict::Rejected(code, _) => Finished::Rejected(code),
            Verdict::Pending(code, _) => Finished::Pending(code),
        };
        self.record(id, bank, &verdict, now).await?;
        Ok(finished)
    }

    /// Writes a verdict: the link, the log, the audit event, and on success
    /// the trust level and a notice, in one transaction.
    async fn record(
        &self,
        id: Uuid,
        bank: &str,
        verdict: &Verdict,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let prior = bank_links::link_of_in(&mut tx, id).await?;
        let kept_active = prior.as_ref().is_some_and(|p| {
            p.state == LinkState::Active && !matches!(verdict, Verdict::Confirmed { .. })
        });
        let (state, reason, detail, outcome) = match verdict {
            Verdict::Confirmed { .. } => (LinkState::Active, None, None, "confirmed"),
            Verdict::Rejected(code, detail) => {
                (LinkState::Rejected, Some(*code), detail.clone(), "rejected")
            }
            Verdict::Pending(code, detail) => {
                (LinkState::Pending, Some(*code), detail.clone(), "pending")
            }
        };
        let message = reason.unwrap_or("confirmed");
        bank_links::log(
            &mut tx,
            &log_row(id, now, bank, outcome, message, detail.clone()),
        )
        .await?;
        let mut event =
            serde_json::json!({ "bank": bank, "state": state.as_str(), "reason": reason });
        if !kept_active {
            let (customer_id, verified_at, confirmed_at) = match verdict {
                Verdict::Confirmed {
                    customer_id,
                    verified_at,
                } => (
                    Some(self.vault.seal(
                        &mut OsRng,
                        customer_id.as_bytes(),
                        format!("bank_link:{id}").as_bytes(),
                    )),
                    *verified_at,
                    Some(now),
                ),
                _ => (None, None, None),
            };
            bank_links::put_link(
                &mut tx,
                &LinkRow {
                    account_id: id,
                    bank: bank.to_owned(),
                    state,
                    reason: reason.map(str::to_owned),
                    detail,
                    customer_id,
                    verified_at,
                    confirmed_at,
                    updated_at: now,
                },
            )
            .await?;
        } else {
            event["kept_active_link"] = serde_json::json!(true);
        }
        if let Verdict::Confirmed { .. } = verdict {
            let row = accounts::get_for_update(&mut tx, id).await?;
            if row.status == AccountStatus::Active {
                accounts::set_status(&mut tx, id, row.status, Some(TrustLevel::Confirmed), now)
                    .await?;
            }
            if let Some(p) = prior
                .as_ref()
                .filter(|p| p.state == LinkState::Active && p.bank != bank)
            {
                event["previous_bank"] = serde_json::json!(p.bank);
            }
            let name = self.bank_name(bank);
            let notice = Content::text(
                Lang::Ru,
                "Учётная запись подтверждена",
                format!(
                    "Пропуск: {name} подтвердил вашу личность. Учётная запись теперь подтверждённая."
                ),
            );
            self.notify_account(&mut tx, id, &notice).await?;
        }
        let action = match state {
            LinkState::Active => "identity.bank_confirmed",
            LinkState::Pending => "identity.bank_pending",
            LinkState::Rejected => "identity.bank_rejected",
        };
        let e = NewEvent::new(Actor::citizen(id), action)
            .subject(format!("account:{id}"))
            .details(event);
        audit::append(&mut tx, now, &e).await?;
        tx.commit().await?;
        metrics::counter!("propusk_bank_confirmations_total", "outcome" => outcome).increment(1);
        Ok(())
    }
}
