//! A partner's consent request through the API (`client_credentials`),
//! for a citizen it knows by the pairwise `sub` it was given at sign-in;
//! and the partner withdrawing a request or cancelling a consent.

use propusk_core::audit::{Actor, NewEvent};
use propusk_core::consent::catalogue;
use propusk_core::consent::record::Channel;
use propusk_core::consent::terms::{self, Draft, REQUEST_TTL};
use propusk_core::consent::{Action, By, Status};
use propusk_store::consents::{self, Change, ConsentRow, EventRow};
use propusk_store::{audit, signing_keys};
use time::Duration;
use uuid::Uuid;

use super::Consent;
use super::receipt::Signed;
use crate::error::{FieldProblem, internal};
use crate::notify::Content;
use crate::oauth::Client;
use crate::{Result, ServiceError, Services};

/// A pointer like `/categories/2` as the `&'static str` FieldProblem holds.
fn leak_free_pointer(p: &str) -> &'static str {
    // Pointers come from a fixed set plus an index; index them into a
    // table instead of leaking a new string per request.
    const KNOWN: &[&str] = &[
        "/purpose",
        "/categories",
        "/optional_categories",
        "/valid_until",
        "/mode",
        "/frequency/max_reads",
        "/frequency/per",
        "/return_url",
        "/sub",
    ];
    if let Some(k) = KNOWN.iter().find(|k| **k == p) {
        return k;
    }
    if p.starts_with("/categories/") {
        "/categories"
    } else if p.starts_with("/optional_categories/") {
        "/optional_categories"
    } else {
        "/"
    }
}

pub(crate) fn problems(list: Vec<terms::Problem>) -> ServiceError {
    ServiceError::Invalid(
        list.into_iter()
            .map(|p| FieldProblem {
                field: leak_free_pointer(&p.pointer),
                code: p.code,
                ru: p.ru,
                en: p.en,
            })
            .collect(),
    )
}

/// A request's row as it is first stored.
pub(crate) fn new_request(
    caller: &Client,
    account_id: Uuid,
    subject: &str,
    terms: &propusk_core::consent::Terms,
    channel: Channel,
    now: time::OffsetDateTime,
) -> Result<ConsentRow> {
    Ok(ConsentRow {
        id: Uuid::now_v7(),
        client_id: caller.id.clone(),
        org_id: caller.org_id,
        account_id,
        subject: subject.to_owned(),
        channel: channel.code().into(),
        purpose: terms.purpose.clone(),
        terms: serde_json::to_string(terms).map_err(internal)?,
        granted: None,
        status: Status::Requested,
        status_by: Some(By::Partner.code().into()),
        status_reason: None,
        created_at: now,
        request_expires_at: (now + REQUEST_TTL).min(terms.valid_until),
        valid_until: terms.valid_until,
        approved_at: None,
        status_changed_at: now,
        read_count: 0,
        last_read_at: None,
        record_hash: None,
        receipt: None,
    })
}

impl Services {
    /// Records a request and tells the citizen. The citizen must be known
    /// to this client's sector; the categories must be within the
    /// client's approved scopes.
    pub async fn request_consent(
        &self,
        caller: &Client,
        subject: &str,
        draft: &Draft,
    ) -> Result<Consent> {
        let now = self.clock.now();
        let scopes: Vec<&str> = caller.scopes.iter().map(String::as_str).collect();
        let checked = terms::check(draft, &scopes, caller.sandbox, now);
        let account = if subject.is_empty() || subject.len() > 100 {
            None
        } else {
            self.account_of_subject(&caller.sector, subject).await?
        };
        let (terms, account_id) = match (checked, account) {
            (Ok(t), Some(a)) => (t, a),
            (checked, account) => {
                let mut list = checked.err().unwrap_or_default();
                if account.is_none() {
                    list.insert(
                        0,
                        terms::Problem {
                            pointer: "/sub".into(),
                            code: "unknown_subject",
                            ru: "Гражданин с таким идентификатором не входил к вам через Пропуск"
                                .into(),
                            en: "No citizen with this identifier has signed in to you through Propusk"
                                .into(),
                        },
                    );
                }
                return Err(problems(list));
            }
        };
        let row = new_request(caller, account_id, subject, &terms, Channel::Api, now)?;
        let id = row.id;
        let mut tx = self.db.begin().await?;
        self.insert_request(&mut tx, &row, &terms).await?;
        let notice = Content {
            link: Some(crate::notify::Link {
                label: "Открыть «Мои согласия»".into(),
                url: format!("{}/cabinet/consents/{id}", self.public_base),
            }),
            ..Content::text(
                propusk_core::Lang::Ru,
                "Запрос согласия на передачу данных",
                format!(
                    "Пропуск: {} просит ваше согласие на передачу данных. \
                     Решение — в личном кабинете, раздел «Мои согласия».",
                    caller.org_name
                ),
            )
        };
        self.notify_account(&mut tx, account_id, &notice).await?;
        tx.commit().await?;
        self.consent_of_row(row).await
    }

    /// A new request's row, its history's first line and its audit event.
    pub(crate) async fn insert_request(
        &self,
        tx: &mut propusk_store::Tx,
        row: &ConsentRow,
        terms: &propusk_core::consent::Terms,
    ) -> Result<()> {
        let id = row.id;
        let now = row.created_at;
        consents::insert(tx, row).await?;
        consents::insert_event(
            tx,
            &EventRow {
                id: Uuid::now_v7(),
                consent_id: id,
                at: now,
                event: "consent.requested".into(),
                from_status: None,
                to_status: Status::Requested,
                by_whom: By::Partner.code().into(),
                reason: None,
                receipt: None,
            },
        )
        .await?;
        let event = NewEvent::new(Actor::client(&row.client_id), "consent.requested")
            .subject(format!("consent:{id}"))
            .details(serde_json::json!({
                "account": row.account_id, "purpose": terms.purpose, "channel": row.channel,
                "categories": terms.categories.iter().map(|c| c.code()).collect::<Vec<_>>(),
            }));
        audit::append(tx, now, &event).await?;
        Ok(())
    }

    /// The account a client's pairwise `sub` names, if it was handed out.
    pub(crate) async fn account_of_subject(
        &self,
        sector: &str,
        subject: &str,
    ) -> Result<Option<Uuid>> {
        Ok(consents::account_of_subject(&self.db, sector, subject).await?)
    }

    /// The partner withdraws its request or cancels its consent.
    pub async fn cancel_consent(
        &self,
        caller: &Client,
        id: Uuid,
        reason: Option<&str>,
    ) -> Result<Consent> {
        let reason = reason.map(|r| r.chars().take(500).collect::<String>());
        let now = self.clock.now();
        let row = consents::get(&self.db, id)
            .await?
            .filter(|r| r.client_id == caller.id)
            .ok_or(ServiceError::NotFound)?;
        let to = propusk_core::consent::state::transition(row.status, Action::Cancel, By::Partner)
            .map_err(|_| ServiceError::Conflict)?;
        let change = Change {
            id,
            from: row.status,
            to,
            by: By::Partner.code(),
            reason: reason.as_deref(),
            at: now,
        };
        self.apply_change(row, &change, "consent.cancelled").await
    }

    /// Makes a change decided on `row` as it was read: signs its receipt
    /// (for a consent that was ever approved) before the transaction, and
    /// commits only if the consent is still where it was (`Conflict` if
    /// someone moved it meanwhile).
    pub(crate) async fn apply_change(
        &self,
        row: ConsentRow,
        change: &Change<'_>,
        event: &'static str,
    ) -> Result<Consent> {
        let id = row.id;
        let consent = self.consent_of_row(row).await?;
        let receipt = if consent.approved_at.is_some() {
            Some(self.sign_receipt(&consent, event, change.at).await?)
        } else {
            None
        };
        let mut tx = self.db.begin().await?;
        if !consents::set_status(&mut tx, change).await? {
            return Err(ServiceError::Conflict);
        }
        self.record_change(&mut tx, &consent, change, event, receipt)
            .await?;
        tx.commit().await?;
        let row = consents::get(&self.db, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        self.consent_of_row(row).await
    }

    /// The history row and audit event of a change already made in `tx`.
    pub(crate) async fn record_change(
        &self,
        tx: &mut propusk_store::Tx,
        consent: &Consent,
        change: &Change<'_>,
        event: &'static str,
        receipt: Option<Signed>,
    ) -> Result<()> {
        let (event_id, receipt) = match receipt {
            Some(r) => {
                // The key stays published for as long as the receipt can
                // matter: the consent's end plus the partner's retention.
                let retention =
                    catalogue::purpose(&consent.terms.purpose).map_or(0, |p| p.retention_days);
                let until = consent.terms.valid_until + Duration::days(i64::from(retention));
                signing_keys::keep_until(tx, &r.kid, until).await?;
                (r.id, Some(r.jws))
            }
            None => (Uuid::now_v7(), None),
        };
        consents::insert_event(
            tx,
            &EventRow {
                id: event_id,
                consent_id: consent.id,
                at: change.at,
                event: event.into(),
                from_status: Some(change.from),
                to_status: change.to,
                by_whom: change.by.into(),
                reason: change.reason.map(str::to_owned),
                receipt,
            },
        )
        .await?;
        self.enqueue_consent_webhook(tx, consent, event, event_id, change.to.code(), change.at)
            .await?;
        let actor = match change.by {
            "citizen" => Actor::citizen(consent.account_id),
            "partner" => Actor::client(&consent.client_id),
            _ => Actor::system(),
        };
        let audit_event = NewEvent::new(actor, event)
            .subject(format!("consent:{}", consent.id))
            .details(serde_json::json!({
                "from": change.from.code(), "to": change.to.code(), "reason": change.reason,
            }));
        audit::append(tx, change.at, &audit_event).await?;
        Ok(())
    }
}
