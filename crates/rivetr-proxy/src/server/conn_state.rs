//! [`ConnState`]: what the request path keeps for one client connection
//! between its requests: the upstream connection its last request used,
//! and the work done on its last host (the parsed name and the forwarding
//! headers), which a connection's requests almost always repeat.

use std::sync::{Mutex, PoisonError};

use rivetr_core::input::DomainName;

use super::headers::Forwarded;
use super::upstream::UpstreamSlot;

/// Per client connection state; one per connection, dropped with it.
#[derive(Debug)]
pub(crate) struct ConnState {
    /// The upstream connection kept between requests.
    pub(crate) upstream: UpstreamSlot,
    /// The last host forwarded, as the request gave it.
    host: Mutex<Option<HostMemo>>,
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
        }
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
