//! Identifiers of organizations and payments: OGRN, OGRNIP, KPP, UIN, OKTMO.

use super::numbers::{digits_len, is_separator, modulo, to_string};
use super::{IdentError, Kind, ident_type};

ident_type!(
    /// Primary state registration number of a legal entity (13 digits).
    Ogrn
);
ident_type!(
    /// Primary state registration number of a sole proprietor (15 digits).
    Ogrnip
);

/// ФНС control: the leading digits as a number, mod `m`, then mod 10.
pub(crate) fn ogrn_check(d: &[u8], m: u64) -> u8 {
    (modulo(d, m) % 10) as u8
}

impl Ogrn {
    pub fn parse(input: &str) -> Result<Ogrn, IdentError> {
        let d = digits_len(input, Kind::Ogrn, &[13])?;
        if ogrn_check(&d[..12], 11) != d[12] {
            return Err(IdentError::Checksum { kind: Kind::Ogrn });
        }
        Ok(Ogrn(to_string(&d)))
    }
}

impl Ogrnip {
    pub fn parse(input: &str) -> Result<Ogrnip, IdentError> {
        let d = digits_len(input, Kind::Ogrnip, &[15])?;
        if ogrn_check(&d[..14], 13) != d[14] {
            return Err(IdentError::Checksum { kind: Kind::Ogrnip });
        }
        Ok(Ogrnip(to_string(&d)))
    }
}

ident_type!(
    /// Tax registration reason code: `NNNNPPNNN`, where PP may be digits or A–Z.
    Kpp
);

impl Kpp {
    pub fn parse(input: &str) -> Result<Kpp, IdentError> {
        let s: String = input
            .chars()
            .filter(|c| !is_separator(*c))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if s.is_empty() {
            return Err(IdentError::Empty { kind: Kind::Kpp });
        }
        let b = s.as_bytes();
        let ok = b.len() == 9
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4..6]
                .iter()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            && b[6..].iter().all(u8::is_ascii_digit);
        if !ok {
            return Err(IdentError::Format { kind: Kind::Kpp });
        }
        Ok(Kpp(s))
    }
}

ident_type!(
    /// Unique identifier of a charge in ГИС ГМП (20 or 25 digits).
    Uin
);

/// Казначейство control digit: weights 1…10 cycling, mod 11; a result of 10 is
/// recomputed with the cycle shifted by two (3…10, 1, 2, …); a second 10 gives 0.
/// (The shift wraps: weights 11 and 12 would be wrong, and the published
/// 25-digit example `0355431000000000011629713` only checks with the wrap.)
pub(crate) fn uin_check(d: &[u8]) -> u8 {
    let pass = |start: u32| -> u32 {
        d.iter()
            .enumerate()
            .map(|(i, &x)| u32::from(x) * ((start - 1 + i as u32) % 10 + 1))
            .sum::<u32>()
            % 11
    };
    match pass(1) {
        10 => match pass(3) {
            10 => 0,
            c => c as u8,
        },
        c => c as u8,
    }
}

impl Uin {
    pub fn parse(input: &str) -> Result<Uin, IdentError> {
        let d = digits_len(input, Kind::Uin, &[20, 25])?;
        let (body, last) = d.split_at(d.len() - 1);
        if uin_check(body) != last[0] {
            return Err(IdentError::Checksum { kind: Kind::Uin });
        }
        Ok(Uin(to_string(&d)))
    }
}

ident_type!(
    /// Municipal territory code (8 digits, or 11 for a settlement).
    Oktmo
);

impl Oktmo {
    pub fn parse(input: &str) -> Result<Oktmo, IdentError> {
        Ok(Oktmo(to_string(&digits_len(input, Kind::Oktmo, &[8, 11])?)))
    }
}
