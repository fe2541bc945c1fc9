//! One-time codes sent by SMS or email: how they are made, how long they live,
//! how often they may be sent and how many wrong tries they allow.
//!
//! Codes are short by necessity, so their strength is in the limits: 3 tries,
//! 5 minutes, 5 sends an hour per contact. Stores keep only a keyed hash of a
//! code (a plain hash of six digits is reversed in microseconds).

use rand_core::CryptoRngCore;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodePolicy {
    pub digits: u32,
    pub ttl: Duration,
    pub max_attempts: u32,
    /// Earliest resend after the previous code to the same contact.
    pub resend_after: Duration,
    /// At most this many codes per contact within `window`.
    pub max_per_window: usize,
    pub window: Duration,
}

impl Default for CodePolicy {
    fn default() -> Self {
        CodePolicy {
            digits: 6,
            ttl: Duration::minutes(5),
            max_attempts: 3,
            resend_after: Duration::seconds(60),
            max_per_window: 5,
            window: Duration::hours(1),
        }
    }
}

/// Why a code may not be sent now, and from when it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendRefused {
    TooSoon { retry_at: OffsetDateTime },
    QuotaReached { retry_at: OffsetDateTime },
}

impl CodePolicy {
    /// Draws a code: uniform over all `digits`-digit strings, leading zeros kept.
    pub fn generate(&self, rng: &mut impl CryptoRngCore) -> String {
        let space = 10u32.pow(self.digits);
        // Rejection sampling: a plain `% space` would favour small codes.
        let limit = u32::MAX - (u32::MAX % space);
        loop {
            let x = rng.next_u32();
            if x < limit {
                return format!("{:0width$}", x % space, width = self.digits as usize);
            }
        }
    }

    /// May another code go to a contact that was sent codes at `recent` times?
    pub fn may_send(
        &self,
        now: OffsetDateTime,
        recent: &[OffsetDateTime],
    ) -> Result<(), SendRefused> {
        if let Some(last) = recent.iter().max() {
            let next = *last + self.resend_after;
            if now < next {
                return Err(SendRefused::TooSoon { retry_at: next });
            }
        }
        let mut in_window: Vec<OffsetDateTime> = recent
            .iter()
            .copied()
            .filter(|t| *t > now - self.window)
            .collect();
        if in_window.len() >= self.max_per_window {
            in_window.sort();
            let oldest = in_window[in_window.len() - self.max_per_window];
            return Err(SendRefused::QuotaReached {
                retry_at: oldest + self.window,
            });
        }
        Ok(())
    }

    /// Judges an attempt at a code issued at `issued_at` that has had
    /// `failed` wrong tries so far.
    pub fn judge(
        &self,
        now: OffsetDateTime,
        issued_at: OffsetDateTime,
        failed: u32,
        matches: bool,
    ) -> Attempt {
        if failed >= self.max_attempts {
            Attempt::Exhausted
        } else if now >= issued_at + self.ttl {
            Attempt::Expired
        } else if matches {
            Attempt::Accepted
        } else if failed + 1 >= self.max_attempts {
            Attempt::Exhausted
        } else {
            Attempt::Wrong {
                tries_left: self.max_attempts - failed - 1,
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Accepted,
    Wrong {
        tries_left: u32,
    },
    /// Out of tries: a new code must be requested.
    Exhausted,
    Expired,
}

/// Compares a typed code with the expected one, ignoring spaces people type.
pub fn normalize_input(input: &str) -> String {
    input.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

    #[test]
    fn codes_are_six_digits_and_vary() {
        let p = CodePolicy::default();
        let codes: std::collections::HashSet<String> =
            (0..200).map(|_| p.generate(&mut OsRng)).collect();
        assert!(codes.len() > 190);
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
    }

    #[test]
    fn resend_waits_a_minute_and_five_an_hour() {
        let p = CodePolicy::default();
        assert_eq!(p.may_send(T0, &[]), Ok(()));
        assert_eq!(
            p.may_send(T0 + Duration::seconds(30), &[T0]),
            Err(SendRefused::TooSoon {
                retry_at: T0 + Duration::seconds(60)
            })
        );
        assert_eq!(p.may_send(T0 + Duration::seconds(60), &[T0]), Ok(()));
        let sent: Vec<_> = (0..5).map(|i| T0 + Duration::minutes(i * 2)).collect();
        let now = T0 + Duration::minutes(20);
        assert_eq!(
            p.may_send(now, &sent),
            Err(SendRefused::QuotaReached {
                retry_at: T0 + Duration::hours(1)
            })
        );
        assert_eq!(p.may_send(T0 + Duration::minutes(61), &sent), Ok(()));
    }

    #[test]
    fn three_tries_and_five_minutes() {
        let p = CodePolicy::default();
        let now = T0 + Duration::minutes(1);
        assert_eq!(p.judge(now, T0, 0, true), Attempt::Accepted);
        assert_eq!(p.judge(now, T0, 0, false), Attempt::Wrong { tries_left: 2 });
        assert_eq!(p.judge(now, T0, 1, false), Attempt::Wrong { tries_left: 1 });
        assert_eq!(p.judge(now, T0, 2, false), Attempt::Exhausted);
        assert_eq!(
            p.judge(now, T0, 3, true),
            Attempt::Exhausted,
            "a right code after 3 failures is too late"
        );
        assert_eq!(
            p.judge(T0 + Duration::minutes(5), T0, 0, true),
            Attempt::Expired
        );
        assert_eq!(normalize_input(" 123 456 "), "123456");
    }
}
