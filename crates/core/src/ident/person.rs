//! Identifiers of a person: INN, SNILS, passport, division code.

use super::numbers::{digits, digits_len, to_string, weighted};
use super::{IdentError, Kind, ident_type};

const INN10_W: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN11_W: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN12_W: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

/// ФНС check digit: weighted sum mod 11, then mod 10.
pub(crate) fn inn_check(d: &[u8], w: &[u32]) -> u8 {
    (weighted(d, w) % 11 % 10) as u8
}

ident_type!(
    /// INN of an organization: 10 digits, the last a check digit.
    InnOrg
);
ident_type!(
    /// INN of a person (and of a sole proprietor): 12 digits, two check digits.
    InnPerson
);

impl InnOrg {
    pub fn parse(input: &str) -> Result<InnOrg, IdentError> {
        Self::from_digits(digits_len(input, Kind::InnOrg, &[10])?, Kind::InnOrg)
    }

    fn from_digits(d: Vec<u8>, kind: Kind) -> Result<InnOrg, IdentError> {
        if inn_check(&d[..9], &INN10_W) != d[9] {
            return Err(IdentError::Checksum { kind });
        }
        Ok(InnOrg(to_string(&d)))
    }
}

impl InnPerson {
    pub fn parse(input: &str) -> Result<InnPerson, IdentError> {
        Self::from_digits(digits_len(input, Kind::InnPerson, &[12])?, Kind::InnPerson)
    }

    fn from_digits(d: Vec<u8>, kind: Kind) -> Result<InnPerson, IdentError> {
        if inn_check(&d[..10], &INN11_W) != d[10] || inn_check(&d[..11], &INN12_W) != d[11] {
            return Err(IdentError::Checksum { kind });
        }
        Ok(InnPerson(to_string(&d)))
    }
}

/// Either INN, told apart by length.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(untagged)]
pub enum Inn {
    Org(InnOrg),
    Person(InnPerson),
}

impl Inn {
    pub fn parse(input: &str) -> Result<Inn, IdentError> {
        let d = digits_len(input, Kind::Inn, &[10, 12])?;
        if d.len() == 10 {
            InnOrg::from_digits(d, Kind::Inn).map(Inn::Org)
        } else {
            InnPerson::from_digits(d, Kind::Inn).map(Inn::Person)
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Inn::Org(i) => i.as_str(),
            Inn::Person(i) => i.as_str(),
        }
    }
}

impl std::fmt::Display for Inn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Inn {
    type Err = IdentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Inn::parse(s)
    }
}

impl<'de> serde::Deserialize<'de> for Inn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Inn::parse(&s).map_err(|e| serde::de::Error::custom(e.message(crate::Lang::En)))
    }
}

ident_type!(
    /// SNILS, shown as `XXX-XXX-XXX YY`.
    Snils
);

/// Numbers up to 001-001-998 were issued before the check was introduced.
const SNILS_UNCHECKED_MAX: u32 = 1_001_998;

/// СФР control number: Σ dᵢ·(9−i); < 100 as is; 100 and 101 → 00; above, mod 101
/// (where 100 again → 00).
pub(crate) fn snils_check(d: &[u8]) -> u8 {
    let sum = weighted(&d[..9], &[9, 8, 7, 6, 5, 4, 3, 2, 1]);
    let c = if sum < 100 {
        sum
    } else if sum <= 101 {
        0
    } else {
        sum % 101
    };
    if c == 100 { 0 } else { c as u8 }
}

impl Snils {
    pub fn parse(input: &str) -> Result<Snils, IdentError> {
        let d = digits_len(input, Kind::Snils, &[11])?;
        let number: u32 = d[..9].iter().fold(0, |acc, &x| acc * 10 + u32::from(x));
        let control = d[9] * 10 + d[10];
        if number > SNILS_UNCHECKED_MAX && snils_check(&d) != control {
            return Err(IdentError::Checksum { kind: Kind::Snils });
        }
        let s = to_string(&d);
        Ok(Snils(format!(
            "{}-{}-{} {}",
            &s[0..3],
            &s[3..6],
            &s[6..9],
            &s[9..11]
        )))
    }

    /// The 11 digits without separators.
    pub fn digits(&self) -> String {
        self.0.chars().filter(char::is_ascii_digit).collect()
    }
}

ident_type!(
    /// A Russian internal passport: series (4 digits) and number (6), `4508 123456`.
    Passport
);

impl Passport {
    pub fn parse(input: &str) -> Result<Passport, IdentError> {
        // «45 08 № 123456», «4508N123456»: the number sign is decoration.
        let cleaned: String = input
            .chars()
            .filter(|c| !matches!(c, '№' | 'N' | 'n'))
            .collect();
        let d = digits_len(&cleaned, Kind::Passport, &[10])?;
        if d[4..].iter().all(|&x| x == 0) || d[..4].iter().all(|&x| x == 0) {
            return Err(IdentError::Format {
                kind: Kind::Passport,
            });
        }
        let s = to_string(&d);
        Ok(Passport(format!("{} {}", &s[..4], &s[4..])))
    }

    pub fn series(&self) -> &str {
        self.0.get(..4).unwrap_or_default()
    }

    pub fn number(&self) -> &str {
        self.0.get(5..).unwrap_or_default()
    }
}

ident_type!(
    /// The code of the passport office that issued a passport, `NNN-NNN`.
    DivisionCode
);

impl DivisionCode {
    pub fn parse(input: &str) -> Result<DivisionCode, IdentError> {
        let d = digits(input, Kind::DivisionCode)?;
        if d.len() != 6 {
            return Err(IdentError::Format {
                kind: Kind::DivisionCode,
            });
        }
        let s = to_string(&d);
        Ok(DivisionCode(format!("{}-{}", &s[..3], &s[3..])))
    }
}
