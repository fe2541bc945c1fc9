//! Time as the domain sees it: UTC instants with microsecond precision.
//!
//! PostgreSQL keeps microseconds; truncating here means an instant read back from
//! either database is equal to the one written, which the audit hash relies on.

use time::OffsetDateTime;

/// Where "now" comes from. Services take a clock so tests can fix time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

/// The wall clock, truncated to microseconds, in UTC.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        truncate_micros(OffsetDateTime::now_utc())
    }
}

/// A clock that always says the same instant: for tests.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        truncate_micros(self.0)
    }
}

pub fn truncate_micros(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    let micros = t.nanosecond() / 1_000 * 1_000;
    t.replace_nanosecond(micros).unwrap_or(t)
}

/// The one text form of an instant used in hashes and logs: RFC 3339, UTC,
/// always six fractional digits, so equal instants always print equal.
pub fn canonical(t: OffsetDateTime) -> String {
    let t = truncate_micros(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn canonical_is_fixed_width_utc() {
        let t = datetime!(2026-11-23 10:05:03.123456789 +03:00);
        assert_eq!(canonical(t), "2026-11-23T07:05:03.123456Z");
        assert_eq!(
            canonical(datetime!(2026-01-02 00:00:00 UTC)),
            "2026-01-02T00:00:00.000000Z"
        );
    }
}
