//! The synthetic population: people, their documents, income, pension,
//! property and charges, companies with heads, and sole proprietors.
//!
//! Everything is a pure function of `(seed, size, index)`: a record is
//! generated when it is asked for, and identifiers decode back to the index
//! they were made from (`codes`). So the population takes no memory and no
//! start-up time whatever its size, and the same seed gives the same people
//! on every machine. The first indexes are the documented demo people
//! (`fixtures`), whose data is written out by hand.

mod assets;
mod companies;
mod fixtures;
mod person;
#[cfg(test)]
mod tests;
mod words;

pub use assets::{
    Charge, ChargeKind, Discount, Encumbrance, Estate, EstateKind, Income, IncomeMonth, Payee,
    Pension, PensionYear, RightKind, payer_identifier,
};
pub use companies::{Company, CompanyHead, DEMO_OGRNIPS, Entrepreneur};
pub use fixtures::{DEMO_COMPANY_OGRN, FIXTURES};
pub use person::{Address, DocStatus, Gender, PassportDoc, Person};

use propusk_core::ident::{InnOrg, InnPerson, Ogrn, Ogrnip, Passport, Snils, Uin};
use time::{Date, Month};

use crate::codes::Affine;

/// The day the population is "as of": ages, document dates, incomes and
/// charges are reckoned from it, so the data does not drift with the clock.
pub const AS_OF: Date = match Date::from_calendar_date(2026, Month::November, 1) {
    Ok(d) => d,
    Err(_) => Date::MIN,
};

/// The most people one population holds: the identifier codes have room for
/// this many (cadastral quarters are the tightest: 4 objects × 2.5 M).
pub const MAX_PEOPLE: u64 = 2_500_000;

/// Field numbers that keep each kind of draw apart (see `codes::Stream`).
pub(crate) mod field {
    pub const PERSON: u64 = 1;
    pub const INCOME: u64 = 2;
    pub const ESTATE: u64 = 3;
    pub const CHARGES: u64 = 4;
    pub const COMPANY: u64 = 5;
    pub const ENTREPRENEUR: u64 = 6;
    pub const PENSION: u64 = 7;
}

/// One deterministic population.
#[derive(Debug, Clone)]
pub struct Population {
    seed: u64,
    size: u64,
    codes: Codes,
}

/// The invertible maps from indexes to identifier bodies.
#[derive(Debug, Clone)]
pub(crate) struct Codes {
    pub snils: Affine,
    pub inn: Affine,
    pub passport: Affine,
    pub phone: Affine,
    pub quarter: Affine,
    pub uin: Affine,
    pub company: Affine,
    pub ogrnip: Affine,
    /// Company → its head (a generated person).
    pub heads: Affine,
}

impl Population {
    /// `size` people (at least the fixtures, at most [`MAX_PEOPLE`]).
    pub fn new(seed: u64, size: u64) -> Population {
        let size = size.clamp(FIXTURES.len() as u64, MAX_PEOPLE);
        let generated = (size - FIXTURES.len() as u64).max(1);
        let key = |n: u64| seed.wrapping_mul(0x100_0000_01b3).wrapping_add(n);
        Population {
            seed,
            size,
            codes: Codes {
                snils: Affine::new(998_000_000, key(1)),
                inn: Affine::new(100_000_000, key(2)),
                passport: Affine::new(1_000_000, key(3)),
                phone: Affine::new(1_000_000_000, key(4)),
                quarter: Affine::new(10_000_000, key(5)),
                uin: Affine::new(1_000_000_000_000, key(6)),
                company: Affine::new(10_000_000, key(7)),
                ogrnip: Affine::new(1_000_000_000, key(8)),
                heads: Affine::new(generated, key(9)),
            },
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub(crate) fn codes(&self) -> &Codes {
        &self.codes
    }

    /// How many companies there are: one for every twenty people, and the
    /// demo company.
    pub fn companies(&self) -> u64 {
        (self.size / 20).max(10)
    }

    /// Person `index`, or `None` past the end.
    pub fn person(&self, index: u64) -> Option<Person> {
        if index >= self.size {
            return None;
        }
        fixtures::person(index).or_else(|| person::generate(self, index))
    }

    /// Every person in order, generated one at a time.
    pub fn people(&self) -> impl Iterator<Item = Person> + '_ {
        (0..self.size).filter_map(|i| self.person(i))
    }

    pub fn by_snils(&self, snils: &Snils) -> Option<Person> {
        if let Some(p) = fixtures::find(|p| &p.snils == snils) {
            return Some(p);
        }
        let number: u64 = snils.digits().get(..9)?.parse().ok()?;
        let index = self.codes.snils.back(number.checked_sub(2_000_000)?)?;
        self.generated(index).filter(|p| &p.snils == snils)
    }

    pub fn by_inn(&self, inn: &InnPerson) -> Option<Person> {
        if let Some(p) = fixtures::find(|p| &p.inn == inn) {
            return Some(p);
        }
        let body: u64 = inn.as_str().get(2..10)?.parse().ok()?;
        let index = self.codes.inn.back(body)?;
        self.generated(index).filter(|p| &p.inn == inn)
    }

    /// By mobile number (`+79…`), as a bank knows its customers.
    pub fn by_phone(&self, phone: &propusk_core::ident::Phone) -> Option<Person> {
        if let Some(p) = fixtures::find(|p| &p.phone == phone) {
            return Some(p);
        }
        let body: u64 = phone.as_str().strip_prefix("+79")?.parse().ok()?;
        let index = self.codes.phone.back(body)?;
        self.generated(index).filter(|p| &p.phone == phone)
    }

    pub fn by_passport(&self, passport: &Passport) -> Option<Person> {
        let wanted = (passport.series(), passport.number());
        let same = |p: &Person| (p.passport.series.as_str(), p.passport.number.as_str()) == wanted;
        if let Some(p) = fixtures::find(same) {
            return Some(p);
        }
        let number: u64 = passport.number().parse().ok()?;
        let low = self.codes.passport.back(number)?;
        // Numbers repeat every million people; the series tells them apart.
        (0..=self.size / 1_000_000)
            .filter_map(|m| self.generated(low + m * 1_000_000))
            .find(same)
    }

    /// A generated person by its position among the generated ones.
    fn generated(&self, offset: u64) -> Option<Person> {
        let index = offset.checked_add(FIXTURES.len() as u64)?;
        if index < self.size {
            person::generate(self, index)
        } else {
            None
        }
    }

    pub fn income(&self, person: &Person) -> Vec<Income> {
        assets::income(self, person)
    }

    pub fn pension(&self, person: &Person) -> Pension {
        assets::pension(self, person)
    }

    pub fn estate(&self, person: &Person) -> Vec<Estate> {
        assets::estate(self, person)
    }

    pub fn estate_by_number(&self, cadastral: &str) -> Option<(Person, Estate)> {
        assets::estate_by_number(self, cadastral)
    }

    pub fn charges(&self, person: &Person) -> Vec<Charge> {
        assets::charges(self, person)
    }

    pub fn charge_by_uin(&self, uin: &Uin) -> Option<(Person, Charge)> {
        assets::charge_by_uin(self, uin)
    }

    pub fn company(&self, index: u64) -> Option<Company> {
        companies::company(self, index)
    }

    pub fn company_by_ogrn(&self, ogrn: &Ogrn) -> Option<Company> {
        companies::by_ogrn(self, ogrn)
    }

    pub fn company_by_inn(&self, inn: &InnOrg) -> Option<Company> {
        companies::by_inn(self, inn)
    }

    /// The companies a person heads (per ЕГРЮЛ).
    pub fn companies_headed(&self, person: &Person) -> Vec<Company> {
        companies::headed_by(self, person)
    }

    /// The person's sole proprietorship, if they registered one.
    pub fn entrepreneur(&self, person: &Person) -> Option<Entrepreneur> {
        companies::entrepreneur(self, person)
    }

    pub fn entrepreneur_by_ogrnip(&self, ogrnip: &Ogrnip) -> Option<Entrepreneur> {
        companies::entrepreneur_by_ogrnip(self, ogrnip)
    }
}
