//! The [`RouteTable`] trait: which hosts go to which upstreams, and the
//! health-gated, draining switch that makes deploys zero-downtime.
//!
//! # Implementing it
//!
//! Readers must never wait for writers (swap an immutable snapshot),
//! [`RouteTable::switch`] must be atomic, and it must return only when the
//! old upstreams are idle or the drain window has ended. Run
//! `rivetr_core::testkit::route::conformance(&table)`, and
//! `route::drain_conformance(&table, hold)` when you can hold a request open.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;
use crate::id::AppId;
use crate::input::{DomainName, HostPattern};
use crate::model::{BasicAuth, HealthCheck};

/// How one host of an app is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostRoute {
    /// Host or wildcard.
    pub host: HostPattern,
    /// Redirect plain HTTP to HTTPS.
    pub force_https: bool,
    /// Answer with a permanent redirect to this host instead of proxying.
    pub redirect_to: Option<DomainName>,
    /// Basic auth in front of the app.
    pub basic_auth: Option<BasicAuth>,
}

impl HostRoute {
    /// Proxy `host` with no redirect or auth.
    #[must_use]
    pub fn plain(host: HostPattern) -> Self {
        Self {
            host,
            force_https: false,
            redirect_to: None,
            basic_auth: None,
        }
    }
}

/// An app's routing: its hosts, and maintenance mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppRoutes {
    /// Hosts that reach the app.
    pub hosts: Vec<HostRoute>,
    /// When set, every request gets this page with status 503 instead.
    pub maintenance_page: Option<String>,
}

/// One address traffic can go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Upstream {
    /// Where it answers.
    pub addr: SocketAddr,
}

/// Options of one [`RouteTable::switch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwitchOptions {
    /// Probe the new upstreams before switching (tables that can probe:
    /// see [`RouteCapabilities::health_checks`]).
    pub health_check: Option<HealthCheck>,
    /// How long requests and upgraded connections on the old upstreams may
    /// continue after the switch.
    pub drain_timeout: Duration,
}

/// What a [`RouteTable::switch`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwitchReport {
    /// The upstreams traffic went to before.
    pub previous: Vec<Upstream>,
    /// True when every request on the old upstreams finished inside the
    /// drain window; false when the window ended first.
    pub drained: bool,
}

/// The result of looking a host up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The app the host belongs to.
    pub app: AppId,
    /// How the host is served.
    pub route: HostRoute,
    /// Current upstreams (empty when the app has none live).
    pub upstreams: Vec<Upstream>,
    /// Maintenance page, if the app is in maintenance mode.
    pub maintenance_page: Option<String>,
}

/// What a route table can do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouteCapabilities {
    /// `switch` probes new upstreams itself.
    pub health_checks: bool,
    /// `switch` waits for in-flight requests on old upstreams.
    pub drain: bool,
}

impl RouteCapabilities {
    /// A table that probes and drains.
    #[must_use]
    pub fn all() -> Self {
        Self {
            health_checks: true,
            drain: true,
        }
    }

    /// A table that drains but does not probe.
    #[must_use]
    pub fn drain_only() -> Self {
        Self {
            health_checks: false,
            drain: true,
        }
    }
}

/// Maps hosts to apps and apps to upstreams.
#[async_trait]
pub trait RouteTable: fmt::Debug + Send + Sync + 'static {
    /// What this table can do.
    fn capabilities(&self) -> RouteCapabilities;

    /// Set the hosts and maintenance mode of `app`, keeping its upstreams.
    ///
    /// # Behavior
    /// - Replaces the app's previous hosts atomically.
    /// - A host already routed to another app: `Conflict`, and nothing
    ///   changes.
    /// - A host listed twice in one call: the last entry wins.
    async fn set_routes(&self, app: AppId, routes: AppRoutes) -> Result<()>;

    /// Point `app` at `upstreams`, atomically, then drain the old ones.
    ///
    /// # Behavior
    /// - When the table can probe and `options.health_check` is set, every
    ///   new upstream must pass first; otherwise nothing changes and the
    ///   error is `Unavailable`.
    /// - After the swap no new request reaches an old upstream; requests and
    ///   upgraded connections already on one continue until they finish or
    ///   `options.drain_timeout` ends. The call returns then. Only upstreams
    ///   the switch removed are drained: one that is in both the old and
    ///   the new set keeps serving and is not waited on.
    /// - Switching an app with no routes yet is allowed (upstreams are kept
    ///   for when hosts arrive). An empty `upstreams` takes the app offline.
    async fn switch(
        &self,
        app: AppId,
        upstreams: Vec<Upstream>,
        options: &SwitchOptions,
    ) -> Result<SwitchReport>;

    /// Forget `app`: its hosts and upstreams.
    ///
    /// # Behavior
    /// - Idempotent.
    async fn remove(&self, app: AppId) -> Result<()>;

    /// The upstreams `app` currently points at (empty when none).
    async fn upstreams(&self, app: AppId) -> Result<Vec<Upstream>>;

    /// Which app serves `host`, exact hosts winning over wildcards.
    ///
    /// # Behavior
    /// - Never waits for a writer.
    /// - `None` when no route matches.
    fn resolve(&self, host: &DomainName) -> Option<Resolved>;
}
