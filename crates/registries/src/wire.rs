//! What goes over the wire between the emulator and the connectors, in the
//! registries' own shapes (../shared/REGISTRIES.md): ESIA-style camelCase
//! and `dd.MM.yyyy` dates for person data, ГИС ГМП attribute names and
//! kopecks for charges, ЕГРЮЛ search rows (`n`, `c`, `i`, `o`, `p`, …),
//! ЕГРН codes for property. Personal identifiers travel in POST bodies,
//! never in URLs, so that no access log holds them.

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

/// `dd.MM.yyyy`, as ESIA and ФНС write dates.
pub fn ru_date(d: Date) -> String {
    format!("{:02}.{:02}.{:04}", d.day(), d.month() as u8, d.year())
}

/// Dates of the population's records as ISO text (the `time` crate's own
/// serde form is a tuple), for `serialize_with`.
pub mod iso {
    use serde::Serializer;
    use time::Date;

    pub fn date<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::iso_date(*d))
    }

    pub fn option<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => date(d, s),
            None => s.serialize_none(),
        }
    }
}

/// Reads `dd.MM.yyyy` (or ISO `yyyy-MM-dd`).
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(['.', '-']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (y, m, d) = if a.len() == 4 { (a, b, c) } else { (c, b, a) };
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// ISO `yyyy-MM-dd`, as ГИС ГМП and ЕГРН write dates.
pub fn iso_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// A person as the requester states them; every check compares these.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonQuery {
    pub last_name: String,
    pub first_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// `dd.MM.yyyy`.
    pub birth_date: String,
}

/// ФНС «Узнать ИНН»: the person and an identity document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InnRequest {
    #[serde(flatten)]
    pub person: PersonQuery,
    /// `21`: passport of a citizen of Russia.
    pub doc_type: String,
    /// Series and number, `45 10 123456`.
    pub doc_number: String,
}

/// `code` 1: found, with `inn`; 0: no INN for this person and document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InnResponse {
    pub code: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inn: Option<String>,
}

/// МВД: is this passport valid, and (when the person is given) is it theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PassportCheckRequest {
    pub series: String,
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<PersonQuery>,
    /// `yyyy-MM-dd` or `dd.MM.yyyy`; compared when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_date: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PassportStatus {
    /// «Среди недействительных не значится».
    Valid,
    Invalid,
    NotFound,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PassportCheckResponse {
    pub status: PassportStatus,
    /// Why it is invalid: `EXPIRED`, `LOST`, `REPLACED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// МВД's own wording.
    pub message: String,
    /// Fields of `person`/`issueDate` that differ from the passport's holder.
    #[serde(default)]
    pub mismatched: Vec<String>,
}

/// ESIA address element (`type` `PRG`: registration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddressDoc {
    #[serde(rename = "type")]
    pub kind: String,
    pub country_id: String,
    pub zip_code: String,
    pub address_str: String,
    pub region: String,
    pub city: String,
    pub street: String,
    pub house: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flat: Option<String>,
    pub fias_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PassportRef {
    pub series: String,
    pub number: String,
}

/// СФР: does this SNILS belong to this person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SnilsVerifyRequest {
    pub snils: String,
    #[serde(flatten)]
    pub person: PersonQuery,
    /// `M` or `F`; compared when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SnilsResult {
    Match,
    Mismatch,
    NotFound,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SnilsVerifyResponse {
    pub result: SnilsResult,
    #[serde(default)]
    pub mismatched: Vec<String>,
}

/// A look-up of a person by one identifier (SNILS or INN).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snils: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inn: Option<String>,
    /// ГИС ГМП payer identifier (`101…` for a passport).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_identifier: Option<String>,
}

/// СФР individual pension account statement (ИЛС).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PensionStatement {
    pub snils: String,
    /// Individual pension coefficient, points.
    pub ipk: f64,
    pub years: Vec<PensionYearDoc>,
    pub seniority: Seniority,
    /// Kopecks.
    pub savings: i64,
    pub savings_manager: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_payment: Option<i64>,
    /// `dd.MM.yyyy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pensioner_since: Option<String>,
    /// `dd.MM.yyyy`: the day the statement reflects.
    pub as_of: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PensionYearDoc {
    pub year: i32,
    pub ipk: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer: Option<String>,
    pub contributions: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Seniority {
    pub years: u16,
    pub months: u8,
    pub days: u8,
}

/// ФНС 2-НДФЛ (`СправДох`) for one year and one tax agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncomeStatement {
    pub year: i32,
    /// `СвНА`: the tax agent.
    pub agent_inn: String,
    pub agent_kpp: String,
    pub agent_name: String,
    pub oktmo: String,
    pub rate: u8,
    /// `СвСумДох` rows: month, income code, amount in kopecks.
    pub rows: Vec<IncomeRow>,
    /// `СумИтНалПер`, kopecks.
    pub total_income: i64,
    pub tax_base: i64,
    pub tax_computed: i64,
    pub tax_withheld: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IncomeRow {
    pub month: u8,
    pub code: u16,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncomeRequest {
    pub inn: String,
    /// One year, or every year on record when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IncomeResponse {
    pub statements: Vec<IncomeStatement>,
}

/// One row of the ЕГРЮЛ/ЕГРИП search (egrul.nalog.ru keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EgrRow {
    /// Full name.
    pub n: String,
    /// Short name.
    #[serde(default)]
    pub c: String,
    /// INN.
    pub i: String,
    /// OGRN or OGRNIP.
    pub o: String,
    /// KPP (legal entities).
    #[serde(default)]
    pub p: String,
    /// Registration date, `dd.MM.yyyy`.
    pub r: String,
    /// Head: «ГЕНЕРАЛЬНЫЙ ДИРЕКТОР: Фамилия Имя Отчество».
    #[serde(default)]
    pub g: String,
    /// `ul` legal entity, `fl` sole proprietor.
    pub k: String,
    /// Region.
    pub rn: String,
    /// Termination date, for entities that have ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EgrSearch {
    pub rows: Vec<EgrRow>,
}

/// An ЕГРЮЛ extract (`СвЮЛ`), in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EgrulExtract {
    pub ogrn: String,
    pub inn: String,
    pub kpp: String,
    pub ogrn_date: String,
    pub opf: String,
    pub full_name: String,
    pub short_name: String,
    pub address: String,
    pub region_code: String,
    pub okved_code: String,
    pub okved_name: String,
    pub head: EgrulHead,
    /// `действующее` or `ликвидировано`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_date: Option<String>,
}

/// `СведДолжнФЛ`: the person who may act for the company without a power of attorney.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EgrulHead {
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    pub inn: String,
    pub position: String,
}

/// An ЕГРИП extract (`СвИП`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EgripExtract {
    pub ogrnip: String,
    pub inn: String,
    pub ogrnip_date: String,
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    pub region: String,
    pub okved_code: String,
    pub okved_name: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_date: Option<String>,
}

/// An ЕГРН extract about one object (`extract_base_params_*`), flattened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EstateDoc {
    pub cad_number: String,
    pub quarter_cad_number: String,
    pub type_code: String,
    pub type_name: String,
    pub name: String,
    pub purpose: String,
    pub readable_address: String,
    /// Square metres, as ЕГРН writes them (`"54.3"`).
    pub area: String,
    /// Cadastral value, kopecks.
    pub cost: i64,
    pub right: RightDoc,
    pub restrictions: Vec<RestrictionDoc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RightDoc {
    pub right_type_code: String,
    pub right_type_name: String,
    pub right_number: String,
    pub registration_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_numerator: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_denominator: Option<u8>,
    /// The holder's name as ЕГРН shows it.
    pub holder: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestrictionDoc {
    pub number: String,
    pub type_code: String,
    pub type_name: String,
    pub registration_date: String,
    pub in_favour_of: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EstateList {
    pub objects: Vec<EstateDoc>,
}

/// A ГИС ГМП charge (`Charge` 2.4.0 attributes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeDoc {
    #[serde(rename = "supplierBillID")]
    pub supplier_bill_id: String,
    /// `yyyy-MM-ddT00:00:00+03:00`.
    pub bill_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    pub payment_term: String,
    /// Kopecks.
    pub total_amount: i64,
    pub purpose: String,
    pub kbk: String,
    pub oktmo: String,
    /// `traffic_fine`, `property_tax`, `transport_tax`, `bailiff_debt`, `state_fee`.
    pub kind: String,
    pub payee: PayeeDoc,
    pub payer: PayerDoc,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<DiscountDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_act: Option<String>,
    /// What is left to pay now, kopecks (after payments and any discount).
    pub amount_to_pay: i64,
    /// 1 matched with payments covering it; absent while unpaid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledgment_status: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PayeeDoc {
    pub name: String,
    pub inn: String,
    pub kpp: String,
    pub ogrn: String,
    pub account_number: String,
    pub bank_name: String,
    pub bik: String,
    pub correspondent_bank_account: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PayerDoc {
    pub payer_identifier: String,
    pub payer_name: String,
}

/// `DiscountSize`: percent off until `expiry` (`yyyy-MM-dd`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DiscountDoc {
    pub value: u8,
    pub expiry: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChargeList {
    pub charges: Vec<ChargeDoc>,
}

/// A payment reported to ГИС ГМП; `paymentId` makes a repeat harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentNotice {
    pub payment_id: String,
    #[serde(rename = "supplierBillID")]
    pub supplier_bill_id: String,
    /// Kopecks.
    pub amount: i64,
    /// `yyyy-MM-dd`.
    pub payment_date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentAck {
    pub payment_id: String,
    /// 1 matched; 2 pre-matched (the amount does not cover it yet); 3 not matched (no such UIN).
    pub acknowledgment_status: u8,
    pub amount_to_pay: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_in_both_forms() {
        let d = Date::from_calendar_date(1994, time::Month::January, 7).unwrap();
        assert_eq!(ru_date(d), "07.01.1994");
        assert_eq!(iso_date(d), "1994-01-07");
        assert_eq!(parse_date("07.01.1994"), Some(d));
        assert_eq!(parse_date("1994-01-07"), Some(d));
        assert_eq!(parse_date("31.02.1994"), None);
        assert_eq!(parse_date("07.01"), None);
        assert_eq!(parse_date("x.y.z"), None);
    }
}

/// A citizen's request to correct a registry's record (152-FZ art. 21),
/// sent as `PUT /{registry}/corrections/{id}` with Propusk's own id, so a
/// retry never files it twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CorrectionRequest {
    pub person: PersonKey,
    /// A data category of Propusk's catalogue (`passport`, `income`, …).
    pub category: String,
    /// A field of that category.
    pub field: String,
    pub proposed: String,
    #[serde(default)]
    pub comment: String,
}

/// Where a correction stands at the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CorrectionAnswer {
    pub id: String,
    /// `received`, `accepted` or `rejected`.
    pub status: String,
    /// The registry's own reference number for the request.
    pub reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
