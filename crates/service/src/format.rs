//! Text forms of values in messages people read.

use time::{OffsetDateTime, UtcOffset};

/// Moscow time has been UTC+3 all year since 2014; messages name it so.
const MOSCOW: UtcOffset = match UtcOffset::from_hms(3, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// `24.11.2026 21:05` in Moscow time, the way Russian services write it.
/// The calendar day in Moscow (what "once a day" means to our users).
pub fn moscow_date(t: OffsetDateTime) -> time::Date {
    t.to_offset(MOSCOW).date()
}

pub fn moscow_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(MOSCOW);
    format!(
        "{:02}.{:02}.{} {:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moscow_is_three_hours_ahead() {
        let t = OffsetDateTime::from_unix_timestamp(1_795_543_500).unwrap();
        assert_eq!(t.to_string(), "2026-11-24 18:05:00.0 +00:00:00");
        assert_eq!(moscow_time(t), "24.11.2026 21:05");
    }
}
