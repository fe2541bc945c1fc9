//! The documented demo people at the start of every population: the
//! registries' side of the demo accounts (README), written out by hand so
//! the demo reads the same whatever the seed. Лебедев has no account: his
//! passport is one МВД no longer counts, for trying a rejection.

use propusk_core::ident::{InnPerson, Phone, Snils};
use time::{Date, Month};

use super::person::{Address, DocStatus, Gender, PassportDoc, Person};

/// OGRN of the demo company, whose head is Морозов.
pub const DEMO_COMPANY_OGRN: &str = "1207700012343";

pub struct Fixture {
    pub gender: Gender,
    pub name: [&'static str; 3],
    pub birth: (i32, Month, u8),
    pub birth_place: &'static str,
    pub snils: &'static str,
    pub inn: &'static str,
    pub passport: (
        &'static str,
        &'static str,
        (i32, Month, u8),
        &'static str,
        &'static str,
    ),
    pub passport_status: DocStatus,
    /// zip, region code, region, city, street type, street, house, flat.
    pub address: [&'static str; 8],
    pub phone: &'static str,
    pub email: Option<&'static str>,
}

pub const FIXTURES: [Fixture; 5] = [
    Fixture {
        gender: Gender::Male,
        name: ["Соколов", "Иван", "Петрович"],
        birth: (1990, Month::March, 14),
        birth_place: "г. Москва",
        snils: "123-456-789 64",
        inn: "771234567859",
        passport: (
            "4510",
            "123456",
            (2010, Month::March, 25),
            "ГУ МВД России по г. Москве",
            "770-001",
        ),
        passport_status: DocStatus::Valid,
        address: [
            "125009",
            "77",
            "г. Москва",
            "Москва",
            "ул",
            "Тверская",
            "12",
            "34",
        ],
        phone: "+79000000001",
        email: None,
    },
    Fixture {
        gender: Gender::Female,
        name: ["Волкова", "Мария", "Александровна"],
        birth: (1985, Month::July, 2),
        birth_place: "г. Воронеж",
        snils: "145-678-932 12",
        inn: "366412345604",
        passport: (
            "2005",
            "654321",
            (2005, Month::July, 20),
            "ОВД Центрального района г. Воронежа",
            "360-005",
        ),
        passport_status: DocStatus::Valid,
        address: [
            "394018",
            "36",
            "Воронежская область",
            "Воронеж",
            "ул",
            "Московская",
            "1",
            "5",
        ],
        phone: "+79000000002",
        email: None,
    },
    Fixture {
        gender: Gender::Male,
        name: ["Морозов", "Алексей", "Викторович"],
        birth: (1978, Month::November, 23),
        birth_place: "г. Москва",
        snils: "160-503-741 28",
        inn: "770123456703",
        passport: (
            "4523",
            "765432",
            (2023, Month::December, 5),
            "ГУ МВД России по г. Москве",
            "770-045",
        ),
        passport_status: DocStatus::Valid,
        address: [
            "129085",
            "77",
            "г. Москва",
            "Москва",
            "пр-кт",
            "Мира",
            "101",
            "7",
        ],
        phone: "+79000000003",
        email: Some("morozov@demo.propusk.test"),
    },
    Fixture {
        gender: Gender::Female,
        name: ["Кузнецова", "Елена", "Сергеевна"],
        birth: (1992, Month::May, 9),
        birth_place: "г. Красногорск",
        snils: "177-654-328 10",
        inn: "500345678979",
        passport: (
            "4612",
            "345678",
            (2012, Month::May, 20),
            "ТП УФМС России по Московской обл. в г. Красногорске",
            "500-112",
        ),
        passport_status: DocStatus::Valid,
        address: [
            "143401",
            "50",
            "Московская область",
            "Красногорск",
            "ул",
            "Ленина",
            "3",
            "12",
        ],
        phone: "+79000000004",
        email: None,
    },
    Fixture {
        gender: Gender::Male,
        name: ["Лебедев", "Павел", "Андреевич"],
        birth: (1975, Month::February, 11),
        birth_place: "г. Казань",
        snils: "186-432-571 91",
        inn: "773456789013",
        passport: (
            "9204",
            "112233",
            (1995, Month::March, 1),
            "ОВД Вахитовского района г. Казани",
            "162-001",
        ),
        passport_status: DocStatus::Expired,
        address: [
            "420111",
            "16",
            "Республика Татарстан",
            "Казань",
            "ул",
            "Баумана",
            "5",
            "10",
        ],
        phone: "+79000000005",
        email: None,
    },
];

fn date((y, m, d): (i32, Month, u8)) -> Option<Date> {
    Date::from_calendar_date(y, m, d).ok()
}

fn build(index: u64, f: &Fixture) -> Option<Person> {
    let [zip, code, region, city, street_type, street, house, flat] = f.address;
    Some(Person {
        index,
        gender: f.gender,
        last_name: f.name[0].into(),
        first_name: f.name[1].into(),
        middle_name: f.name[2].into(),
        birth_date: date(f.birth)?,
        birth_place: f.birth_place.into(),
        snils: Snils::parse(f.snils).ok()?,
        inn: InnPerson::parse(f.inn).ok()?,
        passport: PassportDoc {
            series: f.passport.0.into(),
            number: f.passport.1.into(),
            issue_date: date(f.passport.2)?,
            issued_by: f.passport.3.into(),
            division_code: f.passport.4.into(),
            status: f.passport_status,
        },
        address: Address {
            region: region.into(),
            region_code: code.into(),
            city: city.into(),
            street_type: street_type.into(),
            street: street.into(),
            house: house.into(),
            flat: Some(flat.into()),
            zip_code: zip.into(),
            fias_code: format!("00000000-0000-4000-8000-{:012}", index + 1),
        },
        phone: Phone::parse(f.phone).ok()?,
        email: f.email.map(str::to_owned),
        citizenship: "RUS".into(),
    })
}

pub fn person(index: u64) -> Option<Person> {
    FIXTURES
        .get(usize::try_from(index).ok()?)
        .and_then(|f| build(index, f))
}

/// The first fixture that `wanted` accepts.
pub fn find(wanted: impl Fn(&Person) -> bool) -> Option<Person> {
    (0..FIXTURES.len() as u64)
        .filter_map(person)
        .find(|p| wanted(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_is_well_formed() {
        for i in 0..FIXTURES.len() as u64 {
            let p = person(i).unwrap_or_else(|| panic!("fixture {i} does not build"));
            assert!(p.passport.parsed().is_some());
            assert!(p.age() >= 18);
        }
    }
}
