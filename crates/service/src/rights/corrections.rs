//! Corrections carried to the source registry. A request is saved first
//! (sealed, with its audit event), then filed with the registry under
//! Propusk's own id; a job follows it there until the registry decides.
//! Filing is idempotent at the registry, so a retry after a lost answer
//! never files twice, and every status change is conditional, so the job on
//! two nodes, or the job and the citizen, never both win.

use propusk_core::Lang;
use propusk_core::account::TrustLevel;
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::consent::{Category, Source};
use propusk_core::retry::Backoff;
use propusk_core::rights::{self, CorrectionStatus, Verdict};
use propusk_registries::connect::Registry;
use propusk_registries::wire::{CorrectionAnswer, CorrectionRequest, PersonKey};
use propusk_store::corrections::{self, CorrectionRow, Move};
use propusk_store::{accounts, audit, consents};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::error::internal;
use crate::notify::Content;
use crate::{FieldProblem, Result, ServiceError, Services};

/// How many requests one citizen may have open at once.
pub const MAX_OPEN: i64 = 20;

/// How often an open request is looked at while the registry decides, and
/// the longest wait after the registry failed to answer.
const FOLLOW: Backoff = Backoff {
    base: Duration::minutes(1),
    cap: Duration::hours(6),
    max_attempts: u32::MAX,
};

/// What the citizen asked and why: sealed in the row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Asked {
    proposed: String,
    comment: String,
}

/// A correction request as the citizen sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionView {
    pub id: Uuid,
    pub category: Category,
    pub field: String,
    pub registry: Source,
    pub proposed: String,
    pub comment: String,
    pub status: CorrectionStatus,
    /// The registry's number for the request, once it took it.
    pub reference: Option<String>,
    /// The registry's reason, when it refused.
    pub reason: Option<String>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
    pub decided_at: Option<OffsetDateTime>,
}

impl CorrectionView {
    /// The field's title in the catalogue, or its name.
    pub fn field_title(&self, lang: Lang) -> &str {
        self.category
            .fields()
            .iter()
            .find(|f| f.name == self.field)
            .map_or(self.field.as_str(), |f| f.title(lang))
    }
}

fn context(id: Uuid) -> String {
    format!("data_correction:{id}")
}

fn problem(field: &'static str, key: &'static str) -> FieldProblem {
    let (ru, en) = match key {
        "rights-error-target" => (
            "Выберите, какие сведения исправить.",
            "Choose which data to correct.",
        ),
        "rights-error-proposed" => (
            "Укажите, как должно быть записано.",
            "Say what the record should read.",
        ),
        "rights-error-proposed-long" => (
            "Значение слишком длинное или содержит недопустимые символы (не более 500 знаков).",
            "The value is too long or has characters that are not allowed (500 at most).",
        ),
        "rights-error-comment" => (
            "Пояснение слишком длинное (не более 2000 знаков).",
            "The explanation is too long (2000 characters at most).",
        ),
        "rights-error-too-many" => (
            "У вас уже 20 обращений на рассмотрении. Дождитесь ответа по ним.",
            "You already have 20 requests under review. Wait for their answers.",
        ),
        _ => ("Проверьте поле.", "Check this field."),
    };
    FieldProblem::text(field, key, ru, en)
}

impl Services {
    /// Saves a correction request and tries to file it with the registry
    /// at once; if the registry is down, the job files it later.
    pub async fn request_correction(
        &self,
        account_id: Uuid,
        target: &str,
        proposed: &str,
        comment: &str,
    ) -> Result<CorrectionView> {
        let c = rights::check(target, proposed, comment).map_err(|p| {
            ServiceError::Invalid(p.into_iter().map(|(f, k)| problem(f, k)).collect())
        })?;
        let account = accounts::get(&self.db, account_id).await?;
        if account.trust_level.is_none_or(|t| t < TrustLevel::Standard) {
            return Err(ServiceError::NotVerified);
        }
        if corrections::open_count(&self.db, account_id).await? >= MAX_OPEN {
            return Err(ServiceError::Invalid(vec![problem(
                "target",
                "rights-error-too-many",
            )]));
        }
        let now = self.clock.now();
        let id = Uuid::now_v7();
        let asked = Asked {
            proposed: c.proposed.clone(),
            comment: c.comment.clone(),
        };
        let bytes = serde_json::to_vec(&asked).map_err(internal)?;
        let row = CorrectionRow {
            id,
            account_id,
            category: c.category.code().to_owned(),
            field: c.field.clone(),
            registry: c.category.source().code().to_owned(),
            sealed: self.vault.seal(&mut OsRng, &bytes, context(id).as_bytes()),
            status: CorrectionStatus::Submitted.code().to_owned(),
            reference: None,
            reason: None,
            attempts: 0,
            next_attempt_at: Some(now),
            created_at: now,
            sent_at: None,
            decided_at: None,
            updated_at: now,
        };
        let mut tx = self.db.begin().await?;
        corrections::insert(&mut tx, &row).await?;
        let event = NewEvent::new(Actor::citizen(account_id), "data.correction_requested")
            .subject(format!("data_correction:{id}"))
            .details(serde_json::json!({
                "category": row.category, "field": row.field, "registry": row.registry,
            }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        if let Err(e) = self.follow_correction(row).await {
            tracing::warn!(error = %e, %id, "correction: registry not reached, the job retries");
        }
        self.correction_of(account_id, id).await
    }

    /// The citizen's requests, newest first.
    pub async fn corrections_of(&self, account_id: Uuid) -> Result<Vec<CorrectionView>> {
        corrections::of_account(&self.db, account_id, 200)
            .await?
            .into_iter()
            .map(|r| self.correction_view(r))
            .collect()
    }

    /// One of the citizen's own requests; anyone else's is `NotFound`.
    pub async fn correction_of(&self, account_id: Uuid, id: Uuid) -> Result<CorrectionView> {
        let row = corrections::get(&self.db, id)
            .await?
            .filter(|r| r.account_id == account_id)
            .ok_or(ServiceError::NotFound)?;
        self.correction_view(row)
    }

    fn correction_view(&self, r: CorrectionRow) -> Result<CorrectionView> {
        let bytes = self
            .vault
            .open(&r.sealed, context(r.id).as_bytes())
            .map_err(internal)?;
        let asked: Asked = serde_json::from_slice(&bytes).map_err(internal)?;
        let category = Category::parse(&r.category).ok_or_else(|| internal("category"))?;
        Ok(CorrectionView {
            id: r.id,
            category,
            registry: category.source(),
            field: r.field,
            proposed: asked.proposed,
            comment: asked.comment,
            status: CorrectionStatus::parse(&r.status).ok_or_else(|| internal("status"))?,
            reference: r.reference,
            reason: r.reason,
            created_at: r.created_at,
            sent_at: r.sent_at,
            decided_at: r.decided_at,
        })
    }

    /// Takes back a request the registry has not yet taken. Once it has
    /// (status `sent`), it is the registry's to decide: `Conflict`.
    pub async fn withdraw_correction(&self, account_id: Uuid, id: Uuid) -> Result<()> {
        let row = self.correction_of(account_id, id).await?;
        if row.status != CorrectionStatus::Submitted {
            return Err(ServiceError::Conflict);
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let moved = corrections::advance(
            &mut tx,
            &Move {
                id,
                from: CorrectionStatus::Submitted.code(),
                to: CorrectionStatus::Withdrawn.code(),
                reference: None,
                reason: None,
                next_attempt_at: None,
                at: now,
            },
        )
        .await?;
        if !moved {
            return Err(ServiceError::Conflict);
        }
        let event = NewEvent::new(Actor::citizen(account_id), "data.correction_withdrawn")
            .subject(format!("data_correction:{id}"));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One pass of the job over requests due a look; returns how many
    /// changed status.
    pub async fn follow_corrections(&self, limit: i64) -> Result<usize> {
        let mut changed = 0;
        for row in corrections::due(&self.db, self.clock.now(), limit).await? {
            let id = row.id;
            match self.follow_correction(row).await {
                Ok(true) => changed += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, %id, "correction: registry not reached"),
            }
        }
        Ok(changed)
    }

    /// Files (or asks after) one request and records what the registry
    /// said. `Ok(true)` if its status changed. A registry that does not
    /// answer puts the next look off, with back-off.
    async fn follow_correction(&self, row: CorrectionRow) -> Result<bool> {
        let now = self.clock.now();
        let from = CorrectionStatus::parse(&row.status).ok_or_else(|| internal("status"))?;
        if !from.is_open() {
            return Ok(false);
        }
        let answer = match self.ask_registry(&row, from).await {
            Ok(a) => a,
            Err(e) => {
                let wait = FOLLOW
                    .after(u32::try_from(row.attempts + 1).unwrap_or(u32::MAX))
                    .unwrap_or(FOLLOW.cap);
                corrections::retry_later(&self.db, row.id, from.code(), now + wait, now).await?;
                return Err(e);
            }
        };
        let verdict = match answer.status.as_str() {
            "received" => Verdict::Received,
            "accepted" => Verdict::Accepted,
            "rejected" => Verdict::Rejected,
            other => return Err(internal(format!("registry answered status {other}"))),
        };
        let Some(to) = rights::after_verdict(from, verdict) else {
            // Still deciding: look again later.
            let wait = FOLLOW
                .after(u32::try_from(row.attempts + 1).unwrap_or(u32::MAX))
                .unwrap_or(FOLLOW.cap);
            corrections::retry_later(&self.db, row.id, from.code(), now + wait, now).await?;
            return Ok(false);
        };
        let next = (!matches!(to, CorrectionStatus::Accepted | CorrectionStatus::Rejected))
            .then(|| now + FOLLOW.base);
        let mut tx = self.db.begin().await?;
        let moved = corrections::advance(
            &mut tx,
            &Move {
                id: row.id,
                from: from.code(),
                to: to.code(),
                reference: Some(&answer.reference),
                reason: answer.reason.as_deref(),
                next_attempt_at: next,
                at: now,
            },
        )
        .await?;
        if !moved {
            return Ok(false);
        }
        let action = match to {
            CorrectionStatus::Sent => "data.correction_sent",
            CorrectionStatus::Accepted => "data.correction_accepted",
            _ => "data.correction_rejected",
        };
        let event = NewEvent::new(Actor::system(), action)
            .subject(format!("data_correction:{}", row.id))
            .details(serde_json::json!({
                "registry": row.registry, "reference": answer.reference,
            }));
        audit::append(&mut tx, now, &event).await?;
        if to == CorrectionStatus::Accepted {
            // The copy kept of the old answer is now wrong.
            consents::drop_cache(&mut tx, row.account_id, Some(&row.category)).await?;
        }
        if let Some(content) = decision_notice(&row, to, &answer) {
            self.notify_account(&mut tx, row.account_id, &content)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Files the request, or asks after one filed; one the registry lost
    /// is filed again under the same id.
    async fn ask_registry(
        &self,
        row: &CorrectionRow,
        from: CorrectionStatus,
    ) -> Result<CorrectionAnswer> {
        let registries = self.registries()?;
        let category = Category::parse(&row.category).ok_or_else(|| internal("category"))?;
        let registry = Registry::of(category.source());
        let id = row.id.to_string();
        if from == CorrectionStatus::Sent
            && let Some(a) = registries
                .correction(registry, &id)
                .await
                .map_err(crate::consents::unavailable)?
        {
            return Ok(a);
        }
        let account = accounts::get(&self.db, row.account_id).await?;
        let profile = self.open_profile(&account)?;
        let asked: Asked = serde_json::from_slice(
            &self
                .vault
                .open(&row.sealed, context(row.id).as_bytes())
                .map_err(internal)?,
        )
        .map_err(internal)?;
        let req = CorrectionRequest {
            person: PersonKey {
                snils: profile.snils,
                inn: profile.inn,
                payer_identifier: None,
            },
            category: row.category.clone(),
            field: row.field.clone(),
            proposed: asked.proposed,
            comment: asked.comment,
        };
        registries
            .file_correction(registry, &id, &req)
            .await
            .map_err(crate::consents::unavailable)
    }
}

/// What the citizen is told when the registry decides (nothing while it
/// only takes the request: they saw that on the page).
fn decision_notice(
    row: &CorrectionRow,
    to: CorrectionStatus,
    answer: &CorrectionAnswer,
) -> Option<Content> {
    let registry = Category::parse(&row.category)
        .map_or("", |c| c.source().title(Lang::Ru))
        .to_owned();
    match to {
        CorrectionStatus::Accepted => Some(Content::text(
            Lang::Ru,
            "Сведения исправлены",
            format!(
                "Пропуск: {registry} исправил сведения по вашему обращению № {}. \
                 Подробности — в личном кабинете, раздел «Мои данные».",
                answer.reference
            ),
        )),
        CorrectionStatus::Rejected => Some(Content::text(
            Lang::Ru,
            "Отказ в исправлении сведений",
            format!(
                "Пропуск: {registry} отказал в исправлении по обращению № {}: {}. \
                 Подробности — в личном кабинете, раздел «Мои данные».",
                answer.reference,
                answer.reason.as_deref().unwrap_or("причина не указана")
            ),
        )),
        _ => None,
    }
}
