//! [`Proxy::serve_https`]: TLS (rustls) in front of the same request path,
//! HTTP/2 or HTTP/1.1 as negotiated by ALPN.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use http::Request;
use http::header::{self, HeaderValue};
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::ServerConfig;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::forward::{ConnInfo, Scheme};
use super::proxy::{Proxy, accept};
use crate::tls::{ACME_TLS_ALPN, ALPN_H2};

/// Most concurrent streams an HTTP/2 client may open on one connection.
const H2_MAX_STREAMS: u32 = 250;

/// The connection settings, built once per listener.
struct Builders {
    h1: Arc<http1::Builder>,
    h2: http2::Builder<TokioExecutor>,
}

impl Proxy {
    /// Serve HTTPS on `listener` with `tls` (see
    /// [`tls::server_config`](crate::tls::server_config)) until `shutdown`
    /// is cancelled; then stop accepting, drop handshakes in progress, let
    /// each connection finish its requests in flight (HTTP/2: `GOAWAY`) and
    /// return when all are closed.
    ///
    /// Each connection must finish its TLS handshake within
    /// `header_read_timeout`, or it is closed. Then, by ALPN:
    /// - `h2`: HTTP/2 with at most 250 concurrent streams and header lists
    ///   of at most `max_header_bytes`; hyper refuses a `Content-Length`
    ///   that does not match the body. The first request must come within
    ///   `header_read_timeout`; keep-alive pings (every `idle_timeout`)
    ///   close connections whose peer stopped answering.
    /// - `acme-tls/1`: an ACME TLS-ALPN-01 validation, closed right after
    ///   the handshake.
    /// - `http/1.1` or none: as [`serve_http`](Self::serve_http) (header
    ///   read timeout, limits, smuggling scan, upgrades).
    ///
    /// Every request is forwarded with `X-Forwarded-Proto: https`.
    ///
    /// # Errors
    ///
    /// None so far: accept and handshake errors are logged, not returned.
    pub async fn serve_https(
        &self,
        listener: TcpListener,
        tls: Arc<ServerConfig>,
        shutdown: CancellationToken,
    ) -> io::Result<()> {
        let acceptor = TlsAcceptor::from(tls);
        let builders = Arc::new(Builders {
            h1: Arc::new(self.h1_builder()),
            h2: self.h2_builder(),
        });
        let tracker = TaskTracker::new();
        while let Some((stream, peer)) = accept(&listener, &shutdown).await {
            let proxy = self.clone();
            let acceptor = acceptor.clone();
            let builders = Arc::clone(&builders);
            let shutdown = shutdown.clone();
            tracker.spawn(async move {
                proxy
                    .tls_connection(&acceptor, &builders, stream, peer, shutdown)
                    .await;
            });
        }
        drop(listener);
        tracker.close();
        tracker.wait().await;
        Ok(())
    }

    /// The HTTP/2 connection settings.
    fn h2_builder(&self) -> http2::Builder<TokioExecutor> {
        let max_header_list = u32::try_from(self.config().max_header_bytes).unwrap_or(u32::MAX);
        let mut builder = http2::Builder::new(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .max_concurrent_streams(H2_MAX_STREAMS)
            .max_header_list_size(max_header_list)
            .keep_alive_interval(Some(self.config().idle_timeout))
            .keep_alive_timeout(self.config().header_read_timeout);
        builder
    }

    /// One client connection: the TLS handshake (timed), then HTTP by ALPN.
    async fn tls_connection(
        &self,
        acceptor: &TlsAcceptor,
        builders: &Builders,
        stream: TcpStream,
        peer: SocketAddr,
        shutdown: CancellationToken,
    ) {
        let timeout = self.config().header_read_timeout;
        let handshake = tokio::select! {
            () = shutdown.cancelled() => return,
            handshake = tokio::time::timeout(timeout, acceptor.accept(stream)) => handshake,
        };
        let mut tls = match handshake {
            Ok(Ok(tls)) => tls,
            Ok(Err(error)) => {
                tracing::debug!(%error, %peer, "TLS handshake failed");
                return;
            }
            Err(_elapsed) => {
                tracing::debug!(%peer, "TLS handshake timed out");
                return;
            }
        };
        match tls.get_ref().1.alpn_protocol() {
            Some(ACME_TLS_ALPN) => {
                // The validation only needed the handshake's certificate.
                let closed = tokio::time::timeout(timeout, tls.shutdown()).await;
                if let Ok(Err(error)) = closed {
                    tracing::debug!(%error, %peer, "closing an acme-tls/1 connection failed");
                }
            }
            Some(ALPN_H2) => self.h2_connection(&builders.h2, tls, peer, shutdown).await,
            _ => {
                let scheme = Scheme::Https;
                (self.h1_connection(&builders.h1, tls, peer, scheme, &shutdown)).await;
            }
        }
    }

    /// Serve one HTTP/2 connection until it closes; on `shutdown`, send
    /// `GOAWAY` and finish the streams in flight.
    async fn h2_connection(
        &self,
        builder: &http2::Builder<TokioExecutor>,
        tls: TlsStream<TcpStream>,
        peer: SocketAddr,
        shutdown: CancellationToken,
    ) {
        let forwarder = Arc::clone(self.forwarder());
        let started = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&started);
        let service = service_fn(move |mut req: Request<Incoming>| {
            seen.store(true, Ordering::Relaxed);
            host_from_authority(&mut req);
            let forwarder = Arc::clone(&forwarder);
            let conn = ConnInfo {
                peer,
                scheme: Scheme::Https,
                // HTTP/2 frames bodies itself; hyper checks `Content-Length`.
                smuggled: false,
            };
            async move { Ok::<_, Infallible>(forwarder.handle(req, conn).await) }
        });
        let connection = builder.serve_connection(TokioIo::new(tls), service);
        // hyper has no header read timeout for HTTP/2, and a graceful
        // shutdown waits for the client's preface: a client that sent no
        // request yet is dropped at the deadline or on shutdown.
        let first_request = tokio::time::sleep(self.config().header_read_timeout);
        tokio::pin!(connection, first_request);
        let mut closing = false;
        let result = loop {
            tokio::select! {
                result = connection.as_mut() => break result,
                () = first_request.as_mut(), if !started.load(Ordering::Relaxed) => {
                    if !started.load(Ordering::Relaxed) {
                        tracing::debug!(%peer, "no HTTP/2 request in time: connection dropped");
                        return;
                    }
                }
                () = shutdown.cancelled(), if !closing => {
                    if !started.load(Ordering::Relaxed) {
                        return;
                    }
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        };
        if let Err(error) = result {
            tracing::debug!(%error, %peer, "HTTP/2 client connection ended with an error");
        }
    }
}

/// Give an HTTP/2 request a `Host` from its `:authority` when it has none
/// (RFC 9113 §8.3.1): the upstream speaks HTTP/1.1 and needs it.
fn host_from_authority(req: &mut Request<Incoming>) {
    if req.headers().contains_key(header::HOST) {
        return;
    }
    let host = (req.uri().authority()).and_then(|a| HeaderValue::from_str(a.as_str()).ok());
    if let Some(host) = host {
        req.headers_mut().insert(header::HOST, host);
    }
}
