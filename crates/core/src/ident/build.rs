//! Identifiers built from their bodies, with the check digits computed: for
//! synthetic data (the registry emulator) and tests, so no generated value
//! ever carries a hand-typed or wrong control number.
//!
//! Each builder takes the digits before the check digits and returns the
//! parsed type; a body of the wrong length or with a non-digit is an error,
//! never a panic.

use super::numbers::to_string;
use super::org::{ogrn_check, uin_check};
use super::person::{inn_check, snils_check};
use super::{IdentError, InnOrg, InnPerson, Kind, Ogrn, Ogrnip, Snils, Uin};

fn body(input: &str, kind: Kind, len: usize) -> Result<Vec<u8>, IdentError> {
    let d: Vec<u8> = input
        .bytes()
        .map(|b| b.wrapping_sub(b'0'))
        .take_while(|&d| d <= 9)
        .collect();
    if d.len() != input.len() {
        return Err(IdentError::NotDigits { kind });
    }
    if d.len() != len {
        return Err(IdentError::Format { kind });
    }
    Ok(d)
}

/// An organization's INN from its first 9 digits.
pub fn inn_org(first9: &str) -> Result<InnOrg, IdentError> {
    let mut d = body(first9, Kind::InnOrg, 9)?;
    d.push(inn_check(&d, &[2, 4, 10, 3, 5, 9, 4, 6, 8]));
    InnOrg::parse(&to_string(&d))
}

/// A person's INN from its first 10 digits.
pub fn inn_person(first10: &str) -> Result<InnPerson, IdentError> {
    let mut d = body(first10, Kind::InnPerson, 10)?;
    d.push(inn_check(&d, &[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]));
    d.push(inn_check(&d, &[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]));
    InnPerson::parse(&to_string(&d))
}

/// A SNILS from its 9-digit number. Numbers up to 001-001-998 predate the
/// control number; they are refused here so that every built SNILS is checked.
pub fn snils(number9: &str) -> Result<Snils, IdentError> {
    let d = body(number9, Kind::Snils, 9)?;
    if d.iter().fold(0u32, |acc, &x| acc * 10 + u32::from(x)) <= 1_001_998 {
        return Err(IdentError::Format { kind: Kind::Snils });
    }
    let c = snils_check(&d);
    Snils::parse(&format!("{}{c:02}", to_string(&d)))
}

/// An OGRN from its first 12 digits.
pub fn ogrn(first12: &str) -> Result<Ogrn, IdentError> {
    let mut d = body(first12, Kind::Ogrn, 12)?;
    d.push(ogrn_check(&d, 11));
    Ogrn::parse(&to_string(&d))
}

/// An OGRNIP from its first 14 digits.
pub fn ogrnip(first14: &str) -> Result<Ogrnip, IdentError> {
    let mut d = body(first14, Kind::Ogrnip, 14)?;
    d.push(ogrn_check(&d, 13));
    Ogrnip::parse(&to_string(&d))
}

/// A UIN from its first 19 (or 24) digits.
pub fn uin(body_digits: &str) -> Result<Uin, IdentError> {
    let len = if body_digits.len() == 24 { 24 } else { 19 };
    let mut d = body(body_digits, Kind::Uin, len)?;
    d.push(uin_check(&d));
    Uin::parse(&to_string(&d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_values_match_published_examples() {
        // Sberbank's INN and OGRN, and a SNILS from the СФР sample.
        assert_eq!(inn_org("770708389").unwrap().as_str(), "7707083893");
        assert_eq!(ogrn("102770013219").unwrap().as_str(), "1027700132195");
        assert_eq!(snils("112233445").unwrap().as_str(), "112-233-445 95");
        assert_eq!(
            uin("0355431000000000011629713".get(..24).unwrap())
                .unwrap()
                .as_str(),
            "0355431000000000011629713"
        );
    }

    #[test]
    fn bad_bodies_are_errors() {
        assert!(inn_org("77070838").is_err());
        assert!(inn_person("77070838x3").is_err());
        assert!(snils("001001998").is_err());
        assert!(ogrnip("").is_err());
        assert!(uin("１２３").is_err());
    }

    proptest::proptest! {
        #[test]
        fn every_body_gives_a_value_that_parses(n in 0u64..10_000_000_000) {
            let s10 = format!("{n:010}");
            let (ogrn_body, ogrnip_body, uin_body) =
                (format!("1{s10}5"), format!("3{s10}123"), format!("188{s10}000000"));
            proptest::prop_assert!(inn_person(&s10).is_ok());
            proptest::prop_assert!(inn_org(&s10[1..]).is_ok());
            proptest::prop_assert!(ogrn(&ogrn_body).is_ok());
            proptest::prop_assert!(ogrnip(&ogrnip_body).is_ok());
            proptest::prop_assert!(uin(&uin_body).is_ok());
            if n % 1_000_000_000 > 1_001_998 {
                proptest::prop_assert!(snils(&s10[1..]).is_ok());
            }
        }
    }
}
