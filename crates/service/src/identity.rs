//! The standard level: a person's passport and SNILS checked at МВД and
//! СФР, and the INN fetched from ФНС, by a background job.
//!
//! Entering or changing the documents queues a check (`store::identity`).
//! The job claims due checks under a lease and asks the three registries at
//! once. All answered: the check ends `verified` (the account becomes
//! standard, the INN is filled in) or `rejected` with the reason. A registry
//! that is down leaves the check `pending` with the next try at a growing
//! interval, and the person sees "registry unavailable, next try at …".
//! Every step goes into the log the person sees, and the verdict into the
//! audit chain and a notice, in one transaction guarded by the check's
//! generation: a verdict on data the person has since changed is dropped.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use propusk_core::Lang;
use propusk_core::account::{AccountStatus, IdentityCheck, IdentityState, Profile, TrustLevel};
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::retry::Backoff;
use propusk_registries::connect::{Registries, Registry, RegistryError};
use propusk_registries::wire::{
    InnRequest, PassportCheckRequest, PassportCheckResponse, PassportStatus, PersonQuery,
    SnilsResult, SnilsVerifyRequest, SnilsVerifyResponse,
};
use propusk_store::identity::{self, CheckState, Claim, LogRow};
use propusk_store::{Tx, accounts, audit};
use rand_core::OsRng;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::internal;
use crate::notify::Content;
use crate::{Result, Services};

/// How a check's retries are spaced: 30 s doubling to an hour, for a day.
pub const RETRY: Backoff = Backoff {
    base: time::Duration::seconds(30),
    cap: time::Duration::hours(1),
    max_attempts: 40,
};

/// What one registry said, as the log and the verdict need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Passed(Registry),
    /// The registry answered no: message code and detail (field names, reason).
    Failed(Registry, &'static str, Option<String>),
    Unavailable(Registry),
}

/// The verdict of one try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Verified { inn: Option<String> },
    Rejected { reason: String },
    TryLater { reason: String },
}

/// Pure: the verdict from the three answers. A "no" from any registry
/// rejects even if another is down (asking again will not change it); only
/// when none said no does an unavailable one mean "try later".
pub fn decide(
    mvd: &Result<PassportCheckResponse, RegistryError>,
    sfr: &Result<SnilsVerifyResponse, RegistryError>,
    fns: &Result<Option<String>, RegistryError>,
    typed_inn: Option<&str>,
) -> (Vec<Step>, Verdict) {
    let mut steps = Vec::new();
    match mvd {
        Ok(r) if r.status == PassportStatus::NotFound => {
            steps.push(Step::Failed(Registry::Mvd, "passport_not_found", None));
        }
        Ok(r) if r.status == PassportStatus::Invalid => {
            steps.push(Step::Failed(
                Registry::Mvd,
                "passport_invalid",
                r.reason.clone(),
            ));
        }
        Ok(r) if !r.mismatched.is_empty() => {
            steps.push(Step::Failed(
                Registry::Mvd,
                "passport_mismatch",
                Some(r.mismatched.join(",")),
            ));
        }
        Ok(_) => steps.push(Step::Passed(Registry::Mvd)),
        Err(e) => steps.push(unreachable_or_refused(Registry::Mvd, e)),
    }
    match sfr {
        Ok(r) if r.result == SnilsResult::NotFound => {
            steps.push(Step::Failed(Registry::Sfr, "snils_not_found", None));
        }
        Ok(r) if r.result == SnilsResult::Mismatch => {
            steps.push(Step::Failed(
                Registry::Sfr,
                "snils_mismatch",
                Some(r.mismatched.join(",")),
            ));
        }
        Ok(_) => steps.push(Step::Passed(Registry::Sfr)),
        Err(e) => steps.push(unreachable_or_refused(Registry::Sfr, e)),
    }
    let mut inn = None;
    match fns {
        Ok(Some(found)) => match typed_inn {
            Some(t) if t != found => steps.push(Step::Failed(Registry::Fns, "inn_mismatch", None)),
            _ => {
                inn = Some(found.clone());
                steps.push(Step::Passed(Registry::Fns));
            }
        },
        // ФНС knowing no INN for the person does not make the documents wrong.
        Ok(None) => steps.push(Step::Passed(Registry::Fns)),
        Err(e) => steps.push(unreachable_or_refused(Registry::Fns, e)),
    }
    let failed: Vec<String> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Failed(_, code, _) => Some((*code).to_owned()),
            _ => None,
        })
        .collect();
    let down: Vec<String> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Unavailable(r) => Some(r.name().to_owned()),
            _ => None,
        })
        .collect();
    let verdict = if !failed.is_empty() {
        Verdict::Rejected {
            reason: failed.join(","),
        }
    } else if !down.is_empty() {
        Verdict::TryLater {
            reason: format!("unavailable:{}", down.join(",")),
        }
    } else {
        Verdict::Verified { inn }
    };
    (steps, verdict)
}

fn unreachable_or_refused(r: Registry, e: &RegistryError) -> Step {
    if e.is_transient() {
        Step::Unavailable(r)
    } else {
        // A registry that refuses our request will refuse it again: the data
        // as entered cannot be checked.
        Step::Failed(r, "check_refused", None)
    }
}

/// МВД's question about a passport and its holder.
pub(crate) fn passport_request(
    passport: &propusk_core::account::PassportData,
    person: &PersonQuery,
) -> PassportCheckRequest {
    let (series, number) = passport
        .number
        .split_once(' ')
        .unwrap_or((&passport.number, ""));
    PassportCheckRequest {
        series: series.to_owned(),
        number: number.to_owned(),
        person: Some(person.clone()),
        issue_date: Some(passport.issue_date.clone()),
    }
}

/// The person as the registries are asked about them.
pub(crate) fn query(profile: &Profile) -> Option<PersonQuery> {
    let birth = time::Date::parse(
        profile.birth_date.as_deref()?,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    Some(PersonQuery {
        last_name: profile.name.last.as_str().to_owned(),
        first_name: profile.name.first.as_str().to_owned(),
        middle_name: profile.name.middle.as_ref().map(|m| m.as_str().to_owned()),
        birth_date: propusk_registries::wire::ru_date(birth),
    })
}

impl Services {
    /// Where an account's check stands, and its log (newest first).
    pub async fn identity_status(
        &self,
        account_id: Uuid,
    ) -> Result<(Option<identity::CheckRow>, Vec<LogRow>)> {
        let check = identity::get(&self.db, account_id).await?;
        let log = identity::log_of(&self.db, account_id, 50).await?;
        Ok((check, log))
    }

    /// Queues (or restarts) the check of an account's documents, within the
    /// caller's transaction.
    pub(crate) async fn queue_identity_check(
        &self,
        tx: &mut Tx,
        account_id: Uuid,
        now: OffsetDateTime,
    ) -> Result<()> {
        identity::request(tx, account_id, now).await?;
        identity::log(
            tx,
            &log_row(account_id, now, None, "queued", "queued", None),
        )
        .await?;
        Ok(())
    }

    /// One round of the job: claims up to `batch` due checks and runs them,
    /// `parallel` at a time. Returns how many it finished or rescheduled.
    pub async fn run_identity_checks(
        self: &Arc<Self>,
        registries: &Arc<Registries>,
        batch: i64,
        parallel: usize,
    ) -> Result<usize> {
        let now = self.clock.now();
        let lease = registries.policy().timeout * (registries.policy().attempts + 1)
            + StdDuration::from_secs(30);
        let lease_until =
            now + time::Duration::try_from(lease).unwrap_or(time::Duration::minutes(5));
        let claims = identity::claim_due(&self.db, now, lease_until, batch).await?;
        let mut done = 0;
        let mut set = tokio::task::JoinSet::new();
        for claim in claims {
            while set.len() >= parallel.max(1) {
                if let Some(r) = set.join_next().await {
                    done += usize::from(matches!(r, Ok(Ok(()))));
                }
            }
            let (me, reg) = (self.clone(), registries.clone());
            set.spawn(async move {
                let r = me.check_identity(&reg, claim).await;
                if let Err(e) = &r {
                    tracing::warn!(error = %e, "identity check failed; its lease will run out and it will be tried again");
                }
                r
            });
        }
        while let Some(r) = set.join_next().await {
            done += usize::from(matches!(r, Ok(Ok(()))));
        }
        Ok(done)
    }

    /// Runs the job until `stop` turns true: a round each `every`, sooner
    /// while rounds come back full.
    pub async fn run_identity_job(
        self: Arc<Self>,
        registries: Arc<Registries>,
        every: StdDuration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        const BATCH: i64 = 256;
        loop {
            let n = match self.run_identity_checks(&registries, BATCH, 64).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "identity check round failed");
                    0
                }
            };
            if n as i64 >= BATCH {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
        }
    }

    async fn check_identity(&self, registries: &Registries, claim: Claim) -> Result<()> {
        let profile = self.profile(claim.account_id).await?;
        let (steps, verdict) = match (query(&profile), &profile.passport, &profile.snils) {
            (Some(person), Some(passport), Some(snils)) => {
                let mvd_req = passport_request(passport, &person);
                let sfr_req = SnilsVerifyRequest {
                    snils: snils.clone(),
                    person: person.clone(),
                    gender: None,
                };
                let fns_req = InnRequest {
                    person,
                    doc_type: "21".into(),
                    doc_number: passport.number.clone(),
                };
                let mvd = registries.check_passport(&mvd_req);
                let sfr = registries.verify_snils(&sfr_req);
                let fns = registries.inn_by_passport(&fns_req);
                let (mvd, sfr, fns) = tokio::join!(mvd, sfr, fns);
                decide(&mvd, &sfr, &fns, profile.inn.as_deref())
            }
            _ => (
                Vec::new(),
                Verdict::Rejected {
                    reason: "incomplete".into(),
                },
            ),
        };
        self.record_verdict(&claim, &steps, verdict).await
    }

    async fn record_verdict(&self, claim: &Claim, steps: &[Step], verdict: Verdict) -> Result<()> {
        let now = self.clock.now();
        let id = claim.account_id;
        let wait = RETRY.after(u32::try_from(claim.attempts).unwrap_or(u32::MAX));
        // After a day of tries, leave it for the person to start again.
        let verdict = match (verdict, wait) {
            (Verdict::TryLater { .. }, None) => Verdict::Rejected {
                reason: "registries_unavailable".into(),
            },
            (v, _) => v,
        };
        let mut tx = self.db.begin().await?;
        let applies = match (&verdict, wait) {
            (Verdict::TryLater { reason }, Some(wait)) => {
                identity::retry_later(&mut tx, claim, now + wait, reason, now).await?
            }
            (Verdict::Verified { .. }, _) => {
                identity::finish(&mut tx, claim, CheckState::Verified, now).await?
            }
            _ => identity::finish(&mut tx, claim, CheckState::Rejected, now).await?,
        };
        if !applies {
            // The person changed the data meanwhile: a newer check is queued.
            tx.rollback().await?;
            metrics::counter!("propusk_identity_checks_total", "outcome" => "dropped").increment(1);
            return Ok(());
        }
        for step in steps {
            let row = match step {
                Step::Passed(r) => log_row(id, now, Some(*r), "passed", "passed", None),
                Step::Failed(r, code, detail) => {
                    log_row(id, now, Some(*r), "failed", code, detail.clone())
                }
                Step::Unavailable(r) => {
                    log_row(id, now, Some(*r), "unavailable", "unavailable", None)
                }
            };
            identity::log(&mut tx, &row).await?;
        }
        let outcome = match verdict {
            Verdict::TryLater { reason } => {
                let next = wait.map(|w| propusk_core::time::canonical(now + w));
                identity::log(&mut tx, &log_row(id, now, None, "retry", "retry", next)).await?;
                tracing::info!(reason = %reason, attempts = claim.attempts, "identity check postponed");
                "retry"
            }
            Verdict::Verified { inn } => {
                self.conclude(&mut tx, id, IdentityState::Verified, None, inn, now)
                    .await?;
                "verified"
            }
            Verdict::Rejected { reason } => {
                self.conclude(
                    &mut tx,
                    id,
                    IdentityState::Rejected,
                    Some(reason),
                    None,
                    now,
                )
                .await?;
                "rejected"
            }
        };
        tx.commit().await?;
        metrics::counter!("propusk_identity_checks_total", "outcome" => outcome).increment(1);
        Ok(())
    }

    /// Writes a verdict: the profile's check state (and the INN ФНС gave),
    /// the trust level, the log, the audit event and the notice.
    async fn conclude(
        &self,
        tx: &mut Tx,
        id: Uuid,
        state: IdentityState,
        reason: Option<String>,
        inn: Option<String>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let row = accounts::get_for_update(tx, id).await?;
        let context = format!("account.profile:{id}");
        let bytes = self
            .vault
            .open(&row.profile, context.as_bytes())
            .map_err(internal)?;
        let mut profile: Profile = serde_json::from_slice(&bytes).map_err(internal)?;
        profile.identity_check = Some(IdentityCheck {
            state,
            since: propusk_core::time::canonical(now),
            reason: reason.clone(),
        });
        let mut inn_filled = false;
        if let Some(inn) = inn.filter(|_| profile.inn.is_none()) {
            let index = self.vault.blind_index_hex("inn", &inn);
            // An INN another account already holds is left out, not fought over.
            if accounts::find_by_inn_in(tx, &index).await?.is_none() {
                let snils_index = profile
                    .snils
                    .as_ref()
                    .map(|s| self.vault.blind_index_hex("snils", s));
                accounts::set_ident_indexes(tx, id, snils_index.as_deref(), Some(&index), now)
                    .await?;
                profile.inn = Some(inn);
                inn_filled = true;
            }
        }
        let json = serde_json::to_vec(&profile).map_err(internal)?;
        accounts::set_profile(
            tx,
            id,
            &self.vault.seal(&mut OsRng, &json, context.as_bytes()),
            now,
        )
        .await?;
        let verified = state == IdentityState::Verified;
        if verified
            && row.trust_level.is_none_or(|t| t < TrustLevel::Standard)
            && row.status == AccountStatus::Active
        {
            accounts::set_status(tx, id, row.status, Some(TrustLevel::Standard), now).await?;
        }
        let (outcome, action) = if verified {
            ("verified", "identity.verified")
        } else {
            ("rejected", "identity.rejected")
        };
        identity::log(
            tx,
            &log_row(id, now, None, outcome, outcome, reason.clone()),
        )
        .await?;
        let event = NewEvent::new(Actor::system(), action)
            .subject(format!("account:{id}"))
            .details(serde_json::json!({ "reason": reason, "inn_filled": inn_filled }));
        audit::append(tx, now, &event).await?;
        self.notify_account(tx, id, &verdict_notice(verified))
            .await?;
        Ok(())
    }
}

fn log_row(
    account_id: Uuid,
    at: OffsetDateTime,
    registry: Option<Registry>,
    outcome: &str,
    message: &str,
    detail: Option<String>,
) -> LogRow {
    LogRow {
        id: Uuid::now_v7(),
        account_id,
        at,
        registry: registry.map(|r| r.name().to_owned()),
        outcome: outcome.into(),
        message: message.into(),
        detail,
    }
}

fn verdict_notice(verified: bool) -> Content {
    if verified {
        Content::text(
            Lang::Ru,
            "Данные подтверждены",
            "Пропуск: паспорт и СНИЛС проверены в МВД и СФР. Ваша учётная запись теперь стандартная.",
        )
    } else {
        Content::text(
            Lang::Ru,
            "Данные не подтверждены",
            "Пропуск: проверка паспорта и СНИЛС не прошла. Причина указана в личном кабинете, в разделе «Мои данные»; \
             исправьте данные, и проверка начнётся снова.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mvd(
        status: PassportStatus,
        mismatched: &[&str],
    ) -> Result<PassportCheckResponse, RegistryError> {
        Ok(PassportCheckResponse {
            status,
            reason: (status == PassportStatus::Invalid).then(|| "EXPIRED".into()),
            message: String::new(),
            mismatched: mismatched.iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    fn sfr(result: SnilsResult) -> Result<SnilsVerifyResponse, RegistryError> {
        Ok(SnilsVerifyResponse {
            result,
            mismatched: Vec::new(),
        })
    }

    fn down(r: Registry) -> RegistryError {
        RegistryError::Unavailable {
            registry: r,
            reason: "HTTP 503".into(),
            retry_after: None,
        }
    }

    #[test]
    fn verdicts() {
        let inn = Ok(Some("500100732259".to_owned()));
        let (_, v) = decide(
            &mvd(PassportStatus::Valid, &[]),
            &sfr(SnilsResult::Match),
            &inn,
            None,
        );
        assert_eq!(
            v,
            Verdict::Verified {
                inn: Some("500100732259".into())
            }
        );

        let (_, v) = decide(
            &mvd(PassportStatus::Valid, &[]),
            &sfr(SnilsResult::Match),
            &inn,
            Some("770000000000"),
        );
        assert_eq!(
            v,
            Verdict::Rejected {
                reason: "inn_mismatch".into()
            }
        );

        let (steps, v) = decide(
            &mvd(PassportStatus::Invalid, &[]),
            &Err(down(Registry::Sfr)),
            &inn,
            None,
        );
        assert_eq!(
            v,
            Verdict::Rejected {
                reason: "passport_invalid".into()
            },
            "a no beats a registry that is down"
        );
        assert!(steps.contains(&Step::Failed(
            Registry::Mvd,
            "passport_invalid",
            Some("EXPIRED".into())
        )));

        let (_, v) = decide(
            &mvd(PassportStatus::Valid, &["birthDate"]),
            &sfr(SnilsResult::Mismatch),
            &Ok(None),
            None,
        );
        assert_eq!(
            v,
            Verdict::Rejected {
                reason: "passport_mismatch,snils_mismatch".into()
            }
        );

        let (_, v) = decide(
            &Err(down(Registry::Mvd)),
            &sfr(SnilsResult::Match),
            &Err(down(Registry::Fns)),
            None,
        );
        assert_eq!(
            v,
            Verdict::TryLater {
                reason: "unavailable:mvd,fns".into()
            }
        );

        let refused = RegistryError::Refused {
            registry: Registry::Sfr,
            status: 400,
            detail: String::new(),
        };
        let (_, v) = decide(
            &mvd(PassportStatus::Valid, &[]),
            &Err(refused),
            &Ok(None),
            None,
        );
        assert_eq!(
            v,
            Verdict::Rejected {
                reason: "check_refused".into()
            }
        );
    }
}
