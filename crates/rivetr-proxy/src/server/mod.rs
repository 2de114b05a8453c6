//! The proxy's HTTP/1.1 server: accepts client connections, routes each
//! request through the [`ProxyRouteTable`](crate::table::ProxyRouteTable)
//! and forwards it to the chosen upstream over a pooled client.
//!
//! - `config`: [`ProxyConfig`], the limits and timeouts, validated;
//! - `serve`: [`serve`], the accept loop and graceful shutdown;
//! - `forward`: the request path (routing, redirects, forwarding);
//! - `headers`: hop-by-hop stripping, framing checks, `X-Forwarded-*`;
//! - `wire`: the client connection, its request heads scanned for
//!   `Content-Length` with `Transfer-Encoding` (which hyper hides).
//!
//! Plain HTTP/1.1 only for now, with upgrades (WebSocket): no TLS, no HTTP/2.

mod config;
mod forward;
mod headers;
mod serve;
mod wire;

pub use self::config::{ConfigError, ProxyConfig, TrustedProxy};
pub use self::serve::{bind, serve};
