//! [`serve`]: the accept loop, one hyper HTTP/1.1 connection task per
//! client, and graceful shutdown.

use std::convert::Infallible;
use std::io;
use std::sync::Arc;

use http::StatusCode;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::config::ProxyConfig;
use super::forward::Forwarder;
use super::wire::{HeadFlags, WireIo};
use crate::table::ProxyRouteTable;

/// Bind `config.listen` (after [`ProxyConfig::validate`]).
///
/// # Errors
///
/// An invalid config (as [`io::ErrorKind::InvalidInput`]) or a bind error.
pub async fn bind(config: &ProxyConfig) -> io::Result<TcpListener> {
    config
        .validate()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    TcpListener::bind(config.listen).await
}

/// Serve plain HTTP/1.1 on `listener`, routing through `table`, until
/// `shutdown` is cancelled; then stop accepting, let each connection finish
/// its request in flight (hyper's graceful shutdown) and return when all
/// are closed. `config.listen` is ignored: the listener is already bound.
///
/// Every connection gets hyper's header read timeout (with a timer, without
/// which hyper silently skips it), header count and size limits; bodies are
/// limited while forwarding. Upgrades (WebSocket) are proxied both ways;
/// an upgraded connection outlives shutdown until it closes or a switch's
/// drain window cuts it.
///
/// # Errors
///
/// An invalid config (as [`io::ErrorKind::InvalidInput`]). Accept errors
/// are logged and retried, not returned.
pub async fn serve(
    listener: TcpListener,
    config: ProxyConfig,
    table: ProxyRouteTable,
    shutdown: CancellationToken,
) -> io::Result<()> {
    config
        .validate()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let config = Arc::new(config);
    let forwarder = Arc::new(Forwarder::new(table, Arc::clone(&config)));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .max_headers(config.max_headers)
        .max_buf_size(config.max_header_bytes)
        .keep_alive(true);
    let tracker = TaskTracker::new();

    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // E.g. out of file descriptors: back off briefly, go on.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "set_nodelay failed");
        }
        let forwarder = Arc::clone(&forwarder);
        let flags = HeadFlags::default();
        let io = WireIo::new(stream, config.max_header_bytes, flags.clone());
        let service = service_fn(move |req| {
            let forwarder = Arc::clone(&forwarder);
            // Taken here, in request order, not in the spawned future.
            let smuggled = flags.next_had_both();
            let flags = flags.clone();
            async move {
                let response = forwarder.handle(req, peer, smuggled).await;
                if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                    flags.upgraded();
                }
                Ok::<_, Infallible>(response)
            }
        });
        let connection = builder
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades();
        let shutdown = shutdown.clone();
        tracker.spawn(async move {
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = shutdown.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                tracing::debug!(%error, %peer, "client connection ended with an error");
            }
        });
    }
    drop(listener);
    tracker.close();
    tracker.wait().await;
    Ok(())
}
