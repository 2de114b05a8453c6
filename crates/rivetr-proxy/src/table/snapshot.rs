//! The immutable snapshot readers look hosts up in, and the round-robin pick.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rivetr_core::id::AppId;
use rivetr_core::input::{DomainName, HostPattern};
use rivetr_core::route::{AppRoutes, HostRoute, Upstream};

use super::lease::UpstreamState;
use crate::host_map::HostMap;

/// One routed host: its app and settings.
#[derive(Clone, Debug)]
pub(crate) struct HostEntry {
    pub(crate) app: AppId,
    pub(crate) route: Arc<HostRoute>,
}

/// One upstream of an app with its live state.
#[derive(Clone, Debug)]
pub(crate) struct Slot {
    pub(crate) upstream: Upstream,
    pub(crate) state: Arc<UpstreamState>,
}

/// What the table knows of one app.
#[derive(Clone, Debug, Default)]
pub(crate) struct AppEntry {
    /// Its hosts and maintenance mode (`None` until `set_routes`).
    pub(crate) routes: Option<AppRoutes>,
    /// Its upstreams, in the order of the last switch.
    pub(crate) upstreams: Vec<Upstream>,
    /// The same upstreams with their live state.
    pub(crate) slots: Vec<Slot>,
    /// Round-robin position, shared by every snapshot of the app.
    pub(crate) next: Arc<AtomicUsize>,
}

impl AppEntry {
    pub(crate) fn maintenance_page(&self) -> Option<&String> {
        self.routes.as_ref()?.maintenance_page.as_ref()
    }

    /// The next upstream round-robin, skipping ejected ones unless all are
    /// ejected. `now` gives nanoseconds after the table's epoch, and is only
    /// called when some upstream was ever ejected.
    pub(crate) fn pick(&self, now: impl Fn() -> u64) -> Option<&Slot> {
        let n = self.slots.len();
        if n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut now_nanos = None;
        for k in 0..n {
            let slot = &self.slots[start.wrapping_add(k) % n];
            let until = slot.state.ejected_until();
            if until == 0 || until <= *now_nanos.get_or_insert_with(&now) {
                return Some(slot);
            }
        }
        self.slots.get(start % n)
    }
}

/// An immutable view of the whole table. Writers clone, change and swap it;
/// readers only load it.
///
/// Lookups cost two hash probes at most, whatever the number of routes: the
/// exact host, then (for a wildcard) the host minus its first label.
#[derive(Clone, Debug, Default)]
pub(crate) struct Snapshot {
    pub(crate) apps: HashMap<AppId, AppEntry>,
    /// The routed hosts: exact and wildcard patterns.
    hosts: HostMap<HostEntry>,
    /// Where hosts no pattern matches go (see `set_fallback`).
    pub(crate) fallback: Option<HostEntry>,
}

impl Snapshot {
    /// The app and route serving `host`: the exact host first, then the
    /// wildcard one label up (a wildcard matches exactly one label), then
    /// the fallback.
    pub(crate) fn lookup(&self, host: &DomainName) -> Option<&HostEntry> {
        (self.hosts.get(host.as_str())).or(self.fallback.as_ref())
    }

    /// The app owning `pattern`, if any.
    pub(crate) fn owner(&self, pattern: &HostPattern) -> Option<AppId> {
        self.hosts.get_pattern(pattern).map(|e| e.app)
    }

    /// Route `pattern` to `app`.
    pub(crate) fn insert(&mut self, app: AppId, route: &HostRoute) {
        let entry = HostEntry {
            app,
            route: Arc::new(route.clone()),
        };
        self.hosts.insert(&route.host, entry);
    }

    /// Unroute `pattern` if `app` owns it.
    pub(crate) fn remove_host(&mut self, app: AppId, pattern: &HostPattern) {
        if self.owner(pattern) != Some(app) {
            return;
        }
        self.hosts.remove(pattern);
    }

    /// Unroute every host of `app` (as its last `set_routes` listed them).
    pub(crate) fn remove_hosts_of(&mut self, app: AppId) {
        let Some(routes) = self.apps.get(&app).and_then(|e| e.routes.clone()) else {
            return;
        };
        for route in &routes.hosts {
            self.remove_host(app, &route.host);
        }
    }
}
