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
        // On the hot path: the row's own terms, no joins.
        let (terms, granted) = super::terms_of(&row)?;
        let asked: BTreeSet<Category> = match &ask.categories {
            None => granted.clone(),
            Some(list) => list
                .iter()
                .map(|code| {
                    Category::parse(code).ok_or_else(|| {
                        ServiceError::field(
                            "category",
                            "unknown_category",
                            "Неизвестная категория данных",
                            "Unknown data category",
                        )
                    })
                })
                .collect::<Result<_>>()?,
        };
        let now = self.clock.now();
        let grant = Grant {
            status: row.status,
            valid_until: terms.valid_until,
            purpose: &terms.purpose,
            categories: &granted,
            mode: terms.mode,
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
            self.log_refused_read(&row, caller, ask, &asked, d.code())
                .await?;
            return Err(ServiceError::Consent(d));
        }
        let mut data = Map::new();
        let mut person = None;
        for c in &asked {
            match self.category_data(row.account_id, *c, &mut person).await {
                Ok(v) => {
                    data.insert(c.code().into(), v);
                }
                Err(e @ (ServiceError::SourceUnavailable | ServiceError::NotVerified)) => {
                    self.log_refused_read(&row, caller, ask, &asked, "source_error")
                        .await?;
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        let answer = json!({
            "consent_id": row.id,
            "sub": row.subject,
            "purpose": terms.purpose,
            "categories": data,
        });
        let hash = hex::encode(sha2::Sha256::digest(answer.to_string().as_bytes()));

        let mut tx = self.db.begin().await?;
        let locked = consents::lock(&mut tx, row.id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let grant = Grant {
            status: locked.status,
            ..grant
        };
        let usage = match terms.mode {
            Mode::OneTime => Usage::default(),
            Mode::Periodic { per, .. } => {
                let (n, oldest) =
                    consents::usage_since(&mut tx, row.id, now - per.window()).await?;
                Usage {
                    reads_in_window: u32::try_from(n).unwrap_or(u32::MAX),
                    oldest_in_window: oldest,
                }
            }
        };
        let verdict = read::check(&grant, &asked, ask.purpose.as_deref(), usage, now);
        let read_row = match &verdict {
            Ok(()) => self.read_row(&row, caller, ask, &asked, "ok", Some(hash)),
            Err(d) => self.read_row(&row, caller, ask, &asked, d.code(), None),
        };
        consents::insert_read(&mut tx, &read_row).await?;
        if verdict.is_ok() && terms.mode == Mode::OneTime {
            let change = Change {
                id: row.id,
                from: Status::Active,
                to: Status::Consumed,
                by: By::System.code(),
                reason: None,
                at: now,
            };
            if consents::set_status(&mut tx, &change).await? {
                // Rare (once per one-time consent): the joined view for the
                // history row, the audit event and the webhook.
                let consent = self.consent_of_row(row).await?;
                self.record_change(&mut tx, &consent, &change, "consent.consumed", None)
                    .await?;
            }
        }
        tx.commit().await?;
        verdict.map_err(ServiceError::Consent)?;
        Ok(answer)
    }

    /// A log row: `result` is `ok` (with the answer's hash) or why not.
    fn read_row(
        &self,
        row: &ConsentRow,
        caller: &Client,
        ask: &Ask,
        asked: &BTreeSet<Category>,
        result: &str,
        hash: Option<String>,
    ) -> ReadRow {
        let ok = result == "ok";
        ReadRow {
            id: Uuid::now_v7(),
            consent_id: row.id,
            account_id: row.account_id,
            client_id: caller.id.clone(),
            at: self.clock.now(),
            endpoint: ask.endpoint.chars().take(200).collect(),
            categories_asked: codes(asked),
            categories_returned: if ok { codes(asked) } else { "[]".into() },
            result: result.into(),
            answer_sha256: hash.filter(|_| ok),
        }
    }

    /// Logs a read refused before the final check, in its own transaction.
    async fn log_refused_read(
        &self,
        row: &ConsentRow,
        caller: &Client,
        ask: &Ask,
        asked: &BTreeSet<Category>,
        result: &str,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        consents::insert_read(
            &mut tx,
            &self.read_row(row, caller, ask, asked, result, None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Public ЕГРЮЛ data by OGRN: no consent needed.
    pub async fn organization_extract(&self, ogrn: &str) -> Result<Value> {
        let ogrn = propusk_core::ident::Ogrn::parse(ogrn).map_err(|_| {
            ServiceError::field("ogrn", "invalid", "Неверный ОГРН", "Not a valid OGRN")
        })?;
        let extract = self
            .registries()?
            .egrul(&ogrn)
            .await
            .map_err(super::data::unavailable)?
            .ok_or(ServiceError::NotFound)?;
        serde_json::to_value(extract).map_err(internal)
    }
}
