//! The data API's reads: whether this read is allowed, the data, and the
//! read log row, with the final decision and the log in one transaction.

use std::collections::BTreeSet;

use propusk_core::consent::read::{self, Denial, Grant, Usage};
use propusk_core::consent::terms::Mode;
use propusk_core::consent::{By, Category, Status};
use propusk_store::consents::{self, Change, ConsentRow, ReadRow};
use serde_json::{Map, Value, json};
use sha2::Digest;
use uuid::Uuid;

use crate::error::internal;
use crate::oauth::Client;
use crate::{Result, ServiceError, Services};

/// A read as the partner asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub consent_id: Uuid,
    /// None: everything the consent covers.
    pub categories: Option<Vec<String>>,
    /// When the partner names it, it must be the consent's.
    pub purpose: Option<String>,
    /// The path, for the citizen's log.
    pub endpoint: String,
}

/// The refusal for a consent that does not exist (or is another's).
pub fn no_consent() -> ServiceError {
    ServiceError::Consent(Denial::NoConsent)
}

fn codes(set: &BTreeSet<Category>) -> String {
    serde_json::to_string(&set.iter().map(|c| c.code()).collect::<Vec<_>>()).unwrap_or_default()
}

impl Services {
    /// The data a read may have, or the denial (logged for the citizen).
    pub async fn read_person(&self, caller: &Client, ask: &Ask) -> Result<Value> {
        // A consent of another partner is not this partner's business, and
        // not the citizen's log's either: it is simply not there.
        let row = consents::get(&self.db, ask.consent_id)
            .await?
            .filter(|r| r.client_id == caller.id)
            .ok_or(ServiceError::Consent(Denial::NoConsent))?;
        let consent = self.consent_of_row(row.clone()).await?;
        let asked: BTreeSet<Category> = match &ask.categories {
            None => consent.granted.clone(),
            Some(list) => {
                let mut set = BTreeSet::new();
                for code in list {
                    let c = Category::parse(code).ok_or_else(|| {
                        ServiceError::field(
                            "category",
                            "unknown_category",
                            "Неизвестная категория данных",
                            "Unknown data category",
                        )
                    })?;
                    set.insert(c);
                }
                set
            }
        };
        let now = self.clock.now();
        let grant = Grant {
            status: consent.status,
            valid_until: consent.terms.valid_until,
            purpose: &consent.terms.purpose,
            categories: &consent.granted,
            mode: consent.terms.mode,
        };
        // Checked once before fetching (no registry call for a refused
        // read), and again in the transaction that logs it.
        if let Err(d) = read::check(
            &grant,
            &asked,
            ask.purpose.as_deref(),
            Usage::default(),
            now,
        ) {
            self.log_read(&row, caller, ask, &asked, Err(&d)).await?;
            return Err(ServiceError::Consent(d));
        }
        let mut data = Map::new();
        for c in &asked {
            match self.category_data(consent.account_id, *c).await {
                Ok(v) => {
                    data.insert(c.code().into(), v);
                }
                Err(e @ (ServiceError::SourceUnavailable | ServiceError::NotVerified)) => {
                    self.log_failure(&row, caller, ask, &asked, "source_error")
                        .await?;
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        let answer = json!({
            "consent_id": consent.id,
            "sub": consent.subject,
            "purpose": consent.terms.purpose,
            "categories": data,
        });
        let hash = hex::encode(sha2::Sha256::digest(answer.to_string().as_bytes()));

        let mut tx = self.db.begin().await?;
        let locked = consents::lock(&mut tx, consent.id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let grant = Grant {
            status: locked.status,
            ..grant
        };
        let usage = match consent.terms.mode {
            Mode::OneTime => Usage::default(),
            Mode::Periodic { per, .. } => {
                let (n, oldest) =
                    consents::usage_since(&mut tx, consent.id, now - per.window()).await?;
                Usage {
                    reads_in_window: u32::try_from(n).unwrap_or(u32::MAX),
                    oldest_in_window: oldest,
                }
            }
        };
        let verdict = read::check(&grant, &asked, ask.purpose.as_deref(), usage, now);
        consents::insert_read(
            &mut tx,
            &self.read_row(
                &row,
                caller,
                ask,
                &asked,
                verdict.as_ref().err(),
                Some(hash),
            ),
        )
        .await?;
        if verdict.is_ok() && consent.terms.mode == Mode::OneTime {
            let change = Change {
                id: consent.id,
                from: Status::Active,
                to: Status::Consumed,
                by: By::System.code(),
                reason: None,
                at: now,
            };
            if consents::set_status(&mut tx, &change).await? {
                self.record_change(&mut tx, &consent, &change, "consent.consumed", None)
                    .await?;
            }
        }
        tx.commit().await?;
        verdict.map_err(ServiceError::Consent)?;
        Ok(answer)
    }

    fn read_row(
        &self,
        row: &ConsentRow,
        caller: &Client,
        ask: &Ask,
        asked: &BTreeSet<Category>,
        denial: Option<&Denial>,
        hash: Option<String>,
    ) -> ReadRow {
        let ok = denial.is_none();
        ReadRow {
            id: Uuid::now_v7(),
            consent_id: row.id,
            account_id: row.account_id,
            client_id: caller.id.clone(),
            at: self.clock.now(),
            endpoint: ask.endpoint.chars().take(200).collect(),
            categories_asked: codes(asked),
            categories_returned: if ok { codes(asked) } else { "[]".into() },
            result: denial.map_or("ok", Denial::code).into(),
            answer_sha256: if ok { hash } else { None },
        }
    }

    async fn log_read(
        &self,
        row: &ConsentRow,
        caller: &Client,
        ask: &Ask,
        asked: &BTreeSet<Category>,
        verdict: std::result::Result<(), &Denial>,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        consents::insert_read(
            &mut tx,
            &self.read_row(row, caller, ask, asked, verdict.err(), None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn log_failure(
        &self,
        row: &ConsentRow,
        caller: &Client,
        ask: &Ask,
        asked: &BTreeSet<Category>,
        result: &str,
    ) -> Result<()> {
        let mut r = self.read_row(row, caller, ask, asked, None, None);
        r.result = result.into();
        r.categories_returned = "[]".into();
        let mut tx = self.db.begin().await?;
        consents::insert_read(&mut tx, &r).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Public ЕГРЮЛ data by OGRN: no consent needed.
    pub async fn organization_extract(&self, ogrn: &str) -> Result<Value> {
        let ogrn = propusk_core::ident::Ogrn::parse(ogrn).map_err(|_| {
            ServiceError::field("ogrn", "invalid", "Неверный ОГРН", "Not a valid OGRN")
        })?;
        let registries = self
            .registries
            .as_ref()
            .ok_or(ServiceError::SourceUnavailable)?;
        let extract = registries
            .egrul(&ogrn)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "egrul unavailable");
                ServiceError::SourceUnavailable
            })?
            .ok_or(ServiceError::NotFound)?;
        serde_json::to_value(extract).map_err(internal)
    }
}
