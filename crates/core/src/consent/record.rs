//! The consent record that is signed, and the receipt made of it.
//!
//! The record is what was agreed (no status, no usage: those change); its
//! SHA-256 over canonical JSON is what a receipt commits to. The receipt
//! names no person: it carries the record's hash, not the record, so a
//! partner can show it to anyone as proof without leaking who agreed.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::catalogue::{self, Category};
use super::terms::Mode;
use crate::Lang;
use crate::audit::canonical_json;

pub const RECORD_SCHEMA: &str = "propusk-consent/1";
pub const RECEIPT_TYP: &str = "consent-receipt+jwt";

/// The partner a consent is given to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub name: String,
    pub ogrn: String,
    pub inn: String,
    pub client_id: String,
}

/// Where the request came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// RFC 9396 `authorization_details` during sign-in.
    Rar,
    /// The partner's API request, answered in the cabinet.
    Api,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Channel::Rar => "oidc_rar",
            Channel::Api => "api",
        }
    }

    pub fn parse(code: &str) -> Option<Channel> {
        match code {
            "oidc_rar" => Some(Channel::Rar),
            "api" => Some(Channel::Api),
            _ => None,
        }
    }
}

/// What the citizen agreed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: Uuid,
    /// The citizen's pairwise identifier for this partner.
    pub subject: String,
    pub recipient: Recipient,
    pub purpose: String,
    pub categories: Vec<Category>,
    pub mode: Mode,
    pub valid_from: OffsetDateTime,
    pub valid_until: OffsetDateTime,
    pub channel: Channel,
    pub approved_at: OffsetDateTime,
}

pub const REVOCATION_RU: &str = "В личном кабинете Пропуска: «Мои согласия» → согласие → «Отозвать». \
Отзыв действует сразу: организация больше не получит данные.";
pub const COMPLAINTS_RU: &str =
    "Роскомнадзор (уполномоченный орган по защите прав субъектов персональных данных), rkn.gov.ru";

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

impl Record {
    pub fn to_json(&self) -> Value {
        let purpose = catalogue::purpose(&self.purpose);
        json!({
            "schema": RECORD_SCHEMA,
            "id": self.id.to_string(),
            "subject": self.subject,
            "recipient": {
                "name": self.recipient.name, "ogrn": self.recipient.ogrn,
                "inn": self.recipient.inn, "client_id": self.recipient.client_id,
            },
            "purpose": {
                "code": self.purpose,
                "text": purpose.map(|p| p.ru.as_str()),
                "legal_basis": purpose.map(|p| p.legal_basis.as_str()),
            },
            "actions": purpose.map(|p| p.actions.clone()).unwrap_or_default(),
            "categories": self.categories.iter().map(|c| c.code()).collect::<Vec<_>>(),
            "mode": self.mode,
            "valid_from": rfc3339(self.valid_from),
            "valid_until": rfc3339(self.valid_until),
            "retention_days": purpose.map(|p| p.retention_days),
            "revocation": REVOCATION_RU,
            "collection": {
                "channel": self.channel.code(),
                "approved_at": rfc3339(self.approved_at),
                "method": "sms_code",
            },
        })
    }

    /// Hex SHA-256 of the canonical JSON.
    pub fn hash(&self) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(
            canonical_json(&self.to_json()).as_bytes(),
        ))
    }

    /// The receipt's claims for `event` (`consent.approved`, `consent.revoked`…).
    pub fn receipt_claims(
        &self,
        issuer: &str,
        receipt_id: Uuid,
        event: &str,
        issued_at: OffsetDateTime,
        status_url: &str,
    ) -> Value {
        let purpose = catalogue::purpose(&self.purpose);
        json!({
            "iss": issuer,
            "iat": issued_at.unix_timestamp(),
            "jti": receipt_id.to_string(),
            "consent_id": self.id.to_string(),
            "event": event,
            "jurisdiction": "RU",
            "legal_basis": purpose.map(|p| p.legal_basis.as_str()),
            "recipient": {
                "name": self.recipient.name, "ogrn": self.recipient.ogrn, "inn": self.recipient.inn,
            },
            "purpose": { "code": self.purpose, "text": purpose.map(|p| p.ru.as_str()) },
            "actions": purpose.map(|p| p.actions.clone()).unwrap_or_default(),
            "categories": self.categories.iter().map(|c| json!({
                "code": c.code(),
                "title": c.title(Lang::Ru),
                "source": c.source().title(Lang::Ru),
                "fields": c.fields().iter().map(|f| f.ru).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "mode": self.mode,
            "mode_text": self.mode.describe(Lang::Ru),
            "valid_from": rfc3339(self.valid_from),
            "valid_until": rfc3339(self.valid_until),
            "retention_days": purpose.map(|p| p.retention_days),
            "revocation_method": REVOCATION_RU,
            "complaints": COMPLAINTS_RU,
            "record_sha256": self.hash(),
            "status_url": status_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use time::macros::datetime;

    use super::super::terms::Per;
    use super::*;

    fn record() -> Record {
        let at = datetime!(2026-12-01 10:00 UTC);
        Record {
            id: Uuid::from_u128(7),
            subject: "pairwise-xyz".into(),
            recipient: Recipient {
                name: "ООО «Банк»".into(),
                ogrn: "1207700012343".into(),
                inn: "7700000000".into(),
                client_id: "c1".into(),
            },
            purpose: "loan_application".into(),
            categories: vec![Category::Passport, Category::Income],
            mode: Mode::Periodic {
                max_reads: 2,
                per: Per::Day,
            },
            valid_from: at,
            valid_until: at + Duration::days(30),
            channel: Channel::Api,
            approved_at: at,
        }
    }

    #[test]
    fn the_hash_covers_every_term() {
        let r = record();
        let h = r.hash();
        assert_eq!(h.len(), 64);
        assert_eq!(h, record().hash(), "stable");
        let mut other = record();
        other.categories.pop();
        assert_ne!(other.hash(), h);
        let mut other = record();
        other.subject = "someone-else".into();
        assert_ne!(other.hash(), h);
    }

    #[test]
    fn the_receipt_names_no_person() {
        let r = record();
        let claims = r.receipt_claims(
            "https://propusk.example",
            Uuid::from_u128(9),
            "consent.approved",
            r.approved_at,
            "https://propusk.example/consents/receipts/x",
        );
        let text = claims.to_string();
        assert!(!text.contains("pairwise-xyz"));
        assert_eq!(claims["record_sha256"], r.hash());
        assert_eq!(claims["categories"][1]["code"], "income");
        assert_eq!(claims["mode"]["mode"], "periodic");
    }
}
