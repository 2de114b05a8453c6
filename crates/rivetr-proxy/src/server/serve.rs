//! [`bind`] and [`serve`]: the one-call way to run a plain HTTP proxy.

use std::io;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::config::ProxyConfig;
use super::proxy::Proxy;
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
/// `shutdown` is cancelled: [`Proxy::serve_http`] on a proxy built from
/// `config` and `table` with no hooks. `config.listen` is ignored: the
/// listener is already bound.
///
/// # Errors
///
/// An invalid config (as [`io::ErrorKind::InvalidInput`]).
pub async fn serve(
    listener: TcpListener,
    config: ProxyConfig,
    table: ProxyRouteTable,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let proxy = Proxy::builder(config, table)
        .build()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    proxy.serve_http(listener, shutdown).await
}
