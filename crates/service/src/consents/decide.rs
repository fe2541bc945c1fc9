//! The citizen's side: the approval code, approving (keeping or dropping
//! optional categories), declining, pausing, resuming and revoking.

use std::collections::BTreeSet;

use propusk_core::Lang;
use propusk_core::consent::state::transition;
use propusk_core::consent::{Action, By, Category, Status};
use propusk_store::consents::{self, Change, ConsentRow};
use uuid::Uuid;

use super::Consent;
use crate::error::internal;
use crate::sms_codes::Purpose;
use crate::{Result, ServiceError, Services};

/// An approval made ready: what [`Services::write_approval`] stores.
pub(crate) struct Approval {
    consent: Consent,
    hash: String,
    receipt: super::receipt::Signed,
    granted: String,
    at: time::OffsetDateTime,
}

fn code_subject(id: Uuid) -> String {
    format!("consent:{id}")
}

impl Services {
    /// The citizen's own consent as stored; anyone else's is `NotFound`.
    async fn own_row(&self, account_id: Uuid, id: Uuid) -> Result<ConsentRow> {
        consents::get(&self.db, id)
            .await?
            .filter(|r| r.account_id == account_id)
            .ok_or(ServiceError::NotFound)
    }

    /// A request the citizen can still answer.
    async fn open_request(&self, account_id: Uuid, id: Uuid) -> Result<ConsentRow> {
        let row = self.own_row(account_id, id).await?;
        if row.status != Status::Requested || row.request_expires_at <= self.clock.now() {
            return Err(ServiceError::Conflict);
        }
        Ok(row)
    }

    /// Sends the 6-digit approval code to the account's confirmed phone.
    pub async fn send_consent_code(&self, account_id: Uuid, id: Uuid, lang: Lang) -> Result<()> {
        self.open_request(account_id, id).await?;
        self.send_approval_code(account_id, &code_subject(id), lang)
            .await
    }

    /// The approval code for `subject` (a stored consent, or a sign-in
    /// asking for one) to the account's confirmed phone.
    pub(crate) async fn send_approval_code(
        &self,
        account_id: Uuid,
        subject: &str,
        lang: Lang,
    ) -> Result<()> {
        match self
            .send_sms_code_to_account(account_id, Purpose::ConsentApproval, subject, lang)
            .await
        {
            Err(ServiceError::NotFound) => Err(ServiceError::field(
                "code",
                "no_phone",
                "Для подтверждения согласия нужен подтверждённый номер телефона",
                "Approving a consent needs a confirmed phone number",
            )),
            other => other,
        }
    }

    /// Approves a request with the SMS code, keeping the required
    /// categories and those optional ones in `keep`. Signs the receipt.
    pub async fn approve_consent(
        &self,
        account_id: Uuid,
        id: Uuid,
        keep: &BTreeSet<Category>,
        code: &str,
    ) -> Result<Consent> {
        let row = self.open_request(account_id, id).await?;
        let consent = self.consent_of_row(row).await?;
        let approval = self.prepare_approval(consent, keep).await?;
        let tx = self.db.begin().await?;
        let mut tx = self
            .check_sms_code_or_commit(tx, Purpose::ConsentApproval, &code_subject(id), code)
            .await?;
        self.write_approval(&mut tx, approval).await?;
        tx.commit().await?;
        let row = consents::get(&self.db, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        self.consent_of_row(row).await
    }

    /// What approving `consent` keeps, signs and stores, made before the
    /// transaction (signing is the slow part).
    pub(crate) async fn prepare_approval(
        &self,
        mut consent: Consent,
        keep: &BTreeSet<Category>,
    ) -> Result<Approval> {
        let now = self.clock.now();
        consent.granted = consent
            .terms
            .categories
            .iter()
            .filter(|c| !consent.terms.optional.contains(c) || keep.contains(c))
            .copied()
            .collect();
        consent.approved_at = Some(now);
        let hash = consent.record(now).hash();
        let receipt = self.sign_receipt(&consent, "consent.approved", now).await?;
        let granted: Vec<&str> = consent.granted.iter().map(|c| c.code()).collect();
        let granted = serde_json::to_string(&granted).map_err(internal)?;
        Ok(Approval {
            consent,
            hash,
            receipt,
            granted,
            at: now,
        })
    }

    /// Makes a prepared approval in `tx`: `Conflict` if the request is no
    /// longer open.
    pub(crate) async fn write_approval(
        &self,
        tx: &mut propusk_store::Tx,
        a: Approval,
    ) -> Result<Consent> {
        let id = a.consent.id;
        if !consents::approve(tx, id, &a.granted, a.at, &a.hash, &a.receipt.jws).await? {
            return Err(ServiceError::Conflict);
        }
        let change = Change {
            id,
            from: Status::Requested,
            to: Status::Active,
            by: By::Citizen.code(),
            reason: None,
            at: a.at,
        };
        self.record_change(tx, &a.consent, &change, "consent.approved", Some(a.receipt))
            .await?;
        Ok(a.consent)
    }

    /// Declines a request; pauses, resumes or revokes a consent.
    pub async fn citizen_consent_action(
        &self,
        account_id: Uuid,
        id: Uuid,
        action: Action,
    ) -> Result<Consent> {
        let row = self.own_row(account_id, id).await?;
        let now = self.clock.now();
        if action == Action::Resume && row.valid_until <= now {
            return Err(ServiceError::Conflict);
        }
        let to = transition(row.status, action, By::Citizen).map_err(|_| ServiceError::Conflict)?;
        let change = Change {
            id,
            from: row.status,
            to,
            by: By::Citizen.code(),
            reason: None,
            at: now,
        };
        self.apply_change(row, &change, action.event()).await
    }
}
