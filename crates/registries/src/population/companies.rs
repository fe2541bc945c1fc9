//! ЕГРЮЛ and ЕГРИП: companies with their heads, and sole proprietors.
//!
//! Company 0 is the demo company, headed by the demo person Морозов; the
//! others are headed by generated people, one company per head, so "which
//! companies does this person head" is one inverse map away.

use propusk_core::ident::{InnOrg, Ogrn, Ogrnip, build};
use serde::Serialize;
use time::{Date, Duration, Month};

use super::person::add_years;
use super::{AS_OF, DEMO_COMPANY_OGRN, FIXTURES, Person, Population, field};
use crate::codes::{Stream, digits};
use crate::data::DATA;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyHead {
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    pub inn: String,
    pub position: String,
    /// The person's index in the population (not in the real registry).
    pub person_index: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Company {
    pub index: u64,
    pub ogrn: String,
    pub inn: String,
    pub kpp: String,
    #[serde(serialize_with = "crate::wire::iso::date")]
    pub ogrn_date: Date,
    /// «Общество с ограниченной ответственностью».
    pub opf_full: String,
    /// «ООО».
    pub opf: String,
    pub full_name: String,
    pub short_name: String,
    pub region_code: String,
    pub region: String,
    pub address: String,
    pub oktmo: String,
    pub okved: (String, String),
    pub head: CompanyHead,
    /// Date of liquidation, for the few that have ended.
    #[serde(serialize_with = "crate::wire::iso::option")]
    pub terminated: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entrepreneur {
    pub ogrnip: String,
    pub inn: String,
    #[serde(serialize_with = "crate::wire::iso::date")]
    pub ogrnip_date: Date,
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    pub region: String,
    pub okved: (String, String),
    #[serde(serialize_with = "crate::wire::iso::option")]
    pub terminated: Option<Date>,
    pub person_index: u64,
}

/// OGRNIPs of the demo sole proprietors Морозов and Кузнецова.
pub const DEMO_OGRNIPS: [&str; 2] = ["318770000123457", "321500000543216"];

const OKVED: [(&str, &str); 8] = [
    ("62.01", "Разработка компьютерного программного обеспечения"),
    (
        "47.11",
        "Торговля розничная преимущественно пищевыми продуктами в неспециализированных магазинах",
    ),
    ("41.20", "Строительство жилых и нежилых зданий"),
    ("49.41", "Деятельность автомобильного грузового транспорта"),
    (
        "56.10",
        "Деятельность ресторанов и услуги по доставке продуктов питания",
    ),
    (
        "69.20",
        "Деятельность по оказанию услуг в области бухгалтерского учета",
    ),
    ("46.90", "Торговля оптовая неспециализированная"),
    (
        "68.20",
        "Аренда и управление собственным или арендованным недвижимым имуществом",
    ),
];

fn opf(short: &str) -> &'static str {
    match short {
        "АО" => "Акционерное общество",
        "ПАО" => "Публичное акционерное общество",
        "ГБУ" | "ГБУЗ" => "Государственное бюджетное учреждение",
        "МБОУ" => "Муниципальное бюджетное общеобразовательное учреждение",
        "ФГУП" => "Федеральное государственное унитарное предприятие",
        _ => "Общество с ограниченной ответственностью",
    }
}

fn head_index(pop: &Population, company: u64) -> Option<u64> {
    if company == 0 {
        return Some(2); // Морозов
    }
    let generated = pop.size() - FIXTURES.len() as u64;
    if generated == 0 {
        return None;
    }
    Some(pop.codes().heads.forward(company - 1) + FIXTURES.len() as u64)
}

pub(super) fn company(pop: &Population, index: u64) -> Option<Company> {
    if index >= pop.companies() {
        return None;
    }
    let head = pop.person(head_index(pop, index)?)?;
    let mut s = Stream::new(pop.seed(), index, field::COMPANY);
    let region_code = head.address.region_code.clone();
    let (opf_short, name) = if index == 0 {
        ("ООО".to_owned(), "Пропуск Демо".to_owned())
    } else {
        s.pick(&DATA.employers).cloned().unwrap_or_default()
    };
    let ogrn_date = if index == 0 {
        Date::from_calendar_date(2020, Month::March, 2).ok()?
    } else {
        let earliest = add_years(head.birth_date, 21)
            .max(Date::from_calendar_date(2003, Month::January, 10).ok()?);
        let span = (AS_OF - earliest).whole_days().max(30);
        earliest + Duration::days(s.range(0, span - 1))
    };
    let (ogrn, inn) = if index == 0 {
        (DEMO_COMPANY_OGRN.to_owned(), "7712345671".to_owned())
    } else {
        let code = digits(pop.codes().company.forward(index), 7);
        let yy = digits((ogrn_date.year() % 100) as u64, 2);
        (
            build::ogrn(&format!("1{yy}{region_code}{code}"))
                .ok()?
                .to_string(),
            build::inn_org(&format!("{region_code}{code}"))
                .ok()?
                .to_string(),
        )
    };
    let kpp = format!("{}{}01001", region_code, inn.get(2..4).unwrap_or("01"));
    let okved = s
        .pick(&OKVED)
        .map(|(c, n)| ((*c).to_owned(), (*n).to_owned()))?;
    let (street_type, street) = s.pick(&DATA.streets).cloned().unwrap_or_default();
    let address = format!(
        "{}, {}, г. {}, {}. {}, д. {}, офис {}",
        head.address.zip_code,
        head.address.region,
        head.address.city,
        street_type,
        street,
        s.range(1, 90),
        s.range(1, 400)
    );
    let oktmo = format!(
        "{}{}",
        DATA.regions
            .iter()
            .find(|r| r.code == region_code)
            .map_or("45", |r| r.okato.as_str()),
        digits(s.below(1_000_000), 6)
    );
    let terminated =
        (index != 0 && s.chance(0.03)).then(|| AS_OF - Duration::days(s.range(10, 700)));
    Some(Company {
        index,
        ogrn,
        inn,
        kpp,
        ogrn_date,
        opf_full: opf(&opf_short).to_owned(),
        full_name: format!(
            "{} \"{}\"",
            opf(&opf_short).to_uppercase(),
            name.to_uppercase()
        ),
        short_name: format!("{opf_short} \"{name}\""),
        opf: opf_short,
        region: head.address.region.clone(),
        region_code,
        address,
        oktmo,
        okved,
        head: CompanyHead {
            last_name: head.last_name.clone(),
            first_name: head.first_name.clone(),
            middle_name: head.middle_name.clone(),
            inn: head.inn.to_string(),
            position: "ГЕНЕРАЛЬНЫЙ ДИРЕКТОР".into(),
            person_index: head.index,
        },
        terminated,
    })
}

pub(super) fn by_ogrn(pop: &Population, ogrn: &Ogrn) -> Option<Company> {
    if ogrn.as_str() == DEMO_COMPANY_OGRN {
        return company(pop, 0);
    }
    let code: u64 = ogrn.as_str().get(5..12)?.parse().ok()?;
    let index = pop.codes().company.back(code)?;
    company(pop, index).filter(|c| c.ogrn == ogrn.as_str())
}

pub(super) fn by_inn(pop: &Population, inn: &InnOrg) -> Option<Company> {
    let c0 = company(pop, 0)?;
    if c0.inn == inn.as_str() {
        return Some(c0);
    }
    let code: u64 = inn.as_str().get(2..9)?.parse().ok()?;
    let index = pop.codes().company.back(code)?;
    company(pop, index).filter(|c| c.inn == inn.as_str())
}

pub(super) fn headed_by(pop: &Population, person: &Person) -> Vec<Company> {
    let index = if person.index == 2 {
        Some(0)
    } else {
        person
            .index
            .checked_sub(FIXTURES.len() as u64)
            .and_then(|offset| pop.codes().heads.back(offset))
            .map(|c| c + 1)
    };
    index
        .and_then(|c| company(pop, c))
        .filter(|c| c.head.person_index == person.index)
        .into_iter()
        .collect()
}

/// Морозов (fixture 2, confirmed in the demo) and Кузнецова (fixture 3) are
/// the demo sole proprietors; about one generated adult in twenty-five is one too.
pub(super) fn entrepreneur(pop: &Population, p: &Person) -> Option<Entrepreneur> {
    let mut s = Stream::new(pop.seed(), p.index, field::ENTREPRENEUR);
    let fixture = p.index < FIXTURES.len() as u64;
    if fixture && !matches!(p.index, 2 | 3) || !fixture && (p.age() < 21 || !s.chance(0.04)) {
        return None;
    }
    let ogrnip_date = if p.index == 2 {
        Date::from_calendar_date(2018, Month::June, 4).ok()?
    } else if fixture {
        Date::from_calendar_date(2021, Month::April, 12).ok()?
    } else {
        let earliest = add_years(p.birth_date, 20)
            .max(Date::from_calendar_date(2004, Month::January, 12).ok()?);
        earliest + Duration::days(s.range(0, (AS_OF - earliest).whole_days().max(30) - 1))
    };
    let ogrnip = if p.index == 2 {
        DEMO_OGRNIPS[0].to_owned()
    } else if fixture {
        DEMO_OGRNIPS[1].to_owned()
    } else {
        let yy = digits((ogrnip_date.year() % 100) as u64, 2);
        let code = digits(pop.codes().ogrnip.forward(p.index), 9);
        build::ogrnip(&format!("3{yy}{}{code}", p.address.region_code))
            .ok()?
            .to_string()
    };
    let okved = s
        .pick(&OKVED)
        .map(|(c, n)| ((*c).to_owned(), (*n).to_owned()))?;
    Some(Entrepreneur {
        ogrnip,
        inn: p.inn.to_string(),
        ogrnip_date,
        last_name: p.last_name.clone(),
        first_name: p.first_name.clone(),
        middle_name: p.middle_name.clone(),
        region: p.address.region.clone(),
        okved,
        terminated: (!fixture && s.chance(0.05)).then(|| AS_OF - Duration::days(s.range(10, 900))),
        person_index: p.index,
    })
}

pub(super) fn entrepreneur_by_ogrnip(pop: &Population, ogrnip: &Ogrnip) -> Option<Entrepreneur> {
    if let Some(k) = DEMO_OGRNIPS.iter().position(|o| *o == ogrnip.as_str()) {
        return entrepreneur(pop, &pop.person(2 + k as u64)?);
    }
    let code: u64 = ogrnip.as_str().get(5..14)?.parse().ok()?;
    let index = pop.codes().ogrnip.back(code)?;
    entrepreneur(pop, &pop.person(index)?).filter(|e| e.ogrnip == ogrnip.as_str())
}
