//! Upstream connections: HTTP/1.1 connections to upstreams, each kept by
//! the client connection whose request last used it ([`UpstreamSlot`]), so
//! the next request of that client to the same upstream goes out on it
//! without a pool checkout; otherwise taken from (and given back to) a
//! shared idle list per upstream ([`Upstreams`]), or opened.
//!
//! A connection found closed (the upstream closed it while idle) is
//! replaced before the request is written, so it costs no failed request.
//! A request that was not written yet when its connection failed is tried
//! again on another one, a few times at most.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use http::{Request, Response, StatusCode};
use http_body_util::Limited;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A request body on its way upstream, cut at `max_body_bytes`.
pub(crate) type UpstreamBody = Limited<Incoming>;

/// The sending half of one upstream connection.
type Sender = SendRequest<UpstreamBody>;

/// Idle connections kept per upstream in the shared list, at most.
const MAX_IDLE_PER_UPSTREAM: usize = 256;

/// Connections one request tries (kept or idle ones found closed, or
/// failing before the request was written, are replaced).
const SEND_ATTEMPTS: usize = 3;

/// Why a request could not be sent upstream or got no response head.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    /// The upstream refused (or did not accept) a new connection.
    #[error("connecting to upstream {addr}: {source}")]
    Connect {
        /// The upstream.
        addr: SocketAddr,
        /// The socket error.
        #[source]
        source: io::Error,
    },
    /// The exchange failed after connecting (including the request body
    /// going over its limit: see the source chain).
    #[error("exchange with upstream {addr}: {source}")]
    Exchange {
        /// The upstream.
        addr: SocketAddr,
        /// hyper's error.
        #[source]
        source: hyper::Error,
    },
}

impl SendError {
    /// Whether the upstream could not be connected to (grounds for passive
    /// ejection).
    pub(crate) fn is_connect(&self) -> bool {
        matches!(self, Self::Connect { .. })
    }
}

/// An idle connection in the shared list.
#[derive(Debug)]
struct Idle {
    sender: Sender,
    since: Instant,
}

/// Idle connections by upstream, and when they were last swept.
#[derive(Debug)]
struct IdleLists {
    by_addr: HashMap<SocketAddr, Vec<Idle>>,
    swept: Instant,
}

/// How often [`Upstreams::check_in`] drops closed and expired entries of
/// every upstream (not only the one it adds to).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The upstream connections of one proxy: idle ones by upstream address.
#[derive(Debug)]
pub(crate) struct Upstreams {
    idle: Mutex<IdleLists>,
    /// Idle connections older than this are closed, not reused.
    idle_timeout: Duration,
}

/// The upstream connection one client connection keeps: the one its last
/// request used, with that upstream's address. Given back to the shared
/// list when the client connection ends (dropped).
#[derive(Debug)]
pub(crate) struct UpstreamSlot {
    upstreams: Arc<Upstreams>,
    kept: Mutex<Option<(SocketAddr, Sender)>>,
}

impl UpstreamSlot {
    /// An empty slot whose connections come from (and go back to)
    /// `upstreams`.
    pub(crate) fn new(upstreams: Arc<Upstreams>) -> Self {
        Self {
            upstreams,
            kept: Mutex::new(None),
        }
    }

    /// The kept connection if it goes to `addr`; one to another upstream is
    /// given back to the shared list.
    fn take_for(&self, addr: SocketAddr) -> Option<Sender> {
        let kept = (self.kept.lock().unwrap_or_else(PoisonError::into_inner)).take();
        match kept {
            Some((to, sender)) if to == addr => Some(sender),
            Some((to, sender)) => {
                self.upstreams.check_in(to, sender);
                None
            }
            None => None,
        }
    }

    /// Keep `sender` (to `addr`) for the next request, or give it to the
    /// shared list when a concurrent request (HTTP/2) already put one here.
    fn keep(&self, addr: SocketAddr, sender: Sender) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.is_none() {
            *kept = Some((addr, sender));
        } else {
            drop(kept);
            self.upstreams.check_in(addr, sender);
        }
    }
}

impl Drop for UpstreamSlot {
    fn drop(&mut self) {
        let kept = (self.kept.get_mut().unwrap_or_else(PoisonError::into_inner)).take();
        if let Some((addr, sender)) = kept {
            self.upstreams.check_in(addr, sender);
        }
    }
}

impl Upstreams {
    /// No connections yet; idle ones are closed after `idle_timeout`.
    pub(crate) fn new(idle_timeout: Duration) -> Self {
        Self {
            idle: Mutex::new(IdleLists {
                by_addr: HashMap::new(),
                swept: Instant::now(),
            }),
            idle_timeout,
        }
    }

    /// Send `req` (origin-form target, with a `Host`) to `addr` and return
    /// the response head, on `slot`'s kept connection when it goes to
    /// `addr`, else on an idle or new one. The connection is kept in `slot`
    /// afterwards (or in the shared list without a slot), except after a
    /// `101`: an upgraded connection is the tunnel's.
    ///
    /// # Errors
    ///
    /// [`SendError::Connect`] when a new connection is refused,
    /// [`SendError::Exchange`] when the exchange fails.
    pub(crate) async fn send(
        &self,
        slot: Option<&UpstreamSlot>,
        addr: SocketAddr,
        mut req: Request<UpstreamBody>,
    ) -> Result<Response<Incoming>, SendError> {
        let mut reused = slot.and_then(|slot| slot.take_for(addr));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= SEND_ATTEMPTS;
            let mut sender = match reused.take().or_else(|| self.check_out(addr)) {
                Some(sender) => sender,
                None => connect(addr).await?,
            };
            if let Err(source) = sender.ready().await {
                // Closed while idle: replaced, nothing was written.
                if last {
                    return Err(SendError::Exchange { addr, source });
                }
                continue;
            }
            match sender.try_send_request(req).await {
                Ok(response) => {
                    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
                        match slot {
                            Some(slot) => slot.keep(addr, sender),
                            None => self.check_in(addr, sender),
                        }
                    }
                    return Ok(response);
                }
                Err(mut error) => match error.take_message() {
                    Some(unsent) if !last => req = unsent,
                    _ => {
                        let source = error.into_error();
                        return Err(SendError::Exchange { addr, source });
                    }
                },
            }
        }
    }

    /// The most recently idle connection to `addr` that is still open and
    /// not too old.
    fn check_out(&self, addr: SocketAddr) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.by_addr.get_mut(&addr)?;
        while let Some(entry) = list.pop() {
            if !entry.sender.is_closed() && entry.since.elapsed() < self.idle_timeout {
                return Some(entry.sender);
            }
        }
        None
    }

    /// Put `sender` (to `addr`) on the shared idle list, dropping the
    /// oldest beyond [`MAX_IDLE_PER_UPSTREAM`], and (every [`SWEEP_EVERY`])
    /// the closed and expired entries of every upstream. Dropping a sender
    /// closes its connection.
    fn check_in(&self, addr: SocketAddr, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let now = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if now.duration_since(idle.swept) >= SWEEP_EVERY {
            idle.swept = now;
            idle.by_addr.retain(|_, list| {
                list.retain(|e| {
                    !e.sender.is_closed() && now.duration_since(e.since) < self.idle_timeout
                });
                !list.is_empty()
            });
        }
        let list = idle.by_addr.entry(addr).or_default();
        list.push(Idle { sender, since: now });
        if list.len() > MAX_IDLE_PER_UPSTREAM {
            list.remove(0);
        }
    }
}

/// A new HTTP/1.1 connection to `addr` (with `TCP_NODELAY`), its
/// connection task spawned (with upgrades).
async fn connect(addr: SocketAddr) -> Result<Sender, SendError> {
    let stream =
        (TcpStream::connect(addr).await).map_err(|source| SendError::Connect { addr, source })?;
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "set_nodelay failed");
    }
    let (sender, connection) = (http1::handshake(TokioIo::new(stream)).await)
        .map_err(|source| SendError::Exchange { addr, source })?;
    tokio::spawn(async move {
        if let Err(error) = connection.with_upgrades().await {
            tracing::debug!(%error, upstream = %addr, "upstream connection ended with an error");
        }
    });
    Ok(sender)
}
