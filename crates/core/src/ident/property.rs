//! Real-estate identifiers.

use super::numbers::is_separator;
use super::{IdentError, Kind, ident_type};

ident_type!(
    /// Росреестр cadastral number `AA:BB:CCCCCCC:K…`: district (2 digits), area
    /// (2), quarter (6 or 7), then the object's number (1 to 7 digits).
    CadastralNumber
);

impl CadastralNumber {
    pub fn parse(input: &str) -> Result<CadastralNumber, IdentError> {
        let s: String = input.chars().filter(|c| !is_separator(*c)).collect();
        if s.is_empty() {
            return Err(IdentError::Empty {
                kind: Kind::Cadastral,
            });
        }
        let parts: Vec<&str> = s.split(':').collect();
        let digits = |p: &str, lens: std::ops::RangeInclusive<usize>| {
            lens.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
        };
        let ok = parts.len() == 4
            && digits(parts[0], 2..=2)
            && digits(parts[1], 2..=2)
            && digits(parts[2], 6..=7)
            && digits(parts[3], 1..=7);
        if !ok {
            return Err(IdentError::Format {
                kind: Kind::Cadastral,
            });
        }
        Ok(CadastralNumber(s))
    }

    /// The cadastral district (`77` for Moscow).
    pub fn district(&self) -> &str {
        self.0.get(..2).unwrap_or_default()
    }
}
