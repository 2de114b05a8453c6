//! [`RouteMetrics`]: one route's request counters and latency histogram,
//! updated with relaxed atomic adds only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::StatusCode;

/// Upper bounds of the latency histogram's buckets, in seconds as
/// Prometheus prints them and in nanoseconds; a last `+Inf` bucket follows.
pub(crate) const BUCKETS: [(&str, u64); 15] = [
    ("0.0005", 500_000),
    ("0.001", 1_000_000),
    ("0.0025", 2_500_000),
    ("0.005", 5_000_000),
    ("0.01", 10_000_000),
    ("0.025", 25_000_000),
    ("0.05", 50_000_000),
    ("0.1", 100_000_000),
    ("0.25", 250_000_000),
    ("0.5", 500_000_000),
    ("1", 1_000_000_000),
    ("2.5", 2_500_000_000),
    ("5", 5_000_000_000),
    ("10", 10_000_000_000),
    ("30", 30_000_000_000),
];

/// The status classes, as labelled.
pub(crate) const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Who wrote a response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The app (through its upstream).
    Upstream,
    /// The proxy itself: refusals, unknown hosts, redirects, maintenance,
    /// unauthorized, upstream errors (502, 503, 504).
    #[default]
    Proxy,
}

impl Origin {
    /// Both, in label order.
    pub(crate) const ALL: [Self; 2] = [Self::Upstream, Self::Proxy];

    /// The `origin` label.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Upstream => "upstream",
            Self::Proxy => "proxy",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Upstream => 0,
            Self::Proxy => 1,
        }
    }
}

/// One route's counters: requests by origin and status class, and the
/// latency histogram (per-bucket counts, not cumulative, plus the sum).
#[derive(Debug, Default)]
pub(crate) struct RouteMetrics {
    requests: [[AtomicU64; CLASSES.len()]; 2],
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl RouteMetrics {
    /// Count one response with `status` from `origin`, whose head was
    /// ready `elapsed` after the request came in. A status above 599 counts
    /// as 5xx.
    pub(crate) fn record(&self, status: StatusCode, origin: Origin, elapsed: Duration) {
        let class = usize::from(status.as_u16() / 100).clamp(1, CLASSES.len()) - 1;
        if let Some(counter) = self.requests[origin.index()].get(class) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let bucket = (BUCKETS.iter())
            .position(|&(_, bound)| nanos <= bound)
            .unwrap_or(BUCKETS.len());
        if let Some(counter) = self.buckets.get(bucket) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Requests from `origin` in status class `class` (index into
    /// [`CLASSES`]).
    pub(crate) fn requests(&self, origin: Origin, class: usize) -> u64 {
        (self.requests[origin.index()].get(class)).map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// The histogram: per-bucket counts (the last one is `+Inf`) and the
    /// sum of latencies in nanoseconds.
    pub(crate) fn histogram(&self) -> ([u64; BUCKETS.len() + 1], u64) {
        let counts = std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed));
        (counts, self.sum_nanos.load(Ordering::Relaxed))
    }
}
