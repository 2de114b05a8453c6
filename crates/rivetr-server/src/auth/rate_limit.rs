//! Sign-in rate limiting per client address.
//!
//! Each client key (an IPv4 address, or the /64 network of an IPv6
//! address, since one host usually owns a whole /64) has a token bucket
//! (kept as a GCRA "theoretical arrival time", one instant per key): it
//! holds up to `burst` attempts and refills at `per_minute` attempts a
//! minute. A refused attempt says how long to wait (`Retry-After`).
//!
//! Memory is bounded: past `max_keys` keys, the key inserted longest ago is
//! forgotten (which only makes its next attempts start from a full
//! bucket). [`RateLimiter::prune`] forgets keys whose bucket is full again
//! (they hold no information); the server calls it now and then.
//!
//! The clock is passed in (`now`), so tests move time without sleeping.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How many attempts are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained attempts per minute (at least 1).
    pub per_minute: u32,
    /// Attempts allowed at once after a quiet period (at least 1).
    pub burst: u32,
    /// Most client keys remembered.
    pub max_keys: usize,
}

impl Default for RateLimit {
    /// 10 attempts a minute, bursts of 10, 100 000 keys (a few MiB).
    fn default() -> Self {
        Self {
            per_minute: 10,
            burst: 10,
            max_keys: 100_000,
        }
    }
}

/// An attempt was refused; try again after the duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts; try again in {} s", self.seconds())]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds to wait, rounded up (the `Retry-After` header value;
    /// at least 1).
    #[must_use]
    pub fn seconds(&self) -> u64 {
        let secs = self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0);
        secs.max(1)
    }
}

/// The key a client address is counted under: an IPv4 address, or an
/// IPv6 address's /64 (IPv4-mapped IPv6 addresses count as IPv4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    /// The key of `addr`.
    #[must_use]
    pub fn of(addr: IpAddr) -> Self {
        match addr.to_canonical() {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => {
                let network = u128::from(v6) & !u128::from(u64::MAX);
                Self(IpAddr::V6(network.into()))
            }
        }
    }
}

/// Counts attempts per client key; shared by all requests (`&self`).
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    tolerance: Duration,
    max_keys: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Per key: the instant its bucket is full again.
    full_at: HashMap<ClientKey, Instant>,
    /// Keys in insertion order, for eviction (same keys as `full_at`).
    order: VecDeque<ClientKey>,
}

impl RateLimiter {
    /// A limiter with `limit` (a zero `per_minute` or `burst` counts as 1,
    /// a zero `max_keys` as 1).
    #[must_use]
    pub fn new(limit: RateLimit) -> Self {
        let interval = Duration::from_secs(60) / limit.per_minute.max(1);
        Self {
            interval,
            tolerance: interval * (limit.burst.max(1) - 1),
            max_keys: limit.max_keys.max(1),
            state: Mutex::default(),
        }
    }

    /// Count an attempt from `addr` at `now`.
    ///
    /// # Errors
    ///
    /// [`RetryAfter`] when the client has no attempt left; a refused
    /// attempt is not counted.
    pub fn check(&self, addr: IpAddr, now: Instant) -> Result<(), RetryAfter> {
        let key = ClientKey::of(addr);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let full_at = state.full_at.get(&key).map_or(now, |at| (*at).max(now));
        let used = full_at - now;
        if used > self.tolerance {
            return Err(RetryAfter(used - self.tolerance));
        }
        let next = full_at + self.interval;
        if state.full_at.insert(key, next).is_none() {
            state.order.push_back(key);
            while state.order.len() > self.max_keys {
                if let Some(old) = state.order.pop_front() {
                    state.full_at.remove(&old);
                }
            }
        }
        Ok(())
    }

    /// Forget every key whose bucket is full at `now` (no attempt in the
    /// window): O(keys), for a periodic clean-up.
    pub fn prune(&self, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.full_at.retain(|_, full_at| *full_at > now);
        let State { full_at, order } = &mut *state;
        order.retain(|key| full_at.contains_key(key));
    }

    /// How many keys are remembered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .full_at
            .len()
    }

    /// Whether no key is remembered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn limiter(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter::new(RateLimit {
            per_minute,
            burst,
            max_keys: 1000,
        })
    }

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let limiter = limiter(10, 10);
        let t0 = Instant::now();
        let a = ip("203.0.113.7");
        for i in 0..10 {
            assert_eq!(limiter.check(a, t0), Ok(()), "attempt {i}");
        }
        let refused = limiter.check(a, t0).unwrap_err();
        assert_eq!(refused, RetryAfter(Duration::from_secs(6)));
        assert_eq!(refused.seconds(), 6);
        assert_eq!(refused.to_string(), "too many attempts; try again in 6 s");
        // Refused attempts do not push the wait further.
        assert_eq!(limiter.check(a, t0), Err(refused));
        // After the wait, exactly one more attempt.
        let t1 = t0 + Duration::from_secs(6);
        assert_eq!(limiter.check(a, t1), Ok(()));
        assert!(limiter.check(a, t1).is_err());
        // A part of the interval later, still refused, with the remainder.
        let t2 = t1 + Duration::from_millis(5500);
        assert_eq!(
            limiter.check(a, t2),
            Err(RetryAfter(Duration::from_millis(500)))
        );
        // A quiet minute refills the whole burst.
        let t3 = t1 + Duration::from_secs(60);
        for _ in 0..10 {
            assert_eq!(limiter.check(a, t3), Ok(()));
        }
        assert!(limiter.check(a, t3).is_err());
    }

    #[test]
    fn clients_are_counted_apart() {
        let limiter = limiter(1, 1);
        let t0 = Instant::now();
        assert!(limiter.check(ip("198.51.100.1"), t0).is_ok());
        assert!(limiter.check(ip("198.51.100.1"), t0).is_err());
        assert!(limiter.check(ip("198.51.100.2"), t0).is_ok());
        assert_eq!(
            limiter.check(ip("198.51.100.2"), t0),
            Err(RetryAfter(Duration::from_secs(60)))
        );
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let limiter = limiter(1, 2);
        let t0 = Instant::now();
        assert!(limiter.check(ip("2001:db8:1:2::1"), t0).is_ok());
        assert!(limiter.check(ip("2001:db8:1:2:ffff:0:0:9"), t0).is_ok());
        assert!(limiter.check(ip("2001:db8:1:2::abcd"), t0).is_err());
        assert!(limiter.check(ip("2001:db8:1:3::1"), t0).is_ok());
        assert!(limiter.check(ip("192.0.2.1"), t0).is_ok());
        assert!(limiter.check(ip("::ffff:192.0.2.1"), t0).is_ok());
        assert!(limiter.check(ip("192.0.2.1"), t0).is_err());
        assert_eq!(
            ClientKey::of(ip("2001:db8:1:2:3:4:5:6")),
            ClientKey::of(ip("2001:db8:1:2::"))
        );
    }

    #[test]
    fn memory_is_bounded_by_evicting_the_oldest_key() {
        let limiter = RateLimiter::new(RateLimit {
            per_minute: 1,
            burst: 1,
            max_keys: 3,
        });
        let t0 = Instant::now();
        for i in 1..=3 {
            limiter.check(ip(&format!("10.0.0.{i}")), t0).unwrap();
        }
        assert_eq!(limiter.len(), 3);
        assert!(limiter.check(ip("10.0.0.1"), t0).is_err());
        limiter.check(ip("10.0.0.4"), t0).unwrap();
        assert_eq!(limiter.len(), 3);
        // 10.0.0.1 was forgotten; 10.0.0.2 was not.
        assert!(limiter.check(ip("10.0.0.1"), t0).is_ok());
        assert!(limiter.check(ip("10.0.0.3"), t0).is_err());
    }

    #[test]
    fn prune_forgets_full_buckets_only() {
        let limiter = limiter(1, 1);
        let t0 = Instant::now();
        limiter.check(ip("10.0.0.1"), t0).unwrap();
        limiter
            .check(ip("10.0.0.2"), t0 + Duration::from_secs(30))
            .unwrap();
        limiter.prune(t0 + Duration::from_secs(60));
        assert_eq!(limiter.len(), 1);
        assert!(
            limiter
                .check(ip("10.0.0.2"), t0 + Duration::from_secs(60))
                .is_err()
        );
        limiter.prune(t0 + Duration::from_secs(90));
        assert!(limiter.is_empty());
    }

    #[test]
    fn zero_settings_are_clamped() {
        let limiter = RateLimiter::new(RateLimit {
            per_minute: 0,
            burst: 0,
            max_keys: 0,
        });
        let t0 = Instant::now();
        assert!(limiter.check(ip("10.0.0.1"), t0).is_ok());
        assert!(limiter.check(ip("10.0.0.1"), t0).is_err());
        assert_eq!(limiter.len(), 1);
        assert_eq!(RetryAfter(Duration::from_millis(1)).seconds(), 1);
    }
}
