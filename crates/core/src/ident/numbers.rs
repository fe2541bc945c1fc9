//! Shared helpers: input clean-up and the check-digit arithmetic.

use super::{IdentError, Kind};

/// Characters people put between digit groups: spaces of every width, hyphens
/// and dashes of every kind.
pub(crate) fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{00ad}')
}

/// The digits of `input` once separators are dropped, as numbers 0–9.
pub(crate) fn digits(input: &str, kind: Kind) -> Result<Vec<u8>, IdentError> {
    let mut out = Vec::with_capacity(input.len());
    for c in input.chars() {
        if is_separator(c) {
            continue;
        }
        match c.to_digit(10) {
            Some(d) if c.is_ascii_digit() => out.push(d as u8),
            _ => return Err(IdentError::NotDigits { kind }),
        }
    }
    if out.is_empty() {
        return Err(IdentError::Empty { kind });
    }
    Ok(out)
}

pub(crate) fn digits_len(
    input: &str,
    kind: Kind,
    lengths: &'static [usize],
) -> Result<Vec<u8>, IdentError> {
    let d = digits(input, kind)?;
    if lengths.contains(&d.len()) {
        Ok(d)
    } else {
        Err(IdentError::Length {
            kind,
            expected: lengths,
            got: d.len(),
        })
    }
}

pub(crate) fn to_string(d: &[u8]) -> String {
    d.iter().map(|&x| char::from(b'0' + x)).collect()
}

/// Σ dᵢ·wᵢ over the shorter of the two.
pub(crate) fn weighted(d: &[u8], weights: &[u32]) -> u32 {
    d.iter().zip(weights).map(|(&x, &w)| u32::from(x) * w).sum()
}

/// The number the digits spell, modulo `m` (no overflow for any length).
pub(crate) fn modulo(d: &[u8], m: u64) -> u64 {
    d.iter().fold(0u64, |acc, &x| (acc * 10 + u64::from(x)) % m)
}
