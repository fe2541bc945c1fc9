//! When to try again after a failed delivery: exponential back-off with a
//! cap, and a last try after which the message is dead-lettered.

use time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    /// Tries in all, the first included.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::seconds(30),
            cap: Duration::hours(1),
            max_attempts: 8,
        }
    }
}

impl Backoff {
    /// After `attempts` failed tries: wait this long, or `None` to give up.
    pub fn after(&self, attempts: u32) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let doublings = attempts.saturating_sub(1).min(20);
        Some(self.base.saturating_mul(1i32 << doublings).min(self.cap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_then_gives_up() {
        let b = Backoff::default();
        let waits: Vec<Option<i64>> = (1..=9)
            .map(|n| b.after(n).map(|d| d.whole_seconds()))
            .collect();
        assert_eq!(
            waits,
            [
                Some(30),
                Some(60),
                Some(120),
                Some(240),
                Some(480),
                Some(960),
                Some(1920),
                None,
                None
            ]
        );
        let capped = Backoff {
            max_attempts: 100,
            ..b
        };
        assert_eq!(capped.after(50), Some(Duration::hours(1)));
        assert_eq!(capped.after(0), Some(Duration::seconds(30)));
    }
}
