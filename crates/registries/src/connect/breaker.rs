//! A circuit breaker per registry: after `threshold` failed attempts in a
//! row the registry is left alone for `open_for`, calls failing at once
//! instead of piling up on a service that is down; then one probe goes
//! through, and its outcome closes the circuit or opens it again.
//!
//! The state is per process: each node learns for itself, which is what a
//! breaker is for (a node cut off from a registry should stop, whatever
//! the others see).

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    pub threshold: u32,
    pub open_for: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            threshold: 8,
            open_for: Duration::from_secs(15),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One probe is out; everyone else waits for its outcome.
    HalfOpen,
}

#[derive(Debug)]
pub struct Breaker {
    config: BreakerConfig,
    state: Mutex<State>,
}

/// May a call go ahead now?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    Go,
    /// Open: try again after this long.
    Wait(Duration),
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Breaker {
        Breaker {
            config,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    pub fn permit(&self, now: Instant) -> Permit {
        let Ok(mut s) = self.state.lock() else {
            return Permit::Go;
        };
        match *s {
            State::Closed { .. } => Permit::Go,
            State::Open { until } if now >= until => {
                *s = State::HalfOpen;
                Permit::Go
            }
            State::Open { until } => Permit::Wait(until - now),
            State::HalfOpen => Permit::Wait(Duration::from_millis(100)),
        }
    }

    pub fn success(&self) {
        if let Ok(mut s) = self.state.lock() {
            *s = State::Closed { failures: 0 };
        }
    }

    /// Records a failed attempt; true when it opened the circuit.
    pub fn failure(&self, now: Instant) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        let open = State::Open {
            until: now + self.config.open_for,
        };
        match *s {
            State::Closed { failures } if failures + 1 >= self.config.threshold => {
                *s = open;
                true
            }
            State::Closed { failures } => {
                *s = State::Closed {
                    failures: failures + 1,
                };
                false
            }
            State::HalfOpen | State::Open { .. } => {
                *s = open;
                true
            }
        }
    }

    pub fn is_open(&self) -> bool {
        self.state
            .lock()
            .map(|s| !matches!(*s, State::Closed { .. }))
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_then_lets_one_probe_through() {
        let b = Breaker::new(BreakerConfig {
            threshold: 3,
            open_for: Duration::from_secs(10),
        });
        let t0 = Instant::now();
        assert!(!b.failure(t0));
        assert!(!b.failure(t0));
        assert_eq!(b.permit(t0), Permit::Go);
        assert!(b.failure(t0));
        assert!(b.is_open());
        assert_eq!(
            b.permit(t0 + Duration::from_secs(4)),
            Permit::Wait(Duration::from_secs(6))
        );
        // After the pause one probe goes; the next caller waits for it.
        assert_eq!(b.permit(t0 + Duration::from_secs(10)), Permit::Go);
        assert!(matches!(
            b.permit(t0 + Duration::from_secs(10)),
            Permit::Wait(_)
        ));
        // A failed probe opens it again; a good one closes it.
        assert!(b.failure(t0 + Duration::from_secs(10)));
        assert_eq!(b.permit(t0 + Duration::from_secs(20)), Permit::Go);
        b.success();
        assert!(!b.is_open());
        assert_eq!(b.permit(t0 + Duration::from_secs(20)), Permit::Go);
    }

    #[test]
    fn a_success_resets_the_count() {
        let b = Breaker::new(BreakerConfig {
            threshold: 2,
            open_for: Duration::from_secs(1),
        });
        let t = Instant::now();
        assert!(!b.failure(t));
        b.success();
        assert!(!b.failure(t));
        assert!(b.failure(t));
    }
}
