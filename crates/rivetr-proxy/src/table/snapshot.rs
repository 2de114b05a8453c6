//! The immutable snapshot readers look hosts up in, and the round-robin pick.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rivetr_core::id::AppId;
use rivetr_core::input::{DomainName, HostPattern};
use rivetr_core::route::{AppRoutes, HostRoute, Upstream};

use super::lease::UpstreamState;

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
    /// Exact hosts.
    exact: HashMap<DomainName, HostEntry>,
    /// Wildcards, by the domain under the `*` (ASCII form), so a lookup can
    /// use a slice of the host without allocating.
    wildcard: HashMap<Box<str>, HostEntry>,
    /// Where hosts no pattern matches go (see `set_fallback`).
    pub(crate) fallback: Option<HostEntry>,
}

impl Snapshot {
    /// The app and route serving `host`: the exact host first, then the
    /// wildcard one label up (a wildcard matches exactly one label), then
    /// the fallback.
    pub(crate) fn lookup(&self, host: &DomainName) -> Option<&HostEntry> {
        if let Some(hit) = self.exact.get(host) {
            return Some(hit);
        }
        let wildcard = (host.as_str().split_once('.'))
            .filter(|(label, _)| !label.is_empty())
            .and_then(|(_, parent)| self.wildcard.get(parent));
        wildcard.or(self.fallback.as_ref())
    }

    /// The app owning `pattern`, if any.
    pub(crate) fn owner(&self, pattern: &HostPattern) -> Option<AppId> {
        match pattern {
            HostPattern::Exact(host) => self.exact.get(host),
            HostPattern::Wildcard(base) => self.wildcard.get(base.as_str()),
        }
        .map(|e| e.app)
    }

    /// Route `pattern` to `app`.
    pub(crate) fn insert(&mut self, app: AppId, route: &HostRoute) {
        let entry = HostEntry {
            app,
            route: Arc::new(route.clone()),
        };
        match &route.host {
            HostPattern::Exact(host) => {
                self.exact.insert(host.clone(), entry);
            }
            HostPattern::Wildcard(base) => {
                self.wildcard.insert(base.as_str().into(), entry);
            }
        }
    }

    /// Unroute `pattern` if `app` owns it.
    pub(crate) fn remove_host(&mut self, app: AppId, pattern: &HostPattern) {
        if self.owner(pattern) != Some(app) {
            return;
        }
        match pattern {
            HostPattern::Exact(host) => {
                self.exact.remove(host);
            }
            HostPattern::Wildcard(base) => {
                self.wildcard.remove(base.as_str());
            }
        }
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
