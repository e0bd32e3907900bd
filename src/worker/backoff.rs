//! When a failed message is attempted again: exponential back-off with full jitter, and how
//! many attempts a message gets.

use std::time::Duration;

/// How the delay before the next attempt is drawn from the exponential curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Jitter {
    /// Uniformly between zero and the curve ("full jitter"): retries of many messages that
    /// failed together (an outage) spread out instead of arriving in waves.
    #[default]
    Full,
    /// Exactly the curve (predictable; for tests and for downstreams that want fixed steps).
    None,
}

/// Retries of a failed handler: the delay before attempt `n + 1` after attempt `n` failed is
/// `min(cap, base × factor^(n−1))`, jittered. Set per transport on the worker and overridable
/// per message type.
///
/// How many attempts: a message is attempted at most `max_retries + 1` times, `max_retries`
/// being stored on the message when it is dispatched (`DispatchOptions::max_retries`, default 3),
/// because the rescuer, which runs in SQL for every transport, enforces it too.
/// [`RetryPolicy::max_attempts`] can lower that limit for a transport or a message type; it
/// cannot raise it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// The delay after the first failed attempt (before jitter).
    pub base: Duration,
    /// The growth of the delay per further failure (≥ 1).
    pub factor: f64,
    /// The largest delay.
    pub cap: Duration,
    /// At most this many attempts (the first one included), if lower than the message's own
    /// `max_retries + 1`.
    pub max_attempts: Option<u32>,
    /// How the delay is drawn.
    pub jitter: Jitter,
}

impl Default for RetryPolicy {
    /// 1 s, doubling, at most 10 min, full jitter; as many attempts as the message allows.
    fn default() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(1),
            factor: 2.0,
            cap: Duration::from_secs(600),
            max_attempts: None,
            jitter: Jitter::Full,
        }
    }
}

impl RetryPolicy {
    /// The un-jittered delay after failed attempt `attempt` (1-based): the top of the range the
    /// jittered delay is drawn from.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(1_000) as i32;
        let seconds = self.base.as_secs_f64() * self.factor.max(1.0).powi(exponent);
        let cap = self.cap.as_secs_f64();
        if seconds.is_finite() && seconds < cap {
            Duration::from_secs_f64(seconds.max(0.0))
        } else {
            self.cap
        }
    }

    /// The delay after failed attempt `attempt` (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        match self.jitter {
            Jitter::None => ceiling,
            Jitter::Full if ceiling.is_zero() => ceiling,
            Jitter::Full => {
                Duration::from_secs_f64(rand::random_range(0.0..=ceiling.as_secs_f64()))
            }
        }
    }

    /// How many attempts a message with `max_retries` gets under this policy.
    pub fn attempts_allowed(&self, max_retries: i32) -> u32 {
        let by_message = u32::try_from(max_retries).unwrap_or(0).saturating_add(1);
        match self.max_attempts {
            Some(limit) => by_message.min(limit.max(1)),
            None => by_message,
        }
    }

    /// Why the policy is unusable, if it is.
    pub(crate) fn problem(&self) -> Option<String> {
        if !(self.factor.is_finite() && self.factor >= 1.0) {
            return Some(format!("retry factor {} must be a number ≥ 1", self.factor));
        }
        if self.base > self.cap {
            return Some(format!(
                "retry base {:?} is larger than its cap {:?}",
                self.base, self.cap
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_grows_by_the_factor_up_to_the_cap() {
        let policy = RetryPolicy {
            base: Duration::from_millis(100),
            factor: 3.0,
            cap: Duration::from_secs(2),
            max_attempts: None,
            jitter: Jitter::None,
        };
        let delays: Vec<u128> = (1..=6).map(|n| policy.delay(n).as_millis()).collect();
        assert_eq!(delays, [100, 300, 900, 2000, 2000, 2000]);
        assert_eq!(policy.ceiling(u32::MAX), Duration::from_secs(2));
    }

    #[test]
    fn full_jitter_stays_between_zero_and_the_curve_and_varies() {
        let policy = RetryPolicy {
            base: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        let draws: Vec<Duration> = (0..200).map(|_| policy.delay(3)).collect();
        assert!(draws.iter().all(|d| *d <= Duration::from_secs(4)));
        let distinct: std::collections::BTreeSet<_> = draws.iter().collect();
        assert!(distinct.len() > 150, "{} distinct draws", distinct.len());
        let mean = draws.iter().map(Duration::as_secs_f64).sum::<f64>() / 200.0;
        assert!((1.4..2.6).contains(&mean), "mean {mean}");
    }

    #[test]
    fn the_policy_can_lower_the_messages_attempts_but_not_raise_them() {
        let default = RetryPolicy::default();
        assert_eq!(default.attempts_allowed(3), 4);
        assert_eq!(default.attempts_allowed(0), 1);
        let two = RetryPolicy {
            max_attempts: Some(2),
            ..default
        };
        assert_eq!(two.attempts_allowed(3), 2);
        assert_eq!(two.attempts_allowed(0), 1);
        let zero = RetryPolicy {
            max_attempts: Some(0),
            ..default
        };
        assert_eq!(zero.attempts_allowed(5), 1);
    }

    #[test]
    fn unusable_policies_are_named() {
        let shrinking = RetryPolicy {
            factor: 0.5,
            ..RetryPolicy::default()
        };
        assert!(shrinking.problem().unwrap().contains("factor"));
        let inverted = RetryPolicy {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        assert!(inverted.problem().unwrap().contains("cap"));
        assert_eq!(RetryPolicy::default().problem(), None);
    }
}
