//! [`ConnState`]: what the request path keeps for one client connection
//! between its requests: the upstream connection its last request used,
//! and the work done on its last host (the parsed name and the forwarding
//! headers, the route's metrics), which a connection's requests almost
//! always repeat.

use std::sync::{Arc, Mutex, PoisonError};

use rivetr_core::id::AppId;
use rivetr_core::input::DomainName;
use rivetr_core::route::HostRoute;

use super::headers::Forwarded;
use super::upstream::UpstreamSlot;
use crate::metrics::RouteMetrics;

/// Per client connection state; one per connection, dropped with it.
#[derive(Debug)]
pub(crate) struct ConnState {
    /// The upstream connection kept between requests.
    pub(crate) upstream: UpstreamSlot,
    /// The last host forwarded, as the request gave it.
    host: Mutex<Option<HostMemo>>,
    /// The metrics of the last route forwarded to.
    metrics: Mutex<Option<MetricsMemo>>,
}

/// The metrics of one route: valid while the table serves the same
/// [`HostRoute`] (the same `Arc`) for the same app.
#[derive(Debug)]
struct MetricsMemo {
    app: AppId,
    route: Arc<HostRoute>,
    metrics: Arc<RouteMetrics>,
}

/// What was derived from one `Host` value on this connection. The peer and
/// the scheme do not change within a connection, so neither do these.
#[derive(Debug)]
struct HostMemo {
    /// The host as the request gave it (with its port, if any).
    raw: Box<str>,
    /// It parsed to this name (the same input always does).
    domain: DomainName,
    /// The forwarding headers for an untrusted peer (`None`: trusted).
    forwarded: Option<Forwarded>,
}

impl ConnState {
    /// Nothing remembered yet; upstream connections kept in `upstream`.
    pub(crate) fn new(upstream: UpstreamSlot) -> Self {
        Self {
            upstream,
            host: Mutex::new(None),
            metrics: Mutex::new(None),
        }
    }

    /// The metrics remembered for `route` of `app` (the same `Arc` the
    /// table gave), if they are the ones remembered.
    pub(crate) fn recall_metrics(
        &self,
        app: AppId,
        route: &Arc<HostRoute>,
    ) -> Option<Arc<RouteMetrics>> {
        let memo = self.metrics.lock().unwrap_or_else(PoisonError::into_inner);
        let memo = memo
            .as_ref()
            .filter(|m| m.app == app && Arc::ptr_eq(&m.route, route))?;
        Some(Arc::clone(&memo.metrics))
    }

    /// Remember `metrics` as those of `route` of `app`.
    pub(crate) fn remember_metrics(
        &self,
        app: AppId,
        route: &Arc<HostRoute>,
        metrics: &Arc<RouteMetrics>,
    ) {
        let mut memo = self.metrics.lock().unwrap_or_else(PoisonError::into_inner);
        *memo = Some(MetricsMemo {
            app,
            route: Arc::clone(route),
            metrics: Arc::clone(metrics),
        });
    }

    /// The name and forwarding headers remembered for the host `raw`, if
    /// it is the one remembered.
    pub(crate) fn recall(&self, raw: &str) -> Option<(DomainName, Option<Forwarded>)> {
        let memo = self.host.lock().unwrap_or_else(PoisonError::into_inner);
        let memo = memo.as_ref().filter(|m| &*m.raw == raw)?;
        Some((memo.domain.clone(), memo.forwarded.clone()))
    }

    /// Remember that `raw` parsed to `domain` and forwards with
    /// `forwarded`, in place of the host remembered before.
    pub(crate) fn remember(&self, raw: &str, domain: &DomainName, forwarded: Option<&Forwarded>) {
        let mut memo = self.host.lock().unwrap_or_else(PoisonError::into_inner);
        *memo = Some(HostMemo {
            raw: raw.into(),
            domain: domain.clone(),
            forwarded: forwarded.cloned(),
        });
    }
}
