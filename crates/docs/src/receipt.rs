//! The consent receipt for people: the same content as the signed JWS
//! receipt, as a PDF with a QR code to the public status page. Like the
//! JWS it names no person: the citizen is only in the record's hash.

use propusk_core::Lang;
use propusk_core::consent::catalogue;
use propusk_core::consent::record::{COMPLAINTS_RU, REVOCATION_RU, Record};

use crate::{DocError, Layout};

/// What the PDF shows beyond the record: the receipt's own data, with
/// dates already written the way people read them (Moscow time).
pub struct ReceiptDoc<'a> {
    pub record: &'a Record,
    pub receipt_id: String,
    /// What happened: «Согласие дано», «Согласие отозвано»…
    pub event: String,
    pub issued_at: String,
    pub valid_from: String,
    pub valid_until: String,
    pub status_url: String,
}

pub fn render(d: &ReceiptDoc<'_>) -> Result<Vec<u8>, DocError> {
    let r = d.record;
    let purpose = catalogue::purpose(&r.purpose);
    let mut l = Layout::new("Квитанция о согласии на передачу персональных данных");
    l.field("Номер квитанции", &d.receipt_id)
        .field("Событие", format!("{} ({} МСК)", d.event, d.issued_at))
        .field("Согласие", r.id.to_string());
    l.heading("Кому")
        .field("Организация", &r.recipient.name)
        .field(
            "ОГРН / ИНН",
            format!("{} / {}", r.recipient.ogrn, r.recipient.inn),
        );
    l.heading("Зачем")
        .field(
            "Цель",
            purpose.map_or(r.purpose.as_str(), |p| p.ru.as_str()),
        )
        .field(
            "Правовое основание",
            purpose.map_or("", |p| p.legal_basis.as_str()),
        )
        .field(
            "Действия с данными",
            purpose.map_or(String::new(), |p| {
                p.actions
                    .iter()
                    .map(|a| match a.as_str() {
                        "collection" => "сбор",
                        "storage" => "хранение",
                        "use" => "использование",
                        other => other,
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        );
    l.heading("Какие данные");
    for c in &r.categories {
        let fields: Vec<&str> = c.fields().iter().map(|f| f.ru).collect();
        l.field(
            c.title(Lang::Ru),
            format!(
                "{}. Источник: {}",
                fields.join(", "),
                c.source().title(Lang::Ru)
            ),
        );
    }
    l.heading("На каких условиях")
        .field("Порядок получения", r.mode.describe(Lang::Ru))
        .field(
            "Действует",
            format!("с {} по {} (МСК)", d.valid_from, d.valid_until),
        )
        .field(
            "Срок хранения у организации",
            purpose.map_or(String::new(), |p| format!("{} дн.", p.retention_days)),
        )
        .field("Как отозвать", REVOCATION_RU)
        .field("Куда обратиться", COMPLAINTS_RU);
    l.heading("Проверка");
    l.qr(
        &d.status_url,
        "Состояние согласия сейчас: отсканируйте код или откройте адрес. Страница не содержит персональных данных.",
    );
    l.field_small("SHA-256 записи согласия", r.hash());
    l.note(
        "Квитанция подписана Пропуском (JWS, тип consent-receipt+jwt). Подпись проверяется \
         командой «propusk consent verify» или методом POST /api/v1/consent-receipts/verify \
         по опубликованным ключам Пропуска.",
    );
    l.render()
}

#[cfg(test)]
mod tests {
    use propusk_core::consent::record::{Channel, Recipient};
    use propusk_core::consent::{Category, Mode};
    use time::macros::datetime;

    use super::*;

    #[test]
    fn a_receipt_renders() {
        let at = datetime!(2026-12-01 10:00 UTC);
        let r = Record {
            id: uuid::Uuid::from_u128(1),
            subject: "secret-subject".into(),
            recipient: Recipient {
                name: "АО «Демо-банк»".into(),
                ogrn: "1027700000019".into(),
                inn: "7700000016".into(),
                client_id: "pk_x".into(),
            },
            purpose: "loan_application".into(),
            categories: vec![Category::Passport, Category::Income],
            mode: Mode::OneTime,
            valid_from: at,
            valid_until: at,
            channel: Channel::Api,
            approved_at: at,
        };
        let pdf = render(&ReceiptDoc {
            record: &r,
            receipt_id: "r-1".into(),
            event: "Согласие дано".into(),
            issued_at: "01.12.2026 13:00".into(),
            valid_from: "01.12.2026 13:00".into(),
            valid_until: "31.12.2026 13:00".into(),
            status_url: "https://propusk.example/consents/receipts/r-1".into(),
        })
        .unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.len() > 10_000, "fonts embedded");
    }
}
