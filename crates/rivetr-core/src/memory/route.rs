//! [`MemoryRouteTable`]: a [`RouteTable`] with lock-free-for-readers
//! snapshots and real draining.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use async_trait::async_trait;
use tokio::sync::watch;

use super::faults::Faults;
use crate::error::{Error, Result};
use crate::id::AppId;
use crate::input::{DomainName, HostPattern};
use crate::route::{
    AppRoutes, HostRoute, Resolved, RouteCapabilities, RouteTable, SwitchOptions, SwitchReport,
    Upstream,
};

/// The operations of [`MemoryRouteTable`] that can be scripted through
/// [`MemoryRouteTable::faults`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RouteOp {
    /// [`RouteTable::set_routes`].
    SetRoutes,
    /// [`RouteTable::switch`].
    Switch,
    /// [`RouteTable::remove`].
    Remove,
}

type Counts = HashMap<(AppId, Upstream), usize>;

/// A [`RouteTable`] in memory. Cheap to clone: clones share state.
///
/// Readers ([`RouteTable::resolve`], [`MemoryRouteTable::hold`]) only clone
/// an `Arc` of an immutable snapshot, which writers rebuild and swap. It
/// does not probe upstreams, but it drains: [`RouteTable::switch`] returns
/// once every request [held](MemoryRouteTable::hold) on an old upstream is
/// done, or when the drain timeout ends.
#[derive(Clone, Debug)]
pub struct MemoryRouteTable {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    faults: Faults<RouteOp>,
    /// Held only to clone or replace the `Arc`.
    snapshot: RwLock<Arc<Snapshot>>,
    /// Serializes writers (never taken by readers).
    writer: Mutex<()>,
    in_flight: Arc<watch::Sender<Counts>>,
}

#[derive(Clone, Debug, Default)]
struct Snapshot {
    apps: HashMap<AppId, AppEntry>,
    hosts: HashMap<HostKey, (AppId, HostRoute)>,
}

#[derive(Clone, Debug, Default)]
struct AppEntry {
    routes: Option<AppRoutes>,
    upstreams: Vec<Upstream>,
    /// Round-robin position, shared by every snapshot of the app.
    next: Arc<AtomicUsize>,
}

/// What makes two host patterns the same route.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum HostKey {
    Exact(String),
    /// A wildcard, by the domain under the `*`.
    Wildcard(String),
}

fn host_key(pattern: &HostPattern) -> HostKey {
    match pattern {
        HostPattern::Exact(host) => HostKey::Exact(host.as_str().to_owned()),
        HostPattern::Wildcard(base) => HostKey::Wildcard(base.as_str().to_owned()),
    }
}

impl Snapshot {
    /// The app and route serving `host`: the exact host first, then the
    /// wildcard one label up.
    fn lookup(&self, host: &DomainName) -> Option<&(AppId, HostRoute)> {
        let name = host.as_str();
        if let Some(hit) = self.hosts.get(&HostKey::Exact(name.to_owned())) {
            return Some(hit);
        }
        let (_, parent) = name.split_once('.')?;
        (self.hosts.get(&HostKey::Wildcard(parent.to_owned())))
            .filter(|(_, r)| r.host.matches(host))
    }
}

/// A request in flight on an upstream, from [`MemoryRouteTable::hold`]; it
/// ends when this is dropped.
#[derive(Debug)]
pub struct InFlight {
    counts: Arc<watch::Sender<Counts>>,
    app: AppId,
    upstream: Upstream,
}

impl InFlight {
    /// The upstream the request went to.
    #[must_use]
    pub fn upstream(&self) -> Upstream {
        self.upstream
    }

    /// The app the request went to.
    #[must_use]
    pub fn app(&self) -> AppId {
        self.app
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let key = (self.app, self.upstream);
        self.counts.send_modify(|counts| {
            if let Some(n) = counts.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    counts.remove(&key);
                }
            }
        });
    }
}

impl Default for MemoryRouteTable {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryRouteTable {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        let (in_flight, _) = watch::channel(Counts::new());
        Self {
            inner: Arc::new(Inner {
                faults: Faults::default(),
                snapshot: RwLock::default(),
                writer: Mutex::new(()),
                in_flight: Arc::new(in_flight),
            }),
        }
    }

    /// The failures and stalls scripted for this table.
    #[must_use]
    pub fn faults(&self) -> &Faults<RouteOp> {
        &self.inner.faults
    }

    fn load(&self) -> Arc<Snapshot> {
        let guard = self.inner.snapshot.read();
        Arc::clone(&guard.unwrap_or_else(PoisonError::into_inner))
    }

    /// Rebuild the snapshot with `change` (serialized with other writers);
    /// an error leaves the table as it was.
    fn write<R>(&self, change: impl FnOnce(&mut Snapshot) -> Result<R>) -> Result<R> {
        let _writer = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut next = Snapshot::clone(&self.load());
        let out = change(&mut next)?;
        let mut slot = (self.inner.snapshot.write()).unwrap_or_else(PoisonError::into_inner);
        *slot = Arc::new(next);
        Ok(out)
    }

    /// Simulate a request to `host`: resolve it and pick the app's next
    /// upstream (round-robin). The request counts as in flight on that
    /// upstream until the returned guard is dropped. `None` when nothing
    /// routes `host`, the app has no upstreams or is in maintenance.
    #[must_use]
    pub fn hold(&self, host: &DomainName) -> Option<InFlight> {
        let mut picked = None;
        // Picking and counting under the channel's lock orders this with a
        // switch's drain check: either the request sees the new snapshot, or
        // the switch sees the request.
        self.inner.in_flight.send_if_modified(|counts| {
            let snapshot = self.load();
            let Some((app, _)) = snapshot.lookup(host) else {
                return false;
            };
            let Some(entry) = snapshot.apps.get(app) else {
                return false;
            };
            let in_maintenance =
                (entry.routes.as_ref()).is_some_and(|r| r.maintenance_page.is_some());
            if entry.upstreams.is_empty() || in_maintenance {
                return false;
            }
            let i = entry.next.fetch_add(1, Ordering::Relaxed) % entry.upstreams.len();
            let upstream = entry.upstreams[i];
            *counts.entry((*app, upstream)).or_default() += 1;
            picked = Some((*app, upstream));
            true
        });
        picked.map(|(app, upstream)| InFlight {
            counts: Arc::clone(&self.inner.in_flight),
            app,
            upstream,
        })
    }

    /// How many held requests are in flight, on every upstream.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.borrow().values().sum()
    }

    /// The apps the table knows (with hosts, upstreams or both), sorted.
    #[must_use]
    pub fn snapshot_apps(&self) -> Vec<AppId> {
        let mut apps: Vec<AppId> = self.load().apps.keys().copied().collect();
        apps.sort();
        apps
    }
}

#[async_trait]
impl RouteTable for MemoryRouteTable {
    fn capabilities(&self) -> RouteCapabilities {
        RouteCapabilities::drain_only()
    }

    async fn set_routes(&self, app: AppId, routes: AppRoutes) -> Result<()> {
        self.inner.faults.enter(RouteOp::SetRoutes).await?;
        self.write(|snapshot| {
            for route in &routes.hosts {
                if let Some((owner, _)) = snapshot.hosts.get(&host_key(&route.host))
                    && *owner != app
                {
                    return Err(Error::conflict(format!(
                        "host {} is already routed to app {owner}",
                        route.host
                    )));
                }
            }
            snapshot.hosts.retain(|_, (owner, _)| *owner != app);
            for route in &routes.hosts {
                snapshot
                    .hosts
                    .insert(host_key(&route.host), (app, route.clone()));
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
        self.inner.faults.enter(RouteOp::Switch).await?;
        let previous = self.write(|snapshot| {
            let entry = snapshot.apps.entry(app).or_default();
            Ok(std::mem::replace(&mut entry.upstreams, upstreams.clone()))
        })?;
        let draining: Vec<(AppId, Upstream)> = (previous.iter())
            .filter(|u| !upstreams.contains(u))
            .map(|u| (app, *u))
            .collect();
        let mut counts = self.inner.in_flight.subscribe();
        let idle = counts.wait_for(|counts| draining.iter().all(|k| !counts.contains_key(k)));
        // The sender lives in `self`, so `wait_for` only ends when idle.
        let drained = tokio::time::timeout(options.drain_timeout, idle)
            .await
            .is_ok();
        Ok(SwitchReport { previous, drained })
    }

    async fn remove(&self, app: AppId) -> Result<()> {
        self.inner.faults.enter(RouteOp::Remove).await?;
        self.write(|snapshot| {
            snapshot.hosts.retain(|_, (owner, _)| *owner != app);
            snapshot.apps.remove(&app);
            Ok(())
        })
    }

    async fn upstreams(&self, app: AppId) -> Result<Vec<Upstream>> {
        let snapshot = self.load();
        Ok((snapshot.apps.get(&app)).map_or_else(Vec::new, |e| e.upstreams.clone()))
    }

    fn resolve(&self, host: &DomainName) -> Option<Resolved> {
        let snapshot = self.load();
        let (app, route) = snapshot.lookup(host)?;
        let entry = snapshot.apps.get(app)?;
        Some(Resolved {
            app: *app,
            route: route.clone(),
            upstreams: entry.upstreams.clone(),
            maintenance_page: (entry.routes.as_ref()).and_then(|r| r.maintenance_page.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn upstream(port: u16) -> Upstream {
        Upstream {
            addr: ([127, 0, 0, 1], port).into(),
        }
    }

    fn drain(timeout: Duration) -> SwitchOptions {
        SwitchOptions {
            health_check: None,
            drain_timeout: timeout,
        }
    }

    async fn table_with(host: &str, upstreams: Vec<Upstream>) -> (MemoryRouteTable, AppId) {
        let (table, app) = (MemoryRouteTable::new(), AppId::new());
        let routes = AppRoutes {
            hosts: vec![HostRoute::plain(host.parse().unwrap())],
            maintenance_page: None,
        };
        table.set_routes(app, routes).await.unwrap();
        table
            .switch(app, upstreams, &drain(Duration::ZERO))
            .await
            .unwrap();
        (table, app)
    }

    #[tokio::test]
    async fn held_request_delays_switch_until_released() {
        let (a, b) = (upstream(1), upstream(2));
        let (table, app) = table_with("web.test", vec![a]).await;
        let host: DomainName = "web.test".parse().unwrap();
        let held = table.hold(&host).unwrap();
        assert_eq!(held.upstream(), a);
        let options = drain(Duration::from_secs(3600));
        let switch = table.switch(app, vec![b], &options);
        tokio::pin!(switch);
        assert!(
            futures::poll!(&mut switch).is_pending(),
            "waits for the held request"
        );
        let after = table.hold(&host).unwrap();
        assert_eq!(after.upstream(), b, "new requests go to the new upstream");
        assert_eq!(table.resolve(&host).unwrap().upstreams, [b]);
        drop(after);
        assert!(futures::poll!(&mut switch).is_pending());
        drop(held);
        let report = switch.await.unwrap();
        assert_eq!(report.previous, [a]);
        assert!(report.drained);
        assert_eq!(table.in_flight(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn drain_timeout_ends_the_wait() {
        let (table, app) = table_with("web.test", vec![upstream(1)]).await;
        let _held = table.hold(&"web.test".parse().unwrap()).unwrap();
        let options = drain(Duration::from_millis(50));
        let report = table
            .switch(app, vec![upstream(2)], &options)
            .await
            .unwrap();
        assert!(!report.drained);
        assert_eq!(table.upstreams(app).await.unwrap(), [upstream(2)]);
    }

    #[tokio::test]
    async fn kept_upstreams_are_not_drained_and_round_robin_works() {
        let (a, b) = (upstream(1), upstream(2));
        let (table, app) = table_with("web.test", vec![a, b]).await;
        let host: DomainName = "web.test".parse().unwrap();
        let first = table.hold(&host).unwrap();
        let second = table.hold(&host).unwrap();
        assert_ne!(first.upstream(), second.upstream());
        let (on_a, on_b) = if first.upstream() == a {
            (first, second)
        } else {
            (second, first)
        };
        drop(on_b);
        let options = drain(Duration::from_secs(3600));
        let report = table.switch(app, vec![a], &options).await.unwrap();
        assert!(report.drained, "a stays, so only b had to drain");
        assert_eq!(table.in_flight(), 1);
        drop(on_a);
    }

    #[tokio::test]
    async fn maintenance_and_wildcards() {
        let (table, app) = table_with("*.apps.test", vec![upstream(1)]).await;
        let host: DomainName = "x.apps.test".parse().unwrap();
        assert!(table.resolve(&"apps.test".parse().unwrap()).is_none());
        assert!(table.resolve(&"a.b.apps.test".parse().unwrap()).is_none());
        assert_eq!(table.resolve(&host).unwrap().app, app);
        let routes = AppRoutes {
            hosts: vec![HostRoute::plain("*.apps.test".parse().unwrap())],
            maintenance_page: Some("back soon".to_owned()),
        };
        table.set_routes(app, routes).await.unwrap();
        assert!(
            table.hold(&host).is_none(),
            "maintenance answers without an upstream"
        );
        let resolved = table.resolve(&host).unwrap();
        assert_eq!(resolved.maintenance_page.as_deref(), Some("back soon"));
        assert_eq!(table.snapshot_apps(), [app]);
    }

    #[tokio::test]
    async fn scripted_fail_and_stall() {
        let (table, app) = table_with("web.test", vec![upstream(1)]).await;
        let host: DomainName = "web.test".parse().unwrap();
        table
            .faults()
            .fail_next(RouteOp::Remove, Error::unavailable("down"));
        assert!(table.remove(app).await.is_err());
        assert!(
            table.resolve(&host).is_some(),
            "a failed remove changes nothing"
        );
        let stall = table.faults().stall(RouteOp::Switch);
        let options = drain(Duration::ZERO);
        let switch = table.switch(app, vec![upstream(2)], &options);
        let observe = async {
            stall.reached().await;
            assert_eq!(table.resolve(&host).unwrap().upstreams, [upstream(1)]);
            stall.release();
        };
        let (report, ()) = tokio::join!(switch, observe);
        assert_eq!(report.unwrap().previous, [upstream(1)]);
        assert_eq!(table.resolve(&host).unwrap().upstreams, [upstream(2)]);
    }
}
