//! Money as whole kopecks. Floats never touch an amount: a rouble sum that
//! cannot be represented exactly in binary would drift on every payment.

use std::fmt;
use std::ops::{Add, Sub};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not an amount: use roubles with up to two decimals, e.g. 1500.50")]
    Syntax,
    #[error("amount out of range")]
    Overflow,
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_kopecks(kopecks: i64) -> Money {
        Money(kopecks)
    }

    pub const fn kopecks(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// Applies a discount in whole percent, rounding the discounted amount up to the
    /// kopeck: a payer is never asked for less than the law allows.
    pub fn discounted(self, percent: u8) -> Money {
        let pct = i128::from(percent.min(100));
        let full = i128::from(self.0);
        let kept = full * (100 - pct);
        let rounded = if kept >= 0 {
            (kept + 99) / 100
        } else {
            kept / 100
        };
        Money(i64::try_from(rounded).unwrap_or(self.0))
    }

    /// Parses roubles as people type them: `1500`, `1500.5`, `1 500,50`, `-3.10`.
    pub fn parse_rubles(input: &str) -> Result<Money, MoneyError> {
        let cleaned: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '_'))
            .map(|c| if c == ',' { '.' } else { c })
            .collect();
        let (negative, body) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole)
            || (!frac.is_empty() && !digits(frac))
            || frac.len() > 2
            || body.ends_with('.')
        {
            return Err(MoneyError::Syntax);
        }
        let rub: i64 = whole.parse().map_err(|_| MoneyError::Overflow)?;
        let kop: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| MoneyError::Syntax)? * 10,
            _ => frac.parse::<i64>().map_err(|_| MoneyError::Syntax)?,
        };
        let total = rub
            .checked_mul(100)
            .and_then(|k| k.checked_add(kop))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money(if negative { -total } else { total }))
    }
}

impl Add for Money {
    type Output = Money;
    /// Saturates rather than wraps: an overflowing sum is a bug upstream, and a
    /// saturated value is loud in review while a wrapped one is a silent refund.
    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for Money {
    /// `1 500,50 ₽` would be locale work for templates; here the plain `1500.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Money::parse_rubles("1500").unwrap().kopecks(), 150_000);
        assert_eq!(Money::parse_rubles("1 500,5").unwrap().kopecks(), 150_050);
        assert_eq!(Money::parse_rubles("-3.10").unwrap().kopecks(), -310);
        assert_eq!(Money::parse_rubles("0.07").unwrap().kopecks(), 7);
        for bad in ["", "1.234", "abc", "1.", ".5", "--1", "1e3", "₽"] {
            assert!(Money::parse_rubles(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Money::parse_rubles("99999999999999999999"),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn discount_rounds_up_to_the_kopeck() {
        assert_eq!(Money::from_kopecks(50_000).discounted(50).kopecks(), 25_000);
        assert_eq!(Money::from_kopecks(101).discounted(50).kopecks(), 51);
        assert_eq!(Money::from_kopecks(101).discounted(0).kopecks(), 101);
        assert_eq!(Money::from_kopecks(101).discounted(200).kopecks(), 0);
    }

    proptest! {
        #[test]
        fn display_round_trips(k in -1_000_000_000_000i64..1_000_000_000_000) {
            let m = Money::from_kopecks(k);
            prop_assert_eq!(Money::parse_rubles(&m.to_string()).unwrap(), m);
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = Money::parse_rubles(&s);
        }
    }
}
