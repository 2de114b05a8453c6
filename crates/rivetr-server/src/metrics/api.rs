//! The API's requests: counted per route template, method and status
//! class, timed per route template and method.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::histogram::Histogram;

/// Request figures of the API.
#[derive(Debug, Default)]
pub struct ApiMetrics {
    series: Mutex<BTreeMap<(String, String), Series>>,
}

#[derive(Debug, Default)]
struct Series {
    by_class: BTreeMap<&'static str, u64>,
    latency: Histogram,
}

impl ApiMetrics {
    /// No requests yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn record(&self, route: String, method: String, status: u16, seconds: f64) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = series.entry((route, method)).or_default();
        *entry.by_class.entry(class).or_default() += 1;
        entry.latency.observe(seconds);
    }

    pub(super) fn render(&self, out: &mut String) {
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        out.push_str("# HELP rivetr_api_requests_total API requests by route, method and status class.\n# TYPE rivetr_api_requests_total counter\n");
        for ((route, method), s) in series.iter() {
            for (class, n) in &s.by_class {
                let _ = writeln!(
                    out,
                    "rivetr_api_requests_total{{route=\"{route}\",method=\"{method}\",class=\"{class}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP rivetr_api_request_duration_seconds API request latency by route and method.\n# TYPE rivetr_api_request_duration_seconds histogram\n");
        for ((route, method), s) in series.iter() {
            let labels = format!("route=\"{route}\",method=\"{method}\"");
            s.latency
                .render(out, "rivetr_api_request_duration_seconds", &labels);
        }
    }
}

/// Middleware counting and timing every request. Requests that match no
/// route are counted under `route="unmatched"` (paths are never labels:
/// they would let a client grow the series without bound).
pub async fn track_requests(
    State(metrics): State<Arc<ApiMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.record(
        route,
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
