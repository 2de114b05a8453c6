//! The proxy's HTTP/1.1 server: accepts client connections, routes each
//! request through the [`ProxyRouteTable`](crate::table::ProxyRouteTable)
//! and forwards it to the chosen upstream over a pooled client.
//!
//! - `config`: [`ProxyConfig`], the limits and timeouts, validated;
//! - `proxy`: [`Proxy`], one server over a table, serving listeners (the
//!   accept loop and graceful shutdown);
//! - `serve`: [`bind`] and [`serve`], the one-call plain HTTP server;
//! - `challenge`: [`Http01Responder`], the ACME HTTP-01 hook;
//! - `forward`: the request path (routing, redirects, forwarding);
//! - `headers`: hop-by-hop stripping, framing checks, `X-Forwarded-*`;
//! - `wire`: the client connection, its request heads scanned for
//!   `Content-Length` with `Transfer-Encoding` (which hyper hides).
//!
//! Plain HTTP/1.1 only for now, with upgrades (WebSocket): no TLS, no HTTP/2.

mod challenge;
mod config;
mod forward;
mod headers;
mod proxy;
mod serve;
mod wire;

pub use self::challenge::{HTTP01_PREFIX, Http01Responder};
pub use self::config::{ConfigError, ProxyConfig, TrustedProxy};
pub use self::forward::Scheme;
pub use self::proxy::{Proxy, ProxyBuilder};
pub use self::serve::{bind, serve};
