//! [`Proxy`]: one proxy server (route table, config, hooks) that serves any
//! number of listeners, and its builder.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use http::StatusCode;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioTimer;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::challenge::Http01Responder;
use super::config::{ConfigError, ProxyConfig};
use super::forward::{ConnInfo, Forwarder, Scheme};
use super::idle::{Answered, Parkable, serve_h1};
use super::wire::{HeadFlags, WireIo};
use crate::metrics::Metrics;
use crate::table::ProxyRouteTable;

/// hyper's HTTP/1 header count limit when none is set.
const HYPER_MAX_HEADERS: usize = 100;

/// A proxy server: routes every request through one
/// [`ProxyRouteTable`] with one [`ProxyConfig`] and one pooled upstream
/// client, on as many listeners as it is given. Cheap to clone.
///
/// # Example
///
/// ```no_run
/// use rivetr_proxy::server::{Proxy, ProxyConfig};
/// use rivetr_proxy::table::ProxyRouteTable;
/// use tokio_util::sync::CancellationToken;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let table = ProxyRouteTable::new();
/// let proxy = Proxy::builder(ProxyConfig::default(), table).build()?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// proxy.serve_http(listener, CancellationToken::new()).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Proxy {
    forwarder: Arc<Forwarder>,
    config: Arc<ProxyConfig>,
}

/// Builds a [`Proxy`]; see [`Proxy::builder`].
#[derive(Debug)]
pub struct ProxyBuilder {
    config: ProxyConfig,
    table: ProxyRouteTable,
    http01: Option<Arc<dyn Http01Responder>>,
}

impl ProxyBuilder {
    /// Answer ACME HTTP-01 challenges on plain HTTP through `responder`.
    #[must_use]
    pub fn http01(mut self, responder: Arc<dyn Http01Responder>) -> Self {
        self.http01 = Some(responder);
        self
    }

    /// The proxy, after [`ProxyConfig::validate`].
    ///
    /// # Errors
    ///
    /// The config's first bad field.
    pub fn build(self) -> Result<Proxy, ConfigError> {
        self.config.validate()?;
        let config = Arc::new(self.config);
        let forwarder = Forwarder::new(self.table, Arc::clone(&config), self.http01);
        Ok(Proxy {
            forwarder: Arc::new(forwarder),
            config,
        })
    }
}

impl Proxy {
    /// Start building a proxy over `table` with `config`
    /// (`config.listen` is for callers that bind; the serve methods take a
    /// bound listener).
    #[must_use]
    pub fn builder(config: ProxyConfig, table: ProxyRouteTable) -> ProxyBuilder {
        ProxyBuilder {
            config,
            table,
            http01: None,
        }
    }

    /// The proxy's config.
    #[must_use]
    pub fn config(&self) -> &ProxyConfig {
        &self.config
    }

    /// Requests, status classes and latency per route, for a metrics
    /// endpoint ([`Metrics::render_prometheus`]).
    #[must_use]
    pub fn metrics(&self) -> &Arc<Metrics> {
        self.forwarder.metrics()
    }

    /// Serve plain HTTP/1.1 on `listener` until `shutdown` is cancelled;
    /// then stop accepting, let each connection finish its request in
    /// flight (hyper's graceful shutdown) and return when all are closed.
    ///
    /// Every connection gets hyper's header read timeout (with a timer,
    /// without which hyper silently skips it), header count and size
    /// limits; bodies are limited while forwarding. Upgrades (WebSocket) are
    /// proxied both ways; an upgraded connection outlives shutdown until it
    /// closes or a switch's drain window cuts it.
    ///
    /// # Errors
    ///
    /// None so far: accept errors are logged and retried, not returned.
    pub async fn serve_http(
        &self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> io::Result<()> {
        let builder = Arc::new(self.h1_builder());
        let tracker = TaskTracker::new();
        while let Some((stream, peer)) = accept(&listener, &shutdown).await {
            let connection = self.h1_connection(&builder, stream, peer, Scheme::Http, &shutdown);
            tracker.spawn(connection);
        }
        drop(listener);
        tracker.close();
        tracker.wait().await;
        Ok(())
    }

    /// The shared request handler, for serve loops in this crate.
    pub(crate) fn forwarder(&self) -> &Arc<Forwarder> {
        &self.forwarder
    }

    /// The HTTP/1.1 connection settings: hyper's header read timeout (with
    /// a timer, without which hyper silently skips it), header count and
    /// size limits, keep-alive.
    pub(crate) fn h1_builder(&self) -> http1::Builder {
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.config.header_read_timeout)
            .max_buf_size(self.config.max_header_bytes)
            .keep_alive(true);
        // hyper's default is 100; set, even to 100, it fills a 100-slot
        // array on every request head (about 4% of a request's CPU time).
        if self.config.max_headers != HYPER_MAX_HEADERS {
            builder.max_headers(self.config.max_headers);
        }
        builder
    }

    /// Serve one HTTP/1.1 client connection (plain or TLS, per `scheme`)
    /// until it closes: its request heads scanned on the wire for
    /// smuggling, upgrades proxied, parked while idle (see
    /// [`idle`](super::idle)). On `shutdown` it finishes the request in
    /// flight and closes; an upgraded connection outlives it.
    pub(crate) fn h1_connection<T: Parkable>(
        &self,
        builder: &Arc<http1::Builder>,
        stream: T,
        peer: SocketAddr,
        scheme: Scheme,
        shutdown: &CancellationToken,
    ) -> impl Future<Output = ()> + Send + 'static {
        let forwarder = Arc::clone(&self.forwarder);
        let flags = HeadFlags::default();
        let io = WireIo::new(stream, self.config.max_header_bytes, flags.clone());
        let new_service = move || {
            let forwarder = Arc::clone(&forwarder);
            let flags = flags.clone();
            // What this client connection keeps between its requests (not
            // while parked).
            let slot = Arc::new(forwarder.conn_state());
            service_fn(move |req| {
                let forwarder = Arc::clone(&forwarder);
                let slot = Arc::clone(&slot);
                // Taken here, in request order, not in the spawned future.
                let conn = ConnInfo {
                    peer,
                    scheme,
                    smuggled: flags.next_had_both(),
                };
                let flags = flags.clone();
                async move {
                    let response = forwarder.handle_kept(req, conn, &slot).await;
                    if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                        flags.upgraded();
                    }
                    let response = response.map(|body| Answered::new(body, flags));
                    Ok::<_, Infallible>(response)
                }
            })
        };
        let timeout = self.config.header_read_timeout;
        let builder = Arc::clone(builder);
        serve_h1(builder, io, new_service, timeout, peer, shutdown.clone())
    }
}

/// The next client connection (with `TCP_NODELAY` set), or `None` once
/// `shutdown` is cancelled. Accept errors (e.g. out of file descriptors)
/// are logged and retried after a short pause.
pub(crate) async fn accept(
    listener: &TcpListener,
    shutdown: &CancellationToken,
) -> Option<(tokio::net::TcpStream, SocketAddr)> {
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => return None,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                if let Err(error) = stream.set_nodelay(true) {
                    tracing::debug!(%error, "set_nodelay failed");
                }
                return Some((stream, peer));
            }
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}
