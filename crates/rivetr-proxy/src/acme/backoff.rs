//! [`Retry`]: one domain's back-off state after failed orders, following
//! [`Backoff`].

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::config::Backoff;

/// The window of the hourly failure cap.
const HOUR: Duration = Duration::from_secs(60 * 60);

/// One domain's failures: how many in a row, and when the recent ones were.
#[derive(Debug)]
pub(crate) struct Retry {
    policy: Backoff,
    in_a_row: u32,
    /// Failures within the last hour, oldest first.
    recent: VecDeque<Instant>,
}

impl Retry {
    pub(crate) fn new(policy: Backoff) -> Self {
        Self {
            policy,
            in_a_row: 0,
            recent: VecDeque::new(),
        }
    }

    /// Record a failure at `now`; the wait before the next attempt: the
    /// exponential step (`initial * 2^(n-1)`, at most `max`), or longer
    /// when the hourly cap is reached (until the oldest failure of the
    /// last hour is an hour old).
    pub(crate) fn failed(&mut self, now: Instant) -> Duration {
        self.in_a_row = self.in_a_row.saturating_add(1);
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= HOUR)
        {
            self.recent.pop_front();
        }
        self.recent.push_back(now);
        let doublings = self.in_a_row.saturating_sub(1).min(31);
        let step = self
            .policy
            .initial
            .saturating_mul(1u32 << doublings)
            .min(self.policy.max);
        let cap = usize::try_from(self.policy.max_failures_per_hour).unwrap_or(usize::MAX);
        let capped = if self.recent.len() >= cap {
            // The attempt after this one must fall outside the hour that
            // holds `cap` failures: when the `cap`-th newest is an hour old.
            let index = self.recent.len() - cap;
            self.recent.get(index).map_or(Duration::ZERO, |t| {
                (*t + HOUR).saturating_duration_since(now)
            })
        } else {
            Duration::ZERO
        };
        step.max(capped)
    }

    /// Record a success: the next failure starts from `initial` again.
    pub(crate) fn succeeded(&mut self) {
        self.in_a_row = 0;
        self.recent.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(initial_secs: u64, max_secs: u64, per_hour: u32) -> Backoff {
        Backoff {
            initial: Duration::from_secs(initial_secs),
            max: Duration::from_secs(max_secs),
            max_failures_per_hour: per_hour,
        }
    }

    #[test]
    fn doubles_up_to_the_ceiling_and_resets_on_success() {
        let mut retry = Retry::new(policy(60, 300, 100));
        let mut now = Instant::now();
        let mut waits = Vec::new();
        for _ in 0..5 {
            let wait = retry.failed(now);
            waits.push(wait.as_secs());
            now += wait;
        }
        assert_eq!(waits, vec![60, 120, 240, 300, 300]);
        retry.succeeded();
        assert_eq!(retry.failed(now).as_secs(), 60);
    }

    #[test]
    fn never_more_failures_per_hour_than_the_cap() {
        // A tiny back-off: the hourly cap alone paces the attempts.
        let mut retry = Retry::new(policy(1, 1, 3));
        let start = Instant::now();
        let mut now = start;
        let mut attempts = Vec::new();
        for _ in 0..10 {
            attempts.push(now);
            now += retry.failed(now);
        }
        for (i, first) in attempts.iter().enumerate() {
            let in_hour = attempts[i..]
                .iter()
                .filter(|t| t.duration_since(*first) < HOUR)
                .count();
            assert!(
                in_hour <= 3,
                "{in_hour} failures within an hour of attempt {i}"
            );
        }
    }

    #[test]
    fn defaults_stay_under_lets_encrypt_limit() {
        // Let's Encrypt: 5 failed validations per hostname per hour.
        let mut retry = Retry::new(Backoff::default());
        let mut now = Instant::now();
        let mut attempts = vec![now];
        for _ in 0..20 {
            now += retry.failed(now);
            attempts.push(now);
        }
        for (i, first) in attempts.iter().enumerate() {
            let in_hour = attempts[i..]
                .iter()
                .filter(|t| t.duration_since(*first) < HOUR)
                .count();
            assert!(in_hour < 5, "{in_hour} attempts within an hour");
        }
        let longest = attempts.windows(2).map(|w| w[1] - w[0]).max();
        assert_eq!(longest, Some(Backoff::default().max));
    }
}
