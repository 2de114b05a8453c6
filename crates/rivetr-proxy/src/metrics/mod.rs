//! [`Metrics`]: requests, status classes and latency per route, rendered in
//! the Prometheus text format for the server's metrics endpoint.
//!
//! - `route`: `RouteMetrics`, one route's counters and latency histogram
//!   (atomics only);
//! - `render`: the Prometheus text exposition.
//!
//! # Labels and cardinality
//!
//! A route is labelled by its app id and its **configured** host pattern
//! (`app="…"`, `host="shop.example.com"` or `host="*.preview.example.com"`),
//! never by the host a client sent: a request for a host no route matches,
//! and one refused before routing (bad framing, bad `Host`), is counted
//! under the one fixed label set `app="none", host="unknown"`. The number of
//! label sets is thus bounded by the routes the table has had.
//!
//! # Cost on the request path
//!
//! Finding a route's metrics loads an immutable map ([`ArcSwap`]) and does
//! two hash lookups; counting is a few relaxed atomic adds. Only the first
//! request of a new route takes a lock, to add it to the map.

mod render;
mod route;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use rivetr_core::id::AppId;
use rivetr_core::input::HostPattern;

pub(crate) use self::route::{Origin, RouteMetrics};

/// Every route's metrics, by app, then by configured host pattern.
type RouteMap = HashMap<AppId, HashMap<HostPattern, Arc<RouteMetrics>>>;

/// The proxy's metrics: per route (app and configured host) request counts
/// by status class and origin, and a latency histogram. Shared by every
/// connection of a [`Proxy`](crate::server::Proxy), which exposes it.
///
/// # Example
///
/// ```
/// use rivetr_proxy::metrics::Metrics;
///
/// let metrics = Metrics::new();
/// let text = metrics.render_prometheus();
/// assert!(text.contains("# TYPE rivetr_proxy_requests_total counter"));
/// ```
#[derive(Debug, Default)]
pub struct Metrics {
    routes: ArcSwap<RouteMap>,
    /// Serializes adding routes (never taken to count a request).
    writer: Mutex<()>,
    /// Requests no route took: unknown hosts, and requests refused before
    /// routing.
    unrouted: Arc<RouteMetrics>,
    /// Password hashes verified (argon2 runs) for basic auth.
    auth_hash_checks: AtomicU64,
    /// Basic auth credentials accepted from the cache, without argon2.
    auth_cache_hits: AtomicU64,
}

impl Metrics {
    /// No requests counted yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The metrics of the route `host` of `app`, added on first use.
    pub(crate) fn route(&self, app: AppId, host: &HostPattern) -> Arc<RouteMetrics> {
        if let Some(found) = lookup(&self.routes.load(), app, host) {
            return found;
        }
        let _writer = (self.writer.lock()).unwrap_or_else(PoisonError::into_inner);
        let current = self.routes.load_full();
        if let Some(found) = lookup(&current, app, host) {
            return found;
        }
        let mut next = RouteMap::clone(&current);
        let metrics = Arc::new(RouteMetrics::default());
        (next.entry(app).or_default()).insert(host.clone(), Arc::clone(&metrics));
        self.routes.store(Arc::new(next));
        metrics
    }

    /// The metrics of requests no route took.
    pub(crate) fn unrouted(&self) -> &Arc<RouteMetrics> {
        &self.unrouted
    }

    /// Count one argon2 verification of a basic auth password.
    pub(crate) fn auth_hash_checked(&self) {
        self.auth_hash_checks.fetch_add(1, Ordering::Relaxed);
    }

    /// Count one basic auth credential accepted from the cache.
    pub(crate) fn auth_cache_hit(&self) {
        self.auth_cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Everything, in the Prometheus text exposition format (version
    /// 0.0.4): `rivetr_proxy_requests_total` (a counter by `app`, `host`,
    /// status `class` `1xx`…`5xx` and `origin`: `upstream` for the app's
    /// answers, `proxy` for those the proxy gave itself, such as 404, 502
    /// and redirects), `rivetr_proxy_request_duration_seconds` (a histogram
    /// by `app` and `host` of the time until the response head was ready),
    /// and the basic auth counters. Routes come sorted, so the output is
    /// stable. A request is counted when its response head is ready; one
    /// whose client left before that is not. Routes stay listed after they
    /// are removed from the table (until the proxy restarts).
    #[must_use]
    pub fn render_prometheus(&self) -> String {
        let routes = self.routes.load();
        let mut rows: Vec<render::Row<'_>> = (routes.iter())
            .flat_map(|(app, hosts)| {
                (hosts.iter()).map(move |(host, metrics)| render::Row {
                    app: app.to_string(),
                    host: host.to_string(),
                    metrics,
                })
            })
            .collect();
        rows.sort_by(|a, b| (&a.app, &a.host).cmp(&(&b.app, &b.host)));
        rows.push(render::Row {
            app: "none".to_owned(),
            host: "unknown".to_owned(),
            metrics: &self.unrouted,
        });
        let auth = render::AuthCounts {
            hash_checks: self.auth_hash_checks.load(Ordering::Relaxed),
            cache_hits: self.auth_cache_hits.load(Ordering::Relaxed),
        };
        render::prometheus(&rows, auth)
    }
}

fn lookup(map: &RouteMap, app: AppId, host: &HostPattern) -> Option<Arc<RouteMetrics>> {
    map.get(&app)?.get(host).map(Arc::clone)
}

#[cfg(test)]
mod tests;
