//! Rules of signing in: when repeated failures lock a login out, how many
//! failures one address may cause, how long a session lives, and how a
//! browser's `User-Agent` is shown back to its owner.
//!
//! The counters these rules read live in the database so that every node of a
//! cluster sees the same numbers; here are only the decisions.

use time::{Duration, OffsetDateTime};

/// Exponential back-off after repeated wrong passwords: the first
/// `free_failures` cost nothing, then each further failure locks the login for
/// `base`, `2·base`, `4·base`… up to `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub free_failures: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            free_failures: 5,
            base: Duration::minutes(1),
            cap: Duration::hours(1),
        }
    }
}

impl LockoutPolicy {
    /// How long a login waits after its `failures`-th consecutive failure.
    pub fn lock_for(&self, failures: u32) -> Option<Duration> {
        if failures < self.free_failures {
            return None;
        }
        let doublings = failures - self.free_failures;
        // 2^6 = 64 base periods already passes any sensible cap; stop there so
        // the multiplication can never overflow.
        let factor = 1i32 << doublings.min(16);
        Some(self.base.saturating_mul(factor).min(self.cap))
    }

    /// The lock that follows a failure, given the failures before it.
    pub fn after_failure(
        &self,
        previous: u32,
        now: OffsetDateTime,
    ) -> (u32, Option<OffsetDateTime>) {
        let failures = previous.saturating_add(1);
        (failures, self.lock_for(failures).map(|d| now + d))
    }
}

/// Failures one client address may cause across all logins within `window`
/// before it has to wait: stops one address from trying a password against
/// many accounts, which per-login lockout alone does not see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressLimit {
    pub max_failures: u32,
    pub window: Duration,
}

impl Default for AddressLimit {
    fn default() -> Self {
        AddressLimit {
            max_failures: 30,
            window: Duration::minutes(15),
        }
    }
}

impl AddressLimit {
    /// `Some(retry_at)` when an address with these failure times must wait.
    /// `recent` holds the failure times within the window, any order.
    pub fn check(&self, now: OffsetDateTime, recent: &[OffsetDateTime]) -> Option<OffsetDateTime> {
        let mut inside: Vec<OffsetDateTime> = recent
            .iter()
            .copied()
            .filter(|t| *t > now - self.window)
            .collect();
        if inside.len() < self.max_failures as usize {
            return None;
        }
        inside.sort_unstable();
        // Free again when enough of the oldest failures leave the window.
        let leaving = inside.len() + 1 - self.max_failures as usize;
        inside.get(leaving - 1).map(|t| *t + self.window)
    }
}

/// How long a session lives without use, and at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
    /// `last_seen` is written at most this often, so reading pages is not a
    /// database write each time.
    pub touch_every: Duration,
    /// A session waiting for the second factor lives this long at most.
    pub pending: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
            touch_every: Duration::minutes(1),
            pending: Duration::minutes(10),
        }
    }
}

impl SessionPolicy {
    /// Is a session created at `created` and last seen at `last_seen` still alive?
    pub fn alive(
        &self,
        created: OffsetDateTime,
        last_seen: OffsetDateTime,
        now: OffsetDateTime,
    ) -> bool {
        now < created + self.absolute && now < last_seen + self.idle
    }

    pub fn needs_touch(&self, last_seen: OffsetDateTime, now: OffsetDateTime) -> bool {
        now - last_seen >= self.touch_every
    }
}

/// A short human name for a browser and system, e.g. "Chrome, Windows", from a
/// `User-Agent` header. Only well-known tokens are looked for; anything else is
/// "unknown" rather than a guess, and nothing from the header is echoed.
pub fn device_summary(user_agent: &str) -> String {
    let ua = user_agent;
    let browser = if ua.contains("YaBrowser/") {
        "Yandex Browser"
    } else if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("OPR/") || ua.contains("Opera") {
        "Opera"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("HeadlessChrome/") {
        "Headless Chrome"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.starts_with("curl/") {
        "curl"
    } else {
        "unknown browser"
    };
    let system = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") || ua.contains("X11") {
        "Linux"
    } else {
        "unknown system"
    };
    format!("{browser}, {system}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lockout_starts_after_five_and_doubles_to_an_hour() {
        let p = LockoutPolicy::default();
        let minutes: Vec<Option<i64>> = (1..=13)
            .map(|n| p.lock_for(n).map(|d| d.whole_minutes()))
            .collect();
        assert_eq!(
            minutes,
            [
                None,
                None,
                None,
                None,
                Some(1),
                Some(2),
                Some(4),
                Some(8),
                Some(16),
                Some(32),
                Some(60),
                Some(60),
                Some(60)
            ]
        );
        assert_eq!(p.lock_for(u32::MAX), Some(Duration::hours(1)));
    }

    #[test]
    fn after_failure_counts_and_dates_the_lock() {
        let p = LockoutPolicy::default();
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(p.after_failure(0, now), (1, None));
        assert_eq!(
            p.after_failure(4, now),
            (5, Some(now + Duration::minutes(1)))
        );
        assert_eq!(p.after_failure(u32::MAX, now).0, u32::MAX);
    }

    #[test]
    fn address_limit_frees_when_the_oldest_failures_leave_the_window() {
        let limit = AddressLimit {
            max_failures: 3,
            window: Duration::minutes(10),
        };
        let t0 = OffsetDateTime::UNIX_EPOCH + Duration::hours(1);
        let times = [t0, t0 + Duration::minutes(1), t0 + Duration::minutes(2)];
        let now = t0 + Duration::minutes(3);
        assert_eq!(limit.check(now, &times[..2]), None);
        assert_eq!(limit.check(now, &times), Some(t0 + Duration::minutes(10)));
        // Old failures do not count.
        assert_eq!(limit.check(t0 + Duration::minutes(11), &times), None);
    }

    #[test]
    fn sessions_end_idle_or_at_the_absolute_limit() {
        let p = SessionPolicy::default();
        let t0 = OffsetDateTime::UNIX_EPOCH;
        assert!(p.alive(t0, t0, t0 + Duration::minutes(29)));
        assert!(!p.alive(t0, t0, t0 + Duration::minutes(30)));
        let late = t0 + Duration::hours(12);
        assert!(!p.alive(t0, late - Duration::minutes(1), late));
        assert!(p.needs_touch(t0, t0 + Duration::minutes(1)));
        assert!(!p.needs_touch(t0, t0 + Duration::seconds(59)));
    }

    #[test]
    fn devices_are_named_from_well_known_tokens() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
                "Chrome, Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
                "Safari, iOS",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
                "Firefox, Linux",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 YaBrowser/24.1 Mobile Safari/537.36",
                "Yandex Browser, Android",
            ),
            ("curl/8.5.0", "curl, unknown system"),
            ("", "unknown browser, unknown system"),
        ];
        for (ua, want) in cases {
            assert_eq!(device_summary(ua), want, "{ua}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(n in any::<u32>(), ua in ".*") {
            let _ = LockoutPolicy::default().lock_for(n);
            let s = device_summary(&ua);
            prop_assert!(s.len() < 40);
        }
    }
}
