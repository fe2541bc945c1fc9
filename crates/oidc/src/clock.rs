//! The time rules shared by every JWT the provider receives (client
//! assertions, DPoP proofs): FAPI 2.0 §5.3.2.1-14 asks to accept `iat` and
//! `nbf` up to 10 s in the future and to refuse more than 60 s. Between
//! the two we accept: clocks that far apart are rare, and refusing them
//! gains nothing.

/// How far in the future `iat`/`nbf` may be.
pub const MAX_FUTURE: i64 = 60;
/// Leeway for `exp` already past.
pub const EXP_LEEWAY: i64 = 5;

/// `iat` (if any) and `nbf` (if any) not more than [`MAX_FUTURE`] ahead.
pub fn not_from_future(iat: Option<i64>, nbf: Option<i64>, now: i64) -> bool {
    iat.is_none_or(|t| t <= now + MAX_FUTURE) && nbf.is_none_or(|t| t <= now + MAX_FUTURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_seconds_ahead_is_fine_and_a_minute_and_more_is_not() {
        assert!(not_from_future(Some(1010), None, 1000));
        assert!(not_from_future(Some(1060), Some(1000), 1000));
        assert!(!not_from_future(Some(1061), None, 1000));
        assert!(!not_from_future(None, Some(1100), 1000));
        assert!(not_from_future(None, None, 1000));
    }
}
