//! One generated person: name in the right gender forms, birth, documents,
//! registration address and contacts.

use propusk_core::ident::{InnPerson, Passport, Phone, Snils, build};
use serde::Serialize;
use time::{Date, Duration};

use super::{AS_OF, Population, field, words};
use crate::codes::{Stream, digits};
use crate::data::{DATA, Region};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Gender {
    #[serde(rename = "M")]
    Male,
    #[serde(rename = "F")]
    Female,
}

impl Gender {
    pub fn code(self) -> &'static str {
        match self {
            Gender::Male => "M",
            Gender::Female => "F",
        }
    }
}

/// What МВД says of a passport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DocStatus {
    Valid,
    /// Not replaced at 20 or 45 as the law asks.
    Expired,
    /// Declared lost by its holder.
    Lost,
    /// Replaced by a newer one (a change of name, damage).
    Replaced,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassportDoc {
    pub series: String,
    pub number: String,
    #[serde(serialize_with = "crate::wire::iso::date")]
    pub issue_date: Date,
    pub issued_by: String,
    /// `NNN-NNN`.
    pub division_code: String,
    pub status: DocStatus,
}

impl PassportDoc {
    pub fn parsed(&self) -> Option<Passport> {
        Passport::parse(&format!("{}{}", self.series, self.number)).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub region: String,
    pub region_code: String,
    pub city: String,
    pub street_type: String,
    pub street: String,
    pub house: String,
    pub flat: Option<String>,
    pub zip_code: String,
    pub fias_code: String,
}

impl Address {
    /// As written on a form: «394018, Воронежская область, г. Воронеж, ул. Московская, д. 1, кв. 5».
    pub fn line(&self) -> String {
        let mut s = format!(
            "{}, {}, г. {}, {}. {}, д. {}",
            self.zip_code, self.region, self.city, self.street_type, self.street, self.house
        );
        if let Some(f) = &self.flat {
            s.push_str(&format!(", кв. {f}"));
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub index: u64,
    pub gender: Gender,
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    #[serde(serialize_with = "crate::wire::iso::date")]
    pub birth_date: Date,
    pub birth_place: String,
    pub snils: Snils,
    pub inn: InnPerson,
    pub passport: PassportDoc,
    pub address: Address,
    pub phone: Phone,
    pub email: Option<String>,
    pub citizenship: String,
}

impl Person {
    /// «Фамилия Имя Отчество».
    pub fn full_name(&self) -> String {
        format!(
            "{} {} {}",
            self.last_name, self.first_name, self.middle_name
        )
        .trim()
        .to_owned()
    }

    /// Age in whole years on the population's date.
    pub fn age(&self) -> i32 {
        age_on(self.birth_date, AS_OF)
    }

    pub fn region(&self) -> Option<&'static Region> {
        DATA.regions
            .iter()
            .find(|r| r.code == self.address.region_code)
    }
}

pub(crate) fn age_on(birth: Date, on: Date) -> i32 {
    let mut years = on.year() - birth.year();
    if (on.month() as u8, on.day()) < (birth.month() as u8, birth.day()) {
        years -= 1;
    }
    years
}

/// Moscow, its oblast and St Petersburg hold about a quarter of the people.
fn pick_region(s: &mut Stream) -> &'static Region {
    let regions = &DATA.regions;
    let big = match s.below(100) {
        0..=11 => Some("77"),
        12..=18 => Some("50"),
        19..=23 => Some("78"),
        _ => None,
    };
    big.and_then(|code| regions.iter().find(|r| r.code == code))
        .or_else(|| s.pick(regions))
        .unwrap_or_else(|| fallback_region())
}

fn fallback_region() -> &'static Region {
    static MOSCOW: std::sync::LazyLock<Region> = std::sync::LazyLock::new(|| Region {
        code: "77".into(),
        okato: "45".into(),
        name: "г. Москва".into(),
        center: "Москва".into(),
        postal_prefix: "101".into(),
        phone_code: "495".into(),
    });
    &MOSCOW
}

pub(crate) fn add_years(d: Date, years: i32) -> Date {
    let y = d.year() + years;
    Date::from_calendar_date(y, d.month(), d.day())
        .or_else(|_| Date::from_calendar_date(y, d.month(), 28))
        .unwrap_or(d)
}

/// `None` only if an identifier body came out malformed, which the fixed
/// widths of `digits` rule out.
pub(super) fn generate(pop: &Population, index: u64) -> Option<Person> {
    let mut s = Stream::new(pop.seed(), index, field::PERSON);
    let codes = pop.codes();
    let offset = index - super::FIXTURES.len() as u64;
    let gender = if s.chance(0.54) {
        Gender::Female
    } else {
        Gender::Male
    };
    let (names, patronymics) = match gender {
        Gender::Male => (&DATA.male_names, &DATA.male_patronymics),
        Gender::Female => (&DATA.female_names, &DATA.female_patronymics),
    };
    let first_name = names.pick(s.next_u64()).to_owned();
    let middle_name = patronymics.pick(s.next_u64()).to_owned();
    let last_name = s
        .pick(&DATA.surnames)
        .map(|(m, f)| match gender {
            Gender::Male => m.clone(),
            Gender::Female => f.clone(),
        })
        .unwrap_or_default();

    // Adults of 18 to 85, fewer of the oldest.
    let age = if s.chance(0.8) {
        s.range(18, 65)
    } else {
        s.range(66, 85)
    } as i32;
    let birth_date =
        AS_OF - Duration::days(i64::from(age) * 365 + s.range(30, 360) + age as i64 / 4);

    let region = pick_region(&mut s);
    let birth_region = if s.chance(0.7) {
        region
    } else {
        pick_region(&mut s)
    };

    let snils_number = codes.snils.forward(offset) + 2_000_000;
    let snils = build::snils(&digits(snils_number, 9)).ok()?;
    let inn_body = format!("{}{}", region.code, digits(codes.inn.forward(offset), 8));
    let inn = build::inn_person(&inn_body).ok()?;

    let passport = passport(&mut s, pop, offset, birth_date, region);
    let address = address(&mut s, region);
    let phone_body = digits(codes.phone.forward(offset), 9);
    let phone = Phone::parse(&format!("+79{phone_body}")).ok()?;
    let email = s
        .chance(0.45)
        .then(|| words::email(&first_name, &last_name, offset, &mut s));
    Some(Person {
        index,
        gender,
        last_name,
        first_name,
        middle_name,
        birth_date,
        birth_place: format!("г. {}", birth_region.center),
        snils,
        inn,
        passport,
        address,
        phone,
        email,
        citizenship: "RUS".into(),
    })
}

fn passport(
    s: &mut Stream,
    pop: &Population,
    offset: u64,
    birth: Date,
    region: &Region,
) -> PassportDoc {
    let age = age_on(birth, AS_OF);
    // Passports are issued at 14 and replaced at 20 and 45; about 3% of
    // people hold one that МВД no longer counts.
    let expired = age >= 46 && s.chance(0.015);
    let issued_at_age = match age {
        _ if expired => 20,
        45.. => 45,
        20.. => 20,
        _ => 14,
    };
    let issue_date = add_years(birth, issued_at_age) + Duration::days(s.range(3, 80));
    let status = if expired {
        DocStatus::Expired
    } else if s.chance(0.008) {
        DocStatus::Lost
    } else if s.chance(0.007) {
        DocStatus::Replaced
    } else {
        DocStatus::Valid
    };
    let year = issue_date.year() as u64 + offset / 1_000_000;
    let series = format!("{}{}", region.okato, digits(year, 2));
    let number = digits(pop.codes().passport.forward(offset % 1_000_000), 6);
    let district = s.pick(&DATA.districts).cloned().unwrap_or_default();
    let template = s
        .pick(&DATA.issuers)
        .map_or("ГУ МВД России по г. {city}", String::as_str);
    let issued_by = template
        .replace("{city}", &region.center)
        .replace("{district_gen}", &district.1)
        .replace("{district}", &district.0);
    let division_code = format!(
        "{}{}-{}",
        region.code,
        s.below(4),
        digits(s.range(1, 60) as u64, 3)
    );
    PassportDoc {
        series,
        number,
        issue_date,
        issued_by,
        division_code,
        status,
    }
}

fn address(s: &mut Stream, region: &Region) -> Address {
    let (street_type, street) = s.pick(&DATA.streets).cloned().unwrap_or_default();
    let flat = s.chance(0.8).then(|| s.range(1, 320).to_string());
    let house = if s.chance(0.15) {
        format!("{}/{}", s.range(1, 120), s.range(1, 9))
    } else {
        s.range(1, 150).to_string()
    };
    let g = s.next_u64();
    let h = s.next_u64();
    Address {
        region: region.name.clone(),
        region_code: region.code.clone(),
        city: region.center.clone(),
        street_type,
        street,
        house,
        flat,
        zip_code: format!("{}{}", region.postal_prefix, digits(s.below(100), 3)),
        fias_code: format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            g >> 32,
            (g >> 16) & 0xffff,
            g & 0xfff,
            0x8000 | (h >> 48) & 0x3fff,
            h & 0xffff_ffff_ffff
        ),
    }
}
