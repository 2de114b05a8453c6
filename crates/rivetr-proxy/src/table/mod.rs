//! [`ProxyRouteTable`]: the proxy's [`RouteTable`], whose readers never lock,
//! with round-robin, passive ejection and draining switches.
//!
//! - `snapshot`: the immutable snapshot and its constant-cost lookup;
//! - `lease`: in-flight tracking per upstream, and the [`Lease`] a request
//!   holds;
//! - `drain`: the wait for removed upstreams to go idle;
//! - `probe`: the health checks a switch runs before it swaps.

mod drain;
mod lease;
mod probe;
mod snapshot;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use async_trait::async_trait;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::AppId;
use rivetr_core::input::DomainName;
use rivetr_core::route::{
    AppRoutes, HostRoute, Resolved, RouteCapabilities, RouteTable, SwitchOptions, SwitchReport,
    Upstream,
};

pub use self::lease::Lease;
use self::lease::UpstreamState;
pub use self::probe::MIN_PROBE_INTERVAL;
use self::snapshot::{HostEntry, Slot, Snapshot};

/// How many times [`ProxyRouteTable::acquire`] retries when a switch retires
/// the upstream it picked (each retry sees a newer snapshot).
const ACQUIRE_RETRIES: usize = 8;

/// The proxy's route table. Cheap to clone: clones share state.
///
/// # Readers never lock
///
/// The table is an immutable snapshot behind an [`ArcSwap`]. Writers
/// ([`set_routes`](RouteTable::set_routes), [`switch`](RouteTable::switch),
/// [`remove`](RouteTable::remove)) serialize among themselves, clone the
/// snapshot, change the copy and swap it in; readers
/// ([`resolve`](RouteTable::resolve), [`acquire`](Self::acquire),
/// [`eject`](Self::eject)) only load the current snapshot, never wait and
/// never await. A lookup is at most two hash probes (the exact host, then
/// the wildcard one label up), so its cost does not grow with the number of
/// routes.
///
/// # The request path (for the HTTP server)
///
/// For each request, the server:
///
/// 1. calls [`acquire`](Self::acquire) with the request's host. `None`
///    means no upstream will take it: the server then calls
///    [`resolve`](RouteTable::resolve) (the cold path) to answer 404 (no
///    route), 503 with the maintenance page, or 502/503 (no upstream live);
/// 2. checks [`Lease::route`]: `redirect_to` and `force_https` are answered
///    by the server itself, `basic_auth` is checked before forwarding;
/// 3. forwards to [`Lease::upstream`] and keeps the [`Lease`] alive until the
///    exchange ends: the whole response body, or for an upgraded connection
///    (WebSocket) until it closes. Dropping the lease ends the request;
/// 4. when the upstream fails (connect error, reset), calls
///    [`eject`](Self::eject) so round-robin skips it for a while.
///
/// # Cutover
///
/// [`switch`](RouteTable::switch) first health-checks every upstream of the
/// new set (kept ones included, all at once) when `options.health_check`
/// is set: an HTTP GET of the path (2xx or 3xx is healthy) or a TCP
/// connect, repeated every `interval` until it passes, each probe bounded
/// by `timeout` and by the `deadline`. The check's own timings apply;
/// [`HealthCheck::http`](rivetr_core::model::HealthCheck::http) and
/// [`tcp`](rivetr_core::model::HealthCheck::tcp) default to a short 250 ms
/// interval, a 2 s probe timeout and a 60 s deadline, and the pause is
/// never under [`MIN_PROBE_INTERVAL`]. (A `Running` probe is the runtime's
/// business: the proxy passes it.) Probing happens before the writer lock
/// is taken, so other writers are not held up by a slow upstream; one that
/// fails by its deadline makes the switch fail with `Unavailable` and
/// change nothing, as does dropping the switch while it probes.
///
/// It then swaps the app's upstreams atomically: from then on `acquire`
/// only picks new ones. It then waits, without polling, until every lease
/// on an upstream the switch removed is dropped, or until `drain_timeout`
/// ends, and reports which in [`SwitchReport::drained`]. Upstreams in both
/// the old and the new set keep serving and are not waited on.
///
/// # Example
///
/// ```
/// use std::time::Duration;
///
/// use rivetr_core::id::AppId;
/// use rivetr_core::input::DomainName;
/// use rivetr_core::route::{AppRoutes, HostRoute, RouteTable, SwitchOptions, Upstream};
/// use rivetr_proxy::table::ProxyRouteTable;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let table = ProxyRouteTable::new();
/// let app = AppId::new();
/// let routes = AppRoutes {
///     hosts: vec![
///         HostRoute::plain("shop.example.com".parse()?),
///         HostRoute::plain("*.preview.example.com".parse()?),
///     ],
///     maintenance_page: None,
/// };
/// table.set_routes(app, routes).await?;
///
/// let (old, new) = (
///     Upstream { addr: "127.0.0.1:8001".parse()? },
///     Upstream { addr: "127.0.0.1:8002".parse()? },
/// );
/// let options = SwitchOptions {
///     health_check: None,
///     drain_timeout: Duration::from_secs(30),
/// };
/// table.switch(app, vec![old], &options).await?;
///
/// // A request: pick an upstream and hold the lease while forwarding.
/// let host: DomainName = "pr-42.preview.example.com".parse()?;
/// let lease = table.acquire(&host).ok_or("no upstream")?;
/// assert_eq!(lease.upstream(), old);
///
/// // A deploy: new requests go to `new` at once; the switch returns when
/// // the request on `old` is done.
/// let switch = table.switch(app, vec![new], &options);
/// let request = async move {
///     // ... forward to lease.upstream(), stream the response ...
///     drop(lease);
/// };
/// let (report, ()) = tokio::join!(switch, request);
/// let report = report?;
/// assert_eq!(report.previous, [old]);
/// assert!(report.drained);
/// assert_eq!(table.acquire(&host).map(|l| l.upstream()), Some(new));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ProxyRouteTable {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    snapshot: ArcSwap<Snapshot>,
    /// Serializes writers (never taken by readers, never held across an
    /// await).
    writer: Mutex<()>,
    /// Origin of the ejection deadlines.
    epoch: Instant,
}

impl Default for ProxyRouteTable {
    fn default() -> Self {
        Self::new()
    }
}

impl ProxyRouteTable {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                snapshot: ArcSwap::from_pointee(Snapshot::default()),
                writer: Mutex::new(()),
                epoch: Instant::now(),
            }),
        }
    }

    /// Route a request for `host`: pick the app's next upstream round-robin
    /// (skipping ejected ones, unless all are) and count the request in
    /// flight on it until the returned [`Lease`] is dropped.
    ///
    /// `None` when no route matches `host`, the app is in maintenance mode,
    /// or it has no upstream; [`resolve`](RouteTable::resolve) tells which.
    ///
    /// Never waits: it loads the current snapshot and touches atomics only.
    /// A lease taken just as a [`switch`](RouteTable::switch) removes its
    /// upstream is either seen by that switch's drain, or retried on the new
    /// upstreams.
    #[must_use]
    pub fn acquire(&self, host: &DomainName) -> Option<Lease> {
        for _ in 0..ACQUIRE_RETRIES {
            let snapshot = self.inner.snapshot.load();
            let hit = snapshot.lookup(host)?;
            let entry = snapshot.apps.get(&hit.app)?;
            if entry.maintenance_page().is_some() {
                return None;
            }
            let slot = entry.pick(|| self.now_nanos())?;
            if slot.state.enter() {
                return Some(Lease {
                    app: hit.app,
                    upstream: slot.upstream,
                    route: Arc::clone(&hit.route),
                    state: Arc::clone(&slot.state),
                });
            }
        }
        None
    }

    /// Passive ejection: make round-robin skip `upstream` of `app` for
    /// `duration` (from now), e.g. after it refused a connection. When all
    /// of an app's upstreams are ejected, round-robin uses them anyway.
    /// Ejecting again replaces the deadline; a
    /// [`switch`](RouteTable::switch) that keeps the upstream keeps its
    /// ejection.
    ///
    /// Returns `false` when `app` does not currently point at `upstream`.
    /// Never waits.
    pub fn eject(&self, app: AppId, upstream: Upstream, duration: Duration) -> bool {
        let snapshot = self.inner.snapshot.load();
        let Some(slot) =
            (snapshot.apps.get(&app)).and_then(|e| e.slots.iter().find(|s| s.upstream == upstream))
        else {
            return false;
        };
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        slot.state
            .eject_until(self.now_nanos().saturating_add(nanos));
        true
    }

    /// Requests in flight on `upstream` of `app` (0 when the app does not
    /// point at it).
    #[must_use]
    pub fn in_flight(&self, app: AppId, upstream: Upstream) -> usize {
        let snapshot = self.inner.snapshot.load();
        (snapshot.apps.get(&app))
            .and_then(|e| e.slots.iter().find(|s| s.upstream == upstream))
            .map_or(0, |s| s.state.in_flight())
    }

    /// Send every host that no exact or wildcard pattern matches to `app`,
    /// with `route`'s settings (redirects, auth; its `host` is not matched
    /// against anything), or stop doing so with `None`. A catch-all, e.g. the
    /// standalone runner's `*` route; only hosts that parse as a
    /// [`DomainName`] reach the table. Removing the app clears it.
    pub fn set_fallback(&self, fallback: Option<(AppId, HostRoute)>) {
        let entry = fallback.map(|(app, route)| HostEntry {
            app,
            route: Arc::new(route),
        });
        // Cannot fail: the change itself returns `Ok`.
        let _ = self.write(|snapshot| {
            snapshot.fallback = entry;
            Ok(())
        });
    }

    fn now_nanos(&self) -> u64 {
        u64::try_from(self.inner.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Rebuild the snapshot with `change` (serialized with other writers);
    /// an error leaves the table as it was.
    fn write<R>(&self, change: impl FnOnce(&mut Snapshot) -> Result<R>) -> Result<R> {
        let _writer = (self.inner.writer.lock()).unwrap_or_else(PoisonError::into_inner);
        let mut next = Snapshot::clone(&self.inner.snapshot.load());
        let out = change(&mut next)?;
        self.inner.snapshot.store(Arc::new(next));
        Ok(out)
    }
}

#[async_trait]
impl RouteTable for ProxyRouteTable {
    fn capabilities(&self) -> RouteCapabilities {
        RouteCapabilities::all()
    }

    async fn set_routes(&self, app: AppId, routes: AppRoutes) -> Result<()> {
        self.write(|snapshot| {
            for route in &routes.hosts {
                if let Some(owner) = snapshot.owner(&route.host)
                    && owner != app
                {
                    return Err(Error::conflict(format!(
                        "host {} is already routed to app {owner}",
                        route.host
                    )));
                }
            }
            snapshot.remove_hosts_of(app);
            // In order, so a host listed twice ends with its last entry.
            for route in &routes.hosts {
                snapshot.insert(app, route);
            }
            snapshot.apps.entry(app).or_default().routes = Some(routes);
            Ok(())
        })
    }

    async fn switch(
        &self,
        app: AppId,
        upstreams: Vec<Upstream>,
        options: &SwitchOptions,
    ) -> Result<SwitchReport> {
        if let Some(check) = &options.health_check {
            // Before the writer lock: a slow probe holds up no other writer.
            probe::all_healthy(&upstreams, check)
                .await
                .map_err(|unhealthy| {
                    Error::unavailable(format!("switch of app {app} refused: {unhealthy}"))
                        .with_source(unhealthy)
                })?;
        }
        let (previous, removed) = self.write(|snapshot| {
            let entry = snapshot.apps.entry(app).or_default();
            let old_slots = std::mem::take(&mut entry.slots);
            let mut slots = Vec::with_capacity(upstreams.len());
            for upstream in &upstreams {
                if slots.iter().any(|s: &Slot| s.upstream == *upstream) {
                    continue;
                }
                // A kept upstream keeps its state: its leases and ejection.
                let state = (old_slots.iter())
                    .find(|s| s.upstream == *upstream)
                    .map_or_else(Arc::default, |s| Arc::clone(&s.state));
                slots.push(Slot {
                    upstream: *upstream,
                    state,
                });
            }
            let removed: Vec<Arc<UpstreamState>> = (old_slots.into_iter())
                .filter(|s| !upstreams.contains(&s.upstream))
                .map(|s| s.state)
                .collect();
            entry.slots = slots;
            let previous = std::mem::replace(&mut entry.upstreams, upstreams.clone());
            Ok((previous, removed))
        })?;
        // After the swap: leases racing with it back off (see `acquire`).
        for state in &removed {
            state.retire();
        }
        let drained = drain::drain(&removed, options.drain_timeout).await;
        Ok(SwitchReport { previous, drained })
    }

    async fn remove(&self, app: AppId) -> Result<()> {
        let removed = self.write(|snapshot| {
            snapshot.remove_hosts_of(app);
            if snapshot.fallback.as_ref().is_some_and(|f| f.app == app) {
                snapshot.fallback = None;
            }
            Ok(snapshot.apps.remove(&app))
        })?;
        for slot in removed.iter().flat_map(|e| &e.slots) {
            slot.state.retire();
        }
        Ok(())
    }

    async fn upstreams(&self, app: AppId) -> Result<Vec<Upstream>> {
        let snapshot = self.inner.snapshot.load();
        Ok((snapshot.apps.get(&app)).map_or_else(Vec::new, |e| e.upstreams.clone()))
    }

    fn resolve(&self, host: &DomainName) -> Option<Resolved> {
        let snapshot = self.inner.snapshot.load();
        let hit = snapshot.lookup(host)?;
        let entry = snapshot.apps.get(&hit.app)?;
        Some(Resolved {
            app: hit.app,
            route: HostRoute::clone(&hit.route),
            upstreams: entry.upstreams.clone(),
            maintenance_page: entry.maintenance_page().cloned(),
        })
    }
}

#[cfg(test)]
mod tests;
