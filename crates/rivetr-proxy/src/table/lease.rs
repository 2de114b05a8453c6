//! In-flight tracking: one [`UpstreamState`] per upstream of an app, and the
//! [`Lease`] a request holds while it is in flight on one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use rivetr_core::id::AppId;
use rivetr_core::route::{HostRoute, Upstream};
use tokio::sync::Notify;

/// The live state of one upstream of one app, shared by every snapshot that
/// keeps the upstream (a switch that keeps it keeps this state).
#[derive(Debug, Default)]
pub(crate) struct UpstreamState {
    /// Leases alive on this upstream.
    in_flight: AtomicUsize,
    /// Woken when `in_flight` drops to zero.
    idle: Notify,
    /// Set by the switch that removed this upstream, after its swap: a
    /// lease taken on it from an older snapshot must back off.
    retired: AtomicBool,
    /// Set when the drain of the switch that removed this upstream timed
    /// out: leases still alive on it (upgraded connections) must end now.
    cut: AtomicBool,
    /// Woken when `cut` is set.
    cut_notify: Notify,
    /// Ejected until this many nanoseconds after the table's epoch (0: not
    /// ejected).
    ejected_until: AtomicU64,
}

impl UpstreamState {
    /// Count one more request; `false` (and nothing counted) when a switch
    /// has retired the upstream in the meantime.
    ///
    /// With the switch's [`retire`](Self::retire) this is a Dekker-style
    /// handshake (both sides write, then read the other's flag, all
    /// `SeqCst`): either the switch sees the count, or the request sees the
    /// retirement and goes elsewhere.
    pub(crate) fn enter(&self) -> bool {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        if self.retired.load(Ordering::SeqCst) {
            self.leave();
            return false;
        }
        true
    }

    /// Count one request less, waking drainers at zero.
    pub(crate) fn leave(&self) {
        if self.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
    }

    /// Mark the upstream removed (after the swap that removed it).
    pub(crate) fn retire(&self) {
        self.retired.store(true, Ordering::SeqCst);
    }

    /// Tell the leases still alive that the drain window ended: each
    /// [`Lease::drain_ended`] waiter returns.
    pub(crate) fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.cut_notify.notify_waiters();
    }

    /// Wait until [`cut`](Self::cut) is called (returns at once if it was).
    pub(crate) async fn cut_off(&self) {
        loop {
            let notified = self.cut_notify.notified();
            tokio::pin!(notified);
            // Registered before the check, so a `cut` in between is seen.
            notified.as_mut().enable();
            if self.cut.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }

    /// Requests in flight now.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Wait until no request is in flight (no polling: woken by the last
    /// [`leave`](Self::leave)).
    pub(crate) async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            // Registered before the check, so a `leave` in between is seen.
            notified.as_mut().enable();
            if self.in_flight() == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Skip this upstream until `until` (nanoseconds after the epoch).
    pub(crate) fn eject_until(&self, until: u64) {
        self.ejected_until.store(until.max(1), Ordering::Relaxed);
    }

    /// Nanoseconds after the epoch until which the upstream is ejected (0:
    /// never ejected).
    pub(crate) fn ejected_until(&self) -> u64 {
        self.ejected_until.load(Ordering::Relaxed)
    }
}

/// A request in flight on an upstream, from
/// [`ProxyRouteTable::acquire`](super::ProxyRouteTable::acquire).
///
/// While a lease is alive, a [`switch`](rivetr_core::route::RouteTable::switch)
/// that removed its upstream keeps draining (up to its drain timeout). Hold
/// it for the whole exchange with the upstream: until the response body is
/// sent, and for an upgraded connection (WebSocket) until the connection
/// closes. Dropping it ends the request.
#[derive(Debug)]
pub struct Lease {
    pub(crate) app: AppId,
    pub(crate) upstream: Upstream,
    pub(crate) route: Arc<HostRoute>,
    pub(crate) state: Arc<UpstreamState>,
}

impl Lease {
    /// Where to send the request.
    #[must_use]
    pub fn upstream(&self) -> Upstream {
        self.upstream
    }

    /// How the host is served: redirect target, `force_https`, basic auth.
    /// A server answers a redirect itself (and may drop the lease at once).
    #[must_use]
    pub fn route(&self) -> &HostRoute {
        &self.route
    }

    /// The app the request belongs to (for
    /// [`eject`](super::ProxyRouteTable::eject)).
    #[must_use]
    pub fn app(&self) -> AppId {
        self.app
    }

    /// Wait until a [`switch`](rivetr_core::route::RouteTable::switch)
    /// removed this lease's upstream and its drain timeout passed with the
    /// lease still alive; never returns otherwise. A long-lived exchange
    /// (an upgraded connection) selects on it and closes when it returns.
    pub async fn drain_ended(&self) {
        self.state.cut_off().await;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.state.leave();
    }
}
