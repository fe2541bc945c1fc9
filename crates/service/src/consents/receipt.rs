//! Consent receipts: a JWS signed with the provider's ES256 key over the
//! receipt claims (`core::consent::record`), and checking one against the
//! published keys.

use propusk_core::consent::record::RECEIPT_TYP;
use propusk_oidc::{Alg, Compact};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Consent;
use crate::error::internal;
use crate::{Result, Services};

/// What checking a receipt found.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Signed by us, untampered; with its claims and the consent's status now.
    Valid {
        claims: serde_json::Value,
        status: Option<propusk_core::consent::Status>,
    },
    /// Not a JWS, or not a consent receipt.
    Malformed(String),
    /// A key we never published, or a bad signature.
    BadSignature,
}

/// A receipt just signed: its id (also the id of the history row that
/// keeps it), the JWS, and the key that signed it.
pub(crate) struct Signed {
    pub id: Uuid,
    pub jws: String,
    pub kid: String,
}

impl Services {
    /// The public page that shows a receipt's consent status, without
    /// personal data.
    pub fn receipt_status_url(&self, receipt_id: Uuid) -> String {
        format!("{}/consents/receipts/{receipt_id}", self.public_base)
    }

    /// Signs a receipt for `event` on `consent` (its granted categories).
    pub(crate) async fn sign_receipt(
        &self,
        consent: &Consent,
        event: &'static str,
        at: OffsetDateTime,
    ) -> Result<Signed> {
        let approved = consent.approved_at.unwrap_or(at);
        let receipt_id = Uuid::now_v7();
        let claims = consent.record(approved).receipt_claims(
            self.issuer(),
            receipt_id,
            event,
            at,
            &self.receipt_status_url(receipt_id),
        );
        let keys = self.provider_keys().await?;
        let signer = keys.signer(Alg::Es256)?;
        let jws = signer.sign(RECEIPT_TYP, &claims).map_err(internal)?;
        Ok(Signed {
            id: receipt_id,
            jws,
            kid: signer.kid().to_owned(),
        })
    }

    /// Checks a receipt's signature against the published keys and says
    /// what became of its consent.
    pub async fn verify_receipt(&self, jws: &str) -> Result<Verdict> {
        let jws = jws.trim();
        let Ok(compact) = Compact::parse(jws) else {
            return Ok(Verdict::Malformed("not a compact JWS".into()));
        };
        if compact.typ() != Some(RECEIPT_TYP) {
            return Ok(Verdict::Malformed(format!("typ is not {RECEIPT_TYP}")));
        }
        let keys = self.provider_keys().await?;
        let Some(key) = keys.published.find(&compact) else {
            return Ok(Verdict::BadSignature);
        };
        if key.verify(&compact).is_err() {
            return Ok(Verdict::BadSignature);
        }
        let claims = serde_json::Value::Object(compact.claims.clone());
        // A signature by one of our keys is the proof of issue; `iss` is
        // not compared with this process's public URL, which a command run
        // beside the server may not share.
        let status = match claims
            .get("consent_id")
            .and_then(|v| v.as_str())
            .and_then(|s| Uuid::parse_str(s).ok())
        {
            Some(id) => propusk_store::consents::get(&self.db, id)
                .await?
                .map(|r| r.status),
            None => None,
        };
        Ok(Verdict::Valid { claims, status })
    }
}

impl Services {
    /// What the public receipt page shows: the receipt's event and the
    /// consent as it is now (the page prints no personal data).
    pub async fn receipt_status(
        &self,
        receipt_id: Uuid,
    ) -> Result<Option<(propusk_store::consents::EventRow, Consent)>> {
        let Some(event) = propusk_store::consents::event_by_receipt(&self.db, receipt_id).await?
        else {
            return Ok(None);
        };
        if event.receipt.is_none() {
            return Ok(None);
        }
        let Some(row) = propusk_store::consents::get(&self.db, event.consent_id).await? else {
            return Ok(None);
        };
        Ok(Some((event, self.consent_of_row(row).await?)))
    }
}

impl Services {
    /// The newest receipt of a consent as a PDF (approval, or the revocation,
    /// expiry or cancellation after it). `NotFound` before approval.
    pub async fn receipt_pdf(&self, consent: &Consent) -> Result<Vec<u8>> {
        let approved = consent.approved_at.ok_or(crate::ServiceError::NotFound)?;
        let event = propusk_store::consents::events(&self.db, consent.id)
            .await?
            .into_iter()
            .rev()
            .find(|e| e.receipt.is_some())
            .ok_or(crate::ServiceError::NotFound)?;
        let what = match event.to_status {
            propusk_core::consent::Status::Active => "Согласие дано",
            propusk_core::consent::Status::Revoked => "Согласие отозвано гражданином",
            propusk_core::consent::Status::Expired => "Срок действия согласия истёк",
            propusk_core::consent::Status::Cancelled => "Согласие аннулировано",
            other => other.title(propusk_core::Lang::Ru),
        };
        let record = consent.record(approved);
        let moscow = crate::format::moscow_time;
        let (receipt_id, issued_at) = (event.id.to_string(), moscow(event.at));
        let (valid_from, valid_until) = (moscow(approved), moscow(consent.terms.valid_until));
        let status_url = self.receipt_status_url(event.id);
        // Rendering is CPU work (fonts are subset): off the async threads.
        tokio::task::spawn_blocking(move || {
            propusk_docs::receipt::render(&propusk_docs::receipt::ReceiptDoc {
                record: &record,
                receipt_id,
                event: what.to_owned(),
                issued_at,
                valid_from,
                valid_until,
                status_url,
            })
            .map_err(internal)
        })
        .await
        .map_err(internal)?
    }
}
