//! What registries hold about a person beyond identity: income (ФНС,
//! 2-НДФЛ), pension rights (СФР), real estate (Росреестр, ЕГРН) and charges
//! (ГИС ГМП). Each is drawn from the person's own stream, so it is the same
//! every time it is asked for.

use propusk_core::ident::{Uin, build};
use serde::Serialize;
use time::{Date, Duration, Month};

use super::{AS_OF, Person, Population, field};
use crate::codes::{Stream, digits};
use crate::data::DATA;

/// One tax agent's income statement for one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Income {
    pub year: i32,
    pub employer_inn: String,
    pub employer_kpp: String,
    pub employer_name: String,
    pub employer_oktmo: String,
    pub months: Vec<IncomeMonth>,
    /// Totals in kopecks: income, tax base, tax computed and withheld.
    pub total: i64,
    pub tax_base: i64,
    pub tax_computed: i64,
    pub tax_withheld: i64,
    /// The rate in percent that applied to most of it.
    pub rate: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomeMonth {
    pub month: u8,
    /// 2000 salary, 2002 bonus, 2012 holiday pay, 2300 sick leave.
    pub code: u16,
    pub amount: i64,
}

/// НДФЛ in kopecks and the top rate reached: 13% up to 5 M ₽ a year and 15%
/// above for 2021–2024; from 2025 the five steps 13/15/18/20/22% at 2.4, 5,
/// 20 and 50 M ₽.
fn ndfl(year: i32, base: i64) -> (i64, u8) {
    let steps: &[(i64, u32)] = if year >= 2025 {
        &[
            (240_000_000, 13),
            (500_000_000, 15),
            (2_000_000_000, 18),
            (5_000_000_000, 20),
            (i64::MAX, 22),
        ]
    } else {
        &[(500_000_000, 13), (i64::MAX, 15)]
    };
    let (mut tax, mut below, mut rate) = (0i64, 0i64, 13u8);
    for &(upto, r) in steps {
        if base <= below {
            break;
        }
        let part = base.min(upto) - below;
        tax += part * i64::from(r) / 100;
        rate = r as u8;
        below = upto;
    }
    (tax, rate)
}

/// A region's pay relative to the country's (Moscow, St Petersburg and the
/// oil regions above, most others below).
fn region_pay(code: &str) -> f64 {
    match code {
        "77" => 1.9,
        "78" => 1.4,
        "50" => 1.3,
        "86" | "89" | "87" | "49" => 1.8,
        "14" | "25" | "27" | "41" | "65" => 1.3,
        "05" | "06" | "07" | "09" | "15" | "20" | "01" => 0.6,
        _ => 0.85,
    }
}

/// Whether, and for whom, the person works: (employer company index).
fn employer(pop: &Population, p: &Person, s: &mut Stream) -> Option<u64> {
    let age = p.age();
    let works = match age {
        ..=19 => s.chance(0.35),
        20..=59 => s.chance(0.88),
        60..=69 => s.chance(0.45),
        _ => s.chance(0.1),
    };
    works.then(|| s.below(pop.companies() - 1) + 1)
}

pub(super) fn income(pop: &Population, p: &Person) -> Vec<Income> {
    let mut s = Stream::new(pop.seed(), p.index, field::INCOME);
    let Some(first) = employer(pop, p, &mut s) else {
        return Vec::new();
    };
    let monthly_base = 6_500_000.0
        * region_pay(&p.address.region_code)
        * (0.55 + s.below(1_000) as f64 / 700.0)
        * if p.age() < 25 { 0.7 } else { 1.0 };
    let mut out = Vec::new();
    let mut employer_index = first;
    for year in (AS_OF.year() - 3)..AS_OF.year() {
        if s.chance(0.12) {
            employer_index = s.below(pop.companies() - 1) + 1;
        }
        let Some(company) = pop.company(employer_index) else {
            continue;
        };
        let growth = 1.0 + 0.09 * f64::from(year - (AS_OF.year() - 3));
        let salary = (monthly_base * growth / 100.0).round() as i64 * 100;
        let mut months = Vec::with_capacity(14);
        for m in 1..=12u8 {
            let sick = s.chance(0.04);
            let amount = if sick { salary * 6 / 10 } else { salary };
            months.push(IncomeMonth {
                month: m,
                code: if sick { 2300 } else { 2000 },
                amount,
            });
            if m == 7 {
                months.push(IncomeMonth {
                    month: m,
                    code: 2012,
                    amount: salary * 9 / 10,
                });
            }
            if m == 12 && s.chance(0.5) {
                months.push(IncomeMonth {
                    month: m,
                    code: 2002,
                    amount: salary * s.range(5, 20) / 10,
                });
            }
        }
        let total: i64 = months.iter().map(|m| m.amount).sum();
        let (tax, rate) = ndfl(year, total);
        out.push(Income {
            year,
            employer_inn: company.inn.clone(),
            employer_kpp: company.kpp.clone(),
            employer_name: company.short_name.clone(),
            employer_oktmo: company.oktmo.clone(),
            months,
            total,
            tax_base: total,
            tax_computed: tax,
            tax_withheld: tax,
            rate,
        });
    }
    out
}

/// The yearly cap on pensionable earnings, ₽ (for ИПК points).
fn pension_cap(year: i32) -> i64 {
    match year {
        ..=2015 => 711_000,
        2016 => 796_000,
        2017 => 876_000,
        2018 => 1_021_000,
        2019 => 1_150_000,
        2020 => 1_292_000,
        2021 => 1_465_000,
        2022 => 1_565_000,
        2023 => 1_917_000,
        2024 => 2_225_000,
        _ => 2_759_000,
    }
}

/// An individual pension account statement (ИЛС).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pension {
    /// Individual pension coefficient in total (ИПК), points.
    pub points_total: f64,
    pub years: Vec<PensionYear>,
    /// Insurance record.
    pub seniority_years: u16,
    pub seniority_months: u8,
    pub seniority_days: u8,
    /// Pension savings, kopecks, and who invests them.
    pub savings: i64,
    pub savings_manager: String,
    /// Paid monthly to a pensioner, kopecks; `None` for one who is not.
    pub monthly_payment: Option<i64>,
    #[serde(serialize_with = "crate::wire::iso::option")]
    pub pensioner_since: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PensionYear {
    pub year: i32,
    pub points: f64,
    pub employer_name: Option<String>,
    /// Insurance contributions accrued, kopecks.
    pub contributions: i64,
}

/// 2026 values: the cost of one point and the fixed payment, kopecks.
const POINT_COST: f64 = 15_676.0;
const FIXED_PAYMENT: i64 = 958_469;

pub(super) fn pension(pop: &Population, p: &Person) -> Pension {
    let mut s = Stream::new(pop.seed(), p.index, field::PENSION);
    let incomes = income(pop, p);
    let start_age = 18 + s.below(6) as i32;
    let work_years = (p.age() - start_age).max(0);
    let mut years = Vec::new();
    let mut points_total = 0.0;
    for y in (AS_OF.year() - work_years.min(10))..AS_OF.year() {
        let known = incomes.iter().find(|i| i.year == y);
        let earned = known.map_or_else(
            || {
                if s.chance(0.85) {
                    (pension_cap(y) as f64 * (0.2 + s.below(60) as f64 / 100.0)) as i64
                } else {
                    0
                }
            },
            |i| i.total / 100,
        );
        let points =
            (10.0 * (earned as f64 / pension_cap(y) as f64).min(1.0) * 100.0).round() / 100.0;
        points_total += points;
        years.push(PensionYear {
            year: y,
            points,
            employer_name: known.map(|i| i.employer_name.clone()),
            contributions: earned.min(pension_cap(y)) * 22,
        });
    }
    // Years before the last ten, summarised at a typical 3.5 points each.
    points_total += f64::from((work_years - 10).max(0)) * 3.5;
    let points_total = (points_total * 100.0).round() / 100.0;
    let retirement_age = if p.gender == super::Gender::Male {
        64
    } else {
        59
    };
    let pensioner = p.age() >= retirement_age;
    let pensioner_since = pensioner
        .then(|| super::person::add_years(p.birth_date, retirement_age) + Duration::days(1));
    let managers = ["СФР", "АО «НПФ Северная гавань»", "АО «НПФ Опора будущего»"];
    Pension {
        points_total,
        years,
        seniority_years: work_years.max(0) as u16,
        seniority_months: s.below(12) as u8,
        seniority_days: s.below(28) as u8,
        savings: if p.birth_date.year() >= 1967 {
            s.range(0, 40_000_000)
        } else {
            0
        },
        savings_manager: s.pick(&managers).copied().unwrap_or("СФР").to_owned(),
        monthly_payment: pensioner.then(|| (points_total * POINT_COST) as i64 + FIXED_PAYMENT),
        pensioner_since,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EstateKind {
    Flat,
    Land,
    House,
    ParkingSpace,
}

impl EstateKind {
    /// ЕГРН object type code and name.
    pub fn code(self) -> (&'static str, &'static str) {
        match self {
            EstateKind::Land => ("002001001000", "Земельный участок"),
            EstateKind::House => ("002001002000", "Здание"),
            EstateKind::Flat => ("002001003000", "Помещение"),
            EstateKind::ParkingSpace => ("002001009000", "Машино-место"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RightKind {
    Ownership,
    SharedOwnership,
    JointOwnership,
}

impl RightKind {
    pub fn code(self) -> (&'static str, &'static str) {
        match self {
            RightKind::Ownership => ("001001000000", "Собственность"),
            RightKind::SharedOwnership => ("001002000000", "Долевая собственность"),
            RightKind::JointOwnership => ("001003000000", "Совместная собственность"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Encumbrance {
    pub number: String,
    /// `022007000000` Ипотека, `022002000000` Арест.
    pub type_code: String,
    pub type_name: String,
    pub in_favour_of: String,
    #[serde(serialize_with = "crate::wire::iso::date")]
    pub registered: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Estate {
    pub cadastral_number: String,
    pub kind: EstateKind,
    pub name: String,
    pub purpose: String,
    pub address: String,
    /// Square metres × 10 (one decimal).
    pub area_dm: i64,
    /// Cadastral value, kopecks.
    pub cadastral_value: i64,
    pub right: RightKind,
    pub right_number: String,
    #[serde(serialize_with = "crate::wire::iso::date")]
    pub registered: Date,
    /// (numerator, denominator) for shared ownership.
    pub share: Option<(u8, u8)>,
    pub encumbrances: Vec<Encumbrance>,
}

/// A person has at most this many objects (the code space depends on it).
const ESTATE_SLOTS: u64 = 4;

pub(super) fn estate(pop: &Population, p: &Person) -> Vec<Estate> {
    let mut s = Stream::new(pop.seed(), p.index, field::ESTATE);
    let mut kinds = Vec::new();
    if s.chance(0.58) {
        kinds.push(EstateKind::Flat);
    }
    if s.chance(0.22) {
        kinds.push(EstateKind::Land);
    }
    if s.chance(0.1) {
        kinds.push(EstateKind::House);
    }
    if s.chance(0.06) {
        kinds.push(EstateKind::ParkingSpace);
    }
    kinds
        .into_iter()
        .enumerate()
        .map(|(k, kind)| object(pop, p, k as u64, kind, &mut s))
        .collect()
}

fn object(pop: &Population, p: &Person, k: u64, kind: EstateKind, s: &mut Stream) -> Estate {
    let offset = p.index * ESTATE_SLOTS + k;
    let quarter = digits(pop.codes().quarter.forward(offset), 7);
    let area_code = digits(s.range(1, 40) as u64, 2);
    let object_no = s.range(10, 9_999);
    let cad = format!(
        "{}:{area_code}:{quarter}:{object_no}",
        p.address.region_code
    );
    let (name, purpose, area_dm, per_m2) = match kind {
        EstateKind::Flat => ("Квартира", "Жилое", s.range(280, 1_200), 12_000_000),
        EstateKind::Land => (
            "Земельный участок",
            "Для ведения садоводства",
            s.range(4_000, 25_000),
            150_000,
        ),
        EstateKind::House => ("Жилой дом", "Жилое", s.range(600, 2_400), 4_000_000),
        EstateKind::ParkingSpace => ("Машино-место", "Нежилое", s.range(130, 180), 5_000_000),
    };
    let value = (area_dm as f64 / 10.0 * per_m2 as f64 * region_pay(&p.address.region_code)) as i64;
    let registered_year = s.range(2001, i64::from(AS_OF.year()) - 1) as i32;
    let registered = Date::from_calendar_date(registered_year, Month::March, 1)
        .map(|d| d + Duration::days(s.range(0, 300)))
        .unwrap_or(AS_OF);
    let (right, share) = match s.below(10) {
        0..=6 => (RightKind::Ownership, None),
        7 | 8 => (
            RightKind::SharedOwnership,
            Some((1, [2u8, 2, 3, 4][s.below(4) as usize])),
        ),
        _ => (RightKind::JointOwnership, None),
    };
    let mut encumbrances = Vec::new();
    if kind == EstateKind::Flat && s.chance(0.22) {
        encumbrances.push(Encumbrance {
            number: format!(
                "{cad}-{}/{:03}/{registered_year}-{}",
                p.address.region_code,
                s.range(1, 120),
                s.range(2, 9)
            ),
            type_code: "022007000000".into(),
            type_name: "Ипотека".into(),
            in_favour_of: s
                .pick(&[
                    "АО «Банк Северная гавань»",
                    "ПАО «Демо Банк»",
                    "АО «Волжский кредит»",
                ])
                .copied()
                .unwrap_or("ПАО «Демо Банк»")
                .into(),
            registered,
        });
    }
    if s.chance(0.01) {
        encumbrances.push(Encumbrance {
            number: format!(
                "{cad}-{}/{:03}/{}-{}",
                p.address.region_code,
                s.range(1, 120),
                AS_OF.year() - 1,
                s.range(2, 9)
            ),
            type_code: "022002000000".into(),
            type_name: "Арест".into(),
            in_favour_of: format!("ГУФССП России по {}", p.address.region),
            registered: AS_OF - Duration::days(s.range(30, 300)),
        });
    }
    Estate {
        right_number: format!(
            "{cad}-{}/{:03}/{registered_year}-{}",
            p.address.region_code,
            s.range(1, 120),
            s.range(1, 9)
        ),
        cadastral_number: cad,
        kind,
        name: name.into(),
        purpose: purpose.into(),
        address: p.address.line(),
        area_dm,
        cadastral_value: value,
        right,
        registered,
        share,
        encumbrances,
    }
}

pub(super) fn estate_by_number(pop: &Population, cadastral: &str) -> Option<(Person, Estate)> {
    let quarter: u64 = cadastral.split(':').nth(2)?.parse().ok()?;
    let offset = pop.codes().quarter.back(quarter)?;
    let person = pop.person(offset / ESTATE_SLOTS)?;
    let found = estate(pop, &person)
        .into_iter()
        .find(|e| e.cadastral_number == cadastral)?;
    Some((person, found))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    TrafficFine,
    PropertyTax,
    TransportTax,
    BailiffDebt,
    StateFee,
}

/// A payee as ГИС ГМП states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payee {
    pub name: String,
    pub inn: String,
    pub kpp: String,
    pub ogrn: String,
    /// Treasury account and the single treasury account's bank.
    pub account_number: String,
    pub bank_name: String,
    pub bik: String,
    pub correspondent_account: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Discount {
    /// Percent off until `expiry` (traffic fines: 50% for 20 days).
    Size {
        value: u8,
        #[serde(serialize_with = "crate::wire::iso::date")]
        expiry: Date,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    pub uin: String,
    pub kind: ChargeKind,
    #[serde(serialize_with = "crate::wire::iso::date")]
    pub bill_date: Date,
    #[serde(serialize_with = "crate::wire::iso::option")]
    pub valid_until: Option<Date>,
    #[serde(serialize_with = "crate::wire::iso::date")]
    pub payment_term: Date,
    /// Kopecks.
    pub total_amount: i64,
    pub purpose: String,
    pub kbk: String,
    pub oktmo: String,
    pub payee: Payee,
    pub payer_identifier: String,
    pub payer_name: String,
    pub discount: Option<Discount>,
    pub legal_act: Option<String>,
}

const CHARGE_SLOTS: u64 = 10;

/// The payer identifier of ГИС ГМП for a passport: `1` + `01` + series and
/// number left-padded to 19 digits.
pub fn payer_identifier(p: &Person) -> String {
    format!(
        "101{:0>19}",
        format!("{}{}", p.passport.series, p.passport.number)
    )
}

fn payee(kind: ChargeKind, p: &Person, s: &mut Stream) -> Payee {
    let region = p.address.region.as_str();
    let code = p.address.region_code.as_str();
    let (name, inn_mid) = match kind {
        ChargeKind::TrafficFine => (format!("УФК по {region} (ГУ МВД России по {region})"), "1"),
        ChargeKind::PropertyTax | ChargeKind::TransportTax | ChargeKind::StateFee => {
            (format!("УФК по {region} (УФНС России по {region})"), "2")
        }
        ChargeKind::BailiffDebt => (format!("УФК по {region} (ГУФССП России по {region})"), "3"),
    };
    let inn = build::inn_org(&format!("{code}{inn_mid}{}", digits(s.below(1_000_000), 6)))
        .map(|i| i.to_string())
        .unwrap_or_default();
    let ogrn = build::ogrn(&format!("10{code}{}", digits(s.below(100_000_000), 8)))
        .map(|o| o.to_string())
        .unwrap_or_default();
    Payee {
        name,
        kpp: format!("{code}{}01001", digits(s.range(1, 40) as u64, 2)),
        inn,
        ogrn,
        account_number: format!(
            "0310064300000001{}00",
            digits(code.parse().unwrap_or(45u64), 2)
        ),
        bank_name: format!(
            "ОТДЕЛЕНИЕ {} БАНКА РОССИИ//УФК по {region}",
            p.address.city.to_uppercase()
        ),
        bik: format!(
            "0{}{}01",
            digits(code.parse().unwrap_or(45u64), 2),
            digits(s.below(10_000), 4)
        ),
        correspondent_account: "40102810045370000002".into(),
    }
}

pub(super) fn charges(pop: &Population, p: &Person) -> Vec<Charge> {
    let mut s = Stream::new(pop.seed(), p.index, field::CHARGES);
    let mut kinds = Vec::new();
    for _ in 0..s.below(4) {
        if s.chance(0.5) {
            kinds.push(ChargeKind::TrafficFine);
        }
    }
    if s.chance(0.2) {
        kinds.push(ChargeKind::PropertyTax);
    }
    if s.chance(0.15) {
        kinds.push(ChargeKind::TransportTax);
    }
    if s.chance(0.05) {
        kinds.push(ChargeKind::BailiffDebt);
    }
    if s.chance(0.08) {
        kinds.push(ChargeKind::StateFee);
    }
    kinds
        .into_iter()
        .take(CHARGE_SLOTS as usize)
        .enumerate()
        .filter_map(|(k, kind)| charge(pop, p, k as u64, kind, &mut s))
        .collect()
}

fn charge(
    pop: &Population,
    p: &Person,
    k: u64,
    kind: ChargeKind,
    s: &mut Stream,
) -> Option<Charge> {
    let bill_date = AS_OF - Duration::days(s.range(1, 200));
    let (admin, kbk, amount, purpose, term_days, act) = match kind {
        ChargeKind::TrafficFine => {
            let (amount, article) = *s.pick(&[
                (50_000, "12.9 ч.2"),
                (50_000, "12.16 ч.1"),
                (100_000, "12.12 ч.1"),
                (150_000, "12.16 ч.4"),
                (500_000, "12.15 ч.4"),
            ])?;
            (
                "188",
                "18811601123010001140",
                amount,
                format!(
                    "Штраф по ст. {article} КоАП РФ, постановление от {}",
                    ru_date(bill_date)
                ),
                60,
                Some(format!(
                    "Постановление по делу об административном правонарушении, ст. {article} КоАП РФ"
                )),
            )
        }
        ChargeKind::PropertyTax => (
            "182",
            "18210601020041000110",
            s.range(30_000, 2_500_000),
            format!(
                "Налог на имущество физических лиц за {} год",
                AS_OF.year() - 1
            ),
            30,
            None,
        ),
        ChargeKind::TransportTax => (
            "182",
            "18210604012021000110",
            s.range(80_000, 1_800_000),
            format!(
                "Транспортный налог с физических лиц за {} год",
                AS_OF.year() - 1
            ),
            30,
            None,
        ),
        ChargeKind::BailiffDebt => (
            "322",
            "32211502010010000140",
            s.range(500_000, 30_000_000),
            "Задолженность по исполнительному производству".to_owned(),
            5,
            Some(format!(
                "Исполнительное производство № {}/{}/{}-ИП",
                s.range(1_000, 99_999),
                AS_OF.year() % 100,
                p.address.region_code
            )),
        ),
        ChargeKind::StateFee => (
            "182",
            "18210807010011000110",
            200_000,
            "Государственная пошлина за выдачу паспорта гражданина РФ".to_owned(),
            30,
            None,
        ),
    };
    let slot = p.index * CHARGE_SLOTS + k;
    let body = format!(
        "{admin}{}{}",
        digits(pop.codes().uin.forward(slot), 12),
        digits(
            u64::from(bill_date.month() as u8) * 100 + (bill_date.year() % 100) as u64,
            4
        )
    );
    let uin: Uin = build::uin(&body).ok()?;
    let discount = (kind == ChargeKind::TrafficFine).then(|| Discount::Size {
        value: 50,
        expiry: bill_date + Duration::days(20),
    });
    Some(Charge {
        uin: uin.to_string(),
        kind,
        bill_date,
        valid_until: Some(bill_date + Duration::days(365)),
        payment_term: bill_date + Duration::days(term_days),
        total_amount: amount,
        purpose,
        kbk: kbk.into(),
        oktmo: format!(
            "{}{}",
            oktmo_prefix(&p.address.region_code),
            digits(s.below(1_000_000), 6)
        ),
        payee: payee(kind, p, s),
        payer_identifier: payer_identifier(p),
        payer_name: p.full_name(),
        discount,
        legal_act: act,
    })
}

/// OKTMO begins with the region's OKATO code.
fn oktmo_prefix(region_code: &str) -> String {
    DATA.regions
        .iter()
        .find(|r| r.code == region_code)
        .map_or_else(|| "45".to_owned(), |r| r.okato.clone())
}

pub(super) fn charge_by_uin(pop: &Population, uin: &Uin) -> Option<(Person, Charge)> {
    let digits = uin.as_str();
    if digits.len() != 20 {
        return None;
    }
    let slot = pop.codes().uin.back(digits.get(3..15)?.parse().ok()?)?;
    let person = pop.person(slot / CHARGE_SLOTS)?;
    let found = charges(pop, &person)
        .into_iter()
        .find(|c| c.uin == digits)?;
    Some((person, found))
}

fn ru_date(d: Date) -> String {
    format!("{:02}.{:02}.{}", d.day(), d.month() as u8, d.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndfl_scales() {
        assert_eq!(ndfl(2024, 100_000_000), (13_000_000, 13));
        assert_eq!(ndfl(2024, 600_000_000).0, 65_000_000 + 15_000_000);
        assert_eq!(ndfl(2025, 300_000_000).0, 31_200_000 + 9_000_000);
        assert_eq!(ndfl(2025, 0).1, 13);
    }
}
